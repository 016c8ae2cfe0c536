"""Helpers for the live-layer tests: a client on an httpx.MockTransport."""

from __future__ import annotations

import json
from typing import Any, Callable

import httpx
import pytest

from reconciler.live.client import TelnyxClient

SECRET = "KEYsecret-0123456789abcdef-SECRET"
BASE = "https://api.example.test/v2"


def jresp(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), headers={
        "content-type": "application/json", **(headers or {})})


def make_client(handler: Callable[[httpx.Request], httpx.Response], **kw: Any) -> TelnyxClient:
    kw.setdefault("backoff_base", 0.001)
    kw.setdefault("backoff_cap", 0.01)
    kw.setdefault("timeout", 5.0)
    return TelnyxClient(base_url=kw.pop("base_url", BASE), api_key=kw.pop("api_key", SECRET),
                        transport=httpx.MockTransport(handler), **kw)


@pytest.fixture
def client_for():
    made: list[TelnyxClient] = []

    def factory(handler, **kw):
        c = make_client(handler, **kw)
        made.append(c)
        return c

    yield factory
    for c in made:
        c.close()
