"""How a desired-state message says a value or a key from the file: quoted on one line, with every
character that does not show written as its escape (the message names what is really there, and a
terminal or a CI log gets no escape sequence)."""

from __future__ import annotations

import json
from typing import Any


def quoted(text: Any) -> str:
    """A string quoted on one line, as YAML and JSON would write it, every character that does not
    show (a control character, a bidi override, a zero-width or odd space) written as its escape:
    the message names what is really there, and a terminal or a CI log gets no escape sequence."""
    return "".join(ch if ch.isprintable() else json.dumps(ch)[1:-1] for ch in json.dumps(text, ensure_ascii=False))


def show_key(key: str) -> str:
    """A mapping key quoted for a one-line message."""
    return f"'{key}'" if key.isprintable() else quoted(key)
