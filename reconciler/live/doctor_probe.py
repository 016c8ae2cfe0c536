"""The doctor's probe: GETs that may be refused, and what their answers' headers say.

A 4xx is an answer here (the probe asks things an account may refuse), except 401: a key Telnyx
does not accept ends the diagnosis. Every answer's `Date` and rate-limit headers are kept through
the client's `observe` hook, so the clock and the limits are read from the probes themselves.
"""

from __future__ import annotations

import threading
import time
from email.utils import parsedate_to_datetime
from typing import Any, Mapping

from reconciler.errors import ApiError

from .client import TelnyxClient

ANSWERS = (400, 401, 403, 404, 405, 409, 422)


class Probe:
    """Sends the probes, keeping the first status per operation and every answer's headers."""

    def __init__(self, client: TelnyxClient) -> None:
        self.client = client
        self.status: dict[str, int] = {}
        self.skews: list[float] = []
        self.rate_headers: dict[str, str] = {}
        self._lock = threading.Lock()
        client.observe(self._observe)

    def _observe(self, call: str, status: int, headers: Mapping[str, str]) -> None:
        now = time.time()
        with self._lock:
            raw = headers.get("date")
            if raw:
                try:
                    self.skews.append(parsedate_to_datetime(raw).timestamp() + 0.5 - now)
                except (TypeError, ValueError, IndexError, OverflowError):
                    pass
            for name in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after"):
                v = headers.get(name)
                if v is not None and name not in self.rate_headers:
                    self.rate_headers[name] = str(v)[:40]

    def get(self, template: str, *, path: dict[str, str] | None = None,
            params: list[tuple[str, Any]] | None = None) -> tuple[int, Any]:
        status, body = self.client.get(template, path=path, params=params, allow_status=ANSWERS)
        if status == 401:
            raise ApiError(f"GET {template}", 401, code="10009", title="authentication failed",
                           detail="the key in TELNYX_API_KEY is not accepted")
        with self._lock:  # the best answer counts: a 200 after a refused page size is access
            key = f"GET {template}"
            if key not in self.status or 200 <= status < 300:
                self.status[key] = status
        return status, body


def records_in(body: Any, name: str = "records") -> list[dict]:
    """The dict records of a list answer (`records` for 10DLC lists, `data` for classic ones); none
    when the body is an error or another shape, so a refused probe reads as an empty list."""
    if isinstance(body, dict) and isinstance(body.get(name), list):
        return [r for r in body[name] if isinstance(r, dict)]
    return []


def error_shape(body: Any) -> str:
    """Which Telnyx error shape a body has: errors[], FastAPI detail[], {message}, or another."""
    if isinstance(body, dict):
        if isinstance(body.get("errors"), list):
            codes = [str(e.get("code")) for e in body["errors"] if isinstance(e, dict) and e.get("code")]
            return "errors[]" + (f" (code {codes[0][:20]})" if codes else "")
        if isinstance(body.get("detail"), list):
            return "FastAPI detail[]"
        if "message" in body:
            return "{message}"
    return "another shape"


__all__ = ["ANSWERS", "Probe", "error_shape", "records_in"]
