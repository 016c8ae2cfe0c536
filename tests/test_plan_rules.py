"""diff and plan rule by rule: the exact finding (every field) for each kind of number, and the exact
counts, strategies, notes, warnings and limits a plan derives from them. `test_plan.py` covers whole
estates; here each case changes one fact."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.diff import Action, Finding, LiveHalf, diff, diff_changes, reported_under
from reconciler.diff.health import campaign_problem
from reconciler.model import CARRIER_FAILED, CARRIER_PENDING, DesiredNumber, DesiredProfile, DesiredState, Policy
from reconciler.model import LiveAssignment, LiveCampaign, LiveNumber, LiveState
from reconciler.plan import BULK, PER_NUMBER, Plan, PlanOptions, change_dict, make_plan
from reconciler.plan.strategy import describe_others

PA, PB, PU = "prof-a", "prof-b", "prof-undeclared"
SH, TX, XX = "CSHARED", "CTELNYX", "COTHER"  # XX: a campaign the files do not declare


def n(i: int) -> str:
    return f"+1415555{i:04d}"


class Estate:
    """Desired and live state built one fact at a time."""

    def __init__(self, *, prune: bool = False, policy: Policy | None = None) -> None:
        self.profiles: dict[str, list[str]] = {}
        self.numbers: dict[str, DesiredNumber] = {}
        self.policy = policy or Policy(prune=prune)
        self.out_of_scope: frozenset[str] = frozenset()
        self.live = LiveState(profiles={PA: "alpha", PB: "beta", PU: "other"}, campaigns={
            SH: LiveCampaign(SH, "shared", "ACCEPTED", "MNO_PROVISIONED"),
            TX: LiveCampaign(TX, "telnyx", None, "MNO_PROVISIONED", telnyx_campaign_id="uuid-tx"),
            XX: LiveCampaign(XX, "telnyx", None, "MNO_PROVISIONED", telnyx_campaign_id="uuid-xx"),
        })

    def declare(self, profile: str, campaign: str, *ids: int) -> Estate:
        camps = self.profiles.setdefault(profile, [])
        if campaign not in camps:
            camps.append(campaign)
        for i in ids:
            self.numbers[n(i)] = DesiredNumber(n(i), profile, campaign, "x.yaml", i, 1)
        return self

    def on(self, profile: str | None, *ids: int, type: str = "longcode") -> Estate:
        for i in ids:
            self.live.numbers[n(i)] = LiveNumber(n(i), f"id{i}", profile, type)
        return self

    def held(self, campaign: str, status: str, *ids: int, reasons: str | None = None) -> Estate:
        for i in ids:
            self.live.assignments[n(i)] = LiveAssignment(n(i), campaign, status, reasons)
        return self

    @property
    def desired(self) -> DesiredState:
        return DesiredState({p: DesiredProfile(p, p.upper(), tuple(c)) for p, c in self.profiles.items()},
                            dict(self.numbers), self.policy, self.out_of_scope)

    def diff(self, **kw) -> dict[int, Finding]:
        return {int(f.number[-4:]): f for f in diff(self.desired, self.live, **kw)}


def F(i: int, action: Action, profile, campaign, live_profile, live_campaign, live_status, move=False, reason=None,
      declared=True, owned=True) -> Finding:
    """The finding of number i: declared for (profile, campaign) as `Estate.declare` does, or declared nowhere
    (then reported under profile and campaign, which must be the live ones); Telnyx shows the live fields, or
    nothing at all (not `owned` and no assignment). `move` is what the finding derives (checked)."""
    desired = DesiredNumber(n(i), profile, campaign, "x.yaml", i, 1) if declared else None
    seen = (live_profile, live_campaign, live_status)
    live = LiveHalf(*seen) if owned or seen != (None, None, None) else None
    f = Finding(n(i), action, desired, live, reason)
    assert (f.move, reported_under(f)) == (move, (profile, campaign))
    return f


# ------------------------------------------------------------------------- diff: declared numbers

NOT_OWNED = "number is not owned by this Telnyx account: check it for a typo"


def test_every_declared_number_gets_its_exact_finding():
    e = (Estate().declare(PA, SH, *range(1, 14)).declare(PB, TX, 20)
         .on(PA, 1, 2, 4, 5, 6, 7, 11, 12, 13).on(PB, 3).on(None, 8).on(PA, 9, type="tollfree").on(PA, 10, type="unknown")
         .held(SH, "ASSIGNED", 1, 3).held(TX, "ASSIGNED", 2).held(SH, "FAILED_ASSIGNMENT", 4, reasons="T-Mobile said no")
         .held(TX, "FAILED_ASSIGNMENT", 5, reasons="stale").held(SH, "PENDING_ASSIGNMENT", 6)
         .held(SH, "FAILED_UNASSIGNMENT", 7, reasons="stuck").held(SH, "WEIRD", 11)
         .held(SH, "PENDING_UNASSIGNMENT", 12))
    got = e.diff(in_flight={n(13): "bulk task t-1 (journal)"})
    assert got == {
        1: F(1, Action.OK, PA, SH, PA, SH, "ASSIGNED"),
        2: F(2, Action.REASSIGN, PA, SH, PA, TX, "ASSIGNED"),
        3: F(3, Action.MOVE, PA, SH, PB, SH, "ASSIGNED", move=True),
        4: F(4, Action.RETRY, PA, SH, PA, SH, "FAILED_ASSIGNMENT", reason="T-Mobile said no"),
        5: F(5, Action.ASSIGN, PA, SH, PA, TX, "FAILED_ASSIGNMENT", reason="stale"),
        6: F(6, Action.IN_FLIGHT, PA, SH, PA, SH, "PENDING_ASSIGNMENT"),
        7: F(7, Action.OK, PA, SH, PA, SH, "FAILED_UNASSIGNMENT", reason="stuck"),
        8: F(8, Action.ASSIGN, PA, SH, None, None, None, move=True),
        9: F(9, Action.BLOCKED, PA, SH, PA, None, None, reason="number is a tollfree, not a 10DLC long code"),
        10: F(10, Action.BLOCKED, PA, SH, PA, None, None, reason=(
            "Telnyx does not say what type of number this is (no known 'type'); only US long codes can join a "
            "10DLC campaign: check the number in the portal")),
        11: F(11, Action.BLOCKED, PA, SH, PA, SH, "WEIRD", reason=(
            "Telnyx reports assignmentStatus WEIRD, which this reconciler does not know: nothing is written to "
            "this number until it does")),
        12: F(12, Action.IN_FLIGHT, PA, SH, PA, SH, "PENDING_UNASSIGNMENT"),
        13: F(13, Action.IN_FLIGHT, PA, SH, PA, None, None, reason="bulk task t-1 (journal)"),
        20: F(20, Action.BLOCKED, PB, TX, None, None, None, reason=NOT_OWNED, owned=False),
    }


def test_a_number_not_owned_keeps_what_telnyx_says_of_its_assignment():
    e = Estate().declare(PA, SH, 1).held(TX, "ASSIGNED", 1)
    assert e.diff()[1] == F(1, Action.BLOCKED, PA, SH, None, TX, "ASSIGNED", reason=NOT_OWNED)


def test_converged_except_for_one_fact_is_not_ok():
    base = Estate().declare(PA, SH, 1).on(PA, 1).held(SH, "ASSIGNED", 1)
    assert base.diff()[1].action is Action.OK
    assert Estate().declare(PA, SH, 1).on(PA, 1, type="tollfree").held(SH, "ASSIGNED", 1).diff()[1].action \
        is Action.BLOCKED
    gone = Estate().declare(PA, SH, 1).on(PA, 1).held(SH, "ASSIGNED", 1)
    del gone.live.profiles[PA]
    assert gone.diff()[1] == F(1, Action.BLOCKED, PA, SH, PA, SH, "ASSIGNED", reason=f"messaging profile {PA} does "
                                                                                     "not exist")


@pytest.mark.parametrize("status, action, move", [
    ("ASSIGNED", Action.REASSIGN, True),
    ("FAILED_ASSIGNMENT", Action.ASSIGN, True),
    (None, Action.ASSIGN, True),
])
def test_a_number_on_another_profile_and_campaign_moves_and_is_assigned(status, action, move):
    e = Estate().declare(PA, SH, 1).on(PB, 1)
    if status:
        e.held(TX, status, 1)
    f = e.diff()[1]
    assert (f.action, f.move, f.live.profile_id) == (action, move, PB)


def test_a_blocked_number_never_carries_a_move():
    e = Estate().declare(PA, "CNOWHERE", 1).on(PB, 1)
    f = e.diff()[1]
    assert (f.action, f.move) == (Action.BLOCKED, False)
    assert f.reason == campaign_problem(None, "CNOWHERE")


def test_work_in_flight_wins_over_every_write_but_a_converged_number_is_ok():
    e = Estate().declare(PA, SH, 1, 2, 3).on(PB, 1).on(PA, 2, 3).held(TX, "ASSIGNED", 2).held(SH, "ASSIGNED", 3)
    pending = {n(1): "move order o-1", n(2): "PUT sent", n(3): "bulk"}
    got = e.diff(in_flight=pending)
    assert {i: (f.action, f.reason, f.move) for i, f in got.items()} == {
        1: (Action.IN_FLIGHT, "move order o-1", True), 2: (Action.IN_FLIGHT, "PUT sent", False),
        3: (Action.OK, None, False)}


@pytest.mark.parametrize("keep_ok", [False, True])
def test_diff_changes_leaves_ok_findings_out_and_counts_them(keep_ok):
    e = (Estate().declare(PA, SH, 1, 2, 3, 4).on(PA, 1, 2, 3, 4).held(SH, "ASSIGNED", 1, 2)
         .held(SH, "FAILED_UNASSIGNMENT", 3))
    findings, left_out = diff_changes(e.desired, e.live, False, keep_ok=keep_ok)
    assert [f.number for f in findings] == ([n(1), n(2), n(3), n(4)] if keep_ok else [n(4)])
    assert left_out == (0 if keep_ok else 3)


def test_diff_keeps_ok_findings_and_sorts_by_number():
    e = Estate().declare(PA, SH, 3, 1, 2).on(PA, 1, 2, 3, 9).held(SH, "ASSIGNED", 1, 2, 3)
    assert [(f.number, f.action) for f in diff(e.desired, e.live)] == [
        (n(1), Action.OK), (n(2), Action.OK), (n(3), Action.OK), (n(9), Action.UNMANAGED)]


# ------------------------------------------------------------------------- diff: undeclared numbers


@pytest.mark.parametrize("policy_prune, prune, action", [
    (False, None, Action.UNMANAGED), (True, None, Action.UNASSIGN),
    (True, False, Action.UNMANAGED), (False, True, Action.UNASSIGN),
])
def test_prune_comes_from_the_policy_unless_the_run_says(policy_prune, prune, action):
    e = Estate(prune=policy_prune).declare(PA, SH, 1).on(PA, 1, 9).held(SH, "ASSIGNED", 1, 9)
    assert e.diff(prune=prune)[9] == F(9, action, PA, SH, PA, SH, "ASSIGNED", declared=False)


@pytest.mark.parametrize("status, pending, action", [
    ("ASSIGNED", False, Action.UNASSIGN),
    ("FAILED_ASSIGNMENT", False, Action.UNASSIGN),
    ("ASSIGNED", True, Action.UNMANAGED),  # the journal holds work on it
    ("PENDING_ASSIGNMENT", False, Action.UNMANAGED),
    ("PENDING_UNASSIGNMENT", False, Action.UNMANAGED),
    ("SOMETHING_NEW", False, Action.UNMANAGED),  # never prune what is not understood
])
def test_an_undeclared_number_is_pruned_only_when_nothing_is_in_flight_or_unknown(status, pending, action):
    e = Estate().declare(PA, SH, 1).on(PU, 9).held(SH, status, 9)
    got = e.diff(prune=True, in_flight={n(9): "journal"} if pending else None)
    assert got[9] == F(9, action, PU, SH, PU, SH, status, declared=False)


def test_undeclared_numbers_in_scope_are_listed_with_what_telnyx_holds():
    undeclared = range(100, 120)
    e = (Estate().declare(PA, SH, 1).on(PA, 1).held(SH, "ASSIGNED", 1)
         .held(SH, "ASSIGNED", 9)  # on a declared campaign, not owned (no number record)
         .on(PA, 8).held(XX, "ASSIGNED", 8)  # on a declared profile, another campaign
         .on(PA, 7)  # on a declared profile, no campaign
         .on(PU, *undeclared).held(XX, "ASSIGNED", *undeclared)  # out of scope: another profile and campaign
         .on(PU, 6).held(SH, "PENDING_ASSIGNMENT", 6))
    e.live.assignments.update({n(i): LiveAssignment(n(i), XX, "ASSIGNED") for i in range(200, 220)})  # no number
    got = e.diff()
    assert {i: f for i, f in got.items() if i != 1} == {
        6: F(6, Action.UNMANAGED, PU, SH, PU, SH, "PENDING_ASSIGNMENT", declared=False),
        7: F(7, Action.UNMANAGED, PA, None, PA, None, None, declared=False),
        8: F(8, Action.UNMANAGED, PA, XX, PA, XX, "ASSIGNED", declared=False),
        9: F(9, Action.UNMANAGED, None, SH, None, SH, "ASSIGNED", declared=False),
    }


# ------------------------------------------------------------------------- diff: a finding's two halves


def test_an_unmanaged_number_has_no_desired_half_and_is_reported_under_its_live_profile():
    e = Estate().declare(PA, SH, 1).on(PA, 1, 9).held(SH, "ASSIGNED", 1).held(XX, "ASSIGNED", 9)
    f = e.diff()[9]
    assert (f.action, f.desired, f.declared, f.move) == (Action.UNMANAGED, None, False, False)
    assert f.live == LiveHalf(PA, XX, "ASSIGNED")
    assert reported_under(f) == (PA, XX)
    # a declared number is reported under its declared profile and campaign, wherever Telnyx has it
    assert reported_under(e.declare(PB, TX, 2).on(PA, 2).diff()[2]) == (PB, TX)


def test_a_declared_number_not_owned_has_no_live_half():
    e = Estate().declare(PA, SH, 1)
    f = e.diff()[1]
    assert (f.action, f.live, f.move, f.reason) == (Action.BLOCKED, None, False, NOT_OWNED)
    assert f.desired is e.numbers[n(1)]  # the desired state's own object, not a copy
    assert reported_under(f) == (PA, SH)


def test_a_move_and_reassign_derives_its_move_and_a_block_takes_it_away():
    e = Estate().declare(PA, SH, 1).on(PB, 1).held(TX, "ASSIGNED", 1)
    f = e.diff()[1]
    assert (f.action, f.move, f.live, f.desired.profile_id) == (Action.REASSIGN, True, LiveHalf(PB, TX, "ASSIGNED"), PA)
    assert replace(f, action=Action.BLOCKED).move is False
    assert replace(f, live=LiveHalf(PA, TX, "ASSIGNED")).move is False  # already on its declared profile


def test_findings_share_one_live_half_per_kind_of_live_state():
    e = Estate().declare(PA, SH, *range(1, 7)).on(PB, *range(1, 7)).held(TX, "ASSIGNED", *range(1, 7))
    e.on(PA, 9).declare(PA, SH, 10).held(TX, "ASSIGNED", 10)  # unmanaged; not owned but assigned
    got = e.diff()
    assert len({id(f.live) for i, f in got.items() if i < 7}) == 1
    assert got[9].live == LiveHalf(PA, None, None) and got[10].live == LiveHalf(None, TX, "ASSIGNED")


def test_numbers_declared_outside_a_subset_run_are_never_unmanaged():
    e = Estate(prune=True).declare(PA, SH, 1).on(PA, 1, 8, 9).held(SH, "ASSIGNED", 1, 8)
    e.out_of_scope = frozenset({n(8), n(9)})
    assert set(e.diff()) == {1}


# ------------------------------------------------------------------------- plan: what is saved


def plan(e: Estate, **options) -> Plan:
    return make_plan(e.desired, e.live, PlanOptions(**options))


def actions(p: Plan) -> dict[int, str]:
    return {int(f.number[-4:]): f.action.value for f in p.changes}


def test_the_checksum_is_stable_across_versions():
    """Saved plans carry it and are applied later, maybe by the next release: its bytes are a format."""
    e = (Estate().declare(PA, SH, 1, 2).declare(PB, TX, 3).on(PA, 1).on(None, 2).on(PB, 3)
         .held(XX, "ASSIGNED", 3))
    p = plan(e)
    assert actions(p) == {1: "assign", 2: "assign", 3: "reassign"}
    assert p.checksum() == "dd7c375b7cd61d36b774cb0fc7133e1e80c582f82d098fbe640729c3dd8fe67b"


def test_the_checksum_covers_each_profile_strategy():
    e = Estate().declare(PA, TX, 1, 2, 3).on(PA, 1, 2, 3)
    bulk = plan(e)
    assert bulk.profiles[PA].strategy == BULK
    per_number = Plan(bulk.desired, bulk.changes, bulk.counts,
                      {PA: replace(bulk.profiles[PA], strategy=PER_NUMBER, bulk_campaign=None)}, bulk.campaigns)
    other_campaign = Plan(bulk.desired, bulk.changes, bulk.counts,
                          {PA: replace(bulk.profiles[PA], bulk_campaign=SH)}, bulk.campaigns)
    assert len({bulk.checksum(), per_number.checksum(), other_campaign.checksum()}) == 3


def test_the_checksum_does_not_depend_on_the_order_profiles_are_listed_in():
    """A saved plan lists its profiles in its own order; loaded back, it must verify."""
    e = Estate().declare(PA, TX, 1, 2, 3).declare(PB, SH, 4).on(PA, 1, 2, 3).on(PB, 4)
    p = plan(e)
    backwards = Plan(p.desired, p.changes, p.counts, dict(reversed(p.profiles.items())), p.campaigns)
    assert list(backwards.profiles) == [PB, PA] and backwards.checksum() == p.checksum()


def test_a_shared_block_with_nothing_else_named_still_says_what_is_in_the_way():
    assert describe_others({SH}, SH, 0) == "other numbers"
    assert describe_others({SH, None, TX, XX}, SH, 2) == f"numbers of {XX}, {TX} and 2 undeclared numbers"


def test_a_saved_change_names_its_target_and_the_live_state_it_expects():
    f = F(7, Action.REASSIGN, PA, SH, PB, TX, "ASSIGNED", move=True, reason="why")
    assert change_dict(f) == {
        "number": n(7), "action": "reassign", "profile_id": PA, "tcr_campaign_id": SH, "move": True,
        "declared": True, "reason": "why", "expect": {"profile_id": PB, "tcr_campaign_id": TX, "status": "ASSIGNED"}}


# ------------------------------------------------------------------------- plan: shared campaigns


@pytest.mark.parametrize("shared_flag, known, action", [
    (None, False, "blocked"),  # cannot tell: counts as shared
    (True, False, "blocked"),
    (False, False, "unassign"),  # the record says it is not on a shared campaign
    (None, True, "blocked"),  # the campaign is known to be shared: the record's flag does not matter
    (False, True, "blocked"),
])
def test_a_prune_from_a_campaign_that_may_be_shared_is_blocked(shared_flag, known, action):
    e = Estate(prune=True).declare(PA, SH, 1).declare(PA, "CGONE", 2).on(PA, 1, 2).on(PU, 9)
    e.live.assignments[n(9)] = LiveAssignment(n(9), SH if known else "CGONE", "ASSIGNED", shared=shared_flag)
    assert actions(plan(e))[9] == action


def test_a_prune_of_a_number_telnyx_lists_on_no_number_record_is_judged_by_its_campaign():
    e = Estate(prune=True).declare(PA, TX, 1).on(PA, 1).held(TX, "ASSIGNED", 1, 9)
    assert actions(plan(e))[9] == "unassign"


def shared_block(p: Plan, i: int) -> str:
    (f,) = [f for f in p.changes if f.number == n(i)]
    assert f.action is Action.BLOCKED
    return f.reason


@pytest.mark.parametrize("others, strays, holds, fix", [
    ({TX: [2]}, [], f"numbers of {TX}", f"give {SH} its own messaging profile"),
    ({TX: [2], XX: [3]}, [], f"numbers of {XX}, {TX}", f"give {SH} its own messaging profile"),
    ({}, [8], "1 undeclared number", f"declare {n(8)} in the files, or move it off the profile (or give {SH} "
                                        f"its own messaging profile)"),
    ({TX: [2]}, [8, 6, 7, 5], f"numbers of {TX} and 4 undeclared numbers",
     f"declare {n(5)}, {n(6)}, {n(7)} and 1 more in the files, or move them off the profile (or give {SH} its own "
     f"messaging profile)"),
])
def test_a_shared_campaign_that_would_need_per_number_writes_is_blocked_with_what_else_is_there(
        others, strays, holds, fix):
    e = Estate().declare(PA, SH, 1).on(PA, 1, *strays)
    for campaign, ids in others.items():
        e.declare(PA, campaign, *ids).on(PA, *ids).held(campaign, "ASSIGNED", *ids)
    p = plan(e)
    assert shared_block(p, 1) == (
        f"shared campaign {SH} would need per-number assignment on profile prof-a, which also holds {holds}; "
        f"Telnyx documents only bulk assignment by profile for shared campaigns: {fix}")
    assert p.profiles[PA].note == shared_block(p, 1)
    assert (p.profiles[PA].strategy, p.profiles[PA].bulk_campaign) == (PER_NUMBER, None)
    assert actions(plan(e, shared_per_number=True))[1] == "assign"


# ------------------------------------------------------------------------- plan: counts and properties


def test_counts_name_every_action_and_the_moves():
    e = (Estate(prune=True).declare(PA, TX, 1, 2, 3, 4).declare(PB, TX, 5).declare(PB, "CNOWHERE", 6)
         .on(PA, 1, 2).on(None, 3).on(PA, 4, 9).on(PB, 6).held(TX, "ASSIGNED", 1, 9).held(XX, "ASSIGNED", 2)
         .held(TX, "PENDING_ASSIGNMENT", 4))
    p = plan(e)
    assert actions(p) == {2: "reassign", 3: "assign", 4: "in_flight", 5: "blocked", 6: "blocked", 9: "unassign"}
    assert p.counts == {"ok": 1, "assign": 1, "reassign": 1, "retry": 0, "move": 0, "in_flight": 1, "unmanaged": 0,
                        "unassign": 1, "blocked": 2, "profile_moves": 1, "numbers_declared": 6}
    assert [f.number for f in p.writes] == [n(2), n(3), n(9)] and p.has_changes
    assert [f.number for f in p.blocked] == [n(5), n(6)]
    assert [f.number for f in p.in_flight] == [n(4)] and p.being_freed == ()
    assert p.prune is True


def test_a_plan_with_only_blocked_or_in_flight_work_has_no_changes():
    e = Estate().declare(PA, TX, 1, 2).on(PA, 2).held(TX, "PENDING_UNASSIGNMENT", 2)
    p = plan(e)
    assert not p.has_changes and p.writes == ()
    assert [f.number for f in p.being_freed] == [n(2)]


def test_an_undeclared_blocked_prune_is_not_a_blocked_plan():
    e = Estate(prune=True).declare(PA, SH, 1).on(PA, 1).held(SH, "ASSIGNED", 1).on(PU, 9).held(SH, "ASSIGNED", 9)
    p = plan(e)
    assert actions(p) == {9: "blocked"} and p.blocked == () and p.counts["blocked"] == 1


@pytest.mark.parametrize("status", ["PENDING_ASSIGNMENT", "ASSIGNED"])
def test_only_pending_unassignment_of_a_declared_number_is_being_freed(status):
    e = Estate().declare(PA, TX, 1).on(PA, 1, 9).held(XX, status, 1).held(TX, "PENDING_UNASSIGNMENT", 9)
    p = plan(e)
    assert p.being_freed == ()  # 9 is undeclared; 1 is not being unassigned


def test_a_later_round_writes_only_its_numbers():
    e = (Estate(prune=True).declare(PA, TX, 1, 2, 3).on(PA, 1, 2, 3, 9).held(TX, "ASSIGNED", 9)
         .held(XX, "ASSIGNED", 3))
    p = make_plan(e.desired, e.live, only=frozenset({n(1)}))
    assert actions(p) == {1: "assign", 9: "unmanaged"}  # 2, 3 are OK for this round, 9 is left alone
    assert p.counts["ok"] == 2 and p.counts["assign"] == 1 and p.counts["unassign"] == 0
    assert p.counts["reassign"] == 0 and p.counts["unmanaged"] == 1


# ------------------------------------------------------------------------- plan: limits


def unassigning(k: int, on_campaign: int = 0, policy: Policy | None = None) -> Estate:
    """k undeclared numbers of TX to prune; TX also keeps `on_campaign` declared numbers."""
    e = Estate(policy=policy or Policy(prune=True)).declare(PA, TX, *range(1, on_campaign + 1)).declare(PB, TX, 999)
    e.on(PA, *range(1, on_campaign + 1)).held(TX, "ASSIGNED", *range(1, on_campaign + 1)).on(PB, 999)
    return e.on(PU, *range(1000, 1000 + k)).held(TX, "ASSIGNED", *range(1000, 1000 + k))


@pytest.mark.parametrize("k, unsafe", [(25, []), (26, [
    "26 numbers would unassign, over max_unassign 25 by 1; re-run with --allow-unassign 26 to allow exactly these 26"
])])
def test_the_default_unassign_limit_is_25(k, unsafe):
    assert list(plan(unassigning(k, on_campaign=200)).unsafe) == unsafe


@pytest.mark.parametrize("keep, k, unsafe", [
    (7, 3, ["3 of 10 numbers of campaign CTELNYX would unassign (30%), over max_unassign_percent 25%"]),
    (8, 2, []),  # 20 %
    (6, 3, []),  # 9 numbers on the campaign: under 10, no percent limit
])
def test_the_percent_limit_counts_campaigns_of_at_least_ten(keep, k, unsafe):
    policy = Policy(prune=True, max_unassign_percent=25)
    got = list(plan(unassigning(k, on_campaign=keep, policy=policy)).unsafe)
    assert got == [f"{u}; re-run with --allow-unassign {k} to allow exactly these {k}" for u in unsafe]


def test_the_default_percent_limit_is_30():
    assert plan(unassigning(3, on_campaign=7)).safe  # 3 of 10: 30 %, not over
    assert plan(unassigning(4, on_campaign=7)).unsafe == (
        "4 of 11 numbers of campaign CTELNYX would unassign (36%), over max_unassign_percent 30%; re-run with "
        "--allow-unassign 4 to allow exactly these 4",)


def test_both_limits_are_named_and_allowing_the_exact_count_lifts_them():
    e = unassigning(5, on_campaign=5, policy=Policy(prune=True, max_unassign=4))
    assert len(plan(e).unsafe) == 2
    assert plan(e, allow_unassign=5).safe
    assert not plan(e, allow_unassign=4).safe


def test_a_plan_over_several_limits_counts_its_other_reasons_as_reasons_and_an_allowed_one_says_so():
    """Outside review: "(and 1 more, listed at the end)" after a count of numbers read as one more number;
    and a plan made with --allow-unassign N gave no sign, in text or markdown, that a limit was overridden."""
    from reconciler import planfile
    from reconciler.render import plan_markdown, plan_text

    e = unassigning(5, on_campaign=5, policy=Policy(prune=True, max_unassign=4))
    unsafe = plan(e)
    text = plan_text(unsafe)
    assert "(and 1 more reason, listed at the end)" in text.splitlines()[1]
    assert "Safety:" not in text and "overridden" not in plan_markdown(unsafe)
    assert planfile.plan_dict(unsafe)["safety_overridden"] == []

    allowed = plan(e, allow_unassign=5)
    said = "5 numbers unassign, over max_unassign and max_unassign_percent on 1 campaign, allowed by --allow-unassign 5"
    assert allowed.safe and allowed.safety_overridden == (said,)
    assert f"\nSafety: {said}\n" in plan_text(allowed)
    md = plan_markdown(allowed)
    assert "> [!IMPORTANT]\n> **Safety limits overridden**" in md and "allowed by --allow-unassign 5" in md
    assert planfile.plan_dict(allowed)["safety_overridden"] == [said]
    # Kept by a saved plan, and a report only: the checksum is the plan's, not the words'.
    back = planfile.from_dict(planfile.dump(allowed))
    assert back.safety_overridden == (said,) and f"Safety: {said}" in plan_text(back)
    old = planfile.dump(allowed)
    del old["safety_overridden"]  # a file saved before the key
    assert planfile.from_dict(old).safety_overridden == ()


def _unchanged_said(text: str) -> int:
    """Every unchanged number the summarised text counts, below its first line (which gives the total)."""
    import re

    return sum(int(k) for line in text.splitlines()[1:] for k in re.findall(r"(\d+) (?:numbers? )?unchanged", line))


def test_every_unchanged_number_is_counted_somewhere_in_the_summarised_plan():
    """Outside review: unchanged numbers on the campaigns of a profile with changes were counted nowhere
    (acme-marketing's 201, acme-surveys' 266 of 2,704), and profiles with no change at all were not said
    when no profile had only in-flight or unmanaged numbers."""
    from reconciler.render import plan_text

    # PA: a change on TX (1 assigned), 2 unchanged beside it on TX, 3 unchanged on SH (a campaign with no change);
    # PB: 4 unchanged on XX, nothing to change.
    e = (Estate().declare(PA, TX, 1, 2, 3).declare(PA, SH, 4, 5, 6).declare(PB, XX, 7, 8, 9, 10)
         .on(PA, 1, 2, 3, 4, 5, 6).held(TX, "ASSIGNED", 2, 3).held(SH, "ASSIGNED", 4, 5, 6)
         .on(PB, 7, 8, 9, 10).held(XX, "ASSIGNED", 7, 8, 9, 10))
    p = plan(e)
    assert p.counts["ok"] == 9
    text = plan_text(p)
    assert _unchanged_said(text) == 9, text
    assert f"  PROF-A ({PA}), its campaigns not listed above: {SH} 3 unchanged\n" in text
    assert f"  PROF-B ({PB}): 4 numbers unchanged\n" in text  # said though no profile has only quiet numbers


def test_a_profile_with_many_unchanged_campaigns_names_some_and_counts_the_rest():
    from reconciler.render import plan_text
    from reconciler.render.plan_profiles import UNCHANGED_CAMPAIGNS_SHOWN

    e = Estate().declare(PA, TX, 1).on(PA, 1)  # 1 to assign
    k = UNCHANGED_CAMPAIGNS_SHOWN + 3
    for j in range(k):
        tcr = f"CX{j:04d}"
        e.live.campaigns[tcr] = LiveCampaign(tcr, "telnyx", None, "MNO_PROVISIONED")
        e.declare(PA, tcr, 100 + j).on(PA, 100 + j).held(tcr, "ASSIGNED", 100 + j)
    text = plan_text(plan(e))
    assert _unchanged_said(text) == k
    line = next(x for x in text.splitlines() if "its campaigns not listed above" in x)
    assert line.endswith("; 3 other campaigns 3 unchanged") and line.count(" 1 unchanged") == UNCHANGED_CAMPAIGNS_SHOWN


def test_profiles_past_the_shown_ones_are_counted_with_their_unchanged_numbers(monkeypatch):
    from reconciler.render import plan_profiles, plan_text

    monkeypatch.setattr(plan_profiles, "QUIET_PROFILES_SHOWN", 1)
    # Two profiles with only an unmanaged number besides their unchanged ones (listed one line each), one
    # with a change: the second quiet profile is past the one shown, its unchanged numbers still counted.
    e = Estate().declare(PA, TX, 1, 2).on(PA, 1, 2, 3).held(TX, "ASSIGNED", 1, 2, 3)
    e.declare(PB, SH, 4, 5, 6).on(PB, 4, 5, 6, 7).held(SH, "ASSIGNED", 4, 5, 6, 7)
    e.declare(PU, XX, 8).on(PU, 8)  # to assign
    text = plan_text(plan(e))
    assert _unchanged_said(text) == plan(e).counts["ok"] == 5, text
    assert "  …and 1 more profile (3 numbers unchanged) (`--verbose`, or the JSON plan)" in text


def test_a_saved_unsafe_plan_shown_by_apply_is_told_to_be_made_again_with_the_allowance():
    from reconciler.render import plan_text

    p = plan(unassigning(5, on_campaign=5, policy=Policy(prune=True, max_unassign=4)))
    fresh, saved = plan_text(p), plan_text(p, saved=True)
    assert "re-run with --allow-unassign 5" in fresh and "reconciler plan --allow-unassign" not in fresh
    assert "re-run with" not in saved
    assert saved.rstrip().endswith("make it again with `reconciler plan --allow-unassign 5 --out FILE` (and the "
                                   "--desired, --profile, … it was made with), review it, then `reconciler apply FILE`")


def test_the_default_reassign_limit_is_100():
    def reassigning(k):
        e = Estate().declare(PA, TX, *range(1, k + 1)).on(PA, *range(1, k + 1)).held(XX, "ASSIGNED", *range(1, k + 1))
        e.live.campaigns[TX] = replace(e.live.campaigns[TX], number_pooling=True)  # no cap of 49
        return e.on(PU, *range(500, 800)).held(XX, "ASSIGNED", *range(500, 800))  # XX keeps 300: under 30 %
    assert plan(reassigning(100)).safe
    assert plan(reassigning(101)).unsafe[0].startswith("101 numbers would reassign, over max_reassign 100 by 1")


# ------------------------------------------------------------------------- plan: warnings and timeline


def test_warnings_name_each_risk():
    e = (Estate(prune=True).declare(PA, TX, 1).declare(PB, "CDORMANT", 2).declare("prof-gone", TX)
         .on(PA, 1).on(PB, 2).held(SH, "ASSIGNED", 1).on(PU, 9).held(TX, "ASSIGNED", 9)
         .on(PA, 7).held(XX, "ASSIGNED", 7))
    e.declare(PA, SH)
    e.live.campaigns["CDORMANT"] = LiveCampaign("CDORMANT", "shared", "ACCEPTED", "TCR_SUSPENDED")
    p = plan(e, shared_per_number=True)
    assert list(p.warnings) == [  # campaigns by id, then profiles
        "campaign CDORMANT is dormant (TCR_SUSPENDED): its first assignment fails and wakes it; apply retries",
        f"campaign {SH} will be left without numbers; Telnyx suspends a campaign after 15 days with no numbers "
        f"(dormancy)",
        "messaging profile prof-gone does not exist at Telnyx",
        f"profile {PA} holds 1 undeclared number; bulk assignment by profile is not used there until it is declared "
        "or moved off the profile",
    ]


def test_numbers_taken_out_of_the_files_that_stay_assigned_are_said_with_how_to_remove_them():
    """Prune off: a number assigned to a declared campaign and in no file keeps sending. The plan says
    so once, counting only those (not numbers on another campaign, none, or in flight), and how to
    unassign them; with prune on, it is an unassign instead (outside review: "removed" numbers)."""
    e = (Estate().declare(PA, SH, 1).on(PA, 1).held(SH, "ASSIGNED", 1)
         .on(PA, 2, 3).held(SH, "ASSIGNED", 2, 3)  # taken out of the files: stay, and send
         .on(PA, 4).held(SH, "PENDING_ASSIGNMENT", 4)  # in flight: not counted
         .on(PA, 5).held(XX, "ASSIGNED", 5)  # another campaign
         .on(PA, 6))  # no campaign
    said = [w for w in plan(e).warnings if "in no file" in w]
    assert said == ["2 numbers ASSIGNED to declared campaigns are in no file: prune is off, so they stay assigned "
                    "(and send); to unassign them, set `prune: true` under `policy:` or pass `--prune`"]
    one = Estate().declare(PA, SH, 1).on(PA, 1, 2).held(SH, "ASSIGNED", 1, 2)
    assert [w for w in plan(one).warnings if "in no file" in w] == [
        "1 number ASSIGNED to declared campaigns is in no file: prune is off, so it stays assigned (and sends); "
        "to unassign it, set `prune: true` under `policy:` or pass `--prune`"]
    assert not [w for w in plan(one, prune=True).warnings if "in no file" in w]
    assert not [w for w in plan(Estate().declare(PA, SH, 1).on(PA, 1).held(SH, "ASSIGNED", 1)).warnings
                if "in no file" in w]


def test_a_prune_that_leaves_numbers_on_declared_profiles_says_where():
    e = Estate(prune=True).declare(PA, TX, 1).declare(PB, TX, 2).on(PA, 1).on(PB, 2)
    for i, p in ((5, PA), (6, PA), (7, PB), (8, PU)):
        e.on(p, i).held(TX, "ASSIGNED", i)
    warnings = plan(e).warnings
    assert f"after the prune, 2 numbers stay on profile {PA} with no campaign (+14155550005, +14155550006): while " \
           "there, they keep that profile from bulk assignment; move them off the profile (to no profile) or " \
           "declare them" in warnings
    assert f"after the prune, 1 number stays on profile {PB} with no campaign (+14155550007): while there, it keeps " \
           "that profile from bulk assignment; move it off the profile (to no profile) or declare it" in warnings


def test_a_campaign_over_the_cap_with_pooling_is_not_warned_without_it_is():
    ids = list(range(1, 51))
    e = Estate().declare(PA, TX, *ids).on(PA, *ids).held(TX, "ASSIGNED", *ids)
    assert f"campaign {TX} holds 50 numbers, over the 49 T-Mobile allows without number pooling" in plan(e).warnings
    e.live.campaigns[TX] = replace(e.live.campaigns[TX], number_pooling=True)
    assert plan(e).warnings == ()


PHASE = "about 2 h at Telnyx, sometimes days"
# Freed, then assigned: the same durations table as the messaging estimate (about 3 h in all), never
# "about 2 h per phase" beside a one-hour unassignment.
BOTH = ("two phases: PENDING_UNASSIGNMENT about 1 h, then PENDING_ASSIGNMENT about 2 h; about 3 h in all, "
        "sometimes days")


def test_the_timeline_says_how_long_each_kind_of_change_takes():
    e = (Estate(prune=True).declare(PA, SH, 1, 2, 3).declare(PB, TX, 4, 5)
         .on(PA, 1, 2, 3).on(PB, 4, 5).held(XX, "ASSIGNED", 1, 4).on(PU, 9).held(TX, "ASSIGNED", 9))
    p = plan(e)
    assert (p.profiles[PA].strategy, p.profiles[PB].strategy) == (BULK, PER_NUMBER)
    assert list(p.timeline) == [
        f"5 numbers will be assigned: apply returns once Telnyx accepts the work; each number stays "
        f"PENDING_ASSIGNMENT for {PHASE}",
        f"of them, 1 number moves from another campaign by bulk assignment: Telnyx may skip numbers another campaign "
        f"holds; those are moved one by one where their campaign takes a move in place (Telnyx-registered), else "
        f"freed first and assigned in a second phase by `reconciler resume` ({BOTH})",
        f"of them, 1 number moves from another campaign one by one: if Telnyx refuses to move it in place, it is freed "
        f"first and assigned in a second phase ({BOTH})",
        "1 number loses its campaign: PENDING_UNASSIGNMENT for about 1 h at Telnyx, sometimes days",
    ]


def test_a_bulk_that_resends_assigned_numbers_says_so_and_max_reprovision_caps_it():
    e = Estate().declare(PA, SH, 1, 2, 3, 4).on(PA, 1, 2, 3, 4).held(SH, "ASSIGNED", 1, 2, 3)
    p = plan(e)
    assert p.profiles[PA].strategy == BULK and p.profiles[PA].resends == 3
    assert p.timeline[-1] == (
        f"bulk assignment re-sends 3 numbers already ASSIGNED to their campaign (a task takes every number of its "
        f"profile): if Telnyx provisions them again (unconfirmed), they are PENDING_ASSIGNMENT for {PHASE}; the "
        f"policy's max_reprovision caps how many")
    assert p.safe
    e.policy = Policy(max_reprovision=3)
    assert plan(e).safe
    e.policy = Policy(max_reprovision=2)
    assert plan(e).unsafe == (
        "bulk assignment would re-send 3 numbers already ASSIGNED, over max_reprovision 2 by 1 (profile prof-a: "
        "3); raise max_reprovision, or give the new numbers their own messaging profile",)


def test_nothing_to_do_has_no_timeline():
    assert plan(Estate().declare(PA, TX, 1).on(PA, 1).held(TX, "ASSIGNED", 1)).timeline == ()


@pytest.mark.parametrize("carrier, action", [(CARRIER_PENDING, Action.IN_FLIGHT), (CARRIER_FAILED, Action.BLOCKED)])
def test_a_number_assigned_at_telnyx_but_not_at_the_carriers_is_in_flight_or_blocked_in_their_words(carrier, action):
    e = Estate().declare(PA, TX, 1, 2, 3).on(PA, 1, 2, 3).held(TX, "ASSIGNED", 2)
    e.live.assignments[n(1)] = LiveAssignment(n(1), TX, "ASSIGNED", carrier=carrier, carrier_detail="T-Mobile: not yet")
    # On another campaign, what its carriers say of it there does not matter: it is reassigned.
    e.live.assignments[n(3)] = LiveAssignment(n(3), XX, "ASSIGNED", carrier=carrier, carrier_detail="T-Mobile: not yet")
    f = e.diff()
    assert (f[1].action, f[1].reason, f[1].live) == (action, "T-Mobile: not yet", LiveHalf(PA, TX, "ASSIGNED", carrier))
    assert (f[2].action, f[2].live) == (Action.OK, LiveHalf(PA, TX, "ASSIGNED"))
    assert f[3].action is Action.REASSIGN


def test_a_number_telnyx_is_still_assigning_is_in_flight_with_what_the_journal_says_of_it():
    e = Estate().declare(PA, TX, 1).on(PA, 1).held(TX, "PENDING_ASSIGNMENT", 1)
    assert (e.diff()[1].action, e.diff()[1].reason) == (Action.IN_FLIGHT, None)
    f = e.diff(in_flight={n(1): "bulk task T1 of run r1 accepted"})[1]
    assert (f.action, f.reason) == (Action.IN_FLIGHT, "bulk task T1 of run r1 accepted")


# ------------------------------------------------------------------------- diff: records the reconciler cannot trust


def test_a_declared_number_whose_record_names_an_id_in_no_ids_shape_is_blocked_naming_the_call_and_field():
    """The live layer reads a malformed profile or campaign id as INVALID_ID: its number is blocked,
    saying which record and field, never planned from (outside review: "reassign from invalid-id")."""
    from reconciler.model import INVALID_ID

    e = (Estate().declare(PA, TX, 1, 2, 3).on(PA, 1).on(INVALID_ID, 2).on(PA, 3)
         .held(TX, "ASSIGNED", 1).held(INVALID_ID, "ASSIGNED", 3))
    got = e.diff()
    assert got[1].action is Action.OK
    assert (got[2].action, got[2].reason) == (Action.BLOCKED, (
        "Telnyx's number record (GET /phone_numbers/messaging, field messaging_profile_id) names a messaging "
        "profile in a shape no id has: nothing is written to this number until it names a plain one; check the "
        "number in the portal"))
    assert (got[3].action, got[3].reason) == (Action.BLOCKED, (
        "Telnyx's assignment record (GET /10dlc/phone_number_campaigns, field tcrCampaignId, or campaignId) names "
        "a campaign in a shape no id has: nothing is written to this number until it names a plain one; check it "
        "in the portal"))
    assert not [f for f in plan(e).changes if f.writes]


def test_a_number_only_an_undeclared_write_holds_is_blocked_with_its_reason_and_in_flight_wins():
    """`held` (numbers only writes the files do not declare hold): blocked with why, unless Telnyx shows
    the number in flight, or a declared write holds it too (then it is in flight)."""
    e = Estate().declare(PA, TX, 1, 2, 3).on(PA, 1, 2, 3).held(TX, "PENDING_ASSIGNMENT", 2)
    why = "held by write 0123456789abcdef, naming campaign CEVIL01, which the files do not declare"
    got = e.diff(held={n(1): why, n(2): why}, in_flight={n(3): "journal"})
    assert (got[1].action, got[1].reason) == (Action.BLOCKED, why)
    assert got[2].action is Action.IN_FLIGHT  # Telnyx shows it pending: in flight, whoever holds it
    assert got[3].action is Action.IN_FLIGHT
    assert e.diff()[1].action is Action.ASSIGN  # not held: planned


def test_the_timeline_says_a_move_off_a_declared_shared_campaign_may_leave_it_blocked():
    # Outside review: "freed first" was said of numbers apply will not free (off a shared campaign,
    # without --shared-per-number): a refused PUT leaves them there, still sending, blocked.
    e = Estate().declare(PA, SH, 7, 8).declare(PA, TX, 1, 2).on(PA, 1, 2, 7, 8).held(SH, "ASSIGNED", 1, 2, 7, 8)
    p = plan(e)
    assert p.profiles[PA].strategy == PER_NUMBER
    assert "of them, 2 numbers move off a shared campaign one by one: if Telnyx refuses to move them in place, they stay " \
           "there, still sending, blocked unless --shared-per-number" in " ".join(p.timeline)
    assert "freed first" not in " ".join(p.timeline)
    opted = plan(e, shared_per_number=True)
    assert any(line.startswith("of them, 2 numbers move from another campaign one by one") for line in opted.timeline)
