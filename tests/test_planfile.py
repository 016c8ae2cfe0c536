"""planfile: the one owner of the saved plan. Whatever the plan, dump → JSON → load gives it back
exactly (a property test over random estates), and an edited file is refused."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler import planfile
from reconciler.diff import UNSEEN, Finding
from reconciler.errors import PlanFileError, TamperedPlanError
from reconciler.plan import PlanOptions, make_plan
from tests.test_plan import P1, P2, PX, SH, TX, TX2, state

PROFILES = [P1, P2, PX, None]
CAMPAIGNS = [SH, TX, TX2, "CPEND01", "CDEAD01", "CDORM01"]
STATUSES = ["ASSIGNED", "PENDING_ASSIGNMENT", "PENDING_UNASSIGNMENT", "FAILED_ASSIGNMENT"]


@st.composite
def estates(draw):
    ids = range(1, draw(st.integers(1, 12)) + 1)
    declared: dict[str, dict[str, list[int]]] = {}
    live_profiles, assigned = {}, {}
    for i in ids:
        if draw(st.booleans()):
            pid = draw(st.sampled_from([P1, P2]))
            declared.setdefault(pid, {}).setdefault(draw(st.sampled_from(CAMPAIGNS)), []).append(i)
        live_profiles[i] = draw(st.sampled_from(PROFILES))
        if draw(st.booleans()):
            assigned[i] = (draw(st.sampled_from(CAMPAIGNS)), draw(st.sampled_from(STATUSES)))
    desired, live = state({p: list(c.items()) for p, c in declared.items()}, live_profiles, assigned,
                          prune=draw(st.booleans()))
    options = PlanOptions(shared_per_number=draw(st.booleans()), allow_unassign=draw(st.none() | st.integers(0, 3)))
    return make_plan(desired, live, options)


def target(c: Finding) -> tuple:
    """A change as apply sees it: number, action, declared target, live half, reason."""
    want = None if c.desired is None else (c.desired.profile_id, c.desired.tcr_campaign_id)
    return c.number, c.action, want, c.live or UNSEEN, c.reason


@settings(max_examples=150, deadline=None)
@given(estates())
def test_dump_then_load_gives_the_plan_back(plan):
    back = planfile.from_dict(json.loads(json.dumps(planfile.dump(plan))))
    assert back.checksum() == plan.checksum()
    # A saved plan keeps every change: those apply makes (with their preconditions) and those it only
    # reports (blocked, in flight, unmanaged), so apply of the file reports them as a fresh apply does
    # (a blocked declared number exits 4). The file keeps each declared number's target, not where the
    # files declared it; a number seen nowhere comes back as the live half UNSEEN.
    assert [target(c) for c in back.changes] == [target(c) for c in plan.changes]
    assert [(c.move, c.declared) for c in back.changes] == [(c.move, c.declared) for c in plan.changes]
    assert back.has_changes == plan.has_changes and [c.number for c in back.blocked] == [c.number for c in plan.blocked]
    # The desired halves are the saved desired state's numbers, not copies.
    assert all(c.desired is back.desired.numbers[c.number] for c in back.changes if c.desired is not None)
    assert back.profiles == plan.profiles and back.campaigns == plan.campaigns
    assert (back.counts, back.warnings, back.unsafe, back.timeline, back.prune) == \
        (plan.counts, plan.warnings, plan.unsafe, plan.timeline, plan.prune)
    o, p = back.options, plan.options  # prune is saved resolved (the policy's, or the option's)
    assert (o.allow_unassign, o.allow_reassign, o.shared_per_number, o.prune) == \
        (p.allow_unassign, p.allow_reassign, p.shared_per_number, plan.prune)
    assert back.desired.numbers.keys() == plan.desired.numbers.keys()
    assert {n: (d.profile_id, d.tcr_campaign_id) for n, d in back.desired.numbers.items()} == \
        {n: (d.profile_id, d.tcr_campaign_id) for n, d in plan.desired.numbers.items()}
    # What CI reads without rebuilding agrees with the plan.
    assert planfile.dump(back)["checksum"] == plan.checksum()


def test_save_load_and_the_summary_ci_reads(tmp_path):
    desired, live = state({P1: [(SH, [1, 2])]}, {1: P1, 2: None}, {1: (TX, "ASSIGNED")})
    plan = make_plan(desired, live)
    path = str(tmp_path / "plan.json")
    planfile.save(plan, path)
    assert planfile.load(path).checksum() == plan.checksum()
    summary = planfile.read_summary(path)
    assert (summary.checksum, summary.safe, summary.has_changes) == (plan.checksum(), plan.safe, plan.has_changes)


@pytest.mark.parametrize("edit,error", [
    (lambda d: d["preconditions"][0]["expect"].update(status="FAILED_ASSIGNMENT"), TamperedPlanError),
    # move and declared are derived from the change's two halves: a file that says otherwise was edited
    (lambda d: d["preconditions"][0].update(move=not d["preconditions"][0]["move"]), TamperedPlanError),
    (lambda d: d["preconditions"][0].update(declared=False), TamperedPlanError),
    (lambda d: d["preconditions"][0].update(profile_id=P2), TamperedPlanError),
    (lambda d: d["strategies"][P1].update(strategy="bulk-ish"), PlanFileError),
    (lambda d: d.pop("desired"), PlanFileError),
    (lambda d: d.update(schema_version=99), PlanFileError),
])
def test_an_edited_or_broken_file_is_refused(tmp_path, edit, error):
    desired, live = state({P1: [(SH, [1, 2])]}, {1: P1, 2: None}, {1: (TX, "ASSIGNED")})
    data = planfile.dump(make_plan(desired, live))
    edit(data)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(error):
        planfile.load(str(path))


@settings(max_examples=150, deadline=None)
@given(estates())
def test_the_counted_shortcuts_say_what_a_pass_over_every_finding_says(plan):
    """make_plan gives the reports the changes per action (so a million findings are not walked
    for an action that has none): each report must say exactly what it says without them."""
    from reconciler.model import LiveState
    from reconciler.plan.report import safety, timeline_for, warnings_for

    counts = plan.counts  # per action value, as make_plan counted them
    changes = list(plan.changes)
    assert timeline_for(changes, plan.profiles, counts) == timeline_for(changes, plan.profiles)
    assert safety(plan.desired.policy, changes, plan.campaigns, plan.options, counts) == \
        safety(plan.desired.policy, changes, plan.campaigns, plan.options)
    live = LiveState()  # warnings_for reads nothing of it that the shortcuts change
    assert warnings_for(plan.desired, live, changes, plan.campaigns, plan.profiles, counts) == \
        warnings_for(plan.desired, live, changes, plan.campaigns, plan.profiles)


@pytest.mark.parametrize("edit", [
    lambda d: d.update(not_written=[]),  # the blocked number dropped: the merge's apply would be green
    lambda d: d["not_written"][0].update(action="assign"),  # a blocked number turned into a write
    lambda d: d["preconditions"].append(d["not_written"].pop(0)),  # moved among the writes
], ids=["dropped", "made-a-write", "moved-to-writes"])
def test_the_blocked_numbers_of_a_saved_plan_cannot_be_edited_away(tmp_path, edit):
    desired, live = state({P1: [(TX, [1]), ("CPEND01", [2])]}, {1: P1, 2: P1}, {})
    plan = make_plan(desired, live)
    assert [c.number for c in plan.blocked] == ["+13125550002"] and plan.has_changes
    path = tmp_path / "plan.json"
    planfile.save(plan, str(path))
    assert [c.number for c in planfile.load(str(path)).blocked] == ["+13125550002"]
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(TamperedPlanError):
        planfile.load(str(path))
