"""A plan's types: the plan, its per-profile strategies and per-campaign counts, the options it was
made with, and the limits' defaults. A saved plan is these, as JSON (planfile)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Mapping

from reconciler.diff import (
    UNSEEN,
    Action,
    Finding,
    reported_under,
)
from reconciler.model import (
    PENDING_UNASSIGNMENT,
    CampaignKind,
    DesiredState,
)

from reconciler.windows import Verdict

from reconciler.durations import Figures

from .messaging import Messaging, impact


SCHEMA_VERSION = 1


# Safety defaults, after octoDNS (30 % of a zone with at least 10 records),
# plus absolute caps because a campaign never holds more than a few dozen
# numbers but an estate holds tens of thousands.
DEFAULT_MAX_UNASSIGN = 25


DEFAULT_MAX_UNASSIGN_PERCENT = 30.0


DEFAULT_MAX_REASSIGN = 100


DEFAULT_MAX_REASSIGN_PERCENT = 30.0


PERCENT_MIN_EXISTING = 10


# Below this many assignments on a Telnyx-registered campaign, per-number calls
# are cheaper than a bulk task (1 POST + polls + the task's number list).
BULK_MIN_TELNYX = 3


class Strategy(StrEnum):
    """How a profile's assignments are made. Values appear in JSON output and saved plans."""

    BULK = "bulk"  # one bulk task by profile: every number on it gets the campaign
    PER_NUMBER = "per_number"  # one POST/PUT per number
    NONE = "none"  # nothing to assign on this profile (only moves, or nothing)


BULK, PER_NUMBER, NONE = Strategy.BULK, Strategy.PER_NUMBER, Strategy.NONE


@dataclass(frozen=True)
class PlanOptions:
    prune: bool | None = None  # None: policy.prune
    allow_unassign: int | None = None  # exactly this many unassigns may exceed the limits
    allow_reassign: int | None = None
    shared_per_number: bool = False  # the account accepts per-number writes to shared campaigns


@dataclass(frozen=True, slots=True)
class ProfilePlan:
    id: str
    name: str | None
    declared: bool
    exists: bool
    strategy: Strategy
    bulk_campaign: str | None = None
    note: str | None = None
    # Numbers already ASSIGNED to bulk_campaign (or phase_campaign) that its task sends again: whether
    # Telnyx leaves them alone or provisions them again (PENDING_ASSIGNMENT for hours) is unconfirmed.
    resends: int = 0
    # No bulk now, but a next phase may bulk-assign the profile to this (shared) campaign: numbers that
    # move in may lose their campaign on the way, or are being freed (strategy._phase_pairs).
    phase_campaign: str | None = None

    @property
    def resend_campaign(self) -> str | None:
        """The campaign whose bulk task (now, or in a next phase) re-sends `resends` numbers."""
        return self.bulk_campaign or self.phase_campaign


@dataclass(frozen=True, slots=True)
class CampaignPlan:
    tcr_campaign_id: str
    kind: CampaignKind | None
    campaign_status: str | None
    sharing_status: str | None
    number_pooling: bool
    telnyx_campaign_id: str | None
    live_count: int  # ASSIGNED + PENDING_ASSIGNMENT now
    final_count: int  # after the plan
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class CampaignHealth:
    """A declared campaign that cannot carry traffic now (`diff.health.traffic_problem`): its numbers cannot
    send, whatever the plan does. Not a change: drift counts it (exit 2), plans and status say it."""

    tcr_campaign_id: str
    kind: CampaignKind | None  # None: unknown to this Telnyx account
    campaign_status: str | None
    sharing_status: str | None
    problem: str  # why, and what fixes it
    telnyx_reason: str | None  # Telnyx's own `failureReasons` of the campaign, where it gives them
    numbers_declared: int  # numbers the files declare for it (in this run's scope)
    numbers_stopped: int  # of those, the ones Telnyx shows ASSIGNED to it: assigned, yet they cannot send
    # Of those, the ones ASSIGNED to another campaign (not one of these) that the plan does not move: they
    # send today there, and stay there until this one can carry traffic. Not "cannot send".
    numbers_elsewhere: int = 0


@dataclass
class Plan:
    desired: DesiredState
    changes: tuple[Finding, ...]  # every finding that is not OK, sorted by number
    counts: dict[str, int]
    profiles: dict[str, ProfilePlan]
    campaigns: dict[str, CampaignPlan]
    warnings: tuple[str, ...] = ()
    unsafe: tuple[str, ...] = ()
    prune: bool = False
    options: PlanOptions = field(default_factory=PlanOptions)
    timeline: tuple[str, ...] = ()  # how long the changes take at Telnyx, and which need two phases
    # Names of the profiles the plan mentions, where known (the files' name first, else Telnyx's): reports
    # show "name (id…)" instead of a bare id. Not part of the checksum: labels, not what apply does.
    profile_names: dict[str, str] = field(default_factory=dict, compare=False)
    # Declared campaigns that cannot carry traffic (by campaign id). Not a change, so not in the checksum.
    unhealthy: tuple[CampaignHealth, ...] = field(default=(), compare=False)
    # Campaigns the files do not declare that the plan takes numbers off: {tcr: (before, after)}, so the
    # campaign counts show a campaign the plan empties (30 → 0) beside the declared ones. A report.
    undeclared_counts: dict[str, tuple[int, int]] = field(default_factory=dict, compare=False)
    # Safety limits the plan is over that the run allowed by exact count (`--allow-reassign 200`): said in
    # every report, so a reviewer sees a limit was overridden. A report, like the warnings: not in the checksum.
    safety_overridden: tuple[str, ...] = field(default=(), compare=False)
    _checksum: str | None = field(default=None, init=False, repr=False, compare=False)
    _messaging: Messaging | None = field(default=None, init=False, repr=False, compare=False)
    # Where "now" (Telnyx's clock) stands against policy.change_windows, when they were judged
    # (operations: plan and apply). Not part of the checksum: a verdict of the moment.
    window: Verdict | None = field(default=None, init=False, repr=False, compare=False)
    window_ignored: bool = field(default=False, init=False, repr=False, compare=False)  # --ignore-change-windows
    # How long Telnyx takes, for the number-hours estimate: this account's observed durations where the
    # state folder's history has them (operations sets it before the plan is shown), else Telnyx's typical
    # figures. Not part of the checksum: an estimate.
    figures: Figures | None = field(default=None, init=False, repr=False, compare=False)

    def window_state(self) -> dict[str, Any]:
        """The plan's change-window verdict as JSON: would apply be held now, and until when."""
        v = self.window
        held = bool(v is not None and not v.open and self.messaging.may_stop)
        return {"windows": [w.as_dict() for w in self.desired.policy.change_windows],
                **(v.as_dict() if v is not None else {}), "apply_held": held}

    @property
    def messaging(self) -> Messaging:
        """What the plan does to the declared numbers that can send (plan/messaging.py): computed
        once, from what a saved plan keeps too, so a loaded plan says the same."""
        if self._messaging is None:
            self._messaging = impact(self.changes, self.profiles, self.campaigns, self.options.shared_per_number,
                                     self.counts, figures=self.figures)
        return self._messaging

    @property
    def writes(self) -> tuple[Finding, ...]:
        return tuple(c for c in self.changes if c.writes)

    @property
    def has_changes(self) -> bool:
        return any(c.writes for c in self.changes)

    @property
    def blocked(self) -> tuple[Finding, ...]:
        """Declared numbers the plan cannot bring to their declared state (each with its reason)."""
        return tuple(c for c in self.changes if c.action is Action.BLOCKED and c.declared)

    @property
    def in_flight(self) -> tuple[Finding, ...]:
        return tuple(c for c in self.changes if c.action is Action.IN_FLIGHT)

    @property
    def being_freed(self) -> tuple[Finding, ...]:
        """Declared numbers Telnyx is unassigning: once it has, they need their campaign (a next phase)."""
        return tuple(c for c in self.changes if c.action is Action.IN_FLIGHT and c.desired is not None
                     and c.live is not None and c.live.status == PENDING_UNASSIGNMENT)

    @property
    def safe(self) -> bool:
        return not self.unsafe

    def checksum(self) -> str:
        """sha256 over what apply would do and the state it expects; stable across runs.

        One positional JSON array per change, encoded in one call (a dict per change, or a
        `dumps` per change, costs 3x over 100k changes); computed once per plan. Blocked changes
        are covered too (apply reports them, exit 4): a saved plan cannot lose one unnoticed. A plan
        with none keeps the checksum it always had."""
        if self._checksum is None:
            rows = [[c.number, c.action.value, *reported_under(c), c.move, c.declared, c.reason,
                     *_live_fields(c)] for c in self.changes if c.writes or c.action is Action.BLOCKED]
            # A next phase's bulk is what apply may do too (absent: checksums as before).
            strategies = {p.id: [p.strategy, p.bulk_campaign] + ([p.phase_campaign] if p.phase_campaign else [])
                          for p in self.profiles.values()}
            covered: list[Any] = [rows, strategies]
            windows = self.desired.policy.change_windows
            if windows:  # when apply may run it is part of the plan (absent: checksums as before)
                covered.append([w.as_dict() for w in windows])
            if self.unsafe:
                # The verdict apply reads from a saved plan (it cannot judge the limits again: they
                # are the files' at plan time): a file edited to call itself safe is not the plan
                # reviewed. A safe plan keeps the checksum it always had.
                covered.append({"unsafe": sorted(self.unsafe)})
            if self.options.shared_per_number:
                # Per-number writes to shared campaigns change the route (moved in place vs freed
                # first): a plan reviewed without them is not the plan applied with them.
                covered.append({"shared_per_number": True})
            raw = json.dumps(covered, sort_keys=True, separators=(",", ":")).encode()
            self._checksum = hashlib.sha256(raw).hexdigest()
        return self._checksum


def _live_fields(c: Finding) -> tuple[str | None, str | None, str | None]:
    live = c.live or UNSEEN
    return live.profile_id, live.tcr_campaign_id, live.status


def change_dict(c: Finding) -> dict[str, Any]:
    """One change as saved: target, action, and the live state it expects (precondition).

    `profile_id`/`tcr_campaign_id` are where the change is reported (`reported_under`: the declared
    ones, else the live ones); `move` and `declared` are derived, and saved for readers of the file."""
    profile_id, tcr_campaign_id = reported_under(c)
    live = c.live or UNSEEN
    return {
        "number": c.number,
        "action": c.action.value,
        "profile_id": profile_id,
        "tcr_campaign_id": tcr_campaign_id,
        "move": c.move,
        "declared": c.declared,
        "reason": c.reason,
        "expect": {"profile_id": live.profile_id, "tcr_campaign_id": live.tcr_campaign_id, "status": live.status},
    }


def profile_label(pid: str, names: Mapping[str, str]) -> str:
    """`acme-marketing (4001767e…)` where the name is known, else the whole id (to look it up)."""
    name = names.get(pid)
    return f"{name} ({pid[:8]}…)" if name else pid
