"""apply's life cycle with a fake writer and a virtual clock: no sockets, hours in microseconds.

Each test scripts what Telnyx does (a task processed or not, numbers pending, failing) and checks
the outcome apply reports and its exit code against the contract: 0 accepted or done, 4 only when
Telnyx said a number failed (or a change is blocked), 5 when the wait ended before Telnyx accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reconciler.apply import Applier, Result, Until
from reconciler.apply.checks import resends_allowed
from reconciler.diff import Action, Finding
from reconciler.journal import Journal, Op, State
from reconciler.model import (
    DesiredNumber,
    DesiredProfile,
    DesiredState,
    LiveAssignment,
    LiveCampaign,
    LiveNumber,
    LiveState,
)
from reconciler.plan import BULK, NONE, Plan, ProfilePlan, make_plan

P = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"
C = "CWZTFH1"
N = [f"+1312555090{i}" for i in range(3)]


@dataclass
class FakeTelnyx:
    """Just enough of Telnyx: one profile, one shared campaign, bulk tasks on a virtual clock."""

    now: float = 0.0
    task_after: float = 60.0  # seconds until a task is processed
    pending_for: float = 7200.0  # seconds a number stays PENDING_ASSIGNMENT
    fail: set[str] = field(default_factory=set)  # numbers that end FAILED_ASSIGNMENT
    tasks: dict[str, float] = field(default_factory=dict)  # id -> created
    records: dict[str, tuple[str, float]] = field(default_factory=dict)  # number -> (campaign, pending since)
    writes: int = 0

    # -- clock
    def clock(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.now += s

    # -- reads
    def status(self, n: str) -> LiveAssignment | None:
        self._process()
        if n not in self.records:
            return None
        campaign, since = self.records[n]
        if self.now - since < self.pending_for:
            return LiveAssignment(n, campaign, "PENDING_ASSIGNMENT")
        if n in self.fail:
            return LiveAssignment(n, campaign, "FAILED_ASSIGNMENT", "T-Mobile rejected the assignment")
        return LiveAssignment(n, campaign, "ASSIGNED")

    def read(self, desired: DesiredState) -> LiveState:
        live = LiveState()
        live.profiles = {P: "alpha"}
        live.campaigns = {C: LiveCampaign(C, "shared", "ACCEPTED", "MNO_PROVISIONED")}
        for i, n in enumerate(N):
            live.numbers[n] = LiveNumber(n, str(i), P, "longcode")
            a = self.status(n)
            if a is not None:
                live.assignments[n] = a
        return live

    def _process(self) -> None:
        for task, created in list(self.tasks.items()):
            if created != float("inf") and self.now - created >= self.task_after:
                for n in N:
                    failed = n in self.records and n in self.fail and \
                        self.now - self.records[n][1] >= self.pending_for
                    if n not in self.records or failed:
                        self.records[n] = (C, created + self.task_after)
                        self.fail.discard(n) if failed else None  # a retry succeeds
                self.tasks[task] = float("inf")

    # -- the Writer protocol
    def bulk_assign(self, profile_id: str, campaign: LiveCampaign) -> str:
        self.writes += 1
        tid = f"task-{len(self.tasks)}"
        self.tasks[tid] = self.now
        return tid

    def get_task(self, task_id: str) -> str:
        self._process()
        return "completed" if self.tasks[task_id] == float("inf") else "pending"

    def task_numbers(self, task_id: str) -> list[tuple[str, str]]:
        return [(n, "completed") for n in N]

    def get_assignment(self, number: str) -> LiveAssignment | None:
        return self.status(number)

    def profile_read_cost(self, count: int) -> int:
        return 1


def desired() -> DesiredState:
    return DesiredState({P: DesiredProfile(P, "alpha", (C,))},
                        {n: DesiredNumber(n, P, C, "d.yaml", i + 1, 1) for i, n in enumerate(N)})


def run(tmp_path: Path, telnyx: FakeTelnyx, until: Until = Until.ACCEPTED, timeout: float = 900.0):
    d = desired()
    live = telnyx.read(d)
    plan = make_plan(d, live)
    journal = Journal(tmp_path)
    applier = Applier(telnyx, telnyx.read, journal, until=until, timeout=timeout, sleep=telnyx.sleep,
                      clock=telnyx.clock, server_now=telnyx.clock)
    with journal:
        report = applier.run(plan, saved=False, live=live)
    return report, journal


def results(report) -> set[Result]:
    return {o.result for o in report.outcomes}


def test_returns_once_telnyx_accepted_the_task_with_every_number_in_flight(tmp_path):
    telnyx = FakeTelnyx()
    report, journal = run(tmp_path, telnyx)
    assert results(report) == {Result.IN_FLIGHT} and report.exit_code == 0
    assert 60 <= telnyx.now < 120  # waited for the task (a minute), not for the numbers (hours)
    (w,) = journal.read().writes.values()
    assert w.state is State.ACCEPTED and w.ref == "task-0"


def test_a_bulk_task_journals_the_profile_numbers_it_may_touch_besides_its_own(tmp_path):
    telnyx = FakeTelnyx()
    telnyx.records[N[0]] = (C, -10_000.0)  # already ASSIGNED: the task re-sends it (Telnyx may re-provision)
    report, journal = run(tmp_path, telnyx)
    (w,) = journal.read().writes.values()
    assert w.numbers == tuple(N[1:]) and w.members == (N[0],)


def test_a_task_not_processed_by_the_timeout_is_exit_5_and_never_failed(tmp_path):
    telnyx = FakeTelnyx(task_after=3600)
    report, journal = run(tmp_path, telnyx, timeout=300)
    assert results(report) == {Result.NOT_ACCEPTED} and report.exit_code == 5
    (w,) = journal.read().writes.values()
    assert w.state is State.SUBMITTED and w.open  # the next run follows it


def test_until_final_waits_for_the_numbers_and_retries_a_telnyx_failure_once(tmp_path):
    telnyx = FakeTelnyx(fail={N[0]})
    report, journal = run(tmp_path, telnyx, until=Until.FINAL, timeout=6 * 3600)
    assert results(report) == {Result.CONVERGED} and report.exit_code == 0
    assert telnyx.now > 2 * 7200  # two phases of about two hours: the task, then the retry
    assert telnyx.writes == 2  # the first task and one retry


def test_until_final_reports_a_failure_telnyx_names_when_time_runs_out(tmp_path):
    telnyx = FakeTelnyx(fail={N[0]})
    report, _ = run(tmp_path, telnyx, until=Until.FINAL, timeout=3 * 3600)
    by = {o.number: o.result for o in report.outcomes}
    assert by[N[1]] is Result.CONVERGED
    assert by[N[0]] in (Result.IN_FLIGHT, Result.NOT_ACCEPTED)  # retried, not yet final: never "failed"


def test_work_already_in_flight_is_not_sent_again(tmp_path):
    telnyx = FakeTelnyx()
    run(tmp_path, telnyx)
    assert telnyx.writes == 1
    report, _ = run(tmp_path, telnyx)  # the next apply, same state folder: nothing to write
    assert telnyx.writes == 1 and report.writes == 0


def _submitter(tmp_path: Path):
    from reconciler.apply.submit import Submitter
    from reconciler.wait import Waiter

    telnyx = FakeTelnyx()
    journal = Journal(tmp_path)
    return Submitter(telnyx, journal, lambda *a: None, telnyx.clock,
                     lambda: Waiter(telnyx.clock, telnyx.sleep, 60.0, 1.0, 10.0, 1.5), lambda: False), journal


def test_a_write_answers_sent_refused_or_lost_and_the_journal_says_the_same(tmp_path):
    from reconciler.apply.submit import Answer
    from reconciler.errors import ApiError

    sub, journal = _submitter(tmp_path)

    def refuse() -> None:
        raise ApiError("POST /10dlc/phone_number_campaigns", 422, detail="already assigned")

    def drop() -> None:
        raise ApiError("POST /10dlc/phone_number_campaigns", 502)

    with journal:
        sent = sub.write(Op.BULK_ASSIGN, N, lambda: "task-9", profile=P, campaign=C)
        refused = sub.write(Op.ASSIGN, N[:1], refuse, campaign=C)
        lost = sub.write(Op.ASSIGN, N[1:2], drop, campaign=C)
    assert (sent.answer, sent.ref, sent.ok) == (Answer.SENT, "task-9", True)
    assert (refused.answer, refused.ref, refused.ok) == (Answer.REFUSED, None, False)
    assert (lost.answer, lost.ok) == (Answer.LOST, False)
    writes = journal.read().writes
    assert [writes[s.wid].state for s in (sent, refused, lost)] == [State.SUBMITTED, State.REFUSED, State.UNKNOWN]
    assert sub.tasks == {sent.wid: "task-9"}  # followed until processed
    assert N[0] in sub.refused and N[1] not in sub.refused  # Telnyx's words kept only for a refusal


def test_a_next_phase_may_resend_what_the_plan_counted_and_what_it_sends_or_saw_in_flight_there():
    # resends_allowed bounds what a next phase's bulk may re-send before the phase runs (phases.over_allowance):
    # too high lets an unreviewed re-send through, too low holds back reviewed work.
    q, c2 = "5f1e0b0c-0000-4000-8000-000000000002", "CSHARED2"
    nums = [f"+1312555091{i}" for i in range(7)]
    where = {nums[0]: (P, C), nums[1]: (P, C), nums[2]: (P, C), nums[3]: (P, c2), nums[4]: (q, C),
             nums[5]: (q, C)}
    declared = {n: DesiredNumber(n, p, c, "d.yaml", i + 1, 1) for i, (n, (p, c)) in enumerate(where.items())}
    acts = [Action.ASSIGN, Action.IN_FLIGHT, Action.BLOCKED, Action.ASSIGN, Action.ASSIGN, Action.IN_FLIGHT]
    changes = tuple(Finding(n, a, declared[n], None) for n, a in zip(declared, acts))
    changes += (Finding(nums[6], Action.UNASSIGN, None, None),)  # undeclared: it sends nowhere
    profiles = {P: ProfilePlan(P, "alpha", True, True, BULK, bulk_campaign=C, resends=2),
                q: ProfilePlan(q, "beta", True, True, NONE, resends=5, phase_campaign=C)}
    plan = Plan(DesiredState({}, declared), changes, {}, profiles, {})

    # Counted 2, plus the assign and the in-flight number; the blocked one is never sent.
    assert resends_allowed(plan, P, C) == 4
    # The count belongs to the bulk's campaign only; another campaign gets just what the plan sends there.
    assert resends_allowed(plan, P, c2) == 1
    # A next phase's campaign carries its count too; an assign and an in-flight number add theirs.
    assert resends_allowed(plan, q, C) == 7
    assert resends_allowed(plan, q, c2) == 0
    assert resends_allowed(plan, None, C) == 0
