"""The words of `status` and `resume` lines: counts in the words of the writes' lines, sentences that
differ only in their counts said once, ETAs and freeing times, a phase reason said once with how many
times. Pure functions of the report's dict (`status.status_dict`)."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from reconciler import durations
from reconciler.plan import plural

from .common import compact_numbers, elapsed

_E164 = re.compile(r"\+1[0-9]{10}")  # the number a per-number reason names


def counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()) or "no numbers"


def work_counts(counts: dict[str, int], state: str, sent_on: int = 0) -> dict[str, int]:
    """A next phase's numbers not yet assigned are its work still to do ("to assign"), not numbers
    Telnyx did not take (what `not_taken` means of a task that was sent); those a write `resume` sent
    just now carries (`sent_on`) are "sent just now". The JSON keeps the value."""
    if state != "deferred" or "not_taken" not in counts:
        return counts
    out = {k: v for k, v in counts.items() if k != "not_taken"}
    left = counts["not_taken"] - min(sent_on, counts["not_taken"])
    out.update({k: v for k, v in (("to_assign", left), ("sent_just_now", counts["not_taken"] - left)) if v})
    return dict(sorted(out.items()))


def campaign_counts(counts: dict[str, int], sv: dict[str, Any] | None) -> dict[str, int]:
    """A campaign's numbers in the words of its writes' lines: those a next phase has still to assign
    (`service.to_assign`) are "to assign", not "not taken"."""
    phase = min((sv or {}).get("to_assign", 0), counts.get("not_taken", 0))
    if not phase:
        return counts
    out = {**counts, "not_taken": counts["not_taken"] - phase, "to_assign": phase}
    return dict(sorted((k, v) for k, v in out.items() if v))


_COUNTED = re.compile(r"\b(\d+) (number is|numbers are|numbers|number)\b")
_SINGULAR = {"number is": "number is", "numbers are": "number is", "numbers": "number", "number": "number"}
_PLURAL = {"number is": "numbers are", "numbers are": "numbers are", "numbers": "numbers", "number": "numbers"}


def summed(texts: list[str]) -> list[tuple[str, int]]:
    """Sentences that differ only in how many numbers they count, said once with the counts added
    (`1 number still being freed` ×200 → `200 numbers still being freed`), each with how many said it."""
    groups: dict[str, tuple[list[int], int, list[str]]] = {}
    for text in texts:
        found = _COUNTED.findall(text)
        key = _COUNTED.sub("\x00", text)  # texts are free of control characters (`free_text`)
        counts, n, nouns = groups.get(key, ([0] * len(found), 0, [noun for _, noun in found]))
        groups[key] = ([a + int(b) for a, (b, _) in zip(counts, found)], n + 1, nouns)
    out = []
    for key, (counts, n, nouns) in groups.items():
        parts = key.split("\x00")
        text = parts[0] + "".join(f"{c} {(_SINGULAR if c == 1 else _PLURAL)[noun]}{rest}"
                                  for c, noun, rest in zip(counts, nouns, parts[1:]))
        out.append((text, n))
    return out


def numbers_words(counts: dict[str, int], sv: dict[str, Any] | None) -> str:
    """Numbers first, in a partition (sending + not sending = the numbers), then the work's own states
    of the same numbers, labelled as such, then the ETA: `250 numbers: 0 sending, 250 not sending for
    12 min (since …); work: 250 pending; ETA … (in 1 h 48 min)`."""
    if not sv:
        return counts_text(counts)
    out = f"{plural(sv['numbers'], 'number', 'numbers')}: {sv['sending']} sending, {sv['not_sending']} not sending"
    if sv["interrupted_seconds"] is not None and sv["not_sending"]:
        out += f" for {elapsed(sv['interrupted_seconds'])} (since {sv['interrupted_since']})"
    out += f"; work: {counts_text(counts)}"
    for source, f in (sv.get("freeing") or {}).items():
        # Said on the line that counts them (where they will send), never as a row of their own.
        out += (f", {f['numbers']} of them still being freed from {source}"
                + (f", {free_words(f)}" if f["eta_seconds"] is not None else ""))
    if sv.get("freeing_for"):  # a removal for a move: its ETA is when they are free, not when they send
        out += ("; " + (f"{free_words(sv)}, then" if sv["eta_seconds"] is not None else "then")
                + f" assigned to {', '.join(sv['freeing_for'])} (its line has when they send)")
    elif sv.get("cannot_send"):
        out += f"; no ETA: their campaign cannot carry traffic ({sv['cannot_send']})"
    elif sv["eta_seconds"] is not None:
        out += "; " + eta_words(sv)
    return out


def free_words(sv: dict[str, Any]) -> str:
    """`free by … (in 58 min)`, or past the figures: `freeing later than usual`."""
    return "freeing later than usual" if sv.get("late") else f"free by {sv['eta']} (in {elapsed(sv['eta_seconds'])})"


def eta_words(sv: dict[str, Any]) -> str:
    """`ETA … (in 1 h 48 min)`, or past the figures: `later than usual (typical about 2 h; …)`."""
    if sv.get("late"):
        typical = durations.hours(sv["typical_seconds"]) if sv.get("typical_seconds") else "?"
        return f"later than usual (typical {typical}; Telnyx sometimes takes days)"
    return f"ETA {sv['eta']} (in {elapsed(sv['eta_seconds'])})"


def said_once(reasons: list[str]) -> str:
    """Each distinct phase reason once: the number a reason names is set apart, so 250 phases that
    stopped for one cause are one reason with its count (`… a number … (×250: +1…, +1…, +1……)`),
    not 250 sentences on one line."""
    numbers_of: dict[tuple[bool, str], list[str]] = defaultdict(list)  # a reason -> each saying's number, or it
    for reason in reasons:
        named = _E164.findall(reason)
        if len(named) == 1:
            numbers_of[(True, _E164.sub("a number", reason))].append(named[0])
        else:  # no number, or several: the reason is said as it is, its counts summed (`summed`)
            numbers_of[(False, _COUNTED.sub("\x00", reason))].append(reason)
    said = []
    for (one, reason), sayings in numbers_of.items():
        if one:
            said.append(reason + _times(sayings))
            continue
        [(text, n)] = summed(sayings)  # the same reason but for its counts: the counts added, said once
        said.append(text + ("" if _COUNTED.search(text) else _times([""] * n)))
    return "; ".join(said)


def _times(numbers: list[str]) -> str:
    """After a reason said more than once: how many times, and the first numbers it named (compactly)."""
    if len(numbers) == 1:
        return ""
    named = [n for n in numbers if n]
    if not named:
        return f" (×{len(numbers)})"
    more = "…" if len(numbers) > 3 else ""
    return f" (×{len(numbers)}: {', '.join(compact_numbers(named)[:3])}{more})"
