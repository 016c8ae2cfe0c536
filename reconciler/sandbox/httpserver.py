"""A small HTTP/1.1 server on asyncio (keep-alive, pipelining-safe, Content-Length bodies).

Why not `http.server`: its per-request header parsing (email.parser) and thread per connection
cost more than the handlers themselves; a Protocol on one event loop serves several thousand
list requests a second on one core and keeps every handler single-threaded (no locks).
Latency injection (`--latency-ms`) delays a response with `call_later`, never blocking the loop;
responses on one connection still go out in order.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from reconciler.sandbox.app import REASONS, App, Response, json_response
from reconciler.sandbox import errors as E

MAX_HEAD = 64 * 1024
MAX_BODY = 1024 * 1024 * 1024  # a million-number seed is a few hundred MB of JSON (POST /_admin/seed only)
MAX_REQUEST_BODY = 16 * 1024 * 1024  # every other request: far above any real one


def _serialize(resp: Response, keep_alive: bool) -> bytes:
    lines = [
        f"HTTP/1.1 {resp.status} {REASONS.get(resp.status, 'Status')}",
        "Content-Type: application/json",
        f"Content-Length: {len(resp.body)}",
        "Connection: keep-alive" if keep_alive else "Connection: close",
    ]
    lines.extend(f"{name}: {value}" for name, value in resp.headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + resp.body


class HttpProtocol(asyncio.Protocol):
    def __init__(self, app: App, conns: set[HttpProtocol]) -> None:
        self.app = app
        self.conns = conns
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.busy = False
        self.sent_continue = False
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.conns.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.conns.discard(self)
        self.transport = None
        if self.timer is not None:
            self.timer.cancel()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.busy:
            self._process()

    def _reject(self, status: int, detail: str) -> None:
        assert self.transport is not None
        resp = json_response(status, E.ApiError(status, E.BAD_REQUEST, detail).body())
        resp.headers.append(("Date", self.app.http_date()))
        self.transport.write(_serialize(resp, False))
        self.transport.close()
        self.buf.clear()

    def _process(self) -> None:
        while self.transport is not None and not self.busy:
            buf = self.buf
            while buf[:2] == b"\r\n":  # stray CRLF between requests is allowed
                del buf[:2]
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > MAX_HEAD:
                    self._reject(400, "request head too large")
                return
            lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
            parts = lines[0].split(" ")
            if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
                self._reject(400, "malformed request line")
                return
            method, target, version = parts
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                if not sep:
                    self._reject(400, "malformed header line")
                    return
                headers[name.strip().lower()] = value.strip()
            if "transfer-encoding" in headers:
                self._reject(411, "chunked request bodies are not supported; send Content-Length")
                return
            raw_length = headers.get("content-length", "0") or "0"
            limit = MAX_BODY if target.split("?", 1)[0] == "/_admin/seed" else MAX_REQUEST_BODY
            if not raw_length.isdigit() or int(raw_length) > limit:
                self._reject(400 if not raw_length.isdigit() else 413, "bad Content-Length")
                return
            if target.startswith("/v2") and int(raw_length) and \
                    not self.app.authorized(headers.get("authorization", "")):
                # The key is checked before a byte of the body is read or buffered.
                self._reject(401, "Authentication failed: send Authorization: Bearer <key>")
                return
            total = end + 4 + int(raw_length)
            if len(buf) < total:
                if headers.get("expect", "").lower() == "100-continue" and not self.sent_continue:
                    self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                    self.sent_continue = True
                return
            body = bytes(buf[end + 4 : total])
            del buf[:total]
            self.sent_continue = False
            connection = headers.get("connection", "").lower()
            keep = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
            resp = self.app.handle(method, target, headers, body)
            data = _serialize(resp, keep)
            if resp.delay > 0:
                self.busy = True
                loop = asyncio.get_running_loop()
                self.timer = loop.call_later(resp.delay, self._send_later, data, keep)
                return
            self.transport.write(data)
            if not keep:
                self.transport.close()
                return

    def _send_later(self, data: bytes, keep: bool) -> None:
        self.timer = None
        self.busy = False
        if self.transport is None:
            return
        self.transport.write(data)
        if not keep:
            self.transport.close()
            return
        self._process()


class Server:
    """Owns one event loop serving one App; run it in the foreground or a background thread."""

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self.conns: set[HttpProtocol] = set()
        self._thread: threading.Thread | None = None

    def bind(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._server = self.loop.run_until_complete(
            self.loop.create_server(lambda: HttpProtocol(self.app, self.conns), self.host, self.port, backlog=512)
        )
        self.port = self._server.sockets[0].getsockname()[1]

    def run_forever(self, install: Callable[[asyncio.AbstractEventLoop], Any] | None = None) -> None:
        assert self.loop is not None
        asyncio.set_event_loop(self.loop)
        if install is not None:
            install(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self._shutdown()

    def _shutdown(self) -> None:
        loop = self.loop
        assert loop is not None and self._server is not None
        self._server.close()
        for conn in list(self.conns):
            conn.close()
        loop.run_until_complete(self._server.wait_closed())
        for _ in range(3):  # let connection_lost callbacks run
            loop.run_until_complete(asyncio.sleep(0))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    def start_background(self) -> None:
        self.bind()
        self._thread = threading.Thread(target=self.run_forever, name="telnyx-sandbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self.loop is None or self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run fn on the server's loop thread and return its result (state is single-threaded)."""
        assert self.loop is not None
        done = threading.Event()
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["value"] = fn()
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                box["error"] = exc
            done.set()

        self.loop.call_soon_threadsafe(run)
        done.wait()
        if "error" in box:
            raise box["error"]
        return box.get("value")
