"""A small HTTP/1.1 server on asyncio (keep-alive, pipelining-safe, Content-Length bodies).

Why not `http.server`: its per-request header parsing (email.parser) and thread per connection
cost more than the handlers themselves; a Protocol on one event loop serves several thousand
list requests a second on one core and keeps every handler single-threaded (no locks).
Latency injection (`--latency-ms`) delays a response with `call_later`, never blocking the loop;
responses on one connection still go out in order.

No connection may hold the server forever (`Limits`, limits.py): a request head must arrive within
`header_timeout` (a new connection's first one counted from the connect, a later one from its
first byte), a body may not stall longer than that between two reads, a keep-alive connection
is closed after `idle_timeout` between requests, and a client that stops reading its responses
is cut after `idle_timeout` without progress. A late head or body is answered 408; an idle
connection is just closed. One sweep every fraction of the shortest timeout checks deadlines, so
the hot path only stores a number. At `max_connections`, a new connection closes the connection
that has waited longest without a complete request (a silent socket, an idle keep-alive one, a
trickling head); when every connection is in the middle of a request, the newcomer's request is
answered 503 with `Retry-After: 1`.

The admin surface takes no key on loopback, so whoever can reach the port could hold the server
with it: its refusals (Host, Content-Type, the key beyond loopback) are decided from the head,
before a byte of the body is read, and at most `ADMIN_BODIES` admin bodies may be arriving at
once (another is answered 503 at its head), so slow admin uploads can never take the
connections `/v2` clients need.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from reconciler.sandbox import errors as E
from reconciler.sandbox.app import REASONS, App
from reconciler.sandbox.limits import ADMIN_BODIES, MAX_HEAD, MAX_REQUEST_BODY, MAX_SEED_BODY, Limits
from reconciler.sandbox.responses import Response, json_response

# Headers a request may carry once: two lengths (or a length and chunking) are how requests are
# smuggled past a proxy, and two Hosts are refused by RFC 9112.
SINGLE_HEADERS = frozenset({"content-length", "transfer-encoding", "host"})

# Where a connection is: waiting for a request's first byte, inside its head, inside its body,
# or waiting for its own (delayed) response.
IDLE, HEAD, BODY, BUSY = "idle", "head", "body", "busy"


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
    def __init__(self, server: Server) -> None:
        self.server = server
        self.app = server.app
        self.limits = server.limits
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.sent_continue = False
        self.timer: asyncio.TimerHandle | None = None
        self.state = IDLE
        self.fresh = True  # no request answered yet: the first head counts from the connect
        self.over_cap = False  # admitted beyond max_connections: its request is answered 503
        self.admin_body = False  # an admin request's body is arriving (counted against ADMIN_BODIES)
        self.write_paused = False
        self.since = 0.0  # when it began waiting for a request (who goes first at the cap)
        self.deadline = 0.0  # loop time by which the current wait must end (not while BUSY)
        self.unsent = 0  # bytes still buffered for the client at the last sweep
        self.write_deadline = 0.0

    @property
    def loop_time(self) -> float:
        assert self.server.loop is not None
        return self.server.loop.time()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.since = self.loop_time
        self.deadline = self.since + self.limits.header_timeout
        self.server.admit(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.conns.discard(self)
        self.transport = None
        if self.timer is not None:
            self.timer.cancel()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    @property
    def evictable(self) -> bool:
        """Holds no complete request and owes the client nothing."""
        t = self.transport
        return t is not None and not t.is_closing() and self.state in (IDLE, HEAD) \
            and not t.get_write_buffer_size()

    def evict(self) -> None:
        """Make room for a new connection: a half-sent head is told why, a silent socket just closed."""
        if self.state == HEAD:
            self._reject(503, "too many open connections: this one sent no complete request in time",
                         E.UNEXPECTED, [("Retry-After", "1")])
        else:
            self.close()

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.state != BUSY and not self.write_paused:
            self._process()

    def pause_writing(self) -> None:
        # The client is not reading: stop reading its further requests until it catches up.
        self.write_paused = True
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.write_paused = False
        if self.transport is not None and self.state != BUSY:
            self.transport.resume_reading()
            self._process()

    def check(self, now: float) -> None:
        """One sweep: end this connection if it has kept the server waiting past its deadline."""
        t = self.transport
        if t is None:
            return
        pending = t.get_write_buffer_size()
        if pending:  # a response is still going out: the client must keep reading it
            if pending != self.unsent:
                self.unsent, self.write_deadline = pending, now + self.limits.idle_timeout
            elif now >= self.write_deadline:
                t.abort()
            return
        if self.unsent:  # it just drained: the idle wait starts now
            self.unsent = 0
            if self.state == IDLE:
                self.deadline = max(self.deadline, now + self.limits.idle_timeout)
        if self.state == BUSY or t.is_closing() or now < self.deadline:
            return
        if self.state == IDLE:
            self.close()
        else:
            self._reject(408, f"the request did not arrive within {self.limits.header_timeout:g} s")

    def _reject(self, status: int, detail: str, code: str = E.BAD_REQUEST,
                headers: list[tuple[str, str]] | None = None) -> None:
        self._refuse(E.ApiError(status, code, detail), headers)

    def _refuse(self, err: E.ApiError, headers: list[tuple[str, str]] | None = None) -> None:
        """Answer `err` and close: whatever of the request is unread stays unread."""
        assert self.transport is not None
        resp = json_response(err.status, err.body(), headers)
        resp.headers.append(("Date", self.app.http_date()))
        self.transport.write(_serialize(resp, False))
        self.transport.close()
        self.buf.clear()
        self.admin_body = False

    def _idle(self) -> None:
        self.state = IDLE
        self.since = self.loop_time
        self.deadline = self.since + self.limits.idle_timeout

    def _process(self) -> None:
        while self.transport is not None and self.state != BUSY and not self.write_paused \
                and not self.transport.is_closing():
            buf = self.buf
            while buf[:2] == b"\r\n":  # stray CRLF between requests is allowed
                del buf[:2]
            end = buf.find(b"\r\n\r\n")
            if end > MAX_HEAD or (end < 0 and len(buf) > MAX_HEAD):
                self._reject(400, "request head too large")
                return
            if end < 0:
                if buf and self.state == IDLE:
                    self.state = HEAD
                    if not self.fresh:  # a later request's head counts from its first byte
                        self.deadline = self.loop_time + self.limits.header_timeout
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
                if not sep or not name or name != name.strip():  # no name, or folded / `Name :` (smuggling)
                    self._reject(400, "malformed header line")
                    return
                name = name.lower()
                if name in headers and name in SINGLE_HEADERS:
                    self._reject(400, f"more than one {name} header")
                    return
                headers[name] = value.strip()
            if self.over_cap:
                self._reject(503, f"too many open connections (at most {self.limits.max_connections}); "
                                  "retry in a moment", E.UNEXPECTED, [("Retry-After", "1")])
                return
            if "transfer-encoding" in headers:
                self._reject(411, "chunked request bodies are not supported; send Content-Length")
                return
            raw_length = headers.get("content-length", "0") or "0"
            path = target.split("?", 1)[0]
            admin = path.startswith("/_admin/")
            # Who may send it is decided before a byte of the body is read or buffered.
            if admin:
                refused = self.app.admin_refusal(method, headers)
                if refused is not None:
                    self._refuse(refused)
                    return
            limit = MAX_SEED_BODY if path == "/_admin/seed" else MAX_REQUEST_BODY
            if not raw_length.isdigit() or int(raw_length) > limit:
                self._reject(400 if not raw_length.isdigit() else 413, "bad Content-Length")
                return
            if target.startswith("/v2") and int(raw_length) and \
                    not self.app.authorized(headers.get("authorization", "")):
                self._reject(401, "Authentication failed: send Authorization: Bearer <key>")
                return
            total = end + 4 + int(raw_length)
            if len(buf) < total:
                if admin and not self.admin_body:
                    if sum(c.admin_body for c in self.server.conns) >= ADMIN_BODIES:
                        self._reject(503, f"{ADMIN_BODIES} admin request bodies are already arriving; "
                                          "retry in a moment", E.UNEXPECTED, [("Retry-After", "1")])
                        return
                    self.admin_body = True
                # A body may not stall longer than a head may take, counted from its last bytes.
                self.state = BODY
                self.deadline = self.loop_time + self.limits.header_timeout
                if headers.get("expect", "").lower() == "100-continue" and not self.sent_continue:
                    self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                    self.sent_continue = True
                return
            with memoryview(buf) as view:  # one copy of the body (a slice of the bytearray would make two)
                body = bytes(view[end + 4 : total])
            del buf[:total]
            self.admin_body = False
            self.sent_continue = False
            self.fresh = False
            connection = headers.get("connection", "").lower()
            keep = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
            resp = self.app.handle(method, target, headers, body)
            data = _serialize(resp, keep)
            if resp.delay > 0:
                self.state = BUSY
                self.transport.pause_reading()  # pipelined requests wait in the socket, not here
                loop = asyncio.get_running_loop()
                self.timer = loop.call_later(resp.delay, self._send_later, data, keep)
                return
            self.transport.write(data)
            if not keep:
                self.transport.close()
                return
            self._idle()

    def _send_later(self, data: bytes, keep: bool) -> None:
        self.timer = None
        if self.transport is None:
            return
        self.transport.write(data)
        if not keep:
            self.transport.close()
            return
        self._idle()
        if not self.write_paused:
            self.transport.resume_reading()
            self._process()


class Server:
    """Owns one event loop serving one App; run it in the foreground or a background thread."""

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0, limits: Limits | None = None) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.limits = limits or Limits()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self.conns: set[HttpProtocol] = set()
        self._thread: threading.Thread | None = None
        self._sweeper: asyncio.TimerHandle | None = None

    def bind(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._server = self.loop.run_until_complete(
            self.loop.create_server(lambda: HttpProtocol(self), self.host, self.port, backlog=512)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._sweeper = self.loop.call_later(self.limits.sweep_every, self._sweep)

    def admit(self, conn: HttpProtocol) -> None:
        """Count a new connection in; at the cap, make room or mark it to be answered 503."""
        if len(self.conns) >= self.limits.max_connections:
            open_ = [c for c in self.conns if c.transport is not None and not c.transport.is_closing()]
            if len(open_) >= self.limits.max_connections:
                waiting = [c for c in open_ if c.evictable]
                if waiting:
                    min(waiting, key=lambda c: c.since).evict()
                else:
                    conn.over_cap = True
        self.conns.add(conn)

    def _sweep(self) -> None:
        assert self.loop is not None
        now = self.loop.time()
        for conn in list(self.conns):
            conn.check(now)
        self._sweeper = self.loop.call_later(self.limits.sweep_every, self._sweep)

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
        if self._sweeper is not None:
            self._sweeper.cancel()
        self._server.close()
        for conn in list(self.conns):
            if conn.transport is not None and conn.transport.get_write_buffer_size():
                conn.transport.abort()  # a client that is not reading would hold wait_closed()
            else:
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
