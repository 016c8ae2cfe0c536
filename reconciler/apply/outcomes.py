"""One outcome per change of the plan, judged on the plan made from the last read of live state
and on what this run saw (refusals, lost answers, numbers it would not free)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Collection

from reconciler.diff import UNSEEN, Action, Finding, reported_under
from reconciler.journal import Op, State
from reconciler.model import (CARRIER_FAILED, FAILED_ASSIGNMENT, FAILED_UNASSIGNMENT, IN_FLIGHT_STATUSES,
                              PENDING_ASSIGNMENT, LiveState)
from reconciler.plan import Plan
from reconciler.tracking import InFlight, PhaseState

from .report import ApplyReport, Outcome, Result

_TELNYX_FAILED = frozenset({FAILED_ASSIGNMENT, FAILED_UNASSIGNMENT})


@dataclass
class RunFacts:
    """What this run saw that live state cannot show."""

    tasks: Collection[str] = ()  # write ids of bulk tasks not seen processed
    held: dict[str, str] = field(default_factory=dict)  # number -> why apply would not free it
    lost_bulks: set[tuple[str, str]] = field(default_factory=set)  # (profile, campaign): answer lost
    refused: dict[str, str] = field(default_factory=dict)  # number -> Telnyx's last refusal
    stopped_waiting: bool = False  # --timeout ended the run before Telnyx accepted every write
    stale: dict[str, str] = field(default_factory=dict)  # number -> why its next phase was refused (exit 3)


def judge_outcomes(plan: Plan, scope: frozenset[str], final_plan: Plan | None,
                   inflight: InFlight | None, run: RunFacts) -> list[Outcome]:
    """One outcome per change of the plan, judged on the plan made from the last read."""
    out = []
    final = {f.number: f for f in final_plan.changes} if final_plan is not None else {}
    unaccepted = _unaccepted_numbers(inflight, run.tasks)
    # Numbers only a bulk task not yet seen processed covers, that show nothing at Telnyx yet:
    # Telnyx has not (visibly) taken the write for them.
    # A profile-move order still processing is the same: its numbers have not moved yet.
    unprocessed = {n for t in (inflight.tracked if inflight else [])
                   if t.write.state in (State.SUBMITTED, State.ACCEPTED, State.UNKNOWN, State.INTENT)
                   and (t.write.op is Op.BULK_MOVE or (t.write.op is Op.BULK_ASSIGN and not t.write.processed))
                   for n in t.pending}
    deferred = {n for t in (inflight.tracked if inflight else []) if t.write.state is State.DEFERRED
                and t.phase in (PhaseState.WAITING, PhaseState.READY) for n in t.numbers}
    why = inflight.numbers() if inflight else {}
    for c in plan.changes:
        target = reported_under(c)
        o = lambda result, detail=None, status=None: Outcome(c.number, *target, result, detail, c.declared,  # noqa: E731
                                                             status)
        if c.number not in scope:
            if c.action is Action.BLOCKED:
                out.append(o(_blocked_result(c), c.reason))
            elif c.action is Action.IN_FLIGHT:
                was = (c.live or UNSEEN).status
                out.append(o(Result.IN_FLIGHT, c.reason or was, was))
            continue
        if final_plan is None:
            out.append(o(Result.SUBMITTED))
            continue
        f = final.get(c.number)
        now = (f.live if f is not None else None) or UNSEEN  # what the last read showed of it
        if c.action is Action.UNASSIGN:  # done when no declared campaign holds it any more
            done = f is None or now.tcr_campaign_id is None
        else:
            done = f is None or f.action is Action.OK
        if done:
            out.append(o(Result.UNASSIGNED if c.action is Action.UNASSIGN else Result.CONVERGED))
        elif c.number in unaccepted or (c.number in unprocessed and (f is None or now.status not in
                                                                       IN_FLIGHT_STATUSES)):
            out.append(o(Result.NOT_ACCEPTED, "Telnyx had not processed the write when apply stopped waiting; "
                                              "a later run follows it from the state folder"))
        elif c.number in run.stale:
            out.append(o(Result.STALE, run.stale[c.number]))
        elif c.number in deferred:
            out.append(o(Result.NEXT_PHASE, why.get(c.number)))
        elif f is not None and f.action is Action.IN_FLIGHT:
            out.append(o(Result.IN_FLIGHT, (f.reason if now.carrier else None) or now.status or why.get(c.number),
                         now.status))
        elif f is not None and now.status in IN_FLIGHT_STATUSES:
            out.append(o(Result.IN_FLIGHT, now.status, now.status))
        elif f is not None and f.action is Action.BLOCKED:
            out.append(o(_blocked_result(f), f.reason))
        elif c.number in run.held:
            out.append(o(Result.BLOCKED, run.held[c.number]))
        elif (target[0] or "", target[1] or "") in run.lost_bulks:
            out.append(o(Result.NOT_ACCEPTED, "Telnyx's answer to the bulk task was lost (it may have taken "
                                              "effect); never repeated blind: the next apply judges it against "
                                              "live state"))
        elif f is not None and now.status not in _TELNYX_FAILED and run.stopped_waiting:
            # Not done because apply stopped waiting (--timeout), not because Telnyx said no.
            out.append(o(Result.NOT_ACCEPTED, "not finished when apply stopped waiting; the next run continues"))
        elif f is not None:
            out.append(o(Result.FAILED, f.reason or run.refused.get(c.number)
                         or f"still {f.action.value} ({now.status or 'no campaign'})"))
    return out

def left_open(report: ApplyReport, inflight: InFlight | None, live: LiveState | None, run: str) -> None:
    """What this apply leaves open besides its numbers' outcomes: the next phases `resume` carries
    out, and the numbers its bulk tasks re-sent (members Telnyx took again, `tracking.taken_again`)
    that live state shows PENDING_ASSIGNMENT again: not sending, though no change of the plan names them."""
    tracked = inflight.tracked if inflight else []
    report.deferred = [t.write for t in tracked
                       if t.write.state is State.DEFERRED and t.phase in (PhaseState.WAITING, PhaseState.READY)]
    get = live.assignments.get if live is not None else (lambda n: None)
    report.resent_pending = len({n for t in tracked if t.write.run == run for n in t.resent
                                 if (a := get(n)) is not None and a.status == PENDING_ASSIGNMENT})


def _blocked_result(f: Finding) -> Result:
    """A blocked finding's result: failed where a carrier refused an ASSIGNED number (Telnyx said no)."""
    return Result.FAILED if (f.live or UNSEEN).carrier == CARRIER_FAILED else Result.BLOCKED


def _unaccepted_numbers(inflight: InFlight | None, tasks: Collection[str]) -> set[str]:
    if inflight is None:
        return set()
    return {n for t in inflight.tracked if t.write.id in tasks for n in t.pending}


def plan_only_outcomes(plan: Plan) -> list[Outcome]:
    """Nothing to write: what apply still reports (blocked declared numbers, work in flight)."""
    out = []
    for c in plan.changes:
        if c.action is Action.BLOCKED and c.declared:
            out.append(Outcome(c.number, *reported_under(c), _blocked_result(c), c.reason))
        elif c.action is Action.IN_FLIGHT:
            was = (c.live or UNSEEN).status
            out.append(Outcome(c.number, *reported_under(c), Result.IN_FLIGHT, c.reason or was, status=was))
    return out
