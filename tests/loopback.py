"""httpx clients for the tests' own calls to loopback servers (the sandbox's API and admin, fakes).

Each `httpx.Client()` builds a verifying TLS context, loading the CA bundle (about 75 ms), even for
an http:// server; a test run opens thousands. These share one context, verifying as the default.
"""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx


@functools.cache
def _tls() -> ssl.SSLContext:
    return httpx.create_ssl_context(verify=True)


def client(**options: Any) -> httpx.Client:
    """`httpx.Client(**options)`, with the shared verifying TLS context."""
    return httpx.Client(verify=_tls(), **options)
