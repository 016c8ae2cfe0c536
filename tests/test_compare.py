"""compare.explain: what moved between the reviewed plan and a fresh one, by number and field."""

from __future__ import annotations

from reconciler.compare import MAX_LINES, explain
from reconciler.plan import make_plan

from tests.test_plan import P1, P2, SH, TX, num, state


def test_names_each_number_and_field_that_moved():
    desired, live = state({P1: [(SH, [1, 2, 3])]}, {1: P1, 2: P1, 3: P1}, {2: (TX, "ASSIGNED")})
    reviewed = make_plan(desired, live)
    # Since review: 1 was assigned out of band, 2 moved to another campaign's pending state, 4 appeared.
    desired, live = state({P1: [(SH, [1, 2, 3, 4])]}, {1: P1, 2: P1, 3: P1, 4: P2},
                          {1: (SH, "ASSIGNED"), 2: (TX, "FAILED_ASSIGNMENT")})
    fresh = make_plan(desired, live)
    lines = explain(reviewed, fresh)
    assert lines == [
        f"{num(1)}: reviewed change (assign) is no longer needed or possible",
        f"{num(4)}: new change (assign) that reviewers did not see",
        f"{num(2)}: action was 'reassign', now 'assign'",
        f"{num(2)}: expect.status was 'ASSIGNED', now 'FAILED_ASSIGNMENT'",
        f"{num(2)}: reason was None, now 'boom'",
    ], lines


def test_the_same_plan_explains_nothing_and_long_lists_are_cut():
    desired, live = state({P1: [(SH, list(range(1, 31)))]}, {i: P1 for i in range(1, 31)})
    plan = make_plan(desired, live)
    assert explain(plan, make_plan(desired, live)) == []
    empty = make_plan(*state({P1: [(SH, [])]}, {}))
    lines = explain(plan, empty)
    assert len(lines) == MAX_LINES + 1 and lines[-1] == f"... and {30 - MAX_LINES} more"
