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


# ---------------------------------------------------------------- a deferred phase, judged


X = [f"+1312555090{i}" for i in range(5)]  # numbers that are not the phase's
MEMBER = "+13125550999"  # on the profile, not in the phase, and the approved plan knew it


def phase_live(assign: dict[str, tuple[str, str]], *, on_profile: list[str] = (), moved: dict[str, str] = {},
               unseen: list[str] = ()) -> LiveState:
    s = LiveState()
    for i, n in enumerate(list(N) + list(on_profile)):
        if n in unseen:
            continue
        s.numbers[n] = LiveNumber(n, str(2000 + i), moved.get(n, P), "longcode")
    for n, (c, status) in assign.items():
        s.assignments[n] = LiveAssignment(n, c, status, None)
    return s


OTHER_P = "7b1e3c52-9a4f-4d8e-b6a2-1f0c9d8e7a65"
PHASES = [
    # name, op, live, phase, reason
    ("every number freed: ready", Op.BULK_ASSIGN, phase_live({}), "ready", None),
    ("a failed record is free too", Op.BULK_ASSIGN, phase_live({N[0]: ("COLD001", "FAILED_UNASSIGNMENT")}),
     "ready", None),
    ("one still being freed", Op.BULK_ASSIGN, phase_live({N[1]: ("COLD001", "PENDING_UNASSIGNMENT")}),
     "waiting", "1 number still being freed"),
    ("two still being freed", Op.BULK_ASSIGN, phase_live({n: ("COLD001", "PENDING_UNASSIGNMENT") for n in N[:2]}),
     "waiting", "2 numbers still being freed"),
    ("one the read did not cover waits", Op.BULK_ASSIGN, phase_live({}, unseen=[N[2]]),
     "waiting", "1 number still being freed"),
    ("already on the target: done", Op.BULK_ASSIGN,
     phase_live({n: ("CWZTFH1", "ASSIGNED" if i else "PENDING_ASSIGNMENT") for i, n in enumerate(N)}), "done", None),
    ("assigned elsewhere meanwhile: abandoned", Op.BULK_ASSIGN, phase_live({N[1]: ("COTHER1", "ASSIGNED")}),
     "abandoned", f"{N[1]} is on COTHER1 (ASSIGNED) now, not freed as the approved plan expected; re-plan"),
    ("pending on another campaign: abandoned", Op.ASSIGN, phase_live({N[0]: ("COTHER1", "PENDING_ASSIGNMENT")}),
     "abandoned", f"{N[0]} is on COTHER1 (PENDING_ASSIGNMENT) now, not freed as the approved plan expected; re-plan"),
    ("left its profile: abandoned", Op.BULK_ASSIGN, phase_live({}, moved={N[2]: OTHER_P}),
     "abandoned", f"{N[2]} left profile {P} since the plan was approved; re-plan"),
    ("left its profile while another is still freed: abandoned", Op.ASSIGN,
     phase_live({N[0]: ("COLD001", "PENDING_UNASSIGNMENT")}, moved={N[2]: OTHER_P}),
     "abandoned", f"{N[2]} left profile {P} since the plan was approved; re-plan"),
    ("one number joined the profile: a bulk would sweep it in", Op.BULK_ASSIGN, phase_live({}, on_profile=X[:1]),
     "abandoned", f"profile {P} now holds 1 number the approved plan did not ({X[0]}); a bulk assignment would "
                  "sweep them in; re-plan"),
    ("four joined: three named", Op.BULK_ASSIGN, phase_live({}, on_profile=X[:4]),
     "abandoned", f"profile {P} now holds 4 numbers the approved plan did not ({X[0]}, {X[1]}, {X[2]}, …); a bulk "
                  "assignment would sweep them in; re-plan"),
    ("three joined: no ellipsis", Op.BULK_ASSIGN, phase_live({}, on_profile=X[:3]),
     "abandoned", f"profile {P} now holds 3 numbers the approved plan did not ({X[0]}, {X[1]}, {X[2]}); a bulk "
                  "assignment would sweep them in; re-plan"),
    ("a per-number phase does not mind its profile's other numbers", Op.ASSIGN, phase_live({}, on_profile=X[:2]),
     "ready", None),
    ("members the plan let sit there are no intruders", Op.BULK_ASSIGN, phase_live({}, on_profile=[MEMBER]),
     "ready", None),
]


@pytest.mark.parametrize("name, op, state, phase, reason", PHASES, ids=[p[0] for p in PHASES])
def test_a_deferred_phase_is_ready_waiting_done_or_abandoned_for_exactly_one_reason(tmp_path, name, op, state, phase,
                                                                                   reason) -> None:
    j = Journal(tmp_path)
    j.defer(op, N, at=T0, profile=P, campaign="CWZTFH1", after="free", members=N + [MEMBER])
    (t,) = judge(j.read().open_writes(), state, T0 + 60).tracked
    assert (t.phase.value, t.phase_reason) == (phase, reason)
