"""apply's recovery (`apply/recovery.py`) through the fake Telnyx: what an apply finishes before it
plans (a killed run's intents, earlier runs' tasks) and the scheduled `resume` as a whole (what it
journals, reports and carries out, and its exit code). No sockets; a virtual clock."""

from __future__ import annotations

import pytest

from reconciler.apply import PhaseOutcome, PhaseResult, Until, recovery
from reconciler.apply.recovery import StatusReport, WriteStatus
from reconciler.errors import ApiError, ApiUnavailable
from reconciler.journal import Journal, Op, State
from reconciler.model import LiveAssignment, LiveCampaign, LiveNumber, LiveState
from reconciler.tracking import FUTURE_SKEW, SETTLE_WINDOW, NumberState, judge

from tests.apply_fake import P1, P2, SH, TX, TX2, FakeTelnyx, Rec, apply, desired, num

N = [num(i) for i in range(4)]
OLD = -1e5


def said() -> tuple[list[str], object]:
    lines: list[str] = []

    def progress(msg, done=None, total=None):
        lines.append(msg)
    return lines, progress


# ---------------------------------------------------------------- a killed run's intents


def settle(j: Journal, t: FakeTelnyx, timeout: float) -> list[str]:
    """settle_intents under the journal's lock on the fake's clock; what it said."""
    lines, progress = said()
    with j:
        recovery.settle_intents(j, t.read_tracked, t.clock, timeout=timeout, progress=progress, clock=t.clock,
                                sleep=t.sleep)
    return lines


def killed(tmp_path, t: FakeTelnyx, op: Op = Op.ASSIGN, campaign: str = TX, at: float | None = None) -> Journal:
    j = Journal(tmp_path)
    j.intent(op, [N[0]], at=t.now if at is None else at, profile=P1, campaign=campaign)
    return j


def test_an_intent_live_state_shows_taken_is_journalled_accepted_at_once(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX, "PENDING_ASSIGNMENT", 0.0)})
    j = killed(tmp_path, t)
    lines = settle(j, t, 300)
    (w,) = j.read().writes.values()
    assert (w.state, w.detail) == (State.ACCEPTED, "a killed run's write: live state shows Telnyx took it")
    assert w.updated_at == t.now == 0 and lines == []  # no wait, nothing announced
    assert [c[0] for c in t.calls] == ["read_tracked"]


def test_an_intent_with_no_sign_is_waited_for_until_the_settle_window_has_passed(tmp_path):
    t = FakeTelnyx({N[0]: P1})
    j = killed(tmp_path, t)
    lines = settle(j, t, 3600)
    assert lines == ["1 write of a killed run have no journalled answer; waiting up to 3 min for Telnyx "
                     "to show whether it took them"]  # said once
    assert SETTLE_WINDOW <= t.now < SETTLE_WINDOW + 6  # naps of at most 5 s: stops once it is old enough
    (w,) = j.read().writes.values()
    assert w.state is State.INTENT  # nothing concluded here: the plan's judging decides (not taken)
    reads = t.asked("read_tracked")
    assert 1 < reads <= 2 + SETTLE_WINDOW  # looked again after each nap


def test_waiting_for_intents_stops_at_the_timeout(tmp_path):
    t = FakeTelnyx({N[0]: P1})
    j = killed(tmp_path, t)
    lines = settle(j, t, 10)
    assert 10 <= t.now < 16 and len(lines) == 1


def test_an_intent_older_than_the_settle_window_or_none_at_all_costs_no_read(tmp_path):
    t = FakeTelnyx({N[0]: P1})
    t.now = 10 * SETTLE_WINDOW
    j = killed(tmp_path, t, at=t.now - SETTLE_WINDOW)
    lines = settle(j, t, 300) + settle(Journal(tmp_path / "empty"), t, 300)
    assert t.calls == [] and lines == [] and t.now == 10 * SETTLE_WINDOW


def test_of_two_intents_the_one_taken_is_accepted_and_only_the_other_is_waited_for(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, {N[1]: Rec(TX, "PENDING_ASSIGNMENT", 0.0)})
    j = Journal(tmp_path)
    first = j.intent(Op.ASSIGN, [N[0]], at=0.0, profile=P1, campaign=TX)
    second = j.intent(Op.ASSIGN, [N[1]], at=0.0, profile=P1, campaign=TX)
    lines = settle(j, t, 20)
    writes = j.read().writes
    assert (writes[first].state, writes[second].state) == (State.INTENT, State.ACCEPTED)
    assert lines[0].startswith("1 write of a killed run")


# ---------------------------------------------------------------- earlier runs' tasks


def test_an_earlier_runs_task_is_asked_about_and_journalled_once_processed(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1})
    apply(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH)}), until=Until.SUBMITTED)
    (w,) = Journal(tmp_path).read().open_writes()
    assert w.op is Op.BULK_ASSIGN and not w.processed
    t.now += 3600
    with Journal(tmp_path) as j:
        recovery.note_finished_work(t, j)
    (w,) = Journal(tmp_path).read().writes.values()
    assert w.processed and t.asked("get_task") >= 1


# ---------------------------------------------------------------- what status and resume say of a write


@pytest.mark.parametrize("op, ref, answer, said_", [
    (Op.BULK_ASSIGN, "task-0", None, "pending"),
    (Op.BULK_ASSIGN, "task-0", ApiError("get_task", 404, "10005", "gone", "no such task"), "unreadable (404)"),
    (Op.BULK_ASSIGN, "task-0", ApiUnavailable("get_task", None), "unreadable (no answer)"),
    (Op.BULK_ASSIGN, None, None, None),
    (Op.ASSIGN, "x", None, None),
    (Op.BULK_MOVE, "order-0", None, "processing"),
])
def test_telnyx_status_is_what_telnyx_says_of_a_task_or_order_now(tmp_path, op, ref, answer, said_):
    t = FakeTelnyx({N[0]: P1})
    t.tasks["task-0"] = {"profile": P1, "campaign": SH, "at": 0.0, "done": None, "numbers": [], "skipped": False}
    t.orders["order-0"] = {"profile": P2, "numbers": [N[0]], "at": 0.0, "done": False}
    if answer is not None:
        t.errors["get_task"] = [answer]
    j = Journal(tmp_path)
    wid = j.intent(op, [N[0]], at=0.0, profile=P1, campaign=SH)
    if ref:
        j.update(wid, State.SUBMITTED, at=0.0, ref=ref)
    assert recovery.telnyx_status(t, j.read().writes[wid]) == said_
    t.now = 100
    if op is Op.BULK_MOVE:
        assert recovery.telnyx_status(t, j.read().writes[wid]) == "done"


def test_status_report_exit_code_is_2_for_stuck_failed_or_abandoned_work_only(tmp_path):
    j = Journal(tmp_path)
    wid = j.intent(Op.ASSIGN, [N[0]], at=0.0, profile=P1, campaign=TX)
    (w,) = j.read().open_writes()
    fine = judge([w], LiveState(), 60.0, seen=frozenset(N[:1]))
    assert StatusReport().exit_code == 0
    assert StatusReport(writes=[WriteStatus(w, fine.tracked[0])]).exit_code == 0
    stuck = judge([w], _live(N[0], TX, "PENDING_ASSIGNMENT"), 100 * 3600.0).tracked[0]
    assert stuck.stuck and StatusReport(writes=[WriteStatus(w, stuck)]).exit_code == 2
    failed = judge([w], _live(N[0], TX, "FAILED_ASSIGNMENT"), 60.0).tracked[0]
    report = StatusReport(writes=[WriteStatus(w, failed)])
    assert report.exit_code == 2 and report.failed == report.writes and report.stuck == []
    assert WriteStatus(w, failed).counts == {"failed": 1} and WriteStatus(w, None).counts == {}
    # Decided on the phase's outcome, never on its sentence.
    abandoned = PhaseResult(PhaseOutcome.ABANDONED, "closed: the files no longer declare it")
    assert StatusReport(carried_out=[(w, abandoned)]).exit_code == 2
    assert StatusReport(carried_out=[(w, PhaseResult(PhaseOutcome.SUBMITTED, "abandoned? no"))]).exit_code == 0
    refused = StatusReport(carried_out=[(w, PhaseResult(PhaseOutcome.REFUSED, "over the reviewed allowance"))])
    assert refused.exit_code == 3 and refused.refused == [(w, "over the reviewed allowance")]
    for held in (PhaseOutcome.HELD, PhaseOutcome.WAITING, PhaseOutcome.RETRY, PhaseOutcome.FREED_AGAIN,
                 PhaseOutcome.DONE):
        assert StatusReport(carried_out=[(w, PhaseResult(held, "refused: not really"))]).exit_code == 0
    assert StatusReport(writes=[WriteStatus(w, None)]).exit_code == 0
    del wid


def _live(n: str, campaign: str, status: str) -> LiveState:
    s = LiveState()
    s.assignments[n] = LiveAssignment(n, campaign, status, "rejected" if status.startswith("FAILED") else None)
    return s


def test_unhealthy_targets_name_the_campaigns_open_work_assigns_to_that_cannot_send(tmp_path):
    j = Journal(tmp_path)
    j.intent(Op.ASSIGN, N[:2], at=0.0, profile=P1, campaign="CSUSP01")
    j.intent(Op.UNASSIGN, N[2:3], at=0.0, profile=P1, campaign="CGONE01")  # a removal: not an assignment
    j.intent(Op.BULK_ASSIGN, N[3:], at=0.0, profile=P1, campaign=SH)
    live = LiveState(campaigns={
        "CSUSP01": LiveCampaign("CSUSP01", TX and "telnyx", None, "TCR_SUSPENDED", telnyx_campaign_id="u",
                                failure_reasons="dormant"),
        SH: LiveCampaign(SH, "shared", "ACCEPTED", "MNO_PROVISIONED")})
    live.assignments[N[0]] = LiveAssignment(N[0], "CSUSP01", "ASSIGNED", None)
    live.assignments[N[1]] = LiveAssignment(N[1], "CSUSP01", "PENDING_ASSIGNMENT", None)
    (h,) = recovery.unhealthy_targets(j.read().open_writes(), live)
    assert (h.tcr_campaign_id, h.campaign_status, h.numbers_declared, h.numbers_stopped, h.telnyx_reason) == \
        ("CSUSP01", "TCR_SUSPENDED", 2, 1, "dormant")
    gone = recovery.unhealthy_targets(j.read().open_writes()[:1], LiveState())
    assert [(g.tcr_campaign_id, g.kind, g.campaign_status) for g in gone] == [("CSUSP01", None, None)]


def test_ignored_writes_are_those_naming_what_the_files_do_not_declare(tmp_path):
    want = desired({N[0]: (P1, TX), N[1]: (P1, TX)})
    j = Journal(tmp_path)
    j.intent(Op.ASSIGN, N[:1], at=0.0, profile=P1, campaign=TX)  # declared
    j.intent(Op.ASSIGN, N[1:2], at=0.0, profile=P1, campaign=TX2)  # another campaign than declared
    writes = j.read().open_writes()
    ignored = recovery.ignored_writes(writes, want)
    assert [w.campaign for w, _ in ignored] == [TX2] and ignored[0][1]
    assert recovery.ignored_writes(writes, None) == []
    assert recovery.seen(writes) == frozenset(N[:2])
    # A removal from a campaign the files dropped frees a declared number for the one they name now;
    # of a number declared nowhere, it is not this repository's to make.
    j.intent(Op.UNASSIGN, N[:1], at=0.0, profile=P1, campaign="CDROPPED")
    j.intent(Op.UNASSIGN, N[2:3], at=0.0, profile=P1, campaign="CDROPPED")
    ignored = recovery.ignored_writes(j.read().open_writes(), want)
    assert [(w.campaign, w.numbers) for w, _ in ignored] == [(TX2, (N[1],)), ("CDROPPED", (N[2],))]
    assert ignored[1][1] == "campaign CDROPPED is not declared in the files"


# ---------------------------------------------------------------- resume as a whole


def freed(tmp_path) -> FakeTelnyx:
    """A first apply freed N[0] (its PUT refused) and journalled its assignment as the next phase;
    two hours later Telnyx has finished the unassignment."""
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX2, "ASSIGNED", OLD)}, put_refused=True)
    assert len(apply(tmp_path, t, desired({N[0]: (P1, TX)})).report.deferred) == 1
    t.now += 2 * 3600
    return t


def run_resume(tmp_path, t, files, **kw) -> StatusReport:
    lines, progress = said()
    with Journal(tmp_path) as j:
        return recovery.resume(t, j, t.read_tracked, t.clock, progress=progress, timeout=600, desired=files,
                               clock=t.clock, sleep=t.sleep, **kw)


def test_resume_carries_out_a_ready_phase_the_files_declare_and_reports_every_write(tmp_path):
    t = freed(tmp_path)
    report = run_resume(tmp_path, t, desired({N[0]: (P1, TX)}), problems=["journal.jsonl:9: not JSON; skipped"])
    assert [(what.outcome, what.said) for _, what in report.carried_out] == [
        (PhaseOutcome.SUBMITTED, "submitted (1 number)")]
    assert t.writes()[-1][:3] == ("assign", N[0], TX)
    assert report.problems == ["journal.jsonl:9: not JSON; skipped"] and report.ignored == []
    assert report.now == t.now and report.exit_code == 0
    states = {ws.write.op: ws.closed_as for ws in report.writes}
    assert states[Op.UNASSIGN] is State.DONE  # the removal ended: journalled done by this run
    phase = [ws for ws in report.writes if ws.write.state is State.DEFERRED]
    assert len(phase) == 1 and phase[0].tracked is not None
    # Carried out by this run: said closed (done: its write was sent), not "next phase ready".
    assert phase[0].closed_as is State.DONE and phase[0].counts != {"abandoned": 1}


def test_resume_without_the_files_writes_nothing(tmp_path):
    t = freed(tmp_path)
    before = len(t.writes())
    report = run_resume(tmp_path, t, None)
    assert len(t.writes()) == before and report.exit_code == 0


def test_resume_abandons_a_phase_the_files_no_longer_declare_exit_2(tmp_path):
    t = freed(tmp_path)
    before = len(t.writes())
    report = run_resume(tmp_path, t, desired({N[0]: (P1, TX2)}))
    assert len(t.writes()) == before
    assert report.exit_code == 2 and [what.outcome for _, what in report.carried_out] == [PhaseOutcome.ABANDONED]
    # Said closed as abandoned, its number's work abandoned; the removal keeps its own verdict.
    by_op = {ws.write.op: ws for ws in report.writes}
    assert by_op[Op.ASSIGN].closed_as is State.ABANDONED and by_op[Op.ASSIGN].counts == {"abandoned": 1}
    assert by_op[Op.UNASSIGN].closed_as is State.DONE and by_op[Op.UNASSIGN].counts != {"abandoned": 1}


def test_resume_with_nothing_open_reads_nothing_and_compacts(tmp_path, monkeypatch):
    t = FakeTelnyx({N[0]: P1})
    compacted = []
    monkeypatch.setattr(Journal, "compact", lambda self, *a, **k: compacted.append(1) or False)
    report = run_resume(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert report.writes == [] and report.carried_out == [] and t.calls == [] and compacted == [1]
    assert report.now == t.now


def stop_campaign(t: FakeTelnyx, tcr: str, status: str) -> None:
    """The fake's reads show campaign `tcr` with this campaignStatus (one that cannot carry traffic)."""
    real = t._live

    def stopped():
        live = real()
        c = live.campaigns[tcr]
        live.campaigns[tcr] = LiveCampaign(c.tcr_campaign_id, c.kind, None, status,
                                           telnyx_campaign_id=c.telnyx_campaign_id)
        return live
    t._live = stopped


def test_resume_names_the_unhealthy_campaign_its_open_work_assigns_to(tmp_path):
    t = freed(tmp_path)
    stop_campaign(t, TX, "TCR_EXPIRED")
    report = run_resume(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert [h.tcr_campaign_id for h in report.unhealthy] == [TX]


def test_a_stuck_write_makes_resume_exit_2(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX, "PENDING_ASSIGNMENT", 0.0)}, pending_for=1e9)
    j = Journal(tmp_path)
    wid = j.intent(Op.ASSIGN, N[:1], at=0.0, profile=P1, campaign=TX)
    j.update(wid, State.ACCEPTED, at=0.0)
    t.now = 73 * 3600
    report = run_resume(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert report.exit_code == 2 and [ws.write.id for ws in report.stuck] == [wid]
    assert report.writes[0].counts == {NumberState.PENDING.value: 1}
    t.now = 71 * 3600
    assert run_resume(tmp_path, t, desired({N[0]: (P1, TX)}), stuck_after=80 * 3600).exit_code == 0


# ---------------------------------------------------------------- each input of resume and of what it reports


def test_a_campaign_open_work_assigns_to_is_reported_with_everything_telnyx_says_of_it(tmp_path):
    j = Journal(tmp_path)
    j.intent(Op.ASSIGN, N[:3], at=0.0, profile=P1, campaign="CSHARE1")
    live = LiveState(campaigns={"CSHARE1": LiveCampaign("CSHARE1", "shared", "PENDING", "ACTIVE",
                                                        failure_reasons="not yet")})
    for n, status in zip(N[:3], ("ASSIGNED", "ASSIGNED", "PENDING_ASSIGNMENT")):
        live.assignments[n] = LiveAssignment(n, "CSHARE1", status, None)
    (h,) = recovery.unhealthy_targets(j.read().open_writes(), live)
    from reconciler.diff.health import traffic_problem

    assert h.problem == traffic_problem(live.campaigns["CSHARE1"], "CSHARE1") and "CSHARE1" in h.problem
    assert (h.tcr_campaign_id, h.kind, h.sharing_status, h.campaign_status, h.telnyx_reason, h.numbers_declared,
            h.numbers_stopped) == ("CSHARE1", "shared", "PENDING", "ACTIVE", "not yet", 3, 2)


def test_a_write_outside_this_runs_subset_does_not_hide_the_ignored_ones_after_it(tmp_path):
    want = desired({N[0]: (P1, TX), N[1]: (P1, TX)})
    subset = type(want)(want.profiles, {N[1]: want.numbers[N[1]]}, want.policy, frozenset({N[0]}))
    j = Journal(tmp_path)
    j.intent(Op.ASSIGN, N[:1], at=0.0, profile=P1, campaign=TX2)  # out of scope: not judged here
    j.intent(Op.ASSIGN, N[1:2], at=0.0, profile=P1, campaign=TX2)  # in scope, not declared so
    ignored = recovery.ignored_writes(j.read().open_writes(), subset)
    assert [w.numbers for w, _ in ignored] == [(N[1],)]


def test_an_intent_is_waited_for_on_telnyxs_clock_whatever_its_epoch(tmp_path):
    t = FakeTelnyx({N[0]: P1})
    t.now = 1_800_000_000.0
    j = killed(tmp_path, t)
    settle(j, t, 3600)
    assert 1_800_000_000.0 + SETTLE_WINDOW <= t.now < 1_800_000_000.0 + SETTLE_WINDOW + 6


def test_resume_judges_under_the_lock_a_killed_runs_intent_past_the_settle_window_is_not_waited_for(tmp_path):
    """resume holds the lock: no other run can be between sending and journalling, so an intent
    with no sign once the settle window has passed is over (not taken), not held for the grace."""
    t = FakeTelnyx({N[0]: P1})
    j = Journal(tmp_path)
    j.intent(Op.ASSIGN, N[:1], at=0.0, profile=P1, campaign=TX)
    t.now = SETTLE_WINDOW + 60
    report = run_resume(tmp_path, t, desired({N[0]: (P1, TX)}))
    (ws,) = report.writes
    assert ws.tracked.numbers == {N[0]: NumberState.NOT_TAKEN} and ws.closed_as is State.DONE


def test_resume_reports_what_telnyx_says_of_each_open_task(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, task_after=1e9)
    apply(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH)}), until=Until.SUBMITTED)
    report = run_resume(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH)}))
    assert [(ws.write.op, ws.telnyx_status, ws.closed_as) for ws in report.writes] == [
        (Op.BULK_ASSIGN, "pending", None)]  # open work stays open in the report


def test_resume_judges_stuck_by_its_own_limit(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX, "PENDING_ASSIGNMENT", 0.0)}, pending_for=1e9)
    j = Journal(tmp_path)
    wid = j.intent(Op.ASSIGN, N[:1], at=0.0, profile=P1, campaign=TX)
    j.update(wid, State.ACCEPTED, at=0.0)
    t.now = 75 * 3600  # past the default 72 h, not past 80 h
    report = run_resume(tmp_path, t, desired({N[0]: (P1, TX)}), stuck_after=80 * 3600)
    assert report.exit_code == 0 and report.stuck == [] and report.stuck_after == 80 * 3600


def test_waiting_for_intents_naps_from_one_second_growing_to_five(tmp_path):
    t = FakeTelnyx({N[0]: P1})
    j = killed(tmp_path, t)
    naps: list[float] = []

    def sleep(s: float) -> None:
        naps.append(s)
        t.sleep(s)
    with j:
        recovery.settle_intents(j, t.read_tracked, t.clock, timeout=60, progress=lambda *a, **k: None,
                                clock=t.clock, sleep=sleep)
    assert naps[:6] == [1.0, 1.5, 2.25, 3.375, 5.0, 5.0]  # half as long again each time


def test_a_killed_removal_whose_number_the_tracked_read_finds_on_no_campaign_was_taken(tmp_path):
    """The tracked read looks up every number of the intents: one it finds nowhere has no
    campaign, so the removal happened (no wait)."""
    t = FakeTelnyx({N[0]: P1})
    j = killed(tmp_path, t, op=Op.UNASSIGN)
    lines = settle_with(j, t, lambda writes: LiveState())
    assert lines == [] and j.read().open_writes()[0].state is State.ACCEPTED


def settle_with(j: Journal, t: FakeTelnyx, read_tracked) -> list[str]:
    lines, progress = said()
    with j:
        recovery.settle_intents(j, read_tracked, t.clock, timeout=60, progress=progress, clock=t.clock, sleep=t.sleep)
    return lines


def test_resume_reports_the_open_writes_the_files_do_not_declare(tmp_path):
    t = freed(tmp_path)
    report = run_resume(tmp_path, t, desired({N[0]: (P1, TX2)}))
    assert [(w.op, why) for w, why in report.ignored] == [(Op.ASSIGN, f"campaign {TX} is not declared in the files")]


# ---------------------------------------------------------------- what status and resume say of service


def test_sending_now_says_which_numbers_of_open_work_can_send(tmp_path):
    """What `status` counts as sending: ASSIGNED, ready at the carriers, on a campaign that can carry
    traffic (one the read did not return counts as able: a stop is never invented) and, where the
    read shows the number, on a messaging profile. A number two writes hold is judged once."""
    n = [num(i) for i in range(10, 20)]
    j = Journal(tmp_path)
    j.intent(Op.ASSIGN, n[:6], at=0.0, profile=P1, campaign=TX)
    j.intent(Op.ASSIGN, n[5:], at=0.0, profile=P1, campaign=TX)
    live = LiveState(campaigns={
        TX: LiveCampaign(TX, "telnyx", None, "MNO_PROVISIONED", telnyx_campaign_id="u"),
        "CSUSP01": LiveCampaign("CSUSP01", "telnyx", None, "TCR_SUSPENDED", telnyx_campaign_id="v")})
    on = {0: TX, 2: TX, 3: TX, 4: "CSUSP01", 5: "CUNREAD", 6: TX, 8: "CSUSP01", 9: TX}
    carrier = {2: "pending", 3: "failed"}
    for i, campaign in on.items():
        live.assignments[n[i]] = LiveAssignment(n[i], campaign, "ASSIGNED", carrier=carrier.get(i))
    live.assignments[n[1]] = LiveAssignment(n[1], TX, "PENDING_ASSIGNMENT")
    for i in (0, 6, 9):
        live.numbers[n[i]] = LiveNumber(n[i], str(i), None if i == 6 else P1, "longcode")
    assert recovery.sending_now([x for w in j.read().open_writes() for x in w.numbers], live) == {
        n[0]: True,  # assigned, ready, on its profile
        n[1]: False,  # still pending
        n[2]: False, n[3]: False,  # a carrier has not mapped it, or refused it
        n[4]: False, n[8]: False,  # its campaign cannot carry traffic
        n[5]: True,  # its campaign was not read, the number not looked up: nothing says it stopped
        n[6]: False,  # on no messaging profile
        n[7]: False,  # on no campaign
        n[9]: True}


def test_resume_says_which_numbers_send_and_takes_durations_from_the_state_folders_history(tmp_path):
    t = freed(tmp_path)
    (tmp_path / "history.json").write_text('{"format": 1, "observed": {"assignment": [600, 700, 800, 900, 1200]}, '
                                           '"seen": []}', encoding="utf-8")
    report = run_resume(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert report.sending == {N[0]: False}  # freed, not assigned again yet
    # five real observations: their 90th percentile (durations.Figures)
    assert (report.figures["assignment"], report.figures.source["assignment"]) == (1200.0, "observed")
    assert report.history_problem is None


def test_resume_names_a_history_it_cannot_read_and_uses_telnyxs_figures(tmp_path):
    t = freed(tmp_path)
    (tmp_path / "history.json").write_text("{", encoding="utf-8")
    report = run_resume(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert report.history_problem == "history.json: unreadable (JSONDecodeError); ignored"
    assert report.figures.source["assignment"] == "typical"


def test_resume_waits_for_the_bulk_task_it_sends_on_telnyxs_clock_no_longer_than_its_timeout(tmp_path):
    """A phase resume carries out as a bulk task: it says what it sent and that it waits, waits on
    Telnyx's clock up to its own timeout (not apply's default), and journals the task at Telnyx's time."""
    want = desired({N[0]: (P1, SH), N[1]: (P1, SH)})
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, {N[0]: Rec(TX2, "ASSIGNED", OLD), N[1]: Rec(TX2, "ASSIGNED", OLD)})
    assert len(apply(tmp_path, t, want).report.deferred) == 1  # freed first, the bulk assignment next
    t.now += 2 * 3600
    t.task_after = 1e9  # Telnyx does not process it while resume waits
    start = t.now
    lines, progress = said()
    with Journal(tmp_path) as j:
        report = recovery.resume(t, j, t.read_tracked, t.clock, progress=progress, timeout=120, desired=want,
                                 clock=t.clock, sleep=t.sleep)
    assert [str(what) for _, what in report.carried_out] == ["submitted (2 numbers)"]
    assert lines == ["bulk assignment: 2 numbers, task task-1",
                     "waiting for Telnyx to process 1 bulk assignment task (a task typically takes about 1 min)"]
    assert t.now - start == 120
    (sent,) = [w for w in Journal(tmp_path).read().writes.values() if w.state is State.SUBMITTED]
    assert (sent.op, sent.ref, sent.submitted_at) == (Op.BULK_ASSIGN, "task-1", start)


def test_resume_closes_a_removal_whose_number_the_tracked_read_finds_nowhere(tmp_path):
    """The tracked read looks up every number of the open writes: a number it finds on no campaign
    (here one the account no longer holds, its campaign not read) was looked at, and its removal is
    done; it is not 'unseen' work left open for ever."""
    t = FakeTelnyx({N[0]: P1})
    j = Journal(tmp_path)
    wid = j.intent(Op.UNASSIGN, N[3:4], at=0.0, profile=P1, campaign="CGONE01")
    j.update(wid, State.ACCEPTED, at=0.0)
    t.now = 3600.0
    (ws,) = run_resume(tmp_path, t, desired({N[0]: (P1, TX)})).writes
    assert (ws.tracked.numbers, ws.closed_as) == ({N[3]: NumberState.DONE}, State.DONE)


# ---------------------------------------------------------------- status: judged now, writes nothing


def run_status(tmp_path, t: FakeTelnyx, j: Journal, **kw) -> StatusReport:
    return recovery.status(t, t.read_tracked, t.clock, j.read().open_writes(), tmp_path, **kw)


def test_status_with_nothing_open_reads_nothing_and_says_telnyxs_now(tmp_path):
    t = FakeTelnyx({N[0]: P1})
    t.now = 5000.0
    report = run_status(tmp_path, t, Journal(tmp_path), problems=["journal.jsonl:3: not JSON; skipped"])
    assert (report.writes, report.now, report.problems, report.exit_code) == \
        ([], 5000.0, ["journal.jsonl:3: not JSON; skipped"], 0)
    assert t.calls == []


def test_status_judges_each_open_write_against_a_tracked_read_and_writes_nothing(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1, N[2]: P1}, {N[0]: Rec(TX, "PENDING_ASSIGNMENT", 0.0),
                                                    N[1]: Rec(TX, "FAILED_ASSIGNMENT", 0.0)}, pending_for=1e9)
    j = Journal(tmp_path)
    wid = j.intent(Op.ASSIGN, N[:2], at=0.0, profile=P1, campaign=TX)
    j.update(wid, State.ACCEPTED, at=0.0)
    j.intent(Op.ASSIGN, N[2:3], at=0.0, profile=P1, campaign="CNOTDECL")
    t.now = 3600.0
    before = (tmp_path / "journal.jsonl").read_bytes()
    report = run_status(tmp_path, t, j, desired=desired({n: (P1, TX) for n in N[:3]}), stuck_after=7200.0)
    assert (tmp_path / "journal.jsonl").read_bytes() == before  # nothing journalled, nothing closed
    assert [c[0] for c in t.calls] == ["read_tracked"] and t.writes() == []
    assert report.now == 3600.0 and report.stuck_after == 7200.0
    by_id = {ws.write.id: ws for ws in report.writes}
    assert by_id[wid].counts == {"pending": 1, "failed": 1} and by_id[wid].closed_as is None
    assert report.exit_code == 2 and [ws.write.id for ws in report.failed] == [wid]
    assert [(w.campaign, why) for w, why in report.ignored] == [("CNOTDECL", "campaign CNOTDECL is not declared in the files")]
    assert report.sending == {N[0]: False, N[1]: False, N[2]: False} and report.stuck == []
    t.now = 7200.0 + 1  # past its own stuck limit: stuck, exit 2
    assert [ws.write.id for ws in run_status(tmp_path, t, j, stuck_after=7200.0).stuck] == [wid]


@pytest.mark.parametrize("ahead, said", [(FUTURE_SKEW, False), (FUTURE_SKEW + 1, True)])
def test_status_names_open_writes_journalled_after_telnyxs_now(tmp_path, ahead, said):
    """Past FUTURE_SKEW after Telnyx's now a write is not believed (issue 24): each is said with why,
    and none is reported as work (no age, no ETA); up to it, it is work with an age of 0."""
    t = FakeTelnyx({N[0]: P1, N[1]: P1})
    j = Journal(tmp_path)
    first = j.intent(Op.ASSIGN, N[:1], at=1000.0 + ahead, profile=P1, campaign=TX)
    j.intent(Op.ASSIGN, N[1:2], at=1000.0 + ahead, profile=P1, campaign=TX)
    t.now = 1000.0
    report = run_status(tmp_path, t, j, problems=["one"])
    if said:
        assert len(report.problems) == 3 and report.problems[0] == "one" and report.writes == []
        assert report.problems[1].startswith(f"write {first} of run ") and "journalled after Telnyx's now: its " \
            "submitted_at 1970-01-01T00:26:41Z is more than 10 min after 1970-01-01T00:16:40Z" in report.problems[1]
    else:
        assert report.problems == ["one"] and [ws.tracked.age for ws in report.writes] == [0.0, 0.0]


# ---------------------------------------------------------------- status: numbers closed writes left failed


def test_a_closed_writes_failures_are_the_journals_word_only_while_it_is_the_latest_write(tmp_path):
    """`JournalView.left_failed`: the numbers a closed assigning write recorded failed, where no later
    write (but one refused or abandoned: it never happened) names them; removals' failures are not it."""
    j = Journal(tmp_path)
    first = j.intent(Op.ASSIGN, N[:4], at=0.0, profile=P1, campaign=TX)
    j.update(first, State.FAILED, at=10.0, failed={n: "timed out" for n in N[:4]})
    retried = j.intent(Op.ASSIGN, N[1:2], at=20.0, profile=P1, campaign=TX)
    j.update(retried, State.DONE, at=30.0)
    j.update(j.intent(Op.ASSIGN, N[2:3], at=40.0, profile=P1, campaign=TX), State.REFUSED, at=41.0)
    j.intent(Op.ASSIGN, N[3:4], at=50.0, profile=P1, campaign=TX)  # open: open work, not "failed"
    gone = j.intent(Op.UNASSIGN, [num(9)], at=0.0, profile=P1, campaign=TX)
    j.update(gone, State.FAILED, at=1.0, failed={num(9): "FAILED_UNASSIGNMENT"})
    assert [(w.id, numbers) for w, numbers in j.read().left_failed()] == [(first, (N[0], N[2]))]


def test_status_says_the_numbers_a_closed_write_left_failed_while_live_state_shows_them_not_sending(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1, N[2]: P1}, {N[0]: Rec(TX, "FAILED_ASSIGNMENT", 0.0, "MNO error 4102"),
                                                    N[1]: Rec(TX, "ASSIGNED", 0.0), N[2]: Rec(TX2, "FAILED_ASSIGNMENT", 0.0)})
    j = Journal(tmp_path)
    wid = j.intent(Op.BULK_ASSIGN, N[:4] + [num(5)], at=100.0, profile=P1, campaign=TX)  # num(5): done
    j.update(wid, State.FAILED, at=7300.0, failed={n: "journalled reason" for n in N[:4]})
    t.now = 9000.0
    before = (tmp_path / "journal.jsonl").read_bytes()
    report = recovery.status(t, t.read_tracked, t.clock, [], tmp_path, earlier=j.read().left_failed())
    assert (tmp_path / "journal.jsonl").read_bytes() == before and t.writes() == []
    # N[1] sends again, N[2] is another campaign's now, N[3] is no longer on the account: none said.
    assert [(f.number, f.live_status, f.reason, f.since) for f in report.left_failed] == [
        (N[0], "FAILED_ASSIGNMENT", "MNO error 4102", 100.0)]
    assert report.writes == [] and report.exit_code == 2
    # Only the numbers it recorded failed are read again.
    assert t.calls == [("read_tracked", tuple(N[:4]))]
    t.records[N[0]] = Rec(TX, "ASSIGNED", 0.0)
    assert recovery.status(t, t.read_tracked, t.clock, [], tmp_path, earlier=j.read().left_failed()).exit_code == 0
    del t.records[N[0]]  # freed: on no campaign, still not sending
    (f,) = recovery.status(t, t.read_tracked, t.clock, [], tmp_path, earlier=j.read().left_failed()).left_failed
    assert (f.number, f.live_status, f.reason) == (N[0], "no assignment", "journalled reason")
    t.now = 100.0 - FUTURE_SKEW - 1  # the write is dated after Telnyx's now: not believed
    assert recovery.status(t, t.read_tracked, t.clock, [], tmp_path, earlier=j.read().left_failed()).left_failed == []


def test_a_re_sent_member_left_failed_is_said_until_a_later_bulk_takes_it_again(tmp_path):
    """A bulk task's member it recorded failed (Telnyx took it again and failed it) is the journal's
    word on it (`left_failed`); while a later bulk task over the profile holds it (not processed yet:
    it will take the number again), it is that write's open work, not "Cannot send" twice."""
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, {N[0]: Rec(TX, "ASSIGNED", 150.0), N[1]: Rec(TX, "FAILED_ASSIGNMENT", 7200.0,
                                                                                      "MNO error 4102")})
    j = Journal(tmp_path)
    wid = j.intent(Op.BULK_ASSIGN, N[:1], at=100.0, profile=P1, campaign=TX, members=N[:2])
    j.update(wid, State.FAILED, at=7300.0, failed={N[1]: "MNO error 4102"})
    assert [(w.id, numbers) for w, numbers in j.read().left_failed()] == [(wid, (N[1],))]
    t.now = 9000.0
    (f,) = recovery.status(t, t.read_tracked, t.clock, [], tmp_path, earlier=j.read().left_failed()).left_failed
    assert (f.number, f.live_status, f.reason) == (N[1], "FAILED_ASSIGNMENT", "MNO error 4102")
    later = j.intent(Op.BULK_ASSIGN, [num(7)], at=8900.0, profile=P1, campaign=TX, members=N[:2])
    j.update(later, State.SUBMITTED, at=8901.0, ref="task-2")
    t.tasks["task-2"] = {"profile": P1, "campaign": TX, "at": 8900.0, "done": None, "numbers": [], "skipped": False}
    t.slow_tasks["task-2"] = 3600.0  # Telnyx has not processed it yet
    report = recovery.status(t, t.read_tracked, t.clock, j.read().open_writes(), tmp_path,
                             earlier=j.read().left_failed())
    assert report.left_failed == [] and N[1] in report.writes[0].tracked.pending


def test_still_failed_says_each_number_by_its_live_status_on_the_writes_campaign_only(tmp_path):
    """`still_failed`, number by number: a number live state shows on no campaign (but on the account),
    FAILED_ASSIGNMENT, or ASSIGNED with the carriers' mapping failed, on the write's own campaign, is said
    with Telnyx's reason where the record gives one, else the journalled one, else its live status. One
    the read does not find, on another campaign, sending, or still at the carriers is not said, and does
    not hide the numbers after it."""
    n = [num(i) for i in range(20, 32)]
    j = Journal(tmp_path)
    wid = j.intent(Op.ASSIGN, n, at=100.0, profile=P1, campaign=TX)
    j.update(wid, State.FAILED, at=200.0, failed={n[2]: "journalled: no campaign", n[5]: "journalled: MNO",
                                                  n[9]: "journalled: carrier"})
    w = j.read().writes[wid]
    live = LiveState()
    for i in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11):
        live.numbers[n[i]] = LiveNumber(n[i], str(i), P1, "longcode")
    # n[0]: not found by the read; n[1], n[2]: on the account, on no campaign
    live.assignments[n[3]] = LiveAssignment(n[3], TX2, "FAILED_ASSIGNMENT", "another campaign's failure")
    live.assignments[n[4]] = LiveAssignment(n[4], TX, "FAILED_ASSIGNMENT", "MNO error 4102")
    live.assignments[n[5]] = LiveAssignment(n[5], TX, "FAILED_ASSIGNMENT")
    live.assignments[n[6]] = LiveAssignment(n[6], TX, "FAILED_ASSIGNMENT")
    live.assignments[n[7]] = LiveAssignment(n[7], TX, "ASSIGNED", carrier="failed", carrier_detail="T-Mobile: rejected")
    live.assignments[n[8]] = LiveAssignment(n[8], TX, "ASSIGNED", carrier="failed")
    live.assignments[n[9]] = LiveAssignment(n[9], TX, "ASSIGNED", carrier="failed")
    live.assignments[n[10]] = LiveAssignment(n[10], TX, "ASSIGNED", carrier="pending")
    live.assignments[n[11]] = LiveAssignment(n[11], TX, "PENDING_ASSIGNMENT", carrier="failed")
    said_ = recovery.still_failed([(w, tuple(n))], live)
    assert [(f.number, f.live_status, f.reason) for f in said_] == [
        (n[1], "no assignment", "no assignment"),
        (n[2], "no assignment", "journalled: no campaign"),
        (n[4], "FAILED_ASSIGNMENT", "MNO error 4102"),
        (n[5], "FAILED_ASSIGNMENT", "journalled: MNO"),
        (n[6], "FAILED_ASSIGNMENT", "FAILED_ASSIGNMENT"),
        (n[7], "carrier mapping failed", "T-Mobile: rejected"),
        (n[8], "carrier mapping failed", "carrier mapping failed"),
        (n[9], "carrier mapping failed", "journalled: carrier")]
    assert all(f.write is w and f.since == 100.0 for f in said_)
    # Only the numbers given for the write are looked at (the journal's word), whatever else it wrote.
    assert [f.number for f in recovery.still_failed([(w, (n[3], n[4]))], live)] == [n[4]]
    assert recovery.still_failed([], live) == []


def test_status_reads_a_closed_writes_failed_numbers_only_never_its_bulk_members(tmp_path):
    """A closed bulk task's members are not read again: only the numbers it left failed."""
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, {N[1]: Rec(TX, "FAILED_ASSIGNMENT", 0.0, "MNO error 4102")})
    j = Journal(tmp_path)
    wid = j.intent(Op.BULK_ASSIGN, N[:1], at=100.0, profile=P1, campaign=TX, members=N[:2])
    j.update(wid, State.FAILED, at=7300.0, failed={N[1]: "MNO error 4102"})
    t.now = 9000.0
    asked: list[list] = []

    def read_tracked(writes):
        asked.append([(w.numbers, w.members) for w in writes])
        return t.read_tracked(writes)
    report = recovery.status(t, read_tracked, t.clock, [], tmp_path, earlier=j.read().left_failed())
    assert asked == [[((N[1],), ())]] and [f.number for f in report.left_failed] == [N[1]]


def test_status_names_the_unhealthy_campaign_of_numbers_closed_writes_left_failed(tmp_path):
    """A closed write's campaign is judged with the open work's, counting only its numbers that still
    cannot send (not the ones that send again)."""
    t = FakeTelnyx({N[0]: P1, N[1]: P1, N[2]: P1}, {N[0]: Rec(TX, "FAILED_ASSIGNMENT", 0.0, "MNO error 4102"),
                                                    N[1]: Rec(TX, "ASSIGNED", 0.0)})
    stop_campaign(t, TX, "TCR_SUSPENDED")
    j = Journal(tmp_path)
    wid = j.intent(Op.ASSIGN, N[:3], at=100.0, profile=P1, campaign=TX)
    j.update(wid, State.FAILED, at=7300.0, failed={n: "timed out" for n in N[:3]})
    t.now = 9000.0
    report = recovery.status(t, t.read_tracked, t.clock, [], tmp_path, earlier=j.read().left_failed())
    assert [(f.number, f.live_status) for f in report.left_failed] == [(N[0], "FAILED_ASSIGNMENT"),
                                                                       (N[2], "no assignment")]
    assert [(h.tcr_campaign_id, h.campaign_status, h.numbers_declared, h.numbers_stopped) for h in report.unhealthy] \
        == [(TX, "TCR_SUSPENDED", 2, 0)]
    assert report.exit_code == 2


def test_status_says_telnyxs_word_on_an_open_task_and_closes_a_removal_the_read_finds_nowhere(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, task_after=1e9)
    apply(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH)}), until=Until.SUBMITTED)
    j = Journal(tmp_path)
    gone = j.intent(Op.UNASSIGN, N[3:4], at=0.0, profile=P1, campaign="CGONE01")  # N[3]: not on the account
    j.update(gone, State.ACCEPTED, at=0.0)
    t.now = 3600.0
    report = run_status(tmp_path, t, j)
    by_op = {ws.write.op: ws for ws in report.writes}
    assert by_op[Op.BULK_ASSIGN].telnyx_status == "pending"
    # Looked up and found on no campaign: the removal is done (status journals nothing: judged only).
    assert by_op[Op.UNASSIGN].tracked.numbers == {N[3]: NumberState.DONE} and by_op[Op.UNASSIGN].closed_as is None


def test_a_number_an_open_write_holds_is_its_work_not_a_number_left_failed(tmp_path):
    """Of the numbers a closed write left failed, only one an open write holds is not said (here a later
    bulk task over its profile, P1): the others (N[1], on P2) are."""
    t = FakeTelnyx({N[0]: P1, N[1]: P2}, {N[0]: Rec(TX, "FAILED_ASSIGNMENT", 0.0, "MNO error 4102"),
                                          N[1]: Rec(TX, "FAILED_ASSIGNMENT", 0.0, "MNO error 4103")}, pending_for=1e9)
    j = Journal(tmp_path)
    first = j.intent(Op.ASSIGN, N[:2], at=100.0, profile=P1, campaign=TX)
    j.update(first, State.FAILED, at=200.0, failed={n: "rejected" for n in N[:2]})
    again = j.intent(Op.BULK_ASSIGN, [num(7)], at=8900.0, profile=P1, campaign=TX, members=N[:1])
    j.update(again, State.SUBMITTED, at=8901.0, ref="task-0")
    t.tasks["task-0"] = {"profile": P1, "campaign": TX, "at": 8900.0, "done": None, "numbers": [], "skipped": False}
    t.slow_tasks["task-0"] = 3600.0
    t.now = 9000.0
    report = recovery.status(t, t.read_tracked, t.clock, j.read().open_writes(), tmp_path,
                             earlier=j.read().left_failed())
    assert [(f.number, f.reason) for f in report.left_failed] == [(N[1], "MNO error 4103")]


def test_two_killed_intents_are_announced_as_writes(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1})
    j = Journal(tmp_path)
    j.intent(Op.ASSIGN, N[:1], at=0.0, profile=P1, campaign=TX)
    j.intent(Op.ASSIGN, N[1:2], at=0.0, profile=P1, campaign=TX)
    assert settle(j, t, 10) == ["2 writes of a killed run have no journalled answer; waiting up to 3 min for "
                                "Telnyx to show whether it took them"]


def test_resume_reports_the_write_it_sent_just_now_as_pending_work_of_its_own(tmp_path):
    """The phase resume carries out is sent after judging: it is reported as this run's new write, every
    number pending, aged from when it was sent; an open write of an earlier run (here one dated after
    Telnyx's now, so not judged) is not called sent now, nor does it hide the one that was."""
    t = freed(tmp_path)
    other = Journal(tmp_path).intent(Op.ASSIGN, [num(9)], at=t.now + 3600, profile=P1, campaign=TX)
    report = run_resume(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert [what.outcome for _, what in report.carried_out] == [PhaseOutcome.SUBMITTED]
    sent = [ws for ws in report.writes if ws.sent_now]
    assert len(sent) == 1 and all(ws.sent_now is False for ws in report.writes if ws not in sent)
    (ws,) = sent
    assert (ws.write.op, ws.write.numbers, ws.write.campaign, ws.closed_as) == (Op.ASSIGN, (N[0],), TX, None)
    assert ws.tracked is not None and ws.tracked.numbers == {N[0]: NumberState.PENDING}
    assert ws.counts == {"pending": 1} and ws.tracked.age == report.now - ws.write.submitted_at == 0.0
    assert other not in {w.write.id for w in report.writes}
    assert any(p.startswith(f"write {other} of run ") for p in report.problems)
    t.now += 600  # said again later: its age runs from when it was sent
    (aged,) = [w for w in recovery.resume(t, Journal(tmp_path), t.read_tracked, t.clock, progress=lambda *a, **k: None,
                                          timeout=60, clock=t.clock, sleep=t.sleep).writes
               if w.write.id == ws.write.id]
    assert aged.sent_now is False


def test_only_phases_are_said_closed_by_the_run_that_looked_at_them(tmp_path):
    """`_closed_by_phases`: a phase closed in the journal since the report was judged is said closed; any
    other write keeps the verdict it was judged with."""
    j = Journal(tmp_path)
    wid = j.intent(Op.ASSIGN, N[:1], at=0.0, profile=P1, campaign=TX)
    phase = j.defer(Op.ASSIGN, N[1:2], at=0.0, profile=P1, campaign=TX, after="free")
    judged = j.read().writes
    j.update(wid, State.DONE, at=10.0)
    j.update(phase, State.ABANDONED, at=10.0)
    report = StatusReport(writes=[WriteStatus(judged[wid], None), WriteStatus(judged[phase], None)])
    with j:
        recovery._closed_by_phases(report, j)
    assert [ws.closed_as for ws in report.writes] == [None, State.ABANDONED]
