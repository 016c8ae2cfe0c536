"""One apply, end to end, for any front end: finish what earlier runs left, refuse what must not
run, then apply. The CLI is one caller; `operations` only builds the ports from an API client.

Telnyx is reached through `Ports` alone (production: live/, tests: a fake or the sandbox), and
every wait runs on the injected clock and sleep, so a virtual clock drives the whole of it. The
caller holds the state folder's journal (its lock) from before the plan is made until the report:
no other apply can be between sending a write and journalling it.

    recover(...)    a killed run's intents settled, finished tasks and orders journalled, the ready
                    next phases of approved applies carried out (replanned from the files first)
    refuse_unreviewed(...), refuse_unsafe(...)
                    not the reviewed plan, or over a safety limit: RefusedError (exit 3), nothing written
    run(...)        refuse, approve, apply, compact the journal

Two `Applier`s serve one apply: recovery's writes are earlier applies' work, said by `resume`,
while the run's report counts and judges only the reviewed plan's writes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from reconciler.compare import explain
from reconciler.errors import RefusedError
from reconciler.journal import Journal, State
from reconciler.model import DesiredState, LiveState
from reconciler.plan import Plan, PlanOptions
from reconciler.plan.report import saved_unsafe
from reconciler.tracking import DEFAULT_STUCK_AFTER

from .applier import Applier
from .ports import Progress, Reader, Writer
from .recovery import StatusReport, TrackedReader, note_finished_work, resume, settle_intents
from .report import ApplyReport, Until

# Recovery before a fresh plan waits at most this long (and never past the run's --timeout): it is a
# prelude, and whatever it leaves open the plan sees as work in flight and never repeats.
RECOVERY_TIMEOUT = 300.0


@dataclass(frozen=True)
class Ports:
    """What an apply needs of Telnyx, and the clock it waits on."""

    writer: Writer
    read_live: Reader  # the whole live state the files name (a run's verification reads)
    read_tracked: TrackedReader  # only what open writes track (recovery never reads more)
    server_now: Callable[[], float]  # Telnyx's clock, for ages in the journal
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


def has_deferred_phases(journal: Journal) -> bool:
    return any(w.state is State.DEFERRED for w in journal.read().open_writes())


def recover(ports: Ports, journal: Journal, *, timeout: float, progress: Progress,
            desired: DesiredState | None = None, options: PlanOptions | None = None,
            problems: list[str] | None = None) -> StatusReport | None:
    """Before a fresh plan: settle a killed run's intents, journal the tasks and orders earlier runs
    left open, and carry out their ready next phases (only as `desired`, the files at hand, still
    declares them). Returns resume's report where there were phases, else None."""
    wait = min(timeout, RECOVERY_TIMEOUT)
    settle_intents(journal, ports.read_tracked, ports.server_now, timeout=wait, progress=progress,
                   clock=ports.clock, sleep=ports.sleep)
    if not has_deferred_phases(journal):
        note_finished_work(ports.writer, journal)
        return None
    # Finish what earlier approved applies left for later before planning anew (resume notes the
    # finished work itself first).
    return resume(ports.writer, journal, ports.read_tracked, ports.server_now, progress=progress, timeout=wait,
                  desired=desired, options=options, problems=problems, clock=ports.clock, sleep=ports.sleep)


def refuse_unreviewed(plan: Plan, *, expect_checksum: str | None = None, reviewed: Plan | None = None) -> None:
    """RefusedError (exit 3) for a plan that is not the reviewed one, saying what moved."""
    if reviewed is not None:
        expect_checksum = expect_checksum or reviewed.checksum()
    if expect_checksum and plan.checksum() != expect_checksum:
        why = "".join("\n  " + line for line in explain(reviewed, plan)) if reviewed is not None else ""
        raise RefusedError(f"the plan's checksum is {plan.checksum()}, not the reviewed {expect_checksum}: "
                           f"live state or the files changed since review; re-plan and review again{why}")


def refuse_unsafe(plan: Plan, *, saved: bool = False) -> None:
    """RefusedError (exit 3) for a plan over a safety limit (policy): nothing is written from it. A saved
    plan's reasons do not say "re-run with --allow-…" (no option changes a saved plan): the refusal says
    once how to make it again with the allowance."""
    if not plan.safe:
        reasons, advice = saved_unsafe(plan.unsafe) if saved else (list(plan.unsafe), None)
        raise RefusedError("the plan is unsafe:\n  " + "\n  ".join(reasons) + (f"\n{advice}" if advice else ""))


def run(ports: Ports, journal: Journal, plan: Plan, *, saved: bool, live: LiveState | None, until: Until,
        timeout: float, progress: Progress, approve: Callable[[Plan], None] | None = None,
        expect_checksum: str | None = None, reviewed: Plan | None = None,
        stuck_after: float = DEFAULT_STUCK_AFTER) -> ApplyReport:
    """Apply `plan` (`live`: the state a fresh plan was made from; a saved plan re-reads). Refused
    first (not reviewed, unsafe), then `approve(plan)` (raises RefusedError unless approved) where it
    writes: no front end can apply an unsafe or unapproved plan."""
    refuse_unreviewed(plan, expect_checksum=expect_checksum, reviewed=reviewed)
    refuse_unsafe(plan, saved=saved)
    if approve is not None and plan.has_changes:
        approve(plan)
    applier = Applier(ports.writer, ports.read_live, journal, progress=progress, until=until, timeout=timeout,
                      server_now=ports.server_now, clock=ports.clock, sleep=ports.sleep, stuck_after=stuck_after)
    report = applier.run(plan, saved=saved, live=live)
    journal.compact()
    return report
