"""Telnyx error bodies → one `ApiError`, and the secret scrubbed from every text built here.

A hostile or broken server may echo the API key back, send an HTML error page, or a body of
megabytes: what reaches an error message is short, printable, tag-free and never the key.
Both Telnyx error shapes are read (`errors[]`, and FastAPI's `detail[]` that some operations
declare), and `{message}`.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any, Mapping

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


def scrub(text: str | None, secret: str | None) -> str | None:
    if text is None or not secret:
        return text
    return text.replace(secret, "[REDACTED]")


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

