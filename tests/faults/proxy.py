"""A tiny hostile HTTP server (stdlib) in front of the sandbox, for what the sandbox cannot produce.

`HostileProxy(upstream)` forwards every request to the sandbox unless `rule(req)` returns a
`Reply` (answer that instead) or `HANG` (accept, read the request, never answer). After a
forwarded request, `after(req, status)` runs (e.g. to make "someone else" change the account
at exactly that moment through the sandbox's admin surface). `seen` lists every request.
"""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import json
from typing import Any, Callable
from urllib.parse import urlsplit


@dataclass
class Req:
    method: str
    path: str  # without the query, e.g. /v2/10dlc/phone_number_campaigns
    query: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    drop_after_headers: bool = False  # send headers and a partial body, then close


HANG = object()
Rule = Callable[[Req], "Reply | object | None"]


class HostileProxy:
    def __init__(self, upstream: str, rule: Rule | None = None,
                 after: Callable[[Req, int], None] | None = None) -> None:
        up = urlsplit(upstream)
        self.up_host, self.up_port = up.hostname or "127.0.0.1", up.port or 80
        self.rule, self.after = rule, after
        self.seen: list[Req] = []
        self._release = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                path, _, query = self.path.partition("?")
                req = Req(self.command, path, query, body, {k.lower(): v for k, v in self.headers.items()})
                proxy.seen.append(req)
                answer = proxy.rule(req) if proxy.rule else None
                if answer is HANG:
                    proxy._release.wait(60)
                    self.close_connection = True
                    return
                if isinstance(answer, Reply):
                    self._reply(answer)
                    return
                conn = http.client.HTTPConnection(proxy.up_host, proxy.up_port, timeout=30)
                try:
                    conn.request(self.command, self.path, body=body or None,
                                 headers={k: v for k, v in self.headers.items()
                                          if k.lower() not in ("host", "connection", "content-length")}
                                 | ({"Content-Length": str(len(body))} if body else {}))
                    resp = conn.getresponse()
                    data = resp.read()
                    status = resp.status
                    headers = {k: v for k, v in resp.getheaders()
                               if k.lower() not in ("content-length", "connection", "transfer-encoding", "date",
                                                    "server")}
                finally:
                    conn.close()
                if proxy.after:
                    proxy.after(req, status)
                self._reply(Reply(status, data, headers.pop("Content-Type", headers.pop("content-type", "")),
                                  headers))

            def _reply(self, r: Reply) -> None:
                self.send_response(r.status)
                if r.content_type:
                    self.send_header("Content-Type", r.content_type)
                for k, v in r.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(r.body) * (2 if r.drop_after_headers else 1)))
                self.end_headers()
                self.wfile.write(r.body)
                self.wfile.flush()
                if r.drop_after_headers:
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v2"

    def calls(self, method: str, path_part: str) -> list[Req]:
        return [r for r in self.seen if r.method == method and path_part in r.path]

    def close(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()
        time.sleep(0)

    def __enter__(self) -> "HostileProxy":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def rewriting(upstream: str, http: Any, rewrite: Callable[[Req, Any], None]) -> Rule:
    """A rule that answers every GET of /v2 as the sandbox at `upstream` does (fetched with the httpx
    client `http`), with `rewrite(req, body)` applied to its JSON first: what the sandbox cannot say."""
    def rule(req: Req) -> Reply | None:
        if req.method != "GET" or not req.path.startswith("/v2/"):
            return None
        answer = http.get(upstream + req.path[3:] + ("?" + req.query if req.query else ""),
                          headers={"Authorization": req.headers.get("authorization", "")})
        if answer.status_code != 200:
            return Reply(answer.status_code, answer.content)
        body = answer.json()
        rewrite(req, body)
        return Reply(200, json.dumps(body).encode())
    return rule
