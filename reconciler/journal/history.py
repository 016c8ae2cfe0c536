"""How long this account's work took: a small, bounded history in the state folder (`history.json`).

Every time apply or resume compacts the journal, the writes it has seen finish are measured on
Telnyx's clock, from when they were sent: a bulk task until it was seen processed (`task`), a
profile order until done (`order`), an assignment until every number was seen assigned
(`assignment`), a removal until every number was seen freed (`unassignment`). A finish is seen
when a run looks (apply waits; the scheduled `resume` looks hourly), so a figure may be late by
the time between two looks; `status` says which figures come from here. A figure under its kind's
floor (`durations.FLOOR`: a sandbox's instant timeline, a clock that stood still) is not Telnyx's
processing: it is marked seen and never learned.

A memory for estimates only, like the journal never an authority: nothing the reconciler writes
depends on it. It is bounded (the newest `KEEP` figures per kind, the ids of the newest `SEEN`
writes measured, so none is counted twice) and read defensively: a file that is not ours (too
big, not JSON, values out of range, a link) is reported and ignored, and the next record
replaces it.
"""

from __future__ import annotations

import json
import math
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.durations import real

from .entries import ID, JournalView, Op, State

HISTORY = "history.json"
FORMAT = 1
KEEP = 50  # figures kept per kind, newest last
SEEN = 2000  # ids of the writes already measured, newest last
MAX_BYTES = 256 * 1024
MAX_SECONDS = 90 * 86400.0  # a figure longer than this is not one of ours
KINDS = ("task", "order", "assignment", "unassignment")
CLOCK_SLACK = 5.0


@dataclass
class History:
    observed: dict[str, list[float]] = field(default_factory=dict)  # kind -> seconds, newest last
    seen: list[str] = field(default_factory=list)
    problem: str | None = None  # why the file was ignored


def read(state_dir: str | os.PathLike[str]) -> History:
    """The history, or an empty one with the reason it was ignored. Never raises on content."""
    path = Path(state_dir) / HISTORY
    try:
        st = os.lstat(path)
    except OSError:
        return History()
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
        return History(problem=f"{HISTORY}: not a regular file; ignored")
    if st.st_size > MAX_BYTES:
        return History(problem=f"{HISTORY}: larger than {MAX_BYTES // 1024} KB; ignored")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
        data = json.loads(raw, parse_constant=_refuse)
    except (OSError, ValueError, RecursionError) as e:
        return History(problem=f"{HISTORY}: unreadable ({type(e).__name__}); ignored")
    problem = _check(data)
    if problem:
        return History(problem=f"{HISTORY}: {problem}; ignored")
    return History({k: [float(x) for x in v][-KEEP:] for k, v in data.get("observed", {}).items()},
                   list(data.get("seen", []))[-SEEN:])


def _refuse(name: str) -> Any:
    raise ValueError(name)


def _check(data: Any) -> str | None:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return "not a history of this format"
    observed, seen = data.get("observed", {}), data.get("seen", [])
    if not isinstance(observed, dict) or not all(k in KINDS and isinstance(v, list) for k, v in observed.items()):
        return "observed is not figures per kind"
    for v in observed.values():
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
                   and 0 <= x <= MAX_SECONDS for x in v):
            return "a figure is not a duration"
    if not isinstance(seen, list) or not all(isinstance(s, str) and ID.fullmatch(s) for s in seen):
        return "seen is not write ids"
    return None


def measured(view: JournalView) -> list[tuple[str, str, float | None]]:
    """(write id, kind, seconds) of every finished write the view can measure, seconds None for the
    other writes of a batch (seen, not learned again). Pure."""
    out = []
    for w in view.writes.values():
        if w.submitted_at is None or w.after is not None:  # a deferred phase waited on purpose
            continue
        if w.op is Op.BULK_ASSIGN and w.processed_at is not None:
            out.append((w.id + ":task", "task", w.processed_at - w.submitted_at, ("task", w.id, 0)))
        if w.state is not State.DONE or w.updated_at is None:
            continue
        kind = {Op.BULK_MOVE: "order", Op.UNASSIGN: "unassignment", Op.BULK_ASSIGN: "assignment",
                Op.ASSIGN: "assignment", Op.REPLACE: "assignment"}.get(w.op)
        if kind:
            out.append((w.id, kind, w.updated_at - w.submitted_at, (kind, w.run, round(w.updated_at))))
    # One observation per batch: per-number writes of one run that one look saw end (250 removals, say)
    # measured the same look, not 250 separate durations; the batch is said by its slowest write (an ETA
    # is a promise), and every write of it is marked seen.
    batches: dict[tuple[str, str, int], list[tuple[str, str, float]]] = {}
    for i, k, s, key in out:
        batches.setdefault(key, []).append((i, k, s))
    kept = []
    for group in batches.values():
        slowest = max(s for _, _, s in group)
        kept += [(i, k, slowest if n == 0 else None) for n, (i, k, _) in enumerate(group)]
    # Telnyx's clock is learned from its `Date` header (whole seconds): a figure a little under zero is zero.
    return [(i, k, None if s is None else max(0.0, s)) for i, k, s in kept
            if s is None or -CLOCK_SLACK <= s <= MAX_SECONDS]


def record(state_dir: str | os.PathLike[str], view: JournalView) -> int:
    """Add the figures of writes finished since the last record; returns how many were measured
    (those under their floor are counted, marked seen, not learned). A history that
    was ignored (corrupt) is replaced. Atomic: a temporary file renamed over the old one."""
    h = read(state_dir)
    seen = set(h.seen)
    new = [(i, k, s) for i, k, s in measured(view) if i not in seen]
    if not new:
        return 0
    for i, kind, seconds in new:
        if seconds is not None and real(kind, seconds):
            h.observed.setdefault(kind, []).append(round(seconds, 1))
        h.seen.append(i)
    data = {"format": FORMAT, "observed": {k: v[-KEEP:] for k, v in sorted(h.observed.items())},
            "seen": h.seen[-SEEN:]}
    directory = Path(state_dir)
    fd, tmp = tempfile.mkstemp(prefix=".history.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, separators=(",", ":"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, directory / HISTORY)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return len(new)
