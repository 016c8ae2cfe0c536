"""TelnyxClient against hostile and edge-case responses (httpx.MockTransport, real sockets for hangs)."""

from __future__ import annotations

import logging
import socket
import threading
import time

import httpx
import pytest

from reconciler.errors import ApiError, ApiUnavailable, ConfigError
from reconciler.live.client import TelnyxClient
from reconciler.live.errors import excerpt
from reconciler.live.urls import validate_base_url

from .conftest import BASE, SECRET, jresp, make_client


# ---------------------------------------------------------------- base URL and key


@pytest.mark.parametrize("url", [
    "https://api.telnyx.com/v2", "http://127.0.0.1:8765/v2", "http://localhost:1/v2", "http://[::1]:9/v2",
    "http://127.0.0.2/v2", "https://api.telnyx.com/v2/",
])
def test_base_url_accepted(url):
    assert validate_base_url(url) == url.rstrip("/")


@pytest.mark.parametrize("url", [
    "http://api.telnyx.com/v2", "http://127.0.0.1.evil.example/v2", "http://10.0.0.1/v2", "ftp://x/v2",
    "api.telnyx.com/v2", "", "https://user:pw@api.telnyx.com/v2", "http://localhost.evil.example/v2",
    "https://api.telnyx.com/v2?x=1", "https://api.telnyx.com:99999/v2",
])
def test_base_url_refused(url):
    with pytest.raises(ConfigError):
        validate_base_url(url)


def test_plain_http_refused_by_client():
    with pytest.raises(ConfigError, match="plain http"):
        TelnyxClient(base_url="http://api.telnyx.com/v2", api_key=SECRET)


def test_missing_key_refused():
    with pytest.raises(ConfigError):
        TelnyxClient(base_url=BASE, api_key="  ")


def test_auth_header_only_and_timeouts_set(client_for):
    seen = {}

    def h(req: httpx.Request):
        seen["auth"] = req.headers.get("authorization")
        seen["url"] = str(req.url)
        seen["timeout"] = req.extensions.get("timeout")
        return jresp(200, {"data": {}})

    c = client_for(h)
    c.get_json("/messaging_profiles/{id}", path={"id": "p1"})
    assert seen["auth"] == f"Bearer {SECRET}"
    assert SECRET not in seen["url"]
    assert all(v for v in seen["timeout"].values())


def test_path_params_are_percent_encoded(client_for):
    seen = []
    c = client_for(lambda r: seen.append(r.url.raw_path) or jresp(200, {}))
    c.get("/10dlc/phone_number_campaigns/{phoneNumber}", path={"phoneNumber": "+13125550100"})
    assert seen == [b"/v2/10dlc/phone_number_campaigns/%2B13125550100"]


# ---------------------------------------------------------------- error shapes


def test_errors_array_shape(client_for):
    body = {"errors": [{"code": "10005", "title": "Resource not found", "detail": "no such campaign",
                        "source": {"pointer": "/campaignId"}}]}
    c = client_for(lambda r: jresp(404, body, {"x-request-id": "req-1"}))
    with pytest.raises(ApiError) as ei:
        c.post("/10dlc/phone_number_campaigns", json={"phoneNumber": "+13125550100", "campaignId": "CX"})
    e = ei.value
    assert type(e) is ApiError
    assert (e.call, e.status, e.code, e.title, e.request_id) == (
        "POST /10dlc/phone_number_campaigns", 404, "10005", "Resource not found", "req-1")
    assert "no such campaign" in e.detail and "/campaignId" in e.detail
    assert str(e).startswith("POST /10dlc/phone_number_campaigns: HTTP 404 [10005] Resource not found")


def test_fastapi_detail_shape(client_for):
    body = {"detail": [{"loc": ["query", "recordsPerPage"], "msg": "ensure this value is <= 500",
                        "type": "value_error.number.not_le"}]}
    c = client_for(lambda r: jresp(422, body))
    with pytest.raises(ApiError) as ei:
        c.get("/10dlc/partner_campaigns")
    e = ei.value
    assert e.status == 422 and e.code == "value_error.number.not_le"
    assert "query.recordsPerPage: ensure this value is <= 500" in e.detail


def test_message_shape_on_500_post_not_retried_without_verify(client_for):
    calls = []
    c = client_for(lambda r: calls.append(1) or jresp(500, {"message": "Error searching for phone numbers"}))
    with pytest.raises(ApiUnavailable) as ei:
        c.post("/10dlc/phoneNumberAssignmentByProfile", json={"messagingProfileId": "p"})
    assert ei.value.title == "Error searching for phone numbers" and ei.value.status == 500
    assert len(calls) == 1


def test_html_502_page_is_retried_then_excerpted(client_for):
    page = ("<html><head><title>502 Bad Gateway</title><style>body{color:red}</style></head>"
            "<body><h1>502 Bad Gateway</h1><p>" + "nginx " * 200 + "</p></body></html>")
    calls = []
    c = client_for(lambda r: calls.append(1) or httpx.Response(502, text=page, headers={"content-type": "text/html"}),
                   max_retries=2)
    with pytest.raises(ApiUnavailable) as ei:
        c.get("/messaging_profiles")
    msg = str(ei.value)
    assert len(calls) == 3
    assert "502 Bad Gateway" in msg and "<" not in msg and "color:red" not in msg
    assert len(ei.value.detail) < 300


def test_non_json_200(client_for):
    c = client_for(lambda r: httpx.Response(200, text="OK, but not JSON \x00\x1b[31m", headers={"content-type": "text/plain"}))
    with pytest.raises(ApiError) as ei:
        c.get_json("/messaging_profiles")
    assert ei.value.code == "invalid_response" and "not JSON" in ei.value.title
    assert "\x00" not in str(ei.value) and "\x1b" not in str(ei.value)


def test_empty_200_body_where_json_expected(client_for):
    c = client_for(lambda r: httpx.Response(200, content=b""))
    with pytest.raises(ApiError, match="empty body"):
        c.get_json("/messaging_profiles")


def test_redirect_is_not_followed(client_for):
    c = client_for(lambda r: httpx.Response(302, headers={"location": "http://evil.example/"}))
    with pytest.raises(ApiError) as ei:
        c.get("/messaging_profiles")
    assert ei.value.status == 302


def test_excerpt_truncates_and_scrubs():
    out = excerpt(b"<p>" + SECRET.encode() + b" " + b"x" * 1000 + b"</p>", SECRET)
    assert SECRET not in out and "[REDACTED]" in out and len(out) <= 200


# ---------------------------------------------------------------- retries


def test_429_honours_ratelimit_reset(client_for):
    times = []

    def h(req):
        times.append(time.monotonic())
        if len(times) == 1:
            return jresp(429, {"errors": [{"code": "10011", "title": "Too many requests"}]},
                         {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "0.4"})
        return jresp(200, {"data": []})

    c = client_for(h)
    c.get("/messaging_profiles")
    assert len(times) == 2 and times[1] - times[0] >= 0.4
    assert c.requests.by_status[429] == 1 and c.requests.retries == 1


def test_429_honours_retry_after_when_longer(client_for):
    times = []

    def h(req):
        times.append(time.monotonic())
        if len(times) == 1:
            return jresp(429, {}, {"retry-after": "0.5", "x-ratelimit-reset": "0.1"})
        return jresp(200, {})

    client_for(h).get("/messaging_profiles")
    assert times[1] - times[0] >= 0.5


def test_5xx_and_transport_errors_retried_for_get(client_for):
    # (A timeout is retried once the server has answered at all: before that it means a wrong URL.)
    seq = [httpx.ConnectError("refused"), jresp(503, {"errors": [{"code": "10007", "title": "Unexpected error"}]}),
           httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("eof"), jresp(200, {"ok": 1})]

    def h(req):
        item = seq.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    c = client_for(h)
    assert c.get_json("/messaging_profiles") == {"ok": 1}
    assert c.count("GET /messaging_profiles") == 5 and c.requests.retries == 3  # the connect error: its own quick retry


def test_retries_exhausted_gives_api_unavailable(client_for):
    def h(req):
        raise httpx.RemoteProtocolError("eof")

    c = client_for(h, max_retries=3)
    with pytest.raises(ApiUnavailable) as ei:
        c.get("/messaging_profiles")
    assert "gave up after 4 attempts" in str(ei.value)
    assert c.count("GET /messaging_profiles") == 4


def test_a_connection_refused_is_said_in_seconds_with_the_url(client_for):
    def h(req):
        raise httpx.ConnectError("[Errno 111] Connection refused")

    c = client_for(h, max_retries=6)
    t0 = time.monotonic()
    with pytest.raises(ApiUnavailable) as ei:
        c.get("/messaging_profiles")
    assert time.monotonic() - t0 < 3
    assert "connection refused" in str(ei.value) and c.base_url in str(ei.value)
    assert c.count("GET /messaging_profiles") == 3  # two quick retries, not six with backoff


def test_a_real_closed_port_and_https_to_plain_http_are_reported_quickly(tmp_path):
    """Against real sockets: nothing listening, and TLS spoken to the plain-http sandbox."""
    import socket

    from reconciler.live import TelnyxClient
    from reconciler.sandbox import start_sandbox

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    closed = TelnyxClient(base_url=f"http://127.0.0.1:{port}/v2", api_key="k", timeout=5)
    t0 = time.monotonic()
    with pytest.raises(ApiUnavailable, match="connection refused"):
        closed.get("/messaging_profiles")
    assert time.monotonic() - t0 < 3
    with start_sandbox() as sb:
        # The sandbox holds a TLS hello for its header timeout (10 s): each try ends at the request
        # timeout, 1 s here (3 tries, 1.5 s of naps between), so the test waits 4.5 s, not 10.
        tls = TelnyxClient(base_url=sb.base_url.replace("http://", "https://"), api_key="k", timeout=1)
        t0 = time.monotonic()
        with pytest.raises(ApiUnavailable) as ei:
            tls.get("/messaging_profiles")
        took = time.monotonic() - t0
    assert took < 12, took  # never minutes (nor the 10 s header timeout per try): about 4.5 s here
    assert "https://" in str(ei.value) and ("plain http" in str(ei.value) or "TLS" in str(ei.value))


def test_4xx_not_retried(client_for):
    calls = []
    c = client_for(lambda r: calls.append(1) or jresp(400, {"errors": [{"code": "10015", "title": "Bad Request"}]}))
    with pytest.raises(ApiError):
        c.get("/messaging_profiles")
    assert len(calls) == 1


# ---------------------------------------------------------------- non-idempotent writes


def _post_server(first):
    calls = []

    def h(req):
        calls.append(req)
        if len(calls) == 1:
            if isinstance(first, Exception):
                raise first
            return first
        return jresp(200, {"phoneNumber": "+13125550100", "campaignId": "CAAAAA1"})

    return calls, h


@pytest.mark.parametrize("first", [jresp(500, {"errors": [{"code": "10007", "title": "x"}]}),
                                   httpx.ReadTimeout("read"), httpx.RemoteProtocolError("dropped")])
def test_post_retried_only_when_verify_says_not_taken(client_for, first):
    calls, h = _post_server(first)
    verified = []
    c = client_for(h)
    status, body = c.post("/10dlc/phone_number_campaigns", json={"phoneNumber": "+13125550100"},
                          took_effect=lambda: verified.append(1) or None)
    assert len(calls) == 2 and verified == [1] and status == 200


@pytest.mark.parametrize("first", [jresp(502, {}), httpx.ReadTimeout("read")])
def test_post_not_retried_when_verify_says_it_took_effect(client_for, first):
    calls, h = _post_server(first)
    c = client_for(h)
    status, body = c.post("/10dlc/phone_number_campaigns", json={}, took_effect=lambda: {"reread": True})
    assert len(calls) == 1 and status == 0 and body == {"reread": True}


def test_post_without_verify_is_not_retried_after_ambiguous_failure(client_for):
    calls, h = _post_server(httpx.ReadTimeout("read"))
    c = client_for(h)
    with pytest.raises(ApiUnavailable, match="may have taken effect"):
        c.post("/10dlc/phone_number_campaigns", json={})
    assert len(calls) == 1


def test_post_retried_without_verify_when_never_sent_or_429(client_for):
    for first in (httpx.ConnectError("refused"), jresp(429, {}, {"x-ratelimit-reset": "0"})):
        calls, h = _post_server(first)
        verified = []
        c = client_for(h)
        c.post("/10dlc/phone_number_campaigns", json={}, took_effect=lambda: verified.append(1))
        assert len(calls) == 2 and verified == []


# ---------------------------------------------------------------- deadline and hangs


def test_global_deadline(client_for):
    c = client_for(lambda r: jresp(503, {}), deadline=0.5, max_retries=100, backoff_base=0.05, backoff_cap=0.1)
    t0 = time.monotonic()
    with pytest.raises(ApiUnavailable, match="deadline exceeded"):
        c.get("/messaging_profiles")
    assert time.monotonic() - t0 < 1.0
    with pytest.raises(ApiUnavailable, match="deadline exceeded"):
        c.get("/messaging_profiles")


def test_deadline_not_slept_past_on_long_reset(client_for):
    c = client_for(lambda r: jresp(429, {}, {"x-ratelimit-reset": "60"}), deadline=1.0)
    t0 = time.monotonic()
    with pytest.raises(ApiUnavailable, match="deadline exceeded"):
        c.get("/messaging_profiles")
    assert time.monotonic() - t0 < 2.0  # raised at once: not the 60 s the reset asks for


@pytest.fixture
def hanging_server():
    """A loopback server that accepts, optionally trickles bytes, and never finishes."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    stop = threading.Event()
    mode = {"trickle": False}
    conns = []

    def serve():
        srv.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            conns.append(conn)
            if mode["trickle"]:
                threading.Thread(target=trickle, args=(conn,), daemon=True).start()

    def trickle(conn):
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n")
            while not stop.is_set():
                conn.sendall(b" ")
                time.sleep(0.05)
        except OSError:
            pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield srv.getsockname()[1], mode
    stop.set()
    t.join()
    for c in conns:
        c.close()
    srv.close()


@pytest.mark.parametrize("trickle", [False, True])
def test_hanging_connection_fails_within_timeout(hanging_server, trickle):
    port, mode = hanging_server
    mode["trickle"] = trickle
    c = TelnyxClient(base_url=f"http://127.0.0.1:{port}/v2", api_key=SECRET, timeout=0.3, max_retries=1,
                     backoff_base=0.001)
    t0 = time.monotonic()
    # Silent: nothing has answered, so at once; trickling: headers came, the attempt timed out.
    with pytest.raises(ApiUnavailable, match="timed out" if trickle else "did not answer within 0.3s"):
        c.get("/messaging_profiles")
    assert time.monotonic() - t0 < 2.0
    c.close()


def test_a_server_that_never_answers_is_said_within_the_request_timeout(hanging_server):
    """A port that takes the connection and says nothing (another protocol, a wrong URL): with the
    default retries, the run still ends one request timeout later, naming the URL."""
    port, mode = hanging_server
    mode["trickle"] = False
    c = TelnyxClient(base_url=f"http://127.0.0.1:{port}/v2", api_key=SECRET, timeout=0.5)
    t0 = time.monotonic()
    with pytest.raises(ApiUnavailable, match="did not answer within 0.5s") as ei:
        c.get("/messaging_profiles")
    assert time.monotonic() - t0 < 0.5 + 1.5
    assert f"http://127.0.0.1:{port}/v2" in str(ei.value) and c.count("GET /messaging_profiles") == 1
    c.close()


def test_once_the_server_has_answered_a_timeout_is_retried(client_for):
    calls = []

    def h(req):
        calls.append(req)
        if len(calls) == 1 or len(calls) == 4:
            return jresp(200, {"data": []})
        raise httpx.ReadTimeout("slow")

    c = client_for(h, max_retries=3)
    assert c.get("/messaging_profiles")[0] == 200
    assert c.get("/messaging_profiles")[0] == 200  # two timeouts, then an answer
    assert len(calls) == 4


# ---------------------------------------------------------------- secrets


def test_secret_never_in_errors_repr_or_debug_logs(client_for, caplog):
    echo = {"errors": [{"code": "10009", "title": f"Authentication failed for Bearer {SECRET}",
                        "detail": f"header was Authorization: Bearer {SECRET}"}]}
    caplog.set_level(logging.DEBUG)
    for status, body in [(401, echo), (200, f"<html>{SECRET}</html>"), (502, f"{SECRET}")]:
        def h(req, status=status, body=body):
            if isinstance(body, str):
                return httpx.Response(status, text=body)
            return jresp(status, body)

        c = client_for(h, max_retries=0)
        with pytest.raises(ApiError) as ei:
            c.get_json("/messaging_profiles")
        e = ei.value
        for text in (str(e), repr(e), repr(e.args), str(e.detail), str(e.title)):
            assert SECRET not in text
        assert SECRET not in repr(c)
    assert SECRET not in caplog.text
    assert "Bearer" not in caplog.text or SECRET not in caplog.text


def test_client_cannot_be_pickled():
    import pickle

    c = make_client(lambda r: jresp(200, {}))
    with pytest.raises(TypeError):
        pickle.dumps(c)


# ---------------------------------------------------------------- rate limiter and concurrency


def test_rate_limiter_paces_at_learned_rate_when_remaining_is_zero(client_for):
    """remaining=0, limit 2, reset 1 s: the bucket refills at ~2/s, so the next request waits ~0.5 s."""
    times = []

    def h(req):
        times.append(time.monotonic())
        return jresp(200, {}, {"x-ratelimit-limit": "2", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"})

    c = client_for(h)
    c.get("/messaging_profiles")
    c.get("/messaging_profiles")
    assert times[1] - times[0] >= 0.45
    assert c.limiter.rate == pytest.approx(2 * 0.97)


def test_rate_limiter_waits_for_429_reset(client_for):
    times = []

    def h(req):
        times.append(time.monotonic())
        if len(times) == 2:
            return jresp(429, {}, {"x-ratelimit-limit": "50", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "0.3"})
        return jresp(200, {}, {"x-ratelimit-limit": "50", "x-ratelimit-remaining": "40", "x-ratelimit-reset": "0.3"})

    c = client_for(h, concurrency=4)
    c.map_concurrent(lambda i: c.get("/messaging_profiles"), range(3))
    assert len(times) == 4 and times[-1] - times[1] >= 0.29


def test_rate_limiter_does_not_idle_when_budget_remains(client_for):
    c = client_for(lambda r: jresp(200, {}, {"x-ratelimit-limit": "100", "x-ratelimit-remaining": "90",
                                               "x-ratelimit-reset": "5"}))
    t0 = time.monotonic()
    for _ in range(20):
        c.get("/messaging_profiles")
    assert time.monotonic() - t0 < 1.0


def test_token_bucket_server_no_429_storm():
    """A server-side token bucket (rate 40/s, burst 10) and 8 workers: few 429s, near the rate."""
    lock = threading.Lock()
    state = {"tokens": 10.0, "t": time.monotonic(), "429": 0, "ok": 0}
    rate, cap = 40.0, 10

    def h(req):
        with lock:
            now = time.monotonic()
            state["tokens"] = min(cap, state["tokens"] + (now - state["t"]) * rate)
            state["t"] = now
            reset = f"{max(0.0, (cap - state['tokens']) / rate):.3f}"
            if state["tokens"] < 1:
                state["429"] += 1
                return jresp(429, {"errors": [{"code": "10011", "title": "Too many requests"}]},
                             {"x-ratelimit-limit": str(cap), "x-ratelimit-remaining": "0",
                              "x-ratelimit-reset": f"{(1 - state['tokens']) / rate:.3f}"})
            state["tokens"] -= 1
            state["ok"] += 1
            return jresp(200, {}, {"x-ratelimit-limit": str(cap),
                                   "x-ratelimit-remaining": str(int(state["tokens"])), "x-ratelimit-reset": reset})

    c = make_client(h, concurrency=8, backoff_base=0.05, backoff_cap=0.5)
    t0 = time.monotonic()
    c.map_concurrent(lambda i: c.get("/messaging_profiles"), range(80))
    elapsed = time.monotonic() - t0
    assert state["ok"] == 80
    assert state["429"] <= 8, state  # ≤ 10 % of requests
    assert elapsed < (80 - cap) / rate * 1.6 + 0.5, elapsed  # close to the ideal (70 / 40 s)


def test_map_concurrent_bounds_in_flight_requests():
    lock = threading.Lock()
    live = {"now": 0, "max": 0}

    def h(req):
        with lock:
            live["now"] += 1
            live["max"] = max(live["max"], live["now"])
        time.sleep(0.02)
        with lock:
            live["now"] -= 1
        return jresp(200, {"i": 1})

    c = make_client(h, concurrency=3)
    # nested map_concurrent must not exceed the bound either
    out = c.map_concurrent(lambda i: c.map_concurrent(lambda j: c.get_json("/messaging_profiles"), range(4)),
                           range(5))
    assert len(out) == 5 and live["max"] <= 3
    assert c.count("GET /messaging_profiles") == 20


def test_map_concurrent_propagates_first_error():
    c = make_client(lambda r: jresp(404, {"errors": [{"code": "10005", "title": "nope"}]}))
    with pytest.raises(ApiError, match="nope"):
        c.map_concurrent(lambda i: c.get("/messaging_profiles"), range(10))
