"""URL policy: which base URLs the client may talk to, and how a path template becomes a URL.

A plain `http://` base URL is refused unless the host is loopback: the API key would travel
in clear text. Nothing here ever echoes credentials back in an error.
"""

from __future__ import annotations

import ipaddress
from typing import Mapping
from urllib.parse import quote, urlsplit

from reconciler.errors import ConfigError

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    h = host.strip("[]").lower()
    if h in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def validate_base_url(base_url: str) -> str:
    """Return the normalised base URL or raise ConfigError (never echoing credentials)."""
    if not isinstance(base_url, str) or not base_url.strip():
        raise ConfigError("API base URL is empty")
    try:
        parts = urlsplit(base_url.strip())
        host = parts.hostname
        _ = parts.port  # raises ValueError on a bad port
    except ValueError:
        raise ConfigError("API base URL is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not host:
        raise ConfigError(f"API base URL must be https://HOST/...; got scheme {scheme or '(none)'!r}")
    if parts.username or parts.password:
        raise ConfigError("API base URL must not carry credentials; the key comes from TELNYX_API_KEY")
    if parts.query or parts.fragment:
        raise ConfigError("API base URL must not have a query or fragment")
    if scheme == "http" and not is_loopback_host(host):
        raise ConfigError(
            f"refusing plain http:// to {host}: the API key would travel unencrypted; "
            "use https:// (plain http is allowed only for loopback hosts such as 127.0.0.1)"
        )
    return base_url.strip().rstrip("/")



def fill_path(template: str, path: Mapping[str, str] | None = None) -> str:
    """`/x/{id}` with each parameter percent-encoded (a `+` or `/` in a value stays one segment)."""
    p = template
    for k, v in (path or {}).items():
        if not isinstance(v, str) or not v:
            raise ValueError(f"path parameter {k} must be a non-empty string")
        p = p.replace("{" + k + "}", quote(v, safe=""))
    if "{" in p:
        raise ValueError(f"unfilled path parameter in {template}")
    return p
