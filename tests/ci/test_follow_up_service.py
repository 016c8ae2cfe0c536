"""The CI follow-up comment carries status's time to service (issue 23 item 6): per open write, numbers
sending and not, for how long, and when it should be over, from which figures."""

from __future__ import annotations

from reconciler.ci.follow_up import lines_for, section


def _write(**service):
    return {"write": "w1", "operation": "bulk_assign", "what": "bulk task", "telnyx_id": "t-1", "campaign": "CWZTFH1",
            "numbers": 6, "counts": {"pending": 6}, "age_seconds": 600, "note": {"pr": "7"},
            "service": {"sending": 0, "not_sending": 6, "pending": 6, "failed": 0, "interrupted_seconds": 600,
                        "interrupted_since": "2026-01-01T00:00:00Z", "eta_seconds": 1200,
                        "eta": "2026-01-01T00:30:00Z", **service}}


def test_an_open_write_says_how_long_its_numbers_have_not_sent_and_when_it_should_be_over():
    lines = lines_for(_write(), 72, "this account's observed durations (3 assignments)")
    assert lines[1] == ("  - 0 sending, 6 not sending for 10 min; should be over in about 20 min "
                        "(`2026-01-01T00:30:00Z`, from this account's observed durations (3 assignments))")
    late = lines_for(_write(eta_seconds=0, late=True, typical_seconds=7200), 72, None)
    assert late[1].endswith("; later than usual (typical 2 h 00 min; Telnyx sometimes takes days)"), late
    older = lines_for(_write(eta_seconds=0), 72, None)  # a report from before `late`: zero left is late
    assert older[1].endswith("; later than usual (Telnyx sometimes takes days)"), older


def test_the_section_reads_the_figures_source_from_the_report_and_survives_bad_values():
    report = {"now": "2026-01-01T00:10:00Z", "durations": {"eta_from": "Telnyx's typical figures"}}
    assert "from Telnyx's typical figures" in section([_write()], report)
    bad = _write(sending="many")
    assert len(lines_for(bad, 72, None)) == 1  # a report edited by hand: the line is left out, no crash
    closed = {**_write(), "closed_as": "done", "counts": {"done": 6}}
    assert len(lines_for(closed, 72, None)) == 1


def test_the_section_draws_its_open_writes_and_a_hand_edited_report_only_loses_the_picture():
    from tests.mermaid_grammar import diagrams, problems

    report = {"now": "2026-01-01T00:10:00Z"}
    text = section([_write(), {**_write(), "closed_as": "done"}], report)
    (found,) = diagrams(text)
    assert problems(found) == [] and "    section CWZTFH1 t-1" in found
    assert "    6 not sending so far :crit, c0a, 2026-01-01 00:00, 10m" in found
    assert "<details><summary>Time to service picture</summary>" in text
    broken = section([_write(not_sending="six")], report)
    assert diagrams(broken) == [] and "6 pending at Telnyx" in broken


def test_a_removal_for_a_move_says_its_numbers_are_assigned_after_it():
    """Its ETA is when the numbers are free; the comment says they send only once assigned where they go."""
    removal = {**_write(freeing_for=["CB00XYZ"]), "operation": "unassign", "what": "removal"}
    (line,) = lines_for(removal, 72, None)[1:]
    assert line.endswith("; then assigned to `CB00XYZ`, which sends them"), line
    assert not lines_for(_write(freeing_for=[]), 72, None)[1].endswith("sends them")
