"""The applier: rounds of writes, each verified against live state and re-planned (see the package
docstring for the order inside a round and why later rounds re-plan)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from reconciler import durations
from reconciler.diff import ASSIGNING, UNSEEN, Action, Finding, reported_under
from reconciler.journal import Journal, Op, State
from reconciler.model import (
    CARRIER_PENDING,
    FAILED_ASSIGNMENT,
    FAILED_UNASSIGNMENT,
    IN_FLIGHT_STATUSES,
    TELNYX,
    DesiredState,
    LiveState,
)
from reconciler.model import plural
from reconciler.plan import BULK, Plan, PlanOptions, make_plan, profile_label
from reconciler.tracking import InFlight, NumberState, Tracked, judge, shows_taken
from reconciler.wait import Waiter

from .checks import (
    check_against_fresh,
    check_preconditions,
    members_by_profile,
    profile_members,
    resends_allowed,
    resent_numbers,
    round_options,
)
from .moves import move_numbers
from .outcomes import RunFacts, judge_outcomes, left_open
from .per_number import PerNumber
from .phases import PhaseOutcome, PhaseResult, actionable, carry_out, defer_freed, over_allowance
from .ports import Progress, Reader, Writer, campaign_of, quiet
from .report import ApplyReport, Outcome, Result, Until
from .submit import Submitter

MAX_ROUNDS = 3
# A round whose bulk answer was lost decided nothing (the task is judged after the settle window):
# up to this many such rounds do not count against MAX_ROUNDS.
MAX_LOST_ROUNDS = 3
_TELNYX_FAILED = frozenset({FAILED_ASSIGNMENT, FAILED_UNASSIGNMENT})


@dataclass
class Applier:
    writer: Writer
    read: Reader
    journal: Journal
    progress: Progress = quiet
    until: Until = Until.ACCEPTED
    timeout: float = 900.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    server_now: Callable[[], float] = time.time  # Telnyx's clock, for ages in the journal
    poll_initial: float = 0.2
    poll_max: float = 15.0
    stuck_after: float | None = None
    _deadline: float = 0.0
    _skipped: set[tuple[str, str]] = field(default_factory=set)  # bulks this round left to an earlier task
    _stopped_waiting: bool = False
    _stale: dict[str, str] = field(default_factory=dict)  # number -> why its next phase was refused
    _reviewed: Plan | None = None  # the plan being applied: what a later bulk is held to
    sub: Submitter = field(init=False)
    one: PerNumber = field(init=False)  # per-number writes: in place, or freed and deferred

    def __post_init__(self) -> None:
        self.sub = Submitter(self.writer, self.journal, self.progress, self.server_now, self._waiter, self._expired)
        self.one = PerNumber(self.sub)

    @property
    def writes(self) -> int:
        return self.sub.count

    # ------------------------------------------------------------------ entry

    def start_clock(self) -> None:
        """Every wait from now on ends within `timeout`."""
        self._deadline = self.clock() + self.timeout

    def run(self, plan: Plan, *, saved: bool, live: LiveState | None = None) -> ApplyReport:
        """Apply `plan`; `live` is the state a fresh plan was made from (saved plans re-read)."""
        self.start_clock()
        self.one.shared_per_number = plan.options.shared_per_number
        self._reviewed = plan
        report = ApplyReport(until=self.until)
        desired = plan.desired
        todo = [c for c in plan.changes if c.writes]
        if saved:
            live = self.read(desired)
            inflight = self._judge(live)
            todo, stale = check_preconditions(todo, live)
            todo, stale_now = check_against_fresh(todo, plan, live, inflight.numbers())
            stale += stale_now
            report.stale = [c.number for c in stale]
            for c in stale:
                report.outcomes.append(Outcome(c.number, *reported_under(c), Result.STALE,
                                               "live state changed since the plan was made; re-plan"))
        # Work in flight (ours or a killed run's) is never re-issued; waiting for it to be final
        # is for --until final only.
        waiting = frozenset(c.number for c in plan.changes if c.action is Action.IN_FLIGHT) \
            if self.until is Until.FINAL else frozenset()
        scope = frozenset(c.number for c in todo) | waiting
        if waiting and live is not None:
            # Declared numbers Telnyx is freeing now get their assignment journalled as a next phase
            # at once: the waits below carry it out when Telnyx is done, instead of spending the
            # rounds (which are for writes that did not hold) on numbers that were only waiting.
            defer_freed(self.sub, plan, plan, self._judge(live))
        current = plan
        if waiting and not todo:
            self.progress(f"waiting for {plural(len(waiting), 'number', 'numbers')} in flight (PENDING_ASSIGNMENT typically lasts "
                          f"{durations.hours(durations.ASSIGNMENT)}, sometimes days)")
            live, current, todo = self._settle(desired, plan, scope)
        while todo and report.rounds < MAX_ROUNDS + min(MAX_LOST_ROUNDS, self.sub.lost_answers):
            report.rounds += 1
            self.progress(f"round {report.rounds}: {plural(len(todo), 'change', 'changes')}")
            self._round(todo, current, live, first=report.rounds == 1)
            if self.until is Until.SUBMITTED:
                break
            self.sub.await_newest()
            self._await_earlier_tasks()
            live, inflight = self._verify(desired)
            if self.sub.tasks:
                # Tasks the read did not confirm and Telnyx has not processed yet: wait for them.
                self.sub.await_acceptance()
                live, inflight = self._verify(desired)
            for _ in range(2):  # a removal sent again (refree) may be through at once: then its phase runs
                if not any(actionable(t) for t in inflight.tracked):
                    break
                # A phase deferred this round may be ready at once (Telnyx freed the numbers quickly).
                self._carry_out(inflight, live, desired, plan)
                self.sub.await_newest()
                live, inflight = self._verify(desired)
            current = make_plan(desired, live, round_options(plan), only=scope, in_flight=inflight.numbers())
            todo = self._todo(current, scope)
            if self.until is Until.FINAL and not todo:
                live, current, todo = self._settle(desired, plan, scope, first=(live, inflight, current, todo))
            if self._expired():
                report.timed_out = bool(todo) or self.sub.unaccepted()
                self._stopped_waiting = report.timed_out
                break
        final_inflight: InFlight | None = None
        if self.until is not Until.SUBMITTED and live is not None:
            final_inflight = self._judge(live)
            if current is plan:
                current = make_plan(desired, live, round_options(plan), only=scope,
                                    in_flight=final_inflight.numbers())
            if defer_freed(self.sub, plan, current, final_inflight):
                final_inflight = self._judge(live)
                scope = scope | frozenset(n for t in final_inflight.tracked if t.write.state is State.DEFERRED
                                          for n in t.numbers)
        report.writes = self.sub.count
        report.stale.extend(sorted(set(self._stale) - set(report.stale)))
        left_open(report, final_inflight, live, self.journal.run_id)  # next phases, numbers re-sent
        report.outcomes.extend(judge_outcomes(plan, scope, current if final_inflight else None, final_inflight,
                                               self._facts()))
        return report

    # ------------------------------------------------------------------ rounds

    def _round(self, changes: list[Finding], plan: Plan, live: LiveState | None, *, first: bool) -> None:
        campaigns = {t: campaign_of(t, cp.telnyx_campaign_id if cp.kind == TELNYX else None)
                     for t, cp in plan.campaigns.items() if cp.kind}
        moves = [c for c in changes if c.move]
        failed_moves = move_numbers(self.sub, moves, live) if moves else set()
        # A number that failed to leave a profile still sits there: no bulk on that profile
        # this round (it would sweep the number in); the next round re-plans.
        stuck_on = {(c.live or UNSEEN).profile_id for c in moves if c.number in failed_moves}
        for c in changes:
            if c.action is Action.UNASSIGN:
                self.sub.write(Op.UNASSIGN, [c.number], lambda c=c: self.writer.unassign(c.number),
                            campaign=(c.live or UNSEEN).tcr_campaign_id)
        by_profile: dict[str, list[Finding]] = {}
        for c in changes:
            if c.action in ASSIGNING and c.number not in failed_moves:
                by_profile.setdefault(reported_under(c)[0] or "", []).append(c)
        # Every task is submitted before any is waited for: Telnyx works on them meanwhile.
        # Tasks an earlier run or round left unprocessed, read once: each profile is sent at most
        # one task per round, so this round's own sends never need to be in it.
        pending = self.sub.pending_bulks()
        index: dict[str, list[str]] = {}

        def members_of() -> dict[str, list[str]]:  # built once, and only if a bulk is sent
            if not index:
                index.update(members_by_profile(plan))
            return index

        for pid, fs in sorted(by_profile.items()):
            strategy = plan.profiles.get(pid)
            if pid in stuck_on:
                continue
            if strategy and strategy.strategy == BULK and strategy.bulk_campaign in campaigns:
                campaign = campaigns[strategy.bulk_campaign or ""]
                held = [c for c in fs if c.action is Action.REASSIGN] if not first else []
                if held:
                    # Bulk left these on their old campaign (Telnyx may skip numbers that hold
                    # another campaign). Where a per-number PUT may move them in place (a
                    # Telnyx-registered campaign, or a shared one under --shared-per-number), that
                    # is tried first: they keep sending meanwhile, and are freed only if Telnyx
                    # refuses. Otherwise they are freed, and the bulk for them is this apply's next phase.
                    members = profile_members(plan, pid)
                    allowed = resends_allowed(self._reviewed or plan, pid, campaign.tcr_campaign_id)
                    if self.one.in_place(campaign):
                        # If Telnyx refuses the PUT: a Telnyx-registered campaign takes the freed
                        # number by a POST (no bulk re-sending the profile's sending numbers); a
                        # shared one by the profile's bulk (its per-number writes may be refused too).
                        telnyx = campaign.telnyx_campaign_id is not None
                        for c in held:
                            self.one.assign_one(c, campaign, then=Op.ASSIGN if telnyx else Op.BULK_ASSIGN,
                                             members=None if telnyx else members, allowed=allowed)
                    else:
                        self.one.free_then(held, Op.BULK_ASSIGN, campaign, profile=pid, members=members,
                                        allowed=allowed)
                    fs = [c for c in fs if c.action is not Action.REASSIGN]
                    if not fs:
                        continue
                if (pid, campaign.tcr_campaign_id) in pending:
                    # A task for this profile and campaign is not processed yet: it will take every
                    # number on the profile when it is; a second one would repeat it. The next
                    # round (or run) sees what it left.
                    self.progress(f"a bulk task for profile {profile_label(pid, plan.profile_names)} and "
                                  f"{campaign.tcr_campaign_id} is still being processed by Telnyx; not sending another")
                    if self.sub.answer_lost(pid, campaign):  # reported "not accepted", never failed
                        self.sub.lost_bulks.add((pid, campaign.tcr_campaign_id))
                    self._skipped.add((pid, campaign.tcr_campaign_id))
                    continue
                if not first and self._over_allowance(fs, plan, pid, campaign.tcr_campaign_id):
                    continue
                self.sub.write(Op.BULK_ASSIGN, [c.number for c in fs], lambda: self.writer.bulk_assign(pid, campaign),
                               profile=pid, campaign=campaign, members=members_of().get(pid, ()))
            else:
                for i, c in enumerate(fs, 1):
                    target = campaigns.get(reported_under(c)[1] or "")
                    if target is not None:
                        self.one.assign_one(c, target)
                    self.progress(f"per-number assignment on profile {profile_label(pid, plan.profile_names)}",
                                  i, len(fs))

    def _todo(self, current: Plan, scope: frozenset[str]) -> list[Finding]:
        """What a re-plan still has to write, of the run's numbers; never a number whose next phase was
        refused (a later round would send the very bulk the phase was refused for), nor one apply would
        not free (its PUT was refused, freeing needs an opt-in: a later round sends it to be refused again)."""
        return [c for c in current.changes if c.writes and c.number in scope and c.number not in self._stale
                and c.number not in self.one.held]

    def _carry_out(self, inflight: InFlight, live: LiveState, desired: DesiredState, plan: Plan) -> None:
        """Carry out the ready phases; a refused one's numbers are this run's stale changes (exit 3)."""
        for t, what in carry_out(self.sub, inflight, live, desired, round_options(plan)):
            if what.outcome is PhaseOutcome.REFUSED:
                for n, s in t.numbers.items():
                    if s is not NumberState.DONE:
                        self._stale[n] = what.said

    def _over_allowance(self, fs: list[Finding], plan: Plan, pid: str, campaign: str) -> bool:
        """A later round's bulk finishes the reviewed plan, and is the next phase a run that waits carries
        out itself: it is held to what the reviewed plan counted, as a journalled phase is (phases.py).
        Over it, nothing is sent and its numbers are this run's stale changes (exit 3)."""
        now = plan.profiles[pid].resends if pid in plan.profiles else 0
        why = over_allowance(resends_allowed(self._reviewed or plan, pid, campaign), now, pid, campaign)
        if why is None:
            return False
        self.progress(f"profile {profile_label(pid, plan.profile_names)}: bulk assignment to {campaign} not sent: {why}")
        for c in fs:
            self._stale[c.number] = why
        return True

    # ------------------------------------------------------------------ phases (resume)

    def resume(self, live: LiveState, inflight: InFlight, desired: DesiredState | None = None,
               options: PlanOptions | None = None) -> list[tuple[Tracked, PhaseResult]]:
        """Carry out every deferred phase whose condition holds and that `desired` (the files at
        hand) still declares, planned again against `live` (phases.py). Without `desired`, none is."""
        return carry_out(self.sub, inflight, live, desired, options)

    def await_acceptance(self) -> None:
        self.sub.await_acceptance()

    def note_finished_work(self) -> None:
        """Ask Telnyx about the tasks and orders earlier runs left open (before a plan is made)."""
        self.sub.note_processed_tasks()
        self.sub.note_finished_orders()

    def _facts(self) -> RunFacts:
        return RunFacts(tasks=set(self.sub.tasks), held=self.one.held, lost_bulks=self.sub.lost_bulks,
                        refused=self.sub.refused, stopped_waiting=self._stopped_waiting, stale=self._stale)

    # ------------------------------------------------------------------ waits

    def _await_earlier_tasks(self) -> None:
        """--until final: a bulk this round did not send because an earlier task for the profile
        may be unprocessed is waited for (asking Telnyx about it, or until the settle window of a
        lost answer passes) before the next round, so rounds are not spent while nothing moves."""
        skipped, self._skipped = self._skipped, set()
        if not skipped or self.until is not Until.FINAL:
            return
        waiter = self._waiter()
        while waiter.more():
            self.sub.note_processed_tasks()
            if not skipped & self.sub.pending_bulks():
                return
            waiter.nap()

    def _verify(self, desired: DesiredState) -> tuple[LiveState, InFlight]:
        """Read live state, judge the journal's open writes against it, journal what changed.

        A bulk task not yet seen processed (this run's or an earlier run's) whose numbers all show
        its campaign is confirmed by the read; each other one is asked about once, and if any turns
        out processed, live state is read again: the first read may predate its work, and a number
        it skipped is only known skipped from a read made after the task was processed."""
        self.sub.note_finished_orders()
        asked: set[str] = set()
        while True:
            live = self.read(desired)
            unsure = []
            for w in self.journal.read().open_writes():
                if w.op is not Op.BULK_ASSIGN or not w.ref or w.processed:
                    continue
                if shows_taken(w, live):
                    self.sub.confirm(w.id)
                elif w.id not in asked:
                    unsure.append(w)
            asked.update(w.id for w in unsure)
            if not unsure or not self.sub.ask(unsure):
                break
        inflight = self._judge(live)
        self.close(inflight)
        return live, inflight

    def _judge(self, live: LiveState) -> InFlight:
        view = self.journal.read()
        kw = {} if self.stuck_after is None else {"stuck_after": self.stuck_after}
        # Applier runs under the state folder's lock (Journal.open_for_writing).
        return judge(view.open_writes(), live, self.server_now(), exclusive=True, **kw)

    def close(self, inflight: InFlight) -> dict[str, State]:
        """Journal what live state shows of the open writes: those that ended (done, failed,
        abandoned), and those Telnyx was seen to take. -> write id: the state it was closed in."""
        now = self.server_now()
        closed: dict[str, State] = {}
        for t in inflight.tracked:
            if t.write.state is State.DEFERRED:
                continue  # a phase is closed by carry_out, which knows whether it was sent
            state = t.closed_state
            failed = {n: t.reasons.get(n, "") for n, s in t.numbers.items() if s is NumberState.FAILED}
            if state is not None:
                self.journal.update(t.write.id, state, at=now, failed=failed, detail=_not_taken(t))
                closed[t.write.id] = state
            elif t.accepted_now:
                self.journal.update(t.write.id, State.ACCEPTED, at=now, detail="live state shows Telnyx took it")
                self.sub.tasks.pop(t.write.id, None)
        return closed

    def _settle(self, desired: DesiredState, plan: Plan, scope: frozenset[str],
                first: tuple[LiveState, InFlight, Plan, list[Finding]] | None = None
                ) -> tuple[LiveState, Plan, list[Finding]]:
        """--until final: re-read until no number of ours is in flight (carrying out deferred
        phases as they become ready), or the deadline. -> (live, re-plan, what still needs a write).
        `first`: a verifying read just made (and its re-plan), judged before any wait."""
        waiter = self._waiter(grow=2.0)
        # Also waited for: the numbers a bulk task re-sends (Telnyx may provision them again, mode
        # bulk_same), never written unless the plan says so.
        watch = scope | resent_numbers(plan)
        while True:
            if first is not None:
                live, inflight, current, todo = first
                first = None
            else:
                live, inflight = self._verify(desired)
                if any(actionable(t) for t in inflight.tracked):
                    self._carry_out(inflight, live, desired, plan)
                    live, inflight = self._verify(desired)
                current = make_plan(desired, live, round_options(plan), only=scope, in_flight=inflight.numbers())
                todo = self._todo(current, scope)
            busy = set(inflight.numbers()) & scope
            busy |= {n for n, a in live.assignments.items()
                     if n in watch and (a.status in IN_FLIGHT_STATUSES or a.carrier == CARRIER_PENDING)}
            if not busy or todo or not waiter.more():
                return live, current, todo
            self.progress(f"waiting for Telnyx to finish {plural(len(busy), 'assignment', 'assignments')} in flight (typically "
                          f"{durations.hours(durations.ASSIGNMENT)} each, sometimes days)")
            waiter.nap()

    def _waiter(self, grow: float = 1.5) -> Waiter:
        return Waiter(self.clock, self.sleep, self._deadline, self.poll_initial, self.poll_max, grow)

    def _expired(self) -> bool:
        return self.clock() >= self._deadline


def _not_taken(t: Tracked) -> str | None:
    n = t.count(NumberState.NOT_TAKEN)
    return f"{plural(n, 'number', 'numbers')} not taken by Telnyx" if n else None

