"""How deep a JSON text nests, counted before it is parsed.

Files the reconciler reads back (the journal, a saved plan) may have been planted or edited: JSON
nested thousands deep would exhaust the parser's recursion (`RecursionError`), so each reader
measures first and refuses what is deeper than anything it writes."""

from __future__ import annotations

import re

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def nesting(raw: bytes, cheap_below: int = 0) -> int:
    """How deep the JSON text `raw` nests (brackets inside strings do not count). A text with no
    more than `cheap_below` brackets in all is not scanned: its bracket count bounds its depth."""
    opened = raw.count(b"[") + raw.count(b"{")
    if opened <= cheap_below:
        return opened
    brackets = _STRINGS.sub(b"", raw).translate(None, delete=_NOT_BRACKETS)
    depth = deepest = 0
    for b in brackets:
        depth += 1 if b in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest
