"""Run a plan against Telnyx on Telnyx's timeline: submit, see it accepted, record what is left.

Telnyx works in hours: a bulk task is processed in about a minute, then each number stays
PENDING_ASSIGNMENT for about two hours. So apply, by default, returns once Telnyx has
*accepted* every write (its task or order processed, or the numbers show PENDING_*), and the
state folder's journal remembers the work in flight for every later run (`tracking.py`).
`until=FINAL` waits for every number to reach its final state, up to the timeout.

Order inside a round (a number needs its messaging profile before a campaign):
  1. profile moves (bulk messaging update per target profile, or PATCH for one), all
     submitted, then confirmed by the cheaper of reading the moved numbers or polling orders;
  2. unassignments (prune);
  3. assignments: one bulk task per profile where the plan chose bulk (all submitted, then
     seen processed), else per number (PUT for a reassignment, POST otherwise).

Telnyx leaves several behaviours unconfirmed (bulk over numbers on another campaign, PUT as a
move, what leaving a profile does...). Rather than guess, apply re-reads live state after each
round and re-plans *only the plan's numbers*, leaving out work in flight. A number that needs
freeing first (Telnyx skipped it because another campaign holds it, or refused a PUT) is
freed, and its assignment is journalled as a *deferred* phase of this approved apply, which
`resume` (the scheduled CI job) carries out once Telnyx has finished the unassignment, hours
later. Every write is journalled before it is sent and after its answer (write-ahead).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Protocol

from reconciler.diff import ASSIGNING, Action, Finding
from reconciler.errors import ApiError, ApiUnavailable
from reconciler.journal import Journal, Op, State, Write
from reconciler.model import (
    FAILED_ASSIGNMENT,
    FAILED_UNASSIGNMENT,
    IN_FLIGHT_STATUSES,
    PENDING_UNASSIGNMENT,
    SHARED,
    TELNYX,
    DesiredState,
    LiveAssignment,
    LiveCampaign,
    LiveState,
)
from reconciler.plan import BULK, Plan, PlanOptions, make_plan
from reconciler.tracking import InFlight, NumberState, PhaseState, Tracked, judge, may_be_unprocessed
from reconciler.wait import Waiter

MAX_ROUNDS = 3
# A round whose bulk answer was lost decided nothing (the task is judged after the settle window):
# up to this many such rounds do not count against MAX_ROUNDS.
MAX_LOST_ROUNDS = 3
# Writes whose repetition has the same effect, tried again at once after a server error or an
# unknown outcome (the client cannot retry them: a POST without a read-back). Bulk assignment
# by profile qualifies because of the scope rule: every number on the profile is declared for
# that campaign, so a second task assigns nothing the first would not have (found by the fault
# matrix: at --fail-rate 0.2 both later rounds' bulk POSTs could fail and apply exited 4).
TASK_PROCESSED = frozenset({"completed", "failed"})
_TELNYX_FAILED = frozenset({FAILED_ASSIGNMENT, FAILED_UNASSIGNMENT})
TASK_NUMBER_OK = frozenset({"success", "completed", "assigned", "done", "pending_assignment"})


class Until(str, Enum):
    """How long apply waits."""

    SUBMITTED = "submitted"  # --no-wait: return once every write is sent
    ACCEPTED = "accepted"  # default: once Telnyx has taken every write
    FINAL = "final"  # once every number is ASSIGNED / removed / failed


class Result(str, Enum):
    """One number's outcome. Values appear in JSON output."""

    CONVERGED = "converged"  # on its declared profile and campaign
    UNASSIGNED = "unassigned"  # pruned: no declared campaign holds it any more
    IN_FLIGHT = "in_flight"  # accepted by Telnyx, not final yet (PENDING_*)
    NEXT_PHASE = "next_phase"  # freed; its assignment is a deferred phase (`reconciler resume`)
    SUBMITTED = "submitted"  # --no-wait: sent, not yet seen accepted
    NOT_ACCEPTED = "not_accepted"  # the wait ended before Telnyx confirmed it took the write (exit 5)
    FAILED = "failed"  # Telnyx said so, or a change it confirmed did not hold (exit 4)
    BLOCKED = "blocked"  # the plan could not make this change (exit 4)
    STALE = "stale"  # a saved plan's precondition no longer holds (exit 3)


class Writer(Protocol):
    def bulk_move(self, profile_id: str, numbers: list[str]) -> str: ...
    def get_bulk_order(self, order_id: str) -> dict[str, list[str]]: ...
    def patch_profile(self, number_id: str, profile_id: str) -> None: ...
    def bulk_assign(self, profile_id: str, campaign: LiveCampaign) -> str: ...
    def get_task(self, task_id: str) -> str: ...
    def task_numbers(self, task_id: str) -> list[tuple[str, str]]: ...
    def assign(self, number: str, campaign: LiveCampaign) -> None: ...
    def replace(self, number: str, campaign: LiveCampaign) -> None: ...
    def unassign(self, number: str) -> None: ...
    def get_assignment(self, number: str) -> LiveAssignment | None: ...
    def profiles_of(self, numbers: list[str]) -> dict[str, str | None]: ...
    def profile_read_cost(self, count: int) -> int: ...


Reader = Callable[[DesiredState], LiveState]


class Progress(Protocol):
    def __call__(self, msg: str, done: int | None = None, total: int | None = None) -> None: ...


def _quiet(msg: str, done: int | None = None, total: int | None = None) -> None:
    return None


@dataclass
class Outcome:
    number: str
    profile_id: str | None
    tcr_campaign_id: str | None
    result: Result
    detail: str | None = None
    declared: bool = True  # an undeclared number's blocked prune is reported, not an exit 4 (contract)


@dataclass
class ApplyReport:
    outcomes: list[Outcome] = field(default_factory=list)
    rounds: int = 0
    writes: int = 0
    stale: list[str] = field(default_factory=list)
    timed_out: bool = False
    until: Until = Until.ACCEPTED
    deferred: list[Write] = field(default_factory=list)  # phases left for `resume`
    journal_problems: list[str] = field(default_factory=list)

    def count(self, result: Result) -> int:
        return sum(1 for o in self.outcomes if o.result is result)

    @property
    def exit_code(self) -> int:
        """Contract: 4 failed or blocked, 3 stale, 5 stopped waiting before Telnyx accepted, else 0."""
        results = {o.result for o in self.outcomes if o.declared or o.result is not Result.BLOCKED}
        if Result.FAILED in results or Result.BLOCKED in results:
            return 4
        if self.stale:
            return 3
        if Result.NOT_ACCEPTED in results:
            return 5
        return 0


def campaign_of(tcr: str, uuid: str | None) -> LiveCampaign:
    """The write target as the writer needs it: Telnyx-registered campaigns by UUID, shared by TCR id."""
    return LiveCampaign(tcr, TELNYX if uuid else SHARED, None, None, telnyx_campaign_id=uuid)


@dataclass
class Applier:
    writer: Writer
    read: Reader
    journal: Journal
    progress: Progress = _quiet
    until: Until = Until.ACCEPTED
    timeout: float = 900.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    server_now: Callable[[], float] = time.time  # Telnyx's clock, for ages in the journal
    poll_initial: float = 0.2
    poll_max: float = 15.0
    stuck_after: float | None = None
    writes: int = 0
    _deadline: float = 0.0
    _held: dict[str, str] = field(default_factory=dict)  # number -> why apply would not free it
    _lost_bulks: set[tuple[str, str]] = field(default_factory=set)  # (profile, campaign): answer lost this run
    _refused: dict[str, str] = field(default_factory=dict)  # number -> Telnyx's last refusal, this run
    _lost_answers: int = 0  # bulk answers lost this run (each buys one more round, MAX_LOST_ROUNDS)
    _skipped: set[tuple[str, str]] = field(default_factory=set)  # bulks this round left to an earlier task
    _tasks: dict[str, str] = field(default_factory=dict)  # write id -> task id, this run
    _orders: dict[str, str] = field(default_factory=dict)  # write id -> order id, this run

    # ------------------------------------------------------------------ entry

    def start_clock(self) -> None:
        """Every wait from now on ends within `timeout`."""
        self._deadline = self.clock() + self.timeout

    def run(self, plan: Plan, *, saved: bool, live: LiveState | None = None) -> ApplyReport:
        """Apply `plan`; `live` is the state a fresh plan was made from (saved plans re-read)."""
        self.start_clock()
        self.shared_per_number = plan.options.shared_per_number
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
                report.outcomes.append(Outcome(c.number, c.profile_id, c.tcr_campaign_id, Result.STALE,
                                               "live state changed since the plan was made; re-plan"))
        # Work in flight (ours or a killed run's) is never re-issued; waiting for it to be final
        # is for --until final only.
        waiting = frozenset(c.number for c in plan.changes if c.action is Action.IN_FLIGHT) \
            if self.until is Until.FINAL else frozenset()
        scope = frozenset(c.number for c in todo) | waiting
        # --until final also waits for the numbers a bulk task re-sends (Telnyx may provision
        # them again, mode bulk_same): only waited for, never written unless the plan says so.
        self._resent = _resent(plan) if self.until is Until.FINAL else frozenset()
        current = plan
        if waiting and not todo:
            self.progress(f"waiting for {len(waiting)} number(s) in flight")
            live, current, todo = self._settle(desired, plan, scope)
        while todo and report.rounds < MAX_ROUNDS + min(MAX_LOST_ROUNDS, self._lost_answers):
            report.rounds += 1
            self.progress(f"round {report.rounds}: {len(todo)} change(s)")
            self._round(todo, current, live, first=report.rounds == 1)
            if self.until is Until.SUBMITTED:
                break
            self._await_acceptance()
            self._await_earlier_tasks()
            live, inflight = self._verify(desired)
            if any(t.phase is PhaseState.READY for t in inflight.tracked):
                # A phase deferred this round may be ready at once (Telnyx freed the numbers quickly).
                self.resume(live, inflight)
                self._await_acceptance()
                live, inflight = self._verify(desired)
            current = make_plan(desired, live, _round_options(plan), only=scope, in_flight=inflight.numbers())
            todo = [c for c in current.changes if c.writes and c.number in scope]
            if self.until is Until.FINAL and not todo:
                live, current, todo = self._settle(desired, plan, scope)
            if self._expired():
                report.timed_out = bool(todo) or self._unaccepted()
                self._stopped_waiting = report.timed_out
                break
        final_inflight: InFlight | None = None
        if self.until is not Until.SUBMITTED and live is not None:
            final_inflight = self._judge(live)
            if current is plan:
                current = make_plan(desired, live, _round_options(plan), only=scope,
                                    in_flight=final_inflight.numbers())
            if self._defer_freed(plan, current, live, final_inflight):
                final_inflight = self._judge(live)
                scope = scope | frozenset(n for t in final_inflight.tracked if t.write.state is State.DEFERRED
                                          for n in t.numbers)
        report.writes = self.writes
        report.deferred = [t.write for t in (final_inflight.tracked if final_inflight else [])
                           if t.write.state is State.DEFERRED and t.phase in (PhaseState.WAITING, PhaseState.READY)]
        report.outcomes.extend(self._outcomes(plan, scope, current if final_inflight else None, final_inflight))
        return report

    # ------------------------------------------------------------------ rounds

    def _round(self, changes: list[Finding], plan: Plan, live: LiveState | None, *, first: bool) -> None:
        campaigns = {t: campaign_of(t, cp.telnyx_campaign_id if cp.kind == TELNYX else None)
                     for t, cp in plan.campaigns.items() if cp.kind}
        moves = [c for c in changes if c.move]
        failed_moves = self._moves(moves, live) if moves else set()
        # A number that failed to leave a profile still sits there: no bulk on that profile
        # this round (it would sweep the number in); the next round re-plans.
        stuck_on = {c.live_profile_id for c in moves if c.number in failed_moves}
        for c in changes:
            if c.action is Action.UNASSIGN:
                self._write(Op.UNASSIGN, [c.number], lambda c=c: self.writer.unassign(c.number),
                            campaign=c.live_campaign)
        by_profile: dict[str, list[Finding]] = {}
        for c in changes:
            if c.action in ASSIGNING and c.number not in failed_moves:
                by_profile.setdefault(c.profile_id or "", []).append(c)
        # Every task is submitted before any is waited for: Telnyx works on them meanwhile.
        for pid, fs in sorted(by_profile.items()):
            strategy = plan.profiles.get(pid)
            if pid in stuck_on:
                continue
            if strategy and strategy.strategy == BULK and strategy.bulk_campaign in campaigns:
                campaign = campaigns[strategy.bulk_campaign or ""]
                held = [c for c in fs if c.action is Action.REASSIGN] if not first else []
                if held:
                    # Bulk left these on their old campaign (Telnyx may skip numbers that hold
                    # another campaign): free them; the bulk for them is this apply's next phase.
                    members = _profile_members(plan, live, pid)
                    self._free_then(held, Op.BULK_ASSIGN, campaign, profile=pid, members=members)
                    fs = [c for c in fs if c.action is not Action.REASSIGN]
                    if not fs:
                        continue
                if self._bulk_pending(pid, campaign.tcr_campaign_id):
                    # A task for this profile and campaign is not processed yet: it will take every
                    # number on the profile when it is; a second one would repeat it. The next
                    # round (or run) sees what it left.
                    self.progress(f"a bulk task for profile {pid} and {campaign.tcr_campaign_id} is still being "
                                  "processed by Telnyx; not sending another")
                    if self._answer_lost(pid, campaign):  # reported "not accepted", never failed
                        self._lost_bulks.add((pid, campaign.tcr_campaign_id))
                    self._skipped.add((pid, campaign.tcr_campaign_id))
                    continue
                self._write(Op.BULK_ASSIGN, [c.number for c in fs], lambda: self.writer.bulk_assign(pid, campaign),
                            profile=pid, campaign=campaign)
            else:
                for i, c in enumerate(fs, 1):
                    target = campaigns.get(c.tcr_campaign_id or "")
                    if target is not None:
                        self._assign_one(c, target)
                    self.progress(f"per-number assignment on profile {pid}", i, len(fs))

    def _moves(self, moves: list[Finding], live: LiveState | None) -> set[str]:
        """Profile moves, waited for even with --no-wait: a campaign needs the profile first."""
        failed: set[str] = set()
        by_target: dict[str, list[Finding]] = {}
        for c in moves:
            by_target.setdefault(c.profile_id or "", []).append(c)
        orders: dict[str, tuple[str, str, list[str]]] = {}  # order id -> (write id, profile, numbers)
        for pid, fs in sorted(by_target.items()):
            numbers = [c.number for c in fs]
            ids = {n: live.numbers[n].id for n in numbers if live and n in live.numbers and live.numbers[n].id}
            if len(fs) == 1 and numbers[0] in ids:
                wid, ok = self._write(Op.PATCH_PROFILE, numbers,
                                      lambda: self.writer.patch_profile(ids[numbers[0]], pid), profile=pid)
                if ok is None:
                    failed.update(numbers)
                else:
                    self.journal.update(wid, State.DONE, at=self.server_now())
                continue
            wid, order = self._write(Op.BULK_MOVE, numbers, lambda: self.writer.bulk_move(pid, numbers), profile=pid)
            if order is None:
                failed.update(numbers)
                continue
            orders[order] = (wid, pid, numbers)
        if orders:
            failed |= self._confirm_moves(orders)
        return failed

    def _confirm_moves(self, orders: dict[str, tuple[str, str, list[str]]]) -> set[str]:
        """Wait for bulk messaging orders: reading the moved numbers while that is cheaper than
        polling each open order, then polling the few orders left (a poll also tells a number
        that failed to move, which a read could only wait out).

        Returns the numbers that did not reach their profile (failed, or not yet moved)."""
        pending = {n: pid for _, pid, numbers in orders.values() for n in numbers}
        failed: set[str] = set()
        polled: set[str] = set()
        waiter = self._waiter()
        self.progress(f"waiting for {len(orders)} bulk profile update(s) of {len(pending)} number(s)")
        while pending:
            open_orders = [o for o, (_, _, numbers) in orders.items() if any(n in pending for n in numbers)]
            if len(open_orders) <= self.writer.profile_read_cost(len(pending)):
                for order in open_orders:
                    wid, _, numbers = orders[order]
                    result = self._wait_order(order, wid)
                    polled.add(order)
                    left = set(result.get("failed", [])) | set(result.get("pending", []))
                    failed |= left & set(numbers)
                    for n in numbers:
                        pending.pop(n, None)
                break
            if not waiter.more():
                break
            where = self.writer.profiles_of(sorted(pending))
            pending = {n: pid for n, pid in pending.items() if where.get(n) != pid}
            if pending:
                waiter.nap()
        failed |= set(pending)
        for order, (wid, pid, numbers) in orders.items():
            if order not in polled:  # confirmed by reading: close it in the journal
                left = [n for n in numbers if n in failed]
                if left:
                    self.journal.update(wid, State.ACCEPTED, at=self.server_now(),
                                        detail=f"{len(left)} number(s) not yet moved when apply stopped waiting")
                else:
                    self.journal.update(wid, State.DONE, at=self.server_now())
        return failed

    def _assign_one(self, c: Finding, campaign: LiveCampaign) -> None:
        """One number onto one campaign; where Telnyx refuses a PUT over another campaign, the
        number is freed and its assignment becomes this apply's next phase."""
        # Over a FAILED record, PUT: whether a POST retries it or is refused as "already
        # assigned" is unconfirmed (mode failed_retry), and a PUT replaces it under both.
        op = Op.REPLACE if c.action is Action.REASSIGN or c.live_status == FAILED_ASSIGNMENT else Op.ASSIGN
        call = self.writer.replace if op is Op.REPLACE else self.writer.assign
        wid, ok = self._write(op, [c.number], lambda: call(c.number, campaign), campaign=campaign,
                              accepted_on_success=True)
        if ok is not None or self._last_refused is None:
            return
        if c.live_campaign is None or c.live_status in (FAILED_ASSIGNMENT, FAILED_UNASSIGNMENT):
            return  # refused with nothing in the way: the next round re-plans and reports it
        if op is Op.ASSIGN:
            wid, ok = self._write(Op.REPLACE, [c.number], lambda: self.writer.replace(c.number, campaign),
                                  campaign=campaign, accepted_on_success=True)
            if ok is not None or self._last_refused is None:
                return
        self._free_then([c], Op.ASSIGN, campaign, profile=c.profile_id)

    def _free_then(self, changes: list[Finding], op: Op, campaign: LiveCampaign, *, profile: str | None,
                   members: list[str] | None = None) -> None:
        """Unassign `changes` from the campaign that holds them and journal `op` as the next phase.

        Each number is read first: the plan's view may be old by now (leaving a profile can start
        an unassignment by itself), and a DELETE of what Telnyx is already removing is a repeat."""
        freed = []
        for c in changes:
            try:
                have = self.writer.get_assignment(c.number)
            except ApiError as e:
                self.progress(f"could not read {c.number}'s assignment ({e}); the next round re-plans it")
                continue
            if have is not None and have.tcr_campaign_id == campaign.tcr_campaign_id and have.status not in \
                    _TELNYX_FAILED:
                continue  # already there, or on its way: nothing to free
            if have is None or have.status in _TELNYX_FAILED or have.status == "PENDING_UNASSIGNMENT":
                freed.append(c.number)
                continue
            if have.shared is not False and not self.shared_per_number:
                # Telnyx kept it on a shared campaign; a per-number DELETE there is undocumented
                # (mode shared_delete): not sent without the opt-in, and said so.
                self._held[c.number] = (
                    f"Telnyx kept it on shared campaign {have.tcr_campaign_id}; taking it off needs a per-number "
                    f"DELETE, which Telnyx does not document for shared campaigns: re-run with --shared-per-number "
                    f"if your account accepts per-number writes to shared campaigns, or remove it in the Telnyx portal")
                continue
            _, ok = self._write(Op.UNASSIGN, [c.number], lambda c=c: self.writer.unassign(c.number),
                                campaign=have.tcr_campaign_id, accepted_on_success=True)
            if ok is not None:
                freed.append(c.number)
        if freed:
            self.journal.defer(op, freed, at=self.server_now(), profile=profile, campaign=campaign.tcr_campaign_id,
                               campaign_uuid=campaign.telnyx_campaign_id, after="free", members=members or (),
                               detail=f"{len(freed)} number(s) freed from their old campaign first")
            self.progress(f"{len(freed)} number(s) freed; their assignment to {campaign.tcr_campaign_id} "
                          f"follows once Telnyx finishes the unassignment (`reconciler resume`)")

    def _defer_freed(self, plan: Plan, current: Plan, live: LiveState, inflight: InFlight) -> bool:
        """Declared numbers Telnyx is freeing (PENDING_UNASSIGNMENT: leaving a profile took their
        campaign, or a killed run freed them) get their assignment journalled as a next phase, so
        the scheduled `resume` finishes the approved change instead of leaving them without one."""
        deferred = {n for t in inflight.tracked if t.write.state is State.DEFERRED for n in t.numbers}
        freeing = [c for c in current.changes if c.action is Action.IN_FLIGHT and c.declared
                   and c.live_status == PENDING_UNASSIGNMENT and c.tcr_campaign_id and c.number not in deferred]
        if not freeing:
            return False
        campaigns = {t: campaign_of(t, cp.telnyx_campaign_id if cp.kind == TELNYX else None)
                     for t, cp in current.campaigns.items() if cp.kind and not cp.problem}
        groups: dict[tuple[str, str], list[str]] = {}
        for c in freeing:
            if c.tcr_campaign_id in campaigns:
                groups.setdefault((c.profile_id or "", c.tcr_campaign_id or ""), []).append(c.number)
        for (pid, tcr), numbers in sorted(groups.items()):
            strategy = current.profiles.get(pid) or plan.profiles.get(pid)
            bulk = strategy is not None and strategy.bulk_campaign == tcr or campaigns[tcr].kind == SHARED
            self.journal.defer(Op.BULK_ASSIGN if bulk else Op.ASSIGN, numbers, at=self.server_now(),
                               profile=pid, campaign=tcr, campaign_uuid=campaigns[tcr].telnyx_campaign_id,
                               after="free", members=_profile_members(plan, live, pid) if bulk else (),
                               detail=f"{len(numbers)} number(s) Telnyx is freeing; assign them once it has")
        return bool(groups)

    # ------------------------------------------------------------------ phases (resume)

    def resume(self, live: LiveState, inflight: InFlight) -> list[tuple[Tracked, str]]:
        """Carry out every deferred phase whose condition holds; close the ones that no longer
        apply. Returns (phase, what happened) for each deferred write looked at."""
        done: list[tuple[Tracked, str]] = []
        for t in inflight.tracked:
            w = t.write
            if w.state is not State.DEFERRED:
                continue
            now = self.server_now()
            if t.phase is PhaseState.DONE:
                self.journal.update(w.id, State.DONE, at=now, detail="Telnyx put every number there itself")
                done.append((t, "done"))
            elif t.phase is PhaseState.ABANDONED:
                self.journal.update(w.id, State.ABANDONED, at=now, detail=t.phase_reason)
                done.append((t, f"abandoned: {t.phase_reason}"))
            elif t.phase is PhaseState.READY:
                campaign = campaign_of(w.campaign or "", w.campaign_uuid)
                ready = [n for n, s in t.numbers.items() if s is not NumberState.DONE]
                if w.op is Op.BULK_ASSIGN and w.profile and self._bulk_pending(w.profile, campaign.tcr_campaign_id):
                    # An earlier task for this profile and campaign may still be unprocessed (or
                    # its answer was lost): it takes these numbers too when it is; never repeat it.
                    done.append((t, "waiting: an earlier bulk task for the profile is not processed yet"))
                    continue
                if w.op is Op.BULK_ASSIGN and w.profile:
                    pid = w.profile
                    new, ok = self._write(Op.BULK_ASSIGN, ready, lambda: self.writer.bulk_assign(pid, campaign),
                                          profile=pid, campaign=campaign, note=w.note)
                else:
                    new, ok = None, None
                    for n in ready:
                        new, ok = self._write(Op.ASSIGN, [n], lambda n=n: self.writer.assign(n, campaign),
                                              campaign=campaign, accepted_on_success=True, note=w.note)
                if ok is not None:
                    self.journal.update(w.id, State.DONE, at=self.server_now(), detail=f"carried out as write {new}")
                    done.append((t, f"submitted ({len(ready)} number(s))"))
                else:
                    done.append((t, "refused by Telnyx; will be tried again"))
            else:
                done.append((t, t.phase_reason or "waiting"))
        return done

    # ------------------------------------------------------------------ writes and waits

    _last_refused: ApiError | None = None
    _stopped_waiting: bool = False
    shared_per_number: bool = False  # the run opted in to per-number writes (DELETE too) on shared campaigns
    _resent: frozenset[str] = frozenset()

    def _write(self, op: Op, numbers: list[str], call: Callable[[], Any], *, profile: str | None = None,
               campaign: LiveCampaign | str | None = None, accepted_on_success: bool = False,
               note: dict[str, str] | None = None) -> tuple[str, Any]:
        """Journal the intent, send, journal the outcome. -> (write id, result or None if it failed).

        `campaign`: the target (a TCR id string for a removal: the campaign left)."""
        if isinstance(campaign, str):
            campaign = campaign_of(campaign, None)
        self._last_refused = None
        wid = self.journal.intent(op, numbers, at=self.server_now(), profile=profile,
                                  campaign=campaign.tcr_campaign_id if campaign else None,
                                  campaign_uuid=campaign.telnyx_campaign_id if campaign else None, note=note)
        self.writes += 1
        try:
            result = call()
        except ApiError as e:
            # Never repeated here: a lost answer is judged against live state first (a bulk
            # task's holds its profile for the settle window, tracking._lost).
            ambiguous = isinstance(e, ApiUnavailable) or e.status is None or e.status >= 500
            self.journal.update(wid, State.UNKNOWN if ambiguous else State.REFUSED, at=self.server_now(),
                                detail=str(e))
            self.progress(f"{op.value} failed for {len(numbers)} number(s): {e}")
            if not ambiguous:
                self._last_refused = e
                for n in numbers:  # Telnyx's own words, for the outcome if nothing else resolves it
                    self._refused[n] = f"Telnyx refused the {op.value}: {e}"
            elif op is Op.BULK_ASSIGN and profile and campaign:
                self._lost_bulks.add((profile, campaign.tcr_campaign_id))
                self._lost_answers += 1
            return wid, None
        ref = result if isinstance(result, str) else None
        state = State.ACCEPTED if accepted_on_success else State.SUBMITTED
        self.journal.update(wid, state, at=self.server_now(), ref=ref)
        if op is Op.BULK_ASSIGN and ref:
            self._tasks[wid] = ref
            self.progress(f"bulk assignment: {len(numbers)} number(s), task {ref}")
        elif op is Op.BULK_MOVE and ref:
            self._orders[wid] = ref
        return wid, True if result is None else result

    def _await_acceptance(self) -> None:
        """Wait until Telnyx has processed every task of this run (not for the numbers to be final).

        Polls the last task first: it was submitted last, so once it is processed the others
        most likely are, and each of them then costs one request."""
        if not self._tasks:
            return
        self.progress(f"waiting for Telnyx to process {len(self._tasks)} bulk assignment task(s)")
        for wid, task in reversed(list(self._tasks.items())):
            status = self._wait_task(task)
            if status in TASK_PROCESSED:
                failed = self._task_failures(task) if status == "failed" else {}
                self.journal.update(wid, State.ACCEPTED, at=self.server_now(), detail=f"task {status}",
                                    failed=failed, processed=True)
                del self._tasks[wid]
            if self._expired():
                break

    def _await_earlier_tasks(self) -> None:
        """--until final: a bulk this round did not send because an earlier task for the profile
        may be unprocessed is waited for (asking Telnyx about it, or until the settle window of a
        lost answer passes) before the next round, so rounds are not spent while nothing moves."""
        skipped, self._skipped = self._skipped, set()
        if not skipped or self.until is not Until.FINAL:
            return
        waiter = self._waiter()
        while waiter.more():
            self.note_processed_tasks()
            if not any(self._bulk_pending(p, c) for p, c in skipped):
                return
            waiter.nap()

    def _unaccepted(self) -> bool:
        return bool(self._tasks)

    def _task_failures(self, task: str) -> dict[str, str]:
        """The numbers a processed task says failed. Read only for the journal: a failed read
        must not abort an apply whose writes succeeded (live state shows the outcome anyway)."""
        try:
            per_number = self.writer.task_numbers(task)
        except ApiError as e:
            self.progress(f"could not read task {task}'s numbers ({e}); live state will show their outcome")
            return {}
        return {n: f"task {task} reports {s}" for n, s in per_number if s.lower() not in TASK_NUMBER_OK
                and s.lower() != "pending"}

    def _wait_task(self, task_id: str) -> str:
        waiter = self._waiter()
        status = "pending"
        while waiter.more():
            try:
                status = self.writer.get_task(task_id)
            except ApiError as e:
                self.progress(f"could not read task {task_id} ({e}); the next run follows it from the journal")
                return "unknown"
            if status in TASK_PROCESSED:
                break
            waiter.nap()
        return status

    def _wait_order(self, order_id: str, wid: str) -> dict[str, list[str]]:
        waiter = self._waiter()
        result: dict[str, list[str]] = {"pending": ["?"]}
        while waiter.more():
            result = self.writer.get_bulk_order(order_id)
            if not result.get("pending"):
                break
            waiter.nap()
        failed = {n: "Telnyx reported the profile move failed" for n in result.get("failed", [])}
        if result.get("pending"):
            self.journal.update(wid, State.ACCEPTED, at=self.server_now(), failed=failed,
                                detail="order still processing when apply stopped waiting")
        else:
            self.journal.update(wid, State.FAILED if failed else State.DONE, at=self.server_now(), failed=failed)
        return result

    def _verify(self, desired: DesiredState) -> tuple[LiveState, InFlight]:
        """Read live state, judge the journal's open writes against it, journal what changed."""
        self.note_processed_tasks()
        live = self.read(desired)
        inflight = self._judge(live)
        self._close(inflight)
        return live, inflight

    def _bulk_pending(self, profile: str, campaign: str) -> bool:
        """Is a task for this profile and campaign possibly still unprocessed? The rule is
        tracking's (one with an id until it is seen processed, note_processed_tasks asks; one whose
        answer was lost for the settle window), the same one that holds its numbers in flight."""
        now = self.server_now()
        return any(w.op is Op.BULK_ASSIGN and w.profile == profile and w.campaign == campaign
                   and w.state in (State.SUBMITTED, State.ACCEPTED, State.UNKNOWN)
                   and may_be_unprocessed(w, now, exclusive=True)
                   for w in self.journal.read().open_writes())

    def _answer_lost(self, profile: str, campaign: LiveCampaign) -> bool:
        """Is the task holding this profile one whose answer was lost (no id to follow it by)?"""
        return any(w.op is Op.BULK_ASSIGN and w.profile == profile and w.campaign == campaign.tcr_campaign_id
                   and not w.ref and w.open for w in self.journal.read().open_writes())

    def note_processed_tasks(self) -> None:
        """Open bulk writes of any run whose task was not yet seen processed: ask Telnyx once (a
        number the task skipped is known skipped only when the task is done with the profile)."""
        for w in self.journal.read().open_writes():
            if w.op is Op.BULK_ASSIGN and w.ref and not w.processed and w.id not in self._tasks:
                try:
                    status = self.writer.get_task(w.ref)
                except ApiError:
                    continue  # the journal keeps it open; the settle window decides later
                if status in TASK_PROCESSED:
                    self.journal.update(w.id, State.ACCEPTED, at=self.server_now(), detail=f"task {status}",
                                        processed=True)

    def _judge(self, live: LiveState) -> InFlight:
        view = self.journal.read()
        kw = {} if self.stuck_after is None else {"stuck_after": self.stuck_after}
        # Applier runs under the state folder's lock (Journal.open_for_writing).
        return judge(view.open_writes(), live, self.server_now(), exclusive=True, **kw)

    def _close(self, inflight: InFlight) -> None:
        now = self.server_now()
        for t in inflight.tracked:
            if t.write.state is State.DEFERRED:
                continue
            state = t.closed_state
            failed = {n: t.reasons.get(n, "") for n, s in t.numbers.items() if s is NumberState.FAILED}
            if state is not None:
                self.journal.update(t.write.id, state, at=now, failed=failed,
                                    detail=_not_taken(t))
            elif t.accepted_now:
                self.journal.update(t.write.id, State.ACCEPTED, at=now, detail="live state shows Telnyx took it")
                self._tasks = {w: r for w, r in self._tasks.items() if w != t.write.id}

    def _settle(self, desired: DesiredState, plan: Plan, scope: frozenset[str]
                ) -> tuple[LiveState, Plan, list[Finding]]:
        """--until final: re-read until no number of ours is in flight (carrying out deferred
        phases as they become ready), or the deadline. -> (live, re-plan, what still needs a write)."""
        waiter = self._waiter(grow=2.0)
        while True:
            live, inflight = self._verify(desired)
            if any(t.phase is PhaseState.READY for t in inflight.tracked):
                self.resume(live, inflight)
                live, inflight = self._verify(desired)
            busy = set(inflight.numbers()) & scope
            watch = scope | self._resent
            busy |= {n for n, a in live.assignments.items() if n in watch and a.status in IN_FLIGHT_STATUSES}
            current = make_plan(desired, live, _round_options(plan), only=scope, in_flight=inflight.numbers())
            todo = [c for c in current.changes if c.writes and c.number in scope]
            if not busy or todo or not waiter.more():
                return live, current, todo
            self.progress(f"waiting for Telnyx to finish {len(busy)} assignment(s) in flight")
            waiter.nap()

    def _outcomes(self, plan: Plan, scope: frozenset[str], final_plan: Plan | None,
                  inflight: InFlight | None) -> list[Outcome]:
        """One outcome per change of the plan, judged on the plan made from the last read."""
        out = []
        final = {f.number: f for f in final_plan.changes} if final_plan is not None else {}
        unaccepted = self._unaccepted_numbers(inflight)
        # Numbers only a bulk task not yet seen processed covers, that show nothing at Telnyx yet:
        # Telnyx has not (visibly) taken the write for them.
        unprocessed = {n for t in (inflight.tracked if inflight else []) if t.write.op is Op.BULK_ASSIGN
                       and not t.write.processed and t.write.state in (State.SUBMITTED, State.ACCEPTED,
                                                                       State.UNKNOWN, State.INTENT)
                       for n in t.pending}
        deferred = {n for t in (inflight.tracked if inflight else []) if t.write.state is State.DEFERRED
                    and t.phase in (PhaseState.WAITING, PhaseState.READY) for n in t.numbers}
        why = inflight.numbers() if inflight else {}
        for c in plan.changes:
            o = lambda result, detail=None: Outcome(c.number, c.profile_id, c.tcr_campaign_id, result, detail,  # noqa: E731
                                                    c.declared)
            if c.number not in scope:
                if c.action is Action.BLOCKED:
                    out.append(o(Result.BLOCKED, c.reason))
                elif c.action is Action.IN_FLIGHT:
                    out.append(o(Result.IN_FLIGHT, c.reason or c.live_status))
                continue
            if final_plan is None:
                out.append(o(Result.SUBMITTED))
                continue
            f = final.get(c.number)
            if c.action is Action.UNASSIGN:  # done when no declared campaign holds it any more
                done = f is None or f.live_campaign is None
            else:
                done = f is None or f.action is Action.OK
            if done:
                out.append(o(Result.UNASSIGNED if c.action is Action.UNASSIGN else Result.CONVERGED))
            elif c.number in unaccepted or (c.number in unprocessed and (f is None or f.live_status not in
                                                                           IN_FLIGHT_STATUSES)):
                out.append(o(Result.NOT_ACCEPTED, "Telnyx had not processed the write when apply stopped waiting; "
                                                  "a later run follows it from the state folder"))
            elif c.number in deferred:
                out.append(o(Result.NEXT_PHASE, why.get(c.number)))
            elif f is not None and f.action is Action.IN_FLIGHT:
                out.append(o(Result.IN_FLIGHT, f.live_status or why.get(c.number)))
            elif f is not None and f.live_status in IN_FLIGHT_STATUSES:
                out.append(o(Result.IN_FLIGHT, f.live_status))
            elif f is not None and f.action is Action.BLOCKED:
                out.append(o(Result.BLOCKED, f.reason))
            elif c.number in self._held:
                out.append(o(Result.BLOCKED, self._held[c.number]))
            elif (c.profile_id or "", c.tcr_campaign_id or "") in self._lost_bulks:
                out.append(o(Result.NOT_ACCEPTED, "Telnyx's answer to the bulk task was lost (it may have taken "
                                                  "effect); never repeated blind: the next apply judges it against "
                                                  "live state"))
            elif f is not None and f.live_status not in _TELNYX_FAILED and self._stopped_waiting:
                # Not done because apply stopped waiting (--timeout), not because Telnyx said no.
                out.append(o(Result.NOT_ACCEPTED, "not finished when apply stopped waiting; the next run continues"))
            elif f is not None:
                out.append(o(Result.FAILED, f.reason or self._refused.get(c.number)
                             or f"still {f.action.value} ({f.live_status or 'no campaign'})"))
        return out

    def _unaccepted_numbers(self, inflight: InFlight | None) -> set[str]:
        if inflight is None:
            return set()
        return {n for t in inflight.tracked if t.write.id in self._tasks for n in t.pending}

    def _waiter(self, grow: float = 1.5) -> Waiter:
        return Waiter(self.clock, self.sleep, self._deadline, self.poll_initial, self.poll_max, grow)

    def _expired(self) -> bool:
        return self.clock() >= self._deadline

    def _nap(self, seconds: float) -> None:
        self.sleep(max(0.0, min(seconds, self._deadline - self.clock())))


def _not_taken(t: Tracked) -> str | None:
    n = t.count(NumberState.NOT_TAKEN)
    return f"{n} number(s) not taken by Telnyx" if n else None


def _resent(plan: Plan) -> frozenset[str]:
    """Declared numbers of the plan's bulk campaigns on profiles whose task re-sends some."""
    pairs = {(p.id, p.bulk_campaign) for p in plan.profiles.values() if p.resends}
    if not pairs:
        return frozenset()
    return frozenset(n for n, d in plan.desired.numbers.items() if (d.profile_id, d.tcr_campaign_id) in pairs)


def _profile_members(plan: Plan, live: LiveState | None, pid: str) -> list[str]:
    """Numbers the approved plan lets sit on `pid` when its bulk runs: what is there now and declared there."""
    declared = plan.desired.numbers
    here = [n for n, d in declared.items() if d.profile_id == pid]
    if live is not None:
        here += [n.number for n in live.numbers.values() if n.profile_id == pid and n.number in declared
                 and declared[n.number].profile_id == pid]
    return sorted(set(here))


def _round_options(plan: Plan) -> PlanOptions:
    # Later rounds finish the reviewed plan; its allowances were already granted.
    return PlanOptions(prune=plan.prune, allow_unassign=None, allow_reassign=None,
                       shared_per_number=plan.options.shared_per_number)


def check_against_fresh(changes: list[Finding], plan: Plan, live: LiveState,
                        in_flight: dict[str, str] | None = None) -> tuple[list[Finding], list[Finding]]:
    """A saved change whose precondition holds may still be wrong now: the plan made from the
    same files and fresh state must agree on it. This catches what a per-number precondition
    cannot see, e.g. an undeclared number that joined a profile planned for a bulk assignment
    (the bulk would sweep it in), or a move to a profile that can no longer take the number."""
    fresh = {f.number: f for f in make_plan(plan.desired, live, plan.options, in_flight=in_flight).changes}
    ok, stale = [], []
    for c in changes:
        f = fresh.get(c.number)
        (ok if f is not None and (f.action, f.move) == (c.action, c.move) else stale).append(c)
    return ok, stale


def check_preconditions(changes: list[Finding], live: LiveState) -> tuple[list[Finding], list[Finding]]:
    """Split saved changes into those whose expected live state still holds and the stale rest."""
    ok, stale = [], []
    for c in changes:
        n = live.numbers.get(c.number)
        a = live.assignments.get(c.number)
        now = (n.profile_id if n else None, a.tcr_campaign_id if a else None, a.status if a else None)
        (ok if now == (c.live_profile_id, c.live_campaign, c.live_status) else stale).append(c)
    return ok, stale
