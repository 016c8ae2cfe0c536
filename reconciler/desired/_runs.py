"""Fast path for big files: long runs of `- "+1NXXNXXXXXX"` lines skip the YAML parser.

libyaml turns every list item into an event object with two marks, and a million
of them cost ~3 s before we see a single number. Nearly every line of a big
desired-state file is a quoted number on its own line, so:

1. find runs of consecutive lines that are exactly `<indent>- "<+1 and 10 digits>"`
   (optionally `# comment`), all at one indentation;
2. parse a skeleton where each run is one placeholder item (libyaml still pays per
   line, blank or not, so the run's lines are dropped, not blanked) and map the
   skeleton's line numbers back to the file's;
3. splice each run's numbers, with the line and column they stand at, into the
   sequence that holds its placeholder.

Whenever anything is unusual — the skeleton has problems, a placeholder is not a
plain sequence item, it shows up twice or never — the caller parses the original
bytes the normal way, so messages and positions never depend on this shortcut.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Any, Callable

# A run: consecutive lines `<indent>- "+1dddddddddd"` (either quote kind), same indent,
# no comment (a comment could hold digits that look like a number), LF endings.
_RUN = re.compile(rb'^( *)- (?:"\+1\d{10}"|\'\+1\d{10}\') *\n(?:\1- (?:"\+1\d{10}"|\'\+1\d{10}\') *\n)*', re.M)
_NUMBER = re.compile(r"\+1\d{10}")
_PLACEHOLDER = "\x7fRUN"  # a raw DEL cannot appear in YAML text: no clash with real values
MIN_BYTES = 256 * 1024  # below this the normal path is fast enough; keep one code path
MIN_RUN = 8
_OTHER_BREAKS = re.compile(rb"\r|\xc2\x85|\xe2\x80[\xa8\xa9]")


def compose_with_runs(data: bytes, compose: Callable[[bytes], Any], seq_type: type, map_type: type) -> Any:
    """`compose(skeleton)` plus splicing; returns None when the caller must take the normal path."""
    if _OTHER_BREAKS.search(data):
        # YAML also breaks lines at a lone CR, NEL, U+2028 and U+2029; this path counts only LF,
        # so it would report wrong line numbers: the parser counts them right.
        return None
    runs: list[tuple[list[str], list[int], list[int]]] = []
    pieces: list[bytes] = []
    at: list[int] = []  # skeleton line of each placeholder
    shift: list[int] = []  # lines dropped up to and including each placeholder's run
    dropped = 0
    last = 0  # bytes of `data` copied to `pieces` so far
    line, counted = 1, 0  # `line` is the file's line number at offset `counted`
    for m in _RUN.finditer(data):
        start, end = m.span()
        n = data.count(b"\n", start, end)
        if n < MIN_RUN:
            continue
        line += data.count(b"\n", counted, start)
        counted = start
        col = len(m.group(1)) + 3
        numbers = _NUMBER.findall(data[start:end].decode("ascii"))
        runs.append((numbers, list(range(line, line + n)), [col] * n))
        at.append(line - dropped)
        dropped += n - 1
        shift.append(dropped)
        pieces.append(data[last:start])
        # Written as the YAML escape \x7f because a raw DEL is not allowed in YAML text.
        pieces.append(m.group(1) + b'- "\\x7fRUN' + str(len(runs) - 1).encode() + b'"\n')
        last = end
    if not runs:
        return None
    pieces.append(data[last:])
    root = compose(b"".join(pieces))

    def real(skeleton_line: int) -> int:
        # Lines after placeholder k lost `shift[k]` lines; the placeholder line itself
        # only those of the runs before it.
        k = bisect_left(at, skeleton_line)
        return skeleton_line + (shift[k - 1] if k else 0)

    return root if _splice(root, runs, seq_type, map_type, real) else None


def _splice(root: Any, runs: list[Any], seq_type: type, map_type: type, real: Callable[[int], int]) -> bool:
    """Put each run's numbers where its placeholder stands; every mark back on the file's lines."""
    found = [0] * len(runs)
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, map_type):
            node.line = real(node.line)
            for key, (ln, c) in node.kmarks.items():
                node.kmarks[key] = (real(ln), c)
            for key, (ln, c) in node.vmarks.items():
                node.vmarks[key] = (real(ln), c)
            for k, v in node.items():
                if isinstance(v, (seq_type, map_type)):
                    stack.append(v)
                elif isinstance(v, str) and v.startswith(_PLACEHOLDER) or \
                        isinstance(k, str) and k.startswith(_PLACEHOLDER):
                    return False  # a placeholder where no list item belongs
        elif isinstance(node, seq_type):
            node.line = real(node.line)
            node.lines = [real(ln) for ln in node.lines]
            if not any(isinstance(v, str) and v.startswith(_PLACEHOLDER) for v in node):
                stack.extend(v for v in node if isinstance(v, (seq_type, map_type)))
                continue
            values, lines, cols, raws = list(node), node.lines, node.cols, node.raws
            node.clear()
            node.lines, node.cols, node.raws = [], [], {}
            for i, (v, ln, c) in enumerate(zip(values, lines, cols)):
                if i in raws:  # item indices shift as runs expand
                    node.raws[len(node)] = raws[i]
                if isinstance(v, str) and v.startswith(_PLACEHOLDER):
                    k = int(v[len(_PLACEHOLDER):])
                    found[k] += 1
                    nums, nlines, ncols = runs[k]
                    node.extend(nums)
                    node.lines.extend(nlines)
                    node.cols.extend(ncols)
                else:
                    if isinstance(v, (seq_type, map_type)):
                        stack.append(v)
                    node.append(v)
                    node.lines.append(ln)
                    node.cols.append(c)
    return all(n == 1 for n in found)
