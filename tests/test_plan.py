"""Table-driven tests of the pure core: diff, plan strategy, caps, safety, drift, saved plans."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from reconciler.diff import Action, diff, reported_under
from reconciler.drift import drift_report
from reconciler.model import (
    CampaignKind,
    DesiredNumber,
    DesiredProfile,
    DesiredState,
    LiveAssignment,
    LiveCampaign,
    LiveNumber,
    LiveState,
    Policy,
)
from reconciler.plan import BULK, NONE, PER_NUMBER, PlanOptions, Strategy, make_plan
from reconciler.planfile import dump, from_dict, plan_dict
from reconciler.render import plan_markdown, plan_text

P1 = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"
P2 = "7b1e3c52-9a4f-4d8e-b6a2-1f0c9d8e7a65"
PX = "0c9a7f3e-2b1d-4e5f-8a6b-3c2d1e0f9a8b"  # undeclared profile
SH = "CSHARE1"  # shared, accepted
TX = "CTELNX1"  # Telnyx-registered
TX2 = "CTELNX2"
CAMPAIGNS = {
    SH: LiveCampaign(SH, "shared", "ACCEPTED", "MNO_PROVISIONED"),
    TX: LiveCampaign(TX, "telnyx", None, "MNO_PROVISIONED", telnyx_campaign_id="u-1"),
    TX2: LiveCampaign(TX2, "telnyx", None, "MNO_PROVISIONED", telnyx_campaign_id="u-2"),
    "CPEND01": LiveCampaign("CPEND01", "shared", "PENDING", "TCR_ACCEPTED"),
    "CDEAD01": LiveCampaign("CDEAD01", "telnyx", None, "TCR_EXPIRED", telnyx_campaign_id="u-3"),
    "CDORM01": LiveCampaign("CDORM01", "shared", "ACCEPTED", "TCR_SUSPENDED"),
}


def num(i: int) -> str:
    return f"+1312555{i:04d}"


def state(declared: dict[str, list[tuple[str, list[int]]]], live_numbers: dict[int, str | None],
          assigned: dict[int, tuple[str, str]] | None = None, *, prune: bool = False,
          types: dict[int, str] | None = None, campaigns: dict[str, LiveCampaign] | None = None,
          policy: Policy | None = None) -> tuple[DesiredState, LiveState]:
    profiles, numbers = {}, {}
    for pid, camps in declared.items():
        profiles[pid] = DesiredProfile(pid, pid[:4], tuple(c for c, _ in camps))
        for c, ns in camps:
            for i in ns:
                numbers[num(i)] = DesiredNumber(num(i), pid, c, "f.yaml", i, 1)
    live = LiveState(
        numbers={num(i): LiveNumber(num(i), str(1000 + i), p, (types or {}).get(i, "longcode"))
                 for i, p in live_numbers.items()},
        assignments={num(i): LiveAssignment(num(i), c, s, "boom" if s.startswith("FAILED") else None)
                     for i, (c, s) in (assigned or {}).items()},
        campaigns=dict(CAMPAIGNS if campaigns is None else campaigns),
        profiles={P1: "p1", P2: "p2", PX: "px"},
    )
    return DesiredState(profiles, numbers, policy or Policy(prune=prune)), live


def actions(plan) -> dict[int, str]:
    return {int(f.number[-4:]): f.action.value + ("+move" if f.move else "") for f in plan.changes}


CASES = [
    # name, declared, live profile per number, assignments, expected actions, expected strategy of P1
    ("new numbers on their profile, shared campaign -> bulk",
     {P1: [(SH, [1, 2])]}, {1: P1, 2: P1}, {}, {1: "assign", 2: "assign"}, BULK),
    ("already converged -> no changes",
     {P1: [(SH, [1, 2])]}, {1: P1, 2: P1}, {1: (SH, "ASSIGNED"), 2: (SH, "ASSIGNED")}, {}, NONE),
    ("number on no profile is moved first",
     {P1: [(SH, [1])]}, {1: None}, {}, {1: "assign+move"}, BULK),
    ("number on another campaign is reassigned",
     {P1: [(SH, [1])]}, {1: P1}, {1: (TX, "ASSIGNED")}, {1: "reassign"}, BULK),
    ("failed assignment on the declared campaign is retried",
     {P1: [(SH, [1])]}, {1: P1}, {1: (SH, "FAILED_ASSIGNMENT")}, {1: "retry"}, BULK),
    ("pending is in flight, never re-issued",
     {P1: [(SH, [1])]}, {1: P1}, {1: (SH, "PENDING_ASSIGNMENT")}, {1: "in_flight"}, NONE),
    ("right campaign, wrong profile -> move only",
     {P1: [(SH, [1])]}, {1: PX}, {1: (SH, "ASSIGNED")}, {1: "move+move"}, NONE),
    ("undeclared number on the profile forbids bulk; shared campaign is blocked",
     {P1: [(SH, [1])]}, {1: P1, 9: P1}, {}, {1: "blocked", 9: "unmanaged"}, PER_NUMBER),
    ("two Telnyx campaigns on one profile -> per number",
     {P1: [(TX, [1]), (TX2, [2])]}, {1: P1, 2: P1}, {}, {1: "assign", 2: "assign"}, PER_NUMBER),
    ("Telnyx campaign with few numbers -> per number even when bulk is allowed",
     {P1: [(TX, [1, 2])]}, {1: P1, 2: P1}, {}, {1: "assign", 2: "assign"}, PER_NUMBER),
    ("Telnyx campaign with many numbers -> bulk",
     {P1: [(TX, [1, 2, 3])]}, {1: P1, 2: P1, 3: P1}, {}, {1: "assign", 2: "assign", 3: "assign"}, BULK),
    ("pending share is blocked",
     {P1: [("CPEND01", [1])]}, {1: P1}, {}, {1: "blocked"}, NONE),
    ("expired campaign is blocked",
     {P1: [("CDEAD01", [1])]}, {1: P1}, {}, {1: "blocked"}, NONE),
    ("dormant campaign is assignable (apply retries)",
     {P1: [("CDORM01", [1])]}, {1: P1}, {}, {1: "assign"}, BULK),
    ("unknown campaign is blocked",
     {P1: [("CNOPE01", [1])]}, {1: P1}, {}, {1: "blocked"}, NONE),
    ("number not owned is blocked",
     {P1: [(SH, [1])]}, {}, {}, {1: "blocked"}, NONE),
    ("toll-free number is blocked",
     {P1: [(TX, [1])]}, {1: P1}, {}, {1: "blocked"}, NONE),
    ("unmanaged number on a declared campaign elsewhere is listed",
     {P1: [(SH, [1])]}, {1: P1, 8: PX}, {1: (SH, "ASSIGNED"), 8: (SH, "ASSIGNED")}, {8: "unmanaged"}, NONE),
    ("a number moving away lets the rest of the profile go bulk",
     {P1: [(SH, [1])], P2: [(TX, [2])]}, {1: P1, 2: P1}, {}, {1: "assign", 2: "assign+move"}, BULK),
]


@pytest.mark.parametrize("name,declared,live_numbers,assigned,expected,strategy", CASES, ids=[c[0] for c in CASES])
def test_plan_table(name, declared, live_numbers, assigned, expected, strategy):
    types = {1: "tollfree"} if "toll-free" in name else None
    desired, live = state(declared, live_numbers, assigned, types=types)
    plan = make_plan(desired, live)
    assert actions(plan) == expected
    assert plan.profiles[P1].strategy == strategy


def test_blocked_reasons_name_the_problem():
    desired, live = state({P1: [("CPEND01", [1]), (SH, [2])]}, {1: P1, 2: P1, 9: P1})
    reasons = {int(f.number[-4:]): f.reason for f in make_plan(desired, live).changes}
    assert "PENDING, not ACCEPTED" in reasons[1]
    assert "give CSHARE1 its own messaging profile" in reasons[2]


def test_shared_per_number_opt_in():
    desired, live = state({P1: [(SH, [1])]}, {1: P1, 9: P1})
    plan = make_plan(desired, live, PlanOptions(shared_per_number=True))
    assert actions(plan) == {1: "assign", 9: "unmanaged"}
    assert plan.profiles[P1].strategy == PER_NUMBER


def test_prune_unassigns_only_unmanaged_numbers_of_declared_campaigns():
    desired, live = state({P1: [(TX, [1])]}, {1: P1, 8: PX, 9: P1},
                          {1: (TX, "ASSIGNED"), 8: (TX, "ASSIGNED"), 9: ("COTHER1", "ASSIGNED")}, prune=True)
    assert actions(make_plan(desired, live)) == {8: "unassign", 9: "unmanaged"}
    assert actions(make_plan(desired, live, PlanOptions(prune=False))) == {8: "unmanaged", 9: "unmanaged"}


def test_removing_a_number_from_a_shared_campaign_is_blocked_unless_the_run_opts_in():
    # A prune needs a per-number DELETE, which Telnyx does not document for shared campaigns
    # (sandbox mode shared_delete): blocked before anything is written. A move to another
    # campaign is planned (leaving the profile or a bulk task may take the number off).
    desired, live = state({P1: [(SH, [1])], P2: [(TX, [2])]}, {1: P1, 2: P2, 8: PX, 7: P1},
                          {1: (SH, "ASSIGNED"), 2: (SH, "ASSIGNED"), 8: (SH, "ASSIGNED"), 7: (SH, "FAILED_ASSIGNMENT")},
                          prune=True)
    plan = make_plan(desired, live)
    assert actions(plan) == {2: "reassign", 8: "blocked", 7: "unassign"}  # a FAILED record is not deleted one by one
    (blocked,) = [f for f in plan.changes if f.action is Action.BLOCKED]
    assert "--shared-per-number" in (blocked.reason or "") and SH in (blocked.reason or "")
    assert not plan.blocked  # an undeclared number's removal does not make the plan "blocked"
    opted = make_plan(desired, live, PlanOptions(shared_per_number=True))
    assert actions(opted) == {2: "reassign", 8: "unassign", 7: "unassign"}


@pytest.mark.parametrize("count,pooling,blocked", [(49, False, False), (50, False, True), (50, True, False)])
def test_campaign_cap(count, pooling, blocked):
    campaigns = dict(CAMPAIGNS)
    campaigns[SH] = LiveCampaign(SH, "shared", "ACCEPTED", "MNO_PROVISIONED", number_pooling=pooling)
    desired, live = state({P1: [(SH, list(range(1, count + 1)))]}, {i: P1 for i in range(1, count + 1)},
                          campaigns=campaigns)
    plan = make_plan(desired, live)
    assert all(f.action is (Action.BLOCKED if blocked else Action.ASSIGN) for f in plan.changes)
    if blocked:
        assert "49 per campaign without number pooling" in plan.changes[0].reason


@pytest.mark.parametrize("scoped", [False, True])
def test_a_bulk_counts_every_number_it_would_sweep_in_against_the_cap(scoped):
    # 48 numbers on P1 for SH: 47 are blocked for now (say an earlier plan was over the cap) and
    # unassigned; one is the plan's. A bulk takes the whole profile: 48 + 2 already on SH = 50.
    ids = list(range(1, 49))
    desired, live = state({P1: [(SH, ids)]}, {i: P1 for i in ids} | {60: PX, 61: PX},
                          {60: (SH, "ASSIGNED"), 61: (SH, "ASSIGNED")})
    plan = make_plan(desired, live, only=frozenset({num(1)}) if scoped else None)
    assert plan.profiles[P1].strategy != BULK
    writes = [f for f in plan.changes if f.writes]
    assert not writes, writes
    assert "would hold 50 numbers" in plan.changes[0].reason
    # One fewer and the bulk is fine.
    desired, live = state({P1: [(SH, ids[:-1])]}, {i: P1 for i in ids[:-1]} | {60: PX, 61: PX},
                          {60: (SH, "ASSIGNED"), 61: (SH, "ASSIGNED")})
    assert make_plan(desired, live, only=frozenset({num(1)}) if scoped else None).profiles[P1].strategy == BULK


@pytest.mark.parametrize("moving,unsafe", [(6, False), (7, True)])
def test_reassign_percent_limit(moving, unsafe):
    # TX holds 20 numbers; `moving` of them are redeclared for SH. 30 % of 20 is 6.
    ids = list(range(1, 21))
    desired, live = state({P1: [(SH, ids[:moving])], P2: [(TX, ids[moving:])]}, {i: P2 for i in ids},
                          {i: (TX, "ASSIGNED") for i in ids}, policy=Policy(max_reassign_percent=30))
    plan = make_plan(desired, live)
    assert bool(plan.unsafe) is unsafe, plan.unsafe
    if unsafe:
        assert f"{moving} of 20 numbers of campaign CTELNX1 would reassign" in plan.unsafe[0]
        assert "--allow-reassign 7" in plan.unsafe[0]
        assert make_plan(desired, live, PlanOptions(allow_reassign=moving)).safe
        assert not make_plan(desired, live, PlanOptions(allow_reassign=moving + 1)).safe


def test_absolute_unassign_limit_and_empty_campaign_warning():
    ids = list(range(1, 4))
    desired, live = state({P1: [(TX, [50])]}, {50: P1, **{i: PX for i in ids}},
                          {i: (TX, "ASSIGNED") for i in ids}, policy=Policy(prune=True, max_unassign=2))
    plan = make_plan(desired, live)
    assert any("over max_unassign 2 by 1" in u for u in plan.unsafe)
    assert make_plan(desired, live, PlanOptions(allow_unassign=3)).safe


def test_empty_campaign_warning():
    desired, live = state({P1: [(SH, [1])]}, {1: P1}, {1: (TX, "ASSIGNED")})
    desired2 = DesiredState({**desired.profiles, P2: DesiredProfile(P2, "p2", (TX,))}, desired.numbers, desired.policy)
    plan = make_plan(desired2, live)
    assert any(f"{TX} will be left without numbers" in w for w in plan.warnings)


def test_plan_is_deterministic_and_checksum_tracks_changes():
    desired, live = state({P1: [(SH, [3, 1, 2])]}, {1: P1, 2: P1, 3: None})
    a, b = make_plan(desired, live), make_plan(desired, live)
    assert [f.number for f in a.changes] == sorted(f.number for f in a.changes)
    assert a.checksum() == b.checksum()
    assert plan_text(a) == plan_text(b)
    live.assignments[num(1)] = LiveAssignment(num(1), SH, "ASSIGNED")
    assert make_plan(desired, live).checksum() != a.checksum()


def test_a_saved_plans_checksum_is_the_same_in_every_release():
    # A plan saved by one release is applied by the next: a checksum that drifted would refuse every saved
    # plan as tampered. Pinned for a plan with and without the per-number opt-in, which the checksum covers.
    desired, live = state({P1: [(SH, [1])]}, {1: P1, 9: P1})
    assert make_plan(desired, live).checksum() == "2dc359021eeb00eed48c04562bd044675f71d46a5cfc19a072a5904e096e34b4"
    opted = make_plan(desired, live, PlanOptions(shared_per_number=True))
    assert opted.checksum() == "211f5bfa3ac72c9fcca850488b15880ec8860621b59f5b092f76fef04f2ac51b"


def test_a_next_phases_bulk_is_under_the_checksum():
    # What a next phase bulk-assigns is what apply may do, so a plan that names another one is another plan.
    desired, live = state({P1: [(SH, [1])]}, {1: P1}, {1: (TX, "ASSIGNED")})
    plan = make_plan(desired, live)
    phased = {pid: replace(p, phase_campaign=SH) for pid, p in plan.profiles.items()}
    other = {pid: replace(p, phase_campaign=TX2) for pid, p in plan.profiles.items()}
    sums = {replace(plan, profiles=ps).checksum() for ps in (plan.profiles, phased, other)}
    assert len(sums) == 3


def test_saved_plan_round_trip_keeps_preconditions():
    desired, live = state({P1: [(SH, [1, 2])]}, {1: P1, 2: None}, {1: (TX, "ASSIGNED")})
    plan = make_plan(desired, live)
    saved = json.loads(json.dumps(dump(plan)))
    back = from_dict(saved)
    assert back.checksum() == plan.checksum()
    assert [(c.number, c.action, c.live, c.move, reported_under(c)) for c in back.changes] == \
        [(c.number, c.action, c.live, c.move, reported_under(c)) for c in plan.changes]
    # The file's strings come back as the types that say what they are.
    assert back.profiles[P1].strategy is Strategy.BULK and back.campaigns[SH].kind is CampaignKind.SHARED
    assert back.profiles == plan.profiles and back.campaigns == plan.campaigns
    saved["preconditions"][0]["expect"]["tcr_campaign_id"] = "CHACKED"
    with pytest.raises(ValueError, match="checksum"):
        from_dict(saved)


def test_json_and_text_carry_the_same_counts():
    desired, live = state({P1: [(SH, [1, 2])]}, {1: P1, 2: None, 9: P1}, {})
    plan = make_plan(desired, live, PlanOptions(shared_per_number=True))
    d = plan_dict(plan)
    assert d["schema_version"] == 1
    assert d["counts"]["assign"] == 2 and d["counts"]["unmanaged"] == 1
    text = plan_text(plan)
    assert text.startswith("Plan: 2 to assign, 1 to change profile · 1 unmanaged")
    assert "## 10DLC plan" in plan_markdown(plan)


def test_drift_classification():
    desired, live = state(
        {P1: [(SH, [1, 2, 3, 4, 5]), ("CPEND01", [6])]},
        {1: P1, 2: P1, 3: PX, 4: P1, 5: P1, 9: P1},
        {2: (TX, "ASSIGNED"), 3: (SH, "ASSIGNED"), 4: (SH, "PENDING_ASSIGNMENT"), 5: (SH, "FAILED_ASSIGNMENT")},
    )
    report = drift_report(make_plan(desired, live, PlanOptions(shared_per_number=True)))
    got = {k: sorted(int(f.number[-4:]) for f in v) for k, v in report.items.items() if v}
    assert got == {"unapplied": [1], "out_of_band": [2, 3], "in_flight": [4], "failed": [5], "blocked": [6],
                   "unmanaged": [9]}
    assert report.drifted


@pytest.mark.parametrize("declared,live_now,ours,kind", [
    (TX, (SH, "ASSIGNED"), SH, "unapplied"),  # we set SH, Telnyx still has it: the files moved on
    (SH, (TX, "ASSIGNED"), SH, "out_of_band"),  # we set SH, Telnyx has TX: changed outside
    (SH, None, SH, "out_of_band"),  # we set SH, Telnyx has nothing: removed outside
    (TX, (SH, "ASSIGNED"), None, "out_of_band"),  # no journal: a reassignment is taken for out of band
    (SH, None, None, "unapplied"),  # no journal, a new number: not applied yet
])
def test_drift_tells_unapplied_from_out_of_band_by_what_the_journal_says_we_set(declared, live_now, ours, kind):
    desired, live = state({P1: [(declared, [1])]}, {1: P1}, {1: live_now} if live_now else {})
    report = drift_report(make_plan(desired, live), {num(1): ours} if ours else {})
    assert [k for k, v in report.items.items() if v] == [kind]


def test_drift_in_flight_only_is_not_drift():
    desired, live = state({P1: [(SH, [1])]}, {1: P1}, {1: (SH, "PENDING_ASSIGNMENT")})
    report = drift_report(make_plan(desired, live))
    assert not report.drifted and report.counts["in_flight"] == 1


def test_diff_finds_every_declared_number_once():
    desired, live = state({P1: [(SH, list(range(1, 30)))]}, {i: P1 for i in range(1, 30)})
    assert sorted(f.number for f in diff(desired, live)) == sorted(desired.numbers)


def test_subset_run_never_treats_numbers_declared_elsewhere_as_unmanaged():
    # +1312555000{1,2} are declared for P1; a run limited to P2 must not prune or sweep them.
    desired, live = state({P1: [(SH, [1, 2])], P2: [(TX, [3, 4, 5])]}, {1: P2, 2: P1, 3: P2, 4: P2, 5: P2},
                          {2: (TX, "ASSIGNED")}, prune=True)
    sub = desired.subset(profiles=frozenset({P2}))
    assert set(sub.numbers) == {num(3), num(4), num(5)}
    plan = make_plan(sub, live)
    assert actions(plan) == {3: "assign", 4: "assign", 5: "assign"}
    # +13125550001 sits on P2 but belongs to P1: bulk on P2 would sweep it into TX.
    assert plan.profiles[P2].strategy == PER_NUMBER
    assert make_plan(desired, live).profiles[P2].strategy == BULK


SH2 = "CSHARE2"


def _with_second_shared():
    campaigns = dict(CAMPAIGNS)
    campaigns[SH2] = LiveCampaign(SH2, "shared", "ACCEPTED", "MNO_PROVISIONED")
    return campaigns


def test_a_number_blocked_elsewhere_stays_put_and_takes_bulk_from_its_profile():
    # 4 is declared for P2/CSHARE2 but P2 holds an undeclared number, so 4 cannot move there:
    # it stays on P1, and a bulk on P1 would sweep it into CSHARE1.
    desired, live = state({P1: [(SH, [1, 2, 3])], P2: [(SH2, [4])]}, {1: P1, 2: P1, 3: P1, 4: P1, 9: P2},
                          campaigns=_with_second_shared())
    plan = make_plan(desired, live)
    assert actions(plan) == {1: "blocked", 2: "blocked", 3: "blocked", 4: "blocked", 9: "unmanaged"}
    assert plan.profiles[P1].strategy == PER_NUMBER and "give CSHARE1 its own messaging profile" in plan.profiles[P1].note
    assert not plan.has_changes


def test_work_in_flight_does_not_count_as_moving_away():
    desired, live = state({P1: [(SH, [1, 2, 3])], P2: [(TX, [4])]}, {1: P1, 2: P1, 3: P1, 4: P1},
                          {4: (TX2, "PENDING_UNASSIGNMENT")})
    plan = make_plan(desired, live)
    assert actions(plan)[4] == "in_flight+move"
    assert plan.profiles[P1].strategy != BULK  # 4 still sits on P1: a bulk would sweep it
    assert {actions(plan)[i] for i in (1, 2, 3)} == {"blocked"}


def test_a_move_that_could_drop_a_shared_campaign_is_blocked_where_it_cannot_be_reassigned():
    # 1 holds its declared shared campaign but sits on PX; P1 holds an undeclared number, so if the
    # move dropped the campaign (Telnyx does not say), nothing could assign it back.
    desired, live = state({P1: [(SH, [1])]}, {1: PX, 9: P1}, {1: (SH, "ASSIGNED")})
    plan = make_plan(desired, live)
    assert actions(plan) == {1: "blocked", 9: "unmanaged"}
    assert not plan.has_changes
    # Where a bulk is possible the move goes ahead (the next round re-assigns if needed).
    desired, live = state({P1: [(SH, [1])]}, {1: PX}, {1: (SH, "ASSIGNED")})
    assert actions(make_plan(desired, live)) == {1: "move+move"}


def test_a_declared_number_of_unknown_type_or_status_is_blocked_with_the_reason():
    from reconciler.diff import Action, diff
    from reconciler.model import (DesiredNumber, DesiredProfile, DesiredState, LiveAssignment, LiveCampaign,
                                  LiveNumber, LiveState)

    p = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"
    d = DesiredState({p: DesiredProfile(p, None, ("CAAAAA1",))},
                     {n: DesiredNumber(n, p, "CAAAAA1", "f.yaml", 1, 1) for n in ("+13125550101", "+13125550102")})
    live = LiveState(
        numbers={"+13125550101": LiveNumber("+13125550101", "1", p, "unknown"),
                 "+13125550102": LiveNumber("+13125550102", "2", p, "longcode"),
                 "+13125550103": LiveNumber("+13125550103", "3", p, "longcode")},
        assignments={"+13125550102": LiveAssignment("+13125550102", "CAAAAA1", "PENDING_REVIEW"),
                     "+13125550103": LiveAssignment("+13125550103", "CAAAAA1", "PENDING_REVIEW")},
        campaigns={"CAAAAA1": LiveCampaign("CAAAAA1", "shared", "ACCEPTED", "MNO_PROVISIONED")},
        profiles={p: None})
    by = {f.number: f for f in diff(d, live, prune=True)}
    assert by["+13125550101"].action is Action.BLOCKED and "type" in by["+13125550101"].reason
    assert by["+13125550102"].action is Action.BLOCKED and "PENDING_REVIEW" in by["+13125550102"].reason
    assert by["+13125550103"].action is Action.UNMANAGED  # never pruned while its status is not understood


def test_a_sharing_answer_that_cannot_say_which_share_is_telnyxs_blocks_the_campaign():
    campaigns = dict(CAMPAIGNS)
    campaigns[SH] = LiveCampaign(SH, "shared", "CONFLICTING", "MNO_PROVISIONED")
    desired, live = state({P1: [(SH, [1])]}, {1: P1}, campaigns=campaigns)
    (change,) = make_plan(desired, live).changes
    assert change.action is Action.BLOCKED and "several shares" in (change.reason or "")


@pytest.mark.parametrize("count,unsafe", [(2, False), (3, True)])
def test_absolute_unassign_limit_boundary(count, unsafe):
    # max_unassign 2: exactly 2 removals are allowed, a third is over (the percent limit does not
    # apply under 10 numbers, so only the absolute one decides).
    ids = list(range(1, count + 1))
    desired, live = state({P1: [(TX, [50])]}, {50: P1, **{i: PX for i in ids}},
                          {i: (TX, "ASSIGNED") for i in ids}, policy=Policy(prune=True, max_unassign=2))
    plan = make_plan(desired, live)
    assert bool(plan.unsafe) is unsafe, plan.unsafe


@pytest.mark.parametrize("count,unsafe", [(100, False), (101, True)])
def test_absolute_reassign_limit_boundary(count, unsafe):
    ids = list(range(1, count + 1))
    pooled = {**CAMPAIGNS, TX: LiveCampaign(TX, "telnyx", None, "MNO_PROVISIONED", number_pooling=True,
                                            telnyx_campaign_id="u-1")}  # over 49: pooling
    desired, live = state({P1: [(TX, ids)]}, {i: P1 for i in ids}, {i: (TX2, "ASSIGNED") for i in ids},
                          policy=Policy(max_reassign_percent=100), campaigns=pooled)
    plan = make_plan(desired, live)
    assert any("over max_reassign 100" in u for u in plan.unsafe) is unsafe, plan.unsafe


def test_a_saved_change_is_stale_when_only_its_precondition_changed():
    """A number moved to a third campaign after review: the fresh plan still says `reassign`
    (same action), so only the per-number precondition sees that it would be taken from a
    campaign the reviewed plan never touched."""
    from reconciler.apply import check_against_fresh, check_preconditions

    desired, live = state({P1: [(TX, [1])]}, {1: P1}, {1: (TX2, "ASSIGNED")})
    saved = make_plan(desired, live)
    (change,) = saved.writes
    assert change.action is Action.REASSIGN and change.live is not None and change.live.tcr_campaign_id == TX2
    live.assignments[num(1)] = LiveAssignment(num(1), SH, "ASSIGNED")  # moved elsewhere after review
    ok, stale = check_against_fresh([change], saved, live)
    assert ok == [change]  # the action alone cannot tell
    ok, stale = check_preconditions([change], live)
    assert stale == [change] and not ok


def test_a_profile_is_labelled_by_its_name_and_the_start_of_its_id_else_by_its_whole_id():
    from reconciler.plan import profile_label

    pid = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"
    assert profile_label(pid, {pid: "acme-marketing"}) == "acme-marketing (4001767e…)"
    assert profile_label(pid, {}) == pid and profile_label(pid, {pid: ""}) == pid


# Every write action, from the live state it was planned against (profile, campaign, status of
# number 1; number 8 is unmanaged), and each precondition changed alone after review.
PRECONDITION_CASES = [
    # action, declared, live profiles, assignments, prune
    (Action.ASSIGN, {P1: [(SH, [1])]}, {1: P1}, {}, False),
    (Action.REASSIGN, {P1: [(SH, [1])]}, {1: P1}, {1: (TX2, "ASSIGNED")}, False),
    (Action.RETRY, {P1: [(SH, [1])]}, {1: P1}, {1: (SH, "FAILED_ASSIGNMENT")}, False),
    (Action.MOVE, {P1: [(SH, [1])]}, {1: PX}, {1: (SH, "ASSIGNED")}, False),
    (Action.UNASSIGN, {P1: [(TX, [2]), (TX2, [3])]}, {1: P1, 2: P1, 3: P1},
     {1: (TX, "ASSIGNED"), 2: (TX, "ASSIGNED"), 3: (TX2, "ASSIGNED")}, True),
]


def _changed_alone(profile, campaign, status):
    """Each field of a number's live state changed, the others kept."""
    yield "profile", (P2 if profile != P2 else P1, campaign, status)
    if campaign is None:
        yield "campaign", (profile, TX2, "ASSIGNED")  # it got a campaign
    else:
        yield "campaign", (profile, TX2 if campaign != TX2 else SH, status)
        yield "status", (profile, campaign, "PENDING_ASSIGNMENT" if status != "PENDING_ASSIGNMENT" else "ASSIGNED")


@pytest.mark.parametrize("action, declared, profiles, assigned, prune", PRECONDITION_CASES,
                         ids=[c[0].value for c in PRECONDITION_CASES])
def test_every_precondition_of_every_saved_change_changed_alone_makes_it_stale(action, declared, profiles, assigned,
                                                                               prune):
    """A saved change is applied only while the number is exactly where the reviewed plan saw it.
    Issue 26 #2: with the precondition skipped for `unassign`, a number moved after review to
    another declared campaign loses that campaign, a removal nobody approved; the fresh re-plan
    still says `unassign`, so only the precondition can tell."""
    from reconciler.apply import check_against_fresh, check_preconditions

    desired, live = state(declared, profiles, assigned, prune=prune)
    saved = make_plan(desired, live)
    change = next(c for c in saved.writes if c.number == num(1))
    assert change.action is action
    then = change.live
    assert check_preconditions([change], live) == ([change], [])  # unchanged: it holds
    for field_name, (p, c, s) in _changed_alone(then.profile_id, then.tcr_campaign_id, then.status):
        now = LiveState(numbers=dict(live.numbers), assignments=dict(live.assignments), campaigns=live.campaigns,
                        profiles=live.profiles)
        now.numbers[num(1)] = LiveNumber(num(1), "1001", p, "longcode")
        now.assignments[num(1)] = LiveAssignment(num(1), c, s, None)
        ok, stale = check_preconditions([change], now)
        assert (ok, stale) == ([], [change]), f"{action.value}: {field_name} changed to {(p, c, s)}"
    if action is Action.UNASSIGN:  # moved to another declared campaign: the fresh plan agrees, only this catches it
        now = LiveState(numbers=dict(live.numbers), assignments=dict(live.assignments), campaigns=live.campaigns,
                        profiles=live.profiles)
        now.assignments[num(1)] = LiveAssignment(num(1), TX2, "ASSIGNED", None)
        assert check_against_fresh([change], saved, now) == ([change], [])
        assert check_preconditions([change], now) == ([], [change])


@pytest.mark.parametrize("status_campaign, reason, action", [
    (SH, "Verizon rejected the assignment: number ported out (MNO error 2201)", "blocked"),
    (SH, "number DISCONNECTED by the carrier", "blocked"),
    (SH, "number is not owned by this account", "blocked"),
    (TX, "Number was ported  out to another carrier", "blocked"),  # failed on another campaign: same
    (SH, "T-Mobile rejected the assignment: number already registered to another brand", "retry"),
    (SH, "Assignment timed out at the Campaign Registry (TCR); retry the assignment", "retry"),
    (SH, None, "retry"),
    (TX, "timed out", "assign"),
])
def test_a_failure_that_says_the_number_is_gone_is_blocked_not_retried(status_campaign, reason, action):
    """Issue 23 item 7: retry only what a retry can fix. A number ported out or disconnected fails
    the same way every time; the plan says why instead of re-sending it."""
    desired, live = state({P1: [(SH, [1])]}, {1: P1}, {1: (status_campaign, "FAILED_ASSIGNMENT")})
    live.assignments[num(1)] = LiveAssignment(num(1), status_campaign, "FAILED_ASSIGNMENT", reason)
    (f,) = make_plan(desired, live).changes
    assert f.action.value == action
    if action == "blocked":
        assert f.reason.startswith(f"Telnyx says the number cannot be assigned ({reason}); a retry cannot fix that")
    else:
        assert f.reason == reason


def test_per_number_writes_to_shared_campaigns_are_part_of_the_reviewed_plan():
    """A plan reviewed without `--shared-per-number` (numbers freed first) must not pass for one
    applied with it (moved in place): the checksum covers the option when it is on, and a plan
    without it keeps the checksum it always had."""
    desired, live = state({P1: [(SH, [1, 2])]}, {1: P1, 2: P1}, {1: (TX, "ASSIGNED")})
    without = make_plan(desired, live, PlanOptions())
    again = make_plan(desired, live, PlanOptions(shared_per_number=False))
    with_it = make_plan(desired, live, PlanOptions(shared_per_number=True))
    assert without.checksum() == again.checksum() != with_it.checksum()
    back = from_dict(json.loads(json.dumps(dump(with_it))))
    assert back.checksum() == with_it.checksum()


def test_an_unsafe_plan_says_so_on_its_second_line_and_lists_every_reason_at_the_end():
    ids = list(range(1, 5))
    desired, live = state({P1: [(SH, ids)]}, {i: P1 for i in ids}, {i: (TX, "ASSIGNED") for i in ids},
                          policy=Policy(max_reassign=1))
    plan = make_plan(desired, live)
    assert plan.unsafe
    lines = plan_text(plan).splitlines()
    assert lines[1].startswith("UNSAFE — apply will refuse (exit 3): " + plan.unsafe[0])
    assert lines[-len(plan.unsafe) - 1] == "UNSAFE — apply will refuse (exit 3):"
