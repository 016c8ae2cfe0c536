"""`tracking`'s thresholds at exactly their value, on Telnyx's clock (the `now` a caller passes is
the API's `Date`, never the runner's). Each boundary is checked one second either side as well,
so an off-by-one in either direction fails a test:

- stuck: in flight *longer than* `--stuck-after` (72 h by default); at exactly 72 h it is not
  stuck yet (kills the planted `age >= stuck_after`, issue 26 #6);
- a killed run's intent, or a bulk task whose answer was lost, holds its numbers *up to and
  including* the grace period (30 min; the settle window under the lock), and is taken not to
  have happened only after it (kills the planted `>=` in `_lost`, issue 26 #7).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.journal import Journal, Op, State
from reconciler.model import LiveAssignment, LiveNumber, LiveState
from reconciler.tracking import (
    DEFAULT_STUCK_AFTER,
    SETTLE_WINDOW,
    UNKNOWN_GRACE,
    NumberState,
    judge,
    may_be_unprocessed,
)

P = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"
N = [f"+1312555080{i}" for i in range(3)]
T0 = 1_800_000_000.0  # the server time the write was sent


def live(status: str | None = None) -> LiveState:
    s = LiveState()
    for i, n in enumerate(N):
        s.numbers[n] = LiveNumber(n, str(1000 + i), P, "longcode")
        if status:
            s.assignments[n] = LiveAssignment(n, "CWZTFH1", status, None)
    return s


def journal(tmp_path: Path, state: State, op: Op = Op.BULK_ASSIGN, **kw) -> list:
    j = Journal(tmp_path)
    wid = j.intent(op, N, at=T0, profile=P, campaign="CWZTFH1")
    if state is not State.INTENT:
        j.update(wid, state, at=T0, **kw)
    return j.read().open_writes()


@pytest.mark.parametrize("stuck_after", [DEFAULT_STUCK_AFTER, 3600.0])
@pytest.mark.parametrize("offset, stuck", [(-1, False), (0, False), (1, True)])
def test_work_in_flight_is_stuck_only_once_it_is_older_than_the_limit(tmp_path, stuck_after, offset, stuck) -> None:
    writes = journal(tmp_path, State.ACCEPTED)
    inflight = judge(writes, live("PENDING_ASSIGNMENT"), T0 + stuck_after + offset, stuck_after=stuck_after)
    t = inflight.tracked[0]
    assert t.age == stuck_after + offset
    assert t.stuck is stuck and bool(inflight.stuck) is stuck
    assert set(inflight.numbers()) == set(N)  # stuck or not, still in flight: never re-sent


def test_a_deferred_phase_waiting_exactly_the_limit_is_not_stuck_yet(tmp_path) -> None:
    j = Journal(tmp_path)
    j.defer(Op.BULK_ASSIGN, N[:1], at=T0, profile=P, campaign="CWZTFH1", after="free", members=N)
    writes = j.read().open_writes()
    waiting = live()
    waiting.assignments[N[0]] = LiveAssignment(N[0], "COLD001", "PENDING_UNASSIGNMENT", None)
    assert not judge(writes, waiting, T0 + DEFAULT_STUCK_AFTER).tracked[0].stuck
    assert judge(writes, waiting, T0 + DEFAULT_STUCK_AFTER + 1).tracked[0].stuck


@pytest.mark.parametrize("exclusive, grace", [(False, UNKNOWN_GRACE), (True, SETTLE_WINDOW)])
@pytest.mark.parametrize("offset, held", [(-1, True), (0, True), (1, False)])
def test_a_killed_runs_intent_is_held_through_the_whole_grace_period(tmp_path, exclusive, grace, offset, held) -> None:
    writes = journal(tmp_path, State.INTENT)
    numbers = judge(writes, live(), T0 + grace + offset, exclusive=exclusive).numbers()
    assert (set(numbers) == set(N)) is held and (numbers == {}) is (not held)


@pytest.mark.parametrize("exclusive, grace", [(False, UNKNOWN_GRACE), (True, SETTLE_WINDOW)])
@pytest.mark.parametrize("offset, held", [(-1, True), (0, True), (1, False)])
def test_a_lost_bulk_answer_holds_its_profile_through_the_whole_grace_period(tmp_path, exclusive, grace, offset,
                                                                           held) -> None:
    writes = journal(tmp_path, State.UNKNOWN, detail="HTTP 500")
    (w,) = writes
    t = judge(writes, live(), T0 + grace + offset, exclusive=exclusive).tracked[0]
    assert (set(t.numbers.values()) == {NumberState.PENDING}) is held
    assert may_be_unprocessed(w, T0 + grace + offset, exclusive=exclusive) is held


def test_a_lost_answer_to_one_number_holds_nothing_at_any_age(tmp_path) -> None:
    """Its call re-read the number before giving up: there is no window to wait out."""
    writes = journal(tmp_path, State.UNKNOWN, op=Op.ASSIGN, detail="HTTP 500")
    for at in (T0, T0 + 1, T0 + UNKNOWN_GRACE):
        assert judge(writes, live(), at).numbers() == {}
