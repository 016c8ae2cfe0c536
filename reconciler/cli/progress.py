"""apply's and resume's progress on stderr: a bar on a terminal, plain lines in CI, lines that
come per number summed per kind, and what ends a wait said after each "waiting for" line."""

from __future__ import annotations

import re
import sys
import time
from typing import Any, Callable

import click

from reconciler.model import plural
from reconciler.render.safe import plain

# `N numbers` in a progress line, and the numbers one names: what varies between lines of one kind.
_COUNT = re.compile(r"\b(\d+) numbers?\b")
_SUMMED = "{n} numbers"
_PHONE = re.compile(r"\+\d{8,15}\b")


class Progress:
    """Progress on stderr: a bar on a terminal, plain lines in CI (about one per 10 %).

    Lines of one kind that come per number (a move Telnyx refuses, a number freed: 500 lines for
    250 numbers) are said the first time, then summed: one line per kind, its numbers added up, at
    most once a minute and when the run moves on (a line of another kind, or the end). `verbose`:
    every line as it comes. `waiting_hint`: said after every "waiting for" line (how a wait on the
    sandbox's clock ends, or that `resume` picks the work up later)."""

    WIDTH = 24
    EVERY = 60.0  # seconds between two sums of the same kind

    def __init__(self, verbose: bool = False, clock: Callable[[], float] = time.monotonic) -> None:
        self.tty = sys.stderr.isatty()
        self.verbose = verbose
        self.clock = clock
        self.waiting_hint: Callable[[], str] | None = None
        self._kinds: dict[str, list[int]] = {}  # kind -> [numbers in all, lines in all, lines not said]
        self._summed_at = clock()

    def __call__(self, msg: str, done: int | None = None, total: int | None = None) -> None:
        msg = plain(msg)  # names from YAML, Telnyx's words in an error: one line, no escapes
        if total is None and msg.startswith("waiting for") and self.waiting_hint is not None:
            msg += self.waiting_hint()
        if total is not None or self.verbose:
            self._echo(msg, done, total)
            return
        counted = _COUNT.search(msg)
        kind = _PHONE.sub("+…", _COUNT.sub(_SUMMED, msg, count=1))
        seen = self._kinds.get(kind)
        n = int(counted.group(1)) if counted else 1
        if seen is None:
            self.flush()  # the run moved on: what was summed so far is said first
            self._kinds[kind] = [n, 1, 0]
            self._echo(msg, None, None)
            return
        seen[0] += n
        seen[1] += 1
        seen[2] += 1
        if self.clock() - self._summed_at >= self.EVERY:
            self.flush()

    def flush(self, last: bool = False) -> None:
        """Say each kind of line repeated since it was last said, its numbers summed."""
        self._summed_at = self.clock()
        for kind, seen in self._kinds.items():
            if not seen[2]:
                continue
            seen[2] = 0
            so_far = "in all" if last else "so far"
            if _SUMMED in kind:
                self._echo(f"{so_far}: " + kind.replace(_SUMMED, plural(seen[0], "number", "numbers"), 1), None, None)
            else:
                self._echo(f"{so_far}, {seen[1]} times: {kind}", None, None)

    def _echo(self, msg: str, done: int | None, total: int | None) -> None:
        if self.tty:
            bar = ""
            if total:
                filled = self.WIDTH * (done or 0) // total
                bar = f"[{'#' * filled}{'-' * (self.WIDTH - filled)}] {done}/{total} "
            click.echo(f"\r\x1b[2K{bar}{msg}", err=True, nl=False)
        elif total is None or done == total or (done or 0) % max(1, total // 10) == 0:
            click.echo(f"{msg} ({done}/{total})" if total else msg, err=True)

    def done(self) -> None:
        self.flush(last=True)
        if self.tty:
            click.echo("", err=True)


def progress_for(verbose: bool) -> Progress:
    """apply's and resume's progress: every line with the command's --verbose or the logging -v
    (`reconciler -v apply`), else summed per kind of line."""
    ctx = click.get_current_context(silent=True)
    chatty = bool(ctx is not None and ctx.find_root().params.get("verbose"))
    return Progress(verbose=verbose or chatty)


def waiting_hint(client: Any) -> Callable[[], str]:
    """What ends a wait on this API, said after each "waiting for" line: on the sandbox (it says so
    in every answer), that `reconciler sandbox advance` moves its clock (which may stand still);
    elsewhere, that the work goes on at Telnyx and `reconciler resume` picks it up later."""

    def hint() -> str:
        clock = getattr(client, "sandbox_clock", None)
        if clock == "frozen":
            return ("; the sandbox's clock stands still (--time-scale 0): `reconciler sandbox advance 3h` moves it, "
                    "or stop waiting and run `reconciler resume` later")
        if clock:
            return (f"; a sandbox (its clock runs {clock.removeprefix('x')}x real time): `reconciler sandbox advance "
                    f"DURATION` moves it on")
        return "; if this run stops waiting first, the work goes on at Telnyx and `reconciler resume` picks it up later"

    return hint
