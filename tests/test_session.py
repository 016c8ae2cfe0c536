"""apply/session.py: one apply for any front end. Refusals live inside apply, not in the CLI; recovery
runs on the injected clock and notes finished work once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.apply import Until, session
from reconciler.errors import RefusedError
from reconciler.journal import Journal
from reconciler.plan import make_plan
from tests.apply_fake import P1, TX, TX2, UUID, FakeTelnyx, Rec, desired, num

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
    with pytest.raises(RefusedError, match=f"checksum is {plan.checksum()}, not the reviewed abc"):
        _run(tmp_path, t, plan, expect_checksum="abc")
    assert t.writes() == []


def test_recovery_with_nothing_deferred_asks_about_open_work_and_resumes_nothing(tmp_path):
    t = FakeTelnyx({N[0]: P1}, task_after=600)
    want = desired({N[0]: (P1, TX)})
    _run(tmp_path, t, make_plan(want, t.read(want)))  # leaves nothing deferred
    with Journal(tmp_path) as j:
        assert session.recover(_ports(t), j, timeout=60, progress=lambda *a, **k: None, desired=want) is None
