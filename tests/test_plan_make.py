"""make_plan's own steps, one fact at a time (issue 24, `make mutate`): the counts a plan keeps once
caps and strategies block work, the per-finding cap, a later round's `only`, and what each campaign's
plan says; then the strategy rules (bulk or per number, phase pairs, the bulk's cap, shared removals)."""

from __future__ import annotations

import gc
from collections import Counter

import pytest

from reconciler.diff import Action, diff_changes
from reconciler.model import LiveCampaign, Policy
from reconciler.plan import BULK, NONE, PER_NUMBER, PlanOptions, make_plan
from reconciler.plan.make import apply_caps, campaign_plans, count_changes
from reconciler.plan.model import CampaignPlan, ProfilePlan
from reconciler.plan.strategy import shared_removals, shared_to_shared
from tests.test_plan_rules import PA, PB, PU, SH, TX, XX, Estate, actions, n, plan

CAP_REASON = "T-Mobile allows 49 per campaign without number pooling"


# ------------------------------------------------------------------------- make_plan


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_is_left_as_the_caller_had_it(enabled):
    e = Estate().declare(PA, TX, 1).on(PA, 1)
    (gc.enable if enabled else gc.disable)()
    try:
        plan(e)
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_a_later_round_keeps_the_policys_prune_and_counts_every_number_it_leaves_alone():
    e = (Estate(prune=True).declare(PA, TX, 1, 2, 3).on(PA, 1, 2, 3).held(TX, "ASSIGNED", 2)
         .on(PB, 9).held(TX, "ASSIGNED", 9))
    p = make_plan(e.desired, e.live, only=frozenset({n(1)}))
    assert p.prune is True
    assert actions(p) == {1: "assign", 9: "unmanaged"}  # 3 is another round's; 9's removal too
    assert (p.counts["ok"], p.counts["assign"], p.counts["unassign"]) == (2, 1, 0)  # 2 converged, 3 left alone
    # 9 is only another round's removal: prune is on, so no "prune is off, it stays assigned" warning
    assert not [w for w in p.warnings if "in no file" in w]


def test_a_later_round_never_lists_a_move_it_leaves_to_another_round():
    # 2 is declared on PA but sits on PB: a move and an assignment, neither this round's.
    e = Estate().declare(PA, TX, 1, 2).on(PA, 1).on(PB, 2)
    whole = plan(e)
    assert [f.number for f in whole.changes if f.move] == [n(2)]
    p = make_plan(e.desired, e.live, only=frozenset({n(1)}))
    assert actions(p) == {1: "assign"} and p.counts["profile_moves"] == 0 and p.counts["ok"] == 1


def test_a_campaign_plan_counts_what_is_left_once_strategies_block_work():
    # SH on PA with an undeclared number there: per number on a shared campaign, blocked. 1 stays where
    # it is (on TX), so TX keeps it and SH gains nothing; 2's reassign to TX goes ahead.
    e = (Estate().declare(PA, SH, 1).declare(PB, TX, 2).on(PA, 1, 8).on(PB, 2)
         .held(TX, "ASSIGNED", 1).held(XX, "ASSIGNED", 2).declare(PB, XX))
    p = plan(e)
    assert actions(p) == {1: "blocked", 2: "reassign", 8: "unmanaged"}
    assert (p.campaigns[SH].live_count, p.campaigns[SH].final_count) == (0, 0)
    assert (p.campaigns[TX].live_count, p.campaigns[TX].final_count) == (1, 2)
    assert (p.campaigns[XX].live_count, p.campaigns[XX].final_count) == (1, 0)
    # the warnings come from the counts after the block: XX is emptied, SH is not "left without numbers"
    assert [w for w in p.warnings if "without numbers" in w] == [
        f"campaign {XX} will be left without numbers; Telnyx suspends a campaign after 15 days with no numbers "
        f"(dormancy)"]


def test_a_block_that_keeps_an_undeclared_campaigns_last_number_takes_its_warning_away():
    # 1 would leave XX (not in the files) empty; the shared block on PA keeps it there.
    e = Estate().declare(PA, SH, 1).on(PA, 1, 8).held(XX, "ASSIGNED", 1)
    e.live.campaign_counts[XX] = 1
    p = plan(e)
    assert actions(p) == {1: "blocked", 8: "unmanaged"}
    assert not [w for w in p.warnings if XX in w]
    assert p.undeclared_counts == {}
    opted = plan(e, shared_per_number=True)
    assert actions(opted) == {1: "reassign", 8: "unmanaged"}
    assert [w for w in opted.warnings if XX in w] == [
        f"campaign {XX} (not in the files) will be left without numbers: the plan moves its last 1 number off it; "
        f"Telnyx suspends a campaign after 15 days with no numbers (dormancy)"]
    assert opted.undeclared_counts == {XX: (1, 0)}


def test_the_plan_passes_its_profiles_and_desired_state_to_the_warnings():
    # prof-new is declared but does not exist at Telnyx (2 is blocked); 9 is pruned off PA and stays there.
    e = Estate(prune=True).declare(PA, TX, 1).declare("prof-new", TX, 2).on(PA, 1, 9).on("prof-new", 2)
    e.held(TX, "ASSIGNED", 1, 9)
    p = plan(e)
    assert actions(p) == {2: "blocked", 9: "unassign"}
    assert "messaging profile prof-new does not exist at Telnyx" in p.warnings
    assert any(w.startswith(f"after the prune, 1 number stays on profile {PA} with no campaign ({n(9)})")
               for w in p.warnings)


def test_numbers_kept_undeclared_are_counted_from_the_plans_changes():
    e = Estate().declare(PA, TX, 1).on(PA, 1, 8, 9).held(TX, "ASSIGNED", 1, 8, 9)
    p = plan(e)
    assert actions(p) == {8: "unmanaged", 9: "unmanaged"}
    assert any(w.startswith("2 numbers ASSIGNED to declared campaigns are in no file") for w in p.warnings)
    assert not any("in no file" in w for w in plan(e, prune=True).warnings)


def test_the_reprovision_limit_is_added_to_the_safety_limits():
    # A bulk to TX re-sends 2 ASSIGNED numbers; the policy allows 1, and 0 unassigns (9 is pruned): both, in order.
    e = (Estate(policy=Policy(prune=True, max_unassign=0, max_reprovision=1)).declare(PA, TX, 1, 2, 3, 4, 5)
         .on(PA, 1, 2, 3, 4, 5).on(PU, 9).held(TX, "ASSIGNED", 1, 2, 9))
    p = plan(e)
    assert p.profiles[PA].strategy == BULK and p.profiles[PA].resends == 2
    assert len(p.unsafe) == 2
    assert "max_unassign 0" in p.unsafe[0] and "max_reprovision" in p.unsafe[1]


def test_the_timeline_knows_the_profiles_bulk():
    e = Estate().declare(PA, TX, 1, 2, 3).on(PA, 1, 2, 3).held(XX, "ASSIGNED", 1, 2, 3)
    p = plan(e)
    assert p.profiles[PA].strategy == BULK and actions(p) == {1: "reassign", 2: "reassign", 3: "reassign"}
    assert any(line.startswith("of them, 3 numbers move from another campaign by bulk assignment") for line in p.timeline)


# ------------------------------------------------------------------------- campaign_plans


def test_a_campaign_plan_says_everything_telnyx_says_of_the_campaign():
    e = Estate().declare(PA, SH, 1).declare(PA, TX).declare(PA, "CGONE").on(PA, 1)
    e.live.campaigns["CPEND"] = LiveCampaign("CPEND", "shared", "PENDING", "TCR_ACCEPTED")
    e.declare(PB, "CPEND")
    got = campaign_plans(e.desired, e.live, [])
    assert list(got) == ["CGONE", "CPEND", SH, TX]
    assert got[SH] == CampaignPlan(SH, "shared", "MNO_PROVISIONED", "ACCEPTED", False, None, 0, 0, None)
    assert got[TX] == CampaignPlan(TX, "telnyx", "MNO_PROVISIONED", None, False, "uuid-tx", 0, 0, None)
    gone = got["CGONE"]
    assert gone == CampaignPlan("CGONE", None, None, None, False, None, 0, 0, gone.problem)
    assert gone.problem.startswith("campaign CGONE is not known to this Telnyx account")
    assert got["CPEND"].problem is not None and "CPEND" in got["CPEND"].problem


def test_campaign_counts_left_out_are_read_from_the_state_and_the_findings():
    e = Estate(prune=True).declare(PA, TX, 1, 2).on(PA, 1, 2, 9).held(TX, "ASSIGNED", 1, 9).held(SH, "ASSIGNED", 2)
    e.declare(PA, SH)
    findings, _ = diff_changes(e.desired, e.live, True)
    got = campaign_plans(e.desired, e.live, findings)
    assert (got[TX].live_count, got[TX].final_count) == (2, 2)  # 9 pruned, 2 reassigned in
    assert (got[SH].live_count, got[SH].final_count) == (1, 0)
    assert got == campaign_plans(e.desired, e.live, findings, None, count_changes(findings))


def test_a_kind_of_change_counted_zero_does_not_stop_the_count_of_the_next():
    e = Estate().declare(PA, TX, 1, 2).on(PA, 1, 2).held(SH, "ASSIGNED", 2).declare(PA, SH)
    findings, _ = diff_changes(e.desired, e.live, False)
    delta: Counter = Counter()
    delta[("assign", TX, None, None)] = 0
    delta.update(count_changes(findings))
    delta[("assign", TX, None, None)] = 0  # the assign of 1 taken back (a block), first in order
    got = campaign_plans(e.desired, e.live, findings, None, delta)
    assert (got[TX].final_count, got[SH].final_count) == (1, 0)  # 2's reassign still counted


def test_retrying_a_failed_record_takes_nothing_off_the_campaign_it_failed_on():
    e = Estate().declare(PA, TX, 1).on(PA, 1).held(SH, "FAILED_ASSIGNMENT", 1).declare(PB, SH)
    p = plan(e)
    assert actions(p) == {1: "assign"}  # a FAILED record is replaced: an assignment, not a reassignment
    assert (p.campaigns[SH].live_count, p.campaigns[SH].final_count) == (0, 0)
    assert (p.campaigns[TX].live_count, p.campaigns[TX].final_count) == (0, 1)


# ------------------------------------------------------------------------- apply_caps


def per_number_onto(campaign: str, assigned: int, adding: int, *, pooling: bool = False,
                    leaving: int = 0) -> Estate:
    """`assigned` numbers held on `campaign` (declared on PB), `adding` more declared for it on PA, where a
    number of XX keeps PA per number; `leaving` of the assigned ones are redeclared for XX."""
    e = Estate()
    e.live.campaigns[campaign] = LiveCampaign(campaign, "telnyx", None, "MNO_PROVISIONED", pooling, "uuid-c")
    held = list(range(100, 100 + assigned))
    e.declare(PB, campaign, *held[leaving:]).declare(PB, XX, *held[:leaving]).on(PB, *held)
    e.held(campaign, "ASSIGNED", *held)
    adds = list(range(1, adding + 1))
    e.declare(PA, campaign, *adds).declare(PA, XX, 99).on(PA, *adds, 99).held(XX, "ASSIGNED", 99)
    return e


@pytest.mark.parametrize("assigned, adding, blocked", [(47, 2, False), (47, 3, True), (60, 1, True)])
def test_the_per_finding_cap_blocks_every_addition_past_49(assigned, adding, blocked):
    p = plan(per_number_onto("CBIG", assigned, adding))
    assert p.profiles[PA].strategy == (NONE if blocked else PER_NUMBER)  # its only work is blocked
    adds = [f for f in p.changes if f.desired is not None and f.desired.profile_id == PA
            and f.desired.tcr_campaign_id == "CBIG"]
    assert len(adds) == adding
    final = assigned + adding
    if blocked:
        assert {f.action for f in adds} == {Action.BLOCKED}
        assert {f.reason for f in adds} == {
            f"campaign CBIG would hold {final} numbers; T-Mobile allows 49 per campaign without number pooling"}
        assert p.campaigns["CBIG"].final_count == assigned
    else:
        assert {f.action for f in adds} == {Action.ASSIGN}
        assert p.campaigns["CBIG"].final_count == final


def test_pooling_lifts_the_cap():
    p = plan(per_number_onto("CBIG", 47, 3, pooling=True))
    assert {f.action for f in p.changes if f.desired and f.desired.tcr_campaign_id == "CBIG"} == {Action.ASSIGN}


def test_a_campaign_already_over_the_cap_may_swap_numbers_without_growing():
    # 60 held, one leaves for XX, one comes in: still 60, not more: not blocked.
    p = plan(per_number_onto("CBIG", 60, 1, leaving=1))
    assert p.campaigns["CBIG"].live_count == p.campaigns["CBIG"].final_count == 60
    assert Action.BLOCKED not in {f.action for f in p.changes}


def test_apply_caps_blocks_only_assignments_to_the_campaign_over_the_cap():
    e = per_number_onto("CBIG", 48, 2)  # 48 + 1 undeclared now; 2 in, 1 pruned: 50
    e.declare(PA, TX, 5).on(PA, 5).on(PU, 7).held("CBIG", "ASSIGNED", 7)
    findings, _ = diff_changes(e.desired, e.live, True)
    campaigns = campaign_plans(e.desired, e.live, findings)
    got = {f.number: f for f in apply_caps(findings, campaigns)}
    assert {k: f.action.value for k, f in got.items()} == {
        n(1): "blocked", n(2): "blocked", n(5): "assign", n(7): "unassign"}
    assert CAP_REASON in got[n(1)].reason
    assert apply_caps(findings, {}) is findings


# ------------------------------------------------------------------------- strategies: the bulk's cap


def bulk_onto_tx(new: int) -> Estate:
    """TX holds 44 declared numbers on PA and 2 on PB; PA gets `new` more, one FAILED on TX and one ASSIGNED
    on XX among them. A round of 1-3 (`ROUND`) is under the cap, 46 + 3; a bulk of PA takes all of PA."""
    held, fresh = list(range(100, 144)), list(range(1, new + 1))
    e = Estate().declare(PA, TX, *held, *fresh).on(PA, *held, *fresh).held(TX, "ASSIGNED", *held)
    e.declare(PB, TX, 200, 201).on(PB, 200, 201).held(TX, "ASSIGNED", 200, 201)
    e.held(TX, "FAILED_ASSIGNMENT", 1).held(XX, "ASSIGNED", 2)
    return e


ROUND = frozenset({n(1), n(2), n(3)})


@pytest.mark.parametrize("new, over", [(3, False), (4, True)])
def test_a_bulk_is_capped_by_what_the_profile_holds_counted_once(new, over):
    e = bulk_onto_tx(new)
    p = make_plan(e.desired, e.live, only=ROUND)
    assert p.campaigns[TX].live_count == 46
    pa = p.profiles[PA]
    if over:
        assert pa.note == (f"campaign {TX} would hold 50 numbers; T-Mobile allows 49 per campaign without number "
                           f"pooling (a bulk assignment takes every number of the profile)")
        assert (pa.strategy, pa.bulk_campaign) == (PER_NUMBER, None)
        assert {f.action for f in p.changes} == {Action.BLOCKED}
    else:
        assert (pa.strategy, pa.bulk_campaign, pa.note, pa.resends) == (BULK, TX, None, 44)
        assert p.campaigns[TX].final_count == 49


@pytest.mark.parametrize("fresh, over", [(2, False), (3, True)])
def test_numbers_moving_in_count_against_the_bulks_cap(fresh, over):
    # 44 on PA on TX, 2 on PB on TX; this round: 1, 2 and 300, which moves in from PB (46 + 3). A bulk of
    # PA also takes 3, fresh on PA but not this round's: 50 with the mover, 49 without it.
    held = list(range(100, 144))
    e = (Estate().declare(PA, TX, *held, *range(1, fresh + 1), 300).on(PA, *held, *range(1, fresh + 1))
         .held(TX, "ASSIGNED", *held).on(PB, 300).declare(PB, TX, 200, 201).on(PB, 200, 201)
         .held(TX, "ASSIGNED", 200, 201))
    p = make_plan(e.desired, e.live, only=frozenset({n(1), n(2), n(300)}))
    assert p.campaigns[TX].live_count == 46
    assert p.profiles[PA].strategy == (PER_NUMBER if over else BULK)
    assert (p.profiles[PA].note is not None) is over
    assert ("would hold 50 numbers" in p.profiles[PA].note) if over else p.campaigns[TX].final_count == 49


def test_a_move_onto_a_campaign_already_over_the_cap_that_does_not_grow_it_is_not_blocked():
    # TX holds 60 (on PB); one of them is declared for PA: it only moves, TX stays at 60.
    held = list(range(100, 160))
    e = Estate().declare(PB, TX, *held[1:]).declare(PA, TX, held[0]).on(PB, *held).held(TX, "ASSIGNED", *held)
    p = plan(e)
    assert actions(p) == {100: "move"}
    assert p.profiles[PA].note is None and p.campaigns[TX].final_count == 60


# ------------------------------------------------------------------------- strategies: phase pairs


def declared_plan(pid: str, strategy, **kw) -> ProfilePlan:
    """A declared profile's plan as `Estate` names it (its id upper-cased), existing at Telnyx."""
    return ProfilePlan(pid, pid.upper(), True, True, strategy, **kw)


def shared_two() -> Estate:
    e = Estate()
    e.live.campaigns["CSHARED2"] = LiveCampaign("CSHARED2", "shared", "ACCEPTED", "MNO_PROVISIONED")
    return e


def test_a_number_moving_in_onto_a_shared_campaign_makes_a_next_phase_bulk_of_its_profile():
    # 0 is an undeclared number listed first; 1 only moves to PA, already on SH; 2 sits on PA on SH.
    e = (Estate().declare(PA, SH, 1, 2).on(PU, 0).held(SH, "ASSIGNED", 0).on(PB, 1).held(SH, "ASSIGNED", 1)
         .on(PA, 2).held(SH, "ASSIGNED", 2))
    p = plan(e)
    assert actions(p) == {0: "unmanaged", 1: "move"}
    assert p.profiles[PA] == declared_plan(PA, NONE, resends=1, phase_campaign=SH)


def test_a_move_onto_a_telnyx_campaign_makes_no_next_phase():
    e = Estate().declare(PA, TX, 1, 2).on(PB, 1).held(TX, "ASSIGNED", 1).on(PA, 2).held(TX, "ASSIGNED", 2)
    p = plan(e)
    assert actions(p) == {1: "move"}
    assert p.profiles[PA] == declared_plan(PA, NONE)


@pytest.mark.parametrize("status, campaign, phase", [
    ("PENDING_ASSIGNMENT", SH, False),  # on its way to its campaign: nothing for a next phase
    ("PENDING_UNASSIGNMENT", XX, True),  # being freed: its campaign comes with a next phase's bulk
])
def test_a_number_in_flight_makes_a_next_phase_only_when_it_is_not_on_its_campaign(status, campaign, phase):
    e = Estate().declare(PA, SH, 1, 2).on(PA, 1, 2).held(campaign, status, 1).held(SH, "ASSIGNED", 2)
    p = plan(e)
    assert actions(p) == {1: "in_flight"}
    assert p.profiles[PA] == (declared_plan(PA, NONE, resends=1, phase_campaign=SH) if phase
                              else declared_plan(PA, NONE))


def test_a_blocked_number_makes_no_next_phase():
    e = Estate().declare(PB, SH, 1, 2).on(PB, 2).held(SH, "ASSIGNED", 2)  # 1 is not owned
    p = plan(e)
    assert actions(p) == {1: "blocked"}
    assert p.profiles[PB] == declared_plan(PB, NONE)


def test_a_next_phase_whose_bulk_is_over_the_cap_is_not_counted():
    # PA holds 49 on SH; 60 moves in from PB (already on SH) and 61 is new: a bulk would take SH to 51.
    held = list(range(100, 149))
    e = (Estate().declare(PA, SH, *held, 60, 61).on(PA, *held, 61).held(SH, "ASSIGNED", *held)
         .on(PB, 60).held(SH, "ASSIGNED", 60))
    p = plan(e)
    pa = p.profiles[PA]
    assert (pa.strategy, pa.phase_campaign, pa.resends) == (PER_NUMBER, None, 0)
    assert pa.note is not None and "would hold 51 numbers" in pa.note
    assert actions(p) == {60: "blocked", 61: "blocked"}


# ------------------------------------------------------------------------- strategies: notes and names


def test_every_shared_campaign_a_profile_cannot_bulk_is_named_in_its_note():
    e = shared_two().declare(PA, SH, 1).declare(PA, "CSHARED2", 2).on(PA, 1, 2)
    p = plan(e)
    assert actions(p) == {1: "blocked", 2: "blocked"}
    reasons = [f.reason for f in p.changes]
    assert p.profiles[PA].note == "; ".join(reasons)  # by campaign: CSHARED, then CSHARED2


def test_exactly_three_strays_are_all_named():
    e = Estate().declare(PA, SH, 1).on(PA, 1, 7, 8, 9)
    (f,) = [f for f in plan(e).changes if f.number == n(1)]
    assert f"declare {n(7)}, {n(8)}, {n(9)} in the files, or move them off the profile" in f.reason
    assert "more" not in f.reason


def test_a_profile_with_nothing_to_do_keeps_its_declared_name():
    e = Estate().declare(PA, TX, 1).declare(PB, TX, 2).on(PA, 1).on(PB, 2).held(TX, "ASSIGNED", 2)
    assert plan(e).profiles[PB] == declared_plan(PB, NONE)


def test_an_undeclared_profile_holding_a_number_of_a_declared_campaign_is_listed_by_its_live_name():
    # 0 sits on PU (not in the files) on TX; 1, declared for PA but on PU, is a move: no PU profile for it.
    e = Estate().declare(PA, TX, 1).on(PA).on(PU, 0).held(TX, "ASSIGNED", 0)
    p = plan(e)
    assert p.profiles[PU] == ProfilePlan(PU, "other", False, True, NONE)
    e2 = Estate().declare(PA, TX, 1).on(PU, 1)
    p2 = plan(e2)
    assert actions(p2) == {1: "assign"} and PU not in p2.profiles


# ------------------------------------------------------------------------- shared removals


def test_a_reassignment_from_one_shared_campaign_to_another_is_blocked_even_with_no_removals():
    e = shared_two().declare(PA, "CSHARED2", 1).on(PA, 1).held(SH, "ASSIGNED", 1)
    p = plan(e)
    assert actions(p) == {1: "blocked"}
    assert p.changes[0].reason == shared_to_shared(SH, "CSHARED2")
    assert actions(plan(e, shared_per_number=True)) == {1: "reassign"}


def test_no_removal_and_no_reassignment_is_no_pass():
    e = Estate().declare(PA, SH, 1).on(PA, 1)
    findings, _ = diff_changes(e.desired, e.live, False)
    assert shared_removals(findings, e.live, PlanOptions(), removals=0, reassigns=0) is findings


# ------------------------------------------------------------------------- found while measuring


def test_pruning_a_failed_record_takes_nothing_off_its_campaigns_count():
    """An undeclared number whose assignment to TX FAILED is pruned: TX never counted it, so TX keeps its one
    ASSIGNED number, and no "left without numbers" warning (it said so, wrongly, before this test)."""
    e = (Estate(prune=True).declare(PA, TX, 1).on(PA, 1).held(TX, "ASSIGNED", 1)
         .on(PU, 9).held(TX, "FAILED_ASSIGNMENT", 9))
    p = plan(e)
    assert actions(p) == {9: "unassign"}
    assert (p.campaigns[TX].live_count, p.campaigns[TX].final_count) == (1, 1)
    assert not [w for w in p.warnings if "without numbers" in w]


def test_a_change_names_the_profile_it_leaves_by_its_live_name():
    e = Estate().declare(PA, TX, 1).on(PU, 1)
    p = plan(e)
    assert actions(p) == {1: "assign"}
    assert p.profile_names == {PA: "PROF-A", PU: "other"}  # PU is in no file: Telnyx names it
