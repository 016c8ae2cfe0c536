"""The one request path, on httpx's MockTransport with the sleeps recorded instead of slept.

Every case here is a `Transport` built as the client builds it, so the retry policy, the re-read
before a non-idempotent retry, the connect wording and the error texts are pinned exactly (the
delays too: the jitter is drawn at its upper bound), in milliseconds and with no server.
`test_client.py` holds the same path to real time and real sockets.
"""

from __future__ import annotations

import pickle
import ssl

import httpx
import pytest

from reconciler.errors import ApiError, ApiUnavailable, ConfigError
from reconciler.live import connection, transport
from reconciler.live.clocks import Deadline, ServerClock
from reconciler.live.counters import RequestCounters
from reconciler.live.ratelimit import RateLimiter
from reconciler.live.transport import CONNECT_RETRIES, RetryPolicy, Transport, checked_key

from .conftest import BASE, SECRET, jresp

URL = "/10dlc/phone_number_campaigns"


class FakeDeadline(Deadline):
    """The deadline's checks as written, its sleeps recorded instead of slept."""

    def __init__(self, seconds: float | None = None) -> None:
        super().__init__(seconds)
        self.slept: list[float] = []

    def sleep(self, call: str, seconds: float) -> None:
        rem = self.remaining()
        if rem is not None and seconds >= rem:
            super().sleep(call, seconds)  # raises: the deadline would pass
        self.slept.append(seconds)


class Recorder:
    """A RateLimiter that remembers what the transport fed it."""

    def __init__(self) -> None:
        self.limiter = RateLimiter()
        self.released: list[tuple[object, object]] = []
        self.blocked: list[float] = []
        self.tickets: list[tuple[str, int]] = []  # ("acquired" | "released", ticket), in order
        real_acquire, real_release = self.limiter.acquire, self.limiter.release

        def acquire(at):
            ticket = real_acquire(at)
            self.tickets.append(("acquired", ticket))
            return ticket

        def release(ticket, headers, status):
            self.tickets.append(("released", ticket))
            self.released.append((None if headers is None else dict(headers), status))
            real_release(ticket, headers, status)

        def block_for(seconds):  # recorded, not waited out: test_client.py waits for real
            self.blocked.append(seconds)

        self.limiter.acquire = acquire  # type: ignore[method-assign]
        self.limiter.release = release  # type: ignore[method-assign]
        self.limiter.block_for = block_for  # type: ignore[method-assign]


def make(handler, *, max_retries: int = 3, timeout: float = 5.0, base_url: str = BASE, deadline: float | None = None,
         concurrency: int = 2, user_agent: str | None = None) -> tuple[Transport, FakeDeadline, Recorder]:
    dl = FakeDeadline(deadline)
    rec = Recorder()
    kw = {} if user_agent is None else {"user_agent": user_agent}
    t = Transport(base_url=base_url, api_key=SECRET, timeout=timeout, concurrency=concurrency,
                  retry=RetryPolicy(max_retries, 0.5, 30.0), limiter=rec.limiter, counters=RequestCounters(),
                  deadline=dl, server_clock=ServerClock(), transport=httpx.MockTransport(handler), **kw)
    return t, dl, rec


@pytest.fixture
def top_jitter(monkeypatch):
    """Every random draw at its upper bound, so a delay is the formula's ceiling."""
    monkeypatch.setattr(transport.random, "uniform", lambda a, b: b)


def answers(*items):
    """A handler that plays `items` in turn (a Response, or an exception to raise), recording requests."""
    seen: list[httpx.Request] = []

    def h(req: httpx.Request) -> httpx.Response:
        item = items[min(len(seen), len(items) - 1)]
        seen.append(req)
        if isinstance(item, Exception):
            raise item
        return item

    return seen, h


def refusal(*items, method: str = "GET", template: str = "/x", **kw) -> tuple[ApiError, list, FakeDeadline]:
    """The error one call raises against `items` (as `answers` plays them), the requests, the deadline."""
    seen, h = answers(*items)
    t, dl, _ = make(h, **kw)
    with pytest.raises(ApiError) as ei:
        t.request(method, template)
    return ei.value, seen, dl


# ---------------------------------------------------------------- connection wording


def test_tls_failure_finds_the_ssl_error_in_the_chain() -> None:
    cert = ssl.SSLCertVerificationError(1, "bad")
    cert.verify_message = "self-signed certificate"
    try:
        try:
            raise cert
        except ssl.SSLError as inner:
            raise httpx.ConnectError("wrapped") from inner
    except httpx.ConnectError as exc:
        outer = exc
    assert connection.tls_failure(outer) == "self-signed certificate"
    cert.verify_message = ""
    assert connection.tls_failure(cert) == str(cert)
    plain = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    assert connection.tls_failure(httpx.ConnectError("x").with_traceback(None)) is None
    err = httpx.ConnectError("x")
    err.__context__ = plain
    assert connection.tls_failure(err) == str(plain)
    assert connection.tls_failure(httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] nope")) == \
        "[SSL: CERTIFICATE_VERIFY_FAILED] nope"
    assert connection.tls_failure(httpx.ConnectError("[Errno 111] Connection refused")) is None


def test_tls_failure_stops_on_a_cycle() -> None:
    a, b = httpx.ConnectError("a"), httpx.ConnectError("b")
    a.__cause__, b.__cause__ = b, a
    assert connection.tls_failure(a) is None


@pytest.mark.parametrize("tls", ["[SSL: WRONG_VERSION_NUMBER] wrong version number", "record layer failure",
                                 "ssl: wrong version"])
def test_tls_spoken_to_plain_http_is_named(tls: str) -> None:
    e = connection.tls_refusal("GET /x", "https://127.0.0.1:1/v2", tls)
    assert (e.call, e.status, e.code, e.title) == ("GET /x", None, "tls", "TLS handshake failed")
    assert e.detail == f"https://127.0.0.1:1/v2 does not answer in TLS: is it a plain http:// server (the sandbox is)? ({tls})"


def test_a_certificate_that_does_not_verify_is_named() -> None:
    e = connection.tls_refusal("GET /x", "https://h/v2", "certificate has expired")
    assert (e.code, e.title, e.detail) == ("tls", "TLS certificate verification failed", "https://h/v2: certificate has expired")


@pytest.mark.parametrize("text, said", [
    ("[Errno 111] Connection refused", "connection refused by https://h/v2: nothing listens there (wrong port, or the server is down)"),
    ("[Errno -2] Name or service not known", "cannot resolve the host of https://h/v2 (DNS): check TELNYX_API_BASE_URL / --api-base-url"),
    ("nodename nor servname provided", "cannot resolve"),
    ("getaddrinfo failed", "cannot resolve"),
    ("Temporary failure in name resolution", "cannot resolve"),
    ("No address associated with hostname", "cannot resolve"),
    ("something else", "cannot connect to https://h/v2 (ConnectError)"),
])
def test_connect_problems_are_worded(text: str, said: str) -> None:
    assert connection.connect_problem(httpx.ConnectError(text), "https://h/v2", 5, timed_out=False).startswith(said)


def test_the_connect_problem_reads_the_cause_and_context() -> None:
    exc = httpx.ConnectError("outer")
    exc.__cause__ = OSError("Connection refused")
    assert connection.connect_problem(exc, "https://h/v2", 5, timed_out=False).startswith("connection refused")
    exc = httpx.ConnectError("outer")
    exc.__context__ = OSError("Name or service not known")
    assert connection.connect_problem(exc, "https://h/v2", 5, timed_out=False).startswith("cannot resolve")


def test_a_connect_timeout_names_the_url_and_the_tls_hint_only_for_https() -> None:
    exc = httpx.ConnectTimeout("Connection refused")  # the timeout wins over the words
    assert connection.connect_problem(exc, "https://h/v2", 4.6, timed_out=True) == (
        "timed out connecting to https://h/v2 after 5s (TLS handshake included: an https:// URL to a "
        "plain-http server can hang like this)")
    assert connection.connect_problem(exc, "http://127.0.0.1:1/v2", 3, timed_out=True) == \
        "timed out connecting to http://127.0.0.1:1/v2 after 3s"


# ---------------------------------------------------------------- the key and the session


def test_the_key_is_stripped_and_refused_when_missing_or_with_control_characters() -> None:
    assert checked_key(f"  {SECRET} ") == SECRET
    assert checked_key("XX-key-XX") == "XX-key-XX"
    for bad, said in [("", "is not set"), ("   ", "is not set"), (None, "is not set"), (123, "is not set"),
                      ("ab\ncd", "contains control characters"), ("ab\rcd", "contains control characters"),
                      ("ab\x00cd", "contains control characters")]:
        with pytest.raises(ConfigError) as ei:
            checked_key(bad)  # type: ignore[arg-type]
        assert str(ei.value) == f"TELNYX_API_KEY {said}" and "ab" not in str(ei.value)


def test_the_retry_policy_defaults_and_its_ceiling(top_jitter) -> None:
    p = RetryPolicy()
    assert (p.max_retries, p.backoff_base, p.backoff_cap) == (6, 0.5, 30.0)
    assert [p.backoff(n) for n in range(8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_the_backoff_is_drawn_from_zero() -> None:
    draws = []
    orig = transport.random.uniform
    try:
        transport.random.uniform = lambda a, b: draws.append((a, b)) or a  # type: ignore[assignment]
        assert RetryPolicy(backoff_base=0.25, backoff_cap=1.0).backoff(3) == 0
    finally:
        transport.random.uniform = orig  # type: ignore[assignment]
    assert draws == [(0, 1.0)]


def test_every_request_carries_the_key_the_headers_and_its_timeout() -> None:
    seen, h = answers(jresp(200, {"data": 1}))
    t, _, _ = make(h, timeout=7.0)
    assert t.request("get", "/messaging_profiles/{id}", path={"id": "p 1"}) == (200, {"data": 1})
    req = seen[0]
    assert req.method == "GET" and str(req.url) == f"{BASE}/messaging_profiles/p%201"
    assert req.headers["authorization"] == f"Bearer {SECRET}"
    assert req.headers["accept"] == "application/json"
    assert req.headers["user-agent"] == transport.DEFAULT_USER_AGENT
    assert transport.DEFAULT_USER_AGENT.startswith("telnyx-10dlc-reconciler/")
    assert req.extensions["timeout"] == {"connect": 7.0, "read": 7.0, "write": 7.0, "pool": 7.0}
    assert t.counters.count("GET /messaging_profiles/{id}") == 1 and t.counters.by_status[200] == 1
    assert t.url_for("/x/{a}", {"a": "b"}) == f"{BASE}/x/b" and t.url_for("/y") == f"{BASE}/y"


def test_a_user_agent_can_be_named() -> None:
    seen, h = answers(jresp(200, {}))
    t, _, _ = make(h, user_agent="bench/1")
    t.request("GET", "/x")
    assert seen[0].headers["user-agent"] == "bench/1"


def test_params_and_json_are_sent() -> None:
    seen, h = answers(jresp(200, {}))
    t, _, _ = make(h)
    t.request("POST", URL, params=[("page", 1)], json_body={"a": 1}, idempotent=True)
    assert seen[0].url.params["page"] == "1" and seen[0].content == b'{"a":1}'


def test_the_environment_is_trusted_except_on_loopback() -> None:
    assert make(lambda r: jresp(200, {}))[0]._http.trust_env is True
    assert make(lambda r: jresp(200, {}), base_url="http://127.0.0.1:9/v2")[0]._http.trust_env is False
    assert make(lambda r: jresp(200, {}))[0]._http.follow_redirects is False


def test_the_tls_context_is_built_once_per_setting(monkeypatch) -> None:
    import certifi

    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    trusted, untrusted = transport._tls_context(True), transport._tls_context(False)
    assert trusted is transport._tls_context(True) and untrusted is not trusted
    assert untrusted.verify_mode == ssl.CERT_REQUIRED and untrusted.check_hostname
    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    assert transport._tls_context(False) is untrusted  # the environment is not read
    assert transport._tls_context(True) is not trusted
    monkeypatch.delenv("SSL_CERT_FILE")
    monkeypatch.setenv("SSL_CERT_DIR", "/nonexistent-cert-dir")
    assert transport._tls_context(True) is not trusted


def test_the_transport_says_its_url_never_its_key_and_cannot_be_pickled() -> None:
    t, _, _ = make(lambda r: jresp(200, {}))
    assert repr(t) == f"Transport(base_url={BASE!r})"
    with pytest.raises(TypeError) as ei:
        pickle.dumps(t)
    assert str(ei.value) == "Transport cannot be pickled"
    t.close()
    with pytest.raises(RuntimeError):
        t.request("GET", "/x")


# ---------------------------------------------------------------- answers


@pytest.mark.parametrize("status, body, method, want", [
    (200, b'{"a": 1}', "GET", {"a": 1}),
    (201, b"[1]", "POST", [1]),
    (202, b"", "POST", None),
    (204, b"  ", "DELETE", None),
    (200, b"", "DELETE", None),
    (299, b"null", "GET", None),
])
def test_a_2xx_body_is_parsed(status, body, method, want) -> None:
    t, _, _ = make(lambda r: httpx.Response(status, content=body))
    assert t.request(method, "/x", idempotent=True) == (status, want)


@pytest.mark.parametrize("status, body, method", [(200, b"", "GET"), (200, b" \n", "POST"), (201, b"", "DELETE")],
                         ids=["empty-GET", "blank-POST", "empty-DELETE"])
def test_an_empty_body_where_json_is_expected_is_refused(status, body, method) -> None:
    t, _, _ = make(lambda r: httpx.Response(status, content=body))
    with pytest.raises(ApiError) as ei:
        t.request(method, "/x", idempotent=True)
    e = ei.value
    assert (e.call, e.status, e.code, e.detail) == (f"{method} /x", status, "invalid_response",
                                                    "empty body where JSON was expected")


def test_a_body_that_is_not_json_is_refused_with_its_type_and_an_excerpt() -> None:
    t, _, _ = make(lambda r: httpx.Response(200, content=f"<b>oops {SECRET}</b>".encode(),
                                            headers={"content-type": "text/html; charset=utf-8"}))
    with pytest.raises(ApiError) as ei:
        t.request("GET", "/x")
    assert type(ei.value) is ApiError
    assert (ei.value.status, ei.value.code, ei.value.title, ei.value.detail) == (
        200, "invalid_response", "response is not JSON (text/html)", "oops [REDACTED]")
    t, _, _ = make(lambda r: httpx.Response(200, content=b"\xff\xfe"))
    with pytest.raises(ApiError) as ei:
        t.request("GET", "/x")
    assert (ei.value.call, ei.value.title) == ("GET /x", "response is not JSON (no content-type)")
    t, _, _ = make(lambda r: httpx.Response(200, content=b"{", headers={"content-type": SECRET}))
    with pytest.raises(ApiError) as ei:
        t.request("GET", "/x")
    assert ei.value.title == "response is not JSON ([REDACTED])"


def test_an_allowed_status_is_returned_with_its_body_or_none() -> None:
    for body, want in [(b'{"errors": []}', {"errors": []}), (b"", None), (b"<html>", None)]:
        t, _, _ = make(lambda r, body=body: httpx.Response(404, content=body))
        assert t.request("GET", "/x", allow_status=[404, 410]) == (404, want)
    t, _, _ = make(lambda r: httpx.Response(410, content=b"{}"))
    assert t.request("GET", "/x", allow_status=iter([404, 410])) == (410, {})


def test_a_refusal_is_raised_at_once_with_its_request_id() -> None:
    seen, h = answers(jresp(422, {"errors": [{"code": "10015", "title": "Bad"}]}, {"x-request-id": "r-1"}))
    t, dl, _ = make(h)
    with pytest.raises(ApiError) as ei:
        t.request("PUT", URL)
    assert type(ei.value) is ApiError and (ei.value.call, ei.value.status, ei.value.code, ei.value.request_id) == (
        f"PUT {URL}", 422, "10015", "r-1")
    assert len(seen) == 1 and dl.slept == [] and t.counters.retries == 0


def test_a_body_over_the_cap_is_refused() -> None:
    class Big(httpx.SyncByteStream):
        def __iter__(self):
            yield b"x" * transport.MAX_BODY_BYTES
            yield b"y"

    t, _, _ = make(lambda r: httpx.Response(200, stream=Big()))
    with pytest.raises(ApiError) as ei:
        t.request("GET", "/x")
    assert (ei.value.call, ei.value.status, ei.value.code, ei.value.title, ei.value.detail) == (
        "GET /x", 200, "invalid_response", "response body too large", f"more than {transport.MAX_BODY_BYTES} bytes")
    assert type(ei.value) is ApiError
    t, _, _ = make(lambda r: httpx.Response(200, content=b"1" * 10))
    assert t.request("GET", "/x") == (200, 1111111111)


def test_every_answer_is_shown_to_the_observers_the_clock_and_the_limiter() -> None:
    t, _, rec = make(lambda r: jresp(404, {}, {"date": "Sun, 06 Dec 2026 20:00:00 GMT", "x-a": "1"}))
    told = []
    t.observers.append(lambda call, status, headers: told.append((call, status, headers["x-a"])))
    t.request("GET", "/x", allow_status=[404])
    assert told == [("GET /x", 404, "1")]
    assert abs(t.server_clock.now() - 1796587200.5) < 60  # Telnyx's clock, learned from `Date`
    assert rec.released[0][0]["x-a"] == "1" and rec.released[0][1] == 404


# ---------------------------------------------------------------- retries of idempotent calls


def test_5xx_and_dropped_connections_are_retried_with_backoff(top_jitter) -> None:
    seen, h = answers(jresp(503, {}), httpx.RemoteProtocolError("eof"), jresp(500, {}), jresp(200, {"ok": 1}))
    t, dl, _ = make(h, max_retries=3)
    assert t.request("GET", "/x") == (200, {"ok": 1})
    assert len(seen) == 4 and dl.slept == [0.5, 1.0, 2.0] and t.counters.retries == 3
    assert t.counters.count("GET /x") == 4


@pytest.mark.parametrize("status", sorted(transport.RETRY_STATUSES - {429}))
def test_each_retry_status_is_retried(status, top_jitter) -> None:
    seen, h = answers(jresp(status, {}), jresp(200, {}))
    t, dl, _ = make(h)
    assert t.request("DELETE", "/x")[0] == 200 and len(seen) == 2 and dl.slept == [0.5]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 501, 505])
def test_other_statuses_are_not_retried(status) -> None:
    seen, h = answers(jresp(status, {}))
    t, dl, _ = make(h)
    with pytest.raises(ApiError) as ei:
        t.request("GET", "/x")
    assert ei.value.status == status and len(seen) == 1 and dl.slept == []


def test_giving_up_on_an_error_answer_keeps_its_words(top_jitter) -> None:
    seen, h = answers(jresp(502, {"errors": [{"code": "bad_gw", "title": "Bad gateway", "detail": "upstream"}]},
                            {"x-request-id": "rq"}))
    t, dl, _ = make(h, max_retries=2)
    with pytest.raises(ApiUnavailable) as ei:
        t.request("GET", "/x")
    e = ei.value
    assert (e.call, e.status, e.code, e.title, e.request_id) == ("GET /x", 502, "bad_gw", "Bad gateway", "rq")
    assert e.detail == "upstream (gave up after 3 attempts)" and len(seen) == 3 and dl.slept == [0.5, 1.0]
    seen, h = answers(jresp(503, {"errors": [{"code": "c", "title": "T"}]}))
    t, _, _ = make(h, max_retries=0)
    with pytest.raises(ApiUnavailable) as ei:
        t.request("GET", "/x")
    assert ei.value.detail == "HTTP 503 (gave up after 1 attempts)" and len(seen) == 1


def test_giving_up_on_a_dropped_connection_says_so(top_jitter) -> None:
    seen, h = answers(httpx.ReadError(f"reset {SECRET}"))
    t, dl, _ = make(h, max_retries=1)
    with pytest.raises(ApiUnavailable) as ei:
        t.request("GET", "/x")
    e = ei.value
    assert (e.status, e.code, e.title, e.detail) == (None, "unreachable", "connection failed (ReadError)",
                                                     "gave up after 2 attempts")
    assert dl.slept == [0.5] and len(seen) == 2


def test_a_timeout_after_an_answer_is_retried_and_worded(top_jitter) -> None:
    seen, h = answers(jresp(200, {}), httpx.ReadTimeout("slow"), httpx.WriteTimeout("slow"))
    t, dl, _ = make(h, max_retries=1, timeout=2.0)
    assert t.request("GET", "/x")[0] == 200
    with pytest.raises(ApiUnavailable) as ei:
        t.request("GET", "/x")
    assert ei.value.title == "timed out after 2.0s (WriteTimeout)" and ei.value.code == "unreachable"
    assert len(seen) == 3 and dl.slept == [0.5]


def test_no_answer_yet_and_a_timeout_is_said_at_once() -> None:
    seen, h = answers(httpx.ReadTimeout("slow"))
    t, dl, _ = make(h, timeout=2.5)
    with pytest.raises(ApiUnavailable) as ei:
        t.request("GET", "/x")
    e = ei.value
    assert (e.status, e.code, e.title) == (None, "no_answer", "no answer")
    assert e.detail == (f"{BASE} took the connection but did not answer within 2.5s (--request-timeout), and "
                        "nothing there has answered in this run: is it the Telnyx API (or the sandbox)? A port "
                        "that speaks another protocol looks like this. Not retried")
    assert len(seen) == 1 and dl.slept == []


def test_no_answer_yet_and_a_dropped_connection_is_retried(top_jitter) -> None:
    seen, h = answers(httpx.RemoteProtocolError("eof"), jresp(200, {}))
    t, dl, _ = make(h)
    assert t.request("GET", "/x")[0] == 200 and dl.slept == [0.5]


def test_a_429_waits_for_its_reset_and_blocks_the_limiter(top_jitter) -> None:
    seen, h = answers(jresp(429, {}, {"retry-after": "3"}), jresp(429, {}, {"retry-after": "20"}), jresp(200, {}))
    t, dl, rec = make(h)
    assert t.request("GET", "/x")[0] == 200
    assert dl.slept == [3 + 0.4, 20 + 1.0] and rec.blocked == [3.0, 20.0] and t.counters.retries == 2


def test_a_429_without_a_reset_backs_off(top_jitter) -> None:
    seen, h = answers(jresp(429, {}), jresp(200, {}))
    t, dl, rec = make(h)
    assert t.request("GET", "/x")[0] == 200 and dl.slept == [0.5] and rec.blocked == []


def test_a_429_to_a_post_is_retried_without_a_re_read(top_jitter) -> None:
    seen, h = answers(jresp(429, {}, {"retry-after": "1"}), jresp(200, {"x": 1}))
    t, dl, _ = make(h)
    read = []
    assert t.request("POST", URL, took_effect=lambda: read.append(1)) == (200, {"x": 1})
    assert read == [] and dl.slept == [1 + 0.2]


def test_giving_up_on_429s_keeps_the_answer(top_jitter) -> None:
    seen, h = answers(jresp(429, {"errors": [{"code": "10011", "title": "Too many"}]}, {"retry-after": "0"}))
    t, dl, _ = make(h, max_retries=1)
    with pytest.raises(ApiUnavailable) as ei:
        t.request("GET", "/x")
    assert (ei.value.status, ei.value.code, ei.value.detail) == (429, "10011", "HTTP 429 (gave up after 2 attempts)")
    assert dl.slept == [0.1]


# ---------------------------------------------------------------- writes that may have taken effect


@pytest.mark.parametrize("first", [jresp(500, {}), jresp(408, {}), httpx.ReadTimeout("t"), httpx.ReadError("r")])
def test_a_post_is_re_read_before_a_retry(first, top_jitter) -> None:
    seen, h = answers(first, jresp(200, {"done": 1}))
    t, dl, _ = make(h)
    read = []
    assert t.request("POST", URL, took_effect=lambda: read.append(1) or None) == (200, {"done": 1})
    assert read == [1] and len(seen) == 2 and dl.slept == [0.5]


@pytest.mark.parametrize("first", [jresp(503, {}), httpx.ReadTimeout("t")])
def test_a_post_that_took_effect_returns_the_re_read(first) -> None:
    seen, h = answers(first)
    t, dl, _ = make(h)
    assert t.request("POST", URL, took_effect=lambda: {"reread": 1}) == (0, {"reread": 1})
    assert len(seen) == 1 and dl.slept == [] and t.counters.retries == 0


def test_a_write_marked_idempotent_is_retried_without_a_re_read(top_jitter) -> None:
    seen, h = answers(jresp(500, {}), jresp(200, {}))
    t, dl, _ = make(h)
    read = []
    assert t.request("POST", URL, idempotent=True, took_effect=lambda: read.append(1))[0] == 200
    assert read == [] and len(seen) == 2


def test_a_put_marked_not_idempotent_is_re_read() -> None:
    seen, h = answers(jresp(500, {}))
    t, _, _ = make(h)
    assert t.request("PUT", URL, idempotent=False, took_effect=lambda: "there") == (0, "there")


def test_a_post_with_no_re_read_is_not_repeated() -> None:
    e, _, _ = refusal(httpx.ReadTimeout("t"), method="POST", template=URL, timeout=1.0)
    assert type(e) is ApiUnavailable
    assert (e.call, e.status, e.code, e.title) == (f"POST {URL}", None, "ambiguous", "write outcome unknown")
    assert e.detail == "timed out after 1.0s (ReadTimeout); not retried because the write may have taken effect"
    e, seen, dl = refusal(jresp(502, {"errors": [{"code": "gw", "title": "Bad gateway"}]}), method="POST", template=URL)
    assert type(e) is ApiUnavailable
    assert (e.status, e.code) == (502, "gw") and len(seen) == 1 and dl.slept == []


def test_a_re_read_that_fails_says_so_without_its_text() -> None:
    def boom():
        raise KeyError(SECRET)

    t, _, _ = make(answers(jresp(500, {}))[1])
    with pytest.raises(ApiUnavailable) as ei:
        t.request("POST", URL, took_effect=boom)
    e = ei.value
    assert (e.call, e.status, e.code, e.title, e.detail) == (f"POST {URL}", None, "verify_failed",
                                                             "could not verify write", "KeyError")
    t, _, _ = make(answers(httpx.ReadTimeout("t"))[1])
    with pytest.raises(ApiUnavailable) as ei:
        t.request("POST", URL, took_effect=boom)
    assert (ei.value.call, ei.value.code) == (f"POST {URL}", "verify_failed")
    refused = ApiError("GET /x", 404, code="10005")

    def refuses():
        raise refused

    t, _, _ = make(answers(jresp(500, {}))[1])
    with pytest.raises(ApiError) as ei:
        t.request("POST", URL, took_effect=refuses)
    assert ei.value is refused


def test_a_post_retried_until_it_gives_up_re_reads_each_time(top_jitter) -> None:
    seen, h = answers(jresp(500, {}))
    t, dl, _ = make(h, max_retries=2)
    read = []
    with pytest.raises(ApiUnavailable, match=r"gave up after 3 attempts"):
        t.request("POST", URL, took_effect=lambda: read.append(1))
    assert len(read) == 3 and len(seen) == 3


# ---------------------------------------------------------------- never sent


def test_a_refused_connection_is_tried_three_times_quickly() -> None:
    e, seen, dl = refusal(httpx.ConnectError("[Errno 111] Connection refused"), method="POST", template=URL,
                          max_retries=6)
    assert type(e) is ApiUnavailable and (e.status, e.code, e.title) == (None, "connect", "cannot connect")
    assert e.detail == (f"connection refused by {BASE}: nothing listens there (wrong port, or the server is down) "
                        f"(tried {CONNECT_RETRIES + 1} times)")
    assert CONNECT_RETRIES == 2 and len(seen) == 3 and dl.slept == [0.5, 1.0]  # no backoff: quick


def test_a_connect_timeout_is_worded_as_one() -> None:
    seen, h = answers(httpx.ConnectTimeout("slow"), jresp(200, {}))
    t, dl, _ = make(h, timeout=4.0)
    assert t.request("GET", "/x")[0] == 200 and dl.slept == [0.5]
    seen, h = answers(httpx.ConnectTimeout("slow"))
    t, _, _ = make(h, timeout=4.0)
    with pytest.raises(ApiUnavailable, match=f"timed out connecting to {BASE} after 4s "):
        t.request("GET", "/x")


def test_a_pool_timeout_is_retried_with_backoff_even_for_a_post(top_jitter) -> None:
    seen, h = answers(httpx.PoolTimeout("pool"), jresp(200, {}))
    t, dl, _ = make(h)
    read = []
    assert t.request("POST", URL, took_effect=lambda: read.append(1))[0] == 200
    assert read == [] and dl.slept == [0.5] and t.counters.retries == 1
    seen, h = answers(httpx.PoolTimeout("pool"))
    t, dl, _ = make(h, max_retries=1)
    with pytest.raises(ApiUnavailable) as ei:
        t.request("GET", "/x")
    assert (ei.value.title, ei.value.detail) == ("cannot connect (PoolTimeout)", "gave up after 2 attempts")


def test_a_tls_failure_is_said_at_once() -> None:
    err = httpx.ConnectError("handshake")
    err.__cause__ = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    seen, h = answers(err)
    t, dl, _ = make(h)
    with pytest.raises(ApiUnavailable) as ei:
        t.request("GET", "/x")
    assert ei.value.title == "TLS handshake failed" and len(seen) == 1 and dl.slept == []
    assert ei.value.call == "GET /x" and ei.value.detail.startswith(f"{BASE} does not answer in TLS")
    assert ei.value.__suppress_context__


# ---------------------------------------------------------------- the deadline and the slots


def test_a_deadline_passed_stops_the_call_before_it_is_sent() -> None:
    seen, h = answers(jresp(200, {}))
    t, dl, _ = make(h, deadline=0)
    with pytest.raises(ApiUnavailable, match="deadline exceeded") as ei:
        t.request("GET", "/x")
    assert ei.value.code == "deadline" and seen == []


def test_the_attempt_timeout_shrinks_to_the_deadline() -> None:
    seen, h = answers(jresp(200, {}))
    t, _, _ = make(h, timeout=30.0, deadline=2.0)
    t.request("GET", "/x")
    got = seen[0].extensions["timeout"]["read"]
    assert 1.0 < got <= 2.0
    seen, h = answers(jresp(200, {}))
    t, _, _ = make(h, timeout=30.0, deadline=0.5)
    t.request("GET", "/x")
    assert 0 < seen[0].extensions["timeout"]["read"] <= 0.5
    seen, h = answers(jresp(200, {}))
    t, _, _ = make(h, timeout=1.5, deadline=60.0)
    t.request("GET", "/x")
    assert seen[0].extensions["timeout"]["read"] == 1.5


def test_a_retry_that_would_pass_the_deadline_is_not_slept() -> None:
    seen, h = answers(jresp(429, {}, {"retry-after": "60"}))
    t, dl, _ = make(h, deadline=5.0)
    with pytest.raises(ApiUnavailable, match="deadline exceeded"):
        t.request("GET", "/x")
    assert len(seen) == 1 and dl.slept == []


def test_a_full_set_of_slots_waits_no_longer_than_the_deadline() -> None:
    t, dl, _ = make(lambda r: jresp(200, {}), concurrency=1, deadline=0.05)
    assert t._slots.acquire(blocking=False)
    with pytest.raises(ApiUnavailable) as ei:
        t.request("GET", "/x")
    assert (ei.value.code, ei.value.title) == ("deadline", "deadline exceeded")
    t._slots.release()


def test_the_rate_limit_wait_past_the_deadline_frees_its_slot() -> None:
    t, dl, _ = make(lambda r: jresp(200, {}), concurrency=1, deadline=30.0)
    asked = []

    def too_late(at):  # what the limiter raises when its wait would pass `at`
        asked.append(at)
        raise TimeoutError

    t.limiter.acquire = too_late  # type: ignore[method-assign]
    with pytest.raises(ApiUnavailable) as ei:
        t.request("GET", "/x")
    assert (ei.value.code, ei.value.title, ei.value.detail) == (
        "deadline", "deadline exceeded", "waiting for the rate limit would pass the deadline")
    assert asked == [dl.at] and dl.at is not None
    assert t._slots.acquire(blocking=False)  # the slot came back
    t._slots.release()


def test_a_limiter_that_fails_frees_its_slot() -> None:
    t, _, _ = make(lambda r: jresp(200, {}), concurrency=1)

    def broken(at):
        raise KeyboardInterrupt

    t.limiter.acquire = broken  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        t.request("GET", "/x")
    assert t._slots.acquire(blocking=False)


def test_every_attempt_returns_its_slot_and_its_ticket() -> None:
    seen, h = answers(httpx.ReadError("r"), jresp(200, {}))
    t, _, rec = make(h, concurrency=1)
    t.request("GET", "/x")
    assert [s for _, s in rec.released] == [None, 200] and rec.released[0][0] is None
    assert t._slots.acquire(blocking=False)


def test_without_a_deadline_a_call_waits_for_a_free_slot() -> None:
    """No deadline: a call waits for a slot as long as it takes (not one request timeout)."""
    import threading

    t, _, _ = make(lambda r: jresp(200, {"ok": 1}), concurrency=1, timeout=0.05)
    assert t._slots.acquire(blocking=False)
    got = []
    waiter = threading.Thread(target=lambda: got.append(t.request("GET", "/x")), daemon=True)
    waiter.start()
    waiter.join(0.5)  # ten request timeouts
    assert waiter.is_alive() and got == []
    t._slots.release()
    waiter.join(5)
    assert got == [(200, {"ok": 1})]


def test_each_retry_and_re_read_is_logged(caplog, top_jitter) -> None:
    import logging

    caplog.set_level(logging.DEBUG, logger="reconciler.live")
    seen, h = answers(jresp(503, {}), jresp(200, {}))
    t, _, _ = make(h)
    t.request("POST", URL, took_effect=lambda: None)
    said = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert said == [
        ("DEBUG", f"POST {URL}"),
        ("DEBUG", f"POST {URL} -> 503"),
        ("INFO", f"POST {URL}: outcome unknown, re-reading state before any retry"),
        ("INFO", f"POST {URL}: HTTP 503; retry 1/3 in 0.50s"),
        ("DEBUG", f"POST {URL}"),
        ("DEBUG", f"POST {URL} -> 200"),
    ]


def test_a_429_waits_at_least_its_reset(monkeypatch) -> None:
    monkeypatch.setattr(transport.random, "uniform", lambda a, b: a)  # every draw at its floor
    seen, h = answers(jresp(429, {}, {"retry-after": "3"}), jresp(200, {}))
    t, dl, _ = make(h)
    assert t.request("GET", "/x")[0] == 200 and dl.slept == [3.0]


def test_a_body_of_exactly_the_cap_is_read() -> None:
    cap = transport.MAX_BODY_BYTES
    t, _, _ = make(lambda r: httpx.Response(200, content=b" " * (cap - 1) + b"7"))
    assert t.request("GET", "/x") == (200, 7)


def test_the_body_is_read_chunk_by_chunk_after_the_headers_are_seen() -> None:
    """Streamed: the observers, the server clock and the caps see the answer before its body is read."""
    events = []

    class Chunks(httpx.SyncByteStream):
        def __iter__(self):
            for part in (b'{"a":', b' [1,', b' 2]}'):
                events.append(part)
                yield part

    t, _, _ = make(lambda r: httpx.Response(200, stream=Chunks()))
    t.observers.append(lambda call, status, headers: events.append(status))
    assert t.request("GET", "/x") == (200, {"a": [1, 2]})
    assert events == [200, b'{"a":', b' [1,', b' 2]}']


def test_a_3xx_is_not_a_success() -> None:
    e, seen, _ = refusal(httpx.Response(300, content=b'{"a": 1}', headers={"location": "/elsewhere"}))
    assert type(e) is ApiError and e.status == 300 and len(seen) == 1


def test_the_key_is_scrubbed_from_an_error_answer() -> None:
    e, _, _ = refusal(jresp(400, {"errors": [{"code": "1", "title": f"bad key {SECRET}"}]}))
    assert e.title == "bad key [REDACTED]"


def test_a_refused_connect_retried_past_the_deadline_names_the_call() -> None:
    e, seen, dl = refusal(httpx.ConnectError("Connection refused"), deadline=0.3)
    assert (e.call, e.code) == ("GET /x", "deadline") and len(seen) == 1 and dl.slept == []


def test_each_attempt_gives_back_the_ticket_it_took() -> None:
    seen, h = answers(httpx.ReadError("r"), jresp(500, {}), jresp(200, {}))
    t, _, rec = make(h)
    t.request("GET", "/x")
    acquired = [n for what, n in rec.tickets if what == "acquired"]
    assert len(acquired) == 3 and len(set(acquired)) == 3
    assert rec.tickets == [(what, n) for n in acquired for what in ("acquired", "released")]


def test_the_session_verifies_with_the_shared_tls_context() -> None:
    """No test transport: httpx's own, verifying with the cached context (the environment's CAs
    trusted except on loopback, where a proxy or CA variable has no business)."""
    remote = Transport(base_url=BASE, api_key=SECRET, timeout=1.0, concurrency=1, retry=RetryPolicy(),
                       limiter=RateLimiter(), counters=RequestCounters(), deadline=Deadline(),
                       server_clock=ServerClock())
    local = Transport(base_url="http://127.0.0.1:9/v2", api_key=SECRET, timeout=1.0, concurrency=1,
                      retry=RetryPolicy(), limiter=RateLimiter(), counters=RequestCounters(), deadline=Deadline(),
                      server_clock=ServerClock())
    try:
        assert remote._http._transport._pool._ssl_context is transport._tls_context(True)
        assert local._http._transport._pool._ssl_context is transport._tls_context(False)
    finally:
        remote.close()
        local.close()
