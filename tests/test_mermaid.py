"""The pictures (issue 25 item 4): the markdown plan's Gantt of its routes parses under a strict grammar of
the Mermaid subset we emit, for every route kind and for hostile campaign ids (nothing from data can end a
task name, open a comment or entity, close the block or inject a line), and the text stays complete."""

from __future__ import annotations

import pytest

from reconciler import durations
from reconciler.plan.messaging import FREED, IN_PLACE, PROFILE, Messaging, Route
from reconciler.render import mermaid

from tests.faults.hostile_cases import hostile_texts
from tests.mermaid_grammar import diagrams, problems


def _messaging(old: str = "CNOTIF9", new: str = "CWZTFH1", routes: int = 3, started: int = 2) -> Messaging:
    kinds = [FREED, IN_PLACE, PROFILE]
    rs = tuple(Route(kinds[i % 3], old, new, 10 - i, durations.FREE_THEN_ASSIGN) for i in range(routes))
    return Messaging(interrupted=sum(r.numbers for r in rs), interrupted_certain=rs[0].numbers if rs else 0,
                     started=started, interrupted_number_hours=1.0, routes=rs)


def test_every_route_kind_draws_its_phases_on_the_figures_the_text_uses():
    lines = mermaid.plan_gantt(_messaging())
    (diagram,) = diagrams("\n".join(lines))
    assert problems(diagram) == []
    text = "\n".join(diagram)
    # freed first: an hour without a campaign, then the task and two hours PENDING_ASSIGNMENT
    assert "no campaign while freed from CNOTIF9 :crit, r0a, 2000-01-01 00:00, 60m" in text
    assert "assigned to CWZTFH1 (PENDING_ASSIGNMENT) :r0b, after r0a, 121m" in text
    # moved in place: drawn at its hardest reading, as the text's "up to about 3 h" counts it
    assert "freed from CNOTIF9 first if the move is refused :active, r1a, 2000-01-01 00:00, 60m" in text
    assert "PENDING_ASSIGNMENT on CWZTFH1 (may not send) :r1b, after r1a, 121m" in text
    # leaving the profile may take its campaign; here it also changes campaign (a reassignment that moves)
    assert "assigned to CWZTFH1 if it did :r2b, after r2a, 121m" in text
    assert "section 2 numbers start sending" in text
    same = "\n".join(mermaid.plan_gantt(Messaging(interrupted=1, routes=(
        Route(PROFILE, "CNOTIF9", "CNOTIF9", 1, durations.FREE_THEN_ASSIGN),))))
    assert "assigned again if it did :r0b, after r0a, 121m" in same


def test_a_route_that_may_block_and_a_second_re_send_are_drawn():
    m = Messaging(interrupted=6, routes=(Route(IN_PLACE, "CSHRA1", "CTELA1", 6, durations.FREE_THEN_ASSIGN,
                                               may_block=True),), resent=4, resent_twice=4, may_block=6)
    (diagram,) = diagrams("\n".join(mermaid.plan_gantt(m)))
    assert problems(diagram) == []
    text = "\n".join(diagram)
    assert "blocked on CSHRA1 (still sending) if the move is refused :active, r0a" in text
    assert "freed from CSHRA1 first" not in text
    assert "provisioned again by the next phase bulk :active, x1, after x0, 121m" in text


def test_observed_figures_change_the_bars():
    n = durations.MIN_OBSERVED
    figures = durations.Figures({"assignment": [1800.0] * n, "unassignment": [900.0] * n, "task": [60.0] * n})
    text = "\n".join(mermaid.plan_gantt(_messaging(routes=1, started=0), figures))
    assert ":crit, r0a, 2000-01-01 00:00, 15m" in text and "after r0a, 31m" in text
    assert "title Messaging timeline from apply (observed durations)" in text


def test_nothing_to_draw_when_nothing_stops_or_starts():
    assert mermaid.plan_gantt(Messaging()) == []
    resent = "\n".join(mermaid.plan_gantt(Messaging(resent=4)))  # re-sent numbers may stop: drawn
    assert "section 4 sending numbers re-sent by a bulk task" in resent
    assert problems(diagrams(resent)[0]) == []
    pruned = "\n".join(mermaid.plan_gantt(Messaging(pruned=15)))  # pruned sending numbers stop for good: drawn
    assert "section 15 sending numbers pruned (stop for good)" in pruned
    assert ":crit, p0, 2000-01-01 00:00, 60m" in pruned  # the unassignment, on the same figures as the text
    assert problems(diagrams(pruned)[0]) == []
    assert mermaid.details("x", []) == []


def test_many_routes_are_bounded_and_point_to_the_text():
    diagram = mermaid.plan_gantt(_messaging(routes=20))
    assert sum(1 for line in diagram if line.startswith("    section ")) == mermaid.MAX_SECTIONS + 2
    assert "section 12 more routes (see the text)" in "\n".join(diagram)
    assert problems(diagrams("\n".join(diagram))[0]) == []


@pytest.mark.parametrize("hostile", hostile_texts(combos=40))
def test_hostile_campaign_ids_cannot_break_or_inject_into_the_diagram(hostile):
    lines = mermaid.plan_gantt(_messaging(old=hostile, new=hostile[::-1]))
    found = diagrams("\n".join(lines))
    assert len(found) == 1, lines  # nothing closed the block early or opened another
    assert problems(found[0]) == [], found[0]
    assert all(len(line) < 300 for line in lines)


def test_the_grammar_catches_what_would_break_a_diagram():
    good = mermaid.plan_gantt(_messaging(routes=1, started=0))[1:-1]
    for broken in ("    section a: b", "    x :r9a, after nowhere, 5m", "    x %% comment :r9, 2000-01-01 00:00, 5m",
                   "    a #35; b :r9, 2000-01-01 00:00, 5m", "    click r0a href \"javascript:alert(1)\""):
        assert problems([*good, broken]), broken
    assert problems(good) == []


def _service(**over):
    sv = {"numbers": 30, "sending": 0, "not_sending": 30, "pending": 28, "failed": 2,
          "interrupted_since": "2026-12-06T17:40:46Z", "interrupted_seconds": 5400, "eta_seconds": 3600,
          "eta": "2026-12-06T20:10:46Z", "late": False, "typical_seconds": 10800}
    return {**sv, **over}


def test_status_draws_how_long_numbers_have_not_sent_and_until_when():
    diagram = mermaid.status_gantt({"CWZTFH1": _service(), "CALERT7": _service(not_sending=0),
                                    "CLATE01": _service(late=True)})
    (found,) = diagrams("\n".join(diagram))
    assert problems(found) == [], found
    text = "\n".join(found)
    assert "section CWZTFH1" in text and "CALERT7" not in text  # all sending: nothing to draw
    assert "30 not sending so far :crit, c0a, 2026-12-06 17:40, 90m" in text
    assert "until the ETA (28 pending and 2 failed) :active, c0b, after c0a, 60m" in text
    assert "later than usual (28 pending and 2 failed) :active, c1b, after c1a, 1m" in text
    assert mermaid.status_gantt({"X": _service(not_sending=0)}) == []
    assert mermaid.status_gantt({"X": _service(interrupted_since="yesterday")}) == []


@pytest.mark.parametrize("hostile", hostile_texts(combos=10))
def test_hostile_targets_and_times_cannot_break_the_status_picture(hostile):
    diagram = mermaid.status_gantt({hostile: _service(), "C2": _service(interrupted_since=hostile + "Z")})
    found = diagrams("\n".join(diagram))
    assert len(found) == 1 and problems(found[0]) == [], diagram


def test_the_title_names_only_the_figures_the_bars_are_made_of():
    n = durations.MIN_OBSERVED
    only_unassign = durations.Figures({"unassignment": [900.0] * n})
    started = "\n".join(mermaid.plan_gantt(Messaging(started=3), only_unassign))
    assert "(typical durations)" in started  # no route drawn: the removal figure is not on the chart
    mixed = "\n".join(mermaid.plan_gantt(_messaging(routes=1, started=0), only_unassign))
    assert "(observed and typical durations)" in mixed
