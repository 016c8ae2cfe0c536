"""Change windows (`policy.change_windows`): when a plan that stops sending numbers may be applied.

A window opens on each of its `days` (the day it opens, in its time zone) at `start` and closes at
`end`, both wall-clock `HH:MM` in `timezone` (IANA, through `zoneinfo`); an `end` at or before
`start` closes the next day (a window across midnight). Wall-clock times follow daylight saving:
a window 02:00-06:00 in America/Chicago is 08:00-12:00 UTC in winter and 07:00-11:00 UTC in summer.
On the day clocks jump forward a time that does not exist (02:30) is read with the offset before
the jump (so it opens at 03:30 local); on the day they fall back a time that happens twice is its
first occurrence. Pure: "now" is given (Telnyx's clock, `Date` header, where it answered).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reconciler.model import ChangeWindow

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HHMM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


def minutes(hhmm: str) -> int:
    m = HHMM.fullmatch(hhmm)
    if m is None:
        raise ValueError(f"{hhmm!r} is not a time of day (HH:MM, 00:00 to 23:59)")
    return int(m[1]) * 60 + int(m[2])


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`; ValueError naming it when this machine does not know it."""
    try:
        if not name or name.startswith(("/", ".")) or ".." in name:
            raise ValueError
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as America/Chicago, Europe/Berlin "
                         "or UTC") from None


def problems(w: ChangeWindow) -> list[str]:
    """What is wrong with one window beyond its shape (the schema checks that): an unknown time zone,
    times that are not HH:MM, a window that opens and closes at the same minute."""
    out = []
    try:
        zone(w.timezone)
    except ValueError as e:
        out.append(str(e))
    try:
        if minutes(w.start) == minutes(w.end):
            out.append(f"a change window must not start and end at the same time ({w.start}); for a whole day "
                       f"use start \"00:00\" and end \"23:59\", or leave change_windows out")
    except ValueError as e:
        out.append(str(e))
    for d in w.days:
        if d not in DAYS:
            out.append(f"{d!r} is not a day: use {', '.join(DAYS)}")
    return out


def _intervals(w: ChangeWindow, around: float) -> Iterable[tuple[float, float]]:
    """[opens, closes) in epoch seconds, for the openings from two days before `around` to eight after."""
    tz = zone(w.timezone)
    start, end = minutes(w.start), minutes(w.end)
    days = {DAYS.index(d) for d in w.days} if w.days else set(range(7))
    today = dt.datetime.fromtimestamp(around, tz).date()
    for k in range(-2, 9):
        day = today + dt.timedelta(days=k)
        if day.weekday() not in days:
            continue
        opens = dt.datetime.combine(day, dt.time(start // 60, start % 60), tz)
        close_day = day if end > start else day + dt.timedelta(days=1)
        closes = dt.datetime.combine(close_day, dt.time(end // 60, end % 60), tz)
        a, b = opens.timestamp(), closes.timestamp()
        if b > a:
            yield a, b


@dataclass(frozen=True)
class Verdict:
    """Where `now` stands against the windows."""

    now: float
    open: bool
    until: float | None  # open: when the window that holds now closes (the latest of those that do)
    opens: float | None  # closed: when the next window opens
    window: ChangeWindow | None  # the window that holds now, or opens next

    def when(self) -> str:
        """`Sat 2026-12-05 02:00 America/Chicago (08:00 UTC)`: the next opening, or the close."""
        at = self.until if self.open else self.opens
        if at is None or self.window is None:
            return "never (no window opens in the next week)"
        return local(at, self.window.timezone)

    def as_dict(self) -> dict[str, Any]:
        return {"open_now": self.open, "now": iso(self.now),
                "closes_at": iso(self.until) if self.open and self.until is not None else None,
                "next_opening": iso(self.opens) if not self.open and self.opens is not None else None,
                "timezone": self.window.timezone if self.window else None}


def verdict(windows: Iterable[ChangeWindow], now: float) -> Verdict:
    best_open: tuple[float, ChangeWindow] | None = None
    best_next: tuple[float, ChangeWindow] | None = None
    for w in windows:
        for a, b in _intervals(w, now):
            if a <= now < b:
                if best_open is None or b > best_open[0]:
                    best_open = (b, w)
            elif a > now and (best_next is None or a < best_next[0]):
                best_next = (a, w)
    if best_open is not None:
        return Verdict(now, True, best_open[0], None, best_open[1])
    if best_next is not None:
        return Verdict(now, False, None, best_next[0], best_next[1])
    return Verdict(now, False, None, None, None)


def iso(t: float) -> str:
    """A moment in UTC to the second; a time no date holds (a hostile journal's) as its number."""
    try:
        return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return f"{t:.0f}"


def local(t: float, tz: str) -> str:
    here = dt.datetime.fromtimestamp(t, zone(tz))
    utc = dt.datetime.fromtimestamp(t, dt.timezone.utc)
    shown = here.strftime("%a %Y-%m-%d %H:%M") + f" {tz}"
    return shown if tz == "UTC" else shown + utc.strftime(" (%H:%M UTC)")


def describe(windows: Iterable[ChangeWindow]) -> str:
    """`sat, sun 02:00-06:00 America/Chicago; every day 22:00-01:00 UTC`."""
    out = []
    for w in windows:
        days = ", ".join(w.days) if w.days and len(w.days) < 7 else "every day"
        out.append(f"{days} {w.start}-{w.end} {w.timezone}")
    return "; ".join(out)


def held_message(windows: tuple[ChangeWindow, ...], v: Verdict, interrupted: int) -> str:
    """Why apply refuses now: outside every window, with a plan that stops sending numbers."""
    who = f"{interrupted} sending number{' stops' if interrupted == 1 else 's stop'} (or may)"
    return (f"outside every change window ({describe(windows)}) and this plan stops sending: {who}; "
            f"the next window opens {v.when()}: apply then, or pass --ignore-change-windows to apply now")
