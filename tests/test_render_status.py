"""The status report's grouped lines say each distinct phase reason once (render/status.py)."""

from __future__ import annotations

from reconciler.render.status_words import said_once

WHY = "{n} is on CTOLD01 (ASSIGNED) now, not freed as the approved plan expected; re-plan"


def test_one_reason_said_once_has_no_count() -> None:
    """Its number is set apart like any other (`--verbose` says each write's reason whole)."""
    assert said_once([WHY.format(n="+15550100001")]) == WHY.format(n="a number")
    assert said_once(["Telnyx refused the order"]) == "Telnyx refused the order"


def test_a_cause_many_numbers_share_is_one_reason_with_its_count_and_the_first_numbers() -> None:
    numbers = [f"+1555010{i:04d}" for i in (1, 2, 3, 7, 9)]
    said = said_once([WHY.format(n=n) for n in numbers])
    assert said == (WHY.format(n="a number")
                    + " (×5: +15550100001–+15550100003 (3), +15550100007, +15550100009…)"), said


def test_three_sayings_show_their_numbers_without_an_ellipsis() -> None:
    said = said_once([WHY.format(n=n) for n in ("+15550100001", "+15550100002", "+15550100003")])
    assert said.endswith(" (×3: +15550100001–+15550100003 (3))"), said


def test_reasons_without_one_number_are_counted_but_name_none() -> None:
    both = "+15550100001 and +15550100002 collide"
    said = said_once(["Telnyx refused the order", both, "Telnyx refused the order", both, "other"])
    assert said == f"Telnyx refused the order (×2); {both} (×2); other", said


def test_distinct_reasons_keep_their_first_seen_order() -> None:
    said = said_once([WHY.format(n="+15550100005"), "Telnyx refused the order", WHY.format(n="+15550100004")])
    assert said == WHY.format(n="a number") + " (×2: +15550100004, +15550100005); Telnyx refused the order", said


def test_a_next_phases_numbers_not_yet_assigned_read_as_to_assign_not_as_not_taken():
    """`not_taken` says Telnyx did not take what a task sent; of a next phase (deferred, not sent yet)
    it is work still to do (outside review: "work: 30 not taken" read like a failure). Text only: the
    JSON keeps the value."""
    from reconciler.render.status_words import work_counts

    assert work_counts({"not_taken": 30, "pending": 2}, "deferred") == {"pending": 2, "to_assign": 30}
    assert work_counts({"not_taken": 3}, "accepted") == {"not_taken": 3}
    assert work_counts({"pending": 3}, "deferred") == {"pending": 3}


def test_phase_reasons_that_count_numbers_are_said_once_with_the_counts_added():
    """Outside review: 200 waiting phases read "next phase waiting: 1 number still being freed (×200)"."""
    assert said_once(["1 number still being freed"] * 200) == "200 numbers still being freed"
    assert said_once(["2 numbers still being freed", "1 number still being freed", "refused"]) == \
        "3 numbers still being freed; refused"
    assert said_once(["waiting: 1 number is under another write in flight"] * 2) == \
        "waiting: 2 numbers are under another write in flight"


def test_summed_adds_every_count_of_sentences_that_differ_only_in_them():
    from reconciler.render.status_words import summed

    assert summed(["submitted (1 number)"] * 199 + ["done"]) == [("submitted (199 numbers)", 199), ("done", 1)]
    assert summed(["Telnyx failed to free 1 number from C1: 1 number sent for removal again",
                   "Telnyx failed to free 2 numbers from C1: 1 number sent for removal again"]) == \
        [("Telnyx failed to free 3 numbers from C1: 2 numbers sent for removal again", 2)]
    assert summed(["1 number still being freed", "1 number still being freed from C2"]) == \
        [("1 number still being freed", 1), ("1 number still being freed from C2", 1)]


def test_a_carried_out_phases_numbers_read_sent_just_now_and_a_campaigns_free_phase_numbers_to_assign():
    from reconciler.render.status_words import campaign_counts, work_counts

    assert work_counts({"not_taken": 12}, "deferred", 12) == {"sent_just_now": 12}
    assert work_counts({"not_taken": 12, "done": 1}, "deferred", 10) == {"done": 1, "sent_just_now": 10,
                                                                         "to_assign": 2}
    assert campaign_counts({"not_taken": 199, "pending": 1}, {"to_assign": 199}) == {"pending": 1, "to_assign": 199}
    # A task's skipped numbers stay "not taken": only a next phase's are work to assign.
    assert campaign_counts({"not_taken": 5, "pending": 1}, {"to_assign": 2}) == {"not_taken": 3, "pending": 1,
                                                                                  "to_assign": 2}
    assert campaign_counts({"pending": 1}, None) == {"pending": 1}


def test_the_headline_counts_the_work_resume_has_just_sent():
    from reconciler.render.status import _headline

    d = {"open_numbers": {"numbers": 229, "sending": 0, "not_sending": 229}, "open_writes": 202, "stuck": 0,
         "failed_numbers": 0, "sent_now": {"writes": 199, "numbers": 199}}
    assert _headline(d) == ("229 numbers in open work, 199 of them sent just now (202 writes): 0 sending, "
                            "229 not sending; 0 writes stuck, 0 numbers failed")
    d["sent_now"] = {"writes": 0, "numbers": 0}
    assert _headline(d).startswith("229 numbers in open work (202 writes): ")


def _left_failed_report(blocked: bool = False):
    """A status report with no open work and two numbers a closed bulk task left failed."""
    from reconciler.apply.recovery import LeftFailed, StatusReport
    from reconciler.journal import Op, State, Write
    from reconciler.plan import CampaignHealth

    w = Write("w1", Op.BULK_ASSIGN, State.FAILED, "run1", ("+15550100001", "+15550100002"), profile="P1",
              campaign="C1", ref="task-1", submitted_at=1000.0, updated_at=8200.0)
    report = StatusReport(now=1000.0 + 3 * 3600, left_failed=[
        LeftFailed("+15550100001", w, "FAILED_ASSIGNMENT", "MNO error 4102"),
        LeftFailed("+15550100002", w, "no assignment", "no assignment")])
    if blocked:
        report.unhealthy = [CampaignHealth("C1", None, "TCR_SUSPENDED", None, "not active", None, 2, 0)]
    return report


def test_status_with_no_open_work_still_leads_with_the_numbers_closed_writes_left_failed() -> None:
    """Not "nothing in flight", exit 0 (two outside reviews): numbers first, why and since when."""
    from reconciler.render.status import status_dict, status_markdown, status_text

    report = _left_failed_report()
    assert report.exit_code == 2
    lines = status_text(report).splitlines()
    assert lines == [
        "Status: no work left open; 0 writes stuck, 2 numbers failed",
        "  Cannot send: 2 numbers an earlier write left failed (live state still shows them not sending; said until "
        "a write or Telnyx assigns them):",
        "    → C1: bulk task task-1 of run run1, closed as failed 1970-01-01T02:16:40Z; not sending for 3 h 00 min "
        "(since 1970-01-01T00:16:40Z):",
        "      +15550100001 FAILED_ASSIGNMENT: MNO error 4102",
        "      +15550100002 no assignment"], lines
    d = status_dict(report)
    assert d["failed_numbers"] == 2 and d["exit_code"] == 2 and d["schema_version"] == 1
    assert d["still_failed"][0] == {
        "number": "+15550100001", "write": "w1", "operation": "bulk_assign", "what": "bulk task", "telnyx_id": "task-1",
        "campaign": "C1", "profile": "P1", "run": "run1", "note": {}, "live_status": "FAILED_ASSIGNMENT",
        "reason": "MNO error 4102", "closed_at": "1970-01-01T02:16:40Z", "not_sending_since": "1970-01-01T00:16:40Z",
        "not_sending_seconds": 10800}
    md = status_markdown(report)
    assert "**no work left open; 0 writes stuck, 2 numbers failed.**" in md and "Nothing in flight" not in md
    assert "> - `C1`: bulk task `task-1` of run run1" in md and ">   - `+15550100001` FAILED_ASSIGNMENT: MNO error 4102" in md
    assert "| what |" not in md


def test_a_campaign_that_cannot_carry_traffic_is_said_with_the_numbers_left_failed_there() -> None:
    from reconciler.render.status import status_text

    lines = status_text(_left_failed_report(blocked=True)).splitlines()
    assert lines[1].startswith("  Cannot send: 2 numbers an earlier write left failed")
    assert lines[5].startswith("  Cannot send: C1 (TCR_SUSPENDED) cannot carry traffic: the 2 numbers"), lines


def test_many_numbers_left_failed_are_said_compactly() -> None:
    from reconciler.apply.recovery import LeftFailed
    from reconciler.render.status import status_text

    report = _left_failed_report()
    w = report.left_failed[0].write
    report.left_failed = [LeftFailed(f"+1555010{i:04d}", w, "FAILED_ASSIGNMENT", "timed out") for i in range(30)]
    lines = status_text(report).splitlines()
    assert lines[3] == "      +15550100000–+15550100029 (30) FAILED_ASSIGNMENT: timed out", lines


def test_nothing_in_flight_says_what_status_does_not_follow() -> None:
    """With no work of ours, status exits 0, and says that drift is what checks every declared number and
    campaign (outside review: a suspended campaign with nothing in flight read as all well)."""
    from reconciler.apply.recovery import StatusReport
    from reconciler.render.status import status_markdown, status_text

    report = StatusReport(now=1000.0)
    assert report.exit_code == 0
    for kind, title in (("status", "Status"), ("resume", "Resume")):
        assert status_text(report, kind=kind).splitlines() == [
            f"{title}: nothing in flight.",
            "  Only this repository's writes are followed here; `reconciler drift` checks every declared number and "
            "campaign (a suspended campaign, a share not accepted, a number failed outside this work)."]
    md = status_markdown(report).splitlines()
    assert md[2:5] == ["**Nothing in flight.**", "", "Only this repository's writes are followed here; "
                       "`reconciler drift` checks every declared number and campaign (a suspended campaign, a share "
                       "not accepted, a number failed outside this work)."], md
