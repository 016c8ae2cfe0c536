"""apply's branches, one Telnyx behaviour each, with the fake Telnyx of `apply_fake.py`.

Each test says what a user would see: the outcome per number and the exit code, what the
journal keeps (so the next run neither repeats nor forgets a write), and what was sent to
Telnyx (which request, how many). No sockets; hours of Telnyx time pass on a virtual clock.
"""

from __future__ import annotations

import pytest

from reconciler.apply import Applier, ApplyReport, Outcome, Result, Until, campaign_of, plan_only_outcomes
from reconciler.apply import session
from reconciler.apply.phases import over_allowance
from reconciler.apply.checks import (check_preconditions, members_by_profile, resends_allowed, resent_numbers,
                                     round_options)
from reconciler.errors import ApiError
from reconciler.journal import Journal, Op, State
from reconciler.model import SHARED, TELNYX
from reconciler.plan import PlanOptions, make_plan
from reconciler.tracking import judge

from tests.apply_fake import P1, P2, SH, SH2, TX, TX2, UUID, FakeTelnyx, Rec, RecordingJournal, apply, desired, num

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
    assert r.details() == [("accepted", None)] * 2  # journalled accepted with the answer, not later by a read
    assert r.ticks == [(f"per-number assignment on profile alpha ({P1[:8]}…)", i, 2) for i in (1, 2)]
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
    assert "assign failed for 1 number: assign: HTTP 422 [10015] refused - assign refused" in r.progress


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
    assert first.state is State.DONE and first.detail == "1 number not taken by Telnyx"
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
    assert "1 number freed; the assignment to CTELNYX1 follows once Telnyx finishes the unassignment " \
        "(`reconciler resume`)" in r.progress


def test_a_freed_number_is_a_next_phase_by_default_and_exit_0(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX2, "ASSIGNED", OLD)}, put_refused=True)
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert r.by() == {N[0]: Result.NEXT_PHASE} and r.report.exit_code == 0
    (o,) = r.report.outcomes
    assert o.detail.startswith("removal from CTELNYX2: write of run ")
    assert o.detail.endswith(" accepted; Telnyx is still working on it")
    (d,) = r.report.deferred
    assert d.op is Op.ASSIGN and d.numbers == (N[0],) and d.campaign == TX and d.campaign_uuid == UUID[TX]
    assert d.profile == P1 and d.detail == "1 number freed from their old campaign first"
    assert [c[0] for c in t.writes()] == ["replace", "unassign"]


def test_a_number_telnyx_keeps_on_a_shared_campaign_is_not_deleted_without_the_opt_in(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(SH, "ASSIGNED", OLD)}, put_refused=True)
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert not t.writes("unassign")
    (o,) = r.report.outcomes
    assert o.result is Result.BLOCKED and r.report.exit_code == 4
    assert o.detail.startswith("Telnyx kept it on shared campaign CSHARED1; taking it off needs a per-number DELETE")
    assert "--shared-per-number" in o.detail and not r.report.deferred
    # asked once: a later round would only send the same PUT to be refused again (outside review: 3 rounds of it)
    assert [c[0] for c in t.writes()] == ["replace"] and r.report.rounds == 1


def test_with_the_opt_in_a_number_on_a_shared_campaign_is_deleted_then_assigned(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(SH, "ASSIGNED", OLD)}, put_refused=True)
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}), options=PlanOptions(shared_per_number=True))
    assert [c[0] for c in t.writes()] == ["replace", "unassign"]
    assert r.by() == {N[0]: Result.NEXT_PHASE} and len(r.report.deferred) == 1
    unassign = [w for w in r.writes() if w.op is Op.UNASSIGN][0]
    assert unassign.campaign == SH and unassign.state is State.ACCEPTED


def test_a_put_refused_over_another_campaign_is_said_as_expected_progress_not_a_failure(tmp_path):
    # apply/per_number.py: the refusal is how Telnyx says "free it first"; the line says what follows.
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX2, "ASSIGNED", OLD)}, put_refused=True)
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    (line,) = [m for m in r.progress if m.startswith("replace ")]
    assert line == ("replace of 1 number not taken by Telnyx (HTTP 422 [10016] cannot move): freed from the "
                    "campaign first instead, then assigned in a next phase")


def test_an_expected_refusal_without_code_or_title_says_the_http_status_alone(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX2, "ASSIGNED", OLD)})
    t.errors["replace"] = [ApiError("replace", 409)]
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert ("replace of 1 number not taken by Telnyx (HTTP 409): freed from the campaign first instead, then "
            "assigned in a next phase") in r.progress


def test_a_refused_put_over_a_failed_assignment_is_a_failure_not_a_reason_to_free(tmp_path):
    # Over a FAILED_ASSIGNMENT nothing holds the number: a refused PUT is said as a failure, nothing freed.
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX2, "FAILED_ASSIGNMENT", OLD)})
    t.refuse("replace")
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert any(m.startswith("replace failed for 1 number: ") for m in r.progress)
    assert not t.writes("unassign") and not r.report.deferred


def test_under_the_opt_in_a_shared_target_is_tried_in_place_first(tmp_path):
    # --shared-per-number: a number held elsewhere moves onto a shared campaign by PUT (it keeps sending),
    # never freed first; without the opt-in no per-number write reaches a shared campaign.
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, {N[0]: Rec(TX2, "ASSIGNED", OLD), N[1]: Rec(SH, "ASSIGNED", OLD)})
    apply(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH)}), options=PlanOptions(shared_per_number=True),
          until=Until.FINAL, timeout=3 * 3600)
    assert ("replace", N[0], SH, None) in t.writes() and not t.writes("unassign")


def test_a_refused_put_onto_a_shared_bulk_journals_the_bulk_phase_with_its_members_and_allowance(tmp_path):
    # The freed number's assignment is the profile's bulk (shared campaigns: bulk only), journalled with the
    # profile's declared members and how many re-sends the reviewed plan allows it.
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, {N[0]: Rec(TX2, "ASSIGNED", OLD), N[1]: Rec(SH, "ASSIGNED", OLD)},
                   put_refused=True)
    r = apply(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH)}), options=PlanOptions(shared_per_number=True))
    (d,) = r.report.deferred
    assert d.op is Op.BULK_ASSIGN and d.numbers == (N[0],) and d.profile == P1 and d.campaign == SH
    assert set(d.members) == {N[0], N[1]} and d.resends == resends_allowed(r.plan, P1, SH) == 2


def test_a_per_number_phase_carries_no_resend_allowance(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX2, "ASSIGNED", OLD)}, put_refused=True)
    (d,) = apply(tmp_path, t, desired({N[0]: (P1, TX)})).report.deferred
    assert d.op is Op.ASSIGN and d.resends is None and d.members == ()


def test_freeing_goes_on_past_a_number_already_on_its_target(tmp_path):
    # Of two held numbers the first is already on the target when re-read: it is skipped, the second freed.
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, {n: Rec(TX2, "ASSIGNED", OLD) for n in N[:2]}, put_refused=True)
    real = t.get_assignment

    def moved(number):
        if number == N[0]:
            t.records[number] = Rec(TX, "ASSIGNED", t.now)
        return real(number)
    t.get_assignment = moved
    r = apply(tmp_path, t, desired({N[0]: (P1, TX), N[1]: (P1, TX)}))
    assert [c[1] for c in t.writes("unassign")] == [N[1]]
    assert [d.numbers for d in r.report.deferred] == [(N[1],)]


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
    first_asks = t.asked("get_task")
    # the next run sees the numbers free at Telnyx, but the journal holds the task: nothing is sent
    before = t.now
    second = apply(tmp_path, t, want, timeout=60)
    assert len(t.writes()) == 1 and second.report.writes == 0
    # --until accepted does not wait for it: asked about once by the verifying read, never polled
    assert t.now == before and t.asked("get_task") - first_asks == 1
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
    assert "waiting for 1 bulk profile update of 2 numbers" in r.progress


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
    assert ("accepted", "2 numbers not yet moved when apply stopped waiting") in r.details()


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
    (o,) = r.report.outcomes
    assert (o.result, o.detail, o.declared) == (Result.IN_FLIGHT, "PENDING_UNASSIGNMENT", False)
    assert r.report.exit_code == 0
    assert r.details() == [("submitted", None), ("accepted", "live state shows Telnyx took it")]
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
    assert d.op is Op.ASSIGN and d.detail == "1 number Telnyx is freeing; assign them once it has"


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


def resume(tmp_path, t, files=None):
    journal = RecordingJournal(tmp_path)
    applier = Applier(t, t.read, journal, sleep=t.sleep, clock=t.clock, server_now=t.clock)
    with journal:
        want = files or desired({N[0]: (P1, TX)})
        live = t.read(want)
        done = applier.resume(live, judge(journal.read().open_writes(), live, t.now, exclusive=True), want)
    return [what.said for _, what in done], journal


def test_resume_assigns_a_freed_number_and_closes_the_phase(tmp_path):
    t = freed(tmp_path)
    said, journal = resume(tmp_path, t)
    assert said == ["submitted (1 number)"]
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
    said, _ = resume(tmp_path, t, want)
    # The earlier task holds every number of the profile in flight: the phase waits for it.
    assert said == ["waiting: 1 number is under another write in flight"]
    assert len(t.writes()) == writes


# ---------------------------------------------------------------- rarer outcomes, waits, error paths


LOST = ("Telnyx's answer to the bulk task was lost (it may have taken effect); never repeated blind: the next apply "
        "judges it against live state")


def test_a_bulk_answer_lost_every_time_is_sent_once_per_settle_window_then_reported_lost(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1})
    t.lose("bulk_assign", times=20)
    r = apply(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH)}), until=Until.FINAL, timeout=4 * 3600)
    # three rounds, and three more that only waited out a lost answer; each send after the last one's window
    assert r.report.rounds == 6 and len(t.writes("bulk_assign")) == 6 and r.report.writes == 6
    assert {(o.result, o.detail) for o in r.report.outcomes} == {(Result.NOT_ACCEPTED, LOST)}
    assert r.report.exit_code == 5 and not r.report.timed_out
    # each lost answer journalled unknown, then closed once its window passed and nothing showed
    assert r.details() == [("unknown", "bulk_assign"), ("done", "2 numbers not taken by Telnyx")] * 6
    at = [w.submitted_at for w in r.writes()]
    assert all(later - earlier > 180 for earlier, later in zip(at, at[1:]))
    assert r.progress.count("bulk_assign failed for 2 numbers: bulk_assign") == 6


def test_time_running_out_with_a_refused_write_is_not_accepted_rather_than_failed(tmp_path):
    t = FakeTelnyx({N[0]: P1})
    t.refuse("assign", times=3)
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}), timeout=0)
    (o,) = r.report.outcomes
    assert (o.result, o.detail) == (Result.NOT_ACCEPTED, "not finished when apply stopped waiting; the next run "
                                                         "continues")
    assert r.report.timed_out and r.report.rounds == 1 and r.report.exit_code == 5 and len(t.writes()) == 1


def test_numbers_telnyx_is_freeing_become_one_phase_per_profile_and_campaign(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1, N[2]: P2}, {N[0]: Rec(TX2, "PENDING_UNASSIGNMENT", 0.0),
                                                   N[2]: Rec(TX2, "PENDING_UNASSIGNMENT", 0.0)})
    want = desired({N[0]: (P1, SH), N[1]: (P1, SH), N[2]: (P2, TX)})
    r = apply(tmp_path, t, want)
    assert t.writes() == [("bulk_assign", P1, SH, None)]
    assert r.by() == {N[0]: Result.NEXT_PHASE, N[1]: Result.IN_FLIGHT, N[2]: Result.NEXT_PHASE}
    bulk, one = r.report.deferred
    assert (bulk.op, bulk.numbers, bulk.profile, bulk.campaign, bulk.campaign_uuid, bulk.members, bulk.after) == \
        (Op.BULK_ASSIGN, (N[0],), P1, SH, None, (N[0], N[1]), "free")
    assert (one.op, one.numbers, one.profile, one.campaign, one.campaign_uuid, one.members, one.after) == \
        (Op.ASSIGN, (N[2],), P2, TX, UUID[TX], (), "free")
    assert bulk.detail == one.detail == "1 number Telnyx is freeing; assign them once it has"
    # the next run sees them journalled already: nothing is deferred twice
    again = apply(tmp_path, t, want)
    assert [w.after for w in again.writes()].count("free") == 2 and len(again.report.deferred) == 2


def test_a_number_freed_toward_a_campaign_with_a_problem_is_not_deferred(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX2, "PENDING_UNASSIGNMENT", 0.0)})
    r = apply(tmp_path, t, desired({N[0]: (P1, "CUNKNOWN")}))
    assert not r.report.deferred and not r.writes() and not t.writes()


def two_profiles(tmp_path, *, held=False, slow=None, timeout=900.0, says_failed=False):
    """Two bulk tasks in one round: P1's (N[0], N[1]) and P2's (N[2], N[3]), both onto SH."""
    t = FakeTelnyx({N[0]: P1, N[1]: P1, N[2]: P2, N[3]: P2}, {N[1]: Rec(TX2, "ASSIGNED", OLD)} if held else {},
                   slow_tasks=slow or {}, task_status_failed=says_failed)
    r = apply(tmp_path, t, desired({n: (p, SH) for n, p in zip(N[:4], (P1, P1, P2, P2))}), timeout=timeout)
    return t, r


def asked_tasks(t) -> list[str]:
    return [c[1] for c in t.calls if c[0] == "get_task"]


def test_only_the_newest_task_is_polled_and_the_read_confirms_the_other_by_its_numbers(tmp_path):
    t, r = two_profiles(tmp_path)
    assert t.writes() == [("bulk_assign", P1, SH, None), ("bulk_assign", P2, SH, None)]
    assert set(asked_tasks(t)) == {"task-1"} and t.asked("read") == 2  # the plan's read and one verifying read
    assert r.details() == [("submitted", None), ("submitted", None), ("accepted", "task completed"),
                           ("accepted", "live state shows every number on its campaign")]
    assert all(w.processed for w in r.writes()) and set(r.by().values()) == {Result.IN_FLIGHT}
    assert r.progress == ["round 1: 4 changes", "bulk assignment: 2 numbers, task task-0",
                          "bulk assignment: 2 numbers, task task-1",
                          "waiting for Telnyx to process 2 bulk assignment tasks (a task typically takes about 1 min)"]


def test_a_task_whose_numbers_do_not_all_show_it_is_asked_about_once_then_live_state_is_read_again(tmp_path):
    t, r = two_profiles(tmp_path, held=True)  # task-0 skips N[1]: another campaign holds it
    assert asked_tasks(t).count("task-0") == 1 and asked_tasks(t)[-1] == "task-0"
    # the plan's read, the verifying read, the one after task-0 turned out processed, round 2's
    assert t.asked("read") == 4 and r.report.rounds == 2
    assert [d for d in r.details() if d[0] == "accepted"][:2] == [("accepted", "task completed")] * 2
    assert r.by()[N[1]] is Result.NEXT_PHASE and t.writes()[2:] == [("unassign", N[1])]


def test_an_older_task_slower_than_the_newest_is_waited_for_too(tmp_path):
    t, r = two_profiles(tmp_path, slow={"task-0": 600})
    assert asked_tasks(t)[:14] == ["task-1"] * 14 and set(asked_tasks(t)[14:]) == {"task-0"}
    assert 600 <= t.now < 900 and t.asked("read") == 3
    assert r.details()[2:] == [("accepted", "task completed")] * 2 and all(w.processed for w in r.writes())
    assert r.progress[-2:] == ["waiting for Telnyx to process 2 bulk assignment tasks (a task typically takes about 1 min)",
                               "waiting for Telnyx to process 1 bulk assignment task (a task typically takes about 1 min)"]
    assert set(r.by().values()) == {Result.IN_FLIGHT} and r.report.exit_code == 0


def test_a_task_not_processed_when_time_runs_out_is_not_accepted_and_stays_open(tmp_path):
    t, r = two_profiles(tmp_path, slow={"task-0": 600}, timeout=300)
    assert t.now == 300 and r.report.timed_out and r.report.exit_code == 5
    detail = "Telnyx had not processed the write when apply stopped waiting; a later run follows it from the state folder"
    assert {(o.number, o.result, o.detail) for o in r.report.outcomes} == {
        (N[0], Result.NOT_ACCEPTED, detail), (N[1], Result.NOT_ACCEPTED, detail),
        (N[2], Result.IN_FLIGHT, "PENDING_ASSIGNMENT"), (N[3], Result.IN_FLIGHT, "PENDING_ASSIGNMENT")}
    first = r.writes()[0]
    assert first.state is State.SUBMITTED and not first.processed and first.ref == "task-0"


def bulk_answered(tmp_path, status):
    t = FakeTelnyx({N[0]: P1, N[1]: P1})
    t.errors["bulk_assign"] = [ApiError("bulk_assign", status, None, "x")] * 3
    return t, apply(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH)}))


def test_a_bulk_answer_without_a_status_or_a_500_is_lost_not_refused(tmp_path):
    for status, said in ((None, "bulk_assign x"), (500, "bulk_assign: HTTP 500 x")):
        t, r = bulk_answered(tmp_path / str(status), status)
        assert r.details() == [("unknown", said)] and r.report.rounds == 1 and len(t.writes()) == 1
        assert set(r.by().values()) == {Result.NOT_ACCEPTED} and r.report.exit_code == 5
        assert r.progress[1] == f"bulk_assign failed for 2 numbers: {said}"


def test_a_bulk_answered_with_a_4xx_is_refused_and_failed_in_telnyx_words(tmp_path):
    t, r = bulk_answered(tmp_path, 499)
    assert r.details() == [("refused", "bulk_assign: HTTP 499 x")] * 3 and len(t.writes()) == 3
    assert {(o.result, o.detail) for o in r.report.outcomes} == {
        (Result.FAILED, "Telnyx refused the bulk_assign: bulk_assign: HTTP 499 x")}
    assert r.report.exit_code == 4 and r.report.rounds == 3


def test_moves_that_did_not_hold_keep_every_assignment_on_their_profiles_for_a_round(tmp_path):
    # N[0] moves P2 -> P1 by PATCH (refused once); N[1], N[2] move P1 -> P2 by one order, which
    # fails N[2]. Each failed number still sits on its old profile: nothing is assigned there, nor
    # to its target, until the next round moved it.
    t = FakeTelnyx({N[0]: P2, N[1]: P1, N[2]: P1}, move_fails={N[2]})
    t.refuse("patch_profile")
    r = apply(tmp_path, t, desired({N[0]: (P1, TX), N[1]: (P2, TX), N[2]: (P2, TX)}))
    assert t.writes() == [("patch_profile", "id0", P1), ("bulk_move", P2, (N[1], N[2])),
                          ("patch_profile", "id0", P1), ("patch_profile", "id2", P2),
                          ("assign", N[0], TX, UUID[TX]), ("assign", N[1], TX, UUID[TX]),
                          ("assign", N[2], TX, UUID[TX])]
    assert r.report.rounds == 2 and set(r.by().values()) == {Result.IN_FLIGHT} and r.report.exit_code == 0
    order = [w for w in r.writes() if w.op is Op.BULK_MOVE][0]
    assert order.profile == P2 and order.state is State.FAILED and order.ref == "order-0"
    assert order.failed == {N[2]: "Telnyx reported the profile move failed"}
    assert [w.profile for w in r.writes() if w.op is Op.PATCH_PROFILE] == [P1, P1, P2]
    assert r.details()[:3] == [("refused", "patch_profile: HTTP 422 [10015] refused - patch_profile refused"),
                               ("submitted", None), ("failed", None)]


def test_a_refused_order_does_not_stop_the_next_profiles_order(tmp_path):
    t = FakeTelnyx({N[0]: P2, N[1]: P2, N[2]: P1, N[3]: P1})
    t.refuse("bulk_move")
    r = apply(tmp_path, t, desired({N[0]: (P1, TX), N[1]: (P1, TX), N[2]: (P2, TX), N[3]: (P2, TX)}))
    assert [c[:2] for c in t.writes()] == [("bulk_move", P1), ("bulk_move", P2), ("bulk_move", P1)] + \
        [("assign", n) for n in N[:4]]
    assert r.report.rounds == 2 and set(r.by().values()) == {Result.IN_FLIGHT}


def test_orders_are_polled_while_that_costs_no_more_requests_than_reading_their_numbers(tmp_path):
    want = desired({N[0]: (P1, TX), N[1]: (P1, TX), N[2]: (P2, TX), N[3]: (P2, TX)})
    for batch, polled in ((2, True), (4, False)):  # two orders; reading four numbers: two requests, or one
        t = FakeTelnyx({N[0]: P2, N[1]: P2, N[2]: P1, N[3]: P1}, read_batch=batch)
        r = apply(tmp_path / str(batch), t, want)
        assert (t.asked("get_bulk_order") > 0, t.asked("profiles_of") > 0) == (polled, not polled)
        assert 30 <= t.now < 60 and r.report.rounds == 1 and len(t.writes("assign")) == 4
        # each order closed once: by its poll, or by the read that saw its numbers moved
        assert [d for d in r.details() if d[0] != "accepted"] == [("submitted", None)] * 2 + [("done", None)] * 2
        assert "waiting for 2 bulk profile updates of 4 numbers" in r.progress


def test_an_order_still_processing_when_time_runs_out_sends_no_assignment(tmp_path):
    for cost in (1000, 0):  # polling the order, or reading its numbers
        t = FakeTelnyx({N[0]: P2, N[1]: P2}, order_after=10_000, read_cost=cost)
        r = apply(tmp_path / str(cost), t, desired({N[0]: (P1, TX), N[1]: (P1, TX)}), timeout=100)
        assert [c[0] for c in t.writes()] == ["bulk_move"] and t.now == 100
        assert set(r.by().values()) == {Result.NOT_ACCEPTED} and r.report.exit_code == 5


def test_a_bulk_an_earlier_run_lost_the_answer_to_is_not_repeated_and_reported_lost(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1, N[2]: P2, N[3]: P2})
    t.lose("bulk_assign")
    apply(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH)}))
    t.now = 150  # inside the lost answer's settle window: the task may yet show
    r = apply(tmp_path, t, desired({n: (p, SH) for n, p in zip(N[:4], (P1, P1, P2, P2))}), timeout=50)
    assert t.writes() == [("bulk_assign", P1, SH, None), ("bulk_assign", P2, SH, None)]
    assert r.progress[1] == f"a bulk task for profile alpha ({P1[:8]}…) and {SH} is still being processed by " \
        "Telnyx; not sending another"
    unprocessed = "Telnyx had not processed the write when apply stopped waiting; a later run follows it from the " \
        "state folder"
    assert [(o.number, o.result, o.detail) for o in r.report.outcomes] == [
        (N[0], Result.NOT_ACCEPTED, LOST), (N[1], Result.NOT_ACCEPTED, LOST),
        (N[2], Result.NOT_ACCEPTED, unprocessed), (N[3], Result.NOT_ACCEPTED, unprocessed)]
    assert t.now == 200 and r.report.timed_out and r.report.exit_code == 5
    # the lost write closed once its window passed with nothing to show for it
    assert r.details() == [("submitted", None), ("done", "2 numbers not taken by Telnyx")]


def test_an_earlier_runs_task_is_asked_about_until_processed_then_the_round_goes_on(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, task_after=600)
    want = desired({N[0]: (P1, SH), N[1]: (P1, SH)})
    apply(tmp_path, t, want, timeout=30)
    t.calls.clear()
    r = apply(tmp_path, t, want, until=Until.FINAL, timeout=4 * 3600)
    assert not t.writes() and set(asked_tasks(t)) == {"task-0"} and len(asked_tasks(t)) > 1
    assert r.details() == [("accepted", "task completed"), ("done", None)]  # asked, not confirmed by a read
    assert r.writes()[0].processed and 7200 < t.now < 9000 and set(r.by().values()) == {Result.CONVERGED}


def resume_with(tmp_path, t, phases, note=None, files=None):
    """Journal `phases` ((op, numbers, campaign[, profile]) on P1 by default, each after "free"), then
    resume with `files` (default: N[:4] declared for P1 and SH)."""
    j = Journal(tmp_path, note={"pr": "7"})
    with j:
        for op, numbers, campaign, *on in phases:
            j.defer(op, numbers, at=t.now, profile=on[0] if on else P1, campaign=campaign, after="free",
                    campaign_uuid=UUID.get(campaign), members=N[:4] if op is Op.BULK_ASSIGN else ())
    journal = RecordingJournal(tmp_path, note=note)
    applier = Applier(t, t.read, journal, sleep=t.sleep, clock=t.clock, server_now=t.clock)
    with journal:
        want = files or desired({n: (P1, SH) for n in N[:4]})
        live = t.read(want)
        done = applier.resume(live, judge(journal.read().open_writes(), live, t.now, exclusive=True), want)
    return [what.said for _, what in done], journal


def test_two_bulk_phases_for_one_profile_send_one_task_the_other_waits_for_it(tmp_path):
    t = FakeTelnyx({**{n: P1 for n in N[:4]}, N[4]: P2})
    files = desired({**{n: (P1, SH) for n in N[:4]}, N[4]: (P2, TX)})
    said, journal = resume_with(tmp_path, t, [(Op.BULK_ASSIGN, [N[0]], SH), (Op.BULK_ASSIGN, [N[1]], SH),
                                              (Op.ASSIGN, [N[4]], TX, P2)], note={"pr": "9"}, files=files)
    assert said == ["submitted (1 number)", "waiting: an earlier bulk task for the profile is not processed yet",
                    "submitted (1 number)"]  # a phase waiting holds up no other
    assert t.writes() == [("bulk_assign", P1, SH, None), ("assign", N[4], TX, UUID[TX])]
    sent = [w for w in journal.read().writes.values() if w.after is None]
    assert [(w.op, w.profile, w.campaign, w.numbers, w.members, w.note, w.ref) for w in sent][0] == \
        (Op.BULK_ASSIGN, P1, SH, (N[0],), tuple(N[1:4]), {"pr": "7"}, "task-0")  # the approving run's note


def test_a_refused_bulk_phase_lets_the_next_phase_for_the_profile_go(tmp_path):
    t = FakeTelnyx({n: P1 for n in N[:4]})
    t.refuse("bulk_assign")
    said, journal = resume_with(tmp_path, t, [(Op.BULK_ASSIGN, [N[0]], SH), (Op.BULK_ASSIGN, [N[1]], SH)])
    assert said == ["refused by Telnyx; will be tried again", "submitted (1 number)"]
    assert len(t.writes("bulk_assign")) == 2
    phases = [w for w in journal.read().writes.values() if w.after == "free"]
    assert [w.state for w in phases] == [State.DEFERRED, State.DONE]


def test_a_waiting_phase_does_not_hold_up_the_phases_after_it(tmp_path):
    t = FakeTelnyx({n: P1 for n in N[:4]}, {N[0]: Rec(TX2, "PENDING_UNASSIGNMENT", 0.0)})
    t.now = 10.0
    said, journal = resume_with(tmp_path, t, [(Op.ASSIGN, [N[0]], TX), (Op.ASSIGN, [N[1], N[2]], TX)],
                                files=desired({n: (P1, TX) for n in N[:4]}))
    assert said == ["1 number still being freed", "submitted (2 numbers)"]
    assert t.writes() == [("assign", N[1], TX, UUID[TX]), ("assign", N[2], TX, UUID[TX])]
    sent = [w for w in journal.read().writes.values() if w.after is None]
    assert [(w.op, w.state, w.campaign, w.campaign_uuid, w.note) for w in sent] == \
        [(Op.ASSIGN, State.ACCEPTED, TX, UUID[TX], {"pr": "7"})] * 2
    last = [w for w in journal.read().writes.values() if w.after == "free"][1]
    assert last.state is State.DONE and last.detail == f"carried out as write {sent[-1].id}"


def test_a_saved_reassignment_still_valid_is_sent_and_one_for_a_number_gone_is_stale(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, {N[0]: Rec(TX2, "ASSIGNED", OLD)})
    want = desired({N[0]: (P1, TX), N[1]: (P1, TX)})
    plan = make_plan(want, t.read(want))
    del t.profile_of[N[1]]  # released from the account since
    r = apply(tmp_path, t, want, plan=plan, saved=True)
    assert t.writes() == [("replace", N[0], TX, UUID[TX])]
    assert r.report.stale == [N[1]] and r.by() == {N[0]: Result.IN_FLIGHT, N[1]: Result.STALE}


def test_a_saved_change_for_numbers_an_unprocessed_task_covers_is_stale_not_sent(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, task_after=3600)
    want = desired({N[0]: (P1, SH), N[1]: (P1, SH)})
    plan = make_plan(want, t.read(want))
    apply(tmp_path, t, want, until=Until.SUBMITTED)  # another apply's task, not processed yet
    r = apply(tmp_path, t, want, plan=plan, saved=True)
    assert len(t.writes()) == 1 and r.report.writes == 0
    assert r.report.stale == [N[0], N[1]] and r.report.exit_code == 3


def test_a_saved_prune_keeps_the_options_it_was_made_with(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, {N[0]: Rec(TX, "ASSIGNED", OLD), N[1]: Rec(TX, "ASSIGNED", OLD)})
    want = desired({N[0]: (P1, TX)})  # the files do not prune; the plan was made with --prune
    plan = make_plan(want, t.read(want), PlanOptions(prune=True))
    r = apply(tmp_path, t, want, plan=plan, saved=True)
    assert t.writes() == [("unassign", N[1])] and r.report.stale == [] and r.by() == {N[1]: Result.IN_FLIGHT}


def test_numbers_with_nothing_to_write_are_reported_as_the_plan_saw_them_without_waiting(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1, N[2]: P1}, {N[1]: Rec(TX, "PENDING_ASSIGNMENT", 0.0)})
    r = apply(tmp_path, t, desired({N[0]: (P1, "CUNKNOWN"), N[1]: (P1, TX), N[2]: (P1, TX)}))
    assert [(o.number, o.result, o.detail) for o in r.report.outcomes] == [
        (N[0], Result.BLOCKED, "campaign CUNKNOWN is not known to this Telnyx account (not shared to Telnyx, or the "
                               "share is not visible): check the id for a typo, or share it to Telnyx at TCR"),
        (N[1], Result.IN_FLIGHT, "PENDING_ASSIGNMENT"), (N[2], Result.IN_FLIGHT, "PENDING_ASSIGNMENT")]
    assert t.writes() == [("assign", N[2], TX, UUID[TX])] and t.now == 0 and r.report.exit_code == 4
    assert r.details() == [("accepted", None)]  # a per-number answer is Telnyx's acceptance
    assert r.ticks == [(f"per-number assignment on profile alpha ({P1[:8]}…)", 1, 1)]


def test_only_work_in_flight_is_not_waited_for_by_default_and_is_with_until_final(tmp_path):
    def run(until, where):
        t = FakeTelnyx({N[1]: P1}, {N[1]: Rec(TX, "PENDING_ASSIGNMENT", 0.0)})
        return t, apply(tmp_path / where, t, desired({N[1]: (P1, TX)}), until=until, timeout=3 * 3600)
    t, r = run(Until.ACCEPTED, "a")
    assert r.by() == {N[1]: Result.IN_FLIGHT} and r.progress == [] and t.asked("read") == 1 and t.now == 0
    t, r = run(Until.FINAL, "f")
    assert r.by() == {N[1]: Result.CONVERGED} and not t.writes() and 7200 <= t.now < 7200 * 1.1
    assert t.asked("read") == 36  # the plan's, then reads spaced 0.2 s doubling up to --poll-max (300 s)
    assert r.progress[0] == "waiting for 1 number in flight (PENDING_ASSIGNMENT typically lasts about 2 h, sometimes days)"
    assert set(r.progress[1:]) == {"waiting for Telnyx to finish 1 assignment in flight (typically about 2 h each, sometimes days)"}


def test_a_per_number_answer_lost_every_time_fails_after_three_rounds_saying_what_live_state_shows(tmp_path):
    t = FakeTelnyx({N[0]: P1})
    t.errors["assign"] = [ApiError("assign", 503, None, "down")] * 3
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    (o,) = r.report.outcomes
    assert (o.result, o.detail) == (Result.FAILED, "still assign (no campaign)") and r.report.exit_code == 4
    assert r.details() == [("unknown", "assign: HTTP 503 down"), ("done", "1 number not taken by Telnyx")] * 3
    assert r.ticks == [(f"per-number assignment on profile alpha ({P1[:8]}…)", 1, 1)] * 3


def test_a_phase_whose_numbers_telnyx_freed_at_once_is_carried_out_in_the_same_round(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX2, "ASSIGNED", OLD)}, put_refused=True, unassign_for=0)
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert [c[0] for c in t.writes()] == ["replace", "unassign", "assign"] and r.report.rounds == 1
    assert r.by() == {N[0]: Result.IN_FLIGHT} and not r.report.deferred and t.asked("read") == 3
    phase = [w for w in r.writes() if w.after == "free"][0]
    assert phase.state is State.DONE and phase.detail == f"carried out as write {r.writes()[-1].id}"


def test_an_assignment_telnyx_fails_is_journalled_with_its_reason_and_retried_with_a_put(tmp_path):
    t = FakeTelnyx({N[0]: P1}, fail={N[0]})
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}), until=Until.FINAL, timeout=3 * 3600)
    assert [c[0] for c in t.writes()] == ["assign", "replace"] and r.report.rounds == 2
    first, second = r.writes()
    assert first.state is State.FAILED and first.failed == {N[0]: "T-Mobile rejected the assignment"}
    assert second.state is State.ACCEPTED and r.details() == [("accepted", None), ("failed", None), ("accepted", None)]
    assert "waiting for Telnyx to finish 1 assignment in flight (typically about 2 h each, sometimes days)" in r.progress


def test_a_number_released_from_the_account_mid_apply_is_blocked_with_the_plans_reason(tmp_path):
    t = FakeTelnyx({N[0]: P1})
    real = t.assign

    def released(number, campaign):
        t.profile_of.pop(number, None)
        return real(number, campaign)
    t.assign = released
    r = apply(tmp_path, t, desired({N[0]: (P1, TX)}))
    (o,) = r.report.outcomes
    assert (o.result, o.detail) == (Result.BLOCKED, "number is not owned by this Telnyx account: check it for a typo")
    assert r.report.exit_code == 4


@pytest.mark.parametrize("n1, deferred, n1_result", [
    ("unreadable", (N[2],), Result.FAILED),
    ("there_already", (N[2],), Result.IN_FLIGHT),
    ("being_freed", (N[1], N[2]), Result.NEXT_PHASE),
    ("kept_on_a_shared_campaign", (N[2],), Result.BLOCKED),
    ("free", (N[1], N[2]), Result.NEXT_PHASE),
])
def test_each_number_a_bulk_left_behind_is_read_and_freed_on_its_own(tmp_path, n1, deferred, n1_result):
    # A bulk onto SH skips N[1] and N[2] (TX2 holds them); the next round frees them. What apply
    # reads of N[1] decides only N[1]: N[2] is freed with a DELETE either way.
    t = FakeTelnyx({N[0]: P1, N[1]: P1, N[2]: P1}, {N[1]: Rec(TX2, "ASSIGNED", OLD), N[2]: Rec(TX2, "ASSIGNED", OLD)})
    real = t.get_assignment

    def read_one(number):
        if number == N[1]:
            if n1 == "unreadable":
                t.calls.append(("get_assignment", number))
                raise ApiError("get_assignment", 500, None, "x")
            now = {"there_already": Rec(SH, "PENDING_ASSIGNMENT", t.now), "being_freed": Rec(TX2, "PENDING_UNASSIGNMENT",
                   t.now), "kept_on_a_shared_campaign": Rec(SH2, "ASSIGNED", OLD)}.get(n1)
            if now is None:
                t.records.pop(number, None)
            else:
                t.records[number] = now
        return real(number)
    t.get_assignment = read_one
    r = apply(tmp_path, t, desired({n: (P1, SH) for n in N[:3]}))
    assert t.writes() == [("bulk_assign", P1, SH, None), ("unassign", N[2])]
    assert [c[1] for c in t.calls if c[0] == "get_assignment"][:2] == [N[1], N[2]]
    (d,) = r.report.deferred
    assert (d.op, d.numbers, d.members, d.profile, d.campaign) == (Op.BULK_ASSIGN, deferred, tuple(N[:3]), P1, SH)
    assert r.by() == {N[0]: Result.IN_FLIGHT, N[1]: n1_result, N[2]: Result.NEXT_PHASE}
    unassign = [w for w in r.writes() if w.op is Op.UNASSIGN][0]
    assert (unassign.numbers, unassign.campaign, unassign.state) == ((N[2],), TX2, State.ACCEPTED)
    assert r.details()[-1] == ("accepted", None)  # the DELETE's answer is Telnyx's acceptance


def test_a_bulk_task_journals_the_profiles_other_declared_numbers_it_may_touch(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1, N[3]: P1}, {N[3]: Rec(SH, "ASSIGNED", OLD)})
    r = apply(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH), N[3]: (P1, SH)}))
    (w,) = r.writes()
    assert (w.numbers, w.members, w.profile, w.campaign) == ((N[0], N[1]), (N[3],), P1, SH)


def test_a_task_that_completed_skipping_a_number_is_not_read_for_failures(tmp_path):
    t, r = two_profiles(tmp_path, held=True)
    assert t.asked("task_numbers") == 0 and r.writes()[0].failed == {}


@pytest.mark.parametrize("slow", [None, {"task-0": 600}])
def test_a_task_that_says_failed_is_read_for_its_failures_whether_asked_or_waited_for(tmp_path, slow):
    t, r = two_profiles(tmp_path, held=True, slow=slow, says_failed=True)
    first = r.writes()[0]
    assert first.ref == "task-0" and first.detail == "task failed" and first.processed
    assert first.failed == {N[1]: "task task-0 reports failed"}
    assert [c[1] for c in t.calls if c[0] == "task_numbers"] == ["task-0"]


def test_numbers_a_task_lists_as_pending_or_done_are_not_its_failures(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, {N[1]: Rec(TX2, "ASSIGNED", OLD)}, task_status_failed=True)
    real = t.task_numbers
    t.task_numbers = lambda task: real(task) + [(N[2], "Pending"), (N[3], "DONE"), (N[4], "Pending_Assignment")]
    r = apply(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH)}))
    assert r.writes()[0].failed == {N[1]: "task task-0 reports failed"}


def test_orders_polled_one_after_another_each_keep_the_numbers_they_failed(tmp_path):
    # P1's order fails N[1], P2's moves both: N[1] still sits on P2, so nothing is assigned on P2
    # (nor to P2's numbers) this round; N[0] reached P1 and is assigned.
    t = FakeTelnyx({N[0]: P2, N[1]: P2, N[2]: P1, N[3]: P1}, move_fails={N[1]})
    r = apply(tmp_path, t, desired({N[0]: (P1, TX), N[1]: (P1, TX), N[2]: (P2, TX), N[3]: (P2, TX)}))
    assert [c[:2] for c in t.writes()] == [("bulk_move", P1), ("bulk_move", P2), ("assign", N[0]),
                                           ("patch_profile", "id1"), ("assign", N[1]), ("assign", N[2]),
                                           ("assign", N[3])]
    assert r.report.rounds == 2 and set(r.by().values()) == {Result.IN_FLIGHT}


def test_an_order_still_processing_journals_the_numbers_it_already_failed(tmp_path):
    t = FakeTelnyx({N[0]: P2, N[1]: P2}, {n: Rec(TX, "ASSIGNED", OLD) for n in N[:2]}, order_after=10_000,
                   move_fails={N[1]}, fail_early=True)
    r = apply(tmp_path, t, desired({N[0]: (P1, TX), N[1]: (P1, TX)}), timeout=100)
    assert ("accepted", "order still processing when apply stopped waiting") in r.details()
    assert r.writes()[0].failed == {N[1]: "Telnyx reported the profile move failed"}


def test_an_earlier_runs_task_processed_since_is_asked_about_once_and_closed(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, {N[1]: Rec(TX2, "ASSIGNED", OLD)})
    want = desired({N[0]: (P1, SH), N[1]: (P1, SH)})
    apply(tmp_path, t, want, timeout=30)
    t.now = 100
    r = apply(tmp_path, t, want, until=Until.FINAL, timeout=3 * 3600)
    assert r.details()[0] == ("accepted", "task completed") and r.writes()[0].processed
    assert r.by()[N[0]] is Result.CONVERGED


def test_while_waiting_for_an_earlier_task_only_bulk_tasks_are_asked_about(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1, N[2]: P2}, task_after=600)
    apply(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH)}), timeout=30)
    r = apply(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH), N[2]: (P2, TX)}), until=Until.FINAL,
              timeout=3 * 3600)
    assert t.writes() == [("bulk_assign", P1, SH, None), ("assign", N[2], TX, UUID[TX])]
    assert set(asked_tasks(t)) == {"task-0"} and set(r.by().values()) == {Result.CONVERGED}


def _plan_with_journal(tmp_path, t, want):
    """The plan a later apply makes (operations.prepare_apply): apply's recovery first (it asks Telnyx
    about the tasks and orders earlier runs left open), then live state, with the journal's work in
    flight left out."""
    journal = Journal(tmp_path)
    with journal:
        session.recover(session.Ports(t, t.read, t.read_tracked, t.clock, clock=t.clock, sleep=t.sleep), journal,
                        timeout=60, progress=lambda *a, **k: None, desired=want)
    live = t.read(want)
    inflight = judge(Journal(tmp_path).read().open_writes(), live, t.now, exclusive=True)
    return make_plan(want, live, in_flight=inflight.numbers())


def test_an_earlier_runs_order_still_processing_is_followed_not_sent_again(tmp_path):
    t = FakeTelnyx({N[0]: P2, N[1]: P2}, {n: Rec(TX, "ASSIGNED", OLD) for n in N[:2]}, order_after=10_000)
    want = desired({N[0]: (P1, TX), N[1]: (P1, TX)})
    assert apply(tmp_path, t, want, timeout=100).report.exit_code == 5
    asked = t.asked("get_bulk_order")
    again = apply(tmp_path, t, want, timeout=100, plan=_plan_with_journal(tmp_path, t, want))
    assert len(t.writes("bulk_move")) == 1 and not t.writes("patch_profile")  # never moved twice
    assert t.asked("get_bulk_order") > asked  # the later run asked Telnyx about it
    assert set(again.by().values()) <= {Result.IN_FLIGHT} and again.report.exit_code == 0
    (order,) = [w for w in again.writes() if w.op is Op.BULK_MOVE]
    assert order.open


def test_an_earlier_runs_order_that_finished_is_closed_with_the_numbers_it_failed(tmp_path):
    t = FakeTelnyx({N[0]: P2, N[1]: P2}, {n: Rec(TX, "ASSIGNED", OLD) for n in N[:2]}, order_after=10_000,
                   move_fails={N[1]})
    want = desired({N[0]: (P1, TX), N[1]: (P1, TX)})
    assert apply(tmp_path, t, want, timeout=100).report.exit_code == 5
    t.now += 20_000  # Telnyx finishes the order: N[0] moved, N[1] failed
    again = apply(tmp_path, t, want, timeout=100, plan=_plan_with_journal(tmp_path, t, want))
    (order,) = [w for w in again.writes() if w.op is Op.BULK_MOVE and w.ref == "order-0"]
    assert order.state is State.FAILED and order.failed == {N[1]: "Telnyx reported the profile move failed"}
    # What the order did not move is planned again: one PATCH for the number it failed.
    assert t.writes("patch_profile") == [("patch_profile", "id1", P1)]


def test_a_later_rounds_bulk_is_held_to_the_reviewed_count_of_re_sends(tmp_path):
    # Round 1's bulk leaves N[0] FAILED; meanwhile two numbers the plan blocked are put on the campaign out of
    # band. Round 2's retry bulk would re-send 3 ASSIGNED numbers where the reviewed plan allowed 2: nothing
    # is sent, and N[0] is this run's stale change, naming why (exit: the blocked numbers' 4).
    t = FakeTelnyx({n: P1 for n in N[:4]}, {N[1]: Rec(SH, "ASSIGNED", OLD), N[2]: Rec(SH2, "ASSIGNED", OLD),
                                            N[3]: Rec(SH2, "ASSIGNED", OLD)}, fail={N[0]}, pending_for=0)
    real = t.bulk_assign

    def bulk(pid, campaign):
        out = real(pid, campaign)
        for n in N[2:4]:
            t.records[n] = Rec(SH, "ASSIGNED", t.now)
        return out
    t.bulk_assign = bulk
    r = apply(tmp_path, t, desired({n: (P1, SH) for n in N[:4]}), until=Until.FINAL, timeout=3 * 3600)
    assert len(t.writes("bulk_assign")) == 1
    why = over_allowance(2, 3, P1, SH)
    assert r.progress.count(f"profile alpha ({P1[:8]}…): bulk assignment to {SH} not sent: {why}") == 1
    (o,) = [o for o in r.report.outcomes if o.number == N[0]]
    assert (o.result, o.detail) == (Result.STALE, why) and r.report.stale == [N[0]]


def test_a_lost_bulk_answer_holds_only_its_own_profile_and_campaign(tmp_path):
    # apply/submit.py answer_lost: an open bulk write with no task id (its answer was lost) holds its profile and
    # campaign; one with an id, another op, another profile or campaign, or a closed one holds nothing.
    from reconciler.apply.submit import Submitter

    t = FakeTelnyx({N[0]: P1})
    with Journal(tmp_path) as j:
        sub = Submitter(t, j, lambda *a, **k: None, t.clock, lambda: None, lambda: False)  # type: ignore[arg-type]
        sh, sh2 = campaign_of(SH, None), campaign_of(SH2, None)
        assert not sub.answer_lost(P1, sh)
        j.intent(Op.ASSIGN, [N[0]], at=t.now, profile=P1, campaign=SH)  # not a bulk
        j.intent(Op.BULK_ASSIGN, [N[1]], at=t.now, profile=P2, campaign=SH2)  # another profile and campaign
        done = j.intent(Op.BULK_ASSIGN, [N[2]], at=t.now, profile=P1, campaign=SH)
        j.update(done, State.DONE, at=t.now)  # closed
        followed = j.intent(Op.BULK_ASSIGN, [N[3]], at=t.now, profile=P1, campaign=SH2)
        j.update(followed, State.SUBMITTED, at=t.now, ref="task-9")  # has a task id to follow
        assert not sub.answer_lost(P1, sh) and not sub.answer_lost(P1, sh2) and not sub.answer_lost(P2, sh)
        assert sub.answer_lost(P2, sh2)
        j.intent(Op.BULK_ASSIGN, [N[4]], at=t.now, profile=P1, campaign=SH)
        assert sub.answer_lost(P1, sh)
