"""The commands' work, as functions that take settings and return typed results.

The CLI only parses options, calls one of these, renders the result and maps it to an exit
code; tests and other front ends can call them directly. Each reads the state folder's
journal, so work in flight is known on every runner that carries the folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from reconciler.apply import ApplyReport, Until, plan_only_outcomes, recovery, session
from reconciler.apply.recovery import StatusReport, TrackedReader
from reconciler.drift import DriftReport, drift_report
from reconciler.errors import RefusedError
from reconciler.durations import Figures
from reconciler.journal import Journal, JournalView, Op, State, Write, history
from reconciler.importer import ImportedProfile, declarable, imported_profiles, unusable_profiles
from reconciler.model import IN_FLIGHT_STATUSES, DesiredState, LiveAssignment, LiveState, plural
from reconciler.plan import Plan, PlanOptions, make_plan
from reconciler.plan.report import timeline_for
from reconciler.windows import held_message, verdict
from reconciler.tracking import DEFAULT_STUCK_AFTER, InFlight, judge

Warn = Callable[[str], None]


def _silent(msg: str) -> None:
    return None


@dataclass
class Planned:
    plan: Plan
    live: LiveState
    inflight: InFlight
    view: JournalView
    held: dict[str, str]  # numbers only writes the files do not declare hold (blocked in the plan), with why


def read_journal(state_dir: str, warn: Warn = _silent) -> JournalView:
    view = Journal(state_dir).read()
    for bad in view.bad[:20]:
        warn(f"state folder {state_dir}: {bad}")
    if len(view.bad) > 20:
        warn(f"state folder {state_dir}: {plural(len(view.bad) - 20, 'more unreadable journal line', 'more unreadable journal lines')} skipped")
    return view


def _ports(client: Any) -> tuple[Any, TrackedReader]:
    """The production ports of the recovery: Telnyx's writer and a reader of what open writes track."""
    from reconciler.live import TelnyxWriter

    return TelnyxWriter(client), lambda writes: _tracked_live(client, writes)


def plan_live(client: Any, desired: DesiredState, options: PlanOptions | None, state_dir: str, *,
              stuck_after: float = DEFAULT_STUCK_AFTER, warn: Warn = _silent, exclusive: bool = False) -> Planned:
    """Read live state and plan, leaving out every number under work in flight. `exclusive`: the
    caller holds the state folder's lock (apply), see `tracking.judge`."""
    from reconciler.live import read_live

    view = read_journal(state_dir, warn)
    live = read_live(client, desired)
    inflight = judge(view.open_writes(), live, client.server_now(), stuck_after=stuck_after, exclusive=exclusive)
    for w, why in inflight.ahead:  # said like an unreadable line: the state folder holds something not ours
        warn(f"state folder {state_dir}: write {w.id} of run {w.run}: {why}")
    # Numbers only writes the files do not declare hold are blocked, not in flight: held back, and drift.
    held = inflight.held_back(desired)
    plan = make_plan(desired, live, options, in_flight=inflight.numbers(), held=held)
    plan.figures = observed_figures(state_dir)
    if plan.figures is not None:  # the timeline says the same durations as the messaging estimate
        plan.timeline = timeline_for(plan.changes, plan.profiles, plan.counts, plan.figures, campaigns=plan.campaigns,
                                     shared_per_number=plan.options.shared_per_number)
    judge_windows(plan, client.server_now())
    return Planned(plan, live, inflight, view, held)


def observed_figures(state_dir: str) -> Figures | None:
    """This account's durations for a plan's number-hours, where the state folder's history has enough
    of the kinds they need; None (Telnyx's typical figures) otherwise, or where the history was ignored."""
    figures = Figures(history.read(state_dir).observed)
    needed = ("task", "assignment", "unassignment")
    return figures if any(figures.source[k] == "observed" for k in needed) else None


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
    if not windows or not plan.messaging.may_stop:  # changed or re-sent: either may stop a sending number
        return
    if saved:
        from reconciler.live import learn_server_clock

        learn_server_clock(client, sorted(plan.desired.profiles))
    judge_windows(plan, client.server_now())
    v = plan.window
    if v is None or v.open:
        return
    if ignore:
        plan.window_ignored = True  # the report says it ran outside every window on purpose
        return
    raise RefusedError(held_message(windows, v, plan.messaging.may_stop))


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
                        stuck_after=stuck_after, figures=Figures(history.read(state_dir).observed),
                        held=frozenset(planned.held), journalled=frozenset(planned.inflight.numbers()))


@dataclass
class ApplyPrep:
    """What `apply` will run, decided before anyone approves it."""

    plan: Plan
    live: LiveState | None  # the state a fresh plan was made from; None for a saved plan (apply re-reads)
    saved: bool
    ports: session.Ports
    nothing: ApplyReport | None = None  # nothing to write or wait for: the report to show instead


def _apply_ports(client: Any) -> session.Ports:
    """Telnyx through `client`, on its own clock: what apply (apply/session.py) writes and reads."""
    from reconciler.live import read_live

    writer, read_tracked = _ports(client)
    return session.Ports(writer, lambda d: read_live(client, d), read_tracked, client.server_now)


def prepare_apply(client: Any, journal: Journal, *, until: Until, timeout: float, progress: Any,
                  desired: DesiredState | None = None, options: PlanOptions | None = None,
                  saved_plan: Plan | None = None, expect_checksum: str | None = None,
                  reviewed: Plan | None = None, warn: Warn = _silent, ignore_windows: bool = False) -> ApplyPrep:
    """The plan `apply` runs: the saved one, or a fresh one made after apply has finished what earlier
    runs left (`session.recover`). A plan that is not the reviewed one (`expect_checksum`, `reviewed`)
    is refused, saying what moved. The caller holds `journal`'s lock from before the plan is made; its
    folder is the state folder every read of this run uses."""
    state_dir = str(journal.dir)
    ports = _apply_ports(client)
    if saved_plan is not None:
        plan, live = saved_plan, None
        hold_outside_windows(client, plan, saved=True, ignore=ignore_windows)
    else:
        if desired is None:
            raise TypeError("prepare_apply: a fresh plan needs the desired state")
        # Its report is not shown: what the journal holds that is not ours is warned about once, by plan_live.
        session.recover(ports, journal, timeout=timeout, progress=progress, desired=desired, options=options)
        planned = plan_live(client, desired, options, state_dir, warn=warn, exclusive=True)
        plan, live = planned.plan, planned.live
        hold_outside_windows(client, plan, saved=False, ignore=ignore_windows)
    session.refuse_unreviewed(plan, expect_checksum=expect_checksum, reviewed=reviewed)
    # Nothing to write may still mean something to wait for: numbers in flight (--until final), or
    # numbers Telnyx is freeing whose assignment is this apply's next phase.
    waiting = saved_plan is None and ((until is Until.FINAL and bool(plan.in_flight))
                                      or (until is not Until.SUBMITTED and bool(plan.being_freed)))
    if not plan.has_changes and not waiting:
        report = ApplyReport(until=until)
        report.outcomes = plan_only_outcomes(plan)
        return ApplyPrep(plan, live, saved_plan is not None, ports, nothing=report)
    return ApplyPrep(plan, live, saved_plan is not None, ports)


def apply_plan(prep: ApplyPrep, journal: Journal, *, until: Until, timeout: float, progress: Any,
               approve: Callable[[Plan], None] | None = None,
               stuck_after: float = DEFAULT_STUCK_AFTER) -> ApplyReport:
    """Run the prepared plan (refused if unsafe, then `approve`d); the caller holds `journal` open (its
    lock) from before the plan was made."""
    return session.run(prep.ports, journal, prep.plan, saved=prep.saved, live=prep.live, until=until,
                       timeout=timeout, progress=progress, approve=approve, stuck_after=stuck_after)


# --------------------------------------------------------------------------- status and resume


def _tracked_live(client: Any, writes: list[Write]) -> LiveState:
    from reconciler.live.reader import read_tracked

    numbers = {n for w in writes for n in w.numbers}
    campaigns = {w.campaign for w in writes if w.campaign}
    profiles = {w.profile for w in writes if w.state is State.DEFERRED and w.op is Op.BULK_ASSIGN and w.profile}
    return read_tracked(client, numbers, campaigns, profiles)


def status(client: Any, state_dir: str, *, stuck_after: float = DEFAULT_STUCK_AFTER,
           desired: DesiredState | None = None) -> StatusReport:
    """Work in flight per write, and the numbers closed writes left failed that still cannot send,
    judged against live state now. Writes nothing anywhere.
    `desired`: the files, to say which writes and phases name what they do not declare. The
    journal's unreadable lines are in the report (`problems`), so they are not warned about too."""
    view = read_journal(state_dir)
    writer, read_tracked = _ports(client)
    return recovery.status(writer, read_tracked, client.server_now, view.open_writes(), state_dir,
                           stuck_after=stuck_after, desired=desired, problems=[str(b) for b in view.bad],
                           earlier=view.left_failed())


def resume(client: Any, state_dir: str, *, progress: Any, timeout: float = 120.0,
           stuck_after: float = DEFAULT_STUCK_AFTER, warn: Warn = _silent, journal: Journal | None = None,
           desired: DesiredState | None = None, options: PlanOptions | None = None) -> StatusReport:
    """The scheduled job's one write: carry out the deferred phases of approved applies whose
    condition holds and that `desired` (the files at hand) still declares, each planned again
    against live state first (and nothing else; without `desired`, no phase is carried out);
    journal writes that ended, compact the journal. A phase the files no longer declare is closed
    as abandoned (exit 2). `journal`: already open (an apply holding the lock), else it is opened here."""
    from contextlib import nullcontext

    held = journal is not None
    journal = journal or Journal(state_dir)
    with nullcontext() if held else journal:
        writer, read_tracked = _ports(client)
        problems = [str(b) for b in read_journal(state_dir, warn).bad]
        return recovery.resume(writer, journal, read_tracked, client.server_now, progress=progress, timeout=timeout,
                               stuck_after=stuck_after, desired=desired, options=options, problems=problems)


@dataclass
class Imported:
    """What `import` read, sorted into what it can write and what it cannot."""

    profiles: list[ImportedProfile]  # to write: each has a number it can declare
    empty: list[ImportedProfile]  # nothing declarable (no number on a campaign): not written
    unusable: list[str]  # profile ids from Telnyx the schema would refuse: never written
    assignments: Mapping[str, LiveAssignment]


def import_live(client: Any, profile_ids: list[str] | None, unassigned_campaign: str | None = None) -> Imported:
    """Read the profiles asked for (None: every one) with their numbers and campaigns, for `import`."""
    from reconciler.live import read_profiles_for_import

    live = read_profiles_for_import(client, profile_ids)
    every = imported_profiles(live)
    empty = [p for p in every if not declarable(p, live.assignments, unassigned_campaign)]
    return Imported([p for p in every if p not in empty], empty, unusable_profiles(live), live.assignments)


def doctor(client: Any, state_dir: str | None = None) -> tuple[Any, str | None]:
    """Ask Telnyx what reading can settle (live.doctor, GET only); with `state_dir`, keep the learned
    answers in its doctor.json. -> (DoctorReport, path saved or None)."""
    from reconciler.journal import save_doctor
    from reconciler.live.doctor import diagnose, learned_dict

    report = diagnose(client)
    saved = str(save_doctor(state_dir, learned_dict(report))) if state_dir is not None else None
    return report, saved
