"""apply's branches, one Telnyx behaviour each, with the fake Telnyx of `apply_fake.py`.

Each test says what a user would see: the outcome per number and the exit code, what the
journal keeps (so the next run neither repeats nor forgets a write), and what was sent to
Telnyx (which request, how many). No sockets; hours of Telnyx time pass on a virtual clock.
"""

from __future__ import annotations

from reconciler.apply import Applier, ApplyReport, Outcome, Result, Until, campaign_of, plan_only_outcomes
from reconciler.apply.checks import check_preconditions, members_by_profile, resent_numbers, round_options
from reconciler.errors import ApiError
from reconciler.journal import Journal, Op, State
from reconciler.model import SHARED, TELNYX
from reconciler.plan import PlanOptions, make_plan
from reconciler.tracking import judge

from tests.apply_fake import P1, P2, SH, TX, TX2, UUID, FakeTelnyx, Rec, RecordingJournal, apply, desired, num

N = [num(i) for i in range(6)]
OLD = -1e5  # long ago: the record is final


def ops(run) -> list[tuple[str, str]]:
    return [(w.op.value, w.state.value) for w in run.writes()]


# ---------------------------------------------------------------- per-number writes


def test_a_few_numbers_on_a_telnyx_campaign_are_posted_one_by_one_by_uuid(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1})
    r = apply(tmp_path, t, desired({N[0]: (P1, TX), N[1]: (P1, TX)}))
    assert t.writes() == [("assign", N[0], TX, UUID[TX]), ("assign", N[1], TX, UUID[TX])]
    assert r.by() == {N[0]: Result.IN_FLIGHT, N[1]: Result.IN_FLIGHT} and r.report.exit_code == 0
    assert ops(r) == [("assign", "accepted")] * 2 and r.report.writes == 2 and r.report.rounds == 1
    assert t.now == 0  # a per-number answer is Telnyx's acceptance: nothing to wait for


def test_a_number_on_another_campaign_is_moved_with_a_put(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX2, "ASSIGNED", OLD)})
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert t.writes() == [("replace", N[0], TX, UUID[TX])]
    assert r.by() == {N[0]: Result.IN_FLIGHT} and ops(r) == [("replace", "accepted")]


def test_a_failed_assignment_on_the_declared_campaign_is_retried_with_a_put(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX, "FAILED_ASSIGNMENT", OLD, "rejected")})
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert t.writes() == [("replace", N[0], TX, UUID[TX])] and r.report.exit_code == 0


def test_a_refused_post_is_failed_with_telnyx_words_exit_4_after_three_rounds(tmp_path):
    t = FakeTelnyx({N[0]: P1})
    t.refuse("assign", times=3)
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    (o,) = r.report.outcomes
    assert o.result is Result.FAILED and o.detail == "Telnyx refused the assign: assign: HTTP 422 [10015] refused - " \
        "assign refused" and r.report.exit_code == 4
    assert r.report.rounds == 3 and len(t.writes("assign")) == 3 and r.report.writes == 3
    assert ops(r) == [("assign", "refused")] * 3
    assert "assign failed for 1 number(s): assign: HTTP 422 [10015] refused - assign refused" in r.progress


def test_a_refusal_then_success_ends_in_flight_not_failed(tmp_path):
    t = FakeTelnyx({N[0]: P1})
    t.refuse("assign")
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert r.by() == {N[0]: Result.IN_FLIGHT} and r.report.exit_code == 0 and r.report.rounds == 2


def test_a_lost_post_is_judged_from_live_state_and_sent_again_only_when_nothing_shows(tmp_path):
    t = FakeTelnyx({N[0]: P1})
    t.errors["assign"] = [ApiError("assign", 503, None, "down")]
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    first, second = r.writes()
    assert first.state is State.DONE and first.detail == "1 number(s) not taken by Telnyx"
    assert second.state is State.ACCEPTED and len(t.writes("assign")) == 2
    assert r.by() == {N[0]: Result.IN_FLIGHT}


def test_a_lost_post_that_took_effect_is_not_sent_again(tmp_path):
    t = FakeTelnyx({N[0]: P1}, lost_after_effect={"assign"})
    t.errors["assign"] = [ApiError("assign", 500, None, "oops")]
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert len(t.writes("assign")) == 1 and r.report.rounds == 1
    (w,) = r.writes()
    assert w.state is State.ACCEPTED and w.detail == "live state shows Telnyx took it"


# ---------------------------------------------------------------- freeing a number first


def test_a_refused_put_frees_the_number_and_finishes_the_assignment_once_telnyx_has(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX2, "ASSIGNED", OLD)}, put_refused=True)
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}), until=Until.FINAL, timeout=6 * 3600)
    assert [c[0] for c in t.writes()] == ["replace", "unassign", "assign"]
    assert t.asked("get_assignment") == 1
    assert r.by() == {N[0]: Result.CONVERGED} and r.report.exit_code == 0
    phase = [w for w in r.writes() if w.after == "free"]
    assert len(phase) == 1 and phase[0].state is State.DONE and phase[0].op is Op.ASSIGN
    assert phase[0].detail.startswith("carried out as write ")
    assert "1 number(s) freed; their assignment to CTELNYX1 follows once Telnyx finishes the unassignment " \
        "(`reconciler resume`)" in r.progress


def test_a_freed_number_is_a_next_phase_by_default_and_exit_0(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX2, "ASSIGNED", OLD)}, put_refused=True)
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert r.by() == {N[0]: Result.NEXT_PHASE} and r.report.exit_code == 0
    (d,) = r.report.deferred
    assert d.op is Op.ASSIGN and d.numbers == (N[0],) and d.campaign == TX and d.campaign_uuid == UUID[TX]
    assert d.profile == P1 and d.detail == "1 number(s) freed from their old campaign first"
    assert [c[0] for c in t.writes()] == ["replace", "unassign"]


def test_a_number_telnyx_keeps_on_a_shared_campaign_is_not_deleted_without_the_opt_in(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(SH, "ASSIGNED", OLD)}, put_refused=True)
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert not t.writes("unassign")
    (o,) = r.report.outcomes
    assert o.result is Result.BLOCKED and r.report.exit_code == 4
    assert o.detail.startswith("Telnyx kept it on shared campaign CSHARED1; taking it off needs a per-number DELETE")
    assert "--shared-per-number" in o.detail and not r.report.deferred


def test_with_the_opt_in_a_number_on_a_shared_campaign_is_deleted_then_assigned(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(SH, "ASSIGNED", OLD)}, put_refused=True)
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}), options=PlanOptions(shared_per_number=True))
    assert [c[0] for c in t.writes()] == ["replace", "unassign"]
    assert r.by() == {N[0]: Result.NEXT_PHASE} and len(r.report.deferred) == 1
    unassign = [w for w in r.writes() if w.op is Op.UNASSIGN][0]
    assert unassign.campaign == SH and unassign.state is State.ACCEPTED


def test_a_number_that_cannot_be_read_before_freeing_is_left_to_the_next_round(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX2, "ASSIGNED", OLD)}, put_refused=True)
    t.refuse("get_assignment", status=500, times=3)
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert not t.writes("unassign") and not r.report.deferred
    assert any(m.startswith(f"could not read {N[0]}'s assignment") for m in r.progress)
    assert r.by() == {N[0]: Result.FAILED} and r.report.exit_code == 4


def test_a_number_already_being_freed_is_not_deleted_again(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX2, "ASSIGNED", OLD)}, put_refused=True)
    real = t.get_assignment

    def freeing(number):  # Telnyx started removing it between the plan's read and this one
        t.records[number] = Rec(TX2, "PENDING_UNASSIGNMENT", t.now)
        return real(number)
    t.get_assignment = freeing
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert not t.writes("unassign")
    assert len(r.report.deferred) == 1 and r.by() == {N[0]: Result.NEXT_PHASE}


def test_a_refused_delete_defers_nothing(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX2, "ASSIGNED", OLD)}, put_refused=True)
    t.refuse("unassign", times=3)
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert not r.report.deferred and r.report.exit_code == 4
    assert r.by() == {N[0]: Result.FAILED}


# ---------------------------------------------------------------- bulk


def test_a_bulk_task_skipping_a_number_on_another_campaign_frees_it_and_bulks_again(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1, N[2]: P1}, {N[2]: Rec(TX2, "ASSIGNED", OLD)})
    r = apply(tmp_path, t, desired({n: (P1, SH) for n in N[:3]}), until=Until.FINAL, timeout=8 * 3600)
    assert [c[0] for c in t.writes()] == ["bulk_assign", "unassign", "bulk_assign"]
    assert t.writes("bulk_assign")[0] == ("bulk_assign", P1, SH, None)
    assert set(r.by().values()) == {Result.CONVERGED} and r.report.exit_code == 0
    phase = [w for w in r.writes() if w.after == "free"][0]
    assert phase.op is Op.BULK_ASSIGN and phase.state is State.DONE and phase.members == tuple(N[:3])
    assert all(w.state is State.DONE for w in r.writes())


def test_a_processed_task_that_says_failed_journals_the_numbers_it_skipped(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, {N[1]: Rec(TX2, "ASSIGNED", OLD)}, task_status_failed=True)
    r = apply(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH)}))
    task = r.writes()[0]
    assert task.detail == "task failed" and task.processed
    assert task.failed == {N[1]: "task task-0 reports failed"}
    assert r.by() == {N[0]: Result.IN_FLIGHT, N[1]: Result.NEXT_PHASE} and r.report.exit_code == 0
    assert t.asked("task_numbers") == 1


def test_a_task_whose_numbers_cannot_be_read_is_still_accepted(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, {N[1]: Rec(TX2, "ASSIGNED", OLD)}, task_status_failed=True)
    t.refuse("task_numbers", status=500)
    r = apply(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH)}))
    task = r.writes()[0]
    assert task.state is State.ACCEPTED and task.failed == {} and task.processed
    assert "could not read task task-0's numbers (task_numbers: HTTP 500 [10015] refused - task_numbers refused); " \
        "live state will show their outcome" in r.progress


def test_until_submitted_sends_and_returns_without_a_look(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1})
    r = apply(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH)}), until=Until.SUBMITTED)
    assert r.by() == {N[0]: Result.SUBMITTED, N[1]: Result.SUBMITTED} and r.report.exit_code == 0
    assert t.asked("get_task") == 0 and t.asked("read") == 1 and t.now == 0
    assert ops(r) == [("bulk_assign", "submitted")] and r.writes()[0].ref == "task-0"
    assert not r.report.deferred


def test_a_bulk_answer_lost_is_exit_5_and_never_repeated(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1})
    t.lose("bulk_assign")
    r = apply(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH)}))
    assert len(t.writes("bulk_assign")) == 1 and r.report.exit_code == 5
    assert set(r.by().values()) == {Result.NOT_ACCEPTED}
    (w,) = r.writes()
    assert w.state is State.UNKNOWN and w.ref is None and w.open


def test_a_lost_bulk_that_took_effect_is_confirmed_by_live_state_without_a_repeat(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, lost_after_effect={"bulk_assign"})
    t.lose("bulk_assign")
    r = apply(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH)}), until=Until.FINAL, timeout=4 * 3600)
    assert len(t.writes("bulk_assign")) == 1
    assert set(r.by().values()) == {Result.CONVERGED} and r.report.exit_code == 0


def test_a_task_that_cannot_be_read_is_left_to_the_next_run(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1})
    t.refuse("get_task", status=500, times=50)
    r = apply(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH)}))
    assert r.report.exit_code == 5 and set(r.by().values()) == {Result.NOT_ACCEPTED}
    assert "could not read task task-0 (get_task: HTTP 500 [10015] refused - get_task refused); the next run " \
        "follows it from the journal" in r.progress
    (w,) = r.writes()
    assert w.state is State.SUBMITTED and len(t.writes()) == 1


def test_a_task_still_pending_from_an_earlier_run_is_not_sent_again(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, task_after=3600)
    want = desired({N[0]: (P1, SH), N[1]: (P1, SH)})
    first = apply(tmp_path, t, want, timeout=60)
    assert first.report.exit_code == 5 and len(t.writes()) == 1
    # the next run sees the numbers free at Telnyx, but the journal holds the task: nothing is sent
    second = apply(tmp_path, t, want, timeout=60)
    assert len(t.writes()) == 1 and second.report.writes == 0
    assert set(second.by().values()) == {Result.NOT_ACCEPTED} and second.report.exit_code == 5


def test_until_final_waits_for_an_earlier_run_task_instead_of_spending_rounds(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, task_after=600)
    want = desired({N[0]: (P1, SH), N[1]: (P1, SH)})
    apply(tmp_path, t, want, timeout=30)
    r = apply(tmp_path, t, want, until=Until.FINAL, timeout=4 * 3600)
    assert len(t.writes()) == 1 and set(r.by().values()) == {Result.CONVERGED}
    assert r.writes()[0].state is State.DONE


# ---------------------------------------------------------------- profile moves


def test_one_number_changes_profile_by_patch_and_is_done(tmp_path):
    t = FakeTelnyx({N[0]: P2}, {N[0]: Rec(TX, "ASSIGNED", OLD)})
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert t.writes() == [("patch_profile", "id0", P1)]
    assert r.by() == {N[0]: Result.CONVERGED} and ops(r) == [("patch_profile", "done")]
    assert r.writes()[0].profile == P1


def test_a_refused_patch_fails_the_number_and_sends_no_assignment(tmp_path):
    t = FakeTelnyx({N[0]: P2}, {N[0]: Rec(TX, "ASSIGNED", OLD)})
    t.refuse("patch_profile", times=3)
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert [c[0] for c in t.writes()] == ["patch_profile"] * 3
    assert r.by() == {N[0]: Result.FAILED} and r.report.exit_code == 4


def test_several_numbers_change_profile_by_one_order_polled_until_done(tmp_path):
    t = FakeTelnyx({N[0]: P2, N[1]: P2}, {n: Rec(TX, "ASSIGNED", OLD) for n in N[:2]})
    r = apply(tmp_path, t, desired({N[0]: (P1, TX), N[1]: (P1, TX)}))
    assert t.writes() == [("bulk_move", P1, (N[0], N[1]))]
    assert t.asked("profiles_of") == 0 and t.asked("get_bulk_order") >= 2
    assert 30 <= t.now < 60
    assert ops(r) == [("bulk_move", "done")] and r.writes()[0].ref == "order-0"
    assert set(r.by().values()) == {Result.CONVERGED}
    assert "waiting for 1 bulk profile update(s) of 2 number(s)" in r.progress


def test_when_reading_is_cheaper_the_moved_numbers_are_read_not_the_order(tmp_path):
    t = FakeTelnyx({N[0]: P2, N[1]: P2}, {n: Rec(TX, "ASSIGNED", OLD) for n in N[:2]}, read_cost=0)
    r = apply(tmp_path, t, desired({N[0]: (P1, TX), N[1]: (P1, TX)}))
    assert t.asked("get_bulk_order") == 0 and t.asked("profiles_of") >= 2
    assert ops(r) == [("bulk_move", "done")] and set(r.by().values()) == {Result.CONVERGED}


def test_a_move_not_seen_done_by_reading_when_time_runs_out_is_exit_5(tmp_path):
    t = FakeTelnyx({N[0]: P2, N[1]: P2}, {n: Rec(TX, "ASSIGNED", OLD) for n in N[:2]}, read_cost=0,
                   order_after=10_000)
    r = apply(tmp_path, t, desired({N[0]: (P1, TX), N[1]: (P1, TX)}), timeout=100)
    assert r.report.exit_code == 5 and set(r.by().values()) == {Result.NOT_ACCEPTED}
    assert ("accepted", "2 number(s) not yet moved when apply stopped waiting") in r.details()


def test_an_order_not_done_when_polling_stops_is_exit_5(tmp_path):
    t = FakeTelnyx({N[0]: P2, N[1]: P2}, {n: Rec(TX, "ASSIGNED", OLD) for n in N[:2]}, order_after=10_000)
    r = apply(tmp_path, t, desired({N[0]: (P1, TX), N[1]: (P1, TX)}), timeout=100)
    assert r.report.exit_code == 5
    assert ("accepted", "order still processing when apply stopped waiting") in r.details()


def test_a_number_an_order_fails_to_move_is_patched_in_the_next_round(tmp_path):
    t = FakeTelnyx({N[0]: P2, N[1]: P2}, {n: Rec(TX, "ASSIGNED", OLD) for n in N[:2]}, move_fails={N[1]})
    r = apply(tmp_path, t, desired({N[0]: (P1, TX), N[1]: (P1, TX)}))
    order = r.writes()[0]
    assert order.state is State.FAILED and order.failed == {N[1]: "Telnyx reported the profile move failed"}
    assert t.writes()[1:] == [("patch_profile", "id1", P1)] and r.report.rounds == 2


def test_a_refused_order_fails_its_numbers_and_holds_their_assignment(tmp_path):
    t = FakeTelnyx({N[0]: P2, N[1]: P2})
    t.refuse("bulk_move", times=3)
    r = apply(tmp_path, t, desired({N[0]: (P1, TX), N[1]: (P1, TX)}))
    assert not t.writes("assign") and not t.writes("bulk_assign")
    assert set(r.by().values()) == {Result.FAILED} and r.report.exit_code == 4


def test_numbers_failing_to_leave_a_profile_keep_its_bulk_from_running(tmp_path):
    # N[2] must leave P1 for P2; N[0], N[1] get SH by bulk on P1. While N[2] still sits on P1
    # a bulk would sweep it onto SH: none is sent that round.
    t = FakeTelnyx({N[0]: P1, N[1]: P1, N[2]: P1, N[3]: P1}, {N[2]: Rec(TX, "ASSIGNED", OLD),
                                                             N[3]: Rec(TX, "ASSIGNED", OLD)})
    t.refuse("bulk_move", times=1)
    r = apply(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH), N[2]: (P2, TX), N[3]: (P2, TX)}))
    first_bulk = next(i for i, c in enumerate(t.calls) if c[0] == "bulk_assign")
    moves = [i for i, c in enumerate(t.calls) if c[0] == "bulk_move"]
    assert len(moves) == 2 and moves[1] < first_bulk  # the bulk waited for the move that held
    assert set(r.by().values()) == {Result.CONVERGED, Result.IN_FLIGHT}


# ---------------------------------------------------------------- prune


def test_prune_deletes_an_undeclared_number_from_a_declared_telnyx_campaign(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, {N[0]: Rec(TX, "ASSIGNED", OLD), N[1]: Rec(TX, "ASSIGNED", OLD)})
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}, prune=True))
    assert t.writes() == [("unassign", N[1])]
    assert r.by() == {N[1]: Result.IN_FLIGHT} and r.report.exit_code == 0
    (w,) = r.writes()
    assert w.op is Op.UNASSIGN and w.campaign == TX and w.state is State.ACCEPTED


def test_until_final_prune_reports_unassigned(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, {N[0]: Rec(TX, "ASSIGNED", OLD), N[1]: Rec(TX, "ASSIGNED", OLD)})
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}, prune=True), until=Until.FINAL, timeout=2 * 3600)
    assert r.by() == {N[1]: Result.UNASSIGNED} and r.writes()[0].state is State.DONE


def test_a_number_on_a_campaign_telnyx_is_removing_is_assigned_once_it_is_free(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX2, "PENDING_UNASSIGNMENT", 0.0)})
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}), until=Until.FINAL, timeout=4 * 3600)
    assert [c[0] for c in t.writes()] == ["assign"]
    assert r.by() == {N[0]: Result.CONVERGED}
    phase = [w for w in r.writes() if w.after == "free"][0]
    assert phase.state is State.DONE and phase.detail.startswith("carried out as write")


def test_a_number_telnyx_is_freeing_becomes_a_next_phase_without_waiting(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX2, "PENDING_UNASSIGNMENT", 0.0)})
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert not t.writes() and r.report.writes == 0
    assert r.by() == {N[0]: Result.NEXT_PHASE} and r.report.exit_code == 0
    (d,) = r.report.deferred
    assert d.op is Op.ASSIGN and d.detail == "1 number(s) Telnyx is freeing; assign them once it has"


# ---------------------------------------------------------------- saved plans


def test_a_saved_plan_whose_number_moved_since_is_stale_exit_3_and_not_written(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1})
    want = desired({N[0]: (P1, TX), N[1]: (P1, TX)})
    plan = make_plan(want, t.read(want))
    t.records[N[1]] = Rec(TX2, "ASSIGNED", OLD)  # someone assigned it meanwhile
    r = apply(tmp_path, t, want, plan=plan, saved=True)
    assert r.report.stale == [N[1]] and r.report.exit_code == 3
    assert t.writes() == [("assign", N[0], TX, UUID[TX])]
    stale = [o for o in r.report.outcomes if o.result is Result.STALE]
    assert [o.number for o in stale] == [N[1]]
    assert stale[0].detail == "live state changed since the plan was made; re-plan"


def test_a_saved_plan_still_valid_is_applied_as_is(tmp_path):
    t = FakeTelnyx({N[0]: P1})
    want = desired({N[0]: (P1, TX)})
    plan = make_plan(want, t.read(want))
    r = apply(tmp_path, t, want, plan=plan, saved=True)
    assert r.report.stale == [] and r.by() == {N[0]: Result.IN_FLIGHT} and r.report.exit_code == 0


# ---------------------------------------------------------------- pure parts


def test_exit_codes_follow_the_contract():
    def rep(*results, stale=(), declared=True):
        return ApplyReport([Outcome(f"+1{i}", None, None, r, declared=declared) for i, r in enumerate(results)],
                           stale=list(stale))
    assert rep(Result.CONVERGED, Result.IN_FLIGHT, Result.NEXT_PHASE, Result.SUBMITTED).exit_code == 0
    assert rep(Result.FAILED, Result.NOT_ACCEPTED).exit_code == 4
    assert rep(Result.BLOCKED).exit_code == 4
    assert rep(Result.BLOCKED, declared=False).exit_code == 0  # an undeclared number's blocked prune
    assert rep(Result.STALE, stale=["+10"]).exit_code == 3
    assert rep(Result.NOT_ACCEPTED, stale=["+10"]).exit_code == 3
    assert rep(Result.NOT_ACCEPTED).exit_code == 5
    r = rep(Result.FAILED, Result.FAILED, Result.CONVERGED)
    assert r.count(Result.FAILED) == 2 and r.count(Result.CONVERGED) == 1 and r.count(Result.BLOCKED) == 0


def test_campaign_of_names_telnyx_campaigns_by_uuid_and_shared_ones_by_tcr_id():
    tx, sh = campaign_of(TX, "u-1"), campaign_of(SH, None)
    assert (tx.tcr_campaign_id, tx.kind, tx.telnyx_campaign_id) == (TX, TELNYX, "u-1")
    assert (sh.tcr_campaign_id, sh.kind, sh.telnyx_campaign_id) == (SH, SHARED, None)


def test_plan_only_outcomes_report_blocked_declared_numbers_and_work_in_flight():
    t = FakeTelnyx({N[0]: P1, N[1]: P1, N[2]: P1, N[3]: P1},
                   {N[1]: Rec(TX, "PENDING_ASSIGNMENT", 0.0), N[3]: Rec(TX, "ASSIGNED", OLD)})
    want = desired({N[0]: (P1, "CUNKNOWN"), N[1]: (P1, TX), N[2]: (P1, TX)})
    plan = make_plan(want, t.read(want))
    out = {o.number: (o.result, o.detail) for o in plan_only_outcomes(plan)}
    assert out[N[0]][0] is Result.BLOCKED and "CUNKNOWN" in out[N[0]][1]
    assert out[N[1]] == (Result.IN_FLIGHT, "PENDING_ASSIGNMENT")
    assert N[2] not in out and N[3] not in out  # a write to make, and an unmanaged number


def test_checks_split_saved_changes_by_their_precondition_and_keep_round_options():
    t = FakeTelnyx({N[0]: P1, N[1]: P1})
    want = desired({N[0]: (P1, TX), N[1]: (P1, TX)})
    plan = make_plan(want, t.read(want), PlanOptions(prune=True, allow_unassign=2, shared_per_number=True))
    t.records[N[1]] = Rec(TX2, "ASSIGNED", OLD)
    t.profile_of[N[0]] = P1
    ok, stale = check_preconditions(list(plan.changes), t.read(want))
    assert [c.number for c in ok] == [N[0]] and [c.number for c in stale] == [N[1]]
    o = round_options(plan)
    assert (o.prune, o.allow_unassign, o.allow_reassign, o.shared_per_number) == (True, None, None, True)
    assert members_by_profile(plan) == {P1: [N[0], N[1]]}


def test_resent_numbers_are_the_declared_ones_of_a_bulk_that_resends():
    t = FakeTelnyx({N[0]: P1, N[1]: P1, N[2]: P2}, {N[0]: Rec(SH, "ASSIGNED", OLD)})
    want = desired({N[0]: (P1, SH), N[1]: (P1, SH), N[2]: (P2, TX)})
    plan = make_plan(want, t.read(want))
    assert resent_numbers(plan) == frozenset({N[0], N[1]})
    t2 = FakeTelnyx({N[0]: P1, N[1]: P1})
    assert resent_numbers(make_plan(desired({N[0]: (P1, SH), N[1]: (P1, SH)}), t2.read(want))) == frozenset()


# ---------------------------------------------------------------- deferred phases (`reconciler resume`)


def freed(tmp_path, record_after=None, until=Until.ACCEPTED):
    """A first apply freed N[0] (its PUT refused) and journalled its assignment as the next phase;
    then Telnyx does `record_after` (None: finishes the unassignment). -> (telnyx, a fresh applier)."""
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX2, "ASSIGNED", OLD)}, put_refused=True)
    first = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert len(first.report.deferred) == 1
    t.now += 2 * 3600
    if record_after is not None:
        t.records[N[0]] = record_after
    return t


def resume(tmp_path, t):
    journal = RecordingJournal(tmp_path)
    applier = Applier(t, t.read, journal, sleep=t.sleep, clock=t.clock, server_now=t.clock)
    with journal:
        live = t.read(desired({N[0]: (P1, TX)}))
        done = applier.resume(live, judge(journal.read().open_writes(), live, t.now, exclusive=True))
    return [what for _, what in done], journal


def test_resume_assigns_a_freed_number_and_closes_the_phase(tmp_path):
    t = freed(tmp_path)
    said, journal = resume(tmp_path, t)
    assert said == ["submitted (1 number(s))"]
    assert t.writes()[-1] == ("assign", N[0], TX, UUID[TX])
    phase = [w for w in journal.read().writes.values() if w.after == "free"][0]
    assert phase.state is State.DONE and phase.detail.startswith("carried out as write ")


def test_resume_closes_a_phase_telnyx_already_did(tmp_path):
    t = freed(tmp_path, Rec(TX, "ASSIGNED", 0.0))
    writes = len(t.writes())
    said, journal = resume(tmp_path, t)
    assert said == ["done"] and len(t.writes()) == writes
    phase = [w for w in journal.read().writes.values() if w.after == "free"][0]
    assert phase.state is State.DONE and phase.detail == "Telnyx put every number there itself"


def test_resume_abandons_a_phase_whose_number_went_elsewhere(tmp_path):
    t = freed(tmp_path, Rec(TX2, "ASSIGNED", 0.0))
    writes = len(t.writes())
    said, journal = resume(tmp_path, t)
    assert len(t.writes()) == writes
    assert said == [f"abandoned: {N[0]} is on CTELNYX2 (ASSIGNED) now, not freed as the approved plan expected; "
                    "re-plan"]
    phase = [w for w in journal.read().writes.values() if w.after == "free"][0]
    assert phase.state is State.ABANDONED and phase.detail == said[0][len("abandoned: "):]


def test_resume_waits_while_telnyx_is_still_freeing(tmp_path):
    t = freed(tmp_path, Rec(TX2, "PENDING_UNASSIGNMENT", 7000.0))
    writes = len(t.writes())
    said, journal = resume(tmp_path, t)
    assert said == ["1 number still being freed"] and len(t.writes()) == writes
    assert [w for w in journal.read().writes.values() if w.after == "free"][0].state is State.DEFERRED


def test_resume_keeps_a_phase_telnyx_refuses_for_the_next_try(tmp_path):
    t = freed(tmp_path)
    t.refuse("assign")
    said, journal = resume(tmp_path, t)
    assert said == ["refused by Telnyx; will be tried again"]
    assert [w for w in journal.read().writes.values() if w.after == "free"][0].state is State.DEFERRED


def test_resume_does_not_repeat_a_bulk_while_an_earlier_task_for_the_profile_is_pending(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1, N[2]: P1}, {N[2]: Rec(TX2, "ASSIGNED", OLD)}, task_status_failed=True)
    want = desired({n: (P1, SH) for n in N[:3]})
    first = apply(tmp_path, t, want)
    assert len(first.report.deferred) == 1 and first.report.deferred[0].op is Op.BULK_ASSIGN
    t.now += 2 * 3600
    t.task_after = 10_000  # Telnyx is slow with the next task
    t.bulk_assign(P1, campaign_of(SH, None))  # another run's task for the profile, not processed yet
    j = Journal(tmp_path)
    with j:
        j.update(j.intent(Op.BULK_ASSIGN, [N[0]], at=t.now, profile=P1, campaign=SH), State.SUBMITTED, at=t.now,
                 ref=f"task-{len(t.tasks) - 1}")
    writes = len(t.writes())
    said, _ = resume(tmp_path, t)
    assert "waiting: an earlier bulk task for the profile is not processed yet" in said
    assert len(t.writes()) == writes
