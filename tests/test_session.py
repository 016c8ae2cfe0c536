"""apply/session.py: one apply for any front end. Refusals live inside apply, not in the CLI; recovery
runs on the injected clock and notes finished work once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.apply import PhaseOutcome, Until, session
from reconciler.compare import explain
from reconciler.errors import RefusedError
from reconciler.journal import Journal, Op
from reconciler.plan import make_plan
from reconciler.plan.report import saved_unsafe
from tests.apply_fake import P1, SH, TX, TX2, UUID, FakeTelnyx, Rec, desired, num

N = [num(i) for i in range(4)]
OLD = -1e5  # long ago: the record is final


def _ports(t: FakeTelnyx) -> session.Ports:
    return session.Ports(t, t.read, t.read_tracked, t.clock, clock=t.clock, sleep=t.sleep)


def _run(tmp_path, t, plan, **kw):
    with Journal(tmp_path) as j:
        return session.run(_ports(t), j, plan, saved=False, live=t.read(plan.desired), until=Until.ACCEPTED,
                           timeout=600, progress=lambda *a, **k: None, **kw)


def test_an_unsafe_plan_is_refused_by_apply_itself_before_approval_and_before_any_write(tmp_path):
    # Three of four numbers move campaigns: over a 1-number reassign limit.
    t = FakeTelnyx({n: P1 for n in N[:4]}, {n: Rec(TX, "ASSIGNED", OLD) for n in N[:4]})
    want = desired({n: (P1, TX2) for n in N[:3]} | {N[3]: (P1, TX)})
    want = replace(want, policy=replace(want.policy, max_reassign=1))
    plan = make_plan(want, t.read(want))
    assert not plan.safe
    asked = []
    with pytest.raises(RefusedError, match="unsafe"):
        _run(tmp_path, t, plan, approve=asked.append)
    assert asked == [] and t.writes() == []


def test_approval_is_asked_once_and_a_refusal_writes_nothing(tmp_path):
    t = FakeTelnyx({N[0]: P1})
    plan = make_plan(desired({N[0]: (P1, TX)}), t.read(desired({N[0]: (P1, TX)})))
    asked = []

    def no(p):
        asked.append(p)
        raise RefusedError("not approved")

    with pytest.raises(RefusedError, match="not approved"):
        _run(tmp_path, t, plan, approve=no)
    assert asked == [plan] and t.writes() == []
    report = _run(tmp_path, t, plan, approve=asked.append)
    assert len(asked) == 2 and report.exit_code == 0 and t.writes() == [("assign", N[0], TX, UUID[TX])]


def test_a_plan_that_is_not_the_reviewed_one_is_refused_naming_the_checksums(tmp_path):
    t = FakeTelnyx({N[0]: P1})
    plan = make_plan(desired({N[0]: (P1, TX)}), t.read(desired({N[0]: (P1, TX)})))
    with pytest.raises(RefusedError) as e:
        _run(tmp_path, t, plan, expect_checksum="abc")
    assert str(e.value) == (f"the plan's checksum is {plan.checksum()}, not the reviewed abc: live state or the "
                            f"files changed since review; re-plan and review again")  # nothing to explain it with
    assert t.writes() == []


def test_recovery_with_nothing_deferred_asks_about_open_work_and_resumes_nothing(tmp_path):
    t = FakeTelnyx({N[0]: P1}, task_after=600)
    want = desired({N[0]: (P1, TX)})
    _run(tmp_path, t, make_plan(want, t.read(want)))  # leaves nothing deferred
    with Journal(tmp_path) as j:
        assert session.recover(_ports(t), j, timeout=60, progress=lambda *a, **k: None, desired=want) is None


def _said():
    lines: list[str] = []
    return lines, lambda msg, done=None, total=None: lines.append(msg)


def test_recovery_waits_for_a_killed_runs_intent_on_the_injected_clock_capped_at_its_own_timeout(tmp_path):
    t = FakeTelnyx({N[0]: P1})
    Journal(tmp_path).intent(Op.ASSIGN, [N[0]], at=t.now, profile=P1, campaign=TX)
    lines, progress = _said()
    with Journal(tmp_path) as j:
        assert session.recover(_ports(t), j, timeout=20, progress=progress, desired=desired({N[0]: (P1, TX)})) is None
    # No real sleep: the fake's clock ran the wait, bounded by the run's --timeout (20 s < the 300 s cap).
    assert 20 <= t.now < 26 and lines == ["1 write of a killed run have no journalled answer; waiting up to "
                                          "3 min for Telnyx to show whether it took them"]


def _freed(tmp_path) -> FakeTelnyx:
    """A first apply freed N[0] (its PUT refused) and journalled its assignment as the next phase; two hours
    later Telnyx has finished the unassignment."""
    t = FakeTelnyx({N[0]: P1}, {N[0]: Rec(TX2, "ASSIGNED", OLD)}, put_refused=True)
    want = desired({N[0]: (P1, TX)})
    with Journal(tmp_path) as j:
        report = session.run(_ports(t), j, make_plan(want, t.read(want)), saved=False, live=t.read(want),
                             until=Until.ACCEPTED, timeout=600, progress=lambda *a, **k: None)
    assert len(report.deferred) == 1
    t.now += 2 * 3600
    return t


def test_recovery_carries_out_a_ready_next_phase_the_files_declare_and_says_so(tmp_path):
    t = _freed(tmp_path)
    lines, progress = _said()
    with Journal(tmp_path) as j:
        report = session.recover(_ports(t), j, timeout=600, progress=progress, desired=desired({N[0]: (P1, TX)}),
                                 problems=["journal.jsonl:9: not JSON; skipped"])
    assert report is not None and [(w.campaign, r.outcome) for w, r in report.carried_out] == [
        (TX, PhaseOutcome.SUBMITTED)]
    assert t.writes()[-1][:3] == ("assign", N[0], TX) and report.problems == ["journal.jsonl:9: not JSON; skipped"]
    assert report.now == t.now


def test_recovery_closes_a_phase_the_files_no_longer_declare_and_writes_nothing(tmp_path):
    t = _freed(tmp_path)
    before = len(t.writes())
    with Journal(tmp_path) as j:
        report = session.recover(_ports(t), j, timeout=600, progress=lambda *a, **k: None,
                                 desired=desired({N[0]: (P1, TX2)}))
    assert [r.outcome for _, r in report.carried_out] == [PhaseOutcome.ABANDONED] and len(t.writes()) == before
    assert report.exit_code == 2


def test_a_plan_other_than_the_reviewed_one_is_refused_saying_what_moved(tmp_path):
    t = FakeTelnyx({N[0]: P1, N[1]: P1})
    reviewed = make_plan(desired({N[0]: (P1, TX)}), t.read(desired({N[0]: (P1, TX)})))
    fresh = make_plan(desired({N[0]: (P1, TX), N[1]: (P1, TX)}), t.read(desired({N[0]: (P1, TX), N[1]: (P1, TX)})))
    with pytest.raises(RefusedError) as e:
        _run(tmp_path, t, fresh, reviewed=reviewed)
    said = str(e.value).split("\n")
    assert said[0] == (f"the plan's checksum is {fresh.checksum()}, not the reviewed {reviewed.checksum()}: "
                       f"live state or the files changed since review; re-plan and review again")
    assert said[1:] == ["  " + line for line in explain(reviewed, fresh)] and N[1] in said[1] and t.writes() == []
    assert _run(tmp_path, t, reviewed, reviewed=reviewed).exit_code == 0  # the reviewed plan itself runs


def test_an_unsafe_plan_names_the_limit_it_is_over(tmp_path):
    t = FakeTelnyx({n: P1 for n in N[:4]}, {n: Rec(TX, "ASSIGNED", OLD) for n in N[:4]})
    want = desired({n: (P1, TX2) for n in N[:3]} | {N[3]: (P1, TX)})
    plan = make_plan(replace(want, policy=replace(want.policy, max_reassign=1)), t.read(want))
    with pytest.raises(RefusedError) as e:
        _run(tmp_path, t, plan)
    assert plan.unsafe and str(e.value).split("\n") == ["the plan is unsafe:"] + ["  " + u for u in plan.unsafe]


def test_the_run_waits_on_the_injected_clock_until_its_timeout_and_says_its_progress(tmp_path):
    # --until final: the numbers stay PENDING_ASSIGNMENT at the fake; the run waits on the fake's clock
    # (no real sleep) until its --timeout, saying what it waits for.
    t = FakeTelnyx({N[0]: P1, N[1]: P1})
    want = desired({N[0]: (P1, TX), N[1]: (P1, TX)})
    plan = make_plan(want, t.read(want))
    lines, progress = _said()
    with Journal(tmp_path) as j:
        report = session.run(_ports(t), j, plan, saved=False, live=t.read(want), until=Until.FINAL, timeout=7200,
                             progress=progress)
    assert t.now == 7200 and report.until is Until.FINAL
    # The journal is timed on Telnyx's clock (the fake's), never the machine's.
    assert all(0 <= w.submitted_at <= 7200 for w in Journal(tmp_path).read().writes.values())
    assert lines[0] == "round 1: 2 changes" and "waiting for Telnyx to finish 2 assignments in flight" in lines[-1]


def test_recovery_waits_for_the_bulk_it_sends_on_the_injected_clock_saying_so(tmp_path):
    # A shared campaign's next phase is a bulk task: recovery sends it, says so, and waits for Telnyx to
    # process it on the fake's clock, no longer than the run's --timeout.
    want = desired({N[0]: (P1, SH), N[1]: (P1, SH)})
    t = FakeTelnyx({N[0]: P1, N[1]: P1}, {N[0]: Rec(TX2, "ASSIGNED", OLD), N[1]: Rec(TX2, "ASSIGNED", OLD)})
    with Journal(tmp_path) as j:
        first = session.run(_ports(t), j, make_plan(want, t.read(want)), saved=False, live=t.read(want),
                            until=Until.ACCEPTED, timeout=600, progress=lambda *a, **k: None)
    assert len(first.deferred) == 1  # freed first, the bulk assignment next
    t.now += 2 * 3600
    t.task_after = 1e9  # Telnyx does not process it while recovery waits
    start = t.now
    lines, progress = _said()
    with Journal(tmp_path) as j:
        report = session.recover(_ports(t), j, timeout=90, progress=progress, desired=want)
    assert [r.outcome for _, r in report.carried_out] == [PhaseOutcome.SUBMITTED]
    assert lines == ["bulk assignment: 2 numbers, task task-1",
                     "waiting for Telnyx to process 1 bulk assignment task (a task typically takes about 1 min)"]
    assert t.now - start == 90


def test_a_plan_two_changes_away_from_the_reviewed_one_says_each_on_its_own_line(tmp_path):
    t = FakeTelnyx({n: P1 for n in N[:3]})
    reviewed = make_plan(desired({N[0]: (P1, TX)}), t.read(desired({N[0]: (P1, TX)})))
    more = desired({N[0]: (P1, TX), N[1]: (P1, TX), N[2]: (P1, TX2)})
    fresh = make_plan(more, t.read(more))
    moved = explain(reviewed, fresh)
    assert len(moved) >= 2
    with pytest.raises(RefusedError) as e:
        _run(tmp_path, t, fresh, reviewed=reviewed)
    assert str(e.value).split("\n")[1:] == ["  " + line for line in moved] and t.writes() == []


def _unsafe(t: FakeTelnyx):
    want = desired({n: (P1, TX2) for n in N[:3]} | {N[3]: (P1, TX)})
    return make_plan(replace(want, policy=replace(want.policy, max_reassign=1)), t.read(want))


def test_a_saved_unsafe_plan_is_refused_saying_how_to_make_it_again_not_to_re_run_with_an_allowance(tmp_path):
    t = FakeTelnyx({n: P1 for n in N[:4]}, {n: Rec(TX, "ASSIGNED", OLD) for n in N[:4]})
    plan = _unsafe(t)
    assert plan.unsafe and all("--allow-reassign" in u for u in plan.unsafe)
    reasons, advice = saved_unsafe(plan.unsafe)
    with pytest.raises(RefusedError) as e:
        with Journal(tmp_path) as j:
            session.run(_ports(t), j, plan, saved=True, live=None, until=Until.ACCEPTED, timeout=600,
                        progress=lambda *a, **k: None)
    assert str(e.value).split("\n") == ["the plan is unsafe:"] + ["  " + r for r in reasons] + [advice]
    assert advice.startswith("a saved plan is applied exactly as reviewed") and "--allow-reassign" in advice
    assert "re-run" not in str(e.value) and t.writes() == []
    # A fresh plan keeps its own hints and has no advice line; so does refuse_unsafe by default.
    for call in (lambda: session.refuse_unsafe(plan), lambda: session.refuse_unsafe(plan, saved=False)):
        with pytest.raises(RefusedError) as e:
            call()
        assert str(e.value).split("\n") == ["the plan is unsafe:"] + ["  " + u for u in plan.unsafe]


def test_a_fresh_plan_is_applied_from_the_live_state_it_was_made_from_a_saved_one_reads_again(tmp_path):
    t = FakeTelnyx({N[0]: P1})
    want = desired({N[0]: (P1, TX)})
    live = t.read(want)
    plan = make_plan(want, live)
    t.calls.clear()
    with Journal(tmp_path) as j:
        report = session.run(_ports(t), j, plan, saved=False, live=live, until=Until.SUBMITTED, timeout=600,
                             progress=lambda *a, **k: None)
    assert report.exit_code == 0 and t.asked("read") == 0 and t.writes() == [("assign", N[0], TX, UUID[TX])]
    t2 = FakeTelnyx({N[0]: P1})
    with Journal(tmp_path / "saved") as j:
        report = session.run(_ports(t2), j, plan, saved=True, live=None, until=Until.SUBMITTED, timeout=600,
                             progress=lambda *a, **k: None)
    assert report.exit_code == 0 and t2.asked("read") >= 1 and t2.writes() == [("assign", N[0], TX, UUID[TX])]
