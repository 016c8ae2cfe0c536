"""The status report's grouped lines say each distinct phase reason once (render/status.py)."""

from __future__ import annotations

from reconciler.render.status import _said_once

WHY = "{n} is on CTOLD01 (ASSIGNED) now, not freed as the approved plan expected; re-plan"


def test_one_reason_said_once_has_no_count() -> None:
    """Its number is set apart like any other (`--verbose` says each write's reason whole)."""
    assert _said_once([WHY.format(n="+15550100001")]) == WHY.format(n="a number")
    assert _said_once(["Telnyx refused the order"]) == "Telnyx refused the order"


def test_a_cause_many_numbers_share_is_one_reason_with_its_count_and_the_first_numbers() -> None:
    numbers = [f"+1555010{i:04d}" for i in (1, 2, 3, 7, 9)]
    said = _said_once([WHY.format(n=n) for n in numbers])
    assert said == (WHY.format(n="a number")
                    + " (×5: +15550100001–+15550100003 (3), +15550100007, +15550100009…)"), said


def test_three_sayings_show_their_numbers_without_an_ellipsis() -> None:
    said = _said_once([WHY.format(n=n) for n in ("+15550100001", "+15550100002", "+15550100003")])
    assert said.endswith(" (×3: +15550100001–+15550100003 (3))"), said


def test_reasons_without_one_number_are_counted_but_name_none() -> None:
    both = "+15550100001 and +15550100002 collide"
    said = _said_once(["Telnyx refused the order", both, "Telnyx refused the order", both, "other"])
    assert said == f"Telnyx refused the order (×2); {both} (×2); other", said


def test_distinct_reasons_keep_their_first_seen_order() -> None:
    said = _said_once([WHY.format(n="+15550100005"), "Telnyx refused the order", WHY.format(n="+15550100004")])
    assert said == WHY.format(n="a number") + " (×2: +15550100004, +15550100005); Telnyx refused the order", said


def test_a_next_phases_numbers_not_yet_assigned_read_as_to_assign_not_as_not_taken():
    """`not_taken` says Telnyx did not take what a task sent; of a next phase (deferred, not sent yet)
    it is work still to do (outside review: "work: 30 not taken" read like a failure). Text only: the
    JSON keeps the value."""
    from reconciler.render.status import _work_counts

    assert _work_counts({"not_taken": 30, "pending": 2}, "deferred") == {"pending": 2, "to_assign": 30}
    assert _work_counts({"not_taken": 3}, "accepted") == {"not_taken": 3}
    assert _work_counts({"pending": 3}, "deferred") == {"pending": 3}
