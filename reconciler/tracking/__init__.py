"""Work in flight: the journal's open writes judged against live state. Pure, no I/O.

Every write has a life cycle: submitted → accepted (Telnyx took it: its task or order was
processed, or its numbers show PENDING_*) → done | failed (Telnyx said so, with its reasons),
or unknown (the answer was lost). Per number, a write is:

- pending: Telnyx has not finished with the number (PENDING_*, or a task not processed yet);
- done: the number reached the write's target;
- failed: Telnyx said so (FAILED_* on the target, or the task's per-number status, with reasons);
- not_taken: the write ended without touching the number (a bulk task skipped it, an unknown
  answer shows no sign of the write, or a killed run's intent shows none after `UNKNOWN_GRACE`):
  a later plan may write it again;
- unseen: the last read did not cover the number: nothing is concluded.

A number that is pending in any open write is *in flight*: no plan proposes a write for it, on
any runner that carries the state folder, and drift does not count it. A deferred next phase is
judged in `phases.py` (waiting / ready / done / abandoned).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterable

from reconciler.journal import Op, State, Write
from reconciler.journal.entries import ASSIGNING
from reconciler.model import (
    ASSIGNED,
    CARRIER_FAILED,
    CARRIER_PENDING,
    FAILED_ASSIGNMENT,
    FAILED_UNASSIGNMENT,
    PENDING_ASSIGNMENT,
    PENDING_UNASSIGNMENT,
    DesiredState,
    LiveAssignment,
    LiveState,
)
from reconciler.windows import iso

from .declared import undeclared
from .phases import deferred_number, judge_phase
from .states import NumberState, PhaseState

# An intent with no outcome (a kill) that live state shows no sign of after this long is taken
# not to have happened, by the read-only commands (an apply may be between sending a write and
# journalling its answer). Telnyx processes a task in about a minute.
UNKNOWN_GRACE = 30 * 60.0
# Under the lock, an intent with no outcome younger than this may still become visible (Telnyx
# processes a task in about a minute): apply waits this long for a sign of it before deciding.
SETTLE_WINDOW = float(os.environ.get("RECONCILER_SETTLE_WINDOW", "") or 3 * 60.0)
# Work in flight longer than this is *stuck* (drift exits 2; `--stuck-after`).
DEFAULT_STUCK_AFTER = 72 * 3600.0
# Runners learn Telnyx's clock from its `Date` header (whole seconds, a runner's own lag): a write
# journalled further than this after Telnyx's now was not timed by this API's clock (another
# account's or API's state folder, or an edited journal). It would be "in flight" with a negative
# age forever, never stuck, never past its grace: it is not believed and holds nothing.
FUTURE_SKEW = 10 * 60.0
# Telnyx's `updatedAt` and a write's `submitted_at` (its `Date` header: whole seconds) on one clock.
CLOCK_SLACK = 1.0

ASSIGNING_OPS = ASSIGNING  # the writes that put numbers on a campaign
UNSENT = frozenset({State.INTENT, State.UNKNOWN})
BEFORE_ACCEPT = frozenset({State.INTENT, State.UNKNOWN, State.SUBMITTED})


@dataclass
class Tracked:
    """One open write, judged now."""

    write: Write
    numbers: dict[str, NumberState]
    reasons: dict[str, str] = field(default_factory=dict)  # failed / not taken: why
    age: float | None = None  # seconds since it was submitted (server time)
    stuck: bool = False
    phase: PhaseState | None = None  # deferred writes only
    phase_reason: str | None = None
    resent: frozenset[str] = frozenset()  # bulk: members (not sent for) Telnyx took again (`taken_again`)

    @property
    def pending(self) -> list[str]:
        return [n for n, s in self.numbers.items() if s in (NumberState.PENDING, NumberState.UNSEEN)]

    def count(self, state: NumberState) -> int:
        return sum(1 for s in self.numbers.values() if s is state)

    @property
    def closed_state(self) -> State | None:
        """The state to journal if this write is over now, else None."""
        if self.write.state is State.DEFERRED:
            if self.phase is PhaseState.DONE:
                return State.DONE
            if self.phase is PhaseState.ABANDONED:
                return State.ABANDONED
            return None
        if self.pending:
            return None
        if any(s is NumberState.FAILED for s in self.numbers.values()):
            return State.FAILED
        return State.DONE

    @property
    def accepted_now(self) -> bool:
        """Live state shows Telnyx took a write not yet seen accepted (a number moved, or shows PENDING_*)."""
        return self.write.state in BEFORE_ACCEPT and self.effect

    effect: bool = False  # some number shows the write happened (done, failed, or PENDING_* on its target)


@dataclass
class InFlight:
    """Every open write judged against one read of live state."""

    tracked: list[Tracked]
    now: float
    # Open writes dated after Telnyx's now (`dated_ahead`), with why: judged not credible, holding nothing.
    ahead: list[tuple[Write, str]] = field(default_factory=list)

    def numbers(self) -> dict[str, str]:
        """number -> why it is in flight (for the plan: no write is proposed for these)."""
        out: dict[str, str] = {}
        for t in self.tracked:
            for n, why in _holds(t):
                out.setdefault(n, why)
        return out

    @property
    def stuck(self) -> list[Tracked]:
        return [t for t in self.tracked if t.stuck]

    def held_back(self, desired: DesiredState) -> dict[str, str]:
        """number -> why, for the numbers that only writes the files do not declare hold (`undeclared`).
        They are not written while such a write may still be at work (the journal may hold a write
        back), but that is not work toward the files: the plan blocks them with this reason, so
        `plan --detailed-exitcode` and `drift` exit 2 instead of staying green."""
        ours: set[str] = set()
        theirs: dict[str, str] = {}
        for t in self.tracked:
            off = undeclared(t.write, desired)
            for n, why in _holds(t):
                if off is None:
                    ours.add(n)
                else:
                    theirs.setdefault(n, f"held back by an open write the files do not declare ({off}): {why}; "
                                         f"nothing is written to it until that write is over (`reconciler status`)")
        return {n: why for n, why in theirs.items() if n not in ours}


def _holds(t: Tracked) -> list[tuple[str, str]]:
    """(number, why it is in flight) of each number this write holds."""
    w = t.write
    if w.state is State.DEFERRED:
        if t.phase not in (PhaseState.WAITING, PhaseState.READY):
            return []
        why = (f"freed by run {w.run}; the {_op_words(w)} follows once Telnyx finishes the "
               f"unassignment (`reconciler resume`)")
        return [(n, why) for n, s in t.numbers.items() if s is not NumberState.DONE]
    why = _why_pending(t)
    return [(n, why) for n in t.pending]


def _op_words(w: Write) -> str:
    if w.op is Op.BULK_ASSIGN:
        return f"bulk assignment of profile {w.profile} to {w.campaign}"
    if w.op in (Op.ASSIGN, Op.REPLACE):
        return f"assignment to {w.campaign}"
    if w.op is Op.UNASSIGN:
        return f"removal from {w.campaign}"
    return f"move to profile {w.profile}" if w.profile else "move to no profile"


def _why_pending(t: Tracked) -> str:
    w = t.write
    what = _op_words(w)
    ref = f" {w.ref}" if w.ref else ""
    kind = {Op.BULK_ASSIGN: "task", Op.BULK_MOVE: "order"}.get(w.op, "write")
    if w.state in UNSENT:
        return (f"{what}: {kind} of run {w.run} that was killed before Telnyx's answer was journalled; "
                f"waiting up to {UNKNOWN_GRACE / 60:.0f} min to see whether Telnyx took it")
    if w.state is State.SUBMITTED:
        return f"{what}: {kind}{ref} of run {w.run} not yet processed by Telnyx"
    return f"{what}: {kind}{ref} of run {w.run} accepted; Telnyx is still working on it"


def judge(writes: Iterable[Write], live: LiveState, now: float, *,
          stuck_after: float = DEFAULT_STUCK_AFTER, seen: frozenset[str] | None = None,
          exclusive: bool = False) -> InFlight:
    """Judge each open write against `live`. `seen`: numbers the read covered (default: those in
    live.numbers or live.assignments). `exclusive`: the caller holds the state folder's lock, so
    no other apply can be between sending a write and journalling its answer: an intent with no
    outcome is a dead run's, and live state decides whether it happened once `SETTLE_WINDOW` has
    passed (the caller waits that long for a sign of it, `apply.recovery.settle_intents`)."""
    tracked = []
    ahead: list[tuple[Write, str]] = []
    for w in writes:
        if not w.open:
            continue
        why = dated_ahead(w, now)
        if why is not None:
            ahead.append((w, why))
            continue
        t = judge_one(w, live, now, stuck_after=stuck_after, seen=seen, exclusive=exclusive)
        tracked.append(t)
    return InFlight(tracked, now, ahead)


def dated_ahead(w: Write, now: float) -> str | None:
    """Why this write is not credible on Telnyx's clock (`now`): a time it carries lies more than
    `FUTURE_SKEW` after now. None if every time it carries is credible."""
    for key in ("submitted_at", "updated_at", "stopped_at"):
        at = getattr(w, key)
        if at is not None and at > now + FUTURE_SKEW:
            return (f"journalled after Telnyx's now: its {key} {iso(at)} is more than {FUTURE_SKEW / 60:.0f} min "
                    f"after {iso(now)}; a write from another clock (another account's or API's state folder, "
                    f"or an edited journal) holds nothing here")
    return None



def judge_one(w: Write, live: LiveState, now: float, *, stuck_after: float = DEFAULT_STUCK_AFTER,
              seen: frozenset[str] | None = None, exclusive: bool = False) -> Tracked:
    # A write a little ahead of Telnyx's now (runners' clocks, within FUTURE_SKEW) is just sent: never a negative age.
    age = max(0.0, now - w.submitted_at) if w.submitted_at is not None else None
    states: dict[str, NumberState] = {}
    reasons: dict[str, str] = {}
    effect = False
    for n in w.numbers:
        if seen is None:
            # The read covered the number if it found it, or if it read every assignment of the
            # write's campaign (then no record means none on that campaign).
            covered = n in live.numbers or n in live.assignments or (
                w.campaign is not None and w.campaign in live.campaigns)
        else:
            covered = n in seen
        if not covered:
            states[n] = NumberState.UNSEEN
            continue
        a = live.assignments.get(n)
        if w.state is State.DEFERRED:
            states[n] = deferred_number(w, a)
            if states[n] is NumberState.FAILED and a is not None:
                reasons[n] = f"Telnyx failed to free it from {a.tcr_campaign_id}: {a.failure_reasons or 'FAILED_UNASSIGNMENT'}"
            continue
        s, why = _number(w, n, a, live.numbers[n].profile_id if n in live.numbers else None, age, exclusive)
        if s in (NumberState.DONE, NumberState.FAILED) or (
                s is NumberState.PENDING and a is not None
                and (a.status in (PENDING_ASSIGNMENT, PENDING_UNASSIGNMENT) or a.carrier == CARRIER_PENDING)
                and (w.op is Op.UNASSIGN or a.tcr_campaign_id == w.campaign)):
            effect = True
        states[n] = s
        if why:
            reasons[n] = why
    if w.op is Op.BULK_ASSIGN and w.profile and _may_be_unprocessed(w, age, exclusive) and \
            w.state in (State.INTENT, State.UNKNOWN, State.SUBMITTED, State.ACCEPTED):
        # A task snapshots its profile when Telnyx processes it: until then it covers every number
        # that sits on the profile now, not only those it was sent for.
        for n in live.numbers.values():
            if n.profile_id == w.profile and n.number not in states:
                a = live.assignments.get(n.number)
                if a is not None and a.tcr_campaign_id == w.campaign and a.status == ASSIGNED:
                    continue  # already there: nothing to wait for (a re-provisioning would show as PENDING)
                states[n.number] = NumberState.PENDING
    resent: set[str] = set()
    if w.op is Op.BULK_ASSIGN and w.state is not State.DEFERRED:
        # A bulk task assigns every number of its profile: Telnyx may provision again one that was
        # already there (a member it was not sent for, mode bulk_same). One it took again is the
        # task's work until it is over: pending, failed (with Telnyx's reason), or done once ASSIGNED
        # again, so the write's numbers do not shrink as Telnyx finishes (`taken_again`).
        for m in w.members:
            a = live.assignments.get(m)
            if m not in states and taken_again(w, a):
                states[m], why = _number(w, m, a, None, age, exclusive)
                resent.add(m)
                if why:
                    reasons[m] = why
    t = Tracked(w, states, reasons, age, effect=effect, resent=frozenset(resent))
    if w.state is State.DEFERRED:
        t.phase, t.phase_reason = judge_phase(w, live, states)
    # A next phase is in flight while it waits or is ready; done or abandoned, it is over, whatever
    # its numbers show (one assigned elsewhere meanwhile is not work of ours in flight).
    in_flight = t.phase in (PhaseState.WAITING, PhaseState.READY) if w.state is State.DEFERRED else bool(t.pending)
    t.stuck = in_flight and age is not None and age > stuck_after
    return t


def taken_again(w: Write, a: LiveAssignment | None) -> bool:
    """Did Telnyx take this member of a bulk task (a number already on its profile) again? Live
    evidence only: its record on the task's campaign is PENDING_ASSIGNMENT, or changed (`updatedAt`)
    since the task was submitted (FAILED_ASSIGNMENT, or ASSIGNED again). A record unchanged since
    before the task was not touched by it (mode bulk_same=noop, or another write's work)."""
    if a is None or a.tcr_campaign_id != w.campaign or a.status not in (ASSIGNED, PENDING_ASSIGNMENT, FAILED_ASSIGNMENT):
        return False
    if a.since is None or w.submitted_at is None:
        return a.status == PENDING_ASSIGNMENT  # no time to compare: only what shows the work now
    return a.since >= w.submitted_at - CLOCK_SLACK


def shows_taken(w: Write, live: LiveState) -> bool:
    """Does live state show every number of this bulk task on its campaign (ASSIGNED or
    PENDING_ASSIGNMENT)? Then Telnyx has been through them all: whatever the task says of itself,
    none of its numbers is left to skip, so it need not be asked about."""
    if w.op is not Op.BULK_ASSIGN or not w.numbers:
        return False
    get = live.assignments.get
    for n in w.numbers:
        a = get(n)
        if a is None or a.tcr_campaign_id != w.campaign or a.status not in (ASSIGNED, PENDING_ASSIGNMENT):
            return False
    return True


def may_be_unprocessed(w: Write, now: float, *, exclusive: bool) -> bool:
    """`_may_be_unprocessed` for a caller that has the time (apply, before sending a bulk task). A
    write dated after Telnyx's now (`dated_ahead`) holds nothing: no profile waits on it."""
    if dated_ahead(w, now) is not None:
        return False
    return _may_be_unprocessed(w, max(0.0, now - w.submitted_at) if w.submitted_at is not None else None, exclusive)


def _may_be_unprocessed(w: Write, age: float | None, exclusive: bool) -> bool:
    """Could Telnyx still be about to process this bulk task? One with an id is until it is seen
    processed (apply asks); one whose answer was lost has no id to ask with: only for the window
    in which a task that exists starts showing (then live state says what it did)."""
    if w.processed or _lost(w, age, exclusive):
        return False
    return bool(w.ref) or age is None or age <= (SETTLE_WINDOW if exclusive else UNKNOWN_GRACE)


def _lost(w: Write, age: float | None, exclusive: bool) -> bool:
    """Is a write whose answer never came (a kill, or a lost answer) taken not to have happened?

    A bulk task's lost answer is like a kill: no read shows it took effect until Telnyx starts on
    the task, so it holds its profile for the same window. Any other lost answer holds nothing:
    its call re-read the number before giving up (live/writer.py)."""
    if w.state is State.UNKNOWN and w.op is not Op.BULK_ASSIGN:
        return True
    return w.state in UNSENT and (age is None or age > (SETTLE_WINDOW if exclusive else UNKNOWN_GRACE))


def _number(w: Write, n: str, a: LiveAssignment | None, profile: str | None, age: float | None,
            exclusive: bool = False) -> tuple[NumberState, str | None]:
    # An intent with no outcome (a kill), or a bulk task whose answer was lost, may have reached
    # Telnyx: hold its numbers for the grace period (`_lost`). Any other unknown answer (5xx, a
    # dropped connection) holds nothing: its call re-read the number before giving up.
    # Under the lock (apply, resume) an intent with no outcome is a dead run's: decided now.
    lost = _lost(w, age, exclusive)
    told = w.failed.get(n)
    if w.op.moves_profile:
        if profile == (w.profile or None):
            return NumberState.DONE, None
        if told is not None:
            return NumberState.FAILED, told or "Telnyx reported the move failed"
        if w.state in BEFORE_ACCEPT and not lost:
            return NumberState.PENDING, None
        if w.op is Op.BULK_MOVE and w.ref and w.state is State.ACCEPTED:
            # An order Telnyx took and has not finished (apply stopped waiting for it): a finished
            # one is journalled done or failed (Submitter.note_finished_orders asks), never left open.
            return NumberState.PENDING, None
        return NumberState.NOT_TAKEN, "not moved"
    if w.op is Op.UNASSIGN:
        if a is None or a.tcr_campaign_id != w.campaign:
            return NumberState.DONE, None
        if a.status == PENDING_UNASSIGNMENT:
            return NumberState.PENDING, None
        if a.status == FAILED_UNASSIGNMENT:
            return NumberState.FAILED, a.failure_reasons or FAILED_UNASSIGNMENT
        if w.state in BEFORE_ACCEPT and not lost:
            return NumberState.PENDING, None
        return NumberState.NOT_TAKEN, f"still {a.status} on {a.tcr_campaign_id}"
    # assigning writes
    if a is not None and a.tcr_campaign_id == w.campaign:
        if a.status == ASSIGNED:
            if a.carrier == CARRIER_PENDING:  # Telnyx is done; a carrier has not mapped it yet
                return NumberState.PENDING, a.carrier_detail
            if a.carrier == CARRIER_FAILED:
                return NumberState.FAILED, a.carrier_detail
            return NumberState.DONE, None
        if a.status == PENDING_ASSIGNMENT:
            return NumberState.PENDING, None
        if a.status == FAILED_ASSIGNMENT:
            return NumberState.FAILED, a.failure_reasons or told or FAILED_ASSIGNMENT
        return NumberState.NOT_TAKEN, f"{a.status} on {a.tcr_campaign_id}"  # someone is removing it
    # A task's per-number "failed" without a FAILED_* record is a number the task skipped (another
    # campaign holds it, say): not taken, and the plan decides what comes next. Telnyx's failures
    # of an assignment show as FAILED_ASSIGNMENT records, with their reasons (above).
    if w.state in BEFORE_ACCEPT and not lost:
        return NumberState.PENDING, None
    if w.op is Op.BULK_ASSIGN and not w.processed and not lost and (age is None or age < SETTLE_WINDOW):
        # Seen accepted (some numbers show it) but not seen processed: the task may still be
        # working through the profile; this number is not known to be skipped yet.
        return NumberState.PENDING, None
    where = f"still on {a.tcr_campaign_id} ({a.status})" if a is not None else "no campaign"
    return NumberState.NOT_TAKEN, (told + "; " if told else "") + where
