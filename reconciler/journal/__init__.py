"""The state folder and its write-ahead journal: what the reconciler remembers between runs.

Telnyx lists no past tasks: the id a POST returned is the only handle on a bulk task, and a
number stays PENDING_* for hours. CI runners are new machines on every run. So every write is
journalled in the state folder (`.reconciler/` by default), which CI carries from job to job:

- before a write, an *intent* line (write id, operation, numbers, target);
- after it, an outcome line for the same write id: *submitted* (Telnyx answered; a task or
  order id), *refused* (4xx: nothing happened), *unknown* (the answer was lost);
- later runs add *accepted*, *done* or *failed* once live state shows it (`settle`).

A kill between the request and the outcome line leaves an intent with no outcome: the next
run treats it as *unknown* and resolves it from live state instead of repeating it.

A *deferred* entry is the next phase of an approved apply (e.g. "assign these numbers to
CWZTFH1 by bulk once Telnyx has freed them"): `reconciler resume` carries it out later.

The file is JSON lines, one object per line, fsync'd per line. Field names and the values of
`Op` and `State` are the file format (`FORMAT`): renaming a member must not change its value.
Torn or corrupt lines (a kill mid-write, a bad merge) are reported and skipped; every good line
is kept. `compact()` rewrites the file with only open writes and a ledger of the numbers this
repository has assigned (for drift's out-of-band test), so the folder stays bounded by the
estate's size, not by how many applies ran. The folder's files are never touched through a link
planted there (`folder.py`).
"""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
import uuid
from pathlib import Path
from typing import Any, Iterable

from . import history
from .entries import (
    FORMAT,
    JOURNAL,
    MAX_LINE_BYTES,
    OPEN,
    BadLine,
    JournalView,
    Op,
    State,
    Write,
    fold,
    parse_line,
)
from .folder import (
    DOCTOR_FILE,
    StateDirError,
    check_state_dir,
    ends_mid_line,
    fsync_dir,
    link_target,
    open_own,
    save_doctor,
)

__all__ = ["DEFAULT_STATE_DIR", "DOCTOR_FILE", "FORMAT", "JOURNAL", "OPEN", "BadLine", "Journal", "JournalView", "Op", "State",
           "StateDirError", "Write", "save_doctor"]

LOCK = "lock"
DEFAULT_STATE_DIR = ".reconciler"
# Rewrite the journal once closed writes hold this many lines, or the file this many bytes.
COMPACT_AFTER_LINES = 2000
COMPACT_AFTER_BYTES = 256 * 1024


class Journal:
    """The state folder's journal. Appends are fsync'd per line; reads never fail on a bad line."""

    def __init__(self, state_dir: str | os.PathLike[str], run_id: str | None = None,
                 note: dict[str, str] | None = None) -> None:
        self.dir = Path(state_dir)
        self.path = self.dir / JOURNAL
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.note = {k: str(v) for k, v in (note or {}).items() if v}
        self._tail_checked = False
        self._lock_fd: int | None = None
        self._cached: tuple[tuple[int, int, int], JournalView] | None = None

    # ---- reading --------------------------------------------------------------------------

    def read(self) -> JournalView:
        """The journal folded into a view (read-only for callers: it is shared until the file changes).

        Apply asks the journal several times per wait (is an earlier task unprocessed? was its answer
        lost?); parsing the file once per change of it, not per question, keeps that cheap. Every
        append changes the size and a compaction the inode, so the file's signature is the key.

        Never fails on the file's content: a line too long, nested too deep, not JSON, or holding
        values the reconciler never writes (times out of range, ids and numbers of another shape) is
        reported with its number and skipped. A journal that is a symbolic link is not followed:
        reported and read as empty (the next write replaces the link with a file)."""
        check_state_dir(self.dir)
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            return JournalView()
        if stat.S_ISLNK(st.st_mode):
            return JournalView(bad=[BadLine(0, f"a symbolic link (to {link_target(self.path)}); not followed, "
                                               "ignored: the next write replaces it with a file")])
        if not stat.S_ISREG(st.st_mode):
            return JournalView(bad=[BadLine(0, "not a regular file; ignored")])
        key = (st.st_ino, st.st_size, st.st_mtime_ns)
        if self._cached is not None and self._cached[0] == key:
            return self._cached[1]
        view = self._parse()
        self._cached = (key, view)
        return view

    def _parse(self) -> JournalView:
        view = JournalView()
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            return view
        except OSError as e:  # ELOOP: replaced by a link since the lstat
            return JournalView(bad=[BadLine(0, f"cannot be opened without following a link ({e.strerror}); ignored")])
        with os.fdopen(fd, "rb") as fh:
            lineno = 0
            while True:
                raw = fh.readline(MAX_LINE_BYTES + 1)
                if not raw:
                    break
                lineno += 1
                view.lines = lineno
                if len(raw) > MAX_LINE_BYTES:
                    while raw and not raw.endswith(b"\n"):  # the rest of the line, a piece at a time
                        raw = fh.readline(MAX_LINE_BYTES)
                    view.bad.append(BadLine(lineno, "line too long; skipped"))
                    continue
                if not raw.strip():
                    continue
                entry, problem = parse_line(raw)
                if problem is None:
                    try:
                        problem = fold(view, entry)
                    except (RecursionError, ValueError, TypeError, OverflowError) as e:  # never on content
                        problem = f"unreadable ({type(e).__name__}); skipped"
                if problem:
                    view.bad.append(BadLine(lineno, problem))
        return view

    # ---- writing --------------------------------------------------------------------------

    def open_for_writing(self) -> None:
        """Create the folder and take its lock: one apply or resume at a time per state folder."""
        check_state_dir(self.dir)
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StateDirError(f"cannot create the state folder {self.dir}: {e.strerror or e}") from None
        if not self.dir.is_dir():
            raise StateDirError(f"the state folder {self.dir} is not a folder")
        import fcntl

        fd = open_own(self.dir / LOCK, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.EAGAIN, errno.EACCES):
                raise StateDirError(f"another apply or resume holds {self.dir / LOCK}; wait for it to finish") \
                    from None
            raise
        self._lock_fd = fd

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor releases the flock
            self._lock_fd = None

    def __enter__(self) -> "Journal":
        self.open_for_writing()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def intent(self, op: Op, numbers: Iterable[str], *, at: float, profile: str | None = None,
               campaign: str | None = None, campaign_uuid: str | None = None,
               note: dict[str, str] | None = None, members: Iterable[str] = (),
               stopped_at: float | None = None) -> str:
        """Record a write about to be sent; returns its id. `note`: whose work it is (default: this
        run's), e.g. the pull request of the apply whose next phase this write carries out.
        `members`: for a bulk task, every number of the profile it may touch (Telnyx may provision
        numbers already on the campaign again), so the journal names all a write can change."""
        wid = uuid.uuid4().hex[:16]
        self._append({"write": wid, "op": op.value, "state": State.INTENT.value, "run": self.run_id,
                      "numbers": sorted(numbers), "profile": profile, "campaign": campaign,
                      "campaign_uuid": campaign_uuid, "submitted_at": at, "note": (note or self.note) or None,
                      "members": sorted(set(members) - set(numbers)) or None,
                      **({"stopped_at": stopped_at} if stopped_at is not None else {})})
        return wid

    def defer(self, op: Op, numbers: Iterable[str], *, at: float, profile: str | None, campaign: str | None,
              after: str, campaign_uuid: str | None = None, members: Iterable[str] = (),
              detail: str | None = None, resends: int | None = None) -> str:
        """Record the next phase of this apply, to be carried out once `after` holds. `resends`: for a
        bulk, how many numbers already ASSIGNED the reviewed plan lets its task re-send (never more)."""
        wid = uuid.uuid4().hex[:16]
        self._append({"write": wid, "op": op.value, "state": State.DEFERRED.value, "run": self.run_id,
                      "numbers": sorted(numbers), "profile": profile, "campaign": campaign,
                      "campaign_uuid": campaign_uuid, "after": after,
                      "members": sorted(members) or None, "submitted_at": at, "detail": detail,
                      **({"resends": resends} if resends is not None else {}),
                      "note": self.note or None})
        return wid

    def update(self, wid: str, state: State, *, at: float, ref: str | None = None, detail: str | None = None,
               failed: dict[str, str] | None = None, processed: bool = False) -> None:
        entry: dict[str, Any] = {"write": wid, "state": state.value, "updated_at": at}
        if processed:
            entry["processed"] = True
        if ref is not None:
            entry["ref"] = ref
        if detail is not None:
            entry["detail"] = detail[:2000]
        if failed:
            entry["failed"] = {n: (r or "")[:500] for n, r in failed.items()}
        self._append(entry)

    def _append(self, entry: dict[str, Any]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        if os.path.islink(self.path):
            os.unlink(self.path)  # a planted link is never written through (read() reported it)
        line = json.dumps({k: v for k, v in entry.items() if v is not None}, sort_keys=True,
                          separators=(",", ":")) + "\n"
        if not self._tail_checked:
            # A run killed mid-write leaves a cut-short last line: start ours on a fresh one,
            # or our first entry (maybe a task id the next run must wait for) would be lost with it.
            self._tail_checked = True
            if ends_mid_line(self.path):
                line = "\n" + line
        with os.fdopen(open_own(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT), "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    # ---- compaction -----------------------------------------------------------------------

    def compact(self, view: JournalView | None = None, *, force: bool = False) -> bool:
        """Rewrite the journal keeping open writes and the ledger; True if it was rewritten.

        Invisible to every reader: the open writes (deferred phases included) are kept whole, and
        `applied()` says the same before and after (see `_fold_plan`). Atomic: a temporary file in
        the folder, fsync'd, renamed over the journal."""
        view = view or self.read()
        # What finished is measured first (compaction folds it away): a bounded history of durations,
        # for estimates only (history.py). A history that cannot be written is no reason to fail.
        try:
            history.record(self.dir, view)
        except OSError:
            pass
        kept, folded = _fold_plan(view)
        dropped_lines = sum(w.lines for w in view.writes.values() if w.id not in kept)
        exists = os.path.isfile(self.path) and not os.path.islink(self.path)
        size = os.lstat(self.path).st_size if exists else 0
        if not force and (not dropped_lines or (dropped_lines < COMPACT_AFTER_LINES and size < COMPACT_AFTER_BYTES)):
            return False
        if not exists:
            return False
        ledger = dict(view.ledger)
        for w in folded:
            if w.op is not Op.UNASSIGN and w.campaign and w.state in (State.DONE, State.FAILED):
                ledger.update((n, w.campaign) for n in w.numbers if n not in w.failed)
            elif w.op is Op.UNASSIGN and w.state is State.DONE:
                for n in w.numbers:
                    ledger.pop(n, None)
        by_campaign: dict[str, list[str]] = {}
        for n, c in ledger.items():
            by_campaign.setdefault(c, []).append(n)
        lines = [json.dumps({"ledger": {c: sorted(ns) for c, ns in sorted(by_campaign.items())}, "format": FORMAT},
                            sort_keys=True, separators=(",", ":"))]
        for w in view.writes.values():  # file order: `applied()` breaks ties in submission time by it
            if w.id in kept:
                lines.append(json.dumps({k: v for k, v in w.to_dict().items() if v is not None}, sort_keys=True,
                                        separators=(",", ":")))
        fd, tmp = tempfile.mkstemp(prefix=".journal.", dir=self.dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write("\n".join(lines) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        fsync_dir(self.dir)
        self._tail_checked = True
        return True


def _fold_plan(view: JournalView) -> tuple[set[str], list[Write]]:
    """Which writes compaction keeps as they are, and which closed ones it folds into the ledger (in
    the order `applied()` replays them).

    Every open write is kept. The ledger is replayed before every kept write, so a closed write may
    be folded into it only if no kept write that comes before it in `applied()`'s order (the order
    writes were first journalled) names one of its numbers: otherwise an older open write (a task still
    being processed) would overrule a newer finished one once compacted. Such a closed write is
    kept too, and so, in turn, is a later one that overlaps it."""
    kept: set[str] = set()
    held: set[str] = set()  # numbers some kept write names
    folded: list[Write] = []
    for w in view.writes.values():  # the order `applied()` replays them: the journal's own
        if w.open or (w.state in (State.DONE, State.FAILED) and not held.isdisjoint(w.numbers)):
            kept.add(w.id)
            held.update(w.numbers)
        else:
            folded.append(w)
    return kept, folded
