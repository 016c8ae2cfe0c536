"""Values from YAML or from the API, made safe for the place they are shown.

Anything interpolated into a report may come from an attacker: a pull request's YAML (a profile
`name`), or an odd or compromised API answer (`failureReasons`, a status). In markdown (a PR
comment, an issue, the job summary) such a value must not open an HTML comment, a table cell, a
heading, a link, an admonition or emphasis, nor break the line, and GitHub must not link or
typeset anything in it: no autolink (`https://`, `www.`, an e-mail address, `mailto:`), no
`@mention` (that notifies whoever it names), no `#123` reference, no `$…$` math; in text (a terminal, a CI log)
it must not carry escape sequences, bidi overrides or line breaks (a `::error::` workflow command
needs a line of its own). The renderers pass every free-text value through `free_text`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterable

# Keys whose values are free text from outside (the others are ids, numbers, counts, or words of ours).
FREE_TEXT = frozenset({"name", "note", "problem", "reason", "detail", "status", "phase_reason", "telnyx_status",
                       "warnings", "unsafe", "safety_overridden", "failed", "run", "result", "what_happened",
                       "profile_name", "move_from_profile_name", "telnyx_reason", "campaign_status",
                   "sharing_status"})
MAX_LEN = 500

_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}
# Inline markdown that could emphasise, link, strike, quote code, end a table cell or open math. A
# value never starts a line (newlines are gone), so line-start syntax (#, -, +, >, 1.) cannot trigger.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~$])")
# What GitHub would turn into a link. cmark-gfm's autolinks start at a scheme's `://` and at `www.`
# (an escaped `:` or `.` ends them: tests/test_render_gfm.py renders with cmark-gfm itself); its
# e-mail autolinks (`a@b.example`, `mailto:`/`xmpp:` ones too) and GitHub's own `@mention`,
# `#123` and `GH-123` links are made from the rendered text, where an escape is gone, so a word
# joiner (U+2060, invisible) after the `@`, `#` or `GH-` keeps what follows from being read as a
# name or a number.
_SCHEME = re.compile(r"(?<=[A-Za-z]):(?=/)")
_WWW = re.compile(r"(?i)(?<=www)\.")
_JOIN_AFTER = re.compile(r"(?i)([@#]|\bGH-)")
WORD_JOINER = "\u2060"
_CODE_LITERAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]*")  # what `md(text, code=...)` keeps a code span


def plain(text: str, limit: int = MAX_LEN) -> str:
    """One line of printable text: no control characters, no bidi overrides, no line breaks, no
    workflow command; at most `limit` characters."""
    out = []
    for ch in text[:limit * 2]:
        if ch in _BIDI:
            continue
        cat = unicodedata.category(ch)
        if cat in ("Zl", "Zp") or ch in "\r\n\t\x0b\x0c\x85":
            out.append(" ")
        elif cat.startswith("C"):
            continue
        else:
            out.append(ch)
    # GitHub's runner also reads the older `##[command]` syntax anywhere in a line: broken up.
    s = " ".join("".join(out).split()).replace("##[", "#\\#[")
    return s if len(s) <= limit else s[: limit - 1] + "…"


MAX_LINES = 1200  # lines of one message on stderr (a desired state's problems are bounded before this)
MAX_LINE = 4000  # characters of one of its lines: ours can be long (ten paths and what to do about them)
_INDENT = re.compile(r"[ ]*")


def plain_lines(text: str) -> str:
    """A message of several lines of ours with data in them (an error, one problem a line), for
    stderr: each line `plain` (no escapes, control characters or bidi overrides), its indent kept,
    and none a GitHub workflow command: a line that would start with `::` (the runner trims any
    leading space first) starts with a backslash instead. Where data could hold a line break, the
    caller passes that data through `plain` first, so it cannot start a line at all."""
    out = []
    for line in text.split("\n")[:MAX_LINES]:
        s = plain(line, MAX_LINE)
        out.append(_INDENT.match(line)[0] + ("\\" + s if s.startswith("::") else s) if s else "")  # type: ignore[index]
    return "\n".join(out)


def md(text: str, code: Iterable[str] = ()) -> str:
    """`plain`, then escaped for inline markdown (GitHub): HTML and markdown punctuation inert, and
    nothing GitHub would link (autolinks, mentions, references) or typeset (math).

    `code`: literals of our own words (a command, `reconciler resume`) that stay code spans where the
    text quotes them in backticks; every other character, data's included, is escaped. Data that
    quotes the same literal shows that code span and nothing more: its content is ours, fixed here."""
    s = plain(text)
    spans = [f"`{c}`" for c in code]
    if not spans:
        return _escaped(s)
    if not all(_CODE_LITERAL.fullmatch(c) for c in code):  # nothing a span could end or a table cell split on
        raise ValueError(f"not a literal of ours a code span can carry: {list(code)!r}")
    quoted = re.compile("|".join(map(re.escape, spans)))
    out, at = [], 0
    for m in quoted.finditer(s):
        out += [_escaped(s[at:m.start()]), m[0]]
        at = m.end()
    return "".join(out) + _escaped(s[at:])


def _escaped(s: str) -> str:
    """One plain line made inert for inline markdown (see `md`)."""
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    s = _WWW.sub(r"\\.", _SCHEME.sub(r"\\:", s))
    return _JOIN_AFTER.sub(lambda m: m[1] + WORD_JOINER, s)


def free_text(data: Any, clean=plain, _key: str | None = None) -> Any:
    """A copy of a report's data with every free-text value passed through `clean`."""
    if isinstance(data, dict):
        return {k: (_clean_value(v, clean) if k in FREE_TEXT else free_text(v, clean, k)) for k, v in data.items()}
    if isinstance(data, list):
        return [free_text(v, clean, _key) for v in data]
    return data


def _clean_value(v: Any, clean) -> Any:
    if isinstance(v, str):
        return clean(v)
    if isinstance(v, list):
        return [clean(x) if isinstance(x, str) else free_text(x, clean) for x in v]
    if isinstance(v, dict):
        return {k: (clean(x) if isinstance(x, str) else x) for k, x in v.items()}
    return v
