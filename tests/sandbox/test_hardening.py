"""The sandbox is a local tool that cannot be turned against its host (raw sockets, real server).

The attacks themselves (bodies, admin requests, the clock, connections that never finish) are
listed once in tests/faults/hostile_cases.py, which `make faults` also runs; here each must be
refused, and what a normal client does must keep working with the same small timeouts.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import loopback
from reconciler.sandbox import start_sandbox
from reconciler.sandbox.limits import Limits
from tests.faults.hostile_cases import (
    HEADER_TIMEOUT,
    LOOPBACK,
    Attack,
    Ctx,
    raw_exchange,
    section,
)


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory):
    with Ctx(tmp_path_factory.mktemp("hostile")) as c:
        yield c


@pytest.mark.parametrize("attack", section("sandbox requests"), ids=lambda a: a.name)
def test_every_hostile_request_is_refused(attack: Attack, ctx: Ctx) -> None:
    verdicts = attack.run(ctx)
    assert verdicts and not [v for v in verdicts if v], verdicts


def test_the_admin_surface_still_takes_json_from_a_loopback_host() -> None:
    with start_sandbox() as sb:
        for host in (b"localhost", b"127.0.0.1:8080", b"[::1]"):
            ok = (b"POST /_admin/advance HTTP/1.1\r\nHost: " + host + b"\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 15\r\n\r\n{\"seconds\": 60}")
            assert raw_exchange(sb.port, ok).startswith(b"HTTP/1.1 200"), host


def test_a_keep_alive_client_works_across_requests_and_idle_gaps() -> None:
    """httpx on one pooled connection: requests spaced under the idle timeout reuse it; once idle
    past it the server closes it (not before), and httpx opens a new one without an error."""
    idle = 0.8
    with start_sandbox(header_timeout=HEADER_TIMEOUT, idle_timeout=idle) as sb, \
            loopback.client(base_url=sb.base_url, headers={"Authorization": f"Bearer {sb.api_key}"}, timeout=5) as c:
        held = set()
        for _ in range(4):
            r = c.get("/messaging_profiles")
            assert r.status_code == 200 and r.headers["connection"] == "keep-alive"
            held.add(sb.call(lambda: len(sb.server.conns)))
            time.sleep(0.1)
        last = time.monotonic()
        assert held == {1}, "one connection, kept alive"
        while sb.call(lambda: len(sb.server.conns)) and time.monotonic() - last < idle + 3:
            time.sleep(0.02)
        waited = time.monotonic() - last
        assert sb.call(lambda: len(sb.server.conns)) == 0, "idle past the timeout: closed"
        assert waited >= idle - 0.15, f"closed after {waited:.2f} s, before the idle timeout"
        assert c.get("/messaging_profiles").status_code == 200


def test_a_request_that_takes_longer_than_the_idle_timeout_to_answer_is_not_cut() -> None:
    """--latency-ms past both timeouts: the connection waits on the server, not on the client."""
    with start_sandbox(header_timeout=0.1, idle_timeout=0.1, latency_ms=400) as sb, \
            loopback.client(base_url=sb.base_url, headers={"Authorization": f"Bearer {sb.api_key}"}, timeout=5) as c:
        assert c.get("/messaging_profiles").status_code == 200
        assert c.get("/messaging_profiles").status_code == 200


def test_a_big_upload_that_keeps_coming_is_not_cut() -> None:
    """The body timeout is a pause between reads, not a total: a seed sent in pieces still lands."""
    with start_sandbox(header_timeout=0.6, idle_timeout=0.6) as sb, \
            socket.create_connection((LOOPBACK, sb.port), timeout=5) as s:
        body = b'{"messaging_profiles": []}' + b" " * 20_000
        s.sendall(b"POST /_admin/seed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        for i in range(0, len(body), 2000):  # 1.5 s in all, never a pause near 0.6 s
            time.sleep(0.15)
            s.sendall(body[i:i + 2000])
        assert s.recv(100).startswith(b"HTTP/1.1 200")


def test_at_the_cap_a_connection_mid_request_is_kept_and_the_newcomer_told_503() -> None:
    with start_sandbox(max_connections=2, header_timeout=5, idle_timeout=5) as sb:
        busy = []
        for _ in range(2):  # two uploads in progress: neither may be dropped for a newcomer
            s = socket.create_connection((LOOPBACK, sb.port), timeout=5)
            s.sendall(b"POST /_admin/advance HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 15\r\n\r\n{\"sec")
            busy.append(s)
        time.sleep(0.1)
        answer = raw_exchange(sb.port, b"GET /_admin/modes HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 503 ") and b"Retry-After: 1" in answer, answer
        for s in busy:
            s.sendall(b'onds": 60}')
            assert s.recv(100).startswith(b"HTTP/1.1 200")
            s.close()


@pytest.mark.parametrize("kwargs", [{"header_timeout": 0}, {"idle_timeout": float("nan")},
                                    {"idle_timeout": -1}, {"max_connections": 0}, {"header_timeout": 1e9}])
def test_limits_are_checked(kwargs) -> None:
    with pytest.raises(ValueError):
        Limits(**kwargs)


def test_the_cli_takes_the_limits_and_refuses_bad_ones() -> None:
    p = subprocess.run([sys.executable, "-m", "reconciler.sandbox", "--header-timeout", "0"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "header-timeout must be" in p.stderr and not p.stdout
    help_text = subprocess.run([sys.executable, "-m", "reconciler.sandbox", "--help"], capture_output=True,
                               text=True, timeout=60).stdout
    assert all(o in help_text for o in ("--header-timeout", "--idle-timeout", "--max-connections"))


def test_a_client_that_reads_slowly_but_steadily_is_not_cut() -> None:
    """The write timeout is about progress: while the unsent bytes keep shrinking the connection
    stays, once they stop for the idle timeout it is cut (the sweep, driven by hand)."""
    from reconciler.sandbox import build_app
    from reconciler.sandbox.httpserver import HttpProtocol, Server

    class Transport:
        unsent, aborted = 1_000_000, False

        def get_write_buffer_size(self) -> int:
            return self.unsent

        def abort(self) -> None:
            self.aborted = True

        def is_closing(self) -> bool:
            return self.aborted

    conn = HttpProtocol(Server(build_app(), limits=Limits(header_timeout=1, idle_timeout=2)))
    t = Transport()
    conn.transport = t  # type: ignore[assignment]
    for now in range(0, 20):  # 20 s of a slow reader: 10 kB a second
        conn.check(float(now))
        t.unsent -= 10_000
    assert not t.aborted
    for now in range(20, 23):  # it stops reading
        conn.check(float(now))
    assert t.aborted


def test_beyond_loopback_the_admin_key_is_checked_before_the_body() -> None:
    """Served with --allow-remote, an admin request without the key is refused from its head."""
    with start_sandbox() as sb:
        sb.server.app.config.allow_remote = True
        t0 = time.monotonic()
        said = raw_exchange(sb.port, b"POST /_admin/seed HTTP/1.1\r\nHost: 10.0.0.1\r\nContent-Type: application/json"
                                     b"\r\nContent-Length: 1000000\r\n\r\n")
        assert said.startswith(b"HTTP/1.1 401 ") and time.monotonic() - t0 < 2, said[:60]
        ok = (b"POST /_admin/advance HTTP/1.1\r\nHost: 10.0.0.1\r\nContent-Type: application/json\r\n"
              b"Authorization: Bearer sandbox-key\r\nContent-Length: 15\r\n\r\n{\"seconds\": 60}")
        assert raw_exchange(sb.port, ok).startswith(b"HTTP/1.1 200 ")


def test_a_seed_upload_at_its_cap_costs_a_bounded_amount_of_memory(tmp_path) -> None:
    """A junk seed of MAX_SEED_BODY bytes (once 1 GiB was read whole: 3.17 GB resident) is refused,
    and the server's peak resident memory grows by under 2.5 times the body: it is buffered, and
    copied once (a second copy, as before, fails this)."""

    from reconciler.sandbox.limits import MAX_SEED_BODY

    def peak_kib(pid: int) -> int:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("no VmHWM")

    proc = subprocess.Popen([sys.executable, "-m", "reconciler.sandbox", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(proc.stdout.readline().strip().rsplit(":", 1)[1].split("/")[0])  # type: ignore[union-attr]
        before = peak_kib(proc.pid)
        with socket.create_connection((LOOPBACK, port), timeout=30) as s:
            s.sendall(b"POST /_admin/seed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      b"Content-Length: " + str(MAX_SEED_BODY).encode() + b"\r\n\r\n")
            chunk = b"x" * (1024 * 1024)
            for _ in range(MAX_SEED_BODY // len(chunk)):
                s.sendall(chunk)
            answer = s.recv(100)
        assert answer.startswith(b"HTTP/1.1 400 "), answer
        grew = peak_kib(proc.pid) - before
        assert grew < 2.5 * MAX_SEED_BODY // 1024, f"peak resident memory grew {grew // 1024} MiB"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()  # type: ignore[union-attr]
