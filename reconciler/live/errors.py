"""Telnyx error bodies → one `ApiError`, and the secret scrubbed from every text built here.

A hostile or broken server may echo the API key back, send an HTML error page, or a body of
megabytes: what reaches an error message is short, printable, tag-free and never the key.
Both Telnyx error shapes are read (`errors[]`, and FastAPI's `detail[]` that some operations
declare), and `{message}`.
"""

from __future__ import annotations

import base64
import html
import json
import re
from functools import lru_cache
from typing import Any, Mapping
from urllib.parse import quote

from reconciler.errors import ApiError, ApiUnavailable

EXCERPT_CHARS = 200


_TAG_RE = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.S | re.I)
_WS_RE = re.compile(r"\s+")


def excerpt(raw: bytes | str, secret: str | None = None, limit: int = EXCERPT_CHARS) -> str:
    """A short, printable, tag-free excerpt of a body, with the secret scrubbed."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, (bytes, bytearray)) else str(raw)
    text = text[: limit * 20]
    text = _TAG_RE.sub(" ", text)
    text = html.unescape(text)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = _WS_RE.sub(" ", text).strip()
    text = scrub(text, secret)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text or "(empty body)"


REDACTED = "[REDACTED]"


def secret_forms(key: str) -> list[str]:
    """The key as a text could hold it, longest first: whole, URL-encoded, base64 (alone or with
    `Bearer `), and a Telnyx v2 key's secret half (KEY<hex>_<secret>: that half alone is still the
    secret). None for a key under 8 characters: too short to search for without redacting words."""
    key = key.strip()
    if len(key) < 8:
        return []
    forms = {key, quote(key, safe=""), base64.b64encode(key.encode()).decode().rstrip("="),
             base64.b64encode(f"Bearer {key}".encode()).decode().rstrip("=")}
    tail = key.split("_", 1)[1] if "_" in key else ""
    if len(tail) >= 8:
        forms.add(tail)
    return sorted(forms, key=len, reverse=True)


@lru_cache(maxsize=4)
def _secret_re(secret: str) -> re.Pattern[str]:
    # Any case: a server that echoes the key upper- or lower-cased still leaks most of it.
    return re.compile("|".join(re.escape(f) for f in secret_forms(secret) or [secret]), re.I)


def scrub(text: str | None, secret: str | None) -> str | None:
    """`text` with every form of the secret (`secret_forms`) replaced by [REDACTED]."""
    if not text or not secret:
        return text
    return _secret_re(secret).sub(REDACTED, text)


def scrub_data(data: Any, secret: str | None) -> Any:
    """A parsed answer with the secret scrubbed from every string in it, keys included: a server
    that echoes the key (in a profile's name, say) must not get it into a report, a journal, an
    imported file or its name. What the API sends is read here once, so every command is covered."""
    if not secret or not secret_forms(secret):  # a key too short to search for: data left as it came
        return data
    found = _secret_re(secret)

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return found.sub(REDACTED, v)
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, dict):
            return {walk(k): walk(x) for k, x in v.items()}
        return v

    return walk(data)


def _short(value: Any, secret: str | None, limit: int = 500) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = scrub(text, secret) or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_error(
    call: str, status: int | None, body: bytes, headers: Mapping[str, str] | None, secret: str | None
) -> ApiError:
    """Both Telnyx error shapes (`errors[]`, FastAPI `detail[]`) and `{message}` → one ApiError."""
    request_id = None
    if headers is not None:
        request_id = _short(headers.get("x-request-id") or headers.get("x-telnyx-request-id"), secret, 100)
    code = title = detail = None
    try:
        data = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        data = None
        ctype = (headers or {}).get("content-type", "")
        title = "non-JSON error body" + (f" ({_short(ctype.split(';')[0], secret, 60)})" if ctype else "")
        detail = excerpt(body, secret)
    else:
        if isinstance(data, dict):
            errs = data.get("errors")
            det = data.get("detail")
            if isinstance(errs, list) and errs:
                first = errs[0] if isinstance(errs[0], dict) else {"detail": errs[0]}
                code = _short(first.get("code"), secret, 60)
                title = _short(first.get("title"), secret)
                detail = _short(first.get("detail"), secret)
                src = first.get("source")
                if isinstance(src, dict) and (src.get("pointer") or src.get("parameter")):
                    where = _short(src.get("pointer") or src.get("parameter"), secret, 100)
                    detail = f"{detail} ({where})" if detail else where
                if len(errs) > 1:
                    detail = f"{detail or ''} (+{len(errs) - 1} more error{'s' if len(errs) > 2 else ''})".strip()
            elif isinstance(det, list) and det:
                parts = []
                for item in det[:3]:
                    if isinstance(item, dict):
                        loc = item.get("loc")
                        loc_s = ".".join(str(x) for x in loc) if isinstance(loc, list) else None
                        msg = item.get("msg")
                        parts.append(f"{loc_s}: {msg}" if loc_s else str(msg))
                        if code is None and isinstance(item.get("type"), str):
                            code = item["type"]
                    else:
                        parts.append(str(item))
                title = "validation error"
                detail = "; ".join(parts) + (f" (+{len(det) - 3} more)" if len(det) > 3 else "")
                code = _short(code, secret, 60)
                detail = _short(detail, secret)
            elif isinstance(det, str):
                detail = _short(det, secret)
            elif isinstance(data.get("message"), str):
                title = _short(data["message"], secret)
            else:
                title = "unrecognised error body"
                detail = excerpt(body, secret)
        else:
            title = "unrecognised error body"
            detail = excerpt(body, secret)
    cls = ApiUnavailable if status is not None and (status == 429 or status >= 500) else ApiError
    return cls(call, status, code=code, title=title, detail=detail, request_id=request_id)


def bad_response(call: str, problem: str, status: int | None = 200) -> ApiError:
    """A 2xx whose body does not have the shape the spec promises: nothing may be built on it."""
    return ApiError(call, status, code="invalid_response", title="unexpected response from Telnyx", detail=problem)

