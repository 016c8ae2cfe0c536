"""Messaging impact of a plan (plan/messaging.py): which declared numbers can send now and what the
plan's route does to them, counted in one pass; the same from a saved plan; the figures it uses."""

from __future__ import annotations

import dataclasses

import pytest

from reconciler import durations
from reconciler.model import LiveCampaign
from reconciler.plan import PlanOptions, make_plan
from reconciler.plan.messaging import FREED, IN_PLACE, PROFILE, Messaging, Route, headline, route_lines
from reconciler.planfile import dump, from_dict, plan_dict
from reconciler.render import plan_text
from reconciler.sandbox.timing import PRESETS

from tests.test_plan import P1, P2, SH, TX, TX2, state

HOURS = durations.FREE_THEN_ASSIGN / 3600


def m(plan) -> tuple[int, int, int, int]:
    x = plan.messaging
    return x.interrupted, x.interrupted_certain, x.resent, x.started


CASES = [
    # name, declared, live profiles, assignments, options, (interrupted, certain, resent, started), routes
    ("adopt: nothing sends yet", {P1: [(SH, [1, 2])]}, {1: P1, 2: P1}, {}, {}, (0, 0, 0, 2), []),
    ("a failed number is retried: it starts", {P2: [(TX, [1])]}, {1: P2}, {1: (TX, "FAILED_ASSIGNMENT")}, {},
     (0, 0, 0, 1), []),
    ("sending numbers moved to a shared campaign by bulk: freed first", {P1: [(SH, [1, 2])]}, {1: P1, 2: P1},
     {1: (TX, "ASSIGNED"), 2: (TX, "ASSIGNED")}, {}, (2, 2, 0, 0), [(FREED, TX, SH, 2)]),
    ("the same with per-number writes allowed: in place, possibly", {P1: [(SH, [1, 2])]}, {1: P1, 2: P1},
     {1: (TX, "ASSIGNED"), 2: (TX, "ASSIGNED")}, {"shared_per_number": True}, (2, 0, 0, 0),
     [(IN_PLACE, TX, SH, 2)]),
    ("a per-number move between Telnyx campaigns: PUT in place, possibly", {P2: [(TX, [1]), (TX2, [2])]},
     {1: P2, 2: P2}, {1: (TX2, "ASSIGNED"), 2: (TX2, "ASSIGNED")}, {}, (1, 0, 0, 0), [(IN_PLACE, TX2, TX, 1)]),
    ("a profile move may take its campaign", {P1: [(SH, [1])]}, {1: P2}, {1: (SH, "ASSIGNED")}, {},
     (1, 0, 0, 0), [(PROFILE, SH, SH, 1)]),
    ("a number on no profile sends nothing: its move starts it", {P1: [(SH, [1])]}, {1: None},
     {1: (SH, "ASSIGNED")}, {}, (0, 0, 0, 1), []),
    ("a number still pending sends nothing: its move is in flight, not counted", {P1: [(SH, [1])]}, {1: P1},
     {1: (SH, "PENDING_ASSIGNMENT")}, {}, (0, 0, 0, 0), []),
    ("off an expired (declared) campaign: the reassignment starts it", {P2: [(TX, [1]), ("CDEAD01", [])]}, {1: P2},
     {1: ("CDEAD01", "ASSIGNED")}, {}, (0, 0, 0, 1), []),
    ("a sending number a bulk task re-sends", {P1: [(SH, [1, 2])]}, {1: P1, 2: P1}, {1: (SH, "ASSIGNED")}, {},
     (0, 0, 1, 1), []),
    ("unchanged numbers: nothing", {P1: [(SH, [1])]}, {1: P1}, {1: (SH, "ASSIGNED")}, {}, (0, 0, 0, 0), []),
]


@pytest.mark.parametrize("name,declared,live,assigned,options,expected,routes", CASES, ids=[c[0] for c in CASES])
def test_messaging_impact(name, declared, live, assigned, options, expected, routes):
    desired, state_ = state(declared, live, assigned)
    plan = make_plan(desired, state_, PlanOptions(**options))
    assert m(plan) == expected
    assert [(r.route, r.from_campaign, r.to_campaign, r.numbers) for r in plan.messaging.routes] == routes
    assert plan.messaging.interrupted_number_hours == round(expected[0] * HOURS, 1)
    # a saved plan says the same (it is rebuilt from what the file keeps)
    again = from_dict(dump(plan))
    assert again.messaging == plan.messaging
    assert plan_dict(again)["messaging"] == plan_dict(plan)["messaging"]


def test_an_undeclared_campaign_counts_as_sending_and_a_dormant_one_does_not():
    # CDORM01 (TCR_SUSPENDED) is declared: its numbers send nothing; an undeclared campaign's status is
    # not read, so its numbers count as sending (an interruption is never hidden).
    campaigns = {SH: LiveCampaign(SH, "shared", "ACCEPTED", "MNO_PROVISIONED"),
                 "CDORM01": LiveCampaign("CDORM01", "telnyx", None, "TCR_SUSPENDED")}
    desired, live = state({P1: [(SH, [1, 2])], P2: [("CDORM01", [3])]}, {1: P1, 2: P1, 3: P2},
                          {1: ("CUNKN01", "ASSIGNED"), 2: ("CDORM01", "ASSIGNED")}, campaigns=campaigns)
    # Number 1's record names a brand: a Telnyx-registered campaign (a move off an unknown, possibly shared,
    # one to a shared campaign is blocked: freeing it would take a per-number DELETE on a shared campaign).
    one = next(iter(live.assignments))
    live.assignments[one] = dataclasses.replace(live.assignments[one], shared=False)
    plan = make_plan(desired, live)
    assert (plan.messaging.interrupted, plan.messaging.started) == (1, 2)


def test_the_markdown_names_resume_as_code_and_keeps_data_escaped():
    from reconciler.render import plan_markdown

    desired, live = state({P1: [(SH, [1, 2])]}, {1: P1, 2: P1}, {1: (TX, "ASSIGNED"), 2: (TX, "ASSIGNED")})
    why = next(x for x in plan_markdown(make_plan(desired, live)).splitlines() if x.startswith("- why freed first: "))
    assert why.endswith("then assigned (`reconciler resume`)") and "\\`" not in why, why


def test_the_plan_says_it_first_in_words_and_marks_each_number():
    desired, live = state({P1: [(SH, [1, 2])]}, {1: P1, 2: P1}, {1: (TX, "ASSIGNED"), 2: (TX, "ASSIGNED")})
    lines = plan_text(make_plan(desired, live)).splitlines()
    assert lines[1] == "Messaging: 2 numbers that send today stop, about 6 number-hours without service"
    assert lines[2] == "  - 2 numbers that send today stop for about 3 h: freed from CTELNX1, then assigned to CSHARE1"
    assert lines[3].startswith("  - why freed first: ")
    assert lines[5].startswith("Blast radius: 2 sending numbers to stop (or may), 0 to start sending; ")
    assert "reassign from CTELNX1 [stops sending: freed first]" in lines[-1] or any(
        "[stops sending: freed first]" in x for x in lines)


def test_words_for_mixed_certainty_and_a_bounded_list_of_routes():
    routes = tuple(Route(FREED if i == 0 else IN_PLACE, f"COLD{i:03d}", "CNEW001", 10 - i, 3 * 3600.0)
                   for i in range(6))
    x = Messaging(45, 10, 3, 2, 135.0, routes)
    assert headline(x) == ("45 numbers that send today stop or may stop (10 certainly), up to about 135 number-hours "
                           "without service; 3 sending numbers may stop for up to about 2 h: a bulk task re-sends "
                           "them (if Telnyx provisions them again, they are PENDING_ASSIGNMENT, and a few may fail); "
                           "2 numbers start sending once they are assigned (about 2 h)")
    # Only re-sent: said first as what it is, no campaign changes, and counted in the blast radius.
    only = Messaging(resent=245)
    assert headline(only).startswith("no number's campaign changes, but 245 sending numbers may stop for up to about "
                                     "2 h: a bulk task re-sends them"), headline(only)
    assert only.may_stop == 245 and only.interrupted == 0
    lines = route_lines(x)
    assert len(lines) == 5 and lines[-2] == "…and 18 numbers on 3 other routes (in the JSON plan)"
    assert lines[-1].startswith("why freed first: a bulk task does not take a number another campaign holds")
    assert headline(Messaging()) == "no number that sends today stops, none starts"


def test_typical_durations_are_the_ones_the_sandbox_realistic_preset_uses():
    real = PRESETS["realistic"]
    assert (durations.TASK, durations.ORDER, durations.ASSIGNMENT, durations.UNASSIGNMENT) == (
        real.task_delay, real.order_delay, real.assignment_delay, real.unassignment_delay)
    assert durations.hours(durations.FREE_THEN_ASSIGN) == "about 3 h"
    assert durations.hours(600) == "about 10 min"


def test_number_hours_use_the_accounts_observed_durations_when_the_history_has_them():
    """The same figures status's ETAs use (durations.Figures): observed medians where the state folder's
    history has enough, and the plan says so; without them, Telnyx's typical figures."""
    desired, live = state({P1: [(SH, [1, 2])]}, {1: P1, 2: P1}, {1: (TX, "ASSIGNED"), 2: (TX, "ASSIGNED")})
    plan = make_plan(desired, live)
    plan.figures = durations.Figures({"assignment": [1800.0] * 5, "unassignment": [600.0] * 5, "task": [60.0] * 5})
    assert plan.messaging.routes[0].hours_each == 2460.0
    assert plan.messaging.interrupted_number_hours == round(2 * 2460 / 3600, 1)
    text = plan_text(plan).splitlines()
    assert text[1] == "Messaging: 2 numbers that send today stop, about 1.4 number-hours without service"
    assert ("  - hours estimated from this account's observed durations (5 tasks, 5 assignments, "
            "5 unassignments)") in text
    assert plan_dict(plan)["messaging"]["hours_from"] == ("this account's observed durations (5 tasks, 5 assignments, "
                                                          "5 unassignments)")
    # The timeline says the same figures as the messaging estimate (operations.plan_live sets both).
    from reconciler.plan.report import timeline_for

    timeline = " ".join(timeline_for(plan.changes, plan.profiles, plan.counts, plan.figures))
    assert "PENDING_UNASSIGNMENT about 10 min, then PENDING_ASSIGNMENT about 30 min; about 41 min in all" in timeline
    assert durations.hours(plan.messaging.routes[0].hours_each) == "about 41 min"
    assert "hours_from" not in plan_dict(make_plan(desired, live))["messaging"]
