"""The sandbox is a local tool that cannot be turned against its host (raw sockets, real server)."""

from __future__ import annotations

import socket
import subprocess
import sys

from reconciler.sandbox import start_sandbox


def _raw(port: int, request: bytes, timeout: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        s.settimeout(timeout)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data


def test_the_key_is_checked_before_any_body_is_read():
    with start_sandbox() as sb:
        port = int(sb.base_url.split(":")[2].split("/")[0])
        head = (b"POST /v2/10dlc/phoneNumberAssignmentByProfile HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 15000000\r\n\r\n")
        answer = _raw(port, head)  # no body sent at all: the answer must not wait for it
        assert answer.startswith(b"HTTP/1.1 401"), answer[:80]
        big = (b"POST /v2/10dlc/phoneNumberAssignmentByProfile HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               b"Authorization: Bearer sandbox-key\r\nContent-Length: 150000000\r\n\r\n")
        assert _raw(port, big).startswith(b"HTTP/1.1 413")  # over the cap even with the key


def test_the_admin_surface_takes_only_json_from_a_loopback_host():
    with start_sandbox() as sb:
        port = int(sb.base_url.split(":")[2].split("/")[0])
        form = (b"POST /_admin/advance HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded"
                b"\r\nContent-Length: 10\r\n\r\nseconds=60")
        assert _raw(port, form).startswith(b"HTTP/1.1 415")  # a web page's form post cannot reseed it
        rebound = (b"POST /_admin/advance HTTP/1.1\r\nHost: evil.example:80\r\nContent-Type: application/json\r\n"
                   b"Content-Length: 15\r\n\r\n{\"seconds\": 60}")
        assert _raw(port, rebound).startswith(b"HTTP/1.1 403")  # DNS rebinding
        ok = (b"POST /_admin/advance HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
              b"Content-Length: 15\r\n\r\n{\"seconds\": 60}")
        assert _raw(port, ok).startswith(b"HTTP/1.1 200")


def test_a_non_loopback_host_needs_allow_remote():
    p = subprocess.run([sys.executable, "-m", "reconciler", "sandbox", "--host", "0.0.0.0", "--port", "0"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 1 and "--allow-remote" in p.stderr and not p.stdout
