"""The state folder's write-ahead journal and the judging of work in flight: pure, no sockets."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reconciler.journal import COMPACT_AFTER_BYTES, COMPACT_AFTER_LINES, Journal, JournalView, Op, State, StateDirError
from reconciler.model import LiveAssignment, LiveNumber, LiveState
from reconciler.tracking import UNKNOWN_GRACE, NumberState, PhaseState, judge
from reconciler.wait import Waiter

P, Q = "4001767e-ce0f-4cae-9d5f-0d5e636e7809", "7b1e3c52-9a4f-4d8e-b6a2-1f0c9d8e7a65"
N = [f"+1312555080{i}" for i in range(5)]
T0 = 1_800_000_000.0


def live(assign: dict[str, tuple[str, str]] | None = None, profile: str = P,
         numbers: list[str] | None = None) -> LiveState:
    s = LiveState()
    for i, n in enumerate(numbers or N):
        s.numbers[n] = LiveNumber(n, str(1000 + i), profile, "longcode")
    for n, (c, st) in (assign or {}).items():
        s.assignments[n] = LiveAssignment(n, c, st, "T-Mobile said no" if st.startswith("FAILED") else None)
    return s


# ---------------------------------------------------------------- journal file


def test_intent_then_outcome_fold_into_one_write(tmp_path: Path) -> None:
    j = Journal(tmp_path, run_id="run1", note={"pr": "7"})
    wid = j.intent(Op.BULK_ASSIGN, N, at=T0, profile=P, campaign="CWZTFH1")
    j.update(wid, State.SUBMITTED, at=T0 + 1, ref="task-1")
    view = j.read()
    (w,) = view.writes.values()
    assert (w.op, w.state, w.ref, w.run, w.note, w.numbers) == (Op.BULK_ASSIGN, State.SUBMITTED, "task-1", "run1",
                                                                {"pr": "7"}, tuple(sorted(N)))
    assert w.submitted_at == T0 and w.updated_at == T0 + 1 and w.open
    assert view.applied() == dict.fromkeys(N, "CWZTFH1")


def test_the_file_is_parsed_once_per_change_of_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    j = Journal(tmp_path)
    wid = j.intent(Op.BULK_ASSIGN, N, at=T0, profile=P, campaign="CWZTFH1")
    parses = []
    real = Journal._parse
    monkeypatch.setattr(Journal, "_parse", lambda self: parses.append(1) or real(self))
    first = j.read()
    assert j.read() is first and len(parses) == 1  # asked again, nothing changed: not parsed again
    j.update(wid, State.SUBMITTED, at=T0 + 1, ref="task-1")
    assert j.read().writes[wid].state is State.SUBMITTED and len(parses) == 2
    # Another writer's append (a second Journal on the folder) is seen too.
    Journal(tmp_path).update(wid, State.ACCEPTED, at=T0 + 2)
    assert j.read().writes[wid].state is State.ACCEPTED
    j.compact(force=True)
    assert j.read().writes[wid].state is State.ACCEPTED and len(parses) == 4


def test_every_line_is_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real(fd)))
    j = Journal(tmp_path)
    wid = j.intent(Op.ASSIGN, N[:1], at=T0, campaign="CWZTFH1")
    j.update(wid, State.ACCEPTED, at=T0)
    assert len(calls) == 2  # one per line: a kill right after a write must find its line on disk


def test_torn_and_corrupt_lines_are_reported_and_good_ones_kept(tmp_path: Path) -> None:
    j = Journal(tmp_path)
    good = j.intent(Op.BULK_ASSIGN, N, at=T0, profile=P, campaign="CWZTFH1")
    with open(j.path, "a", encoding="utf-8") as fh:
        fh.write("this is not json\n")
        fh.write(json.dumps({"write": "x", "state": "exploded"}) + "\n")
        fh.write(json.dumps({"write": good, "state": "submitted", "ref": "task-9"})[:30])  # killed mid-line
    view = j.read()
    assert [b.line for b in view.bad] == [2, 3, 4]
    assert "cut short" in str(view.bad[-1]) and "journal.jsonl:4" in str(view.bad[-1])
    assert view.writes[good].state is State.INTENT
    # The next run starts a fresh line, so its own first entry is not lost with the torn one.
    j2 = Journal(tmp_path)
    j2.update(good, State.SUBMITTED, at=T0, ref="task-9")
    view = j2.read()
    assert view.writes[good].ref == "task-9" and len(view.bad) == 3


def test_one_apply_or_resume_at_a_time_per_state_folder(tmp_path: Path) -> None:
    with Journal(tmp_path):
        with pytest.raises(StateDirError, match="another apply or resume"):
            Journal(tmp_path).open_for_writing()
    with Journal(tmp_path):  # released
        pass


def test_compaction_keeps_open_writes_and_the_ledger_and_stays_bounded(tmp_path: Path) -> None:
    """Daily applies stay the size of the estate, not of the history: forty days of a 2,000-number
    estate would be over 1 MB uncompacted (each day's lines hold every number), and compaction comes
    due on bytes every eight days or so."""
    estate = [f"+1415{i:07d}" for i in range(2000)]
    j = Journal(tmp_path)
    sizes = []
    days = 40
    for day in range(days):
        at = T0 + day * 86400
        wid = j.intent(Op.BULK_ASSIGN, estate, at=at, profile=P, campaign="CWZTFH1")
        j.update(wid, State.SUBMITTED, at=at, ref=f"task-{day}")
        j.update(wid, State.ACCEPTED, at=at + 60)
        j.update(wid, State.DONE, at=at + 7200)
        j.compact()
        sizes.append(j.path.stat().st_size)
    assert sum(1 for a, b in zip(sizes, sizes[1:]) if b < a) >= 3  # compacted along the way, more than once
    opened = j.intent(Op.UNASSIGN, estate[:2], at=T0 + days * 86400, campaign="CWZTFH1")  # today's
    j.compact(force=True)
    view = j.read()
    assert list(view.writes) == [opened]  # closed writes gone, the open one kept
    assert view.applied().keys() >= set(estate[2:])  # drift still knows what we assigned
    assert max(sizes) < COMPACT_AFTER_BYTES + 3 * 2000 * 20, max(sizes)
    assert j.path.stat().st_size < 2000 * 20  # the ledger: about 16 bytes a number


# ---------------------------------------------------------------- judging work in flight


def _write(tmp_path: Path, op: Op = Op.BULK_ASSIGN, state: State = State.SUBMITTED, numbers: list[str] = N,
           campaign: str | None = "CWZTFH1", at: float = T0, **kw) -> Journal:
    j = Journal(tmp_path)
    wid = j.intent(op, numbers, at=at, profile=P, campaign=campaign)
    if state is not State.INTENT:
        j.update(wid, state, at=at, **kw)
    return j


@pytest.mark.parametrize("status,expected", [
    ("ASSIGNED", NumberState.DONE), ("PENDING_ASSIGNMENT", NumberState.PENDING),
    ("FAILED_ASSIGNMENT", NumberState.FAILED)])
def test_an_assignment_write_follows_the_record(tmp_path, status, expected) -> None:
    j = _write(tmp_path, state=State.ACCEPTED)
    t = judge(j.read().open_writes(), live({n: ("CWZTFH1", status) for n in N}), T0 + 10).tracked[0]
    assert set(t.numbers.values()) == {expected}
    if expected is NumberState.FAILED:
        assert t.reasons[N[0]] == "T-Mobile said no" and t.closed_state is State.FAILED


def test_a_submitted_task_not_yet_processed_is_in_flight_never_failed(tmp_path) -> None:
    j = _write(tmp_path, state=State.SUBMITTED, ref="task-1")
    inflight = judge(j.read().open_writes(), live(), T0 + 3 * 3600)
    t = inflight.tracked[0]
    assert set(t.numbers.values()) == {NumberState.PENDING} and t.closed_state is None
    assert set(inflight.numbers()) == set(N) and "not yet processed" in inflight.numbers()[N[0]]


def test_a_processed_task_that_skipped_a_number_lets_it_be_planned_again(tmp_path) -> None:
    j = _write(tmp_path, state=State.ACCEPTED, processed=True)
    state = {n: ("CWZTFH1", "PENDING_ASSIGNMENT") for n in N[1:]} | {N[0]: ("COTHER1", "ASSIGNED")}
    inflight = judge(j.read().open_writes(), live(state), T0 + 60)
    assert inflight.tracked[0].numbers[N[0]] is NumberState.NOT_TAKEN
    assert N[0] not in inflight.numbers() and set(inflight.numbers()) == set(N[1:])
    # Seen accepted but not processed: the task may still reach it (it snapshots the profile).
    j2 = _write(tmp_path / "b", state=State.ACCEPTED)
    assert N[0] in judge(j2.read().open_writes(), live(state), T0 + 60).numbers()


def test_a_killed_runs_intent_waits_out_the_grace_period_then_counts_as_not_sent(tmp_path) -> None:
    j = _write(tmp_path, state=State.INTENT)  # killed between the request and the outcome line
    writes = j.read().open_writes()
    assert set(judge(writes, live(), T0 + 60).numbers()) == set(N)
    assert "killed before Telnyx's answer" in judge(writes, live(), T0 + 60).numbers()[N[0]]
    assert judge(writes, live(), T0 + UNKNOWN_GRACE + 1).numbers() == {}
    # ...unless live state shows Telnyx took it: then it is accepted and followed.
    t = judge(writes, live({n: ("CWZTFH1", "PENDING_ASSIGNMENT") for n in N}), T0 + UNKNOWN_GRACE + 1).tracked[0]
    assert t.accepted_now and set(t.numbers.values()) == {NumberState.PENDING}


def test_stuck_after_the_limit(tmp_path) -> None:
    j = _write(tmp_path, state=State.ACCEPTED)
    pending = live({n: ("CWZTFH1", "PENDING_ASSIGNMENT") for n in N})
    assert not judge(j.read().open_writes(), pending, T0 + 71 * 3600).stuck
    assert judge(j.read().open_writes(), pending, T0 + 73 * 3600).stuck


def test_removal_and_move_writes(tmp_path) -> None:
    j = _write(tmp_path, op=Op.UNASSIGN, state=State.ACCEPTED, numbers=N[:2])
    t = judge(j.read().open_writes(), live({N[0]: ("CWZTFH1", "PENDING_UNASSIGNMENT")}), T0).tracked[0]
    assert t.numbers == {N[0]: NumberState.PENDING, N[1]: NumberState.DONE}
    j2 = Journal(tmp_path / "m")
    wid = j2.intent(Op.BULK_MOVE, N[:2], at=T0, profile=Q)
    j2.update(wid, State.SUBMITTED, at=T0, ref="order-1")
    moved = live(numbers=N[:1], profile=Q)
    moved.numbers[N[1]] = LiveNumber(N[1], "9", P, "longcode")
    t = judge(j2.read().open_writes(), moved, T0).tracked[0]
    assert t.numbers == {N[0]: NumberState.DONE, N[1]: NumberState.PENDING}


def _deferred(tmp_path, members=N) -> Journal:
    j = Journal(tmp_path)
    j.defer(Op.BULK_ASSIGN, N[:1], at=T0, profile=P, campaign="CWZTFH1", after="free", members=members)
    return j


def test_a_deferred_phase_waits_for_the_numbers_to_be_free_then_is_ready(tmp_path) -> None:
    j = _deferred(tmp_path)
    writes = j.read().open_writes()
    t = judge(writes, live({N[0]: ("COLD001", "PENDING_UNASSIGNMENT")}), T0).tracked[0]
    assert t.phase is PhaseState.WAITING and N[0] in judge(writes, live(), T0).numbers()
    assert judge(writes, live(), T0).tracked[0].phase is PhaseState.READY
    assert judge(writes, live({N[0]: ("CWZTFH1", "PENDING_ASSIGNMENT")}), T0).tracked[0].phase is PhaseState.DONE


def test_a_deferred_phase_never_heals_what_nobody_approved(tmp_path) -> None:
    # Someone assigned the number elsewhere meanwhile: the approved phase no longer applies.
    t = judge(_deferred(tmp_path).read().open_writes(), live({N[0]: ("COTHER1", "ASSIGNED")}), T0).tracked[0]
    assert t.phase is PhaseState.ABANDONED and "re-plan" in (t.phase_reason or "")
    # A number the approved plan did not know joined the profile: a bulk would sweep it in.
    crowded = live(numbers=N + ["+13125550899"])
    t = judge(_deferred(tmp_path / "b").read().open_writes(), crowded, T0).tracked[0]
    assert t.phase is PhaseState.ABANDONED and "+13125550899" in (t.phase_reason or "")


# ---------------------------------------------------------------- waiting


def test_one_waiter_grows_its_naps_and_stops_at_the_deadline() -> None:
    now = [0.0]
    naps: list[float] = []

    def sleep(s: float) -> None:
        naps.append(s)
        now[0] += s

    w = Waiter(lambda: now[0], sleep, deadline=10.0, initial=1.0, maximum=4.0, grow=2.0)
    looks = 0
    while w.more():
        looks += 1
        w.nap()
    assert naps == [1.0, 2.0, 4.0, 3.0] and looks == 4 and now[0] == 10.0
    late = Waiter(lambda: 99.0, sleep, deadline=10.0)
    assert late.more() and not late.more()  # one look even past the deadline, then no more


def test_an_unknown_answer_to_one_number_holds_nothing_unless_live_state_shows_the_write(tmp_path) -> None:
    """A 5xx or a dropped connection on a per-number write: the call re-read the number before
    giving up (live/writer.py), so nothing waits on it."""
    j = _write(tmp_path, op=Op.ASSIGN, numbers=[N[0]], state=State.UNKNOWN, detail="HTTP 500")
    writes = j.read().open_writes()
    assert judge(writes, live(), T0 + 1, exclusive=True).numbers() == {}
    t = judge(writes, live({N[0]: ("CWZTFH1", "PENDING_ASSIGNMENT")}), T0 + 1).tracked[0]
    assert t.accepted_now and t.numbers[N[0]] is NumberState.PENDING


def test_an_unknown_answer_to_a_bulk_task_holds_its_profile_for_the_settle_window(tmp_path) -> None:
    """No read shows a bulk task until Telnyx starts on it, and it has no id to ask about: its
    numbers are held (never re-sent) for the settle window under the lock, the grace period
    without it; then they are free to plan again."""
    from reconciler.tracking import SETTLE_WINDOW, UNKNOWN_GRACE

    j = _write(tmp_path, state=State.UNKNOWN, detail="HTTP 500")
    writes = j.read().open_writes()
    held = judge(writes, live(), T0 + 1, exclusive=True).numbers()
    assert set(held) == set(N)
    assert judge(writes, live(), T0 + SETTLE_WINDOW + 1, exclusive=True).numbers() == {}
    assert set(judge(writes, live(), T0 + SETTLE_WINDOW + 1).numbers()) == set(N)  # read-only commands: longer
    assert judge(writes, live(), T0 + UNKNOWN_GRACE + 1).numbers() == {}


def test_every_journal_line_is_fsynced_before_the_write_it_describes(tmp_path, monkeypatch) -> None:
    """Write-ahead means on disk: one fsync per appended line (intent, then outcome)."""
    import reconciler.journal as jmod

    synced: list[int] = []
    real = jmod.os.fsync
    monkeypatch.setattr(jmod.os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    j = Journal(tmp_path)
    wid = j.intent(Op.ASSIGN, [N[0]], at=T0, profile=P, campaign="CWZTFH1")
    assert len(synced) == 1
    j.update(wid, State.ACCEPTED, at=T0)
    assert len(synced) == 2


# ---------------------------------------------------------------- compaction changes nothing anyone sees


def seen_by_commands(j: Journal) -> tuple[list[dict], dict[str, str]]:
    """What `status`, `plan`, `apply` and `resume` read of a journal: its open writes, every field of
    each (deferred phases included), and the ledger of what this repository assigned (drift)."""
    view = j.read()
    return [w.to_dict() for w in view.open_writes()], view.applied()


def test_compaction_keeps_a_deferred_phase_and_an_open_intent_with_everything_they_say(tmp_path: Path) -> None:
    """Issue 26 #1: compaction keeping only intent/submitted/unknown/accepted entries silently
    drops every next phase, so numbers freed from their old campaign are never assigned."""
    j = Journal(tmp_path, run_id="run1", note={"pr": "12"})
    phase = j.defer(Op.BULK_ASSIGN, N[:2], at=T0, profile=P, campaign="CWZTFH1", after="free",
                    campaign_uuid="uuid-1", members=N, detail="freed first: next phase", resends=245)
    intent = j.intent(Op.ASSIGN, N[2:3], at=T0 + 1, profile=P, campaign="CWZTFH1")
    done = j.intent(Op.BULK_ASSIGN, N[3:], at=T0 + 2, profile=Q, campaign="COTHER1")
    j.update(done, State.DONE, at=T0 + 3)
    before = seen_by_commands(j)
    assert j.compact(force=True)
    view = j.read()
    assert set(view.writes) == {phase, intent}
    w = view.writes[phase]
    assert (w.state, w.after, w.numbers, w.members, w.campaign_uuid, w.detail, w.note, w.run, w.resends) == (
        State.DEFERRED, "free", tuple(N[:2]), tuple(N), "uuid-1", "freed first: next phase", {"pr": "12"}, "run1", 245)
    assert seen_by_commands(j) == before
    # ...and a deferred phase judged after compaction is still waiting for its numbers to be freed.
    waiting = judge(view.open_writes(), live({N[0]: ("COLD001", "PENDING_UNASSIGNMENT")}), T0).tracked
    assert {t.write.id: t.phase for t in waiting}[phase] is PhaseState.WAITING


def test_compaction_fsyncs_the_new_journal_before_it_replaces_the_old_one(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 26 #5: without the fsync of the temporary file, a crash after `os.replace` can leave an
    empty journal (the rename reached the disk, the data did not)."""
    import reconciler.journal as jmod

    j = Journal(tmp_path)
    wid = j.intent(Op.BULK_ASSIGN, N, at=T0, profile=P, campaign="CWZTFH1")
    j.update(wid, State.DONE, at=T0 + 1)
    j.defer(Op.BULK_ASSIGN, N[:1], at=T0, profile=P, campaign="CWZTFH1", after="free")
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = jmod.os.fsync, jmod.os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}") if os.path.exists("/proc/self/fd") else str(fd)))
        real_fsync(fd)

    def replace(src, dst) -> None:
        events.append(("replace", str(src)))
        real_replace(src, dst)

    monkeypatch.setattr(jmod.os, "fsync", fsync)
    monkeypatch.setattr(jmod.os, "replace", replace)
    assert j.compact(force=True)
    # The journal's own rename (compaction records the history of durations first, with its own).
    (at,) = [i for i, e in enumerate(events) if e[0] == "replace" and ".journal." in e[1]]
    tmp = events[at][1]
    assert ("fsync", tmp) in events[:at], events  # the new file's own data, on disk before the rename
    assert any(e[0] == "fsync" for e in events[at + 1:]), events  # and the folder's entry after it


# A journal's history as steps: new writes (intents and next phases) and outcomes of earlier ones,
# with compaction (forced, or when due) at any point. Numbers, campaigns and times are drawn from
# small pools so writes overlap, disagree and share timestamps.
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as hs  # noqa: E402

_NUMS = [f"+1415555010{i}" for i in range(3)]
_CAMPAIGNS = ["CAAAAA1", "CBBBBB2", None]
_step = hs.one_of(
    hs.tuples(hs.just("intent"), hs.sampled_from(list(Op)), hs.sets(hs.sampled_from(_NUMS), min_size=1, max_size=3),
              hs.sampled_from(_CAMPAIGNS), hs.sampled_from([P, Q, None]), hs.integers(0, 5)),
    hs.tuples(hs.just("defer"), hs.sets(hs.sampled_from(_NUMS), min_size=1, max_size=2), hs.sampled_from(_CAMPAIGNS),
              hs.integers(0, 5)),
    hs.tuples(hs.just("update"), hs.integers(0, 30), hs.sampled_from(list(State)), hs.integers(0, 5),
              hs.booleans(), hs.booleans()),
    hs.tuples(hs.just("compact"), hs.booleans()),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=hs.lists(_step, max_size=25))
@example(steps=[  # an older task still open, a newer write on the same number finished: the newer one wins
    ("intent", Op.BULK_ASSIGN, {_NUMS[0]}, "CAAAAA1", P, 0), ("update", 0, State.SUBMITTED, 0, False, False),
    ("intent", Op.ASSIGN, {_NUMS[0]}, "CBBBBB2", P, 5), ("update", 1, State.DONE, 0, False, False),
    ("compact", True)])
@example(steps=[  # assigned, compacted into the ledger, then removed and compacted again: gone from it
    ("intent", Op.ASSIGN, {_NUMS[0]}, "CAAAAA1", P, 0), ("update", 0, State.DONE, 0, False, False),
    ("compact", True), ("intent", Op.UNASSIGN, {_NUMS[0]}, "CAAAAA1", P, 1),
    ("update", 1, State.DONE, 1, False, False), ("compact", True)])
@example(steps=[  # a failed number of a finished write is not in the ledger; a refused write adds nothing
    ("intent", Op.BULK_ASSIGN, {_NUMS[0], _NUMS[1]}, "CAAAAA1", P, 0), ("update", 0, State.FAILED, 0, True, False),
    ("intent", Op.ASSIGN, {_NUMS[2]}, "CBBBBB2", P, 1), ("update", 1, State.REFUSED, 1, False, False),
    ("compact", True)])
@example(steps=[  # Telnyx's clock ran backwards between two runs: the later journalled write still wins
    ("intent", Op.ASSIGN, {_NUMS[0]}, "CAAAAA1", P, 1), ("update", 0, State.DONE, 1, False, False),
    ("compact", True), ("intent", Op.ASSIGN, {_NUMS[0]}, "CBBBBB2", P, 0),
    ("update", 1, State.DONE, 0, False, False), ("compact", True)])
def test_compacting_any_journal_changes_nothing_status_plan_or_resume_see(tmp_path_factory, steps) -> None:
    """Two journals get the same history; one is compacted along the way (forced or when due), the
    other never. After every step both show the same open writes (every field) and the same
    ledger: compaction is invisible to every command. (The example: compaction folded every closed
    write into the ledger, which is replayed first, so an older open task overruled a newer
    finished write on the same number.)"""
    root = tmp_path_factory.mktemp("j")
    plain, compacted = Journal(root / "plain", run_id="r"), Journal(root / "compacted", run_id="r")
    ids: list[tuple[str, str]] = []
    for step in steps:
        kind = step[0]
        if kind == "intent":
            _, op, numbers, campaign, profile, t = step
            ids.append(tuple(j.intent(op, numbers, at=T0 + t, profile=profile, campaign=campaign,
                                      members=_NUMS[:2]) for j in (plain, compacted)))
        elif kind == "defer":
            _, numbers, campaign, t = step
            ids.append(tuple(j.defer(Op.BULK_ASSIGN, numbers, at=T0 + t, profile=P, campaign=campaign,
                                     after="free", members=_NUMS) for j in (plain, compacted)))
        elif kind == "update" and ids:
            _, which, state, t, fail, processed = step
            pair = ids[which % len(ids)]
            if not plain.read().writes[pair[0]].open:
                continue  # outcomes come only for open writes (a closed one is never updated again)
            for j, wid in zip((plain, compacted), pair):
                numbers = j.read().writes[wid].numbers if wid in j.read().writes else ()
                j.update(wid, state, at=T0 + 10 + t, ref=f"task-{which}",
                         failed={numbers[0]: "said no"} if fail and numbers else None, processed=processed)
        elif kind == "compact":
            compacted.compact(force=step[1])
        before = seen_by_commands(plain)
        got = seen_by_commands(compacted)
        # Write ids differ between the two journals (random): compare by position.
        strip = lambda ws: [{k: v for k, v in w.items() if k != "write"} for w in ws]  # noqa: E731
        assert strip(got[0]) == strip(before[0]) and got[1] == before[1], steps


LIMIT = 5  # COMPACT_AFTER_LINES, made small here (a real one is 2,000 fsync'd lines)


@pytest.mark.parametrize("lines, size, due", [
    (1, 0, False), (LIMIT - 1, 0, False), (LIMIT, 0, True),
    (1, COMPACT_AFTER_BYTES - 1, False), (1, COMPACT_AFTER_BYTES, True), (0, COMPACT_AFTER_BYTES, False),
])
def test_compaction_is_due_at_its_thresholds_of_lines_or_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               lines: int, size: int, due: bool) -> None:
    """Not forced, compaction runs once the closed writes' lines reach COMPACT_AFTER_LINES or the
    file reaches COMPACT_AFTER_BYTES, and never when nothing closed would go."""
    import reconciler.journal as jmod

    assert COMPACT_AFTER_LINES > LIMIT
    monkeypatch.setattr(jmod, "COMPACT_AFTER_LINES", LIMIT)
    j = Journal(tmp_path)
    for i in range(lines):
        wid = j.intent(Op.ASSIGN, N[:1], at=T0 + i, profile=P, campaign="CWZTFH1")
        j.update(wid, State.DONE, at=T0 + i)
    opened = j.intent(Op.ASSIGN, N[1:2], at=T0 + lines, profile=P, campaign="CWZTFH1")
    view = j.read()
    for w in view.writes.values():
        w.lines = 1  # each closed write counts one line here, so `lines` of them are `lines` lines
    real_lstat = os.lstat
    monkeypatch.setattr(os, "lstat", lambda p, *a, **k: os.stat_result((*real_lstat(p)[:6], size, *real_lstat(p)[7:]))
                        if str(p) == str(j.path) else real_lstat(p, *a, **k))
    assert j.compact(view) is due
    monkeypatch.setattr(os, "lstat", real_lstat)
    assert list(j.read().writes) == ([opened] if due else list(view.writes))
    assert not Journal(tmp_path / "none").compact(force=True)  # no journal: nothing to rewrite


# ---------------------------------------------------------------- a line the reconciler never writes: skipped, with why


GOOD = {"write": "w1", "op": "assign", "state": "intent", "run": "r1", "numbers": ["+13125550800"],
        "profile": P, "campaign": "CWZTFH1", "submitted_at": T0}
DROP = object()


def line(**changes: object) -> str:
    """GOOD with some fields changed (DROP: left out), as a journal line."""
    e = {k: v for k, v in {**GOOD, **changes}.items() if v is not DROP}
    return json.dumps(e) + "\n"


def read_lines(tmp_path: Path, *lines: str) -> JournalView:
    tmp_path.mkdir(parents=True, exist_ok=True)
    j = Journal(tmp_path)
    j.path.write_text("".join(lines), encoding="utf-8")
    return j.read()


def nested(depth: int) -> str:
    """A write line whose unknown field nests so that the line is `depth` deep in all."""
    return line(extra=json.loads("[" * (depth - 1) + "]" * (depth - 1)))


LATEST = 253402300799  # 9999-12-31T23:59:59Z
BAD_LINES = [
    ("an array", "[1, 2]\n", "not an object"),
    ("a ledger that is a list", '{"ledger": []}\n', "ledger is not an object"),
    ("a ledger keyed by something other than a campaign id", '{"ledger": {"C W": ["+13125550800"]}}\n',
     "ledger holds something other than campaign ids and phone numbers"),
    ("a ledger campaign holding one number, not a list", '{"ledger": {"CWZTFH1": "+13125550800"}}\n',
     "ledger holds something other than campaign ids and phone numbers"),
    ("a ledger campaign holding something not a number", '{"ledger": {"CWZTFH1": ["+13125550800", "5550800"]}}\n',
     "ledger holds something other than campaign ids and phone numbers"),
    ("no write id", line(write=DROP), "no write id"),
    ("an empty write id", line(write=""), "no write id"),
    ("a write id that is a number", line(write=7), "no write id"),
    ("a write id with a space", line(write="w 1"), "the write id is not an id"),
    ("a time that is true", line(submitted_at=True), "submitted_at is not a time between 1970 and 9999"),
    ("a time as text", line(submitted_at="2026-11-30"), "submitted_at is not a time between 1970 and 9999"),
    ("a time before 1970", line(submitted_at=-0.5), "submitted_at is not a time between 1970 and 9999"),
    ("a time after 9999", line(submitted_at=LATEST + 0.5), "submitted_at is not a time between 1970 and 9999"),
    ("an infinite time", line(submitted_at=DROP)[:-2] + ', "submitted_at": 1e400}\n',
     "submitted_at is not a time between 1970 and 9999"),
    ("an update time after 9999", line(updated_at=LATEST + 1), "updated_at is not a time between 1970 and 9999"),
    ("an update time that is false", line(updated_at=False), "updated_at is not a time between 1970 and 9999"),
    ("an outcome line (no send time) with an update time after 9999", line(submitted_at=DROP, updated_at=LATEST + 1),
     "updated_at is not a time between 1970 and 9999"),
    *[(f"a {key} with a space", line(**{key: "a b"}), f"{key} is not an id")
      for key in ("profile", "campaign", "campaign_uuid", "ref", "run")],
    ("a campaign id of 129 characters", line(campaign="C" * 129), "campaign is not an id"),
    ("a campaign id that is a number", line(campaign=7), "campaign is not an id"),
    ("numbers as one string", line(numbers="+13125550800"), "numbers is not a list of phone numbers"),
    ("a number without its +", line(numbers=["13125550800"]), "numbers is not a list of phone numbers"),
    ("a number starting +0", line(numbers=["+03125550800"]), "numbers is not a list of phone numbers"),
    ("a number of six digits", line(numbers=["+123456"]), "numbers is not a list of phone numbers"),
    ("a number of sixteen digits", line(numbers=["+1234567890123456"]), "numbers is not a list of phone numbers"),
    ("members that are not numbers", line(members=["x"]), "members is not a list of phone numbers"),
    ("a re-send allowance below 0", line(resends=-1), "resends is not a count"),
    ("a re-send allowance that is true", line(resends=True), "resends is not a count"),
    ("a re-send allowance as text", line(resends="25"), "resends is not a count"),
    ("a re-send allowance past any account", line(resends=10**12), "resends is not a count"),
    ("failed as a list", line(failed=["+13125550800"]), "failed is not phone numbers with reasons"),
    ("failed keyed by something not a number", line(failed={"x": "no"}), "failed is not phone numbers with reasons"),
    ("failed with a reason that is not text", line(failed={"+13125550800": 5}),
     "failed is not phone numbers with reasons"),
    ("a note as a list", line(note=["pr 7"]), "note is not text"),
    ("a note with a value that is not text", line(note={"pr": 7}), "note is not text"),
    ("a detail that is a number", line(detail=500), "detail is not text"),
    ("an after that is a list", line(after=["free"]), "after is not text"),
    ("an unknown state", line(state="exploded"), "unknown state 'exploded'"),
    ("no state", line(state=DROP), "unknown state 'None'"),
    ("a long unknown state, cut at 40", line(state="x" * 50), f"unknown state {'x' * 40!r}"),
    ("an unknown operation", line(op="teleport"), "unknown operation 'teleport'"),
    ("a long unknown operation, cut at 40", line(op="y" * 50), f"unknown operation {'y' * 40!r}"),
    ("not JSON", "this is not json\n", "not JSON"),
    ("NaN, which Python reads and JSON does not have", line()[:-2] + ', "x": NaN}\n', "not JSON"),
    ("Infinity", line()[:-2] + ', "x": -Infinity}\n', "not JSON"),
    ("nested nine deep", nested(9), "nested more than 8 deep"),
    ("nested nine deep in objects alone", line(extra=json.loads('{"a":' * 8 + "1" + "}" * 8)),
     "nested more than 8 deep"),
]


@pytest.mark.parametrize("name, raw, problem", BAD_LINES, ids=[b[0] for b in BAD_LINES])
def test_a_line_the_reconciler_never_writes_is_skipped_with_what_is_wrong_with_it(tmp_path, name, raw, problem) -> None:
    view = read_lines(tmp_path, line(write="w0"), raw, line(write="w2"))
    assert [str(b) for b in view.bad] == [f"journal.jsonl:2: {problem}; skipped"]
    assert sorted(view.writes) == ["w0", "w2"]  # the lines around it are kept


GOOD_LINES = [
    ("times at both ends of what a date can be", dict(submitted_at=0, updated_at=LATEST)),
    ("empty ids: nothing named", dict(profile="", campaign="", campaign_uuid="", ref="", run="")),
    ("ids of 128 characters, with . _ : -", dict(campaign="C" * 128, ref="task-1.a_b:c")),
    ("numbers of seven and fifteen digits", dict(numbers=["+1234567", "+123456789012345"])),
    ("every optional field, well formed", dict(members=["+13125550801"], failed={"+13125550800": "no"},
                                              note={"pr": "7"}, detail="HTTP 500", after="free")),
]


@pytest.mark.parametrize("name, changes", GOOD_LINES, ids=[g[0] for g in GOOD_LINES])
def test_a_line_within_every_bound_is_read(tmp_path, name, changes) -> None:
    view = read_lines(tmp_path, line(**changes), nested(8))
    assert view.bad == [] and list(view.writes) == ["w1"]


def test_a_cut_short_last_line_is_told_from_one_that_is_not_json(tmp_path) -> None:
    view = read_lines(tmp_path, "not json\n", line(write="w2")[:25])
    assert [str(b) for b in view.bad] == ["journal.jsonl:1: not JSON; skipped",
                                          "journal.jsonl:2: cut short (a run killed mid-write); skipped"]


def test_a_journal_that_is_not_a_file_is_named_as_a_whole(tmp_path) -> None:
    (tmp_path / "journal.jsonl").mkdir()
    assert [(b.line, str(b)) for b in Journal(tmp_path).read().bad] == [
        (0, "journal.jsonl: not a regular file; ignored")]


# ---------------------------------------------------------------- lines folded into writes


def test_each_line_of_a_write_adds_to_it_and_empty_names_are_none(tmp_path) -> None:
    """Outcome lines set the state, the task id, times and detail, add failed numbers and never
    forget `processed`; the intent line's names stay; an empty name is no name."""
    view = read_lines(
        tmp_path,
        line(run=DROP, profile="", campaign_uuid="", after="", note={"pr": "7"}),
        json.dumps({"write": "w1", "state": "submitted", "ref": "task-1", "updated_at": T0 + 1,
                    "failed": {"+13125550800": "no"}, "processed": True}) + "\n",
        json.dumps({"write": "w1", "state": "accepted", "op": "unassign", "campaign": "COTHER1",
                    "failed": {"+13125550801": "also no"}, "detail": "seen", "updated_at": T0 + 2}) + "\n")
    (w,) = view.writes.values()
    assert (w.op, w.state, w.run, w.profile, w.campaign, w.campaign_uuid, w.after, w.note) == (
        Op.ASSIGN, State.ACCEPTED, "", None, "CWZTFH1", None, None, {"pr": "7"})
    assert (w.ref, w.detail, w.submitted_at, w.updated_at, w.processed) == ("task-1", "seen", T0, T0 + 2, True)
    assert w.failed == {"+13125550800": "no", "+13125550801": "also no"}
    assert w.lines == 3  # compaction comes due on the lines closed writes hold


def test_applied_replays_writes_in_the_order_they_were_journalled_whatever_their_times(tmp_path) -> None:
    """Telnyx's clock, read by runners with different skews, may run backwards between runs: the
    write journalled last is the one this repository last made, and compaction keeps that order."""
    j = Journal(tmp_path)
    first = j.intent(Op.ASSIGN, [N[0]], at=T0 + 10, campaign="CFIRST1")
    second = j.intent(Op.ASSIGN, [N[0]], at=T0, campaign="CSECOND")
    for wid in (first, second):
        j.update(wid, State.DONE, at=T0 + 20)
    assert j.read().applied() == {N[0]: "CSECOND"}
    untimed = line(write="w1", state="done", campaign="CUNTIME", submitted_at=DROP)
    later = line(write="w3", state="done", campaign="CLATER1", submitted_at=1)
    assert read_lines(tmp_path / "c", later, untimed).applied() == {"+13125550800": "CUNTIME"}
    assert read_lines(tmp_path / "d", untimed, later).applied() == {"+13125550800": "CLATER1"}


def test_a_finished_removal_of_a_number_this_repository_never_assigned_is_no_error(tmp_path) -> None:
    """A prune removes numbers someone else assigned: nothing to forget, nothing to fail on."""
    j = Journal(tmp_path)
    wid = j.intent(Op.UNASSIGN, [N[0]], at=T0, campaign="CWZTFH1")
    j.update(wid, State.DONE, at=T0 + 1)
    assert j.read().applied() == {}


def test_compaction_keeps_what_an_open_task_has_said_so_far(tmp_path) -> None:
    """A bulk task seen processed with some numbers failed, not yet closed: compacted, it still
    says both (its skips are final, its failures keep their reasons)."""
    j = Journal(tmp_path)
    wid = j.intent(Op.BULK_ASSIGN, N[:2], at=T0, profile=P, campaign="CWZTFH1")
    j.update(wid, State.ACCEPTED, at=T0 + 60, ref="task-1", processed=True, failed={N[1]: "held elsewhere"})
    done = j.intent(Op.ASSIGN, N[2:3], at=T0, profile=P, campaign="CWZTFH1")
    j.update(done, State.DONE, at=T0 + 1)
    assert j.compact(force=True)
    w = j.read().writes[wid]
    assert (w.processed, w.failed, w.ref) == (True, {N[1]: "held elsewhere"}, "task-1")


# ---------------------------------------------------------------- the file itself: its bytes, its links, its limits


def test_each_line_is_written_as_compact_json_with_sorted_keys(tmp_path) -> None:
    """The on-disk format (`FORMAT`): one object a line, keys sorted, no spaces, None left out, so a
    state folder diffs line by line and an older reader sees what it always saw."""
    j = Journal(tmp_path / "a" / "b", run_id="r1")  # the folder, and its parents, made on the first write
    wid = j.intent(Op.ASSIGN, [N[1], N[0]], at=T0, profile=P, campaign="CWZTFH1")
    j.update(wid, State.FAILED, at=T0 + 1, detail="d" * 2001, failed={N[0]: "r" * 501, N[1]: None})
    intent, outcome = j.path.read_text(encoding="utf-8").splitlines()
    assert intent == (f'{{"campaign":"CWZTFH1","numbers":["{N[0]}","{N[1]}"],"op":"assign","profile":"{P}",'
                      f'"run":"r1","state":"intent","submitted_at":{T0},"write":"{wid}"}}')
    assert outcome == (f'{{"detail":"{"d" * 2000}","failed":{{"{N[0]}":"{"r" * 500}","{N[1]}":""}},'
                       f'"state":"failed","updated_at":{T0 + 1},"write":"{wid}"}}')
    assert oct(j.path.stat().st_mode & 0o777) == oct(0o600)


@pytest.mark.parametrize("before, written", [
    ("", "{line}"),  # an empty file: no blank line first
    ('{"ledger":{}}\n', '{{"ledger":{{}}}}\n{line}'),  # a whole last line: appended after it
    ('{"ledger":{}}\n{"wri', '{{"ledger":{{}}}}\n{{"wri\n{line}'),  # cut short: ours starts a fresh line
], ids=["empty", "ends its line", "cut short"])
def test_the_first_line_a_run_writes_starts_on_a_line_of_its_own(tmp_path, before, written) -> None:
    j = Journal(tmp_path)
    j.path.write_text(before, encoding="utf-8")
    wid = j.intent(Op.ASSIGN, [N[0]], at=T0, campaign="CWZTFH1")
    (ours,) = [ln for ln in j.path.read_text(encoding="utf-8").splitlines() if wid in ln]
    assert j.path.read_text(encoding="utf-8") == written.format(line=ours + "\n")


def test_a_journal_planted_as_a_link_is_reported_never_followed_and_replaced_by_the_next_write(tmp_path) -> None:
    victim = tmp_path / "victim"
    victim.write_text(line(), encoding="utf-8")
    state = tmp_path / "state"
    state.mkdir()
    (state / "journal.jsonl").symlink_to(victim)
    j = Journal(state)
    assert [(b.line, str(b)) for b in j.read().bad] == [(0, (
        f"journal.jsonl: a symbolic link (to {victim}); not followed, ignored: the next write replaces it with a "
        "file"))]
    j.intent(Op.ASSIGN, [N[0]], at=T0, campaign="CWZTFH1")
    assert not j.path.is_symlink() and len(j.read().writes) == 1 and j.read().bad == []
    assert victim.read_text(encoding="utf-8") == line()  # never written through


def test_a_link_target_is_named_in_at_most_200_characters(tmp_path) -> None:
    (tmp_path / "journal.jsonl").symlink_to("/nowhere/" + "x" * 300)
    (bad,) = Journal(tmp_path).read().bad
    assert f"(to {('/nowhere/' + 'x' * 300)[:200]});" in bad.problem


def test_a_journal_swapped_for_a_link_after_it_was_looked_at_is_not_followed(tmp_path, monkeypatch) -> None:
    """Between the look (lstat: a file) and the open, someone replaced it with a link: the open
    refuses to follow it (O_NOFOLLOW), and the journal is read as empty."""
    victim = tmp_path / "victim"
    victim.write_text(line(), encoding="utf-8")
    (tmp_path / "journal.jsonl").symlink_to(victim)
    real_lstat = os.lstat
    monkeypatch.setattr(os, "lstat", lambda p, *a, **k: real_lstat(victim) if str(p).endswith("journal.jsonl")
                        else real_lstat(p, *a, **k))
    view = Journal(tmp_path).read()
    assert view.writes == {} and [(b.line, b.problem) for b in view.bad] == [
        (0, "cannot be opened without following a link (Too many levels of symbolic links); ignored")]


def test_a_lock_planted_as_a_link_is_replaced_by_a_file_of_ours(tmp_path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep", encoding="utf-8")
    state = tmp_path / "state"
    state.mkdir()
    (state / "lock").symlink_to(victim)
    j = Journal(state)
    j.close()  # never opened: nothing to close
    with j:
        lock = state / "lock"
        assert not lock.is_symlink() and oct(lock.stat().st_mode & 0o777) == oct(0o600)
    j.close()  # closing again is harmless
    assert victim.read_text(encoding="utf-8") == "keep"


def test_a_state_folder_that_cannot_be_made_is_named_with_why(tmp_path) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(StateDirError) as e:
        Journal(tmp_path / "file" / "state").open_for_writing()
    assert str(e.value) == f"cannot create the state folder {tmp_path / 'file' / 'state'}: Not a directory"
    with Journal(tmp_path / "a" / "b" / "c"):  # missing parents are made
        pass


@pytest.mark.parametrize("mode, owner, refused", [
    (0o700, None, False), (0o755, None, False),
    (0o770, None, True), (0o720, None, True), (0o702, None, True),
    (0o700, 12345, True),  # another user's folder
])
def test_a_state_folder_linked_to_a_place_others_can_write_to_is_refused(tmp_path, mode, owner, refused) -> None:
    target = tmp_path / "target"
    target.mkdir()
    target.chmod(mode)
    if owner is not None:
        if os.getuid() != 0:
            pytest.skip("giving a folder to another user takes root")
        os.chown(target, owner, -1)
    link = tmp_path / "state"
    link.symlink_to(target)
    if refused:
        with pytest.raises(StateDirError) as e:
            Journal(link).read()
        assert str(e.value) == (f"the state folder {link} is a symbolic link to {target}, which others can write to: "
                                "refused (use a folder only you can write to, or --state-dir)")
    else:
        assert Journal(link).read().writes == {}


def test_a_state_folder_linked_to_a_root_owned_folder_only_root_may_write_is_used(tmp_path) -> None:
    root_owned = Path("/usr")
    assert root_owned.stat().st_uid == 0 and not root_owned.stat().st_mode & 0o022
    (tmp_path / "state").symlink_to(root_owned)
    assert Journal(tmp_path / "state").read().bad == []
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    assert Journal(tmp_path / "dangling").read().writes == {}  # making it fails later, with its own words


def test_a_line_too_long_is_skipped_piece_by_piece_and_the_rest_is_read(tmp_path, monkeypatch) -> None:
    import reconciler.journal as jmod

    monkeypatch.setattr(jmod, "MAX_LINE_BYTES", 300)
    at_limit = line(detail="x" * (300 - len(line(detail=""))))
    assert len(at_limit) == 300
    over = line(write="w9", detail="x" * (301 - len(line(detail=""))))
    huge = line(write="w8", detail="y" * 1000)
    view = read_lines(tmp_path, at_limit, over, "\n", huge, line(write="w2"))
    assert [(b.line, b.problem) for b in view.bad] == [(2, "line too long; skipped"), (4, "line too long; skipped")]
    assert sorted(view.writes) == ["w1", "w2"] and view.lines == 5


def test_a_value_too_large_for_a_time_is_skipped_not_a_crash(tmp_path) -> None:
    view = read_lines(tmp_path, line()[:-2] + ', "submitted_at": 1' + "0" * 400 + "}\n", line(write="w2"))
    assert [str(b) for b in view.bad] == ["journal.jsonl:1: unreadable (OverflowError); skipped"]
    assert list(view.writes) == ["w2"]


# ---------------------------------------------------------------- compaction: its bytes, its ledger, its failures


def test_a_compacted_journal_is_a_ledger_line_then_the_open_writes(tmp_path) -> None:
    j = Journal(tmp_path, run_id="r1")
    a = j.intent(Op.ASSIGN, [N[1], N[0]], at=T0, campaign="CWZTFH1")
    j.update(a, State.DONE, at=T0 + 1)
    b = j.intent(Op.UNASSIGN, [N[2]], at=T0 + 2, campaign="COTHER1")
    assert j.compact(force=True)
    ledger, kept = j.path.read_text(encoding="utf-8").splitlines()
    assert ledger == f'{{"format":2,"ledger":{{"CWZTFH1":["{N[0]}","{N[1]}"]}}}}'
    assert kept == (f'{{"campaign":"COTHER1","numbers":["{N[2]}"],"op":"unassign","run":"r1","state":"intent",'
                    f'"submitted_at":{T0 + 2},"write":"{b}"}}')
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".journal.")]  # no temporary file left


def test_compaction_forgets_only_what_a_finished_removal_took_away(tmp_path) -> None:
    """A move (no campaign) or a refused removal leaves the ledger as it was; a finished removal
    of a number never assigned here (a prune) is nothing to forget."""
    j = Journal(tmp_path)
    for op, numbers, campaign, state in [
        (Op.ASSIGN, N[:3], "CWZTFH1", State.DONE), (Op.BULK_MOVE, N[:1], None, State.DONE),
        (Op.UNASSIGN, N[1:2], "CWZTFH1", State.REFUSED), (Op.UNASSIGN, N[2:4], "CWZTFH1", State.DONE)]:
        wid = j.intent(op, numbers, at=T0, profile=Q if op is Op.BULK_MOVE else None, campaign=campaign)
        j.update(wid, state, at=T0 + 1)
    before = j.read().applied()
    assert before == {N[0]: "CWZTFH1", N[1]: "CWZTFH1"}
    assert j.compact(force=True) and j.read().applied() == before


@pytest.mark.parametrize("closed_first", [True, False])
def test_compaction_replays_in_submission_order_whatever_the_file_order(tmp_path, closed_first) -> None:
    """A finished write that an open one submitted earlier (or untimed: as at the epoch) would
    overrule is kept, not folded into the ledger that is replayed before every kept write."""
    open_older = line(write="wopen", state="submitted", campaign="COPEN01", submitted_at=DROP)
    closed_newer = line(write="wdone", state="done", campaign="CDONE01", submitted_at=1)  # a second after the epoch
    lines = (closed_newer, open_older) if closed_first else (open_older, closed_newer)
    view = read_lines(tmp_path, *lines)
    j = Journal(tmp_path)
    before = (seen_by_commands(j), j.read().applied())
    j.compact(view, force=True)
    assert (seen_by_commands(j), j.read().applied()) == before


def test_a_compaction_that_fails_leaves_the_journal_and_no_temporary_file(tmp_path, monkeypatch) -> None:
    import reconciler.journal as jmod

    j = Journal(tmp_path)
    wid = j.intent(Op.ASSIGN, [N[0]], at=T0, campaign="CWZTFH1")
    j.update(wid, State.DONE, at=T0)
    before = j.path.read_bytes()
    moved: list[str] = []

    def replace(src, dst):
        moved.append(str(src))
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(jmod.os, "replace", replace)
    with pytest.raises(OSError):
        j.compact(force=True)
    (tmp,) = [m for m in moved if Path(m).name.startswith(".journal.")]  # (history.json may be saved first)
    assert Path(tmp).parent == tmp_path and Path(tmp).name.startswith(".journal.")  # in the folder: one rename
    assert j.path.read_bytes() == before
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".journal.")]


# ---------------------------------------------------------------- what `doctor --save` learned


def test_save_doctor_writes_sorted_indented_json_atomically_over_a_planted_link(tmp_path) -> None:
    from reconciler.journal import save_doctor

    victim = tmp_path / "victim"
    victim.write_text("keep", encoding="utf-8")
    state = tmp_path / "a" / "state"
    state.mkdir(parents=True)
    (state / "doctor.json").symlink_to(victim)
    path = save_doctor(state, {"b": 1, "a": {"c": [1]}})
    assert path == state / "doctor.json" and not path.is_symlink()
    assert path.read_text(encoding="utf-8") == '{\n  "a": {\n    "c": [\n      1\n    ]\n  },\n  "b": 1\n}\n'
    assert victim.read_text(encoding="utf-8") == "keep"
    assert save_doctor(tmp_path / "new" / "state", {}) == tmp_path / "new" / "state" / "doctor.json"  # folder made
    assert save_doctor(state, {"b": 2}).read_text(encoding="utf-8") == '{\n  "b": 2\n}\n'  # replaced
    assert sorted(p.name for p in state.iterdir()) == ["doctor.json"]


def test_save_doctor_refuses_a_state_folder_linked_to_a_place_others_can_write_to(tmp_path) -> None:
    from reconciler.journal import save_doctor

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    (tmp_path / "state").symlink_to(shared)
    with pytest.raises(StateDirError, match="which others can write to"):
        save_doctor(tmp_path / "state", {})
    assert list(shared.iterdir()) == []


def test_save_doctor_that_fails_leaves_no_temporary_file(tmp_path, monkeypatch) -> None:
    import reconciler.journal as jmod

    def replace(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(jmod.os, "replace", replace)
    with pytest.raises(OSError):
        jmod.save_doctor(tmp_path, {"a": 1})
    assert list(tmp_path.iterdir()) == []


def test_save_doctor_fsyncs_the_file_before_the_rename_and_the_folder_after(tmp_path, monkeypatch) -> None:
    import reconciler.journal as jmod

    events: list[str] = []
    real_fsync, real_replace = jmod.os.fsync, jmod.os.replace
    monkeypatch.setattr(jmod.os, "fsync", lambda fd: (events.append(os.readlink(f"/proc/self/fd/{fd}")),
                                                      real_fsync(fd))[1])
    monkeypatch.setattr(jmod.os, "replace", lambda s, d: (events.append("replace"), real_replace(s, d))[1])
    jmod.save_doctor(tmp_path, {"a": 1})
    (at,) = [i for i, e in enumerate(events) if e == "replace"]
    assert [(Path(e).parent, Path(e).name[:8]) for e in events[:at]] == [(tmp_path, ".doctor.")]  # in the folder
    assert events[at + 1:] == [str(tmp_path)]


def test_a_bulk_tasks_duration_runs_to_when_it_was_first_seen_processed(tmp_path):
    """The history of durations (status's ETAs) measures a task to the first line that saw it
    processed: a later line saying so again (the write closed hours later) does not stretch it."""
    from reconciler.journal import history

    j = Journal(tmp_path)
    wid = j.intent(Op.BULK_ASSIGN, ["+13125550001"], at=1000.0, profile="p", campaign="CSHARE1")
    j.update(wid, State.ACCEPTED, at=1090.0, processed=True)
    j.update(wid, State.DONE, at=8200.0, processed=True)
    assert j.read().writes[wid].processed_at == 1090.0
    assert sorted((k, s) for _, k, s in history.measured(j.read())) == [("assignment", 7200.0), ("task", 90.0)]


def test_a_next_phase_write_keeps_when_its_numbers_stopped_and_a_bad_value_is_refused(tmp_path: Path) -> None:
    import json as _json

    j = Journal(tmp_path)
    wid = j.intent(Op.ASSIGN, ["+13125550100"], at=1_700_000_500.0, campaign="CWZTFH1", stopped_at=1_700_000_000.0)
    assert j.read().writes[wid].stopped_at == 1_700_000_000.0
    plain = j.intent(Op.ASSIGN, ["+13125550101"], at=1_700_000_500.0, campaign="CWZTFH1")
    assert j.read().writes[plain].stopped_at is None and "stopped_at" not in j.read().writes[plain].to_dict()
    with open(tmp_path / "journal.jsonl", "a", encoding="utf-8") as f:
        f.write(_json.dumps({"write": "0123456789abcdef", "op": "assign", "state": "intent", "run": "r1",
                             "numbers": ["+13125550102"], "stopped_at": 1e300}) + "\n")
    view = j.read()
    assert "0123456789abcdef" not in view.writes and any("stopped_at" in str(b) for b in view.bad)
