"""Messaging impact of a plan (plan/messaging.py): which declared numbers can send now and what the
plan's route does to them, counted in one pass; the same from a saved plan; the figures it uses."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from reconciler import durations
from reconciler.model import LiveCampaign
from reconciler.plan import PlanOptions, make_plan
from reconciler.plan.messaging import (FREED, IN_PLACE, PROFILE, Messaging, Route, campaign_sends, headline, impact,
                                       route_lines)
from reconciler.planfile import change_entry, dump, from_dict, plan_dict
from reconciler.render import plan_text
from reconciler.sandbox.timing import PRESETS

from tests.test_plan import CAMPAIGNS, P1, P2, SH, TX, TX2, num, state

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
    ("a new number before a sending one moved: one starts, one stops", {P1: [(SH, [1, 2])]}, {1: P1, 2: P1},
     {2: (TX, "ASSIGNED")}, {}, (1, 1, 0, 1), [(FREED, TX, SH, 1)]),
    ("off an expired campaign onto a dormant one: it sends neither before nor after",
     {P2: [("CDORM01", [1]), ("CDEAD01", [])]}, {1: P2}, {1: ("CDEAD01", "ASSIGNED")}, {}, (0, 0, 0, 0), []),
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
    assert lines[4].startswith("Blast radius: 2 sending numbers to stop (or may), 0 to start sending; ")
    assert lines[5].startswith("Checksum: ")  # after what the plan does
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


@pytest.mark.parametrize("name,declared,live,assigned,options,expected,routes", CASES, ids=[c[0] for c in CASES])
def test_one_pass_over_every_change_says_what_the_plans_counts_say(name, declared, live, assigned, options,
                                                                   expected, routes):
    """Without counts, impact looks at every change; with them (what a plan passes), it takes starts from the
    counts and looks only at reassignments and moves: the same answer either way."""
    desired, state_ = state(declared, live, assigned)
    plan = make_plan(desired, state_, PlanOptions(**options))
    by_default = {"shared_per_number": True} if options.get("shared_per_number") else {}  # off unless asked
    assert impact(plan.changes, plan.profiles, plan.campaigns, **by_default) == plan.messaging
    # Every change the JSON plan lists says whether it stops a sending number, as the routes do.
    said = [change_entry(f, {}, plan).get("interrupts") for f in plan.changes]
    assert said.count("certainly") == expected[1] and said.count("possibly") == expected[0] - expected[1]


def test_counts_without_reassignments_or_moves_spare_the_pass():
    """A million assignments are counted, not read one by one."""
    def unread():
        raise AssertionError("the changes were read")
        yield

    assert impact(unread(), {}, {}, counts={"assign": 2, "retry": 1, "reassign": 0, "move": 0}) == Messaging(started=3)
    assert impact(unread(), {}, {}, counts={}) == Messaging()


@dataclass
class Profile:  # what messaging reads of a plan's profile
    strategy: str = "per_number"
    resends: int = 0
    resend_campaign: str | None = None
    bulk_campaign: str | None = None


def test_re_sends_count_where_the_bulk_campaign_sends_or_is_not_known():
    profiles = {"dormant": Profile("bulk", 2, "CDORM01"), "sending": Profile("bulk", 3, SH),
                "undeclared": Profile("bulk", 4, "CUNDECL"), "unknown": Profile("bulk", 5, None),
                "none": Profile("bulk", 0, SH)}
    campaigns = {c: CAMPAIGNS[c] for c in ("CDORM01", SH)}
    assert impact((), profiles, campaigns).resent == 3 + 4 + 5


def test_a_reassignment_to_a_campaign_the_files_do_not_declare_starts_its_number():
    desired, live = state({P2: [(TX, [1]), ("CDORM01", [])]}, {1: P2}, {1: ("CDORM01", "ASSIGNED")})
    plan = make_plan(desired, live)
    assert plan.messaging.started == 1
    without_target = {k: v for k, v in plan.campaigns.items() if k != TX}
    assert impact(plan.changes, plan.profiles, without_target, counts=plan.counts).started == 1
    assert [change_entry(f, {}, plan).get("interrupts") for f in plan.changes] == [None]  # it sent nothing


def _change(action: str, frm: str | None, to: str, status: str | None = "ASSIGNED"):
    """A declared change as messaging reads it (diff.Finding's fields it uses)."""
    live = None if status is None else SimpleNamespace(status=status, profile_id=P2, tcr_campaign_id=frm)
    return SimpleNamespace(action=SimpleNamespace(_value_=action), writes=True, live=live,
                           desired=SimpleNamespace(tcr_campaign_id=to, profile_id=P1))


def test_routes_are_listed_busiest_first_then_by_route_and_campaigns():
    changes = [_change("assign", None, "CY", status=None), _change("reassign", "CDORM01", "CY"),
               _change("reassign", "CZ", "CY"), _change("reassign", "CA", "CZ"), _change("reassign", "CA", "CB"),
               _change("move", "CB", "CB")] + [_change("move", "CM", "CM")] * 3
    profiles, campaigns = {P1: Profile()}, {"CDORM01": CAMPAIGNS["CDORM01"]}
    m = impact(changes, profiles, campaigns)
    assert [(r.route, r.from_campaign, r.to_campaign, r.numbers) for r in m.routes] == [
        (PROFILE, "CM", "CM", 3), (IN_PLACE, "CA", "CB", 1), (IN_PLACE, "CA", "CZ", 1), (IN_PLACE, "CZ", "CY", 1),
        (PROFILE, "CB", "CB", 1)]
    assert (m.interrupted, m.interrupted_certain, m.resent, m.started) == (7, 0, 0, 2)  # the dormant one starts
    assert impact(changes, profiles, campaigns, counts={"assign": 1, "reassign": 4, "move": 4}) == m


def test_a_shared_campaign_sends_only_once_its_share_is_accepted():
    assert not campaign_sends(LiveCampaign("CSHPEND", "shared", "PENDING", "MNO_PROVISIONED"))
    assert campaign_sends(LiveCampaign("CSHACC", "shared", "accepted", "MNO_PROVISIONED"))
    assert campaign_sends(LiveCampaign("CSHUNK", "shared", None, "MNO_ACCEPTED"))  # unknown: not hidden
    assert campaign_sends(LiveCampaign("CTXOWN", "telnyx", "PENDING", "MNO_PROVISIONED"))  # only shares wait
    assert not campaign_sends(CAMPAIGNS["CDORM01"]) and campaign_sends(None)


def test_words_for_one_number():
    three_h = durations.FREE_THEN_ASSIGN
    freed = Route(FREED, TX, SH, 1, three_h)
    one = Messaging(1, 1, 0, 0, 3.0, (freed,))
    assert headline(one) == "1 number that sends today stops, about 3 number-hours without service"
    assert route_lines(one)[0] == "1 number that sends today stops for about 3 h: freed from CTELNX1, then assigned to CSHARE1"
    leaves = [route_lines(Messaging(routes=(Route(PROFILE, SH, SH, n, three_h),)))[0] for n in (1, 2)]
    assert leaves == [
        "1 number that sends today may stop for up to about 3 h: leaving its messaging profile may take campaign "
        "CSHARE1 (Telnyx does not say); then it is assigned to it again",
        "2 numbers that send today may stop for up to about 3 h: leaving their messaging profile may take campaign "
        "CSHARE1 (Telnyx does not say); then they are assigned to it again"]
    assert headline(Messaging(started=1)) == ("no number that sends today stops; 1 number starts sending once it is "
                                              "assigned (about 2 h)")
    busy = Route(IN_PLACE, TX, TX2, 5, three_h)
    assert route_lines(Messaging(routes=(busy, busy, busy, Route(IN_PLACE, TX2, TX, 1, three_h))))[-1] == (
        "…and 1 number on 1 other route (in the JSON plan)")


def test_the_json_plan_gives_each_routes_hours_to_two_decimals():
    assert Messaging(routes=(Route(IN_PLACE, TX, TX2, 1, 3618.72),)).as_dict()["routes"] == [
        {"route": IN_PLACE, "certain": False, "from_campaign": TX, "to_campaign": TX2, "numbers": 1,
         "hours_each": 1.01, "may_block": False}]


def test_a_prune_of_sending_numbers_stops_them_for_good_and_counts_with_those_that_may_stop():
    """An undeclared number the prune unassigns stops sending for good (outside review at 3,000 numbers: 15
    sending numbers were pruned outside every change window while the plan said none stops). Only one that
    sends now counts: not a failed one, one on no profile, or one on a campaign that cannot carry traffic."""
    desired, live = state({P2: [(TX, [1]), ("CDORM01", [])]}, {1: P2, 2: P2, 3: P2, 4: None, 5: P2},
                          {1: (TX, "ASSIGNED"), 2: (TX, "ASSIGNED"), 3: (TX, "FAILED_ASSIGNMENT"),
                           4: (TX, "ASSIGNED"), 5: ("CDORM01", "ASSIGNED")}, prune=True)
    per_number = PlanOptions(shared_per_number=True)  # CDORM01 is shared: a per-number removal needs this
    plan = make_plan(desired, live, per_number)
    assert plan.counts["unassign"] == 4
    x = plan.messaging
    assert (x.pruned, x.interrupted, x.resent, x.started, x.may_stop) == (1, 0, 0, 0, 1)
    assert x.as_dict()["pruned"] == 1 and x.as_dict()["interrupted"] == 0  # the contract's `interrupted`: declared
    assert plan_dict(plan)["blast_radius"]["stop_sending"] == 1
    # the same from every change read one by one, and from a saved plan
    assert impact(plan.changes, plan.profiles, plan.campaigns, True) == x
    # a campaign whose status is not read counts as sending: a stop is never hidden (2 and 5, not 3 or 4)
    assert impact(plan.changes, plan.profiles, {}, True, plan.counts).pruned == 2
    assert from_dict(dump(plan)).messaging == x
    assert headline(x) == ("1 sending number stops for good (pruned): the prune removes its campaign "
                           "(PENDING_UNASSIGNMENT about 1 h, then no campaign)")
    # without a prune the same numbers are unmanaged: nothing stops
    assert make_plan(desired, live, PlanOptions(prune=False, shared_per_number=True)).messaging == Messaging()
    # each change says it: only the pruned number that sends now is marked (the JSON, and the list's words)
    marked = {f.number: change_entry(f, {}, plan).get("interrupts") for f in plan.changes if f.action.value == "unassign"}
    assert marked == {num(2): "pruned", num(3): None, num(4): None, num(5): None}
    assert f"{num(2)}  unassign [stops sending: pruned]" in plan_text(plan)


def test_the_prune_is_said_first_and_a_re_send_beside_it_does_not_claim_no_campaign_changes():
    both = Messaging(resent=2, pruned=3, started=1)
    assert bool(Messaging(pruned=1)) and both.may_stop == 5
    said = headline(both)
    assert said.startswith("3 sending numbers stop for good (pruned): the prune removes their campaign")
    assert "no number" not in said and "; 2 sending numbers may stop for up to about 2 h: a bulk task" in said


# ------------------------------------------------------------------ outside review: claims under every mode

def _s2(**options):
    """12 numbers on P1 (SH), 4 on P2 (SH2); the files move 8 of the 12 to P2 on SH2 (both shared)."""
    from tests.test_plan import SH2, _with_second_shared

    desired, live = state({P1: [(SH, [9, 10, 11, 12])], P2: [(SH2, [1, 2, 3, 4, 5, 6, 7, 8, 20, 21, 22, 23])]},
                          {**{i: P1 for i in range(1, 13)}, **{i: P2 for i in range(20, 24)}},
                          {**{i: (SH, "ASSIGNED") for i in range(1, 13)}, **{i: (SH2, "ASSIGNED") for i in range(20, 24)}},
                          campaigns=_with_second_shared())
    return make_plan(desired, live, PlanOptions(**options)), SH2


def test_leaving_a_profile_off_a_shared_campaign_may_free_the_numbers_or_leave_them_blocked():
    # profile_leave=unassign frees them (then the bulk assigns them: about 3 h); keep leaves them on the
    # shared campaign, where the bulk may move them in place or skip them, and apply will not DELETE them
    # from a shared campaign without --shared-per-number: blocked, still sending. Never certain.
    plan, sh2 = _s2()
    x = plan.messaging
    assert (x.interrupted, x.interrupted_certain, x.may_block) == (8, 0, 8)
    assert [(r.route, r.from_campaign, r.to_campaign, r.numbers, r.may_block) for r in x.routes] == \
        [(PROFILE, SH, sh2, 8, True)]
    assert x.as_dict()["routes"][0]["certain"] is False and x.as_dict()["may_block"] == 8
    text = plan_text(plan)
    assert ("Messaging: 8 numbers that send today may stop, up to about 24.1 number-hours without service; 8 of them "
            "may instead be blocked, still sending on a shared campaign (see below)") in text
    assert (f"  - 8 numbers that send today may stop for up to about 3 h: leaving their messaging profile may free them "
            f"from {SH} (Telnyx does not say); then they are assigned to {sh2}; if Telnyx keeps them on {SH}, they are "
            f"moved in place if Telnyx takes the move, else they stay on {SH}, still sending, and are blocked unless "
            f"--shared-per-number (apply does not take them off a shared campaign without it)") in text
    assert "why freed first" not in text and "[may stop sending]" in text
    # with the opt-in, apply may free them itself: no block
    opted, _ = _s2(shared_per_number=True)
    assert opted.messaging.may_block == 0 and all(not r.may_block for r in opted.messaging.routes)
    again = from_dict(dump(plan))
    assert again.messaging == plan.messaging


def test_a_profile_with_a_bulk_now_and_a_next_phase_bulk_may_re_send_its_numbers_twice():
    # The 4 numbers already on SH2 are re-sent by apply's bulk, and again by the next phase's bulk that
    # assigns the 8 once Telnyx has freed them (freeing may take longer than their provisioning).
    plan, _ = _s2()
    x = plan.messaging
    assert (x.resent, x.resent_twice) == (4, 4)
    assert x.resent_number_hours == round(8 * durations.IN_PLACE / 3600, 1)
    assert x.may_stop == 12  # numbers, not stops
    assert ("4 sending numbers may stop twice, for up to about 2 h each: a bulk task now and a next phase's bulk "
            "re-send them") in headline(x)
    assert plan_dict(plan)["messaging"]["resent_twice"] == 4


def test_a_bulk_with_no_next_phase_re_sends_once():
    desired, live = state({P1: [(SH, [1, 2])]}, {1: P1, 2: P1}, {1: (SH, "ASSIGNED")})
    x = make_plan(desired, live).messaging
    assert (x.resent, x.resent_twice) == (1, 0)
    assert "may stop for up to about 2 h: a bulk task re-sends it" in headline(x)
    assert x.resent_number_hours == round(durations.IN_PLACE / 3600, 1)


def test_a_refused_move_off_a_shared_campaign_leaves_the_number_blocked_not_freed():
    # Shared -> Telnyx-registered on one profile: a PUT may move them in place; if Telnyx refuses it
    # (put_existing=reject), apply will not free them from the shared campaign without the opt-in.
    desired, live = state({P1: [(SH, [7, 8, 9, 10]), (TX, [1, 2, 3, 4, 5, 6])]}, {i: P1 for i in range(1, 11)},
                          {i: (SH, "ASSIGNED") for i in range(1, 11)})
    plan = make_plan(desired, live)
    x = plan.messaging
    assert [(r.route, r.from_campaign, r.to_campaign, r.numbers, r.may_block) for r in x.routes] == \
        [(IN_PLACE, SH, TX, 6, True)]
    text = plan_text(plan)
    assert (f"6 numbers that send today may stop for up to about 3 h: moved from {SH} to {TX} in place (whether they "
            f"send while PENDING_ASSIGNMENT is unconfirmed); if Telnyx refuses the move, they stay on {SH}, still "
            f"sending, and are blocked unless --shared-per-number") in text
    assert "freed first if Telnyx refuses" not in text
    # off a Telnyx-registered campaign, a refusal frees it first, as before
    desired, live = state({P2: [(TX, [1]), (TX2, [2])]}, {1: P2, 2: P2}, {1: (TX2, "ASSIGNED"), 2: (TX2, "ASSIGNED")})
    y = make_plan(desired, live).messaging
    assert y.may_block == 0 and "or freed first if Telnyx refuses the move" in route_lines(y)[0]
    # with the opt-in, apply frees it itself
    opted = make_plan(*state({P1: [(SH, [7, 8, 9, 10]), (TX, [1, 2, 3, 4, 5, 6])]}, {i: P1 for i in range(1, 11)},
                             {i: (SH, "ASSIGNED") for i in range(1, 11)}), PlanOptions(shared_per_number=True))
    assert opted.messaging.may_block == 0


def test_words_for_one_number_that_may_be_blocked():
    r = Route(IN_PLACE, SH, TX, 1, durations.FREE_THEN_ASSIGN, may_block=True)
    m1 = Messaging(interrupted=1, interrupted_number_hours=3.0, routes=(r,), may_block=1)
    assert headline(m1).endswith("; it may instead be blocked, still sending on a shared campaign (see below)")
    assert route_lines(m1)[0].endswith(f"if Telnyx refuses the move, it stays on {SH}, still sending, and is blocked "
                                       f"unless --shared-per-number (apply does not take it off a shared campaign "
                                       f"without it)")
    two = Messaging(resent=3, resent_twice=1)
    assert "3 sending numbers may stop for up to about 2 h (1 of them twice): a bulk task re-sends them" in headline(two)
