"""The sandbox as a separate process (its CPU and memory never count as the reconciler's)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

KEY = "sandbox-key"


class SandboxProcess:
    def __init__(self, seed: Path, *, latency_ms: float, rate_limit: float | None, log: Path,
                 modes: dict[str, str] | None = None) -> None:
        cmd = [sys.executable, "-m", "reconciler", "sandbox", "--port", "0", "--seed", str(seed),
               "--api-key", KEY, "--latency-ms", str(latency_ms)]
        if rate_limit:
            cmd += ["--rate-limit", str(rate_limit)]
        for name, value in sorted((modes or {}).items()):
            cmd += ["--mode", f"{name}={value}"]
        self._log = log.open("w", encoding="utf-8")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._log, text=True,
                                     env={**os.environ, "PYTHONHASHSEED": "0"})
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http"):
            self.stop()
            raise RuntimeError(f"sandbox did not start; see {log}:\n{log.read_text()[-2000:]}")
        self.base_url = line
        self.admin_url = line.rsplit("/v2", 1)[0] + "/_admin"

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.admin_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=600) as resp:
            return json.loads(resp.read() or b"null")

    def counters(self) -> dict[str, Any]:
        return self.admin("GET", "/counters")

    def reset_counters(self) -> None:
        self.admin("POST", "/counters/reset")

    def state(self) -> dict[str, Any]:
        return self.admin("GET", "/state")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()

    def __enter__(self) -> "SandboxProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
