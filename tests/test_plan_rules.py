"""diff and plan rule by rule: the exact finding (every field) for each kind of number, and the exact
counts, strategies, notes, warnings and limits a plan derives from them. `test_plan.py` covers whole
estates; here each case changes one fact."""

from __future__ import annotations

import pytest

from reconciler.diff import Action, Finding, campaign_problem, diff, diff_changes
from reconciler.model import DesiredNumber, DesiredProfile, DesiredState, Policy
from reconciler.model import LiveAssignment, LiveCampaign, LiveNumber, LiveState

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
      declared=True) -> Finding:
    return Finding(n(i), action, profile, campaign, live_profile, live_campaign, live_status, move, reason, declared)


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
        20: F(20, Action.BLOCKED, PB, TX, None, None, None, reason=NOT_OWNED),
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
    assert (f.action, f.move, f.live_profile_id) == (action, move, PB)


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


def test_numbers_declared_outside_a_subset_run_are_never_unmanaged():
    e = Estate(prune=True).declare(PA, SH, 1).on(PA, 1, 8, 9).held(SH, "ASSIGNED", 1, 8)
    e.out_of_scope = frozenset({n(8), n(9)})
    assert set(e.diff()) == {1}
