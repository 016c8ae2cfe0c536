"""A deferred next phase judged against live state: waiting, ready, done or abandoned. Pure.

A deferred write is the next phase of an approved apply (assign these numbers once Telnyx has
freed them; `reconciler resume` carries it out). It runs only as approved: while its numbers are
being freed it waits (also while Telnyx failed to free one: `resume` frees it again); once every
one is free and nothing else changed it is ready; once Telnyx put them all there it is done;
anything the plan did not expect (a number taken elsewhere or off its profile, a newcomer on the
profile a bulk would sweep in) abandons it, and the files are planned again. It never heals what
nobody approved.
"""

from __future__ import annotations

from typing import Mapping

from reconciler.journal import Op, Write
from reconciler.model import (
    ASSIGNED,
    FAILED_ASSIGNMENT,
    FAILED_UNASSIGNMENT,
    PENDING_ASSIGNMENT,
    PENDING_UNASSIGNMENT,
    LiveAssignment,
    LiveState,
    plural,
)

from .states import NumberState, PhaseState


def deferred_number(w: Write, a: LiveAssignment | None) -> NumberState:
    """Where one number of a deferred phase stands: free for it (not taken), already there (done),
    not freed by Telnyx (failed), or held on a campaign still (pending: `judge_phase` tells being
    freed from being taken elsewhere)."""
    if a is None or a.status == FAILED_ASSIGNMENT:
        return NumberState.NOT_TAKEN  # free: ready for the phase
    if a.status == FAILED_UNASSIGNMENT and a.tcr_campaign_id != w.campaign:
        # Telnyx failed to free it: the record still holds it on its old campaign (an assignment over
        # it is refused), and nothing frees it by waiting. The phase cannot run for it (see judge_phase).
        return NumberState.FAILED
    if a.tcr_campaign_id == w.campaign and a.status in (ASSIGNED, PENDING_ASSIGNMENT):
        return NumberState.DONE  # already there (Telnyx moved it after all)
    return NumberState.PENDING


def judge_phase(w: Write, live: LiveState, states: Mapping[str, NumberState]) -> tuple[PhaseState, str | None]:
    """Can the deferred phase run now? Never heals what nobody approved: anything unexpected abandons it."""
    waiting = []
    for n, s in states.items():
        if s is NumberState.UNSEEN:
            waiting.append(n)
            continue
        if s is NumberState.FAILED:
            # Telnyx failed to free it (FAILED_UNASSIGNMENT): the phase waits, and `resume` frees it again
            # (apply.phases.refree) while the files still declare it so and the phase is not stuck.
            failed = [m for m, x in states.items() if x is NumberState.FAILED]
            a = live.assignments.get(n)
            assert a is not None
            return PhaseState.WAITING, (f"Telnyx failed to free {plural(len(failed), 'number', 'numbers')} from "
                                        f"{a.tcr_campaign_id} (FAILED_UNASSIGNMENT: "
                                        f"{a.failure_reasons or 'no reason given'}); `resume` frees them again")
        if s is NumberState.PENDING:
            a = live.assignments.get(n)
            if a is not None and a.status == PENDING_UNASSIGNMENT:
                waiting.append(n)
                continue
            assert a is not None
            return PhaseState.ABANDONED, (f"{n} is on {a.tcr_campaign_id} ({a.status}) now, not freed as the "
                                          f"approved plan expected; re-plan")
    if all(s is NumberState.DONE for s in states.values()):
        return PhaseState.DONE, None
    if w.profile is not None and w.op.moves_profile is False:
        for n in w.numbers:
            have = live.numbers.get(n)
            if have is not None and have.profile_id != w.profile:
                return PhaseState.ABANDONED, f"{n} left profile {w.profile} since the plan was approved; re-plan"
    if waiting:
        return PhaseState.WAITING, f"{plural(len(waiting), 'number', 'numbers')} still being freed"
    if w.op is Op.BULK_ASSIGN and w.members:
        allowed = set(w.members)
        intruders = sorted(n.number for n in live.numbers.values() if n.profile_id == w.profile
                           and n.number not in allowed)
        if intruders:
            return PhaseState.ABANDONED, (
                f"profile {w.profile} now holds {plural(len(intruders), 'number', 'numbers')} the approved plan did not "
                f"({', '.join(intruders[:3])}{', …' if len(intruders) > 3 else ''}); a bulk assignment would "
                f"sweep them in; re-plan")
    return PhaseState.READY, None
