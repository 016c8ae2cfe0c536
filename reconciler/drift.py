"""Pure drift classification: every difference between the files and Telnyx, by kind.

Telnyx keeps no history we can read, so "unapplied" and "out-of-band" are told
apart by what live state shows (documented in the README):

- unapplied: declared, and nothing at Telnyx contradicts it yet (no campaign);
- out_of_band: Telnyx holds the number differently (another campaign, or its
  messaging profile changed) — someone or something moved it; also a number
  with no campaign that the apply journal shows we assigned (someone removed it);
- unmanaged: undeclared numbers on declared profiles or campaigns;
- in_flight: PENDING_* at Telnyx (not drift: work in progress);
- failed: FAILED_* at Telnyx, with Telnyx's reasons;
- blocked: declared but impossible now (not owned, campaign not shared, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.diff import Action, Finding
from reconciler.model import FAILED_ASSIGNMENT, FAILED_UNASSIGNMENT
from reconciler.plan import Plan

KINDS = ("unapplied", "out_of_band", "unmanaged", "in_flight", "failed", "blocked")


@dataclass(frozen=True)
class DriftReport:
    plan: Plan
    items: dict[str, tuple[Finding, ...]]

    @property
    def counts(self) -> dict[str, int]:
        return {k: len(self.items[k]) for k in KINDS}

    @property
    def drifted(self) -> bool:
        """Exit 2 when anything but work in flight differs."""
        return any(self.items[k] for k in KINDS if k != "in_flight")


def classify(f: Finding) -> str | None:
    if not f.declared:
        return "unmanaged"
    if f.action is Action.IN_FLIGHT:
        return "in_flight"
    if f.action is Action.BLOCKED:
        return "blocked"
    if f.live_status in (FAILED_ASSIGNMENT, FAILED_UNASSIGNMENT):
        return "failed"
    if f.action is Action.ASSIGN and not f.move and f.live_profile_id == f.profile_id:
        return "unapplied"
    if f.action is Action.ASSIGN and f.live_profile_id is None:
        return "unapplied"
    if f.action in (Action.ASSIGN, Action.REASSIGN, Action.MOVE, Action.RETRY):
        return "out_of_band"
    return None


def drift_report(plan: Plan, applied: frozenset[str] = frozenset()) -> DriftReport:
    """`applied`: numbers the journal shows this repository assigned before."""
    buckets: dict[str, list[Finding]] = {k: [] for k in KINDS}
    for f in plan.changes:
        kind = classify(f)
        if kind == "unapplied" and f.number in applied:
            kind = "out_of_band"
        if kind:
            buckets[kind].append(f)
    return DriftReport(plan, {k: tuple(v) for k, v in buckets.items()})
