"""Pure drift classification: every difference between the files and Telnyx, by kind.

Telnyx keeps no history we can read, so the state folder's journal tells what this
repository's applies did (documented in docs/drift.md):

- unapplied: declared, and nothing at Telnyx contradicts it yet (no campaign), and no apply of
  this repository has assigned it (a submitted write is neither: it is in flight);
- out_of_band: Telnyx holds the number differently (another campaign, or its messaging
  profile changed): someone or something moved it; also a number with no campaign that the
  journal shows we assigned (someone removed it);
- unmanaged: undeclared numbers on declared profiles or campaigns; listed always, counted as
  drift only when prune is on (otherwise the files say to leave them alone), and then only those
  the prune has not dealt with: one it is unassigning is in flight, one with no campaign is pruned;
- in_flight: PENDING_* at Telnyx, ASSIGNED but still pending at carriers, or under a write or
  deferred phase the journal holds open (not drift: work in progress); under prune, also an
  undeclared number being unassigned (PENDING_UNASSIGNMENT, or under an open write);
- pruned: under prune, an undeclared number on a declared profile with no campaign: what the
  prune asks for (no apply changes it), counted, not drift;
- stuck: in flight longer than `stuck_after` (default 72 h), or held back that long by an open
  write the files do not declare: drift, someone should look;
- failed: FAILED_* at Telnyx, with Telnyx's reasons, or ASSIGNED with a carrier mapping that
  failed (`tmobileNumberMappingStatus` / `nonTmobileNumberMappingStatus`), with its value;
- blocked: declared but impossible now (not owned, campaign not shared, a record naming an id in
  no id's shape, held back by an open write the files do not declare, ...).

Beside the numbers' classes, one class of campaigns: *unhealthy*, a declared campaign that cannot
carry traffic (`diff.health.traffic_problem`: its campaignStatus is not active, its share to Telnyx is not
ACCEPTED, or Telnyx does not know it). Its numbers may be exactly as declared and still not send, so
it is drift (exit 2), reported first, with how many declared numbers it stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Mapping

from reconciler.diff import UNSEEN, Action, Finding, LiveHalf
from reconciler.durations import Figures
from reconciler.model import (ASSIGNED, CARRIER_FAILED, CARRIER_PENDING, FAILED_ASSIGNMENT, FAILED_UNASSIGNMENT,
                             PENDING_UNASSIGNMENT)
from reconciler.plan import CampaignHealth, Plan
from reconciler.tracking import DEFAULT_STUCK_AFTER


class Kind(StrEnum):
    UNAPPLIED = "unapplied"
    OUT_OF_BAND = "out_of_band"
    UNMANAGED = "unmanaged"
    IN_FLIGHT = "in_flight"
    STUCK = "stuck"
    FAILED = "failed"
    BLOCKED = "blocked"
    # Added after the others (JSON keys only grow): an undeclared number left with no campaign under prune.
    PRUNED = "pruned"


KINDS = tuple(k.value for k in Kind)


@dataclass(frozen=True)
class DriftReport:
    plan: Plan
    items: dict[str, tuple[Finding, ...]]
    prune: bool = False
    stuck_after: float = DEFAULT_STUCK_AFTER
    ages: Mapping[str, float] | None = None  # number -> seconds in flight, where known
    # How long work usually takes: the same figures status's ETAs and the plan's hours use.
    figures: Figures | None = None

    @property
    def unhealthy(self) -> tuple[CampaignHealth, ...]:
        """Declared campaigns that cannot carry traffic: drift, whatever their numbers show."""
        return self.plan.unhealthy

    @property
    def in_flight_not_sending(self) -> int:
        """Numbers in flight that cannot send now: no campaign, PENDING_*, a carrier
        mapping not done, or a campaign that cannot carry traffic. What an operator asks first."""
        blocked = {h.tcr_campaign_id for h in self.unhealthy}
        return sum(1 for f in self.items[Kind.IN_FLIGHT.value] if not sending(f.live or UNSEEN, blocked))

    @property
    def counts(self) -> dict[str, int]:
        return {k: len(self.items[k]) for k in KINDS}

    def counts_as_drift(self, kind: str) -> bool:
        if kind in (Kind.IN_FLIGHT, Kind.PRUNED):
            return False
        if kind == Kind.UNMANAGED:
            return self.prune
        return True

    @property
    def drifted(self) -> bool:
        """Exit 2 when a declared campaign cannot carry traffic, or anything but work in flight differs
        (unmanaged numbers only under prune; a pruned number never: it is what prune asks for)."""
        return bool(self.unhealthy) or any(self.items[k] for k in KINDS if self.counts_as_drift(k))


def sending(live: LiveHalf, blocked: set[str]) -> bool:
    """Can a number Telnyx shows so send? ASSIGNED, mapped by the carriers that say, to a campaign
    not known to be unable to carry traffic (`blocked`)."""
    return (live.status == ASSIGNED and live.carrier not in (CARRIER_PENDING, CARRIER_FAILED)
            and live.tcr_campaign_id not in blocked)


def classify(f: Finding, *, prune: bool = False, journalled: frozenset[str] = frozenset()) -> str | None:
    """The drift kind of one finding, or None (nothing differs). `journalled`: numbers an open write
    of the state folder holds (`tracking.InFlight.numbers`)."""
    live = f.live or UNSEEN
    if f.desired is None:
        return _undeclared(f.number, live, prune, journalled)
    if f.action is Action.IN_FLIGHT:
        return Kind.IN_FLIGHT.value
    if f.action is Action.BLOCKED:
        return Kind.FAILED.value if live.carrier == CARRIER_FAILED else Kind.BLOCKED.value
    if live.status in (FAILED_ASSIGNMENT, FAILED_UNASSIGNMENT):
        return Kind.FAILED.value
    if f.action is Action.ASSIGN and not f.move and live.profile_id == f.desired.profile_id:
        return Kind.UNAPPLIED.value
    if f.action is Action.ASSIGN and live.profile_id is None:
        return Kind.UNAPPLIED.value
    if f.action in (Action.ASSIGN, Action.REASSIGN, Action.MOVE, Action.RETRY):
        return Kind.OUT_OF_BAND.value
    return None


def _undeclared(number: str, live: LiveHalf, prune: bool, journalled: frozenset[str]) -> str:
    """Without prune every undeclared number is unmanaged (listed only). Under prune, drift agrees
    with the plan: one the prune is unassigning is in flight, one with no campaign is what the prune
    asks for (pruned: no apply changes it), and the rest (still on a campaign: the plan unassigns
    it, or cannot) are unmanaged, drift."""
    if not prune:
        return Kind.UNMANAGED.value
    if live.status == PENDING_UNASSIGNMENT or number in journalled:
        return Kind.IN_FLIGHT.value
    if live.tcr_campaign_id is None:
        return Kind.PRUNED.value
    return Kind.UNMANAGED.value


def drift_report(plan: Plan, applied: Mapping[str, str] | None = None, *,
                 ages: Mapping[str, float] | None = None, stuck_after: float = DEFAULT_STUCK_AFTER,
                 figures: Figures | None = None, held: frozenset[str] = frozenset(),
                 journalled: frozenset[str] = frozenset()) -> DriftReport:
    """`applied`: number -> the campaign this repository last put it on (the journal); `ages`: how
    long each number has been in flight (journal or PENDING_* since), to tell stuck work; `held`:
    numbers only journalled writes the files do not declare hold (blocked), stuck alike;
    `journalled`: numbers any open write holds (an undeclared one under prune is in flight)."""
    ages = ages or {}
    applied = applied or {}
    buckets: dict[str, list[Finding]] = {k: [] for k in KINDS}
    for f in plan.changes:
        kind = classify(f, prune=plan.prune, journalled=journalled)
        ours = applied.get(f.number)
        if ours is not None and kind in (Kind.UNAPPLIED, Kind.OUT_OF_BAND):
            # The journal knows what this repository last set: if Telnyx still has it, the files
            # moved on (unapplied); if Telnyx has something else, it changed outside (out of band).
            kind = Kind.UNAPPLIED.value if (f.live or UNSEEN).tcr_campaign_id == ours else Kind.OUT_OF_BAND.value
        # Held longer than stuck_after: stuck, whether by work toward the files (in flight) or by a
        # write they do not declare (blocked: the journal holds it back).
        if (kind == Kind.IN_FLIGHT or (kind == Kind.BLOCKED and f.number in held)) \
                and ages.get(f.number, 0.0) > stuck_after:
            kind = Kind.STUCK.value
        if kind:
            buckets[kind].append(f)
    return DriftReport(plan, {k: tuple(v) for k, v in buckets.items()}, plan.prune, stuck_after, ages,
                       figures or Figures())
