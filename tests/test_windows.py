"""Change windows (reconciler/windows.py, policy.change_windows): when a window holds "now", when the
next one opens, across midnight and across daylight-saving changes; malformed windows are errors at
their line (validate)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reconciler.desired import load_desired
from reconciler.errors import DesiredStateError
from reconciler.model import ChangeWindow
from reconciler.windows import Verdict, describe, held_message, local, problems, verdict

CHI = "America/Chicago"
UTC = dt.timezone.utc


def at(y, mo, d, h, mi=0, tz: str = "UTC") -> float:
    return dt.datetime(y, mo, d, h, mi, tzinfo=UTC if tz == "UTC" else ZoneInfo(tz)).timestamp()


def utc(t: float) -> str:
    return dt.datetime.fromtimestamp(t, UTC).strftime("%a %Y-%m-%d %H:%M")


WEEKEND = ChangeWindow(("sat", "sun"), "02:00", "06:00", CHI)


def test_a_weekend_window_in_chicago_is_open_inside_and_names_the_next_opening_outside():
    inside = verdict([WEEKEND], at(2026, 12, 5, 3, 30, CHI))  # Saturday 03:30 CST
    assert inside.open and utc(inside.until) == "Sat 2026-12-05 12:00"  # 06:00 CST = 12:00 UTC
    outside = verdict([WEEKEND], at(2026, 12, 7, 10, 0, CHI))  # Monday
    assert not outside.open and utc(outside.opens) == "Sat 2026-12-12 08:00"
    assert outside.when() == "Sat 2026-12-12 02:00 America/Chicago (08:00 UTC)"
    # right at the close it is closed; right at the opening, open
    assert not verdict([WEEKEND], at(2026, 12, 5, 6, 0, CHI)).open
    assert verdict([WEEKEND], at(2026, 12, 5, 2, 0, CHI)).open


def test_wall_clock_times_follow_daylight_saving():
    # Summer (CDT, UTC-5): the same window is 07:00-11:00 UTC; winter (CST, UTC-6): 08:00-12:00 UTC.
    summer = verdict([WEEKEND], at(2026, 7, 6, 12))
    assert utc(summer.opens) == "Sat 2026-07-11 07:00"
    winter = verdict([WEEKEND], at(2026, 12, 7, 12))
    assert utc(winter.opens) == "Sat 2026-12-12 08:00"


def test_a_window_on_the_night_clocks_spring_forward():
    # 2026-03-08 (Sunday) 02:00 CST does not exist in Chicago: clocks jump to 03:00 CDT. The opening is
    # read with the offset before the jump: 02:00 CST = 08:00 UTC = 03:00 CDT; it closes 06:00 CDT = 11:00 UTC.
    sunday = ChangeWindow(("sun",), "02:00", "06:00", CHI)
    v = verdict([sunday], at(2026, 3, 7, 12))
    assert utc(v.opens) == "Sun 2026-03-08 08:00"
    inside = verdict([sunday], at(2026, 3, 8, 9))
    assert inside.open and utc(inside.until) == "Sun 2026-03-08 11:00"  # 3 hours long that night
    assert not verdict([sunday], at(2026, 3, 8, 11)).open


def test_a_window_on_the_night_clocks_fall_back():
    # 2026-11-01 (Sunday) 01:00-01:59 happens twice in Chicago; a window 00:30-02:30 lasts 3 hours that night.
    sunday = ChangeWindow(("sun",), "00:30", "02:30", CHI)
    v = verdict([sunday], at(2026, 10, 31, 12))
    assert utc(v.opens) == "Sun 2026-11-01 05:30"  # 00:30 CDT
    inside = verdict([sunday], at(2026, 11, 1, 7, 45))  # 01:45 CST, the second 01:45
    assert inside.open and utc(inside.until) == "Sun 2026-11-01 08:30"  # 02:30 CST


def test_a_window_across_midnight_belongs_to_the_day_it_opens():
    fri_night = ChangeWindow(("fri",), "22:00", "03:00", "UTC")
    assert verdict([fri_night], at(2026, 12, 4, 23)).open  # Friday 23:00
    sat_early = verdict([fri_night], at(2026, 12, 5, 2, 59))  # Saturday 02:59: still Friday's window
    assert sat_early.open and utc(sat_early.until) == "Sat 2026-12-05 03:00"
    assert not verdict([fri_night], at(2026, 12, 5, 22, 30)).open  # Saturday night: no window
    # a window ending at midnight
    evening = ChangeWindow((), "20:00", "00:00", "UTC")
    v = verdict([evening], at(2026, 12, 5, 23, 59))
    assert v.open and utc(v.until) == "Sun 2026-12-06 00:00"


def test_several_windows_the_soonest_opening_and_the_latest_close():
    a = ChangeWindow(("mon",), "09:00", "10:00", "UTC")
    b = ChangeWindow(("mon",), "09:30", "12:00", "Europe/Berlin")  # 08:30-11:00 UTC in winter
    v = verdict([a, b], at(2026, 12, 7, 8))
    assert not v.open and utc(v.opens) == "Mon 2026-12-07 08:30" and v.window is b
    inside = verdict([a, b], at(2026, 12, 7, 9, 15))
    assert inside.open and utc(inside.until) == "Mon 2026-12-07 11:00"
    assert describe([a, b]) == "mon 09:00-10:00 UTC; mon 09:30-12:00 Europe/Berlin"
    assert local(at(2026, 12, 7, 8, 30), "UTC") == "Mon 2026-12-07 08:30 UTC"
    assert "the next window opens Mon 2026-12-07 09:30 Europe/Berlin (08:30 UTC)" in held_message((a, b), v, 2)


@pytest.mark.parametrize("window,fragment", [
    (ChangeWindow((), "02:00", "02:00", "UTC"), "must not start and end at the same time"),
    (ChangeWindow((), "02:00", "06:00", "Mars/Olympus"), "unknown time zone 'Mars/Olympus'"),
    (ChangeWindow((), "02:00", "06:00", "../../etc/passwd"), "unknown time zone"),
    (ChangeWindow((), "2:00", "06:00", "UTC"), "not a time of day"),
    (ChangeWindow(("funday",), "02:00", "06:00", "UTC"), "not a day"),
])
def test_what_the_schema_cannot_see_is_a_problem(window, fragment):
    assert any(fragment in p for p in problems(window))
    assert problems(WEEKEND) == []


BAD = """\
version: 1
policy:
  change_windows:
    - days: [sat, sunday]
      start: "02:00"
      end: "06:00"
    - start: 12:30
      end: "25:00"
    - start: "22:00"
      end: "22:00"
      timezone: Mars/Olympus
    - start: "22:00"
      end: "01:00"
      zone: UTC
"""


def test_malformed_windows_are_errors_at_their_line(tmp_path: Path):
    f = tmp_path / "policy.yaml"
    f.write_text(BAD, encoding="utf-8")
    with pytest.raises(DesiredStateError) as e:
        load_desired(f)
    got = [(p.line, p.message) for p in e.value.problems]
    lines = [line for line, _ in got]
    assert lines == [4, 7, 8, 10, 11, 14], got
    text = " | ".join(m for _, m in got)
    assert '"sunday" is not a day' in text
    assert 'YAML read this as a number: quote it: "12:30"' in text
    assert '"25:00" is not a time of day' in text
    assert "must not start and end at the same time" in text
    assert "unknown time zone 'Mars/Olympus'" in text
    assert "unknown key 'zone'; did you mean 'timezone'?" in text


def test_good_windows_load_into_the_policy(tmp_path: Path):
    f = tmp_path / "policy.yaml"
    f.write_text('version: 1\npolicy:\n  change_windows:\n    - days: [sat, sun]\n      start: "02:00"\n'
                 '      end: "06:00"\n      timezone: America/Chicago\n    - start: "22:00"\n      end: "01:00"\n',
                 encoding="utf-8")
    windows = load_desired(f).policy.change_windows
    assert windows == (WEEKEND, ChangeWindow((), "22:00", "01:00", "UTC"))
    assert windows[0].where is not None and windows[0].where.line == 4


def test_a_saved_plan_keeps_its_windows_under_its_checksum():
    from dataclasses import replace

    from reconciler.model import Policy
    from reconciler.plan import make_plan
    from reconciler.planfile import Tampered, dump, from_dict
    from tests.test_plan import P1, SH, TX, state

    desired, live = state({P1: [(SH, [1])]}, {1: P1}, {1: (TX, "ASSIGNED")})
    plain = make_plan(desired, live)
    held = make_plan(replace(desired, policy=Policy(change_windows=(WEEKEND,))), live)
    assert held.checksum() != plain.checksum()  # when apply may run it is part of what was reviewed
    sundays = ChangeWindow(("sun",), "02:00", "06:00", CHI)
    sundays = make_plan(replace(desired, policy=Policy(change_windows=(sundays,))), live)
    assert sundays.checksum() != held.checksum()  # and which windows: another one is another plan
    again = from_dict(dump(held))
    assert again.desired.policy.change_windows == (WEEKEND,) and again.checksum() == held.checksum()
    data = dump(held)
    data["desired"]["policy"]["change_windows"] = []
    with pytest.raises(Tampered):
        from_dict(data)
    data["desired"]["policy"]["change_windows"] = [{**WEEKEND.as_dict(), "timezone": "Mars/Olympus"}]
    with pytest.raises(ValueError, match="unknown time zone"):
        from_dict(data)


def test_a_verdict_as_the_json_plan_shows_it_and_when_it_names():
    now = at(2026, 12, 5, 3, 30, CHI)
    inside = verdict([WEEKEND], now)
    assert inside == Verdict(now, True, at(2026, 12, 5, 6, 0, CHI), None, WEEKEND)
    assert inside.as_dict() == {"open_now": True, "now": "2026-12-05T09:30:00Z", "closes_at": "2026-12-05T12:00:00Z",
                                "next_opening": None, "timezone": CHI}
    assert inside.when() == "Sat 2026-12-05 06:00 America/Chicago (12:00 UTC)"  # open: when it closes
    later = at(2026, 12, 7, 10, 0, CHI)
    outside = verdict([WEEKEND], later)
    assert outside == Verdict(later, False, None, at(2026, 12, 12, 2, 0, CHI), WEEKEND)
    assert outside.as_dict() == {"open_now": False, "now": "2026-12-07T16:00:00Z", "closes_at": None,
                                 "next_opening": "2026-12-12T08:00:00Z", "timezone": CHI}
    never = verdict([], later)
    assert never == Verdict(later, False, None, None, None)
    assert never.as_dict() == {"open_now": False, "now": "2026-12-07T16:00:00Z", "closes_at": None,
                               "next_opening": None, "timezone": None}
    assert never.when() == "never (no window opens in the next week)"


def test_the_json_plan_says_apply_is_held_only_outside_the_windows_and_only_when_numbers_may_stop():
    from reconciler.model import Policy
    from reconciler.plan import make_plan
    from tests.test_plan import P1, SH, TX, TX2, state

    policy = Policy(change_windows=(WEEKEND,))
    desired, live = state({P1: [(TX2, [1])]}, {1: P1}, {1: (TX, "ASSIGNED")}, policy=policy)  # stops a sender
    inside, outside = verdict([WEEKEND], at(2026, 12, 5, 3, 30, CHI)), verdict([WEEKEND], at(2026, 12, 7, 10, 0, CHI))

    def state_of(desired, live, v):
        plan = make_plan(desired, live)
        plan.window = v
        return plan.window_state()

    assert make_plan(desired, live).messaging.may_stop == 1
    assert state_of(desired, live, outside) == {"windows": [WEEKEND.as_dict()], **outside.as_dict(), "apply_held": True}
    assert state_of(desired, live, inside) == {"windows": [WEEKEND.as_dict()], **inside.as_dict(), "apply_held": False}
    # Not judged yet (no clock read): nothing to say of now, and nothing held.
    assert state_of(desired, live, None) == {"windows": [WEEKEND.as_dict()], "apply_held": False}
    # A plan that stops no sending number is never held, even outside every window.
    starts, live = state({P1: [(SH, [1])]}, {1: P1}, policy=policy)  # assigns a number that sends nothing yet
    assert make_plan(starts, live).messaging.may_stop == 0
    assert state_of(starts, live, outside) == {"windows": [WEEKEND.as_dict()], **outside.as_dict(), "apply_held": False}


def test_a_window_the_clocks_skip_does_not_open_that_night():
    # 02:00-03:00 on 2026-03-08 in Chicago: 02:00 CST and 03:00 CDT are the same instant (08:00 UTC), so the
    # window is empty that night; the next one is a week later.
    sunday = ChangeWindow(("sun",), "02:00", "03:00", CHI)
    v = verdict([sunday], at(2026, 3, 7, 12))
    assert utc(v.opens) == "Sun 2026-03-15 07:00"
    assert not verdict([sunday], at(2026, 3, 8, 8)).open


def test_on_a_tie_the_first_window_declared_is_named():
    a = ChangeWindow(("mon",), "09:00", "11:00", "UTC")
    b = ChangeWindow(("mon",), "09:00", "11:00", "Europe/London")  # the same hours in December
    closed = verdict([a, b], at(2026, 12, 7, 8))
    assert closed.window is a and closed.when() == "Mon 2026-12-07 09:00 UTC"
    inside = verdict([b, a], at(2026, 12, 7, 10))
    assert inside.window is b and inside.when() == "Mon 2026-12-07 11:00 Europe/London (11:00 UTC)"


def test_the_utc_time_shown_does_not_depend_on_the_machines_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        assert local(at(2026, 12, 5, 8), CHI) == "Sat 2026-12-05 02:00 America/Chicago (08:00 UTC)"
        assert verdict([WEEKEND], at(2026, 12, 5, 8)).as_dict()["now"] == "2026-12-05T08:00:00Z"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_descriptions_and_the_refusal_name_every_day_and_every_number():
    every = ChangeWindow(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "22:00", "01:00", "UTC")
    assert describe([WEEKEND, every, ChangeWindow((), "22:00", "01:00", "UTC")]) == (
        "sat, sun 02:00-06:00 America/Chicago; every day 22:00-01:00 UTC; every day 22:00-01:00 UTC")
    v = verdict([WEEKEND], at(2026, 12, 7, 10, 0, CHI))
    assert held_message((WEEKEND,), v, 1) == (
        "outside every change window (sat, sun 02:00-06:00 America/Chicago) and this plan stops sending: "
        "1 sending number stops (or may); the next window opens Sat 2026-12-12 02:00 America/Chicago (08:00 UTC): "
        "apply then, or pass --ignore-change-windows to apply now")
    assert "stops sending: 2 sending numbers stop (or may); the next" in held_message((WEEKEND,), v, 2)


def test_problems_say_what_to_write_instead():
    assert problems(ChangeWindow(("funday",), "02:00", "06:00", "Mars/Olympus")) == [
        "unknown time zone 'Mars/Olympus': use an IANA name such as America/Chicago, Europe/Berlin or UTC",
        "'funday' is not a day: use mon, tue, wed, thu, fri, sat, sun"]
