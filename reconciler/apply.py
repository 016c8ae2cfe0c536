"""Run a plan against Telnyx: check preconditions, write in order, wait, verify, converge.

Order inside a round (a number needs its messaging profile before a campaign):
  1. profile moves (bulk messaging update per target profile, or PATCH for one), all
     submitted, then confirmed by the cheaper of reading the moved numbers or polling orders;
  2. unassignments (prune);
  3. assignments: one bulk task per profile where the plan chose bulk (all submitted, the last
     one polled), else per number (PUT for a reassignment, POST otherwise, with fallbacks).

Telnyx leaves several behaviours unconfirmed (bulk over numbers on another campaign,
PUT as a move, what leaving a profile does...). Rather than guess, apply verifies
after each round by re-reading live state and re-planning *only the plan's numbers*;
whatever is still wrong is done again by the safest remaining route, for at most
`MAX_ROUNDS` rounds. A number is never written in a round unless the fresh plan
says it must be, so nothing already done is repeated.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Protocol

from reconciler.diff import ASSIGNING, Action, Finding
from reconciler.errors import ApiError, ApiUnavailable
from reconciler.model import (
    IN_FLIGHT_STATUSES,
    ASSIGNED,
    PENDING_ASSIGNMENT,
    PENDING_UNASSIGNMENT,
    DesiredState,
    LiveAssignment,
    LiveCampaign,
    LiveState,
)
from reconciler.plan import BULK, Plan, PlanOptions, make_plan

MAX_ROUNDS = 3
# Writes whose repetition has the same effect, tried again at once after a server error or an
# unknown outcome (the client cannot retry them: a POST without a read-back). Bulk assignment
# by profile qualifies because of the scope rule: every number on the profile is declared for
# that campaign, so a second task assigns nothing the first would not have (found by the fault
# matrix: at --fail-rate 0.2 both later rounds' bulk POSTs could fail and apply exited 4).
REPEATABLE_WRITES = {"bulk_assign": 3}
TASK_DONE = frozenset({"completed", "failed"})


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


class Journal:
    """Append-only JSON lines, one per write, flushed at once so a killed run leaves a trace."""

    def __init__(self, path: str | None, run_id: str) -> None:
        self.path = path
        self.run_id = run_id
        self._checked_tail = False
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    def write(self, op: str, result: str, numbers: Iterable[str] = (), **extra: Any) -> None:
        if not self.path:
            return
        entry = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "run": self.run_id, "op": op,
                 "numbers": sorted(numbers), "result": result, **{k: v for k, v in extra.items() if v is not None}}
        line = json.dumps(entry, sort_keys=True) + "\n"
        if not self._checked_tail:
            # A run killed mid-write leaves a cut-short last line: start ours on a fresh one,
            # or our first entry (maybe a task id the next run must wait for) would be lost with it.
            self._checked_tail = True
            if _ends_mid_line(self.path):
                line = "\n" + line
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())


def _ends_mid_line(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell() == 0:
                return False
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) != b"\n"
    except FileNotFoundError:
        return False


def unfinished_tasks(path: str | None) -> list[dict[str, Any]]:
    """Bulk tasks/orders a previous (maybe killed) run submitted and never saw finish."""
    if not path or not os.path.exists(path):
        return []
    open_: dict[str, dict[str, Any]] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                e = json.loads(line)
            except ValueError:
                continue  # a line cut short by SIGKILL
            key = e.get("task_id") or e.get("order_id")
            if not key:
                continue
            if e.get("result") == "submitted":
                open_[key] = e
            else:
                open_.pop(key, None)
    return list(open_.values())


def journalled_numbers(path: str | None) -> frozenset[str]:
    """Numbers this repository's applies have assigned, per the journal (for drift)."""
    if not path or not os.path.exists(path):
        return frozenset()
    out: set[str] = set()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if e.get("op") in ("assign", "replace", "bulk_assign") and e.get("result") in ("ok", "submitted",
                                                                                            "completed"):
                out.update(e.get("numbers", []))
    return frozenset(out)


@dataclass
class Outcome:
    number: str
    profile_id: str | None
    tcr_campaign_id: str | None
    result: str  # converged | failed | in_flight | submitted | stale | blocked | unassigned
    detail: str | None = None


@dataclass
class ApplyReport:
    outcomes: list[Outcome] = field(default_factory=list)
    rounds: int = 0
    writes: int = 0
    stale: list[str] = field(default_factory=list)
    timed_out: bool = False

    @property
    def exit_code(self) -> int:
        if any(o.result in ("failed", "in_flight") for o in self.outcomes) or self.timed_out:
            return 4
        if self.stale:
            return 3
        return 0


@dataclass
class Applier:
    writer: Writer
    read: Reader
    journal: Journal
    progress: Progress = _quiet
    wait: bool = True
    timeout: float = 900.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    poll_initial: float = 0.2
    poll_max: float = 15.0
    writes: int = 0
    _deadline: float = 0.0
    _unpolled: list[str] = field(default_factory=list)  # tasks the verifying read confirms

    # ------------------------------------------------------------------ entry

    def run(self, plan: Plan, *, saved: bool, live: LiveState | None = None) -> ApplyReport:
        """Apply `plan`; `live` is the state a fresh plan was made from (saved plans re-read)."""
        self._deadline = self.clock() + self.timeout
        report = ApplyReport()
        desired = plan.desired
        self._finish_previous_runs()
        todo = [c for c in plan.changes if c.writes]
        if saved:
            live = self.read(desired)
            todo, stale = check_preconditions(todo, live)
            todo, stale_now = check_against_fresh(todo, plan, live)
            stale += stale_now
            report.stale = [c.number for c in stale]
            for c in stale:
                report.outcomes.append(Outcome(c.number, c.profile_id, c.tcr_campaign_id, "stale",
                                               "live state changed since the plan was made; re-plan"))
        # Work in flight (e.g. a killed run's, journalled or not) is never re-issued, but with
        # --wait it is waited for and verified like our own: exit 0 means assigned, a failure is retried.
        waiting = frozenset(c.number for c in plan.changes if c.action is Action.IN_FLIGHT) \
            if self.wait and not saved else frozenset()
        scope = frozenset(c.number for c in todo) | waiting
        current = plan
        if waiting and not todo:
            self.progress(f"waiting for {len(waiting)} assignment(s) in flight")
            live = self._settle(desired, scope)
            current = make_plan(desired, live, _round_options(plan), only=scope)
            todo = [c for c in current.changes if c.writes and c.number in scope]
        while todo and report.rounds < MAX_ROUNDS:
            report.rounds += 1
            self.progress(f"round {report.rounds}: {len(todo)} change(s)")
            self._round(todo, current, live, first=report.rounds == 1)
            if not self.wait:
                break
            live = self._settle(desired, scope)
            current = make_plan(desired, live, _round_options(plan), only=scope)
            todo = [c for c in current.changes if c.writes and c.number in scope]
            if self._expired():
                report.timed_out = True
                break
        report.writes = self.writes
        if self.wait and live is not None and current is plan:
            current = make_plan(desired, live, _round_options(plan), only=scope)  # nothing re-planned yet
        report.outcomes.extend(self._outcomes(plan, scope, current if self.wait and live is not None else None))
        return report

    # ------------------------------------------------------------------ rounds

    def _round(self, changes: list[Finding], plan: Plan, live: LiveState | None, *, first: bool) -> None:
        campaigns = {t: _campaign(cp) for t, cp in plan.campaigns.items() if cp.kind}
        moves = [c for c in changes if c.move]
        failed_moves = self._moves(moves, live) if moves else set()
        # A number that failed to leave a profile still sits there: no bulk on that profile
        # this round (it would sweep the number in); the next round re-plans.
        stuck_on = {c.live_profile_id for c in moves if c.number in failed_moves}
        for c in changes:
            if c.action is Action.UNASSIGN:
                self._write("unassign", [c.number], lambda c=c: self.writer.unassign(c.number))
        by_profile: dict[str, list[Finding]] = {}
        for c in changes:
            if c.action in ASSIGNING and c.number not in failed_moves:
                by_profile.setdefault(c.profile_id or "", []).append(c)
        tasks: list[str] = []
        # Every task is submitted before any is waited for: Telnyx works on them meanwhile.
        for pid, fs in sorted(by_profile.items()):
            strategy = plan.profiles.get(pid)
            if pid in stuck_on:
                continue
            if strategy and strategy.strategy == BULK and strategy.bulk_campaign in campaigns:
                campaign = campaigns[strategy.bulk_campaign or ""]
                if not first:
                    # Bulk left these on their old campaign (Telnyx may skip numbers that
                    # hold another campaign): free them, then bulk again.
                    for c in fs:
                        if c.action is Action.REASSIGN:
                            self._unassign_and_wait(c.number)
                task = self._write("bulk_assign", [c.number for c in fs],
                                   lambda: self.writer.bulk_assign(pid, campaign),
                                   profile=pid, campaign=campaign.tcr_campaign_id)
                if task:
                    tasks.append(task)
            else:
                for i, c in enumerate(fs, 1):
                    campaign = campaigns.get(c.tcr_campaign_id or "")
                    if campaign is not None:
                        self._assign_one(c, campaign)
                    self.progress(f"per-number assignment on profile {pid}", i, len(fs))
        if self.wait and tasks:
            # Poll only the last task; the verifying read that follows shows every number
            # of every task, so polling the others would cost a request each for nothing.
            self.progress(f"waiting for {len(tasks)} bulk assignment task(s)")
            self._wait_task(tasks[-1])
            self._unpolled.extend(tasks[:-1])

    def _moves(self, moves: list[Finding], live: LiveState | None) -> set[str]:
        """Profile moves, waited for even with --no-wait: a campaign needs the profile first."""
        failed: set[str] = set()
        by_target: dict[str, list[Finding]] = {}
        for c in moves:
            by_target.setdefault(c.profile_id or "", []).append(c)
        orders: dict[str, tuple[str, list[str]]] = {}
        for pid, fs in sorted(by_target.items()):
            numbers = [c.number for c in fs]
            ids = {n: live.numbers[n].id for n in numbers if live and n in live.numbers}
            if len(fs) == 1 and numbers[0] in ids:
                if self._write("patch_profile", numbers,
                               lambda: self.writer.patch_profile(ids[numbers[0]], pid), profile=pid) is None:
                    failed.update(numbers)
                continue
            order = self._write("bulk_move", numbers, lambda: self.writer.bulk_move(pid, numbers), profile=pid)
            if order is None:
                failed.update(numbers)
                continue
            orders[order] = (pid, numbers)
        if orders:
            failed |= self._confirm_moves(orders)
        return failed

    def _confirm_moves(self, orders: dict[str, tuple[str, list[str]]]) -> set[str]:
        """Wait for bulk messaging orders: reading the moved numbers while that is cheaper than
        polling each open order, then polling the few orders left (a poll also tells a number
        that failed to move, which a read could only wait out).

        Returns the numbers that did not reach their profile."""
        pending = {n: pid for pid, numbers in orders.values() for n in numbers}
        failed: set[str] = set()
        polled: set[str] = set()
        delay = self.poll_initial
        self.progress(f"waiting for {len(orders)} bulk profile update(s) of {len(pending)} number(s)")
        while pending:
            open_orders = [o for o, (_, numbers) in orders.items() if any(n in pending for n in numbers)]
            if len(open_orders) <= self.writer.profile_read_cost(len(pending)):
                for order in open_orders:
                    result = self._wait_order(order)
                    polled.add(order)
                    left = set(result.get("failed", [])) | set(result.get("pending", []))
                    failed |= left & set(orders[order][1])
                    for n in orders[order][1]:
                        pending.pop(n, None)
                break
            if self._expired():
                break
            where = self.writer.profiles_of(sorted(pending))
            pending = {n: pid for n, pid in pending.items() if where.get(n) != pid}
            if pending:
                self._nap(delay)
                delay = min(delay * 1.5, self.poll_max)
        failed |= set(pending)
        for order, (pid, numbers) in orders.items():
            if order not in polled:  # confirmed by reading: close it in the journal
                left = [n for n in numbers if n in failed]
                self.journal.write("bulk_move", "timeout" if left else "done",
                                   [n for n in numbers if n not in failed], order_id=order, profile=pid,
                                   failed=left or None)
        return failed

    def _assign_one(self, c: Finding, campaign: LiveCampaign) -> None:
        """One number onto one campaign, falling back when Telnyx refuses the first route."""
        first = self.writer.replace if c.action is Action.REASSIGN else self.writer.assign
        try:
            self.writes += 1
            first(c.number, campaign)
            self.journal.write(first.__name__, "ok", [c.number], campaign=campaign.tcr_campaign_id)
            return
        except ApiError as e:
            if e.status is None or e.status >= 500:
                self.journal.write(first.__name__, f"error: {e}", [c.number])
                return
            self.journal.write(first.__name__, f"refused: {e}", [c.number])
        have = self.writer.get_assignment(c.number)
        if have is not None and have.tcr_campaign_id == campaign.tcr_campaign_id and have.status in (
                ASSIGNED, PENDING_ASSIGNMENT):
            return
        if have is not None:
            if first != self.writer.replace:  # bound methods: `is` is never true
                ok = self._write("replace", [c.number], lambda: self.writer.replace(c.number, campaign),
                                 campaign=campaign.tcr_campaign_id)
                if ok is not None:
                    return
            if self._unassign_and_wait(c.number) is not None:
                return  # not freed (refused, timed out, or someone else holds it now): the next round re-plans
        self._write("assign", [c.number], lambda: self.writer.assign(c.number, campaign),
                    campaign=campaign.tcr_campaign_id)

    def _unassign_and_wait(self, number: str) -> LiveAssignment | None:
        """Remove the number's campaign and wait until the record is gone; returns what holds it then.

        None: free. A record: the DELETE was refused, the deadline passed, or someone else (another
        apply, a person) assigned the number meanwhile, in which case waiting for it to disappear
        would last until --timeout.
        """
        have = self.writer.get_assignment(number)
        if have is None:
            return None
        old, seen_leaving = have.tcr_campaign_id, have.status == PENDING_UNASSIGNMENT
        if not seen_leaving:
            if self._write("unassign", [number], lambda: self.writer.unassign(number)) is None:
                return have
        delay = self.poll_initial
        while not self._expired():
            have = self.writer.get_assignment(number)
            if have is None:
                return None
            if have.status == PENDING_UNASSIGNMENT:
                seen_leaving = True
            elif have.tcr_campaign_id != old or seen_leaving:
                return have  # assigned again by someone else
            self._nap(delay)
            delay = min(delay * 2, self.poll_max)
        return have

    # ------------------------------------------------------------------ helpers

    def _write(self, op: str, numbers: list[str], call: Callable[[], Any], **extra: Any) -> Any:
        """Run one write, journal it; None when Telnyx refused (the next round re-plans)."""
        attempts = REPEATABLE_WRITES.get(op, 1)
        for attempt in range(attempts):
            self.writes += 1
            try:
                result = call()
                break
            except ApiError as e:
                self.journal.write(op, f"error: {e}", numbers, **extra)
                self.progress(f"{op} failed for {len(numbers)} number(s): {e}")
                if not isinstance(e, ApiUnavailable) or attempt + 1 >= attempts or self._expired():
                    return None
                self._nap(self.poll_initial * 2 ** attempt)
        key = {"bulk_assign": "task_id", "bulk_move": "order_id"}.get(op)
        if key:
            self.journal.write(op, "submitted", numbers, **{key: result}, **extra)
            self.progress(f"{op}: {len(numbers)} number(s), {key.replace('_', ' ')} {result}")
            return result
        self.journal.write(op, "ok", numbers, **extra)
        return True if result is None else result

    def _wait_task(self, task_id: str) -> str:
        delay, status = self.poll_initial, "pending"
        while not self._expired():
            status = self.writer.get_task(task_id)
            if status in TASK_DONE:
                break
            self._nap(delay)
            delay = min(delay * 1.5, self.poll_max)
        # The per-number list is read only to journal a failed task's numbers; the
        # verifying read shows every number's outcome anyway.
        per_number = self.writer.task_numbers(task_id) if status == "failed" else []
        failed = [n for n, s in per_number if s.lower() not in ("success", "completed", "assigned", "done")]
        self.journal.write("bulk_assign", status, [n for n, _ in per_number], task_id=task_id,
                           failed=sorted(failed) or None)
        return status

    def _wait_order(self, order_id: str) -> dict[str, list[str]]:
        delay = self.poll_initial
        result: dict[str, list[str]] = {"pending": ["?"]}
        while not self._expired():
            result = self.writer.get_bulk_order(order_id)
            if not result.get("pending"):
                break
            self._nap(delay)
            delay = min(delay * 1.5, self.poll_max)
        done = "done" if not result.get("pending") else "timeout"
        self.journal.write("bulk_move", done, result.get("success", []), order_id=order_id,
                           failed=sorted(result.get("failed", [])) or None)
        return result

    def _settle(self, desired: DesiredState, scope: frozenset[str]) -> LiveState:
        """Re-read until none of our numbers is PENDING_*, or the deadline."""
        delay = self.poll_initial
        while True:
            live = self.read(desired)
            pending = any(a.status in (PENDING_ASSIGNMENT, PENDING_UNASSIGNMENT)
                          for n, a in live.assignments.items() if n in scope)
            if not pending:
                for task in self._unpolled:  # this read shows their outcome: close them
                    self.journal.write("bulk_assign", "verified", [], task_id=task)
                self._unpolled.clear()
            if not pending or self._expired():
                return live
            self.progress("waiting for Telnyx to finish pending assignments")
            self._nap(delay)
            delay = min(delay * 2, self.poll_max)

    def _finish_previous_runs(self) -> None:
        """Wait for tasks a killed run submitted, so this run does not submit them again."""
        for e in unfinished_tasks(self.journal.path):
            key = "task_id" if "task_id" in e else "order_id"
            what = "task" if key == "task_id" else "bulk order"
            self.progress(f"waiting for {what} {e[key]} left by run {e.get('run')}")
            try:
                if key == "task_id":
                    self._wait_task(e[key])
                else:
                    self._wait_order(e[key])
            except ApiError as err:
                # Telnyx no longer knows it (or cannot say): close it in the journal and
                # let the fresh plan decide what is left to do.
                op = "bulk_assign" if key == "task_id" else "bulk_move"
                self.journal.write(op, f"unknown: {err}", [], **{key: e[key]})

    def _outcomes(self, plan: Plan, scope: frozenset[str], final_plan: Plan | None) -> list[Outcome]:
        """One outcome per change of the plan, judged on the plan made from the last read."""
        out = []
        final = {f.number: f for f in final_plan.changes} if final_plan is not None else {}
        for c in plan.changes:
            if c.number not in scope:
                if c.action is Action.BLOCKED:
                    out.append(Outcome(c.number, c.profile_id, c.tcr_campaign_id, "blocked", c.reason))
                continue
            if final_plan is None:
                out.append(Outcome(c.number, c.profile_id, c.tcr_campaign_id, "submitted"))
                continue
            f = final.get(c.number)
            if c.action is Action.UNASSIGN:  # done when no declared campaign holds it any more
                done = f is None or f.live_campaign is None
            else:
                done = f is None or f.action is Action.OK
            if done:
                result = "unassigned" if c.action is Action.UNASSIGN else "converged"
                out.append(Outcome(c.number, c.profile_id, c.tcr_campaign_id, result))
            elif f is not None and f.live_status in IN_FLIGHT_STATUSES:
                out.append(Outcome(c.number, c.profile_id, c.tcr_campaign_id, "in_flight", f.live_status))
            elif f is not None:
                out.append(Outcome(c.number, c.profile_id, c.tcr_campaign_id, "failed",
                                   f.reason or f"still {f.action.value} ({f.live_status or 'no campaign'})"))
        return out

    def _expired(self) -> bool:
        return self.clock() >= self._deadline

    def _nap(self, seconds: float) -> None:
        self.sleep(max(0.0, min(seconds, self._deadline - self.clock())))


def _round_options(plan: Plan) -> PlanOptions:
    # Later rounds finish the reviewed plan; its allowances were already granted.
    return PlanOptions(prune=plan.prune, allow_unassign=None, allow_reassign=None,
                       shared_per_number=plan.options.shared_per_number)


def _campaign(cp: Any) -> LiveCampaign:
    return LiveCampaign(cp.tcr_campaign_id, cp.kind, cp.sharing_status, cp.campaign_status,
                        cp.number_pooling, cp.telnyx_campaign_id)


def check_against_fresh(changes: list[Finding], plan: Plan, live: LiveState) -> tuple[list[Finding], list[Finding]]:
    """A saved change whose precondition holds may still be wrong now: the plan made from the
    same files and fresh state must agree on it. This catches what a per-number precondition
    cannot see, e.g. an undeclared number that joined a profile planned for a bulk assignment
    (the bulk would sweep it in), or a move to a profile that can no longer take the number."""
    fresh = {f.number: f for f in make_plan(plan.desired, live, plan.options).changes}
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
