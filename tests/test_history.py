"""The state folder's history of durations (reconciler/journal/history.py): what it measures from the
journal, that it stays bounded and counts each write once, that anything not ours is reported and
ignored; and the figures estimates are made from (reconciler/durations.py)."""

from __future__ import annotations

import json
import os

import pytest

from reconciler import durations
from reconciler.journal import Journal, Op, State, history


def _finished(j: Journal, op: Op, took: float, at: float = 1_700_000_000.0, processed_after: float | None = None) -> str:
    wid = j.intent(op, ["+13125550100"], at=at, campaign="CWZTFH1", profile=None)
    j.update(wid, State.SUBMITTED, at=at + 1, ref="task-1")
    if processed_after is not None:
        j.update(wid, State.ACCEPTED, at=at + processed_after, processed=True)
    j.update(wid, State.DONE, at=at + took)
    return wid


def test_finished_writes_are_measured_once_each(tmp_path):
    j = Journal(tmp_path)
    _finished(j, Op.ASSIGN, 1800)
    _finished(j, Op.UNASSIGN, 3000)
    _finished(j, Op.BULK_ASSIGN, 7000, processed_after=50)
    _finished(j, Op.BULK_MOVE, 70)
    open_one = j.intent(Op.ASSIGN, ["+13125550101"], at=1_700_000_000.0, campaign="CWZTFH1")
    assert history.record(tmp_path, j.read()) == 5
    h = history.read(tmp_path)
    assert h.problem is None
    assert h.observed == {"assignment": [1800.0, 7000.0], "unassignment": [3000.0], "task": [50.0], "order": [70.0]}
    assert history.record(tmp_path, j.read()) == 0  # nothing counted twice
    j.update(open_one, State.DONE, at=1_700_000_000.0 + 600)
    assert history.record(tmp_path, j.read()) == 1
    assert history.read(tmp_path).observed["assignment"] == [1800.0, 7000.0, 600.0]


def test_a_deferred_phase_is_not_a_duration(tmp_path):
    j = Journal(tmp_path)
    wid = j.defer(Op.BULK_ASSIGN, ["+13125550100"], at=1_700_000_000.0, profile=None, campaign="CWZTFH1",
                  after="free")
    j.update(wid, State.DONE, at=1_700_000_000.0 + 9000)
    assert history.measured(j.read()) == []


def test_the_history_stays_bounded(tmp_path):
    j = Journal(tmp_path)
    for i in range(history.KEEP + 20):
        _finished(j, Op.ASSIGN, 1000 + i)
    history.record(tmp_path, j.read())
    kept = history.read(tmp_path).observed["assignment"]
    assert len(kept) == history.KEEP and kept[-1] == 1000 + history.KEEP + 19  # the newest
    assert os.path.getsize(tmp_path / history.HISTORY) < history.MAX_BYTES


def test_compaction_records_the_history(tmp_path):
    j = Journal(tmp_path)
    _finished(j, Op.ASSIGN, 1234)
    j.compact()
    assert history.read(tmp_path).observed == {"assignment": [1234.0]}


@pytest.mark.parametrize("content,problem", [
    ("not json", "unreadable (JSONDecodeError)"),
    ('{"format": 2}', "not a history of this format"),
    ('{"format": 1, "observed": {"assignment": [1, true]}}', "a figure is not a duration"),
    ('{"format": 1, "observed": {"assignment": [1e99]}}', "a figure is not a duration"),
    ('{"format": 1, "observed": {"assignment": [NaN]}}', "unreadable (ValueError)"),
    ('{"format": 1, "observed": {"launch": [1]}}', "observed is not figures per kind"),
    ('{"format": 1, "seen": ["../../etc"]}', "seen is not write ids"),
    ("[" * 100_000, "unreadable (RecursionError)"),
])
def test_anything_not_ours_is_reported_and_ignored(tmp_path, content, problem):
    (tmp_path / history.HISTORY).write_text(content, encoding="utf-8")
    h = history.read(tmp_path)
    assert h.observed == {} and h.problem == f"{history.HISTORY}: {problem}; ignored"


def test_a_link_or_a_huge_file_is_ignored(tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_text(json.dumps({"format": 1, "observed": {"assignment": [5]}}), encoding="utf-8")
    (tmp_path / history.HISTORY).symlink_to(target)
    assert history.read(tmp_path).problem == "history.json: not a regular file; ignored"
    (tmp_path / history.HISTORY).unlink()
    (tmp_path / history.HISTORY).write_text(" " * (history.MAX_BYTES + 1), encoding="utf-8")
    assert "larger than" in history.read(tmp_path).problem


def test_what_is_measured_at_the_edges(tmp_path):
    """A deferred phase or a write not finished is passed over (not the end of the look); a replacement is
    an assignment; Telnyx's clock a few seconds behind ours is a zero, not a loss; the longest figure kept
    is MAX_SECONDS."""
    j = Journal(tmp_path)
    j.defer(Op.BULK_ASSIGN, ["+13125550109"], at=1_600_000_000.0, profile=None, campaign="CWZTFH1", after="free")
    still_open = j.intent(Op.ASSIGN, ["+13125550108"], at=1_600_000_100.0, campaign="CWZTFH1")
    j.update(still_open, State.SUBMITTED, at=1_600_000_101.0, ref="task-2")
    _finished(j, Op.REPLACE, 1800, at=1_700_000_000.0)
    _finished(j, Op.ASSIGN, -history.CLOCK_SLACK, at=1_700_100_000.0)  # done 5 s "before" it was sent
    _finished(j, Op.ASSIGN, -history.CLOCK_SLACK - 1, at=1_700_200_000.0)  # 6 s: not a clock's rounding
    _finished(j, Op.ASSIGN, history.MAX_SECONDS, at=1_700_300_000.0)
    _finished(j, Op.ASSIGN, history.MAX_SECONDS + 1, at=1_700_400_000.0)
    assert [(k, s) for _, k, s in history.measured(j.read())] == [
        ("assignment", 1800.0), ("assignment", 0.0), ("assignment", history.MAX_SECONDS)]


def test_a_figure_is_kept_to_a_tenth_of_a_second_in_a_compact_file(tmp_path):
    j = Journal(tmp_path)
    wid = _finished(j, Op.ASSIGN, 1800.26)
    assert history.record(tmp_path, j.read()) == 1
    assert (tmp_path / history.HISTORY).read_text(encoding="utf-8") == (
        '{"format":1,"observed":{"assignment":[1800.3]},"seen":["%s"]}' % wid)


def test_the_history_is_written_beside_itself_not_in_the_systems_temporary_folder(tmp_path, monkeypatch):
    """The new file is renamed over the old one, which is atomic only within one file system: it is made in
    the state folder whatever the system's temporary folder is (here: one that does not exist)."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "absent"))
    j = Journal(tmp_path)
    _finished(j, Op.ASSIGN, 1800)
    assert history.record(tmp_path, j.read()) == 1
    assert history.read(tmp_path).observed == {"assignment": [1800.0]}
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".history.")) == []


@pytest.mark.parametrize("content,observed", [
    ('{"format": 1}', {}),  # what an empty record would say: nothing observed, nothing seen
    ('{"format": 1, "seen": ["w1"]}', {}),
    ('{"format": 1, "observed": {"task": [0, 0.5, %r]}}' % history.MAX_SECONDS,
     {"task": [0.0, 0.5, history.MAX_SECONDS]}),
])
def test_a_history_with_parts_left_out_or_figures_at_the_bounds_is_ours(tmp_path, content, observed):
    (tmp_path / history.HISTORY).write_text(content, encoding="utf-8")
    assert history.read(tmp_path) == history.History(observed, ["w1"] if "w1" in content else [])


def test_a_file_of_exactly_the_size_limit_is_read_one_byte_more_is_not(tmp_path):
    head = '{"format": 1, "observed": {"task": [60]}'  # its closing brace is the file's last byte
    (tmp_path / history.HISTORY).write_text(head + " " * (history.MAX_BYTES - len(head) - 1) + "}", encoding="utf-8")
    assert history.read(tmp_path) == history.History({"task": [60.0]}, [])
    (tmp_path / history.HISTORY).write_text(head + " " * (history.MAX_BYTES - len(head)) + "}", encoding="utf-8")
    assert history.read(tmp_path).problem == "history.json: larger than 256 KB; ignored"


def test_a_folder_in_its_place_is_not_a_history(tmp_path):
    (tmp_path / history.HISTORY).mkdir()
    assert history.read(tmp_path) == history.History(problem="history.json: not a regular file; ignored")


def test_figures_are_a_high_percentile_of_enough_real_observations():
    seen = [600, 1800, 900, 1200, 1500, 700, 800, 1000, 1100, 1300]
    f = durations.Figures({"assignment": seen})
    # The 90th percentile, not the median: an ETA is a promise, the slow end counts.
    assert f["assignment"] == 1500 and f.source["assignment"] == "observed"
    assert f["unassignment"] == durations.UNASSIGNMENT and f.source["unassignment"] == "typical"
    assert f.words(["assignment"]) == "this account's observed durations (10 assignments)"
    assert f.words(["assignment", "unassignment"]) == ("this account's observed durations (10 assignments); "
                                                       "Telnyx's typical figures for unassignment")
    few = durations.Figures({"assignment": [600, 1800, 900, 1200]})  # under MIN_OBSERVED: Telnyx's figure
    assert few["assignment"] == durations.ASSIGNMENT and few.words() == "Telnyx's typical figures"
    assert durations.percentile([5.0]) == 5.0 and durations.percentile([3.0, 1.0, 2.0], 0.5) == 2.0


def test_how_a_duration_is_said_minutes_below_an_hour_then_whole_hours():
    assert durations.hours(30) == "about 1 min" and durations.hours(3598.5) == "about 60 min"
    assert durations.hours(3599) == "about 1 h"  # within a second of an hour: said in hours
    assert durations.hours(5400) == "about 2 h" and durations.hours(9000) == "about 2 h"  # halves to even


def test_a_figure_at_the_floor_is_real_and_a_kind_without_one_has_none():
    assert durations.real("task", durations.FLOOR["task"]) and not durations.real("task", 4.9)
    assert durations.real("not a kind", 0.0)


def test_figures_keep_only_known_kinds_and_count_what_they_ignore():
    real_tasks = [60.0, 61.0, 62.0, 63.0, 64.0]
    f = durations.Figures({"bulk": [60.0], "order": [], "assignment": [0.0, 5400.0], "task": real_tasks})
    assert f.observed == {"assignment": [5400.0], "task": real_tasks}  # an unknown or empty kind stops nothing
    assert f.source["task"] == "observed" and f["task"] == 64.0
    assert f.ignored == {"assignment": 1}
    assert f.as_dict()["assignment"] == {"seconds": 7200, "source": "typical", "observations": 1,
                                         "ignored_under_floor": 1}
    assert f.words() == ("this account's observed durations (5 tasks); Telnyx's typical figures for order, "
                         "assignment, unassignment")


def test_durations_from_an_instant_sandbox_or_a_clock_that_stood_still_are_not_learned(tmp_path):
    """Runs on the sandbox's instant timeline (or its frozen clock) finish everything in no time:
    figures under the floor never replace Telnyx's two hours (they once made `status` say "in 4 min"
    for numbers that then stayed PENDING_ASSIGNMENT two hours), neither when recorded nor when an
    older history holds them."""
    instant = durations.Figures({"assignment": [0.0, 0.0, 1.0, 2.0, 0.0, 3.0], "task": [0.0, 1.0, 0.0, 0.0, 0.0],
                                 "unassignment": [0.0] * 5, "order": [0.0] * 9})
    assert all(instant.source[k] == "typical" for k in durations.KINDS)
    assert instant["assignment"] == durations.ASSIGNMENT and instant.words() == "Telnyx's typical figures"
    assert instant.as_dict()["assignment"] == {"seconds": 7200, "source": "typical", "observations": 0,
                                               "ignored_under_floor": 6}
    # Mixed: only the real ones count, and need MIN_OBSERVED of their own.
    mixed = durations.Figures({"assignment": [0.0, 0.0, 0.0, 0.0, 5400.0, 6000.0, 7000.0, 8000.0]})
    assert mixed.source["assignment"] == "typical"
    mixed = durations.Figures({"assignment": [0.0, 5400.0, 6000.0, 7000.0, 8000.0, 9000.0]})
    assert mixed.source["assignment"] == "observed" and mixed["assignment"] == 9000.0

    j = Journal(tmp_path)
    for _ in range(6):
        _finished(j, Op.ASSIGN, 0)  # the clock did not move
        _finished(j, Op.BULK_ASSIGN, 2, processed_after=0)
    assert history.record(tmp_path, j.read()) == 18  # measured (a bulk: task and assignment), marked seen...
    assert history.read(tmp_path).observed == {}  # ...never learned
    assert history.record(tmp_path, j.read()) == 0


def test_a_plan_uses_the_history_only_where_it_has_enough(tmp_path):
    from reconciler.operations import observed_figures

    assert observed_figures(str(tmp_path)) is None  # no history: Telnyx's typical figures
    j = Journal(tmp_path)
    for took in (1000, 2000, 3000, 4000):
        _finished(j, Op.ASSIGN, took)
    history.record(tmp_path, j.read())
    assert observed_figures(str(tmp_path)) is None  # four are not enough
    _finished(j, Op.ASSIGN, 5000)
    history.record(tmp_path, j.read())
    figures = observed_figures(str(tmp_path))
    assert figures is not None and figures["assignment"] == 5000  # the 90th percentile of five
    (tmp_path / history.HISTORY).write_text("garbage", encoding="utf-8")
    assert observed_figures(str(tmp_path)) is None  # ignored


def test_a_batch_one_look_saw_end_is_one_observation_not_one_per_number(tmp_path):
    """250 per-number removals of one run that one poll saw end measured that poll, not 250 durations:
    they are one observation, the slowest (an outside review saw one removal batch fill the history)."""
    j = Journal(tmp_path)
    t0, seen_done = 1_700_000_000.0, 1_700_000_000.0 + 4500
    for i in range(10):
        wid = j.intent(Op.UNASSIGN, [f"+131255501{i:02d}"], at=t0 + i, campaign="CWZTFH1", profile=None)
        j.update(wid, State.ACCEPTED, at=t0 + i + 1)
        j.update(wid, State.DONE, at=seen_done)
    assert history.record(tmp_path, j.read()) == 10  # every write seen
    assert history.read(tmp_path).observed == {"unassignment": [4500.0]}
    assert history.record(tmp_path, j.read()) == 0
