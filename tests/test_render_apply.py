"""The apply report's closing lines: each outcome said; an exit code named only where it is the one
apply exits with (an outside review saw "(exit 3)" above "apply exits 4" for one run); each number in
flight said by what Telnyx is doing to it: a pruned (or freed) number is PENDING_UNASSIGNMENT, about
an hour, not an assignment (outside review: 15 pruned numbers were promised "PENDING_ASSIGNMENT about
2 h"). The e2e proof on the sandbox is tests/e2e/test_prune_stops_sending.py."""

from __future__ import annotations

import pytest

from reconciler import durations, render
from reconciler.apply.report import ApplyReport, Outcome, Result
from reconciler.render.apply import _apply_followup

P = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"


def said(totals: dict[str, int], code: int, until: str = "accepted") -> str:
    return "\n".join(_apply_followup({"totals": totals, "exit_code": code, "until": until}))


@pytest.mark.parametrize("totals, code, named, unnamed", [
    ({"stale": 2, "blocked": 1}, 4, ["apply exits 4"], ["(exit 3)"]),
    ({"stale": 2}, 3, ["(exit 3)"], ["exits 4"]),
    ({"stale": 2, "not_accepted": 1}, 3, ["(exit 3)"], ["(exit 5)"]),
    ({"not_accepted": 1}, 5, ["(exit 5)"], ["(exit 3)"]),
    ({"failed": 1, "not_accepted": 1}, 4, ["apply exits 4"], ["(exit 5)"]),
])
def test_only_the_exit_code_apply_exits_with_is_named(totals, code, named, unnamed):
    text = said(totals, code)
    assert all(n in text for n in named) and not any(u in text for u in unnamed), text


def test_numbers_waiting_on_telnyx_are_the_sum_of_the_totals_said_apart():
    both = said({"in_flight": 5, "next_phase": 50, "blocked": 50}, 4)
    assert both.startswith("55 numbers wait on Telnyx, 5 in flight and 50 next phase: PENDING_ASSIGNMENT about 2 h, "
                           "after PENDING_UNASSIGNMENT about 1 h for those freed first, sometimes days; "), both
    assert said({"in_flight": 1}, 0).startswith("1 number waits on Telnyx: PENDING_ASSIGNMENT about 2 h, sometimes days;")
    assert said({"next_phase": 2}, 0).startswith("2 numbers wait on Telnyx: PENDING_ASSIGNMENT about 2 h, after ")
    assert said({"done": 3}, 0) == ""


def _report(assigning: int, unassigning: int) -> ApplyReport:
    return ApplyReport([Outcome(f"+131255501{i:02d}", P, "CB05XYZ", Result.IN_FLIGHT, "PENDING_ASSIGNMENT",
                                status="PENDING_ASSIGNMENT") for i in range(assigning)]
                       + [Outcome(f"+131255502{i:02d}", P, "CB05XYZ", Result.IN_FLIGHT, "PENDING_UNASSIGNMENT", False,
                                  status="PENDING_UNASSIGNMENT") for i in range(unassigning)])


def test_the_footer_names_unassignments_and_assignments_apart():
    assert durations.hours(durations.UNASSIGNMENT) == "about 1 h" and durations.hours(durations.ASSIGNMENT) == "about 2 h"
    only = render.apply_text(_report(0, 1))
    assert "1 number waits on Telnyx: PENDING_UNASSIGNMENT about 1 h (being unassigned), sometimes days" in only
    mixed = render.apply_text(_report(2, 3))
    assert ("5 numbers wait on Telnyx: 2 PENDING_ASSIGNMENT about 2 h; 3 PENDING_UNASSIGNMENT about 1 h "
            "(being unassigned), sometimes days") in mixed
    assert "2 numbers wait on Telnyx: PENDING_ASSIGNMENT about 2 h, sometimes days" in render.apply_text(_report(2, 0))
    # markdown escapes the detail; the footer is counted before it is
    assert "3 PENDING_UNASSIGNMENT about 1 h (being unassigned)" in render.apply_markdown(_report(2, 3))


def test_the_footer_counts_unassignments_by_status_not_by_the_details_wording():
    """A freed number whose detail is a carrier's reason is still being unassigned; an assigning number
    whose detail happens to start with the word is not (the detail is prose, the status is Telnyx's)."""
    report = ApplyReport([
        Outcome("+13125550101", P, "CB05XYZ", Result.IN_FLIGHT, "carrier mapping pending", status="PENDING_UNASSIGNMENT"),
        Outcome("+13125550102", P, "CB05XYZ", Result.IN_FLIGHT, "PENDING_UNASSIGNMENT first, then assigned",
                status="PENDING_ASSIGNMENT"),
        Outcome("+13125550103", P, "CB05XYZ", Result.FAILED, "PENDING_UNASSIGNMENT", status="PENDING_UNASSIGNMENT"),
    ])
    assert ("2 numbers wait on Telnyx: 1 PENDING_ASSIGNMENT about 2 h; 1 PENDING_UNASSIGNMENT about 1 h "
            "(being unassigned), sometimes days") in render.apply_text(report)
