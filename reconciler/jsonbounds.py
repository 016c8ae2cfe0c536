"""Whether a JSON text nests deeper than a bound, told before it is parsed.

Files the reconciler reads back (the journal, a saved plan) may have been planted or edited: JSON
nested thousands deep would exhaust the parser's recursion (`RecursionError`), so each reader
asks first and refuses what is deeper than anything it writes."""

from __future__ import annotations

import re

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
# What each bracket does to the depth (the only bytes left once strings and the rest are deleted).
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def deeper_than(raw: bytes, limit: int) -> bool:
    """Whether the JSON text `raw` nests more than `limit` deep (brackets inside strings do not
    count). A text with no more than `limit` brackets in all cannot, and is not scanned: most
    journal lines are answered by two counts."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for b in _STRINGS.sub(b"", raw).translate(None, delete=_NOT_BRACKETS):
        depth += _STEP[b]
        if depth > limit:
            return True
    return False
