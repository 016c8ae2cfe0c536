"""Logging for `-v`, `-vv` and `--debug`: every line on stderr, and never a secret in one.

At debug level every library logs too, and some print what a server sent: httpcore's trace
lines hold each response's headers as they came, so a server (a debugging proxy, a gateway) that
echoes `Authorization` back would put the API key in a CI log. So a filter on the handler itself
(it sees the records of every logger, however they propagate) rewrites each line before it is
written: the key in the forms it could take (whole, its secret half, URL-encoded, base64 alone or
with `Bearer `), any `Bearer …` token and any value of an `Authorization` header become
`[REDACTED]`. And httpcore's trace is not switched on at all: `-vv` shows the requests through
httpx's and the reconciler's own lines. The same filter makes each line `plain_lines` (what a
server sent, a reason phrase say, carries no escape sequence and starts no workflow command).
"""

from __future__ import annotations

import logging
import os
import re
import sys

from reconciler.render.safe import plain_lines

REDACTED = "[REDACTED]"

_BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s'\",;)\]}]+")
# `Authorization: x`, `'authorization': 'x'`, httpcore's `(b'Authorization', b'x')`: the value up to the quote or line end.
_AUTH_VALUE = re.compile(r"""(?i)(authorization['"]?\s*[:,=]\s*b?['"]?)[^'"\r\n]+""")
# Libraries whose debug lines are a wire trace (headers as sent and received): kept at INFO.
WIRE_TRACES = ("httpcore", "hpack", "h2")


def redact(text: str, key: str | None) -> str:
    from reconciler.live.errors import scrub, secret_forms  # not at import: `validate` never loads httpx

    if secret_forms(key or ""):  # every form, in any case (a key under 8 characters is not searched for)
        text = scrub(text, key) or ""
    text = _AUTH_VALUE.sub(lambda m: m[1] + REDACTED, text)
    return _BEARER.sub(lambda m: m[1] + REDACTED, text)


class RedactSecrets(logging.Filter):
    """Rewrites a record's message (and its traceback text) with `redact`, then `plain_lines`; the
    key is read from TELNYX_API_KEY when the line is written, so it holds whenever the key was set."""

    def filter(self, record: logging.LogRecord) -> bool:
        key = os.environ.get("TELNYX_API_KEY")
        message = record.getMessage()
        record.msg, record.args = plain_lines(redact(message, key)), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = plain_lines(redact(record.exc_text, key))
        if record.stack_info:
            record.stack_info = plain_lines(redact(record.stack_info, key))
        return True


def configure(level: int) -> None:
    """One stderr handler on the root logger, every line passed through `RedactSecrets`."""
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(RedactSecrets())
    for name in WIRE_TRACES:
        logging.getLogger(name).setLevel(max(level, logging.INFO))
