"""Hostile input: the one list of attacks that the tests and `make faults` both run.

Each `Attack` tries one or more hostile inputs and returns one verdict per try: None when the
input was refused or made harmless, or a line saying what got through (the input was
*accepted*). The tests assert every verdict is None; `python -m tests.faults.report` prints, per
section, how many inputs were tried and how many were accepted, and fails if any was.

Sections: names (hostile YAML in the desired state), API fields (hostile values served by the
API), paths (ids that would become paths, planted links) and sandbox requests (bodies, admin
requests, the clock, connections that never finish).
"""

from __future__ import annotations

import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from reconciler.sandbox import Sandbox, start_sandbox

# The sandbox of these attacks: timeouts of a fraction of a second, so cutting a connection is quick.
HEADER_TIMEOUT = 0.3
IDLE_TIMEOUT = 0.6
SLACK = 0.5  # a timeout is enforced by a sweep: allow for it, and for a busy machine


# One of everything whose timestamps a broken clock would break.
SMALL_SEED: dict[str, Any] = {
    "messaging_profiles": [{"id": "4001767e-ce0f-4cae-9d5f-0d5e636e7809", "name": "alpha"}],
    "phone_numbers": [{"phone_number": "+13125550100", "messaging_profile_id": "4001767e-ce0f-4cae-9d5f-0d5e636e7809"}],
    "campaigns": [{"tcr_campaign_id": "CWZTFH1", "kind": "shared", "sharing_status": "ACCEPTED"}],
    "assignments": [{"phone_number": "+13125550100", "tcr_campaign_id": "CWZTFH1", "status": "ASSIGNED"}],
}


@dataclass(frozen=True)
class Attack:
    section: str
    name: str
    run: Callable[[Ctx], list[str | None]]

    @property
    def id(self) -> str:
        return f"{self.section}: {self.name}"


class Ctx:
    """What the attacks share: a scratch folder and one sandbox with small timeouts (started on demand)."""

    def __init__(self, tmp: Path | None = None) -> None:
        self._own = tmp is None
        self.tmp = Path(tempfile.mkdtemp(prefix="hostile.")) if tmp is None else tmp
        self._sb: Sandbox | None = None
        self._http: httpx.Client | None = None
        self._n = 0

    def sandbox(self) -> Sandbox:
        if self._sb is None:
            self._sb = start_sandbox(seed=SMALL_SEED, header_timeout=HEADER_TIMEOUT, idle_timeout=IDLE_TIMEOUT)
        return self._sb

    @property
    def http(self) -> httpx.Client:
        """One client for the plain requests (httpx.get() would build a TLS context each time)."""
        if self._http is None:
            self._http = httpx.Client(timeout=10)
        return self._http

    def folder(self, name: str) -> Path:
        self._n += 1
        path = self.tmp / f"{self._n:03d}-{name}"
        path.mkdir(parents=True)
        return path

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        if self._sb is not None:
            self._sb.stop()
            self._sb = None
        if self._own:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> Ctx:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


ATTACKS: list[Attack] = []


def attack(section: str, name: str) -> Callable[[Callable[[Ctx], list[str | None]]], Callable[[Ctx], list[str | None]]]:
    def register(fn: Callable[[Ctx], list[str | None]]) -> Callable[[Ctx], list[str | None]]:
        ATTACKS.append(Attack(section, name, fn))
        return fn
    return register


def section(name: str) -> list[Attack]:
    return [a for a in ATTACKS if a.section == name]


# ---- sandbox requests ------------------------------------------------------------------------

LOOPBACK = "127.0.0.1"


def raw_exchange(port: int, request: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes on a fresh connection; the answer's head (or b"" if closed without one)."""
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as s:
        s.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            try:
                chunk = s.recv(4096)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
        return data


def _refused(answer: bytes, status: int, what: str) -> str | None:
    if answer.startswith(f"HTTP/1.1 {status} ".encode()):
        return None
    return f"{what}: expected {status}, got {answer[:40]!r}"


def _closed_by(s: socket.socket, deadline: float) -> tuple[bool, bytes]:
    """Read until the server closes the socket or the deadline passes: (closed, what it said)."""
    said = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False, said
        s.settimeout(left)
        try:
            chunk = s.recv(4096)
        except (ConnectionResetError, BrokenPipeError):
            return True, said
        except socket.timeout:
            return False, said
        if not chunk:
            return True, said
        said += chunk


POST_TASK = b"POST /v2/10dlc/phoneNumberAssignmentByProfile HTTP/1.1\r\nHost: 127.0.0.1\r\n"
ADMIN_ADVANCE = b"POST /_admin/advance HTTP/1.1\r\n"


@attack("sandbox requests", "oversized bodies")
def oversized_bodies(ctx: Ctx) -> list[str | None]:
    """The key is checked before a body is read; every body is capped (a seed upload higher)."""
    port = ctx.sandbox().port
    t0 = time.monotonic()
    unauthenticated = raw_exchange(port, POST_TASK + b"Content-Type: application/json\r\n"
                                               b"Content-Length: 15000000\r\n\r\n")  # and no body at all
    quick = None if time.monotonic() - t0 < 2 else "a 401 waited for a body that never came"
    return [
        _refused(unauthenticated, 401, "15 MB without the key") or quick,
        _refused(raw_exchange(port, POST_TASK + b"Authorization: Bearer sandbox-key\r\n"
                                                b"Content-Length: 150000000\r\n\r\n"), 413, "150 MB with the key"),
        _refused(raw_exchange(port, ADMIN_ADVANCE + b"Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                                    b"Content-Length: 17000000\r\n\r\n"), 413, "17 MB admin body"),
        _refused(raw_exchange(port, b"POST /_admin/seed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                                    b"application/json\r\nContent-Length: 2000000000\r\n\r\n"), 413, "2 GB seed"),
        _refused(raw_exchange(port, b"GET /v2/messaging_profiles HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: "
                                    + b"a" * 70_000 + b"\r\n\r\n"), 400, "a 70 kB head"),
        _refused(raw_exchange(port, POST_TASK + b"Authorization: Bearer sandbox-key\r\n"
                                                b"Transfer-Encoding: chunked\r\n\r\n"), 411, "a chunked body"),
        _refused(raw_exchange(port, POST_TASK + b"Authorization: Bearer sandbox-key\r\n"
                                                b"Content-Length: -1\r\n\r\n"), 400, "a negative length"),
    ]


def _admin_post(host: bytes, content_type: bytes | None, body: bytes = b'{"seconds": 60}') -> bytes:
    head = ADMIN_ADVANCE + (b"Host: " + host + b"\r\n" if host else b"")
    if content_type is not None:
        head += b"Content-Type: " + content_type + b"\r\n"
    return head + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body


ADMIN_CONTENT_TYPES = [b"application/x-www-form-urlencoded", b"text/plain", b"multipart/form-data; boundary=x",
                       b"application/jsonp", None]
NON_LOOPBACK_HOSTS = [b"evil.example:80", b"10.0.0.1", b"127.0.0.1.nip.io", b"localhost.evil.example", b"0.0.0.0",
                      b""]


def _clock(sb: Sandbox, http: httpx.Client) -> str:
    return str(http.get(sb.admin_url + "/state").json()["now"])


@attack("sandbox requests", "admin bodies that are not JSON")
def admin_content_types(ctx: Ctx) -> list[str | None]:
    """A web page can make a browser post a form to loopback: the admin surface takes only JSON."""
    sb = ctx.sandbox()
    before = _clock(sb, ctx.http)
    out = [_refused(raw_exchange(sb.port, _admin_post(b"127.0.0.1", ct, b"seconds=60" if ct else b"{}")), 415,
                    f"Content-Type {ct!r}") for ct in ADMIN_CONTENT_TYPES]
    return out if _clock(sb, ctx.http)[:16] == before[:16] else out + ["the clock moved"]


@attack("sandbox requests", "admin requests to a non-loopback Host")
def admin_hosts(ctx: Ctx) -> list[str | None]:
    """DNS rebinding: a name that resolves to 127.0.0.1 still says its own name in Host."""
    sb = ctx.sandbox()
    return [_refused(raw_exchange(sb.port, _admin_post(h, b"application/json")), 403, f"Host {h!r}")
            for h in NON_LOOPBACK_HOSTS]


# Each must be refused with 400 and leave the clock where it was (1e300 once broke every response).
ADVANCE_SECONDS = [b"NaN", b"Infinity", b"-Infinity", b"1e300", b"1e400", b"-1", b"315576001",
                   b"100000000000000000000000000000000000000", b"true", b"null"]


def advance_refused(sb: Sandbox, raw: bytes, http: httpx.Client) -> str | None:
    """None if `{"seconds": raw}` is refused (400, naming the field and the range) and harmless."""
    before = _clock(sb, http)
    r = http.post(sb.admin_url + "/advance", content=b'{"seconds": ' + raw + b"}",
                  headers={"content-type": "application/json"})
    if r.status_code != 400:
        return f"seconds={raw.decode()}: answered {r.status_code}"
    error = r.json()["errors"][0]
    if "finite number from 0 to 315576000" not in error["detail"] or error["source"]["pointer"] != "/seconds":
        return f"seconds={raw.decode()}: refused without saying why: {error}"
    if _clock(sb, http)[:16] != before[:16]:
        return f"seconds={raw.decode()}: the clock moved"
    key = {"Authorization": f"Bearer {sb.api_key}"}
    for path in ("/messaging_profiles", "/10dlc/phone_number_campaigns", "/10dlc/phone_number_campaigns/+13125550100"):
        later = http.get(sb.base_url + path, headers=key)
        if later.status_code != 200:
            return f"seconds={raw.decode()}: GET {path} now answers {later.status_code}"
    return None


@attack("sandbox requests", "huge or odd advance seconds")
def huge_advance(ctx: Ctx) -> list[str | None]:
    sb = ctx.sandbox()
    return [advance_refused(sb, raw, ctx.http) for raw in ADVANCE_SECONDS]


HALF_OPEN = 200


@attack("sandbox requests", "half-open connections")
def half_open(ctx: Ctx) -> list[str | None]:
    """200 sockets that connect and send nothing are closed within the header timeout, while
    normal requests are served all along."""
    sb = ctx.sandbox()
    socks = [socket.create_connection((LOOPBACK, sb.port), timeout=5) for _ in range(HALF_OPEN)]
    deadline = time.monotonic() + HEADER_TIMEOUT + SLACK
    served = []
    with httpx.Client(base_url=sb.base_url, headers={"Authorization": f"Bearer {sb.api_key}"}, timeout=5) as c:
        while time.monotonic() < deadline - SLACK:
            t0 = time.monotonic()
            served.append(c.get("/messaging_profiles").status_code == 200 and time.monotonic() - t0 < 1)
            time.sleep(0.02)
    out: list[str | None] = []
    for s in socks:
        closed, _ = _closed_by(s, deadline)
        out.append(None if closed else f"a silent socket still open after {HEADER_TIMEOUT + SLACK:g} s")
        s.close()
    if not served or not all(served):
        out.append(f"normal requests not served while {HALF_OPEN} sockets were half-open: {served}")
    return out


def _slow(port: int, first: bytes, trickle: bytes = b"", every: float = 0.0, keep_alive_first: bool = False
          ) -> tuple[bool, bytes]:
    """Open a connection, send `first`, then one byte of `trickle` every `every` s; was it cut in time?"""
    with socket.create_connection((LOOPBACK, port), timeout=5) as s:
        if keep_alive_first:  # one good request first: the next head counts from its first byte
            s.sendall(b"GET /_admin/modes HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            _, said = _wait_answer(s)
        s.sendall(first)
        bound = time.monotonic() + HEADER_TIMEOUT + SLACK
        for byte in trickle:
            if time.monotonic() + every >= bound or select.select([s], [], [], every)[0]:
                break  # out of time, or the server said something: read it
            s.sendall(bytes([byte]))
        return _closed_by(s, bound)


def _wait_answer(s: socket.socket) -> tuple[bool, bytes]:
    s.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            return False, data
        data += chunk
    return True, data


SLOW_LORIS: dict[str, dict[str, Any]] = {
    "a partial request line, then silence": {"first": b"GET /v2/messaging_pro"},
    "a head trickled a byte at a time": {"first": b"GET /v2/messaging_profiles HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                                         "trickle": b"X-Slow: " + b"a" * 200, "every": HEADER_TIMEOUT / 6},
    "a body that stops halfway": {"first": POST_TASK + b"Authorization: Bearer sandbox-key\r\nContent-Type: "
                                           b"application/json\r\nContent-Length: 100\r\n\r\n{\"messaging"},
    "a second head that never ends": {"first": b"GET /_admin/modes HTTP/1.1\r\nHost: 1", "keep_alive_first": True},
}


@attack("sandbox requests", "slow-loris requests")
def slow_loris(ctx: Ctx) -> list[str | None]:
    """A request that never finishes is cut at the header timeout (408), however it trickles."""
    sb = ctx.sandbox()
    results: dict[str, tuple[bool, bytes]] = {}

    def one(name: str) -> None:
        results[name] = _slow(sb.port, **SLOW_LORIS[name])

    threads = [threading.Thread(target=one, args=(name,)) for name in SLOW_LORIS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out: list[str | None] = []
    for name, (closed, said) in results.items():
        last = said.rsplit(b"HTTP/1.1 ", 1)[-1]
        if not closed:
            out.append(f"{name}: still open after {HEADER_TIMEOUT + SLACK:g} s")
        elif not last.startswith(b"408 "):
            out.append(f"{name}: closed without a 408 ({said[:60]!r})")
        else:
            out.append(None)
    return out


@attack("sandbox requests", "idle keep-alive connections")
def idle_keep_alive(ctx: Ctx) -> list[str | None]:
    """A connection left idle after a response is closed after the idle timeout."""
    sb = ctx.sandbox()
    out: list[str | None] = []
    socks = []
    for _ in range(10):
        s = socket.create_connection((LOOPBACK, sb.port), timeout=5)
        s.sendall(b"GET /_admin/modes HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        _wait_answer(s)
        socks.append(s)
    deadline = time.monotonic() + IDLE_TIMEOUT + SLACK
    for s in socks:
        closed, _ = _closed_by(s, deadline)
        out.append(None if closed else f"an idle keep-alive connection still open after {IDLE_TIMEOUT + SLACK:g} s")
        s.close()
    return out


@attack("sandbox requests", "responses never read")
def never_reads(ctx: Ctx) -> list[str | None]:
    """A client that pipelines requests for big answers and reads none: the server stops reading
    its requests when its buffer is full and cuts it after the idle timeout without progress."""
    profile = SMALL_SEED["messaging_profiles"][0]["id"]
    seed = {"messaging_profiles": SMALL_SEED["messaging_profiles"],
            "phone_numbers": [{"phone_number": f"+1312555{i:04d}", "messaging_profile_id": profile}
                              for i in range(3000)]}
    with start_sandbox(seed=seed, header_timeout=HEADER_TIMEOUT, idle_timeout=IDLE_TIMEOUT) as sb, \
            socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect((LOOPBACK, sb.port))
        s.settimeout(5)
        s.sendall(b"GET /_admin/state HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 40)  # ~4 MB of answers
        deadline = time.monotonic() + IDLE_TIMEOUT + 2 * SLACK
        while time.monotonic() < deadline and sb.call(lambda: len(sb.server.conns)):
            time.sleep(0.05)
        held = sb.call(lambda: len(sb.server.conns))
    return [None if not held else f"a client that reads nothing still held after {IDLE_TIMEOUT + 2 * SLACK:g} s"]


FLOOD_CAP = 8


@attack("sandbox requests", "more connections than the cap")
def connection_flood(ctx: Ctx) -> list[str | None]:
    """Past `max_connections`, silent sockets make room for real clients; the count stays at the cap."""
    out: list[str | None] = []
    with start_sandbox(max_connections=FLOOD_CAP, header_timeout=30, idle_timeout=30) as sb:
        socks = [socket.create_connection((LOOPBACK, sb.port), timeout=5) for _ in range(FLOOD_CAP * 5)]
        with httpx.Client(base_url=sb.base_url, headers={"Authorization": f"Bearer {sb.api_key}"}, timeout=5) as c:
            for _ in range(3):
                try:
                    status = c.get("/messaging_profiles").status_code
                except httpx.HTTPError as exc:
                    status = repr(exc)
                out.append(None if status == 200 else f"a real request beyond a flood answered {status}")
        held = sb.call(lambda: len(sb.server.conns))
        out.append(None if held <= FLOOD_CAP + 1 else f"{held} connections held with a cap of {FLOOD_CAP}")
        for s in socks:
            s.close()
    return out


@attack("sandbox requests", "a non-loopback --host")
def non_loopback_host(ctx: Ctx) -> list[str | None]:
    """Serving the admin surface to the network needs --allow-remote."""
    out: list[str | None] = []
    for host in ("0.0.0.0", "::"):
        p = subprocess.run([sys.executable, "-m", "reconciler.sandbox", "--host", host, "--port", "0"],
                           capture_output=True, text=True, timeout=60)
        ok = p.returncode == 1 and "--allow-remote" in p.stderr and not p.stdout
        out.append(None if ok else f"--host {host}: exit {p.returncode}, {p.stdout[:60]!r}")
    return out


def run_all(attacks: list[Attack], ctx: Ctx) -> Iterator[tuple[Attack, list[str | None]]]:
    for a in attacks:
        try:
            verdicts = a.run(ctx)
        except Exception as exc:  # an attack that breaks the tool is not "refused"
            verdicts = [f"raised {type(exc).__name__}: {exc}"]
        yield a, verdicts
