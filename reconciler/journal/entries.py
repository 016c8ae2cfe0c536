"""The journal's file format: one JSON object per line, folded into writes.

Field names and the values of `Op` and `State` are the format (`FORMAT`): renaming a member must
not change its value. Folding never fails on a bad line: it says what is wrong with it, and the
reader (`Journal.read`) reports and skips it, keeping every good line.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reconciler.jsonbounds import deeper_than

FORMAT = 2
JOURNAL = "journal.jsonl"
# A line longer than this is not ours (a bulk write of 100k numbers is ~1.7 MB).
MAX_LINE_BYTES = 64 * 1024 * 1024
# Our lines nest three deep at most ({"ledger": {campaign: [numbers]}}); a deeper one is not ours,
# and JSON nested thousands deep would exhaust the parser's recursion.
MAX_DEPTH = 8
# Epoch seconds a journal may name: from 1970 to the end of 9999 (what a date can be written as).
EARLIEST, LATEST = 0.0, 253402300799.0
# What the journal's ids and numbers look like; anything else is not ours (and would reach URLs).
NUMBER = re.compile(r"\+[1-9][0-9]{6,14}")
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
# The largest count a line may carry (a re-send allowance): more numbers than any account holds.
MAX_COUNT = 10_000_000


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a journal holds")


def parse_line(raw: bytes) -> tuple[Any, str | None]:
    """(the parsed line, None), or (None, what is wrong with it). Never raises on content."""
    if deeper_than(raw, MAX_DEPTH):
        return None, f"nested more than {MAX_DEPTH} deep; skipped"
    try:
        return json.loads(raw, parse_constant=_refuse_constant), None
    except RecursionError:
        return None, "nested too deep; skipped"
    except ValueError:
        cut = not raw.endswith(b"\n")
        return None, "cut short (a run killed mid-write); skipped" if cut else "not JSON; skipped"


class Op(StrEnum):
    """Kinds of write. The values are part of the file format."""

    BULK_ASSIGN = "bulk_assign"  # POST /10dlc/phoneNumberAssignmentByProfile
    BULK_MOVE = "bulk_move"  # POST /messaging_numbers_bulk_updates
    PATCH_PROFILE = "patch_profile"  # PATCH /phone_numbers/{id}/messaging
    ASSIGN = "assign"  # POST /10dlc/phone_number_campaigns
    REPLACE = "replace"  # PUT /10dlc/phone_number_campaigns/{phoneNumber}
    UNASSIGN = "unassign"  # DELETE /10dlc/phone_number_campaigns/{phoneNumber}

    @property
    def moves_profile(self) -> bool:
        return self in (Op.BULK_MOVE, Op.PATCH_PROFILE)


class State(StrEnum):
    """Where a write is in its life cycle. The values are part of the file format."""

    INTENT = "intent"  # about to be sent (a kill here leaves it unknown)
    SUBMITTED = "submitted"  # Telnyx answered 2xx; not yet seen processed
    UNKNOWN = "unknown"  # the answer was lost (timeout, 5xx after sending)
    ACCEPTED = "accepted"  # Telnyx took it: processed, or the numbers show PENDING_*
    DEFERRED = "deferred"  # a later phase of an approved apply, waiting for its condition
    DONE = "done"  # every number reached its target
    FAILED = "failed"  # Telnyx said so for some number (reasons kept)
    REFUSED = "refused"  # 4xx: nothing happened
    ABANDONED = "abandoned"  # a deferred phase that no longer applies (live state moved on)


OPEN = frozenset({State.INTENT, State.SUBMITTED, State.UNKNOWN, State.ACCEPTED, State.DEFERRED})
# The writes that put numbers on a campaign (tracking.ASSIGNING_OPS).
ASSIGNING = frozenset({Op.BULK_ASSIGN, Op.ASSIGN, Op.REPLACE})


@dataclass
class Write:
    """One write, folded from its journal lines (intent first, then outcomes)."""

    id: str
    op: Op
    state: State
    run: str
    numbers: tuple[str, ...] = ()
    profile: str | None = None  # target messaging profile
    campaign: str | None = None  # target TCR campaign id (a removal: the campaign left; a move: None)
    campaign_uuid: str | None = None  # Telnyx-registered campaigns: the id writes name them by
    ref: str | None = None  # Telnyx's task or order id
    submitted_at: float | None = None  # server time (epoch seconds) the write was sent
    updated_at: float | None = None
    detail: str | None = None
    failed: dict[str, str] = field(default_factory=dict)  # number -> Telnyx's reason
    after: str | None = None  # deferred only: "free" (numbers without a campaign)
    processed: bool = False  # a bulk task Telnyx was seen to finish processing (its skips are final)
    processed_at: float | None = None  # when it was first seen processed (for the history of durations)
    members: tuple[str, ...] = ()  # bulk: the profile's other numbers it may touch (deferred: the ones the plan let sit there)
    # Deferred bulk: how many numbers already ASSIGNED the reviewed plan lets it re-send; None: not recorded.
    resends: int | None = None
    # A next phase's write: when its numbers stopped sending (their removal was sent), so that "not
    # sending for how long" runs from then, not from this write. None for every other write.
    stopped_at: float | None = None
    note: dict[str, str] = field(default_factory=dict)  # who: run label, pull request, checksum
    lines: int = 0

    @property
    def open(self) -> bool:
        return self.state in OPEN

    def to_dict(self) -> dict[str, Any]:
        return {
            "write": self.id, "op": self.op.value, "state": self.state.value, "run": self.run,
            "numbers": list(self.numbers), "profile": self.profile, "campaign": self.campaign, "campaign_uuid": self.campaign_uuid, "ref": self.ref,
            "submitted_at": self.submitted_at, "updated_at": self.updated_at, "detail": self.detail,
            "failed": dict(self.failed) or None, "after": self.after, "members": list(self.members) or None,
            **({"resends": self.resends} if self.resends is not None else {}),
            **({"stopped_at": self.stopped_at} if self.stopped_at is not None else {}),
            "note": dict(self.note) or None, "processed": self.processed or None,
        }


@dataclass(frozen=True)
class BadLine:
    line: int  # 0: the file as a whole
    problem: str

    def __str__(self) -> str:
        return f"{JOURNAL}:{self.line}: {self.problem}" if self.line else f"{JOURNAL}: {self.problem}"


@dataclass
class JournalView:
    """Everything a journal file says, folded: writes by id, the ledger, and the lines skipped."""

    writes: dict[str, Write] = field(default_factory=dict)
    ledger: dict[str, str] = field(default_factory=dict)  # number -> campaign this repository assigned
    bad: list[BadLine] = field(default_factory=list)
    lines: int = 0

    def open_writes(self) -> list[Write]:
        return [w for w in self.writes.values() if w.open]

    def left_failed(self) -> list[tuple[Write, tuple[str, ...]]]:
        """The closed assigning writes whose recorded failure is still the journal's last word on some
        of their numbers, with those numbers: (write, numbers it recorded failed). Only the latest
        write naming a number counts (a write refused or abandoned never happened: it does not),
        so a number an open write holds is open work, and one a later write took is that write's;
        what compaction folded away is forgotten (the ledger keeps where numbers went, not why they
        failed). A bulk task's member (a number of its profile it was not sent for) that it recorded
        failed is named by it too: Telnyx took it again and failed it. Live state, not this, decides
        whether such a number still cannot send (`status`)."""
        latest: dict[str, Write] = {}
        for w in self.writes.values():  # the journal's own order, as `applied()`
            if w.state in (State.REFUSED, State.ABANDONED):
                continue
            for n in (*w.numbers, *(m for m in w.members if m in w.failed)):
                latest[n] = w
        out: dict[str, list[str]] = {}
        for n, w in latest.items():
            if w.state is State.FAILED and w.op in ASSIGNING and n in w.failed:
                out.setdefault(w.id, []).append(n)
        return [(self.writes[wid], tuple(sorted(ns))) for wid, ns in out.items()]

    def applied(self) -> dict[str, str]:
        """number -> the campaign this repository last put it on (for drift: out of band, or unapplied).

        "Last" in the journal's own order (the order writes were first journalled), not by their
        times: Telnyx's clock, read by runners with different skews, may run backwards between
        runs, and compaction keeps that order (so it changes nothing this says)."""
        out = dict(self.ledger)
        for w in self.writes.values():
            if w.state not in (State.SUBMITTED, State.ACCEPTED, State.DONE, State.FAILED):
                continue
            if w.op is Op.UNASSIGN:
                if w.state is State.DONE:
                    for n in w.numbers:
                        out.pop(n, None)
            elif w.campaign:
                out.update((n, w.campaign) for n in w.numbers if n not in w.failed)
        return out


def fold(view: JournalView, e: Any) -> str | None:
    """Merge one parsed line into the view; a problem string if the line is not usable."""
    if not isinstance(e, dict):
        return "not an object; skipped"
    if "ledger" in e:
        ledger = e["ledger"]
        if not isinstance(ledger, dict):
            return "ledger is not an object; skipped"
        for campaign, numbers in ledger.items():
            if not _id(campaign) or not isinstance(numbers, list) or not all(_number(n) for n in numbers):
                return "ledger holds something other than campaign ids and phone numbers; skipped"
        for campaign, numbers in ledger.items():
            view.ledger.update((n, campaign) for n in numbers)
        return None
    wid = e.get("write")
    if not isinstance(wid, str) or not wid:
        return "no write id; skipped"
    problem = _check(e)
    if problem:
        return problem + "; skipped"
    try:
        state = State(e.get("state"))
    except ValueError:
        return f"unknown state {str(e.get('state'))[:40]!r}; skipped"
    w = view.writes.get(wid)
    if w is None:
        try:
            op = Op(e.get("op"))
        except ValueError:
            return f"unknown operation {str(e.get('op'))[:40]!r}; skipped"
        numbers = e.get("numbers") or []
        if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
            return "numbers is not a list of strings; skipped"
        w = Write(wid, op, state, str(e.get("run") or ""), tuple(numbers), _str(e.get("profile")),
                  _str(e.get("campaign")), _str(e.get("campaign_uuid")), after=_str(e.get("after")),
                  members=tuple(m for m in (e.get("members") or []) if isinstance(m, str)),
                  resends=e.get("resends") if _count(e.get("resends")) else None,
                  stopped_at=float(e["stopped_at"]) if isinstance(e.get("stopped_at"), (int, float)) else None,
                  note={str(k): str(v) for k, v in (e.get("note") or {}).items()}
                  if isinstance(e.get("note"), dict) else {})
        view.writes[wid] = w
    w.state = state
    w.lines += 1
    for key in ("ref", "detail"):
        if isinstance(e.get(key), str):
            setattr(w, key, e[key])
    for key in ("submitted_at", "updated_at"):
        v = e.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            setattr(w, key, float(v))
    if e.get("processed") is True:
        w.processed = True
        if w.processed_at is None and isinstance(e.get("updated_at"), (int, float)) \
                and not isinstance(e.get("updated_at"), bool):
            w.processed_at = float(e["updated_at"])
    failed = e.get("failed")
    if isinstance(failed, dict):
        w.failed.update({str(k): str(v) for k, v in failed.items()})
    return None


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_COUNT


def _id(v: Any) -> bool:
    return isinstance(v, str) and ID.fullmatch(v) is not None


def _number(v: Any) -> bool:
    return isinstance(v, str) and NUMBER.fullmatch(v) is not None


def _check(e: dict[str, Any]) -> str | None:
    """What in a write's line is not something the reconciler writes (ranges, shapes), or None."""
    if not _id(e["write"]):
        return "the write id is not an id"
    for key in ("submitted_at", "updated_at", "stopped_at"):
        v = e.get(key)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
                or not EARLIEST <= v <= LATEST:
            return f"{key} is not a time between 1970 and 9999"
    for key in ("profile", "campaign", "campaign_uuid", "ref", "run"):
        v = e.get(key)
        if v is not None and v != "" and not _id(v):
            return f"{key} is not an id"
    for key in ("numbers", "members"):
        v = e.get(key)
        if v is not None and (not isinstance(v, list) or not all(_number(n) for n in v)):
            return f"{key} is not a list of phone numbers"
    failed = e.get("failed")
    if failed is not None and (not isinstance(failed, dict) or not all(
            _number(k) and isinstance(v, str) for k, v in failed.items())):
        return "failed is not phone numbers with reasons"
    note = e.get("note")
    if note is not None and (not isinstance(note, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in note.items())):
        return "note is not text"
    if e.get("resends") is not None and not _count(e.get("resends")):
        return "resends is not a count"
    for key in ("detail", "after"):
        if e.get(key) is not None and not isinstance(e.get(key), str):
            return f"{key} is not text"
    return None


