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

import json
from pathlib import Path

import pytest

from reconciler.journal import Journal, Op, State, Write
from reconciler.model import DesiredNumber, DesiredProfile, DesiredState, LiveAssignment, LiveNumber, LiveState
from reconciler.tracking import (
    DEFAULT_STUCK_AFTER,
    FUTURE_SKEW,
    SETTLE_WINDOW,
    UNKNOWN_GRACE,
    NumberState,
    dated_ahead,
    judge,
    may_be_unprocessed,
)
from reconciler.tracking.declared import not_declared

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


def phase_live(assign: dict[str, tuple[str, str]], *, on_profile: tuple[str, ...] | list[str] = (),
               moved: dict[str, str] | None = None, unseen: tuple[str, ...] | list[str] = ()) -> LiveState:
    moved = moved or {}
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
    ("a failed assignment elsewhere holds nothing: free", Op.BULK_ASSIGN,
     phase_live({N[0]: ("COLD001", "FAILED_ASSIGNMENT")}), "ready", None),
    # A failed removal still holds the number on its old campaign: the phase waits, resume frees it again.
    ("a failed removal is not free", Op.BULK_ASSIGN, phase_live({N[0]: ("COLD001", "FAILED_UNASSIGNMENT")}),
     "waiting", "Telnyx failed to free 1 number from COLD001 (FAILED_UNASSIGNMENT: no reason given); `resume` frees "
                "them again"),
    ("two failed removals are counted", Op.BULK_ASSIGN,
     phase_live({n: ("COLD001", "FAILED_UNASSIGNMENT") for n in N[:2]}),
     "waiting", "Telnyx failed to free 2 numbers from COLD001 (FAILED_UNASSIGNMENT: no reason given); `resume` frees "
                "them again"),
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


def test_each_number_of_a_phase_telnyx_failed_to_free_says_so_and_no_other_number_has_a_reason(tmp_path) -> None:
    j = Journal(tmp_path)
    j.defer(Op.BULK_ASSIGN, N, at=T0, profile=P, campaign="CWZTFH1", after="free", members=N + [MEMBER])
    state = phase_live({N[0]: ("COLD001", "FAILED_UNASSIGNMENT"), N[1]: ("COLD001", "PENDING_UNASSIGNMENT")})
    state.assignments[N[2]] = LiveAssignment(N[2], "COLD002", "FAILED_UNASSIGNMENT", "carrier said no")
    (t,) = judge(j.read().open_writes(), state, T0 + 60).tracked
    assert t.reasons == {N[0]: "Telnyx failed to free it from COLD001: FAILED_UNASSIGNMENT",
                         N[2]: "Telnyx failed to free it from COLD002: carrier said no"}
    assert t.numbers[N[1]] is NumberState.PENDING


# ---------------------------------------------------------------- one number of one write, every verdict


def one(op: Op, state: State, status: tuple[str, str] | None = None, *, profile: str | None = P,
        target_profile: str | None = P, campaign: str | None = "CWZTFH1", failed: dict | None = None,
        processed: bool = False, ref: str | None = None, age: float = 60.0, exclusive: bool = False,
        reasons: str | None = None):
    """Judge one write of one number (N[0]) `age` seconds after it was sent: (state, reason, effect)."""
    import tempfile

    j = Journal(tempfile.mkdtemp())
    wid = j.intent(op, [N[0]], at=T0, profile=target_profile, campaign=campaign)
    if state is not State.INTENT:
        j.update(wid, state, at=T0, ref=ref, failed=failed, processed=processed)
    s = LiveState()
    s.numbers[N[0]] = LiveNumber(N[0], "1000", profile, "longcode")
    if status:
        s.assignments[N[0]] = LiveAssignment(N[0], status[0], status[1], reasons)
    (t,) = judge(j.read().open_writes(), s, T0 + age, exclusive=exclusive).tracked
    return t.numbers[N[0]].value, t.reasons.get(N[0]), t.effect


Q2 = "7b1e3c52-9a4f-4d8e-b6a2-1f0c9d8e7a65"
VERDICTS = [
    # moves: the number's profile decides
    ("move done", dict(op=Op.BULK_MOVE, state=State.ACCEPTED, profile=Q2, target_profile=Q2, campaign=None),
     ("done", None, True)),
    ("move to no profile done", dict(op=Op.BULK_MOVE, state=State.ACCEPTED, profile=None, target_profile=None,
                                     campaign=None), ("done", None, True)),
    # an order still processing journals the numbers it already failed
    ("move Telnyx said failed", dict(op=Op.BULK_MOVE, state=State.ACCEPTED, target_profile=Q2, campaign=None,
                                     ref="order-1", failed={N[0]: "owned elsewhere"}),
     ("failed", "owned elsewhere", True)),
    ("move failed without words", dict(op=Op.BULK_MOVE, state=State.ACCEPTED, target_profile=Q2, campaign=None,
                                       ref="order-1", failed={N[0]: ""}),
     ("failed", "Telnyx reported the move failed", True)),
    ("move sent, not yet seen", dict(op=Op.BULK_MOVE, state=State.SUBMITTED, target_profile=Q2, campaign=None),
     ("pending", None, False)),
    ("order taken, not finished", dict(op=Op.BULK_MOVE, state=State.ACCEPTED, target_profile=Q2, campaign=None,
                                       ref="order-1"), ("pending", None, False)),
    ("order without an id: not moved", dict(op=Op.BULK_MOVE, state=State.ACCEPTED, target_profile=Q2, campaign=None),
     ("not_taken", "not moved", False)),
    # removals
    ("removal done", dict(op=Op.UNASSIGN, state=State.ACCEPTED), ("done", None, True)),
    ("removal done, now on another campaign", dict(op=Op.UNASSIGN, state=State.ACCEPTED,
                                                    status=("COTHER1", "ASSIGNED")), ("done", None, True)),
    ("removal under way", dict(op=Op.UNASSIGN, state=State.ACCEPTED, status=("CWZTFH1", "PENDING_UNASSIGNMENT")),
     ("pending", None, True)),
    ("removal failed", dict(op=Op.UNASSIGN, state=State.ACCEPTED, status=("CWZTFH1", "FAILED_UNASSIGNMENT"),
                            reasons="carrier said no"), ("failed", "carrier said no", True)),
    ("removal failed without words", dict(op=Op.UNASSIGN, state=State.ACCEPTED,
                                          status=("CWZTFH1", "FAILED_UNASSIGNMENT")),
     ("failed", "FAILED_UNASSIGNMENT", True)),
    ("removal sent, not yet seen", dict(op=Op.UNASSIGN, state=State.SUBMITTED, status=("CWZTFH1", "ASSIGNED")),
     ("pending", None, False)),
    ("removal that did not take", dict(op=Op.UNASSIGN, state=State.ACCEPTED, status=("CWZTFH1", "ASSIGNED")),
     ("not_taken", "still ASSIGNED on CWZTFH1", False)),
    # assignments
    ("assigned", dict(op=Op.ASSIGN, state=State.ACCEPTED, status=("CWZTFH1", "ASSIGNED")), ("done", None, True)),
    ("assigning", dict(op=Op.ASSIGN, state=State.ACCEPTED, status=("CWZTFH1", "PENDING_ASSIGNMENT")),
     ("pending", None, True)),
    ("assignment failed, the record's words", dict(op=Op.ASSIGN, state=State.ACCEPTED,
                                                   status=("CWZTFH1", "FAILED_ASSIGNMENT"), reasons="T-Mobile: no",
                                                   failed={N[0]: "task: no"}), ("failed", "T-Mobile: no", True)),
    ("assignment failed, the task's words", dict(op=Op.ASSIGN, state=State.ACCEPTED,
                                                 status=("CWZTFH1", "FAILED_ASSIGNMENT"), failed={N[0]: "task: no"}),
     ("failed", "task: no", True)),
    ("assignment failed without words", dict(op=Op.ASSIGN, state=State.ACCEPTED,
                                             status=("CWZTFH1", "FAILED_ASSIGNMENT")),
     ("failed", "FAILED_ASSIGNMENT", True)),
    ("someone is removing it", dict(op=Op.ASSIGN, state=State.ACCEPTED, status=("CWZTFH1", "PENDING_UNASSIGNMENT")),
     ("not_taken", "PENDING_UNASSIGNMENT on CWZTFH1", False)),
    ("sent, not yet seen", dict(op=Op.ASSIGN, state=State.SUBMITTED), ("pending", None, False)),
    ("a bulk seen accepted, not processed, young", dict(op=Op.BULK_ASSIGN, state=State.ACCEPTED, age=60),
     ("pending", None, False)),
    ("a bulk seen accepted, not processed, older than the settle window",
     dict(op=Op.BULK_ASSIGN, state=State.ACCEPTED, age=SETTLE_WINDOW + 1), ("not_taken", "no campaign", False)),
    ("a bulk accepted exactly the settle window ago", dict(op=Op.BULK_ASSIGN, state=State.ACCEPTED,
                                                           age=SETTLE_WINDOW), ("not_taken", "no campaign", False)),
    ("a processed bulk skipped it", dict(op=Op.BULK_ASSIGN, state=State.ACCEPTED, processed=True,
                                         status=("COTHER1", "ASSIGNED"), failed={N[0]: "held by another campaign"}),
     ("not_taken", "held by another campaign; still on COTHER1 (ASSIGNED)", False)),
    ("a processed bulk left it free", dict(op=Op.BULK_ASSIGN, state=State.ACCEPTED, processed=True),
     ("not_taken", "no campaign", False)),
    ("a lost per-number answer holds nothing", dict(op=Op.ASSIGN, state=State.UNKNOWN),
     ("not_taken", "no campaign", False)),
]


@pytest.mark.parametrize("name, kw, verdict", VERDICTS, ids=[v[0] for v in VERDICTS])
def test_each_number_of_a_write_is_done_pending_failed_or_not_taken_for_one_reason(name, kw, verdict) -> None:
    assert one(**kw) == verdict


def test_a_number_the_read_did_not_cover_is_unseen_and_held(tmp_path) -> None:
    j = Journal(tmp_path)
    j.intent(Op.ASSIGN, [N[0]], at=T0, profile=P, campaign="CWZTFH1")
    (t,) = judge(j.read().open_writes(), LiveState(), T0 + 60).tracked
    assert t.numbers == {N[0]: NumberState.UNSEEN} and t.pending == [N[0]]
    covered = LiveState(campaigns={"CWZTFH1": None})  # every assignment of its campaign was read: none
    (t,) = judge(j.read().open_writes(), covered, T0 + UNKNOWN_GRACE + 1).tracked
    assert t.numbers == {N[0]: NumberState.NOT_TAKEN}
    (t,) = judge(j.read().open_writes(), LiveState(), T0 + 60, seen=frozenset({N[0]})).tracked
    assert t.numbers == {N[0]: NumberState.PENDING}  # `seen` says the read covered it


def test_an_unprocessed_bulk_holds_every_number_on_its_profile_but_those_already_there(tmp_path) -> None:
    """A task snapshots its profile when Telnyx processes it: until then a number that joined the
    profile is swept in too, unless it already sits ASSIGNED on the task's campaign."""
    j = Journal(tmp_path)
    wid = j.intent(Op.BULK_ASSIGN, N[:1], at=T0, profile=P, campaign="CWZTFH1")
    j.update(wid, State.SUBMITTED, at=T0, ref="task-1")
    s = live()
    s.assignments[N[1]] = LiveAssignment(N[1], "CWZTFH1", "ASSIGNED", None)
    s.assignments[N[2]] = LiveAssignment(N[2], "CWZTFH1", "FAILED_ASSIGNMENT", None)
    s.numbers["+13125559999"] = LiveNumber("+13125559999", "9", "another-profile", "longcode")
    (t,) = judge(j.read().open_writes(), s, T0 + 60).tracked
    assert t.numbers == {N[0]: NumberState.PENDING, N[2]: NumberState.PENDING}
    j.update(wid, State.ACCEPTED, at=T0 + 70, processed=True)
    (t,) = judge(j.read().open_writes(), s, T0 + 80).tracked
    assert list(t.numbers) == [N[0]]  # processed: only what it was sent for



def test_a_processed_bulk_holds_the_members_telnyx_provisions_again(tmp_path) -> None:
    """A bulk task assigns every number of its profile: a member already on the campaign that Telnyx
    provisions again (PENDING_ASSIGNMENT) cannot send until that is over, so it is the task's work in
    flight (`make demo`: drift counted it, status did not). One ASSIGNED still, or on another campaign,
    is not; a deferred bulk has sent nothing yet."""
    j = Journal(tmp_path)
    wid = j.intent(Op.BULK_ASSIGN, N[:1], at=T0, profile=P, campaign="CWZTFH1", members=N)
    j.update(wid, State.ACCEPTED, at=T0 + 70, ref="task-1", processed=True)
    s = live()
    s.assignments[N[0]] = LiveAssignment(N[0], "CWZTFH1", "ASSIGNED", None)
    s.assignments[N[1]] = LiveAssignment(N[1], "CWZTFH1", "PENDING_ASSIGNMENT", None)
    s.assignments[N[2]] = LiveAssignment(N[2], "CWZTFH1", "ASSIGNED", None)
    (t,) = judge(j.read().open_writes(), s, T0 + 80).tracked
    assert t.numbers == {N[0]: NumberState.DONE, N[1]: NumberState.PENDING}
    assert t.closed_state is None  # its re-sent member is still being provisioned
    s.assignments[N[1]] = LiveAssignment(N[1], "COTHER1", "PENDING_ASSIGNMENT", None)
    (t,) = judge(j.read().open_writes(), s, T0 + 80).tracked
    assert t.numbers == {N[0]: NumberState.DONE}
    j2 = Journal(tmp_path / "b")
    j2.defer(Op.BULK_ASSIGN, N[:1], at=T0, profile=P, campaign="CWZTFH1", after="free", members=N[1:])
    s.assignments[N[1]] = LiveAssignment(N[1], "CWZTFH1", "PENDING_ASSIGNMENT", None)
    (t,) = judge(j2.read().open_writes(), s, T0 + 80).tracked
    assert N[1] not in t.numbers


def test_a_bulks_re_sent_members_stay_its_numbers_until_they_send(tmp_path) -> None:
    """Outside review: a re-sent member dropped out of the write once Telnyx failed it (status said
    "1 number failed" while 9 could not send) and counts shrank as Telnyx finished (382, then 30).
    A member Telnyx took again (its record changed since the task was submitted) is the task's:
    pending, failed with Telnyx's reason, done once ASSIGNED again; one unchanged since before the
    task (bulk_same=noop) is not; the closed write's journalled failure names it (`left_failed`)."""
    j = Journal(tmp_path)
    m = [f"+1312555090{i}" for i in range(4)]
    wid = j.intent(Op.BULK_ASSIGN, N[:1], at=T0, profile=P, campaign="CWZTFH1", members=N + m)
    j.update(wid, State.ACCEPTED, at=T0 + 70, ref="task-1", processed=True)
    s = live()
    s.assignments[N[0]] = LiveAssignment(N[0], "CWZTFH1", "ASSIGNED", None, since=T0 + 60)
    s.assignments[N[1]] = LiveAssignment(N[1], "CWZTFH1", "PENDING_ASSIGNMENT", None, since=T0 + 60)
    s.assignments[N[2]] = LiveAssignment(N[2], "CWZTFH1", "FAILED_ASSIGNMENT", "carrier said no", since=T0 + 7200)
    s.assignments[m[0]] = LiveAssignment(m[0], "CWZTFH1", "ASSIGNED", None, since=T0 + 7000)  # again: done
    s.assignments[m[1]] = LiveAssignment(m[1], "CWZTFH1", "ASSIGNED", None, since=T0 - 2)  # untouched
    s.assignments[m[2]] = LiveAssignment(m[2], "CWZTFH1", "FAILED_ASSIGNMENT", "old", since=T0 - 2)  # earlier failure
    s.assignments[m[3]] = LiveAssignment(m[3], "COTHER1", "FAILED_ASSIGNMENT", "x", since=T0 + 60)  # not its campaign
    (t,) = judge(j.read().open_writes(), s, T0 + 7300, exclusive=True).tracked
    assert t.numbers == {N[0]: NumberState.DONE, N[1]: NumberState.PENDING, N[2]: NumberState.FAILED,
                         m[0]: NumberState.DONE}
    assert t.resent == {N[1], N[2], m[0]} and t.reasons[N[2]] == "carrier said no"
    assert t.closed_state is None  # N[1] still provisioned again
    s.assignments[N[1]] = LiveAssignment(N[1], "CWZTFH1", "ASSIGNED", None, since=T0 + 7200)
    (t,) = judge(j.read().open_writes(), s, T0 + 7300, exclusive=True).tracked
    assert len(t.numbers) == 4 and t.closed_state is State.FAILED  # counts do not shrink as Telnyx finishes
    j.update(wid, State.FAILED, at=T0 + 7300, failed={N[2]: t.reasons[N[2]]})
    assert j.read().left_failed()[0][1] == (N[2],)
    # A later write naming the member (a retry) is the latest word on it.
    j.intent(Op.ASSIGN, N[2:], at=T0 + 8000, profile=P, campaign="CWZTFH1")
    assert j.read().left_failed() == []


@pytest.mark.parametrize("since, counted", [(T0 - 1, True), (T0 - 2, False), (None, False)])
def test_a_member_counts_only_if_its_record_changed_after_the_task(tmp_path, since, counted) -> None:
    """Telnyx's `updatedAt` against the task's `submitted_at` (a `Date` header: whole seconds); a
    record with no time counts only while it shows PENDING_ASSIGNMENT."""
    j = Journal(tmp_path)
    wid = j.intent(Op.BULK_ASSIGN, N[:1], at=T0, profile=P, campaign="CWZTFH1", members=N)
    j.update(wid, State.ACCEPTED, at=T0 + 70, ref="task-1", processed=True)
    s = live()
    s.assignments[N[0]] = LiveAssignment(N[0], "CWZTFH1", "ASSIGNED", None, since=T0 + 60)
    s.assignments[N[1]] = LiveAssignment(N[1], "CWZTFH1", "FAILED_ASSIGNMENT", "why", since=since)
    s.assignments[N[2]] = LiveAssignment(N[2], "CWZTFH1", "PENDING_ASSIGNMENT", None, since=None)
    (t,) = judge(j.read().open_writes(), s, T0 + 80).tracked
    assert (N[1] in t.numbers) is counted and t.numbers[N[2]] is NumberState.PENDING

WHY = [
    (Op.BULK_ASSIGN, State.SUBMITTED, "task-9",
     f"bulk assignment of profile {P} to CWZTFH1: task task-9 of run r1 not yet processed by Telnyx"),
    (Op.BULK_ASSIGN, State.ACCEPTED, None,
     f"bulk assignment of profile {P} to CWZTFH1: task of run r1 accepted; Telnyx is still working on it"),
    (Op.ASSIGN, State.INTENT, None, "assignment to CWZTFH1: write of run r1 that was killed before Telnyx's answer "
                                    "was journalled; waiting up to 30 min to see whether Telnyx took it"),
    (Op.REPLACE, State.SUBMITTED, None, "assignment to CWZTFH1: write of run r1 not yet processed by Telnyx"),
    (Op.UNASSIGN, State.SUBMITTED, None, "removal from CWZTFH1: write of run r1 not yet processed by Telnyx"),
    (Op.BULK_MOVE, State.SUBMITTED, "order-2", f"move to profile {P}: order order-2 of run r1 not yet processed by "
                                               "Telnyx"),
]


@pytest.mark.parametrize("op, state, ref, why", WHY)
def test_a_plan_says_why_each_number_is_in_flight(tmp_path, op, state, ref, why) -> None:
    j = Journal(tmp_path, run_id="r1")
    campaign = None if op is Op.BULK_MOVE else "CWZTFH1"
    wid = j.intent(op, [N[0]], at=T0, profile=P, campaign=campaign)
    if state is not State.INTENT:
        j.update(wid, state, at=T0, ref=ref)
    s = live("PENDING_UNASSIGNMENT" if op is Op.UNASSIGN else None)
    if op is Op.BULK_MOVE:
        s.numbers[N[0]] = LiveNumber(N[0], "1", "elsewhere", "longcode")
    assert judge(j.read().open_writes(), s, T0 + 60).numbers()[N[0]] == why


def test_a_deferred_phase_says_what_follows_and_holds_only_what_is_not_there_yet(tmp_path) -> None:
    j = Journal(tmp_path, run_id="r2")
    j.defer(Op.BULK_ASSIGN, N[:2], at=T0, profile=P, campaign="CWZTFH1", after="free", members=N)
    s = live()
    s.assignments[N[0]] = LiveAssignment(N[0], "COLD001", "PENDING_UNASSIGNMENT", None)
    s.assignments[N[1]] = LiveAssignment(N[1], "CWZTFH1", "ASSIGNED", None)
    assert judge(j.read().open_writes(), s, T0).numbers() == {
        N[0]: f"freed by run r2; the bulk assignment of profile {P} to CWZTFH1 follows once Telnyx finishes the "
              "unassignment (`reconciler resume`)"}
    j2 = Journal(tmp_path / "b", run_id="r3")
    j2.defer(Op.ASSIGN, N[:1], at=T0, profile=None, campaign="CWZTFH1", after="free")
    assert "the assignment to CWZTFH1 follows" in judge(j2.read().open_writes(), s, T0).numbers()[N[0]]
    s.assignments[N[0]] = LiveAssignment(N[0], "COTHER1", "ASSIGNED", None)  # abandoned: holds nothing
    assert judge(j2.read().open_writes(), s, T0).numbers() == {}


def test_shows_taken_only_when_every_number_of_a_bulk_sits_on_its_campaign(tmp_path) -> None:
    from reconciler.tracking import shows_taken

    j = Journal(tmp_path)
    j.intent(Op.BULK_ASSIGN, N[:2], at=T0, profile=P, campaign="CWZTFH1")
    j.intent(Op.ASSIGN, N[:1], at=T0, profile=P, campaign="CWZTFH1")
    bulk, single = j.read().open_writes()
    s = live()
    s.assignments[N[0]] = LiveAssignment(N[0], "CWZTFH1", "ASSIGNED", None)
    assert not shows_taken(bulk, s)
    s.assignments[N[1]] = LiveAssignment(N[1], "CWZTFH1", "FAILED_ASSIGNMENT", None)
    assert not shows_taken(bulk, s)
    s.assignments[N[1]] = LiveAssignment(N[1], "COTHER1", "ASSIGNED", None)
    assert not shows_taken(bulk, s)
    s.assignments[N[1]] = LiveAssignment(N[1], "CWZTFH1", "PENDING_ASSIGNMENT", None)
    assert shows_taken(bulk, s) and not shows_taken(single, s)


# ---------------------------------------------------------------- more of judge's rules, each on its own


def test_judge_looks_only_at_open_writes_wherever_they_sit(tmp_path) -> None:
    """A closed write before an open one is passed over, not the end of the list."""
    j = Journal(tmp_path)
    done = j.intent(Op.ASSIGN, [N[0]], at=T0, profile=P, campaign="CWZTFH1")
    j.update(done, State.DONE, at=T0)
    opened = j.intent(Op.ASSIGN, [N[1]], at=T0, profile=P, campaign="CWZTFH1")
    inflight = judge(list(j.read().writes.values()), live(), T0 + 60)
    assert [t.write.id for t in inflight.tracked] == [opened]
    assert set(inflight.numbers()) == {N[1]}


def test_a_number_the_read_did_not_cover_leaves_the_others_judged(tmp_path) -> None:
    j = Journal(tmp_path)
    wid = j.intent(Op.ASSIGN, N[:2], at=T0, profile=P, campaign="CWZTFH1")
    j.update(wid, State.ACCEPTED, at=T0)
    s = live()
    s.assignments[N[1]] = LiveAssignment(N[1], "CWZTFH1", "ASSIGNED", None)
    (t,) = judge(j.read().open_writes(), s, T0 + 60, seen=frozenset({N[1]})).tracked
    assert t.numbers == {N[0]: NumberState.UNSEEN, N[1]: NumberState.DONE}


def test_an_assignment_sent_while_its_number_is_still_being_freed_shows_no_effect_yet(tmp_path) -> None:
    """PENDING_UNASSIGNMENT on the old campaign is the removal's doing, not a sign that Telnyx took
    the assignment: the write stays submitted (never `accepted_now`)."""
    assert one(Op.ASSIGN, State.SUBMITTED, ("COLD001", "PENDING_UNASSIGNMENT")) == ("pending", None, False)
    assert one(Op.ASSIGN, State.SUBMITTED, ("COLD001", "PENDING_ASSIGNMENT")) == ("pending", None, False)
    # A removal's own PENDING_UNASSIGNMENT is its effect.
    assert one(Op.UNASSIGN, State.SUBMITTED, ("CWZTFH1", "PENDING_UNASSIGNMENT")) == ("pending", None, True)


@pytest.mark.parametrize("state", [State.DONE, State.ABANDONED])
def test_work_that_is_over_is_never_stuck_however_old(tmp_path, state) -> None:
    """Only work still in flight can be stuck: numbers that all reached their target, or a next
    phase that is done or abandoned, are not, whatever their age."""
    j = Journal(tmp_path)
    wid = j.intent(Op.ASSIGN, [N[0]], at=T0, profile=P, campaign="CWZTFH1")
    j.update(wid, State.ACCEPTED, at=T0)
    j.defer(Op.ASSIGN, [N[1]], at=T0, profile=P, campaign="CWZTFH1", after="free")
    s = live()
    s.assignments[N[0]] = LiveAssignment(N[0], "CWZTFH1", "ASSIGNED", None)
    s.assignments[N[1]] = (LiveAssignment(N[1], "CWZTFH1", "ASSIGNED", None) if state is State.DONE
                           else LiveAssignment(N[1], "COTHER1", "ASSIGNED", None))
    inflight = judge(j.read().open_writes(), s, T0 + 10 * DEFAULT_STUCK_AFTER)
    assert [t.closed_state for t in inflight.tracked] == [State.DONE, state]
    assert inflight.stuck == []


def test_a_journal_line_without_a_time_is_judged_never_stuck(tmp_path) -> None:
    """A hand-written (or older) line may name no `submitted_at`: its age is unknown, it is held
    like a young write, and it is never called stuck."""
    j = Journal(tmp_path)
    j.path.write_text(json.dumps({"write": "w1", "op": "bulk_assign", "state": "submitted", "run": "r",
                                  "numbers": [N[0]], "profile": P, "campaign": "CWZTFH1"}) + "\n")
    (w,) = j.read().open_writes()
    assert w.submitted_at is None
    (t,) = judge([w], live(), T0 + 10 * DEFAULT_STUCK_AFTER).tracked
    assert t.age is None and not t.stuck
    assert t.numbers == dict.fromkeys(N, NumberState.PENDING)  # an unprocessed bulk: its whole profile
    assert may_be_unprocessed(w, T0, exclusive=True)


def profile_with_newcomer() -> LiveState:
    s = live()
    s.numbers["+13125559999"] = LiveNumber("+13125559999", "9", P, "longcode")
    return s


@pytest.mark.parametrize("state, age, exclusive, sweeps", [
    # a killed run's bulk: its whole profile is held for the grace (the settle window under the lock)
    (State.INTENT, 60, False, True),
    (State.INTENT, SETTLE_WINDOW + 1, False, True),
    (State.INTENT, SETTLE_WINDOW + 1, True, False),
    (State.INTENT, UNKNOWN_GRACE + 1, False, False),
    # taken by Telnyx, no task id to ask with and not seen processed: the same windows
    (State.ACCEPTED, SETTLE_WINDOW, True, True),
    (State.ACCEPTED, SETTLE_WINDOW + 1, True, False),
    (State.ACCEPTED, UNKNOWN_GRACE, False, True),
    (State.ACCEPTED, UNKNOWN_GRACE + 1, False, False),
])
def test_an_unprocessed_bulk_without_a_task_id_holds_its_whole_profile_only_for_its_window(tmp_path, state, age,
                                                                                           exclusive, sweeps) -> None:
    """A task snapshots its profile when Telnyx processes it: a number that joined the profile is
    held while the task may still be about to run, and no longer once that window has passed."""
    writes = journal(tmp_path, state)
    (t,) = judge(writes, profile_with_newcomer(), T0 + age, exclusive=exclusive).tracked
    assert ("+13125559999" in t.numbers) is sweeps
    assert may_be_unprocessed(writes[0], T0 + age, exclusive=exclusive) is sweeps


def test_a_task_with_an_id_holds_its_profile_until_it_is_seen_processed(tmp_path) -> None:
    writes = journal(tmp_path, State.SUBMITTED, ref="task-1")
    (t,) = judge(writes, profile_with_newcomer(), T0 + 10 * UNKNOWN_GRACE, exclusive=True).tracked
    assert "+13125559999" in t.numbers


def test_a_deferred_phase_does_not_hide_the_numbers_of_the_writes_after_it(tmp_path) -> None:
    j = Journal(tmp_path, run_id="r1")
    j.defer(Op.ASSIGN, [N[0]], at=T0, profile=P, campaign="CWZTFH1", after="free")
    wid = j.intent(Op.ASSIGN, [N[1]], at=T0, profile=P, campaign="CWZTFH1")
    j.update(wid, State.SUBMITTED, at=T0)
    s = live()
    s.assignments[N[0]] = LiveAssignment(N[0], "COLD001", "PENDING_UNASSIGNMENT", None)
    assert set(judge(j.read().open_writes(), s, T0 + 60).numbers()) == {N[0], N[1]}


def test_a_phase_abandoned_by_one_number_is_abandoned_whatever_the_read_missed_before_it(tmp_path) -> None:
    """A number the read did not cover waits, but does not stop the look at the others: one
    assigned elsewhere meanwhile abandons the phase."""
    j = Journal(tmp_path)
    j.defer(Op.ASSIGN, N[:2], at=T0, profile=P, campaign="CWZTFH1", after="free")
    s = phase_live({N[1]: ("COTHER1", "ASSIGNED")}, unseen=[N[0]])
    (t,) = judge(j.read().open_writes(), s, T0 + 60, seen=frozenset({N[1]})).tracked
    assert t.phase.value == "abandoned" and t.phase_reason.startswith(f"{N[1]} is on COTHER1 (ASSIGNED) now")


def test_a_move_to_no_profile_says_so_while_in_flight(tmp_path) -> None:
    j = Journal(tmp_path, run_id="r1")
    wid = j.intent(Op.BULK_MOVE, [N[0]], at=T0, profile=None)
    j.update(wid, State.SUBMITTED, at=T0, ref="order-3")
    assert judge(j.read().open_writes(), live(), T0 + 60).numbers() == {
        N[0]: "move to no profile: order order-3 of run r1 not yet processed by Telnyx"}


# ---------------------------------------------------------------- not_declared: every rule, with its words


def _declared() -> DesiredState:
    profiles = {P: DesiredProfile(P, "main", ("CWZTFH1",)), OTHER_P: DesiredProfile(OTHER_P, "other", ("COTHER1", "CWZTFH1"))}
    at = {N[0]: (P, "CWZTFH1"), N[1]: (P, "CWZTFH1"), N[2]: (OTHER_P, "COTHER1"), X[0]: (OTHER_P, "CWZTFH1")}
    return DesiredState(profiles, {n: DesiredNumber(n, p, c, "x.yaml", 1, 1) for n, (p, c) in at.items()})


UNDECLARED = "+13125559998"
NOT_DECLARED = [
    # name, op, numbers, profile, campaign, why (numbers=True), why with numbers=False
    ("a move to a declared profile of numbers declared there", Op.BULK_MOVE, N[:2], P, None, None, None),
    ("a move to no profile", Op.PATCH_PROFILE, N[:1], None, None,
     "profile (none) is not declared in the files", "profile (none) is not declared in the files"),
    ("a move to an undeclared profile", Op.BULK_MOVE, N[:1], "PGONE", None,
     "profile PGONE is not declared in the files", "profile PGONE is not declared in the files"),
    ("a move of one number declared on another profile", Op.BULK_MOVE, [N[0], N[2]], P, None,
     f"1 number of it the files do not declare for profile {P}", None),
    ("a move of two numbers declared nowhere or elsewhere", Op.BULK_MOVE, [N[0], N[2], UNDECLARED], P, None,
     f"2 numbers of it the files do not declare for profile {P}", None),
    ("an assignment naming no campaign", Op.ASSIGN, N[:1], P, None, "it names no campaign", "it names no campaign"),
    ("an assignment to an undeclared campaign", Op.ASSIGN, N[:1], P, "CGONE01",
     "campaign CGONE01 is not declared in the files", "campaign CGONE01 is not declared in the files"),
    ("an assignment under an undeclared profile", Op.BULK_ASSIGN, N[:1], "PGONE", "CWZTFH1",
     "profile PGONE is not declared in the files", "profile PGONE is not declared in the files"),
    ("an assignment to a campaign declared under another profile", Op.BULK_ASSIGN, [N[2]], P, "COTHER1",
     f"campaign COTHER1 is not declared under profile {P}", f"campaign COTHER1 is not declared under profile {P}"),
    ("an assignment of the numbers declared there", Op.ASSIGN, N[:2], P, "CWZTFH1", None, None),
    ("an assignment naming no profile: only the campaign counts", Op.ASSIGN, [N[0], X[0]], None, "CWZTFH1", None, None),
    ("a number declared on the campaign under another profile", Op.ASSIGN, [N[0], X[0]], P, "CWZTFH1",
     "1 number of it the files do not declare for campaign CWZTFH1", None),
    ("a number declared under the profile on another campaign", Op.BULK_ASSIGN, [N[2], X[0]], OTHER_P, "COTHER1",
     "1 number of it the files do not declare for campaign COTHER1", None),
    ("a number declared nowhere", Op.REPLACE, [N[0], UNDECLARED], None, "CWZTFH1",
     "1 number of it the files do not declare for campaign CWZTFH1", None),
    ("a removal from a declared campaign of numbers declared nowhere (prune)", Op.UNASSIGN, [UNDECLARED], P,
     "CWZTFH1", None, None),
    ("a removal names its old profile, not the campaign's", Op.UNASSIGN, [N[2]], OTHER_P, "CWZTFH1", None, None),
    ("a removal from a dropped campaign of numbers declared elsewhere now", Op.UNASSIGN, N[:2], P, "CGONE01",
     None, None),
    ("a removal from a dropped campaign of a number declared nowhere", Op.UNASSIGN, [N[0], UNDECLARED], P,
     "CGONE01", "campaign CGONE01 is not declared in the files", "campaign CGONE01 is not declared in the files"),
    ("a removal from a dropped campaign naming no numbers", Op.UNASSIGN, [], P, "CGONE01",
     "campaign CGONE01 is not declared in the files", "campaign CGONE01 is not declared in the files"),
]


@pytest.mark.parametrize("name, op, numbers, profile, campaign, why, why_campaign_only", NOT_DECLARED,
                         ids=[c[0] for c in NOT_DECLARED])
def test_the_files_must_declare_what_a_journalled_write_targets(name, op, numbers, profile, campaign, why,
                                                                why_campaign_only) -> None:
    """The journal may hold numbers back, never steer a write: each reason a write (or next phase)
    is not carried out, in the words `status` and `resume` print."""
    w = Write("w1", op, State.DEFERRED, "r1", tuple(numbers), profile, campaign)
    desired = _declared()
    assert not_declared(w, desired) == why
    assert not_declared(w, desired, numbers=False) == why_campaign_only


@pytest.mark.parametrize("key", ["submitted_at", "updated_at", "stopped_at"])
@pytest.mark.parametrize("ahead, believed", [(FUTURE_SKEW - 1, True), (FUTURE_SKEW, True), (FUTURE_SKEW + 1, False)])
def test_a_write_dated_after_telnyxs_now_beyond_the_skew_holds_nothing(key, ahead, believed):
    """Issue 24: up to FUTURE_SKEW after Telnyx's now a write is believed (a runner's clock), with an
    age of 0, never below; past it, it is not judged at all: it holds nothing, and says why."""
    w = Write("a" * 16, Op.BULK_ASSIGN, State.SUBMITTED, "run", tuple(N), P, "CWZTFH1", ref="task",
              submitted_at=T0)
    setattr(w, key, T0 + ahead)
    now = T0
    inflight = judge([w], live(), now)
    assert (dated_ahead(w, now) is None) is believed
    assert bool(inflight.tracked) is believed and bool(inflight.ahead) is not believed
    assert bool(inflight.numbers()) is believed
    assert may_be_unprocessed(w, now, exclusive=True) is believed
    if believed:
        assert inflight.tracked[0].age == 0.0
    else:
        assert f"its {key} " in inflight.ahead[0][1]


def test_numbers_only_an_undeclared_write_holds_are_held_back_and_a_declared_hold_wins():
    desired = DesiredState({P: DesiredProfile(P, "alpha", ("CWZTFH1",))},
                           {n: DesiredNumber(n, P, "CWZTFH1", "main.yaml", 1, 1) for n in N})
    ours = Write("b" * 16, Op.ASSIGN, State.SUBMITTED, "run", (N[0],), P, "CWZTFH1", submitted_at=T0)
    theirs = Write("c" * 16, Op.ASSIGN, State.SUBMITTED, "run", tuple(N), P, "CEVIL01", submitted_at=T0)
    inflight = judge([ours, theirs], live(), T0 + 60)
    held = inflight.held_back(desired)
    assert sorted(held) == N[1:] and set(inflight.numbers()) == set(N)
    assert held[N[1]].startswith("held back by an open write the files do not declare (campaign CEVIL01 is not declared")
