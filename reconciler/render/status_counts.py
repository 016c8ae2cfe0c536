"""What the `status` and `resume` reports count, before any of it is said: numbers per state (per
campaign, and per run and campaign), the numbers the open work holds, and time to service (who sends
now, how long the interruption has lasted, when the work should be over). Kept apart from the
wording in `status`: the counting rules (a number several writes hold is counted once, under the
campaign where it will send) are the part a reader checks, and they do not change with the format."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any


def iso(t: float | None) -> str | None:
    """A moment as every report says it: UTC, to the second, ISO 8601."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)) if t is not None else None


def _target(w: Any) -> str:
    return w.campaign or (f"profile {w.profile}" if w.profile else "no profile")


def _states(ws: Any) -> dict[str, str]:
    """Each number's state in one write's work. A phase this run closed as abandoned was never sent:
    its numbers are `abandoned`, not what tracking judged before (pending, not taken)."""
    t = ws.tracked
    if t is None:
        return {}
    if ws.abandoned:
        return dict.fromkeys(t.numbers, "abandoned")
    return {n: s.value for n, s in t.numbers.items()}


# Which write's target a number is counted under when writes to several targets hold it: where it
# will send. An assignment (or the next phase that assigns it) over a profile move over a removal: a
# number freed first for a move is the destination's, and a removal with nothing after it (a prune)
# keeps its number under the campaign it leaves (it will not send again).
_RANK = {"unassign": 0, "bulk_move": 1, "patch_profile": 1}  # every other operation assigns: 2


def homes(writes: Any) -> dict[str, str]:
    """number -> the target it is counted under (`_RANK`; among equals, the latest write's)."""
    best: dict[str, tuple[int, float, int]] = {}
    out: dict[str, str] = {}
    for i, ws in enumerate(writes):
        w = ws.write
        key = (_RANK.get(w.op.value, 2), w.submitted_at or 0.0, i)
        for n in _states(ws):
            if n not in best or key > best[n]:
                best[n], out[n] = key, _target(w)
    return out


def _held_by(writes: Any) -> dict[str, dict[str, tuple[str, bool]]]:
    """target -> {number: (state, whether a next phase's judgement gave it)} for the numbers counted
    under it (`homes`): pending if any write to that target holds it pending (it is in flight), else
    the state of the latest of them."""
    home = homes(writes)
    held: dict[str, dict[str, tuple[str, bool]]] = {}
    order = sorted(range(len(writes)), key=lambda i: (writes[i].write.submitted_at or 0.0, i))
    for i in order:
        target = _target(writes[i].write)
        deferred = writes[i].write.state.value == "deferred"
        for n, state in _states(writes[i]).items():
            # Pending in any write is in flight (tracking's rule), whichever write came last.
            if home[n] == target and held.setdefault(target, {}).get(n, ("",))[0] != "pending":
                held[target][n] = (state, deferred)
    return held


def _held(writes: Any) -> dict[str, dict[str, str]]:
    """target -> {number: state} (`_held_by`)."""
    return {t: {n: s for n, (s, _) in numbers.items()} for t, numbers in _held_by(writes).items()}


def phase_numbers(report: Any) -> dict[str, int]:
    """target -> its numbers a next phase has still to assign: `not_taken` in the counts (a phase's
    free number), said "to assign" as the phase's own line says it, not as a write Telnyx left."""
    return {t: k for t, numbers in _held_by(report.writes).items()
            if (k := sum(1 for s, deferred in numbers.values() if deferred and s == "not_taken"))}


def number_counts(report: Any) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, dict[str, int]]]]:
    """Numbers per state, per campaign (across runs) and per run and campaign, each number counted
    once in each, under the campaign where it will send (`homes`: the 30 numbers a move frees from
    one campaign are the destination's, not also the campaign they leave), so the campaigns' counts
    add up to the numbers of the work; a number several writes to one campaign hold (a bulk task
    that skipped it, the next phase that assigns it) is counted as pending if any of them holds it
    pending, else in the state of the latest of them."""
    def counts(writes: Any) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for target, numbers in sorted(_held(writes).items()):
            tally: dict[str, int] = defaultdict(int)
            for state in numbers.values():
                tally[state] += 1
            out[target] = dict(sorted(tally.items()))
        return out

    runs: dict[str, list[Any]] = defaultdict(list)
    for ws in report.writes:
        runs[ws.write.run].append(ws)
    return counts(report.writes), {r: counts(ws) for r, ws in sorted(runs.items())}


def _remaining(ws: Any, figures: Any) -> tuple[float | None, float, tuple[str, ...]]:
    """(seconds until this write's work should be over on the figures, the figures' whole duration of
    it, the kinds of figure used); None remaining when nothing of it is pending, or it was abandoned
    (never sent: nothing of it will end). Never below zero: work older than its figure is late, not over."""
    w, t = ws.write, ws.tracked
    deferred = w.state.value == "deferred"
    if t is None or ws.abandoned or (not t.pending and not deferred) or (deferred and t.phase is not None
                                                                      and t.phase.value in ("done", "abandoned")):
        return None, 0.0, ()
    age = t.age or 0.0
    if deferred:  # freed first: the removal (unless Telnyx has freed them all: ready), then this assignment
        freeing = 0.0 if t.phase is not None and t.phase.value == "ready" else max(0.0, figures["unassignment"] - age)
        return (freeing + figures["assignment"],
                figures["unassignment"] + figures["assignment"], ("unassignment", "assignment"))
    kind = {"unassign": "unassignment", "bulk_move": "order", "patch_profile": "order"}.get(w.op.value, "assignment")
    return max(0.0, figures[kind] - age), figures[kind], (kind,)


def time_to_service(report: Any) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], list[str]]:
    """Time to service, per write and per campaign: numbers (sending + not sending = numbers; the
    work's pending and failed counted apart, of the same numbers), how long the interruption has
    lasted (since the earliest open write that holds a number that cannot send, on Telnyx's clock),
    and when the work should be over (from `report.figures`), or that it is later than usual. Per
    campaign, each number once where it will send (`homes`), so the ETA is its service's (a move's
    next phase: removal left, then assignment) and `freeing` says how many a removal still frees for
    it, from where; per write, `freeing_for` names where a removal's numbers will send. Work that
    assigns numbers to a campaign that cannot carry traffic (`report.unhealthy`) promises no ETA:
    `cannot_send` says why instead (they will not send when the work is over)."""
    sending: dict[str, bool] = getattr(report, "sending", {}) or {}
    blocked = {h.tcr_campaign_id: h.problem for h in getattr(report, "unhealthy", ())}
    figures = getattr(report, "figures", None)
    now = report.now
    stopped: dict[str, float] = {}  # number -> when the earliest open write holding it was sent
    for ws in report.writes:
        w = ws.write
        if w.submitted_at is None or ws.tracked is None:
            continue
        # A next phase's numbers stopped when their removal was sent; never after now (runners' clock skew).
        began = min(w.stopped_at or w.submitted_at, now)
        for n in ws.tracked.numbers:
            if not sending.get(n, False):
                stopped[n] = min(stopped.get(n, began), began)
    kinds: list[str] = []

    def facts(numbers: dict[str, str], remaining: list[tuple[float, float]],
              cannot_send: str | None = None) -> dict[str, Any]:
        if cannot_send is not None:
            remaining = []
        on = sum(1 for n in numbers if sending.get(n) is True)
        since = min((stopped[n] for n in numbers if n in stopped and sending.get(n) is not True), default=None)
        eta = max((r for r, _ in remaining), default=None)
        typical = max((f for _, f in remaining), default=None)
        late = bool(remaining) and all(r <= 0 for r, _ in remaining)
        return {"numbers": len(numbers), "sending": on, "not_sending": len(numbers) - on,
                "pending": sum(1 for v in numbers.values() if v in ("pending", "unseen")),
                "failed": sum(1 for v in numbers.values() if v == "failed"),
                "interrupted_since": iso(since), "interrupted_seconds": round(now - since) if since else None,
                "eta_seconds": round(eta) if eta is not None else None,
                "eta": iso(now + eta) if eta is not None else None,
                # Past the figures: later than usual (Telnyx sometimes takes days), not "overdue".
                "late": late, "typical_seconds": round(typical) if typical is not None else None,
                "cannot_send": cannot_send}

    home = homes(report.writes)
    per_write: dict[str, dict[str, Any]] = {}
    remaining_of: dict[str, list[tuple[float, float]]] = defaultdict(list)
    # destination -> campaign a removal frees its numbers from -> (those numbers, the removals' remaining)
    freeing: dict[str, dict[str, tuple[set[str], list[tuple[float, float]]]]] = defaultdict(dict)
    for ws in report.writes:
        w = ws.write
        states = _states(ws)
        rest, whole, used = _remaining(ws, figures) if figures is not None else (None, 0.0, ())
        kinds += [k for k in used if k not in kinds]
        target = _target(w)
        elsewhere = sorted({home[n] for n in states if home[n] != target})
        # A removal that frees numbers for a move: its ETA is when they are free, not when they send.
        per_write[w.id] = {**facts(states, [(rest, whole)] if rest is not None else [],
                                   blocked.get(w.campaign) if w.op.value not in _RANK and w.campaign else None),
                           "freeing_for": elsewhere}
        if rest is not None and any(home[n] == target for n in states):
            remaining_of[target].append((rest, whole))
        for n, v in states.items():
            if home[n] != target and v in ("pending", "unseen"):
                numbers, remaining = freeing[home[n]].setdefault(target, (set(), []))
                numbers.add(n)
                if rest is not None:
                    remaining.append((rest, whole))
    per_campaign = {}
    for c, numbers in sorted(_held(report.writes).items()):
        per_campaign[c] = {**facts(numbers, remaining_of[c], blocked.get(c)), "freeing": {
            source: _freeing(len(held), remaining, now) for source, (held, remaining) in sorted(freeing[c].items())}}
    return per_write, per_campaign, kinds


def _freeing(numbers: int, remaining: list[tuple[float, float]], now: float) -> dict[str, Any]:
    """Numbers a campaign's line counts that a removal is still freeing from another campaign, and when
    they should be free (their service comes back after that, with the assignment: the line's ETA)."""
    eta = max((r for r, _ in remaining), default=None)
    return {"numbers": numbers, "eta_seconds": round(eta) if eta is not None else None,
            "eta": iso(now + eta) if eta is not None else None,
            "late": bool(remaining) and all(r <= 0 for r, _ in remaining)}


def open_numbers(report: Any) -> dict[str, int]:
    sending: dict[str, bool] = getattr(report, "sending", {}) or {}
    numbers = {n for ws in report.writes if ws.closed_as is None
               for n in (ws.tracked.numbers if ws.tracked is not None else ws.write.numbers)}
    on = sum(1 for n in numbers if sending.get(n) is True)
    return {"numbers": len(numbers), "sending": on, "not_sending": len(numbers) - on}
