"""apply's footer says each number in flight by what Telnyx is doing to it: a pruned (or freed) number is
PENDING_UNASSIGNMENT, about an hour, not an assignment (outside review: 15 pruned numbers were promised
"PENDING_ASSIGNMENT about 2 h"). The e2e proof on the sandbox is tests/e2e/test_prune_stops_sending.py."""

from __future__ import annotations

from reconciler import durations, render
from reconciler.apply.report import ApplyReport, Outcome, Result

P = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"


def _report(assigning: int, unassigning: int) -> ApplyReport:
    return ApplyReport([Outcome(f"+131255501{i:02d}", P, "CB05XYZ", Result.IN_FLIGHT, "PENDING_ASSIGNMENT")
                        for i in range(assigning)]
                       + [Outcome(f"+131255502{i:02d}", P, "CB05XYZ", Result.IN_FLIGHT, "PENDING_UNASSIGNMENT", False)
                          for i in range(unassigning)])


def test_the_footer_names_unassignments_and_assignments_apart():
    assert durations.hours(durations.UNASSIGNMENT) == "about 1 h" and durations.hours(durations.ASSIGNMENT) == "about 2 h"
    only = render.apply_text(_report(0, 1))
    assert "1 number is in flight at Telnyx (unassignment: PENDING_UNASSIGNMENT about 1 h, sometimes days)" in only
    mixed = render.apply_text(_report(2, 3))
    assert ("5 numbers are in flight at Telnyx (2 PENDING_ASSIGNMENT about 2 h; 3 unassignments: "
            "PENDING_UNASSIGNMENT about 1 h, sometimes days)") in mixed
    assert "2 numbers are in flight at Telnyx (PENDING_ASSIGNMENT about 2 h, sometimes days)" \
        in render.apply_text(_report(2, 0))
    # markdown escapes the detail; the footer is counted before it is
    assert "3 unassignments: PENDING_UNASSIGNMENT about 1 h" in render.apply_markdown(_report(2, 3))
