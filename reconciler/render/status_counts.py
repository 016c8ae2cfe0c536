"""What the `status` and `resume` reports count, before any of it is said: numbers per state (per
campaign, and per run and campaign), the numbers the open work holds, and time to service (who sends
now, how long the interruption has lasted, when the work should be over). Kept apart from the
wording in `status`: the counting rules (a number several writes hold is counted once) are the
part a reader checks, and they do not change with the format."""

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
    if ws.closed_as is not None and ws.closed_as.value == "abandoned":
        return dict.fromkeys(t.numbers, "abandoned")
    return {n: s.value for n, s in t.numbers.items()}


def number_counts(report: Any) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, dict[str, int]]]]:
    """Numbers per state, per campaign (across runs) and per run and campaign, each number counted
    once in each: a number several writes hold (a bulk task that skipped it, the removal that frees
    it, the next phase that assigns it) is counted as pending if any of them holds it pending (it is
    in flight), else in the state of the latest of them."""
    latest: dict[tuple[str, str], tuple[str, str]] = {}  # (target, number) -> (run, state)
    by_run: dict[tuple[str, str, str], str] = {}  # (run, target, number) -> state
    order = sorted(range(len(report.writes)), key=lambda i: (report.writes[i].write.submitted_at or 0.0, i))
    for i in order:
        w = report.writes[i].write
        for n, state in _states(report.writes[i]).items():
            # Pending in any write is in flight (tracking's rule), whichever write came last.
            key = (_target(w), n)
            if latest.get(key, ("", ""))[1] != "pending":
                latest[key] = (w.run, state)
            if by_run.get((w.run, *key)) != "pending":
                by_run[(w.run, *key)] = state
    per_campaign: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (target, _), (_, state) in latest.items():
        per_campaign[target][state] += 1
    runs: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for (run, target, _), state in by_run.items():
        runs[run][target][state] += 1
    return ({c: dict(sorted(v.items())) for c, v in sorted(per_campaign.items())},
            {r: {c: dict(sorted(v.items())) for c, v in sorted(cs.items())} for r, cs in sorted(runs.items())})


def _remaining(ws: Any, figures: Any) -> tuple[float | None, float, tuple[str, ...]]:
    """(seconds until this write's work should be over on the figures, the figures' whole duration of
    it, the kinds of figure used); None remaining when nothing of it is pending, or it was abandoned
    (never sent: nothing of it will end). Never below zero: work older than its figure is late, not over."""
    w, t = ws.write, ws.tracked
    deferred = w.state.value == "deferred"
    abandoned = ws.closed_as is not None and ws.closed_as.value == "abandoned"
    if t is None or abandoned or (not t.pending and not deferred) or (deferred and t.phase is not None
                                                                      and t.phase.value in ("done", "abandoned")):
        return None, 0.0, ()
    age = t.age or 0.0
    if deferred:  # freed first: the removal, then this assignment
        return (max(0.0, figures["unassignment"] - age) + figures["assignment"],
                figures["unassignment"] + figures["assignment"], ("unassignment", "assignment"))
    kind = {"unassign": "unassignment", "bulk_move": "order", "patch_profile": "order"}.get(w.op.value, "assignment")
    return max(0.0, figures[kind] - age), figures[kind], (kind,)


def time_to_service(report: Any) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], list[str]]:
    """Time to service, per write and per campaign: numbers (sending + not sending = numbers; the
    work's pending and failed counted apart, of the same numbers), how long the interruption has
    lasted (since the earliest open write that holds a number that cannot send, on Telnyx's clock),
    and when the work should be over (from `report.figures`), or that it is later than usual."""
    sending: dict[str, bool] = getattr(report, "sending", {}) or {}
    figures = getattr(report, "figures", None)
    now = report.now
    stopped: dict[str, float] = {}  # number -> when the earliest open write holding it was sent
    for ws in report.writes:
        w = ws.write
        if w.submitted_at is None or ws.tracked is None:
            continue
        began = w.stopped_at or w.submitted_at  # a next phase's numbers stopped when their removal was sent
        for n in ws.tracked.numbers:
            if not sending.get(n, False):
                stopped[n] = min(stopped.get(n, began), began)
    kinds: list[str] = []

    def facts(numbers: dict[str, str], remaining: list[tuple[float, float]]) -> dict[str, Any]:
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
                "late": late, "typical_seconds": round(typical) if typical is not None else None}

    per_write: dict[str, dict[str, Any]] = {}
    by_target: dict[str, tuple[dict[str, str], list[tuple[float, float]]]] = {}
    for ws in report.writes:
        w = ws.write
        states = _states(ws)
        rest, whole, used = _remaining(ws, figures) if figures is not None else (None, 0.0, ())
        kinds += [k for k in used if k not in kinds]
        per_write[w.id] = facts(states, [(rest, whole)] if rest is not None else [])
        numbers, remaining = by_target.setdefault(_target(w), ({}, []))
        for n, v in states.items():
            if numbers.get(n) != "pending":
                numbers[n] = v
        if rest is not None:
            remaining.append((rest, whole))
    per_campaign = {c: facts(numbers, remaining) for c, (numbers, remaining) in sorted(by_target.items())}
    return per_write, per_campaign, kinds


def open_numbers(report: Any) -> dict[str, int]:
    sending: dict[str, bool] = getattr(report, "sending", {}) or {}
    numbers = {n for ws in report.writes if ws.closed_as is None
               for n in (ws.tracked.numbers if ws.tracked is not None else ws.write.numbers)}
    on = sum(1 for n in numbers if sending.get(n) is True)
    return {"numbers": len(numbers), "sending": on, "not_sending": len(numbers) - on}
