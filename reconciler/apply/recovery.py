"""What apply finishes before it plans, and the scheduled job's one write (`resume`): earlier runs'
work, judged against live state and carried to its end.

- `settle_intents`: a run killed between sending a write and journalling its answer left an intent
  with no outcome; wait (up to `SETTLE_WINDOW` of its age) until live state shows whether Telnyx
  took it, so the next plan neither repeats it nor waits on it forever.
- `note_finished_work`: ask Telnyx about the bulk tasks and orders the journal has not seen finish.
- `resume`: journal what ended, and carry out the next phases of approved applies that the files
  still declare (each planned again from them first: the journal may hold numbers back, never
  steer a write).

Everything Telnyx-facing comes in as ports (a `Writer`, a reader of what open writes track, the
server's clock, a sleep), so the fake Telnyx of the tests drives the same code as the CLI.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable

from reconciler.diff.health import traffic_problem
from reconciler.durations import Figures
from reconciler.errors import ApiError, ExitCode
from reconciler.journal import Journal, Op, State, Write, history
from reconciler.model import (ASSIGNED, CARRIER_FAILED, CARRIER_PENDING, FAILED_ASSIGNMENT, DesiredState, LiveState,
                              plural)
from reconciler.plan import CampaignHealth, PlanOptions
from reconciler.tracking import (ASSIGNING_OPS, DEFAULT_STUCK_AFTER, SETTLE_WINDOW, InFlight, NumberState, Tracked,
                                 dated_ahead, judge)
from reconciler.tracking.declared import undeclared
from reconciler.wait import Waiter

from .applier import Applier
from .phases import PhaseOutcome, PhaseResult
from .ports import Progress, Writer

# Reads what the given open writes track (their numbers, campaigns, deferred bulks' profiles).
TrackedReader = Callable[[list[Write]], LiveState]


@dataclass
class WriteStatus:
    """One open (or just closed) write, as `status` and `resume` report it."""

    write: Write
    tracked: Tracked | None
    telnyx_status: str | None = None  # a task's or order's status as Telnyx gives it now
    closed_as: State | None = None  # set when this run saw it end
    sent_now: bool = False  # `resume`: sent by this run (a next phase carried out, a removal sent again)

    @property
    def abandoned(self) -> bool:
        """Closed by this run as abandoned: a phase never sent, so none of its work will end."""
        return self.closed_as is State.ABANDONED

    @property
    def counts(self) -> dict[str, int]:
        t = self.tracked
        if t is None:
            return {}
        if self.abandoned:  # a phase never sent: its numbers' work is abandoned
            return {"abandoned": len(t.numbers)}
        return {s.value: t.count(s) for s in NumberState if t.count(s)}


@dataclass
class LeftFailed:
    """A number a closed write of ours recorded as failed (its last word on the number, `JournalView.
    left_failed`) that live state still shows not sending: FAILED_ASSIGNMENT (or ASSIGNED with the
    carriers' mapping failed) on the write's campaign, or on no campaign at all."""

    number: str
    write: Write
    live_status: str  # FAILED_ASSIGNMENT, "carrier mapping failed", or "no assignment"
    reason: str  # Telnyx's failure reason now where the record gives one, else the one journalled

    @property
    def since(self) -> float | None:
        """When it stopped sending: when the work that failed began (a next phase: its removal)."""
        return self.write.stopped_at or self.write.submitted_at


def still_failed(earlier: Iterable[tuple[Write, tuple[str, ...]]], live: LiveState) -> list[LeftFailed]:
    """The numbers closed writes left failed (`JournalView.left_failed`) that live state still shows
    not sending. One live state shows sending, on another campaign, or no longer on the account is
    not said: the journal remembers, live state decides."""
    out = []
    for w, numbers in earlier:
        for n in numbers:
            a = live.assignments.get(n)
            if a is None:
                if n in live.numbers:  # read, and on no campaign
                    out.append(LeftFailed(n, w, "no assignment", w.failed.get(n) or "no assignment"))
                continue
            if a.tcr_campaign_id != w.campaign:
                continue
            if a.status == FAILED_ASSIGNMENT:
                out.append(LeftFailed(n, w, a.status, a.failure_reasons or w.failed.get(n) or a.status))
            elif a.status == ASSIGNED and a.carrier == CARRIER_FAILED:
                out.append(LeftFailed(n, w, "carrier mapping failed",
                                      a.carrier_detail or w.failed.get(n) or "carrier mapping failed"))
    return out


@dataclass
class StatusReport:
    writes: list[WriteStatus] = field(default_factory=list)
    now: float = 0.0
    stuck_after: float = DEFAULT_STUCK_AFTER
    problems: list[str] = field(default_factory=list)  # unreadable journal lines
    # Campaigns open work assigns numbers to that cannot carry traffic: `numbers_declared` counts the
    # work's numbers for it, `numbers_stopped` those Telnyx shows ASSIGNED to it (assigned, not sending).
    unhealthy: list[CampaignHealth] = field(default_factory=list)
    carried_out: list[tuple[Write, PhaseResult]] = field(default_factory=list)  # resume: phases looked at
    # Open writes naming what the files do not declare (with why): they hold their numbers back, and
    # nothing is ever written for them. Empty when no desired state was given.
    ignored: list[tuple[Write, str]] = field(default_factory=list)
    # Time to service: which numbers of the open writes can send now (live state), and how long work
    # takes (this account's history of durations where the state folder has one, else Telnyx's figures).
    sending: dict[str, bool] = field(default_factory=dict)
    figures: Figures = field(default_factory=Figures)
    history_problem: str | None = None  # the state folder's history was ignored: why
    # Numbers closed writes left failed that live state still shows not sending (`still_failed`).
    left_failed: list[LeftFailed] = field(default_factory=list)

    @property
    def stuck(self) -> list[WriteStatus]:
        return [w for w in self.writes if w.tracked is not None and w.tracked.stuck]

    @property
    def failed(self) -> list[WriteStatus]:
        return [w for w in self.writes if w.tracked is not None and w.tracked.count(NumberState.FAILED)]

    @property
    def refused(self) -> list[tuple[Write, str]]:
        """Phases refused: carrying them out would re-send more numbers than the reviewed plan allowed."""
        return [(w, what.said) for w, what in self.carried_out if what.outcome is PhaseOutcome.REFUSED]

    @property
    def exit_code(self) -> ExitCode:
        if self.refused:
            return ExitCode.REFUSED  # the plan it would carry out is no longer the reviewed one
        abandoned = any(what.outcome is PhaseOutcome.ABANDONED for _, what in self.carried_out)
        return ExitCode.ATTENTION if self.stuck or self.failed or self.left_failed or abandoned else ExitCode.OK


def seen(writes: list[Write]) -> frozenset[str]:
    """A tracked read looks up every number of the writes: one absent from it is not owned."""
    return frozenset(n for w in writes for n in w.numbers)


def telnyx_status(writer: Writer, w: Write) -> str | None:
    """What Telnyx says of a task or order now (None where there is nothing to ask)."""
    if not w.ref or w.op not in (Op.BULK_ASSIGN, Op.BULK_MOVE):
        return None
    try:
        if w.op is Op.BULK_ASSIGN:
            return writer.get_task(w.ref)
        order = writer.get_bulk_order(w.ref)
        return "processing" if order.get("pending") else "done"
    except ApiError as e:
        return f"unreadable ({e.status or 'no answer'})"


def ignored_writes(writes: list[Write], desired: DesiredState | None) -> list[tuple[Write, str]]:
    """The open writes whose campaign, profile or numbers the files do not declare (see
    `tracking.declared.not_declared`): the state folder may hold numbers back, never steer a write."""
    if desired is None:
        return []
    return [(w, why) for w in writes if (why := undeclared(w, desired))]


def sending_now(numbers: Iterable[str], live: LiveState) -> dict[str, bool]:
    """Can each of these numbers send now? ASSIGNED, mapped by the carriers that say, to a campaign
    that can carry traffic (one not read counts as able: a stop is never invented), on a messaging
    profile where the read says."""
    blocked: dict[str, bool] = {}
    out: dict[str, bool] = {}
    for n in numbers:
        if n in out:
            continue
        a = live.assignments.get(n)
        if a is None or a.status != ASSIGNED or a.carrier in (CARRIER_PENDING, CARRIER_FAILED):
            out[n] = False
            continue
        if a.tcr_campaign_id not in blocked:
            c = live.campaigns.get(a.tcr_campaign_id)
            blocked[a.tcr_campaign_id] = c is not None and traffic_problem(c, a.tcr_campaign_id) is not None
        on = live.numbers.get(n)
        out[n] = not blocked[a.tcr_campaign_id] and (on is None or on.profile_id is not None)
    return out


def report_work(report: StatusReport, writer: Writer, live: LiveState, inflight: InFlight,
                state_dir: object, closed: dict[str, State] | None = None,
                earlier: Iterable[tuple[Write, tuple[str, ...]]] = ()) -> None:
    """What `status` and `resume` both say of open work, from one tracked read: per write (judged,
    Telnyx's word on its task or order, closed now or not), the target campaigns that cannot carry
    traffic, and time to service: whether each number the work tracks can send now (every number
    a write holds, a deferred bulk's profile members too, so the counts add up), and the figures
    its ETAs use (the state folder's history where it has enough real observations). `earlier`: the
    numbers closed writes left failed (`JournalView.left_failed`), said while live state shows them
    not sending (`still_failed`), their campaigns judged with the open work's."""
    writes = [t.write for t in inflight.tracked]  # the open ones, but those dated after Telnyx's now
    earlier = list(earlier)
    # One an open write holds is that write's work (a later bulk task over its profile takes it again).
    held = {n for t in inflight.tracked for n in t.pending}
    report.left_failed = [f for f in still_failed(earlier, live) if f.number not in held]
    failing: dict[str, list[str]] = {}  # a closed write -> its numbers that still cannot send
    for f in report.left_failed:
        failing.setdefault(f.write.id, []).append(f.number)
    report.unhealthy = unhealthy_targets(writes + [replace(w, numbers=tuple(failing[w.id])) for w, _ in earlier
                                                   if w.id in failing], live)
    numbers = [n for w in writes for n in w.numbers] + [n for t in inflight.tracked for n in t.numbers]
    report.sending = sending_now(numbers, live)
    h = history.read(state_dir)  # type: ignore[arg-type]
    report.figures = Figures(h.observed)
    report.history_problem = h.problem
    closed = closed or {}
    # Writes dated after Telnyx's now hold nothing (`tracking.dated_ahead`): said with why, like an
    # unreadable line, never as work with an age or an ETA, nor as ignored work holding numbers back.
    ahead = {w.id for w, _ in inflight.ahead}
    report.problems += [f"write {w.id} of run {w.run}: {why}" for w, why in inflight.ahead]
    report.ignored = [(w, why) for w, why in report.ignored if w.id not in ahead]
    for t in inflight.tracked:
        report.writes.append(WriteStatus(t.write, t, telnyx_status(writer, t.write), closed.get(t.write.id)))


def _closed_by_phases(report: StatusReport, journal: Journal) -> None:
    """The phases this run closed (carried out, abandoned, refused) are said closed: the report was
    judged before they were looked at, and would otherwise call them ready, with an ETA."""
    after = journal.read().writes
    for ws in report.writes:
        w = after.get(ws.write.id)
        if ws.closed_as is None and ws.write.state is State.DEFERRED and w is not None and not w.open:
            ws.closed_as = w.state


def _sent_now(report: StatusReport, journal: Journal) -> None:
    """The writes this run sent (next phases carried out, removals sent again) are open work too: the
    report was judged before they were sent. Telnyx has just accepted them, so their numbers are pending
    (the next `status` judges them against live state); no read is spent on them here."""
    known = {ws.write.id for ws in report.writes}
    for w in journal.read().open_writes():
        if w.id in known or w.run != journal.run_id or w.state is State.DEFERRED:
            continue
        age = max(0.0, report.now - w.submitted_at) if w.submitted_at is not None else None
        tracked = Tracked(w, dict.fromkeys(w.numbers, NumberState.PENDING), age=age)
        report.writes.append(WriteStatus(tracked.write, tracked, sent_now=True))


def unhealthy_targets(writes: list[Write], live: LiveState) -> list[CampaignHealth]:
    """The campaigns open writes assign numbers to that cannot carry traffic (`diff.health.traffic_problem`):
    the work may finish, and its numbers still not send. `status` has no desired state, so it judges
    only these; `drift` judges every declared campaign."""
    numbers: dict[str, set[str]] = {}
    for w in writes:
        if w.op in ASSIGNING_OPS and w.campaign:
            numbers.setdefault(w.campaign, set()).update(w.numbers)
    out = []
    for tcr in sorted(numbers):
        c = live.campaigns.get(tcr)
        why = traffic_problem(c, tcr)
        if why is None:
            continue
        assigned = sum(1 for n in numbers[tcr] if (a := live.assignments.get(n)) is not None
                       and a.tcr_campaign_id == tcr and a.status == ASSIGNED)
        out.append(CampaignHealth(tcr, c.kind if c else None, c.campaign_status if c else None,
                                  c.sharing_status if c else None, why, c.failure_reasons if c else None,
                                  len(numbers[tcr]), assigned))
    return out


def status(writer: Writer, read_tracked: TrackedReader, server_now: Callable[[], float], open_writes: list[Write],
           state_dir: str, *, stuck_after: float = DEFAULT_STUCK_AFTER, desired: DesiredState | None = None,
           problems: list[str] | None = None,
           earlier: Iterable[tuple[Write, tuple[str, ...]]] = ()) -> StatusReport:
    """Work in flight per open write, judged against live state now (`status`), and the numbers
    closed writes left failed (`earlier`, `JournalView.left_failed`) that live state still shows not
    sending. Writes nothing. `desired`: the files, to say which writes and phases name what they do
    not declare."""
    report = StatusReport(stuck_after=stuck_after, problems=list(problems or ()))
    report.ignored = ignored_writes(open_writes, desired)
    # Only the failed numbers of a closed write are read again (and its campaign, for its health).
    earlier = [(replace(w, numbers=numbers, members=()), numbers) for w, numbers in earlier]
    if not open_writes and not earlier:
        report.now = server_now()
        return report
    live = read_tracked(open_writes + [w for w, _ in earlier])
    report.now = server_now()
    inflight = judge(open_writes, live, report.now, stuck_after=stuck_after, seen=seen(open_writes))
    # A closed write dated after Telnyx's now is not believed either (`tracking.dated_ahead`).
    earlier = [(w, numbers) for w, numbers in earlier if dated_ahead(w, report.now) is None]
    report_work(report, writer, live, inflight, state_dir, earlier=earlier)
    return report


def settle_intents(journal: Journal, read_tracked: TrackedReader, server_now: Callable[[], float], *,
                   timeout: float, progress: Progress, clock: Callable[[], float] = time.monotonic,
                   sleep: Callable[[float], None] = time.sleep) -> None:
    """Before an apply plans: wait (up to `SETTLE_WINDOW` of their age, and `timeout`) until live
    state shows whether Telnyx took the intents a killed run left with no outcome; journal those it
    took as accepted. The caller holds the journal's lock."""
    waiter = Waiter(clock, sleep, clock() + timeout, initial=1.0, maximum=5.0)
    announced = False
    while waiter.more():
        now = server_now()
        # One dated after Telnyx's now is never "young": it would hold apply for its whole timeout.
        young = [w for w in journal.read().open_writes() if w.state is State.INTENT and w.submitted_at is not None
                 and now - w.submitted_at < SETTLE_WINDOW and dated_ahead(w, now) is None]
        if not young:
            return
        live = read_tracked(young)
        now = server_now()
        inflight = judge(young, live, now, seen=seen(young))
        for t in inflight.tracked:
            if t.effect:
                journal.update(t.write.id, State.ACCEPTED, at=now, detail="a killed run's write: live state shows "
                                                                           "Telnyx took it")
        left = [t.write for t in inflight.tracked if not t.effect]
        if not left:
            return
        if not announced:
            progress(f"{plural(len(left), 'write', 'writes')} of a killed run have no journalled answer; waiting up to "
                     f"{SETTLE_WINDOW / 60:.0f} min for Telnyx to show whether it took them")
            announced = True
        waiter.nap()


def _no_full_read(desired: DesiredState) -> LiveState:
    raise RuntimeError("recovery never reads the whole live state")


def note_finished_work(writer: Writer, journal: Journal) -> None:
    """Ask Telnyx about bulk tasks and orders the journal has not seen finish (the caller holds the lock)."""
    Applier(writer, _no_full_read, journal).note_finished_work()


def resume(writer: Writer, journal: Journal, read_tracked: TrackedReader, server_now: Callable[[], float], *,
           progress: Progress, timeout: float, stuck_after: float = DEFAULT_STUCK_AFTER,
           desired: DesiredState | None = None, options: PlanOptions | None = None,
           problems: list[str] | None = None, clock: Callable[[], float] = time.monotonic,
           sleep: Callable[[float], None] = time.sleep) -> StatusReport:
    """Journal what ended, and carry out the deferred phases of approved applies whose condition
    holds and that `desired` (the files at hand) still declares, each planned again against live
    state first (without `desired`, no phase is carried out); a phase the files no longer declare
    is closed as abandoned (exit 2). Reads only what the journal tracks, never the whole live state
    of the files. The caller holds the journal's lock."""
    # Applier's own `until` (ACCEPTED: wait for the tasks it sends, not for the numbers) and no
    # `stuck_after`: resume judges the open writes itself, below, and hands the verdict over.
    applier = Applier(writer, _no_full_read, journal, progress=progress, timeout=timeout, server_now=server_now,
                      clock=clock, sleep=sleep)
    applier.start_clock()
    applier.note_finished_work()
    report = StatusReport(stuck_after=stuck_after, problems=list(problems or ()))
    open_writes = journal.read().open_writes()
    report.ignored = ignored_writes(open_writes, desired)
    report.now = server_now()
    if open_writes:
        live = read_tracked(open_writes)
        report.now = server_now()
        inflight = judge(open_writes, live, report.now, stuck_after=stuck_after, seen=seen(open_writes),
                         exclusive=True)
        closed = applier.close(inflight)
        report_work(report, writer, live, inflight, journal.dir, closed)
        for t, what in applier.resume(live, inflight, desired, options):
            report.carried_out.append((t.write, what))
        applier.await_acceptance()
        _closed_by_phases(report, journal)
        _sent_now(report, journal)
    journal.compact()
    return report
