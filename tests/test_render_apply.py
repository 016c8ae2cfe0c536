"""The apply report's closing lines: each outcome said, and an exit code named only where it is the
one apply exits with (an outside review saw "(exit 3)" above "apply exits 4" for one run)."""

from __future__ import annotations

import pytest

from reconciler.render.apply import _apply_followup


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
