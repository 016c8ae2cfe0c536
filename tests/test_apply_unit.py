"""apply's life cycle with a fake writer and a virtual clock: no sockets, hours in microseconds.

Each test scripts what Telnyx does (a task processed or not, numbers pending, failing) and checks
the outcome apply reports and its exit code against the contract: 0 accepted or done, 4 only when
Telnyx said a number failed (or a change is blocked), 5 when the wait ended before Telnyx accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reconciler.apply import Applier, ApplyReport, Result, Until
from reconciler.apply.checks import resends_allowed
from reconciler.apply.outcomes import RunFacts, judge_outcomes, left_open, plan_only_outcomes
from reconciler.diff import Action, Finding, LiveHalf
from reconciler.journal import Journal, Op, State, Write
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
from reconciler.tracking import InFlight, NumberState, PhaseState, Tracked

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


# ---------------------------------------------------------------- judging outcomes, branch by branch
# judge_outcomes turns the plan made from the last read, and what this run saw, into the outcome each
# number reports: its result picks the exit code (0, 3, 4, 5), its detail is what the user reads, and its
# status the footer's durations. Each case below is one branch, with the inputs that pick it.

M = [f"+1415555{i:04d}" for i in range(24)]
Q = "5f1e0b0c-0000-4000-8000-000000000002"  # another profile
OTHER = "COTHER1"  # another campaign


def _find(n: str, action: Action, live: LiveHalf | None = None, reason: str | None = None, *,
          declared: bool = True) -> Finding:
    return Finding(n, action, DesiredNumber(n, P, C, "d.yaml", 1, 1) if declared else None, live, reason)


def _plan(*changes: Finding) -> Plan:
    return Plan(DesiredState({}, {f.number: f.desired for f in changes if f.desired is not None}), changes, {}, {}, {})


def _write(wid: str, op: Op, state: State, numbers, *, processed: bool = False, run: str = "r1") -> Write:
    return Write(wid, op, state, run, tuple(numbers), profile=P, campaign=C, processed=processed)


def _track(w: Write, states: dict[str, NumberState], phase: PhaseState | None = None,
           resent: frozenset[str] = frozenset()) -> Tracked:
    return Tracked(w, states, phase=phase, resent=resent)


def _judge(plan: Plan, final: Plan | None, inflight: InFlight | None = None, run: RunFacts | None = None,
           scope: frozenset[str] | None = None) -> dict[str, tuple]:
    scope = frozenset(c.number for c in plan.changes) if scope is None else scope
    out = judge_outcomes(plan, scope, final, inflight, run or RunFacts())
    assert len({o.number for o in out}) == len(out)  # one outcome per number
    return {o.number: (o.result, o.detail, o.status) for o in out}


PENDING = LiveHalf(P, C, "PENDING_ASSIGNMENT")
ASSIGNED_ELSEWHERE = LiveHalf(P, OTHER, "ASSIGNED")


def test_numbers_outside_the_scope_report_only_blocked_and_in_flight_work_and_the_rest_is_still_judged():
    refused = LiveHalf(P, C, "ASSIGNED", "failed")  # a carrier refused it: Telnyx said no
    changes = (_find(M[0], Action.BLOCKED, refused, "a carrier refused it"),
               _find(M[1], Action.BLOCKED, None, "campaign CUNKNOWN is not known"),
               _find(M[2], Action.IN_FLIGHT, PENDING, "journal: task of run r0 accepted"),
               _find(M[3], Action.IN_FLIGHT, LiveHalf(P, C, "PENDING_UNASSIGNMENT")),
               _find(M[4], Action.IN_FLIGHT, None),
               _find(M[5], Action.ASSIGN),  # a write outside the scope: not this run's, nothing reported
               _find(M[6], Action.BLOCKED, LiveHalf(Q, OTHER, "ASSIGNED"), "would empty COTHER1", declared=False),
               _find(M[7], Action.ASSIGN))  # in scope, after the out-of-scope ones
    plan = _plan(*changes)
    scope = frozenset({M[7]})
    got = _judge(plan, _plan(), scope=scope)
    assert got == {M[0]: (Result.FAILED, "a carrier refused it", None),
                   M[1]: (Result.BLOCKED, "campaign CUNKNOWN is not known", None),
                   M[2]: (Result.IN_FLIGHT, "journal: task of run r0 accepted", "PENDING_ASSIGNMENT"),
                   M[3]: (Result.IN_FLIGHT, "PENDING_UNASSIGNMENT", "PENDING_UNASSIGNMENT"),
                   M[4]: (Result.IN_FLIGHT, None, None),
                   M[6]: (Result.BLOCKED, "would empty COTHER1", None),
                   M[7]: (Result.CONVERGED, None, None)}
    out = {o.number: o for o in judge_outcomes(plan, scope, _plan(), None, RunFacts())}
    # Listed under the declared profile and campaign; an undeclared number under the ones Telnyx shows.
    assert (out[M[0]].profile_id, out[M[0]].tcr_campaign_id, out[M[0]].declared) == (P, C, True)
    assert (out[M[6]].profile_id, out[M[6]].tcr_campaign_id, out[M[6]].declared) == (Q, OTHER, False)
    # Without a final read (--no-wait) every number in scope was sent, not yet seen accepted.
    assert _judge(plan, None, scope=scope)[M[7]] == (Result.SUBMITTED, None, None)


def test_a_change_the_last_read_no_longer_plans_is_converged_and_a_prune_is_done_once_off_the_campaign():
    plan = _plan(_find(M[0], Action.ASSIGN), _find(M[1], Action.REASSIGN, ASSIGNED_ELSEWHERE),
                 _find(M[2], Action.UNASSIGN, LiveHalf(P, C, "ASSIGNED"), declared=False),
                 _find(M[3], Action.UNASSIGN, LiveHalf(P, C, "ASSIGNED"), declared=False),
                 _find(M[4], Action.UNASSIGN, LiveHalf(P, C, "ASSIGNED"), declared=False),
                 _find(M[5], Action.ASSIGN))
    final = _plan(_find(M[1], Action.OK, LiveHalf(P, C, "ASSIGNED")),
                  _find(M[3], Action.UNMANAGED, LiveHalf(P, None, None), declared=False),
                  _find(M[4], Action.UNASSIGN, LiveHalf(P, C, "ASSIGNED"), declared=False),
                  _find(M[5], Action.ASSIGN))
    got = _judge(plan, final)
    assert got[M[0]] == got[M[1]] == (Result.CONVERGED, None, None)
    assert got[M[2]] == got[M[3]] == (Result.UNASSIGNED, None, None)
    # Still on the campaign after the run: Telnyx did not take the removal.
    assert got[M[4]] == (Result.FAILED, "still unassign (ASSIGNED)", None)
    assert got[M[5]] == (Result.FAILED, "still assign (no campaign)", None)


def test_numbers_telnyx_had_not_processed_are_not_accepted_unless_live_state_shows_them_in_flight():
    waiting = ("Telnyx had not processed the write when apply stopped waiting; a later run follows it from the "
               "state folder")
    p, d = NumberState.PENDING, NumberState.DONE
    seen = _write("w-task", Op.BULK_ASSIGN, State.SUBMITTED, [M[0], M[1]], processed=True)
    tracked = [_track(seen, {M[0]: p, M[1]: d}),  # a task still followed (run.tasks): its pending numbers
               _track(_write("w-bulk", Op.BULK_ASSIGN, State.ACCEPTED, [M[2], M[3]]), {M[2]: p, M[3]: p}),
               _track(_write("w-move", Op.BULK_MOVE, State.UNKNOWN, [M[4]], processed=True),
                      {M[4]: NumberState.UNSEEN}),
               _track(_write("w-intent", Op.BULK_ASSIGN, State.INTENT, [M[5]]), {M[5]: p}),
               _track(_write("w-sub", Op.BULK_ASSIGN, State.SUBMITTED, [M[6]]), {M[6]: p}),
               _track(_write("w-done", Op.BULK_ASSIGN, State.ACCEPTED, [M[7]], processed=True), {M[7]: p}),
               _track(_write("w-one", Op.ASSIGN, State.ACCEPTED, [M[8]]), {M[8]: p}),
               _track(_write("w-failed", Op.BULK_ASSIGN, State.FAILED, [M[9]]), {M[9]: p})]
    changes = [_find(n, Action.ASSIGN) for n in M[:10]]
    plan = _plan(*changes)
    final = _plan(*[_find(n, Action.ASSIGN) for n in M[:10] if n not in (M[1], M[3])],
                  _find(M[1], Action.ASSIGN, PENDING), _find(M[3], Action.ASSIGN, PENDING))
    got = _judge(plan, final, InFlight(tracked, 0.0), RunFacts(tasks={"w-task"}))
    for n in (M[0], M[2], M[4], M[5], M[6]):
        assert got[n] == (Result.NOT_ACCEPTED, waiting, None), n
    # Done in the task, or Telnyx shows it PENDING: Telnyx took it.
    assert got[M[1]] == got[M[3]] == (Result.IN_FLIGHT, "PENDING_ASSIGNMENT", "PENDING_ASSIGNMENT")
    # A processed bulk, a per-number write and a closed write say nothing about acceptance: judged on live state.
    for n in (M[7], M[8], M[9]):
        assert got[n][0] is Result.FAILED, n
    # The same tracked writes with no task followed and no bulk still processing: nothing is not accepted.
    assert all(r is not Result.NOT_ACCEPTED for r, _, _ in _judge(plan, final, InFlight(tracked[5:], 0.0)).values())


def test_stale_next_phase_and_in_flight_numbers_each_say_why():
    carrier = LiveHalf(P, C, "ASSIGNED", "pending")
    phase = _write("w-next", Op.BULK_ASSIGN, State.DEFERRED, [M[2], M[3], M[4]])
    tracked = [_track(phase, {M[2]: NumberState.PENDING, M[3]: NumberState.PENDING, M[4]: NumberState.DONE},
                      PhaseState.WAITING),
               _track(_write("w-ready", Op.BULK_ASSIGN, State.DEFERRED, [M[10]]), {M[10]: NumberState.PENDING},
                      PhaseState.READY),
               _track(_write("w-over", Op.BULK_ASSIGN, State.DEFERRED, [M[5]]), {M[5]: NumberState.PENDING},
                      PhaseState.ABANDONED),
               _track(_write("w-one", Op.ASSIGN, State.ACCEPTED, [M[8]]), {M[8]: NumberState.PENDING})]
    inflight = InFlight(tracked, 0.0)
    plan = _plan(*[_find(n, Action.ASSIGN) for n in M[:11]])
    final = _plan(_find(M[0], Action.ASSIGN), _find(M[1], Action.ASSIGN),
                  _find(M[2], Action.ASSIGN), _find(M[3], Action.ASSIGN), _find(M[4], Action.ASSIGN),
                  _find(M[5], Action.ASSIGN),
                  _find(M[6], Action.IN_FLIGHT, carrier, "carriers have not finished mapping it"),
                  _find(M[7], Action.IN_FLIGHT, PENDING, "journal says so"),
                  _find(M[8], Action.IN_FLIGHT, None),
                  _find(M[9], Action.RETRY, LiveHalf(P, C, "PENDING_UNASSIGNMENT")),
                  _find(M[10], Action.ASSIGN))
    got = _judge(plan, final, inflight, RunFacts(stale={M[0]: "M0 moved to COTHER1 since the plan was saved"},
                                                 refused={M[5]: "HTTP 422 refused"}))
    assert got[M[0]] == (Result.STALE, "M0 moved to COTHER1 since the plan was saved", None)
    assert got[M[1]] == (Result.FAILED, "still assign (no campaign)", None)
    freed = (f"freed by run r1; the bulk assignment of profile {P} to {C} follows once Telnyx finishes the "
             "unassignment (`reconciler resume`)")
    assert got[M[2]] == got[M[3]] == got[M[10]] == (Result.NEXT_PHASE, freed, None)
    assert got[M[4]] == (Result.NEXT_PHASE, None, None)  # its part of the phase is done: the phase holds no reason
    assert got[M[5]] == (Result.FAILED, "HTTP 422 refused", None)  # an abandoned phase is no next phase
    # In flight: the carriers' words only where the carriers hold it; else Telnyx's status; else the journal's why.
    assert got[M[6]] == (Result.IN_FLIGHT, "carriers have not finished mapping it", "ASSIGNED")
    assert got[M[7]] == (Result.IN_FLIGHT, "PENDING_ASSIGNMENT", "PENDING_ASSIGNMENT")
    journal_why = f"assignment to {C}: write of run r1 accepted; Telnyx is still working on it"
    assert got[M[8]] == (Result.IN_FLIGHT, journal_why, None)
    assert got[M[9]] == (Result.IN_FLIGHT, "PENDING_UNASSIGNMENT", "PENDING_UNASSIGNMENT")
    # Carriers named without their words: Telnyx's status.
    final2 = _plan(*[f if f.number != M[6] else _find(M[6], Action.IN_FLIGHT, carrier) for f in final.changes])
    assert _judge(plan, final2, inflight)[M[6]] == (Result.IN_FLIGHT, "ASSIGNED", "ASSIGNED")


def test_blocked_held_lost_stopped_and_failed_numbers_each_say_why():
    lost = ("Telnyx's answer to the bulk task was lost (it may have taken effect); never repeated blind: the next "
            "apply judges it against live state")
    stopped = "not finished when apply stopped waiting; the next run continues"
    carrier_no = LiveHalf(P, C, "ASSIGNED", "failed")
    failed_a = LiveHalf(P, C, "FAILED_ASSIGNMENT")
    failed_u = LiveHalf(P, OTHER, "FAILED_UNASSIGNMENT")
    plan = _plan(*[_find(n, Action.ASSIGN) for n in M[:9]])
    final = _plan(_find(M[0], Action.BLOCKED, carrier_no, "T-Mobile refused it"),
                  _find(M[1], Action.BLOCKED, ASSIGNED_ELSEWHERE, "would move it off COTHER1"),
                  _find(M[2], Action.ASSIGN),
                  _find(M[3], Action.RETRY, failed_a, "rejected by TCR"),
                  _find(M[4], Action.RETRY, failed_a),
                  _find(M[5], Action.REASSIGN, failed_u),
                  _find(M[6], Action.ASSIGN),
                  _find(M[7], Action.REASSIGN, ASSIGNED_ELSEWHERE),
                  _find(M[8], Action.ASSIGN))
    run = RunFacts(held={M[2]: "held: another campaign needs it", M[0]: "not this", M[1]: "not this"},
                   refused={M[4]: "HTTP 422 refused", M[6]: "HTTP 400 bad"}, stopped_waiting=True)
    got = _judge(plan, final, run=run)
    assert got[M[0]] == (Result.FAILED, "T-Mobile refused it", None)  # a carrier said no: Telnyx said no
    assert got[M[1]] == (Result.BLOCKED, "would move it off COTHER1", None)
    assert got[M[2]] == (Result.BLOCKED, "held: another campaign needs it", None)
    # Telnyx failed it: failed even though apply stopped waiting.
    assert got[M[3]] == (Result.FAILED, "rejected by TCR", None)
    assert got[M[4]] == (Result.FAILED, "HTTP 422 refused", None)
    assert got[M[5]] == (Result.FAILED, "still reassign (FAILED_UNASSIGNMENT)", None)
    # Nothing said no: not finished when the wait ended.
    assert got[M[6]] == got[M[7]] == got[M[8]] == (Result.NOT_ACCEPTED, stopped, None)
    # The answer to the bulk over (P, C) was lost: every number of it, however live state reads.
    got = _judge(plan, final, run=RunFacts(lost_bulks={(P, C)}))
    for n in M[2:9]:
        assert got[n] == (Result.NOT_ACCEPTED, lost, None), n
    # A lost bulk over another campaign is not theirs; without --timeout ending the wait, failed.
    got = _judge(plan, final, run=RunFacts(lost_bulks={(P, OTHER), (Q, C)}, refused={M[6]: "HTTP 400 bad"}))
    assert got[M[6]] == (Result.FAILED, "HTTP 400 bad", None)
    assert got[M[7]] == (Result.FAILED, "still reassign (ASSIGNED)", None)


def test_left_open_lists_waiting_phases_and_counts_the_numbers_this_run_resent_that_are_pending_again():
    live = LiveState(assignments={M[0]: LiveAssignment(M[0], C, "PENDING_ASSIGNMENT"),
                                  M[1]: LiveAssignment(M[1], C, "PENDING_ASSIGNMENT"),
                                  M[2]: LiveAssignment(M[2], C, "ASSIGNED"),
                                  M[3]: LiveAssignment(M[3], C, "PENDING_ASSIGNMENT"),
                                  M[5]: LiveAssignment(M[5], C, "PENDING_ASSIGNMENT")})
    waiting = _write("w-wait", Op.BULK_ASSIGN, State.DEFERRED, [M[6]])
    ready = _write("w-ready", Op.BULK_ASSIGN, State.DEFERRED, [M[7]])
    tracked = [_track(_write("w-1", Op.BULK_ASSIGN, State.ACCEPTED, [M[8]]), {M[8]: NumberState.PENDING},
                      resent=frozenset({M[0], M[1], M[2], M[4]})),  # M[2] sends again; M[4] shows nothing
               _track(_write("w-2", Op.BULK_ASSIGN, State.ACCEPTED, [M[9]]), {M[9]: NumberState.PENDING},
                      resent=frozenset({M[1]})),  # counted once
               _track(_write("w-0", Op.BULK_ASSIGN, State.ACCEPTED, [M[10]], run="r0"),
                      {M[10]: NumberState.PENDING}, resent=frozenset({M[3]})),  # an earlier run's
               _track(waiting, {M[6]: NumberState.PENDING}, PhaseState.WAITING, frozenset({M[5]})),
               _track(ready, {M[7]: NumberState.PENDING}, PhaseState.READY),
               _track(_write("w-gone", Op.BULK_ASSIGN, State.DEFERRED, [M[11]]), {M[11]: NumberState.PENDING},
                      PhaseState.ABANDONED)]
    report = ApplyReport()
    left_open(report, InFlight(tracked, 0.0), live, "r1")
    assert report.resent_pending == 3  # M[0], M[1], M[5]
    assert [w.id for w in report.deferred] == ["w-wait", "w-ready"]
    left_open(report, InFlight(tracked, 0.0), None, "r1")  # no read: nothing known to be pending again
    assert report.resent_pending == 0 and len(report.deferred) == 2
    left_open(report, None, live, "r1")
    assert (report.resent_pending, report.deferred) == (0, [])


def test_with_nothing_to_write_apply_still_reports_blocked_declared_numbers_and_work_in_flight():
    plan = _plan(_find(M[0], Action.BLOCKED, LiveHalf(P, C, "ASSIGNED", "failed"), "a carrier refused it"),
                 _find(M[1], Action.BLOCKED, None, "campaign CUNKNOWN is not known"),
                 _find(M[2], Action.BLOCKED, ASSIGNED_ELSEWHERE, "would empty COTHER1", declared=False),
                 _find(M[3], Action.IN_FLIGHT, PENDING, "journal: task of run r0 accepted"),
                 _find(M[4], Action.IN_FLIGHT, LiveHalf(P, C, "PENDING_UNASSIGNMENT")),
                 _find(M[5], Action.IN_FLIGHT, None),
                 _find(M[6], Action.UNMANAGED, ASSIGNED_ELSEWHERE, declared=False))
    out = plan_only_outcomes(plan)
    assert {o.number: (o.result, o.detail, o.status) for o in out} == {
        M[0]: (Result.FAILED, "a carrier refused it", None),
        M[1]: (Result.BLOCKED, "campaign CUNKNOWN is not known", None),
        M[3]: (Result.IN_FLIGHT, "journal: task of run r0 accepted", "PENDING_ASSIGNMENT"),
        M[4]: (Result.IN_FLIGHT, "PENDING_UNASSIGNMENT", "PENDING_UNASSIGNMENT"),
        M[5]: (Result.IN_FLIGHT, None, None)}
    assert all((o.profile_id, o.tcr_campaign_id) == (P, C) for o in out)
