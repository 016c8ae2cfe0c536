"""The commands' work, as functions that take settings and return typed results.

The CLI only parses options, calls one of these, renders the result and maps it to an exit
code; tests and other front ends can call them directly. Each reads the state folder's
journal, so work in flight is known on every runner that carries the folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from reconciler.apply import Applier, ApplyReport, Until, plan_only_outcomes
from reconciler.compare import explain
from reconciler.drift import DriftReport, drift_report
from reconciler.errors import ApiError, RefusedError
from reconciler.journal import Journal, JournalView, Op, State, Write
from reconciler.model import IN_FLIGHT_STATUSES, DesiredState, LiveState
from reconciler.plan import Plan, PlanOptions, make_plan
from reconciler.wait import Waiter
from reconciler.windows import held_message, verdict
from reconciler.tracking import DEFAULT_STUCK_AFTER, InFlight, NumberState, Tracked, judge

Warn = Callable[[str], None]


def _silent(msg: str) -> None:
    return None


@dataclass
class Planned:
    plan: Plan
    live: LiveState
    inflight: InFlight
    view: JournalView


def read_journal(state_dir: str, warn: Warn = _silent) -> JournalView:
    view = Journal(state_dir).read()
    for bad in view.bad[:20]:
        warn(f"state folder {state_dir}: {bad}")
    if len(view.bad) > 20:
        warn(f"state folder {state_dir}: {len(view.bad) - 20} more unreadable journal line(s) skipped")
    return view


def has_deferred_phases(state_dir: str) -> bool:
    return any(w.state is State.DEFERRED for w in Journal(state_dir).read().open_writes())


def note_finished_work(client: Any, journal: Journal) -> None:
    """Ask Telnyx about bulk tasks and orders the journal has not seen finish (apply holds the lock)."""
    from reconciler.live import TelnyxWriter

    Applier(TelnyxWriter(client), lambda d: LiveState(), journal).note_finished_work()


def settle_intents(client: Any, journal: Journal, *, timeout: float, progress: Any,
                   sleep: Callable[[float], None] | None = None) -> None:
    """Before an apply plans: a run killed between sending a write and journalling its answer left
    an intent with no outcome. Wait (up to `SETTLE_WINDOW` of its age, and `timeout`) until live
    state shows whether Telnyx took it, so the plan neither repeats it nor waits on it forever."""
    import time

    from reconciler.tracking import SETTLE_WINDOW

    waiter = Waiter(time.monotonic, sleep or time.sleep, time.monotonic() + timeout, initial=1.0, maximum=5.0)
    announced = False
    while waiter.more():
        young = [w for w in journal.read().open_writes() if w.state is State.INTENT
                 and w.submitted_at is not None and client.server_now() - w.submitted_at < SETTLE_WINDOW]
        if not young:
            return
        live = _tracked_live(client, young)
        now = client.server_now()
        inflight = judge(young, live, now, seen=_seen(live, young))
        for t in inflight.tracked:
            if t.effect:
                journal.update(t.write.id, State.ACCEPTED, at=now, detail="a killed run's write: live state shows "
                                                                           "Telnyx took it")
        left = [t.write for t in inflight.tracked if not t.effect]
        if not left:
            return
        if not announced:
            progress(f"{len(left)} write(s) of a killed run have no journalled answer; waiting up to "
                     f"{SETTLE_WINDOW / 60:.0f} min for Telnyx to show whether it took them")
            announced = True
        waiter.nap()


def plan_live(client: Any, desired: DesiredState, options: PlanOptions | None, state_dir: str, *,
              stuck_after: float = DEFAULT_STUCK_AFTER, warn: Warn = _silent, exclusive: bool = False) -> Planned:
    """Read live state and plan, leaving out every number under work in flight. `exclusive`: the
    caller holds the state folder's lock (apply), see `tracking.judge`."""
    from reconciler.live import read_live

    view = read_journal(state_dir, warn)
    live = read_live(client, desired)
    inflight = judge(view.open_writes(), live, client.server_now(), stuck_after=stuck_after, exclusive=exclusive)
    plan = make_plan(desired, live, options, in_flight=inflight.numbers())
    judge_windows(plan, client.server_now())
    return Planned(plan, live, inflight, view)


def judge_windows(plan: Plan, now: float) -> None:
    """Where `now` (Telnyx's clock where it answered) stands against the files' change windows."""
    if plan.desired.policy.change_windows:
        plan.window = verdict(plan.desired.policy.change_windows, now)


def hold_outside_windows(client: Any, plan: Plan, *, saved: bool, ignore: bool) -> None:
    """Refuse (exit 3), before anything is written, a plan that stops sending numbers outside every
    change window (policy.change_windows). Plans that stop none apply at any time; `ignore`:
    --ignore-change-windows. "Now" is Telnyx's clock: a saved plan has made no request yet, so one
    cheap read learns it (the local clock where Telnyx does not answer it)."""
    windows = plan.desired.policy.change_windows
    if not windows or not plan.messaging.interrupted:
        return
    if saved:
        from reconciler.live import learn_server_clock

        learn_server_clock(client, sorted(plan.desired.profiles))
    judge_windows(plan, client.server_now())
    v = plan.window
    if v is None or v.open or ignore:
        return
    raise RefusedError(held_message(windows, v, plan.messaging.interrupted))


def in_flight_ages(planned: Planned, now: float) -> dict[str, float]:
    """Seconds each number has been in flight: from the journal where it knows, else since the
    assignment record last changed (PENDING_* with no journal: another runner, or no state folder)."""
    ages: dict[str, float] = {}
    for n, a in planned.live.assignments.items():
        if a.status in IN_FLIGHT_STATUSES and a.since is not None:
            ages[n] = max(0.0, now - a.since)
    for t in planned.inflight.tracked:
        if t.age is None:
            continue
        for n in (t.pending if t.write.state is not State.DEFERRED else list(t.numbers)):
            ages[n] = max(ages.get(n, 0.0), t.age)
    return ages


def drift(client: Any, desired: DesiredState, state_dir: str, *, stuck_after: float = DEFAULT_STUCK_AFTER,
          warn: Warn = _silent) -> DriftReport:
    planned = plan_live(client, desired, None, state_dir, stuck_after=stuck_after, warn=warn)
    return drift_report(planned.plan, planned.view.applied(), ages=in_flight_ages(planned, client.server_now()),
                        stuck_after=stuck_after)


@dataclass
class ApplyPrep:
    """What `apply` will run, decided before anyone approves it."""

    plan: Plan
    live: LiveState | None  # the state a fresh plan was made from; None for a saved plan (apply re-reads)
    saved: bool
    nothing: ApplyReport | None = None  # nothing to write or wait for: the report to show instead


def prepare_apply(client: Any, journal: Journal, state_dir: str, *, until: Until, timeout: float, progress: Any,
                  desired: DesiredState | None = None, options: PlanOptions | None = None,
                  saved_plan: Plan | None = None, expect_checksum: str | None = None,
                  reviewed: Plan | None = None, warn: Warn = _silent, ignore_windows: bool = False) -> ApplyPrep:
    """The plan `apply` runs: the saved one, or a fresh one made after finishing what earlier runs
    left (a killed run's intents, tasks not seen processed, deferred phases of approved applies).
    A plan that is not the reviewed one (`expect_checksum`, `reviewed`) is refused, saying what
    moved. The caller holds `journal`'s lock from before the plan is made."""
    if saved_plan is not None:
        plan, live = saved_plan, None
        hold_outside_windows(client, plan, saved=True, ignore=ignore_windows)
    else:
        if desired is None:
            raise TypeError("prepare_apply: a fresh plan needs the desired state")
        settle_intents(client, journal, timeout=min(timeout, 300.0), progress=progress)
        note_finished_work(client, journal)
        if has_deferred_phases(state_dir):
            # Finish what earlier approved applies left for later before planning anew.
            resume(client, state_dir, progress=progress, timeout=min(timeout, 300.0), warn=warn, journal=journal)
        planned = plan_live(client, desired, options, state_dir, warn=warn, exclusive=True)
        plan, live = planned.plan, planned.live
        hold_outside_windows(client, plan, saved=False, ignore=ignore_windows)
    if reviewed is not None:
        expect_checksum = expect_checksum or reviewed.checksum()
    if expect_checksum and plan.checksum() != expect_checksum:
        why = "".join("\n  " + line for line in explain(reviewed, plan)) if reviewed is not None else ""
        raise RefusedError(f"the plan's checksum is {plan.checksum()}, not the reviewed {expect_checksum}: "
                           f"live state or the files changed since review; re-plan and review again{why}")
    # Nothing to write may still mean something to wait for: numbers in flight (--until final), or
    # numbers Telnyx is freeing whose assignment is this apply's next phase.
    waiting = saved_plan is None and ((until is Until.FINAL and bool(plan.in_flight))
                                      or (until is not Until.SUBMITTED and bool(plan.being_freed)))
    if not plan.has_changes and not waiting:
        report = ApplyReport(until=until)
        report.outcomes = plan_only_outcomes(plan)
        return ApplyPrep(plan, live, saved_plan is not None, nothing=report)
    return ApplyPrep(plan, live, saved_plan is not None)


def apply_plan(client: Any, plan: Plan, *, saved: bool, live: LiveState | None, journal: Journal,
               until: Until, timeout: float, progress: Any, stuck_after: float = DEFAULT_STUCK_AFTER) -> ApplyReport:
    """Run `plan`; the caller holds `journal` open (its lock) from before the plan was made."""
    from reconciler.live import TelnyxWriter, read_live

    applier = Applier(TelnyxWriter(client), lambda d: read_live(client, d), journal, progress=progress,
                      until=until, timeout=timeout, server_now=client.server_now, stuck_after=stuck_after)
    report = applier.run(plan, saved=saved, live=live)
    journal.compact()
    return report


# --------------------------------------------------------------------------- status and resume


@dataclass
class WriteStatus:
    """One open (or just closed) write, as `status` and `resume` report it."""

    write: Write
    tracked: Tracked | None
    telnyx_status: str | None = None  # a task's or order's status as Telnyx gives it now
    closed_as: State | None = None  # set when this run saw it end

    @property
    def counts(self) -> dict[str, int]:
        t = self.tracked
        if t is None:
            return {}
        return {s.value: t.count(s) for s in NumberState if t.count(s)}


@dataclass
class StatusReport:
    writes: list[WriteStatus] = field(default_factory=list)
    now: float = 0.0
    stuck_after: float = DEFAULT_STUCK_AFTER
    problems: list[str] = field(default_factory=list)  # unreadable journal lines
    carried_out: list[tuple[Write, str]] = field(default_factory=list)  # resume: phases looked at

    @property
    def stuck(self) -> list[WriteStatus]:
        return [w for w in self.writes if w.tracked is not None and w.tracked.stuck]

    @property
    def failed(self) -> list[WriteStatus]:
        return [w for w in self.writes if w.tracked is not None and w.tracked.count(NumberState.FAILED)]

    @property
    def exit_code(self) -> int:
        return 2 if self.stuck or self.failed or any(what.startswith("abandoned") for _, what in self.carried_out) else 0


def _tracked_live(client: Any, writes: list[Write]) -> LiveState:
    from reconciler.live.reader import read_tracked

    numbers = {n for w in writes for n in w.numbers}
    campaigns = {w.campaign for w in writes if w.campaign}
    profiles = {w.profile for w in writes if w.state is State.DEFERRED and w.op is Op.BULK_ASSIGN and w.profile}
    return read_tracked(client, numbers, campaigns, profiles)


def status(client: Any, state_dir: str, *, stuck_after: float = DEFAULT_STUCK_AFTER,
           warn: Warn = _silent) -> StatusReport:
    """Work in flight per write, judged against live state now. Writes nothing anywhere."""
    from reconciler.live import TelnyxWriter

    view = read_journal(state_dir, warn)
    report = StatusReport(stuck_after=stuck_after, problems=[str(b) for b in view.bad])
    open_writes = view.open_writes()
    if not open_writes:
        report.now = client.server_now()
        return report
    live = _tracked_live(client, open_writes)
    report.now = client.server_now()
    inflight = judge(open_writes, live, report.now, stuck_after=stuck_after, seen=_seen(live, open_writes))
    writer = TelnyxWriter(client)
    for t in inflight.tracked:
        report.writes.append(WriteStatus(t.write, t, _telnyx_status(writer, t.write)))
    return report


def _seen(live: LiveState, writes: list[Write]) -> frozenset[str]:
    """`read_tracked` looked up every number of the writes: one absent from live.numbers is not owned."""
    return frozenset(n for w in writes for n in w.numbers)


def _telnyx_status(writer: Any, w: Write) -> str | None:
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


def _no_full_read(desired: DesiredState) -> LiveState:
    raise RuntimeError("resume never reads the whole live state")


def resume(client: Any, state_dir: str, *, progress: Any, timeout: float = 120.0,
           stuck_after: float = DEFAULT_STUCK_AFTER, warn: Warn = _silent, journal: Journal | None = None
           ) -> StatusReport:
    """The scheduled job's one write: carry out the deferred phases of approved applies whose
    condition holds (and nothing else), journal writes that ended, compact the journal.
    `journal`: already open (an apply holding the lock), else it is opened here."""
    from contextlib import nullcontext

    from reconciler.live import TelnyxWriter

    held = journal is not None
    journal = journal or Journal(state_dir)
    with nullcontext() if held else journal:
        writer = TelnyxWriter(client)
        # resume reads only what the journal tracks (below), never the whole desired state.
        applier = Applier(writer, _no_full_read, journal, progress=progress, until=Until.ACCEPTED,
                          timeout=timeout, server_now=client.server_now, stuck_after=stuck_after)
        applier.start_clock()
        applier.note_finished_work()
        view = read_journal(state_dir, warn)
        report = StatusReport(stuck_after=stuck_after, problems=[str(b) for b in view.bad])
        open_writes = view.open_writes()
        report.now = client.server_now()
        if open_writes:
            live = _tracked_live(client, open_writes)
            report.now = client.server_now()
            inflight = judge(open_writes, live, report.now, stuck_after=stuck_after, seen=_seen(live, open_writes),
                             exclusive=True)
            closed = applier.close(inflight)
            for w_t in inflight.tracked:
                report.writes.append(WriteStatus(w_t.write, w_t, _telnyx_status(writer, w_t.write),
                                                 closed.get(w_t.write.id)))
            for t, what in applier.resume(live, inflight):
                report.carried_out.append((t.write, what))
            applier.await_acceptance()
        journal.compact()
    return report
