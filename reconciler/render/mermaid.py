"""Pictures for the markdown reports: Mermaid diagrams, which GitHub draws in PR comments and job
summaries at no extra cost. Each one repeats what the text already says (the text stays complete
without it), so a viewer that shows the code block instead loses nothing.

Everything from data (a campaign id from the files or from Telnyx) passes through `label`, which
keeps only a small safe alphabet: no character that Mermaid gives meaning to (`:` ends a Gantt task
name, `;` and newlines end statements, `#` starts an entity, `%%` a comment, quotes, brackets,
backticks and `<`/`>` could close the block or inject markup) survives, and labels are bounded.
`tests/test_mermaid.py` parses every diagram with a strict grammar of the subset emitted here,
over the hostile-input list.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

from reconciler import durations
from reconciler.plan.messaging import FREED, IN_PLACE, PROFILE, Messaging

# Letters, digits, space and a few harmless marks; everything else becomes a space.
_UNSAFE = re.compile(r"[^A-Za-z0-9 +._()/-]+")
MAX_LABEL = 48
MAX_SECTIONS = 8  # routes drawn; the rest are in the text (and JSON)
START = "2000-01-01 00:00"  # any fixed day: the axis shows hours from apply


def label(text: object) -> str:
    """`text` reduced to Mermaid-inert characters, at most MAX_LABEL long (never empty)."""
    s = " ".join(_UNSAFE.sub(" ", str(text)).split())[:MAX_LABEL].strip()
    return s or "unnamed"


def _minutes(seconds: float) -> str:
    return f"{max(1, round(seconds / 60))}m"


def plan_gantt(m: Messaging, figures: durations.Figures | None = None) -> list[str]:
    """A Gantt of the plan's routes for sending numbers (and the numbers it starts), on the figures
    the text's hours come from: one section per route, its phases in order. [] when nothing stops or
    starts sending."""
    if not (m.interrupted or m.started or m.resent or m.pruned):
        return []
    f = figures or durations.Figures()
    unassign, assign = f["unassignment"], f["task"] + f["assignment"]
    drawn = ("task", "assignment", "unassignment") if m.routes or m.pruned else ("task", "assignment")
    said = {f.source.get(k, "typical") for k in drawn}  # what the bars drawn are made of, nothing else
    source = "observed" if said == {"observed"} else "typical" if said == {"typical"} else "observed and typical"
    lines = ["```mermaid", "gantt", f"    title Messaging timeline from apply ({source} durations)",
             "    dateFormat YYYY-MM-DD HH:mm", "    axisFormat %H:%M"]
    for i, r in enumerate(m.routes[:MAX_SECTIONS]):
        old, new = label(r.from_campaign or "no campaign"), label(r.to_campaign or "no campaign")
        lines.append(f"    section {r.numbers} sending {'number' if r.numbers == 1 else 'numbers'} {old} to {new}")
        if r.route == FREED:
            lines.append(f"    no campaign while freed from {old} :crit, r{i}a, {START}, {_minutes(unassign)}")
            lines.append(f"    assigned to {new} (PENDING_ASSIGNMENT) :r{i}b, after r{i}a, {_minutes(assign)}")
        elif r.route == IN_PLACE:
            # The hardest reading, as the text counts it: Telnyx refuses the move, so the number is freed first.
            first = f"blocked on {old} (still sending) if the move is refused" if r.may_block else \
                f"freed from {old} first if the move is refused"
            lines.append(f"    {first} :active, r{i}a, {START}, {_minutes(unassign)}")
            lines.append(f"    PENDING_ASSIGNMENT on {new} (may not send) :r{i}b, after r{i}a, {_minutes(assign)}")
        elif r.route == PROFILE:
            lines.append(f"    profile move may take its campaign :active, r{i}a, {START}, {_minutes(unassign)}")
            then = f"assigned to {new} if it did" if r.from_campaign != r.to_campaign else "assigned again if it did"
            lines.append(f"    {then} :r{i}b, after r{i}a, {_minutes(assign)}")
    if len(m.routes) > MAX_SECTIONS:
        lines.append(f"    section {len(m.routes) - MAX_SECTIONS} more routes (see the text)")
        lines.append(f"    listed in the plan :done, more, {START}, 1m")
    if m.pruned:  # removed for good: the bar is the unassignment, after which they have no campaign
        lines.append(f"    section {m.pruned} sending {'number' if m.pruned == 1 else 'numbers'} pruned (stop for good)")
        lines.append(f"    PENDING_UNASSIGNMENT then no campaign :crit, p0, {START}, {_minutes(unassign)}")
    if m.resent:
        lines.append(f"    section {m.resent} sending {'number' if m.resent == 1 else 'numbers'} re-sent by a bulk task")
        lines.append(f"    PENDING_ASSIGNMENT if provisioned again (may not send) :active, x0, {START}, {_minutes(assign)}")
        if m.resent_twice:  # a next phase's bulk, once Telnyx has freed the numbers it is for
            lines.append(f"    provisioned again by the next phase bulk :active, x1, after x0, {_minutes(assign)}")
    if m.started:
        lines.append(f"    section {m.started} {'number starts' if m.started == 1 else 'numbers start'} sending")
        lines.append(f"    assigned (PENDING_ASSIGNMENT) :s0, {START}, {_minutes(assign)}")
    lines.append("```")
    return lines


def _when(iso: str) -> str | None:
    """`2026-12-06T17:40:46Z` -> `2026-12-06 17:40` (the diagram's clock is UTC, as the text's); None if odd."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(?::\d\d(?:\.\d+)?)?Z", str(iso))
    return f"{m.group(1)} {m.group(2)}" if m else None


def status_gantt(service: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Open work on a time axis (UTC), per campaign it targets: how long its numbers have not sent so
    far, and how long until its ETA (or that it runs later than usual). [] when no number waits."""
    rows = [(c, sv) for c, sv in service.items() if sv.get("not_sending") and _when(sv.get("interrupted_since", ""))]
    if not rows:
        return []
    lines = ["```mermaid", "gantt", "    title Numbers not sending and until when (UTC)",
             "    dateFormat YYYY-MM-DD HH:mm", "    axisFormat %H:%M"]
    for i, (c, sv) in enumerate(rows[:MAX_SECTIONS]):
        n = int(sv["not_sending"])
        lines.append(f"    section {label(c)}")
        lines.append(f"    {n} not sending so far :crit, c{i}a, {_when(sv['interrupted_since'])}, "
                     f"{_minutes(float(sv.get('interrupted_seconds') or 60))}")
        work = f"{int(sv.get('pending') or 0)} pending and {int(sv.get('failed') or 0)} failed"
        if sv.get("late"):
            lines.append(f"    later than usual ({work}) :active, c{i}b, after c{i}a, 1m")
        elif sv.get("eta_seconds") is not None:
            lines.append(f"    until the ETA ({work}) :active, c{i}b, after c{i}a, {_minutes(float(sv['eta_seconds']))}")
    if len(rows) > MAX_SECTIONS:
        lines.append(f"    section {len(rows) - MAX_SECTIONS} more campaigns (see the table)")
        lines.append(f"    listed in the table :done, more, {_when(rows[0][1]['interrupted_since'])}, 1m")
    lines.append("```")
    return lines


def details(summary: str, diagram: Sequence[str]) -> list[str]:
    """A diagram folded under `summary` (GitHub draws it when opened); [] for no diagram."""
    if not diagram:
        return []
    return ["<details><summary>" + summary + "</summary>", "", *diagram, "", "</details>"]
