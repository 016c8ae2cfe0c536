"""What the sandbox's HTTP handlers answer: a status, a body, headers and a delay. Its own module
so that the API surface (app.py) and the admin surface (admin.py) share it without importing
each other."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Response:
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0  # seconds to wait before sending (--latency-ms)


def json_response(status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> Response:
    if isinstance(payload, str):
        body = payload.encode()
    else:
        body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, body, headers or [])
