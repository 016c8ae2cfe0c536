"""The CI helpers' GitHub client holds up (issue 21 item 6): retries with backoff on 5xx and rate limits,
a total deadline per call, a page cap, https only (plain http only to loopback, never file:), bounded
bodies, and the URL named in every error. Against a scripted server on loopback; waits are recorded, not slept."""

from __future__ import annotations

import http.server
import json
import threading
import time
from typing import Any, Callable, Iterator

import pytest

from reconciler.ci.github import GitHub, GitHubError

Script = Callable[[http.server.BaseHTTPRequestHandler, int], None]


class Server:
    """Answers every request with `script(handler, n)` (n: the request's number, from 1)."""

    def __init__(self, script: Script) -> None:
        self.count = 0
        self.paths: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                server.count += 1
                server.paths.append(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                try:
                    script(self, server.count)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PATCH = _any  # noqa: N815

            def log_message(self, *a: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def answer(h: http.server.BaseHTTPRequestHandler, status: int, body: Any = None,
           headers: dict[str, str] | None = None) -> None:
    data = json.dumps(body if body is not None else {}).encode()
    h.send_response(status)
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)


@pytest.fixture
def serve() -> Iterator[Callable[[Script], Server]]:
    servers: list[Server] = []

    def start(script: Script) -> Server:
        servers.append(Server(script))
        return servers[-1]

    yield start
    for s in servers:
        s.stop()


def client(url: str, **kw: Any) -> tuple[GitHub, list[float]]:
    waits: list[float] = []
    kw.setdefault("sleep", waits.append)
    return GitHub(api_url=url, token="ghs-SECRET-token", repository="a/b", **kw), waits


def test_a_5xx_is_retried_with_growing_jittered_waits(serve):
    srv = serve(lambda h, n: answer(h, 502, {"message": "Bad Gateway"}) if n < 4 else answer(h, 200, {"ok": n}))
    gh, waits = client(srv.url, backoff=1.0)
    assert gh.request("GET", "/repos/{repo}") == {"ok": 4}
    assert srv.count == 4 and gh.retries == 3 and len(waits) == 3
    assert all(0 <= w <= cap for w, cap in zip(waits, (1, 2, 4)))  # full jitter under a doubling cap


def test_a_5xx_that_lasts_fails_naming_the_url_and_never_the_token(serve):
    srv = serve(lambda h, n: answer(h, 500, {"message": "boom ghs-SECRET-token"}))
    gh, waits = client(srv.url, attempts=3)
    with pytest.raises(GitHubError) as e:
        gh.request("GET", "/repos/{repo}/issues?state=open")
    text = str(e.value)
    assert f"GET {srv.url}/repos/a/b/issues failed after 3 attempts: HTTP 500" in text
    assert "ghs-SECRET-token" not in text and "state=open" not in text and srv.count == 3


def test_the_secondary_rate_limit_waits_what_retry_after_says(serve):
    srv = serve(lambda h, n: answer(h, 403, {"message": "You have exceeded a secondary rate limit"},
                                    {"Retry-After": "7"}) if n == 1 else answer(h, 200, []))
    gh, waits = client(srv.url)
    assert gh.request("GET", "/x") == [] and waits == [7.0]


def test_the_primary_rate_limit_waits_until_its_reset(serve):
    now = 1_800_000_000
    srv = serve(lambda h, n: answer(h, 403, {"message": "API rate limit exceeded"},
                                    {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(now + 20)})
                if n == 1 else answer(h, 200, []))
    gh, waits = client(srv.url, wall=lambda: float(now))
    assert gh.request("GET", "/x") == [] and waits == [21.0]


def test_a_rate_limit_past_the_deadline_fails_at_once_saying_so(serve):
    srv = serve(lambda h, n: answer(h, 429, {"message": "slow down"}, {"Retry-After": "3600"}))
    gh, waits = client(srv.url, deadline=60)
    with pytest.raises(GitHubError, match=r"rate limited \(HTTP 429\); waiting 3600 s more would pass the 60 s deadline"):
        gh.request("GET", "/x")
    assert waits == [] and srv.count == 1


def test_a_plain_403_or_404_is_not_retried(serve):
    srv = serve(lambda h, n: answer(h, 403, {"message": "Resource not accessible by integration"}))
    gh, _ = client(srv.url)
    with pytest.raises(GitHubError) as e:
        gh.request("GET", "/user")
    assert e.value.status == 403 and srv.count == 1


def test_a_dripping_answer_is_cut_off_at_the_deadline(serve):
    def drip(h: http.server.BaseHTTPRequestHandler, n: int) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", "1000000")
        h.end_headers()
        for _ in range(200):
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(0.05)

    srv = serve(drip)
    gh, _ = client(srv.url, deadline=1.0, sleep=time.sleep)
    started = time.monotonic()
    with pytest.raises(GitHubError, match="within the deadline"):
        gh.request("GET", "/slow")
    assert time.monotonic() - started < 5


def test_an_endless_chain_of_pages_stops_at_the_cap(serve):
    srv = serve(lambda h, n: answer(h, 200, [n], {"Link": f'<{srv.url}/list?page={n + 1}>; rel="next"'}))
    gh, _ = client(srv.url, max_pages=5)
    with pytest.raises(GitHubError, match=f"GET {srv.url}/list: more than 5 pages"):
        list(gh.paginate("/list"))
    assert srv.count == 5
    listing = gh.pages("/list", max_pages=3)
    assert list(listing) == [6, 7, 8] and listing.truncated


@pytest.mark.parametrize("url, why", [
    ("http://api.example.com", "refusing plain http:// to api.example.com"),
    ("file:///etc", "refusing scheme 'file'"),
    ("ftp://example.com", "refusing scheme 'ftp'"),
    ("https://user:pw@api.github.com", "must not carry credentials"),
])
def test_the_api_url_is_https_or_loopback_http_only(url, why):
    with pytest.raises(GitHubError, match=why):
        GitHub(api_url=url, token="t", repository="a/b")
    for ok in ("https://api.github.com", "https://ghe.example.com/api/v3", "http://127.0.0.1:9", "http://[::1]:9"):
        GitHub(api_url=ok, token="t", repository="a/b")


def test_a_download_redirect_to_a_file_url_is_refused(serve):
    srv = serve(lambda h, n: answer(h, 302, None, {"Location": "file:///etc/hostname"}))
    gh, _ = client(srv.url)
    with pytest.raises(GitHubError, match="download URL must be https://HOST/...; refusing scheme 'file'"):
        gh.download("/repos/{repo}/actions/artifacts/1/zip")


def test_a_download_follows_one_redirect_without_the_token_and_is_bounded(serve):
    seen: list[str | None] = []

    def blob(h: http.server.BaseHTTPRequestHandler, n: int) -> None:
        seen.append(h.headers.get("Authorization"))
        data = b"z" * 5000
        h.send_response(200)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    storage = serve(blob)
    api = serve(lambda h, n: answer(h, 302, None, {"Location": f"{storage.url}/blob/1"}))
    gh, _ = client(api.url)
    assert gh.download("/a/zip") == b"z" * 5000 and seen == [None]
    with pytest.raises(GitHubError, match="5000 bytes, over the 4096-byte bound"):
        gh.download("/a/zip", max_bytes=4096)


def test_a_huge_error_body_is_read_only_in_part(serve):
    def huge(h: http.server.BaseHTTPRequestHandler, n: int) -> None:
        h.send_response(422)
        h.send_header("Content-Length", str(200 * 1024 * 1024))
        h.end_headers()
        try:
            for _ in range(200 * 16):
                h.wfile.write(b"x" * 65536)
        except OSError:
            pass

    srv = serve(huge)
    gh, _ = client(srv.url)
    started = time.monotonic()
    with pytest.raises(GitHubError) as e:
        gh.request("POST", "/x", {"a": 1})
    assert "HTTP 422" in str(e.value) and len(str(e.value)) < 500 and time.monotonic() - started < 10


def test_a_json_answer_over_its_bound_is_refused(serve):
    def big(h: http.server.BaseHTTPRequestHandler, n: int) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(64 * 1024 * 1024))
        h.end_headers()

    srv = serve(big)
    gh, _ = client(srv.url)
    with pytest.raises(GitHubError, match=f"GET {srv.url}/x: the answer is 67108864 bytes, over the"):
        gh.request("GET", "/x")


def test_a_refused_connection_is_retried_then_named(serve):
    srv = serve(lambda h, n: answer(h, 200, {}))
    url = srv.url
    srv.stop()
    gh, waits = client(url, attempts=3)
    with pytest.raises(GitHubError, match=f"GET {url}/x failed after 3 attempts: connection failed"):
        gh.request("GET", "/x")
    assert len(waits) == 2
