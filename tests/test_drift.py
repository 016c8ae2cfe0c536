"""Drift classes, one finding at a time: what each kind of difference is called, and when it counts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.diff import Action, Finding, LiveHalf
from reconciler.drift import KINDS, DriftReport, classify, drift_report
from reconciler.model import DesiredNumber, DesiredState
from reconciler.plan import Plan

A, B = "profile-a", "profile-b"
C, D = "CAMPAIGN1", "CAMPAIGN2"


def finding(action: Action, *, live_profile: str | None = A, live_campaign: str | None = None,
            status: str | None = None, move: bool = False, declared: bool = True, number: str = "+13125550001"
            ) -> Finding:
    """A number declared for profile A and campaign C (or declared nowhere), with what Telnyx holds now;
    `move` is what the finding derives (checked)."""
    f = Finding(number, action, DesiredNumber(number, A, C, "x.yaml", 1, 1) if declared else None,
                LiveHalf(live_profile, live_campaign, status))
    assert f.move is move
    return f


CLASSES = [
    # what Telnyx holds and the plan's action → drift kind
    ("undeclared, any action", finding(Action.UNASSIGN, live_campaign=C, status="ASSIGNED", declared=False),
     "unmanaged"),
    ("undeclared and only listed", finding(Action.UNMANAGED, declared=False), "unmanaged"),
    ("pending at Telnyx", finding(Action.IN_FLIGHT, live_campaign=C, status="PENDING_ASSIGNMENT"), "in_flight"),
    ("blocked wins over a failure", finding(Action.BLOCKED, live_campaign=C, status="FAILED_ASSIGNMENT"), "blocked"),
    ("failed assignment", finding(Action.RETRY, live_campaign=C, status="FAILED_ASSIGNMENT"), "failed"),
    ("failed unassignment", finding(Action.MOVE, live_profile=B, live_campaign=C, status="FAILED_UNASSIGNMENT",
                                    move=True), "failed"),
    ("never assigned, on its profile", finding(Action.ASSIGN), "unapplied"),
    ("never assigned, on no profile yet", finding(Action.ASSIGN, live_profile=None, move=True), "unapplied"),
    ("no campaign and moved to another profile", finding(Action.ASSIGN, live_profile=B, move=True), "out_of_band"),
    ("on another campaign, on no profile", finding(Action.REASSIGN, live_profile=None, live_campaign=D,
                                                   status="ASSIGNED", move=True), "out_of_band"),
    ("on another campaign", finding(Action.REASSIGN, live_campaign=D, status="ASSIGNED"), "out_of_band"),
    ("right campaign, profile changed", finding(Action.MOVE, live_profile=B, live_campaign=C, status="ASSIGNED",
                                                move=True), "out_of_band"),
    ("retry with no failure recorded", finding(Action.RETRY, live_campaign=C, status="ASSIGNED"), "out_of_band"),
    ("converged", finding(Action.OK, live_campaign=C, status="ASSIGNED"), None),
]


@pytest.mark.parametrize("f, kind", [c[1:] for c in CLASSES], ids=[c[0] for c in CLASSES])
def test_classify(f, kind):
    assert classify(f) == kind


def plan_of(*findings: Finding, prune: bool = False) -> Plan:
    return Plan(DesiredState({}, {}), tuple(findings), {}, {}, {}, prune=prune)


def numbered(f: Finding, i: int) -> Finding:
    number = f"+1312555{i:04d}"
    return replace(f, number=number, desired=replace(f.desired, number=number) if f.desired else None)


def kinds(report: DriftReport) -> dict[str, list[int]]:
    return {k: [int(f.number[-4:]) for f in v] for k, v in report.items.items() if v}


UNAPPLIED = finding(Action.ASSIGN)
IN_FLIGHT = finding(Action.IN_FLIGHT, live_campaign=C, status="PENDING_ASSIGNMENT")
BLOCKED = finding(Action.BLOCKED)
ELSEWHERE = finding(Action.REASSIGN, live_campaign=D, status="ASSIGNED")


def test_an_unapplied_number_this_repository_assigned_before_was_removed_out_of_band():
    plan = plan_of(numbered(UNAPPLIED, 1), numbered(UNAPPLIED, 2), numbered(BLOCKED, 3), numbered(IN_FLIGHT, 4),
                   numbered(ELSEWHERE, 5), numbered(ELSEWHERE, 6))
    # The journal: what this repository last set. 6 is still on it (D): the files moved on since.
    applied = {f"+1312555{i:04d}": C for i in (1, 3, 4, 5)} | {"+13125550006": D}
    assert kinds(drift_report(plan, applied)) == {"out_of_band": [1, 5], "unapplied": [2, 6], "blocked": [3],
                                                  "in_flight": [4]}


@pytest.mark.parametrize("age, stuck_after, kind", [
    (None, 0.0, "in_flight"),  # no age known: not stuck, however short the limit
    (3600.0, 3600.0, "in_flight"),  # exactly at the limit: not yet
    (3600.5, 3600.0, "stuck"),
    (72 * 3600.0 + 1, None, "stuck"),  # the default limit: 72 h
    (72 * 3600.0, None, "in_flight"),
])
def test_work_in_flight_longer_than_the_limit_is_stuck(age, stuck_after, kind):
    ages = {} if age is None else {IN_FLIGHT.number: age}
    extra = {} if stuck_after is None else {"stuck_after": stuck_after}
    assert kinds(drift_report(plan_of(IN_FLIGHT), ages=ages, **extra)) == {kind: [1]}


def test_only_work_in_flight_can_be_stuck():
    plan = plan_of(numbered(BLOCKED, 1), numbered(UNAPPLIED, 2), numbered(IN_FLIGHT, 3))
    ages = {f"+1312555{i:04d}": 1e9 for i in (1, 2, 3)}
    assert kinds(drift_report(plan, ages=ages, stuck_after=10.0)) == {"blocked": [1], "unapplied": [2], "stuck": [3]}


def test_a_number_held_back_by_an_undeclared_write_past_the_limit_is_stuck():
    """Blocked because only a journalled write the files do not declare holds it (issue 24): stuck
    once held longer than the limit; younger, or blocked for another reason, it stays blocked."""
    plan = plan_of(numbered(BLOCKED, 1), numbered(BLOCKED, 2), numbered(BLOCKED, 3))
    ages = {"+13125550001": 1e9, "+13125550002": 5.0, "+13125550003": 1e9}
    held = frozenset({"+13125550001", "+13125550002"})
    assert kinds(drift_report(plan, ages=ages, stuck_after=10.0, held=held)) == {"stuck": [1], "blocked": [2, 3]}


def test_the_report_keeps_what_it_was_made_from():
    plan = plan_of(IN_FLIGHT, prune=True)
    ages = {IN_FLIGHT.number: 5.0}
    report = drift_report(plan, ages=ages, stuck_after=60.0)
    assert report.plan is plan and report.prune is True and report.stuck_after == 60.0 and report.ages == ages
    assert report.counts == dict.fromkeys(KINDS, 0) | {"in_flight": 1}
    assert drift_report(plan_of(IN_FLIGHT)).prune is False


UNMANAGED = finding(Action.UNMANAGED, declared=False)
UNMANAGED_ASSIGNED = finding(Action.UNASSIGN, live_campaign=C, status="ASSIGNED", declared=False)


@pytest.mark.parametrize("findings, prune, drifted", [
    ((), True, False),
    ((IN_FLIGHT,), True, False),  # work in progress is never drift
    ((UNMANAGED,), False, False),  # the files say to leave undeclared numbers alone
    ((UNMANAGED,), True, False),  # under prune, one with no campaign is what prune asks for (pruned)
    ((UNMANAGED_ASSIGNED,), True, True),  # under prune, one still on a campaign should go: drift
    ((UNMANAGED_ASSIGNED,), False, False),
    ((BLOCKED,), False, True),
    ((UNAPPLIED,), False, True),
    ((ELSEWHERE,), False, True),
])
def test_what_counts_as_drift(findings, prune, drifted):
    report = drift_report(plan_of(*findings, prune=prune))
    assert report.drifted is drifted


PRUNE_CLASSES = [
    # an undeclared number under prune (reviewed plan's action, what Telnyx holds, journalled) → drift kind
    ("still on a declared campaign: apply unassigns it",
     finding(Action.UNASSIGN, live_campaign=C, status="ASSIGNED", declared=False), False, "unmanaged"),
    ("a failed unassignment: apply unassigns it again",
     finding(Action.UNASSIGN, live_campaign=C, status="FAILED_UNASSIGNMENT", declared=False), False, "unmanaged"),
    ("on a campaign the prune cannot reach", finding(Action.UNMANAGED, live_campaign=D, status="ASSIGNED",
                                                     declared=False), False, "unmanaged"),
    ("being unassigned at Telnyx", finding(Action.UNMANAGED, live_campaign=C, status="PENDING_UNASSIGNMENT",
                                           declared=False), False, "in_flight"),
    ("under an open write, Telnyx not showing it yet",
     finding(Action.UNMANAGED, live_campaign=C, status="ASSIGNED", declared=False), True, "in_flight"),
    ("under an open write, already freed", finding(Action.UNMANAGED, declared=False), True, "in_flight"),
    ("being assigned by someone else: drift once it lands",
     finding(Action.UNMANAGED, live_campaign=C, status="PENDING_ASSIGNMENT", declared=False), False, "unmanaged"),
    ("no campaign, on a declared profile", finding(Action.UNMANAGED, declared=False), False, "pruned"),
    ("a failed assignment to a declared campaign: the plan prunes it too",
     finding(Action.UNASSIGN, live_campaign=C, status="FAILED_ASSIGNMENT", declared=False), False, "unmanaged"),
]


@pytest.mark.parametrize("f, journalled, kind", [c[1:] for c in PRUNE_CLASSES], ids=[c[0] for c in PRUNE_CLASSES])
def test_classify_an_undeclared_number_under_prune(f, journalled, kind):
    """Drift agrees with the plan under prune (outside review: drift exited 2 while its own prune was in
    flight, and forever after it, while plan said "no changes")."""
    assert classify(f, prune=True, journalled=frozenset({f.number}) if journalled else frozenset()) == kind
    # Without prune, every undeclared number is only listed, whatever it shows.
    assert classify(f, prune=False, journalled=frozenset({f.number})) == "unmanaged"


def test_under_prune_a_declared_number_is_classified_as_without():
    for _, f, kind in CLASSES:
        if f.desired is not None:
            assert classify(f, prune=True, journalled=frozenset({f.number})) == kind


def test_a_pruned_number_in_flight_past_the_limit_is_stuck():
    pending = finding(Action.UNMANAGED, live_campaign=C, status="PENDING_UNASSIGNMENT", declared=False)
    report = drift_report(plan_of(pending, prune=True), ages={pending.number: 1e9}, stuck_after=10.0)
    assert kinds(report) == {"stuck": [1]} and report.drifted
    report = drift_report(plan_of(pending, prune=True), ages={pending.number: 5.0}, stuck_after=10.0)
    assert kinds(report) == {"in_flight": [1]} and not report.drifted


def test_the_journal_makes_an_undeclared_number_in_flight_only_under_prune():
    f = finding(Action.UNASSIGN, live_campaign=C, status="ASSIGNED", declared=False)
    journalled = frozenset({f.number})
    assert kinds(drift_report(plan_of(f, prune=True), journalled=journalled)) == {"in_flight": [1]}
    assert kinds(drift_report(plan_of(f, prune=False), journalled=journalled)) == {"unmanaged": [1]}


@pytest.mark.parametrize("prune", [False, True])
def test_every_kind_but_in_flight_pruned_and_unpruned_unmanaged_counts(prune):
    report = drift_report(plan_of(prune=prune))
    counted = {k for k in KINDS if report.counts_as_drift(k)}
    expected = {"unapplied", "out_of_band", "stuck", "failed", "blocked"} | ({"unmanaged"} if prune else set())
    assert counted == expected


def test_drift_text_says_drift_first_and_a_reason_shared_by_many_places_once():
    """What is drift comes before what is only counted, and a counted reason shared by several profiles
    heads their counts instead of being said once per profile (outside review at 3,000 numbers)."""
    from reconciler.render import drift_text
    from tests.test_plan_rules import PA, PB, TX, Estate, plan

    e = (Estate().declare(PA, TX, 1).declare(PB, TX, 2).on(PA, 1, 11, 12, 13).on(PB, 2, 21, 22)
         .held(TX, "ASSIGNED", 2))  # 1: declared, not assigned (unapplied); 11-13, 21-22: no campaign
    text = drift_text(drift_report(plan(e)))
    assert text.startswith("Drift: 1 unapplied; not drift: 5 unmanaged\n"), text  # counted, not called drift
    assert text.index("Unapplied:") < text.index("Unmanaged (counted only: prune is off):"), text
    reason = "unmanaged — on a declared profile with no campaign"
    assert text.count(reason) == 1, text
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if reason in line)
    assert lines[at].startswith("  5 numbers on 2 profiles and campaigns: " + reason), lines[at]
    assert lines[at + 1:at + 3] == ["    3 on profile PROF-A (prof-a…), no campaign",
                                     "    2 on profile PROF-B (prof-b…), no campaign"], lines
    one = drift_text(drift_report(plan(Estate().declare(PA, TX, 1).on(PA, 1, 11, 12).held(TX, "ASSIGNED", 1))))
    assert one.startswith("Drift: none; not drift: 2 unmanaged\n"), one
    assert f"  2 numbers on profile PROF-A (prof-a…), no campaign: {reason}" in one, one
