"""A connection mistake is reported within --request-timeout plus a few seconds, through the CLI:
a port that takes the connection and never answers (issue 12)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def test_plan_against_a_silent_port_fails_in_seconds_naming_the_url():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])  # take it, say nothing
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    url = f"http://127.0.0.1:{srv.getsockname()[1]}/v2"
    try:
        t0 = time.monotonic()
        r = CliRunner().invoke(cli, ["plan", "--desired", str(ROOT / "desired-state"), "--request-timeout", "1",
                                     "--format", "json"],
                               env={"TELNYX_API_KEY": "k-silent", "TELNYX_API_BASE_URL": url})
        took = time.monotonic() - t0
    finally:
        stop.set()
        t.join()
        for c in held:
            c.close()
        srv.close()
    assert r.exit_code == 1, r.output
    assert took < 1 + 3, f"{took:.1f} s"
    assert url in r.stdout and "did not answer within 1s" in r.stdout and "k-silent" not in r.output
