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
    assert "assigned again if it did :r2b, after r2a, 121m" in text
    assert "section 2 numbers start sending" in text


def test_observed_figures_change_the_bars():
    n = durations.MIN_OBSERVED
    figures = durations.Figures({"assignment": [1800.0] * n, "unassignment": [900.0] * n, "task": [60.0] * n})
    text = "\n".join(mermaid.plan_gantt(_messaging(routes=1, started=0), figures))
    assert ":crit, r0a, 2000-01-01 00:00, 15m" in text and "after r0a, 31m" in text
    assert "title Messaging timeline from apply (observed durations)" in text


def test_nothing_to_draw_when_nothing_stops_or_starts():
    assert mermaid.plan_gantt(Messaging(resent=4)) == []
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
