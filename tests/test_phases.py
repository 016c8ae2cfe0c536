"""Deferred phases (`apply/phases.py`) through the fake Telnyx: what `resume` does with each phase it
looks at (carried out, held, waiting, abandoned, refused, its failed removals sent again), what it
journals and says, and the pure parts (`Replan.why`, `over_allowance`, `held_by_writes`, `actionable`).
Each phase is journalled directly (`Journal.defer`), as a first apply leaves it. No sockets; a virtual clock."""

from __future__ import annotations

from dataclasses import replace

from reconciler.apply import Applier, PhaseOutcome, Until, recovery
from reconciler.apply.phases import REFUSED, Replan, actionable, held_by_writes, over_allowance, refused_removals
from reconciler.apply.recovery import StatusReport
from reconciler.journal import Journal, Op, State
from reconciler.plan import PlanOptions
from reconciler.tracking import PhaseState, judge

from tests.apply_fake import P1, P2, SH, SH2, TX, TX2, UUID, FakeTelnyx, Rec, RecordingJournal, apply, desired, num

N = [num(i) for i in range(8)]
OLD = -1e5
HOUR = 3600.0


def defer(tmp_path, numbers, *, op: Op = Op.ASSIGN, campaign: str = TX, profile: str | None = P1,
          members=(), resends: int | None = None, at: float = 0.0) -> str:
    """A next phase as apply journals it: assign `numbers` to `campaign` once Telnyx has freed them."""
    return Journal(tmp_path).defer(op, numbers, at=at, profile=profile, campaign=campaign,
                                   campaign_uuid=UUID.get(campaign), after="free", members=members,
                                   resends=resends)


def resume(tmp_path, t: FakeTelnyx, files, **kw) -> StatusReport:
    with RecordingJournal(tmp_path) as j:  # holds every outcome line to the journal's contract (timed)
        return recovery.resume(t, j, t.read_tracked, t.clock, progress=lambda *a, **k: None, timeout=600,
                               desired=files, clock=t.clock, sleep=t.sleep, **kw)


def said(report: StatusReport) -> list[tuple[PhaseOutcome, str]]:
    return [(what.outcome, str(what)) for _, what in report.carried_out]


def journalled(tmp_path, wid: str) -> tuple[State, str | None]:
    w = Journal(tmp_path).read().writes[wid]
    return w.state, w.detail


# ---------------------------------------------------------------- the pure parts


def test_why_says_each_reason_once_naming_three_numbers_and_how_many_more():
    r = Replan(dropped={N[4]: "declared in no file", N[0]: "declared in no file", N[2]: "moved",
                        N[1]: "declared in no file", N[3]: "declared in no file", N[5]: "declared in no file"})
    assert r.why == (f"{N[0]}, {N[1]}, {N[3]} and 2 more: declared in no file; {N[2]}: moved")
    assert Replan(dropped={N[1]: "x", N[0]: "x", N[2]: "x"}).why == f"{N[0]}, {N[1]}, {N[2]}: x"
    assert Replan().why == ""


def test_over_allowance_refuses_only_more_resends_than_the_reviewed_plan_counted():
    assert over_allowance(None, 9, P1, SH) is None  # a phase journalled before the count: the policy holds
    assert over_allowance(2, 2, P1, SH) is None and over_allowance(2, 0, P1, SH) is None
    assert over_allowance(0, 1, P1, SH) == (
        f"{REFUSED}its bulk assignment of profile {P1} would now re-send 1 number already ASSIGNED to {SH}, more "
        f"than the 0 the reviewed plan allowed; nothing was sent. Run `reconciler plan`: it assigns the freed "
        f"numbers again and counts every number the bulk re-sends, for review")
    assert f"re-send 3 numbers already ASSIGNED to {SH}, more than the 2 " in over_allowance(2, 3, P1, SH)


def test_held_by_writes_are_the_numbers_of_open_writes_that_are_not_phases(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, {N[0]: Rec(TX2, "PENDING_UNASSIGNMENT", 0.0),
                                         N[1]: Rec(TX, "PENDING_ASSIGNMENT", 0.0)}, pending_for=1e9)
    j = Journal(tmp_path)
    wid = j.intent(Op.ASSIGN, [N[1]], at=0.0, profile=P1, campaign=TX)
    j.update(wid, State.ACCEPTED, at=0.0)
    defer(tmp_path, [N[0]])
    inflight = judge(j.read().open_writes(), t.read_tracked([]), t.now)
    assert set(inflight.numbers()) == {N[0], N[1]}  # the phase's number is in flight too
    assert list(held_by_writes(inflight)) == [N[1]]
    assert inflight.now == t.now


def test_actionable_is_a_ready_phase_or_one_with_removals_telnyx_failed(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1, N[2]: P1},
                   {N[1]: Rec(TX2, "PENDING_UNASSIGNMENT", 0.0),
                    N[2]: Rec(TX2, "FAILED_UNASSIGNMENT", 0.0, "carrier error")})
    j = Journal(tmp_path)
    ready, waiting, failed = defer(tmp_path, [N[0]]), defer(tmp_path, [N[1]]), defer(tmp_path, [N[2]])
    wid = j.intent(Op.ASSIGN, [N[1]], at=0.0, profile=P1, campaign=TX2)
    tracked = {x.write.id: x for x in judge(j.read().open_writes(), t.read_tracked([]), t.now).tracked}
    assert tracked[ready].phase is PhaseState.READY and actionable(tracked[ready])
    assert tracked[waiting].phase is PhaseState.WAITING and not actionable(tracked[waiting])
    assert refused_removals(tracked[waiting]) == []
    assert refused_removals(tracked[failed]) == [N[2]] and actionable(tracked[failed])
    assert not actionable(tracked[wid])  # not a phase


# ---------------------------------------------------------------- phases resume closes without writing


def test_a_phase_telnyx_carried_out_itself_is_closed_done(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX, "ASSIGNED", OLD)})
    wid = defer(tmp_path, [N[0]])
    report = resume(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert said(report) == [(PhaseOutcome.DONE, "done")] and t.writes() == []
    assert journalled(tmp_path, wid) == (State.DONE, "Telnyx put every number there itself")


def test_a_phase_whose_number_was_taken_elsewhere_is_abandoned_with_the_reason(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX2, "ASSIGNED", OLD)})
    wid = defer(tmp_path, [N[0]])
    report = resume(tmp_path, t, desired({N[0]: (P1, TX)}))
    why = f"{N[0]} is on {TX2} (ASSIGNED) now, not freed as the approved plan expected; re-plan"
    assert said(report) == [(PhaseOutcome.ABANDONED, f"abandoned: {why}")] and t.writes() == []
    assert journalled(tmp_path, wid) == (State.ABANDONED, why) and report.exit_code == 2


def test_a_phase_still_being_freed_waits_and_stays_open(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX2, "PENDING_UNASSIGNMENT", 0.0)})
    wid = defer(tmp_path, [N[0]])
    report = resume(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert said(report) == [(PhaseOutcome.WAITING, "1 number still being freed")] and t.writes() == []
    assert journalled(tmp_path, wid)[0] is State.DEFERRED and report.exit_code == 0


def test_a_ready_phase_without_the_files_is_held_open(tmp_path):
    t = FakeTelnyx({N[0]: P1})
    wid = defer(tmp_path, [N[0]])
    report = resume(tmp_path, t, None)
    assert said(report) == [(PhaseOutcome.HELD, "not carried out: no desired state to check it against")]
    assert t.writes() == [] and journalled(tmp_path, wid)[0] is State.DEFERRED


def test_a_ready_phase_outside_the_runs_scope_is_held_open(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1})
    held, run = defer(tmp_path, [N[0]]), defer(tmp_path, [N[1]])
    files = replace(desired({N[0]: (P1, TX), N[1]: (P1, TX)}), out_of_scope=frozenset({N[0]}))
    report = resume(tmp_path, t, files)
    assert said(report) == [
        (PhaseOutcome.HELD, "outside this run's --profile/--campaign scope: left for a run that covers it"),
        (PhaseOutcome.SUBMITTED, "submitted (1 number)")]
    assert [w[:3] for w in t.writes()] == [("assign", N[1], TX)]
    assert journalled(tmp_path, held)[0] is State.DEFERRED and journalled(tmp_path, run)[0] is State.DONE


def test_a_phase_whose_campaign_the_files_no_longer_declare_is_abandoned_for_every_number(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1})
    wid = defer(tmp_path, [N[0], N[1]])
    report = resume(tmp_path, t, desired({N[0]: (P1, TX2), N[1]: (P1, TX2)}))
    assert said(report) == [(PhaseOutcome.ABANDONED, f"abandoned: the files no longer declare it so: {N[0]}, {N[1]}: "
                                                     f"campaign {TX} is not declared in the files")]
    assert t.writes() == [] and journalled(tmp_path, wid)[0] is State.ABANDONED


def test_a_phase_number_declared_elsewhere_or_nowhere_is_dropped_with_its_reason(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1, N[2]: P1, N[3]: P2, N[4]: P1})
    wid = defer(tmp_path, [N[0], N[1], N[2]])
    # TX stays declared under P1 (N[4]), so the phase as a whole is; its own numbers are not.
    files = desired({N[0]: (P1, TX2), N[2]: (P2, TX), N[3]: (P2, TX), N[4]: (P1, TX)})
    report = resume(tmp_path, t, files)
    why = (f"the files no longer declare it so: {N[0]}: declared for campaign {TX2} on profile {P1} now; "
           f"{N[1]}: declared in no file; {N[2]}: declared for campaign {TX} on profile {P2} now")
    assert said(report) == [(PhaseOutcome.ABANDONED, f"abandoned: {why}")]
    assert t.writes() == [] and journalled(tmp_path, wid) == (State.ABANDONED, why)


def test_a_phase_without_a_profile_keeps_a_number_declared_on_any_profile(tmp_path):
    t = FakeTelnyx({N[0]: P2})
    wid = defer(tmp_path, [N[0]], profile=None)
    report = resume(tmp_path, t, desired({N[0]: (P2, TX)}))
    assert said(report) == [(PhaseOutcome.SUBMITTED, "submitted (1 number)")]
    assert [w[:4] for w in t.writes()] == [("assign", N[0], TX, UUID[TX])]
    assert journalled(tmp_path, wid)[0] is State.DONE


# ---------------------------------------------------------------- phases resume carries out


def test_a_phase_partly_declared_is_sent_for_the_rest_and_said_twice(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1, N[2]: P1})
    wid = defer(tmp_path, [N[0], N[1], N[2]])
    report = resume(tmp_path, t, desired({N[0]: (P1, TX)}))
    why = f"{N[1]}, {N[2]}: declared in no file"
    assert said(report) == [
        (PhaseOutcome.SUBMITTED, "submitted (1 number)"),
        (PhaseOutcome.ABANDONED, f"abandoned for 2 numbers: the files no longer declare them so: {why}")]
    assert [w[:3] for w in t.writes()] == [("assign", N[0], TX)]
    state, detail = journalled(tmp_path, wid)
    sent = [w for w in Journal(tmp_path).read().writes.values() if w.op is Op.ASSIGN and w.id != wid]
    assert state is State.DONE and detail == (f"carried out as write {sent[0].id}; not for 2 numbers the files "
                                              f"no longer declare so: {why}")
    assert report.exit_code == 2


def test_a_phase_with_one_number_dropped_says_it(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1})
    wid = defer(tmp_path, [N[0], N[1]])
    report = resume(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert said(report)[1] == (PhaseOutcome.ABANDONED, f"abandoned for 1 number: the files no longer declare it so: "
                                                       f"{N[1]}: declared in no file")
    assert journalled(tmp_path, wid)[1].endswith(f"; not for 1 number the files no longer declare so: "
                                                 f"{N[1]}: declared in no file")


def test_a_phase_telnyx_refuses_stays_open_to_be_tried_again(tmp_path):
    t = FakeTelnyx({N[0]: P1})
    wid = defer(tmp_path, [N[0]])
    t.refuse("assign")
    report = resume(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert said(report) == [(PhaseOutcome.RETRY, "refused by Telnyx; will be tried again")]
    assert journalled(tmp_path, wid)[0] is State.DEFERRED
    report = resume(tmp_path, t, desired({N[0]: (P1, TX)}))  # the next resume sends it
    assert said(report) == [(PhaseOutcome.SUBMITTED, "submitted (1 number)")]
    assert [w[:3] for w in t.writes()] == [("assign", N[0], TX)] * 2


def test_a_phase_to_a_shared_campaign_is_not_sent_number_by_number(tmp_path):
    t = FakeTelnyx({N[0]: P1})
    wid = defer(tmp_path, [N[0]], campaign=SH)
    report = resume(tmp_path, t, desired({N[0]: (P1, SH)}))
    assert said(report) == [(PhaseOutcome.ABANDONED, f"abandoned: the files no longer declare it so: {N[0]}: shared "
                             f"campaign {SH} takes numbers by a bulk assignment of their profile: the next apply "
                             f"plans it (or --shared-per-number)")]
    assert t.writes() == [] and journalled(tmp_path, wid)[0] is State.ABANDONED
    wid = defer(tmp_path, [N[0]], campaign=SH)  # unless the run may (--shared-per-number)
    report = resume(tmp_path, t, desired({N[0]: (P1, SH)}), options=PlanOptions(shared_per_number=True))
    assert said(report) == [(PhaseOutcome.SUBMITTED, "submitted (1 number)")]
    assert [w[:3] for w in t.writes()] == [("assign", N[0], SH)]


def test_a_second_bulk_phase_for_the_profile_waits_for_the_first_ones_task(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1})
    first = defer(tmp_path, [N[0]], op=Op.BULK_ASSIGN, campaign=SH, members=(N[0], N[1]))
    second = defer(tmp_path, [N[1]], op=Op.BULK_ASSIGN, campaign=SH, members=(N[0], N[1]))
    report = resume(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH)}))
    outcomes = {w.id: (what.outcome, str(what)) for w, what in report.carried_out}
    assert outcomes[first] == (PhaseOutcome.SUBMITTED, "submitted (1 number)")
    assert outcomes[second] == (PhaseOutcome.WAITING,
                                "waiting: an earlier bulk task for the profile is not processed yet")
    assert [w[:3] for w in t.writes()] == [("bulk_assign", P1, SH)]
    assert journalled(tmp_path, second)[0] is State.DEFERRED


def test_a_bulk_phase_refused_by_telnyx_lets_the_next_phase_try(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1})
    defer(tmp_path, [N[0]], op=Op.BULK_ASSIGN, campaign=SH, members=(N[0], N[1]))
    defer(tmp_path, [N[1]], op=Op.BULK_ASSIGN, campaign=SH, members=(N[0], N[1]))
    t.refuse("bulk_assign")
    report = resume(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH)}))
    assert [o for o, _ in said(report)] == [PhaseOutcome.RETRY, PhaseOutcome.SUBMITTED]
    assert [w[:3] for w in t.writes()] == [("bulk_assign", P1, SH)] * 2


def test_a_bulk_phase_that_would_resend_more_than_reviewed_is_refused_exit_3(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, {N[1]: Rec(SH, "ASSIGNED", OLD)})
    wid = defer(tmp_path, [N[0]], op=Op.BULK_ASSIGN, campaign=SH, members=(N[0], N[1]), resends=0)
    report = resume(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH)}))
    why = over_allowance(0, 1, P1, SH)
    assert said(report) == [(PhaseOutcome.REFUSED, why)] and t.writes() == []
    assert journalled(tmp_path, wid) == (State.ABANDONED, why) and report.exit_code == 3


def test_a_bulk_phase_within_its_resends_is_sent_with_its_members(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, {N[1]: Rec(SH, "ASSIGNED", OLD)})
    defer(tmp_path, [N[0]], op=Op.BULK_ASSIGN, campaign=SH, members=(N[0], N[1]), resends=1)
    report = resume(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH)}))
    assert said(report) == [(PhaseOutcome.SUBMITTED, "submitted (1 number)")]
    assert [w[:3] for w in t.writes()] == [("bulk_assign", P1, SH)]
    (sent,) = [w for w in Journal(tmp_path).read().writes.values() if w.op is Op.BULK_ASSIGN
               and w.state is not State.DONE]
    assert sent.numbers == (N[0],) and tuple(sent.members) == (N[1],)


def test_two_phases_for_one_number_the_second_waits(tmp_path):
    t = FakeTelnyx({N[0]: P1})
    first, second = defer(tmp_path, [N[0]]), defer(tmp_path, [N[0]])
    report = resume(tmp_path, t, desired({N[0]: (P1, TX)}))
    outcomes = {w.id: (what.outcome, str(what)) for w, what in report.carried_out}
    assert outcomes[first] == (PhaseOutcome.SUBMITTED, "submitted (1 number)")
    assert outcomes[second] == (PhaseOutcome.HELD, "waiting: 1 number is under another write in flight")
    assert len(t.writes()) == 1


# ---------------------------------------------------------------- removals Telnyx failed


def failed_removal(tmp_path, *numbers: str, profile_of=None) -> tuple[FakeTelnyx, str]:
    t = FakeTelnyx(profile_of or {n: P1 for n in numbers},
                   {n: Rec(TX2, "FAILED_UNASSIGNMENT", OLD, "carrier error") for n in numbers})
    return t, defer(tmp_path, list(numbers))


REASON = f"Telnyx failed to free {{}} from {TX2} (FAILED_UNASSIGNMENT: carrier error); `resume` frees them again"


def test_removals_telnyx_failed_are_sent_again_while_the_files_declare_them(tmp_path):
    t, wid = failed_removal(tmp_path, N[0], N[1], N[2], N[3], profile_of={N[0]: P1, N[1]: P1, N[2]: P1, N[3]: P2})
    # N[0], N[1] still declared for the phase; N[2] now for another campaign; N[3] on another profile.
    files = desired({N[0]: (P1, TX), N[1]: (P1, TX), N[2]: (P1, TX2), N[3]: (P2, TX)})
    report = resume(tmp_path, t, files)
    assert said(report) == [(PhaseOutcome.FREED_AGAIN, REASON.format("4 numbers") +
                             ": 2 numbers sent for removal again; 2 the files no longer declare so left alone")]
    assert t.writes() == [("unassign", N[0]), ("unassign", N[1])]
    assert journalled(tmp_path, wid)[0] is State.DEFERRED
    t.now += 2 * HOUR  # Telnyx freed N[0] and N[1]; the two left alone are never sent
    report = resume(tmp_path, t, files)
    assert said(report) == [(PhaseOutcome.FREED_AGAIN, REASON.format("2 numbers") +
                             ": 0 numbers sent for removal again; 2 the files no longer declare so left alone")]
    assert len(t.writes()) == 2


def test_a_removal_sent_again_and_refused_counts_none_freed(tmp_path):
    t, wid = failed_removal(tmp_path, N[0])
    t.refuse("unassign")
    report = resume(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert said(report) == [(PhaseOutcome.FREED_AGAIN, REASON.format("1 number") +
                             ": 0 numbers sent for removal again")]
    assert t.writes() == [("unassign", N[0])]


def test_removals_telnyx_failed_are_not_sent_again_without_the_files(tmp_path):
    t, wid = failed_removal(tmp_path, N[0])
    report = resume(tmp_path, t, None)
    assert said(report) == [(PhaseOutcome.HELD, REASON.format("1 number") +
                             ": not freed again here (no desired state to check it against)")]
    assert t.writes() == []


def test_a_stuck_phase_with_removals_telnyx_failed_is_abandoned(tmp_path):
    t, wid = failed_removal(tmp_path, N[0])
    t.now = 73 * HOUR
    report = resume(tmp_path, t, desired({N[0]: (P1, TX)}))
    why = REASON.format("1 number") + "; stuck for longer than the stuck threshold: the next apply plans it afresh"
    assert said(report) == [(PhaseOutcome.ABANDONED, f"abandoned: {why}")] and t.writes() == []
    assert journalled(tmp_path, wid) == (State.ABANDONED, why)
    t2, _ = failed_removal(tmp_path / "b", N[0])
    t2.now = 73 * HOUR
    report = resume(tmp_path / "b", t2, desired({N[0]: (P1, TX)}), stuck_after=80 * HOUR)
    assert said(report)[0][0] is PhaseOutcome.FREED_AGAIN


def test_a_phase_stuck_waiting_for_freeing_still_waits(tmp_path):
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX2, "PENDING_UNASSIGNMENT", 0.0)}, unassign_for=1e9)
    defer(tmp_path, [N[0]])
    t.now = 73 * HOUR
    report = resume(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert said(report) == [(PhaseOutcome.WAITING, "1 number still being freed")] and t.writes() == []


def test_a_bulk_phase_over_the_policys_safety_limit_is_abandoned_unsent(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, {N[1]: Rec(SH, "ASSIGNED", OLD)})
    wid = defer(tmp_path, [N[0]], op=Op.BULK_ASSIGN, campaign=SH, members=(N[0], N[1]))  # no count journalled
    files = desired({N[0]: (P1, SH), N[1]: (P1, SH)})
    files = replace(files, policy=replace(files.policy, max_reprovision=0))
    report = resume(tmp_path, t, files)
    ((outcome, text),) = said(report)
    assert outcome is PhaseOutcome.ABANDONED and t.writes() == []
    assert text.startswith(f"abandoned: the files no longer declare it so: {N[0]}: over a safety limit: ")
    assert "max_reprovision 0" in text and journalled(tmp_path, wid)[0] is State.ABANDONED


def test_a_read_that_lists_no_profiles_still_lets_a_phase_run_on_a_profile_its_numbers_sit_on(tmp_path):
    """The tracked read looks up numbers, not profiles: a profile a number sits on exists."""
    t = FakeTelnyx({N[0]: P1})
    real = t._live

    def numbers_only():
        live = real()
        live.profiles = {}
        return live
    t._live = numbers_only
    defer(tmp_path, [N[0]])
    report = resume(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert said(report) == [(PhaseOutcome.SUBMITTED, "submitted (1 number)")]


def test_a_phase_to_a_shared_campaign_says_why_its_profile_cannot_take_a_bulk(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, {N[1]: Rec(SH2, "ASSIGNED", OLD)})
    defer(tmp_path, [N[0]], campaign=SH)
    report = resume(tmp_path, t, desired({N[0]: (P1, SH), N[1]: (P1, SH2)}))
    ((outcome, text),) = said(report)
    assert outcome is PhaseOutcome.ABANDONED and t.writes() == []
    assert text.startswith(f"abandoned: the files no longer declare it so: {N[0]}: shared campaign {SH} would need "
                           f"per-number assignment on profile {P1}")


def test_a_phase_number_the_account_does_not_hold_is_dropped_as_the_plan_blocks_it(tmp_path):
    t = FakeTelnyx({N[1]: P1})
    wid = defer(tmp_path, [N[0]])
    report = resume(tmp_path, t, desired({N[0]: (P1, TX), N[1]: (P1, TX)}))
    why = f"the files no longer declare it so: {N[0]}: number is not owned by this Telnyx account: check it for a typo"
    assert said(report) == [(PhaseOutcome.ABANDONED, f"abandoned: {why}")]
    assert t.writes() == [] and journalled(tmp_path, wid) == (State.ABANDONED, why)


def test_a_phase_number_the_plan_would_now_move_first_is_left_to_the_next_apply(tmp_path):
    t = FakeTelnyx({N[0]: P2})
    defer(tmp_path, [N[0]], profile=None)  # no profile journalled: its number may sit anywhere
    report = resume(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert said(report) == [(PhaseOutcome.ABANDONED, f"abandoned: the files no longer declare it so: {N[0]}: the "
                                                     f"plan now assigns it (the next apply plans it)")]
    assert t.writes() == []


def test_phases_after_one_abandoned_refused_or_held_are_still_carried_out(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1, N[2]: P1, N[3]: P2, N[4]: P2}, {N[4]: Rec(SH, "ASSIGNED", OLD)})
    defer(tmp_path, [N[0]], campaign=TX2)  # its campaign no longer declared: abandoned
    defer(tmp_path, [N[3]], op=Op.BULK_ASSIGN, campaign=SH, profile=P2, members=(N[3], N[4]), resends=0)  # refused
    defer(tmp_path, [N[1]])
    defer(tmp_path, [N[1]])  # the same number as the phase before: held
    defer(tmp_path, [N[2]])
    files = desired({N[0]: (P1, TX), N[1]: (P1, TX), N[2]: (P1, TX), N[3]: (P2, SH), N[4]: (P2, SH)})
    report = resume(tmp_path, t, files)
    assert [o for o, _ in said(report)] == [PhaseOutcome.ABANDONED, PhaseOutcome.REFUSED, PhaseOutcome.SUBMITTED,
                                            PhaseOutcome.HELD, PhaseOutcome.SUBMITTED]
    assert [w[:3] for w in t.writes()] == [("assign", N[1], TX), ("assign", N[2], TX)]


def test_two_numbers_under_another_phase_are_said_in_the_plural(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1})
    defer(tmp_path, [N[0], N[1]])
    second = defer(tmp_path, [N[0], N[1]])
    report = resume(tmp_path, t, desired({N[0]: (P1, TX), N[1]: (P1, TX)}))
    assert {w.id: str(what) for w, what in report.carried_out}[second] == (
        "waiting: 2 numbers are under another write in flight")


def test_the_write_a_phase_sends_keeps_when_the_approved_change_stopped_sending(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P2}, now=100.0)
    phases = {defer(tmp_path, [N[0]], at=50.0),
              defer(tmp_path, [N[1]], op=Op.BULK_ASSIGN, campaign=SH, profile=P2, members=(N[1],), at=30.0)}
    report = resume(tmp_path, t, desired({N[0]: (P1, TX), N[1]: (P2, SH)}))
    assert [o for o, _ in said(report)] == [PhaseOutcome.SUBMITTED] * 2
    sent = {w.op: w for w in Journal(tmp_path).read().writes.values() if w.id not in phases}
    assert (sent[Op.ASSIGN].stopped_at, sent[Op.BULK_ASSIGN].stopped_at) == (50.0, 30.0)


def carry_out_against(tmp_path, t: FakeTelnyx, judged_on, live, files):
    """What `Applier.resume` does with phases judged on one read when live state has moved since."""
    j = RecordingJournal(tmp_path)
    applier = Applier(t, t.read, j, progress=lambda *a, **k: None, until=Until.ACCEPTED, timeout=600,
                      sleep=t.sleep, clock=t.clock, server_now=t.clock)
    with j:
        inflight = judge(j.read().open_writes(), judged_on, t.now, exclusive=True)
        return [(what.outcome, str(what)) for _, what in applier.resume(live, inflight, files)]


def test_a_ready_phase_whose_numbers_are_now_where_the_files_want_them_is_closed_done(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1})
    first, second = defer(tmp_path, [N[0]]), defer(tmp_path, [N[0], N[1]])
    judged_on = t.read_tracked([])
    t.records[N[0]] = Rec(TX, "ASSIGNED", t.now)  # Telnyx put N[0] there since
    files = desired({N[0]: (P1, TX), N[1]: (P1, TX)})
    assert carry_out_against(tmp_path, t, judged_on, t.read_tracked([]), files) == [
        (PhaseOutcome.DONE, "done"), (PhaseOutcome.SUBMITTED, "submitted (1 number)")]
    assert journalled(tmp_path, first) == (State.DONE, "every number is where the files want it")
    assert [w[:3] for w in t.writes()] == [("assign", N[1], TX)] and journalled(tmp_path, second)[0] is State.DONE


def test_a_removal_sent_again_is_journalled_accepted_from_its_old_campaign(tmp_path):
    t, wid = failed_removal(tmp_path, N[0])
    report = resume(tmp_path, t, desired({N[0]: (P1, TX)}))
    assert said(report) == [(PhaseOutcome.FREED_AGAIN, REASON.format("1 number") + ": 1 number sent for removal again")]
    (sent,) = [w for w in Journal(tmp_path).read().writes.values() if w.op is Op.UNASSIGN]
    assert (sent.numbers, sent.campaign, sent.state) == ((N[0],), TX2, State.ACCEPTED)


# ---------------------------------------------------------------- what apply defers


def test_apply_defers_a_refused_put_as_a_bulk_to_a_shared_campaign_and_single_assignments_otherwise(tmp_path):
    rows = []
    for i, campaign in enumerate((SH, TX)):
        t = FakeTelnyx({N[0]: P1, N[1]: P1}, {N[0]: Rec(TX2, "ASSIGNED", OLD), N[1]: Rec(TX2, "ASSIGNED", OLD)},
                       put_refused=True)
        run = apply(tmp_path / str(i), t, desired({N[0]: (P1, campaign), N[1]: (P1, campaign)}))
        rows += [(w.op, w.numbers, w.profile, w.campaign, w.campaign_uuid, w.members, w.resends, w.after)
                 for w in run.report.deferred]
    assert rows == [
        # the reviewed plan's own two numbers are what its bulk may re-send once they are ASSIGNED
        (Op.BULK_ASSIGN, (N[0], N[1]), P1, SH, None, (N[0], N[1]), 2, "free"),
        (Op.ASSIGN, (N[0],), P1, TX, UUID[TX], (), None, "free"),
        (Op.ASSIGN, (N[1],), P1, TX, UUID[TX], (), None, "free")]


def test_numbers_telnyx_is_freeing_are_deferred_as_a_bulk_of_their_profile_or_one_assignment(tmp_path):
    """defer_freed: declared numbers found PENDING_UNASSIGNMENT (a killed run freed them) get their
    assignment journalled; a bulk counts what it may re-send: the one already on the campaign and its own two."""
    rows = []
    for i, campaign in enumerate((SH, TX)):
        t = FakeTelnyx({N[0]: P1, N[1]: P1, N[2]: P1},
                       {N[0]: Rec(TX2, "PENDING_UNASSIGNMENT", 0.0), N[1]: Rec(TX2, "PENDING_UNASSIGNMENT", 0.0),
                        N[2]: Rec(campaign, "ASSIGNED", OLD)}, unassign_for=1e9)
        run = apply(tmp_path / str(i), t, desired({N[0]: (P1, campaign), N[1]: (P1, campaign), N[2]: (P1, campaign)}))
        assert t.writes() == []
        rows += [(w.op, w.numbers, w.profile, w.campaign, w.campaign_uuid, w.members, w.resends, w.after, w.detail)
                 for w in run.report.deferred]
    why = "2 numbers Telnyx is freeing; assign them once it has"
    assert rows == [
        (Op.BULK_ASSIGN, (N[0], N[1]), P1, SH, None, (N[0], N[1], N[2]), 3, "free", why),
        (Op.ASSIGN, (N[0], N[1]), P1, TX, UUID[TX], (), None, "free", why)]


def test_numbers_dropped_for_a_campaign_that_cannot_carry_traffic_are_not_said_as_the_files_changing():
    from reconciler.apply.phases import cannot_carry

    why = cannot_carry("CSH0001", "campaign CSH0001 is shared to Telnyx but its sharing status is PENDING, not "
                                  "ACCEPTED: waiting for Telnyx to review and accept the share (no change to the files helps; "
                                  "Telnyx support can say where it stands)")
    assert why.startswith("CSH0001 cannot carry traffic now (campaign CSH0001 is shared") and "files helps" not in why
    assert "`reconciler apply` assigns them" in why
    r = Replan(dropped={N[0]: why, N[1]: "declared in no file"}, unchanged={N[0]})
    assert r.dropped_words() == f"the files no longer declare it so: {N[1]}: declared in no file; {N[0]}: {why}"
    assert Replan(dropped={N[0]: why}, unchanged={N[0]}).dropped_words() == f"{N[0]}: {why}"
