"""Pure comparison of desired and live state, one finding per number.

`diff()` answers, for every declared number and every unmanaged number in
scope, what is true now and what would make it right. It does not choose API
calls: that is `plan.py`'s job, which needs the whole profile in view.

Set and dict operations only: over a million numbers this is one pass of
dict lookups (deepdiff would be ~10x slower here, see README "Performance").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Iterable

from reconciler.model import (
    FAILED_ASSIGNMENT,
    FAILED_UNASSIGNMENT,
    IN_FLIGHT_STATUSES,
    SHARED,
    DesiredState,
    LiveCampaign,
    LiveState,
)


class Action(str, Enum):
    OK = "ok"  # nothing to do
    ASSIGN = "assign"  # no campaign yet
    REASSIGN = "reassign"  # on another campaign
    RETRY = "retry"  # FAILED_ASSIGNMENT on the declared campaign
    MOVE = "move"  # right campaign, wrong messaging profile
    IN_FLIGHT = "in_flight"  # PENDING_*: Telnyx is working on it; never re-issued
    UNMANAGED = "unmanaged"  # in scope but declared nowhere; listed, untouched
    UNASSIGN = "unassign"  # unmanaged and policy.prune: remove its campaign
    BLOCKED = "blocked"  # a change is needed but cannot be made; `reason` says why


# Actions that write to Telnyx.
WRITES = frozenset({Action.ASSIGN, Action.REASSIGN, Action.RETRY, Action.MOVE, Action.UNASSIGN})
# Actions that end with the number assigned to its declared campaign.
ASSIGNING = frozenset({Action.ASSIGN, Action.REASSIGN, Action.RETRY})

# campaignStatus values that accept assignments. TCR_SUSPENDED is dormancy:
# Telnyx says the first assignment fails and wakes the campaign, so it is
# assignable and apply retries (10dlc-domain.md §1.4, support 10723378).
ASSIGNABLE_STATUSES = frozenset({"MNO_PROVISIONED", "MNO_ACCEPTED", "TCR_SUSPENDED"})
DORMANT = "TCR_SUSPENDED"


@dataclass(frozen=True, slots=True)
class Finding:
    number: str
    action: Action
    profile_id: str | None  # declared profile; for unmanaged numbers the live one
    tcr_campaign_id: str | None  # declared campaign; for unmanaged numbers the live one
    live_profile_id: str | None
    live_campaign: str | None
    live_status: str | None
    move: bool = False  # the number also changes messaging profile first
    reason: str | None = None  # why blocked, or Telnyx's failureReasons
    declared: bool = True

    @property
    def writes(self) -> bool:
        return self.action in WRITES


def campaign_problem(campaign: LiveCampaign | None, tcr_id: str) -> str | None:
    """Why numbers cannot be assigned to this campaign now, or None."""
    if campaign is None:
        return f"campaign {tcr_id} is not known to this Telnyx account (not shared to Telnyx, or the share is not visible)"
    if campaign.kind == SHARED:
        sharing = (campaign.sharing_status or "UNKNOWN").upper()
        if sharing != "ACCEPTED":
            return f"campaign {tcr_id} is shared to Telnyx but its sharing status is {sharing}, not ACCEPTED"
    status = campaign.campaign_status
    if status not in ASSIGNABLE_STATUSES:
        return f"campaign {tcr_id} is not active (campaignStatus {status or 'unknown'})"
    return None


def diff(desired: DesiredState, live: LiveState, *, prune: bool | None = None) -> list[Finding]:
    """Every number in scope, sorted by number. `prune` overrides `policy.prune`."""
    if prune is None:
        prune = desired.policy.prune
    findings: list[Finding] = []
    campaign_block: dict[str, str | None] = {
        c: campaign_problem(live.campaigns.get(c), c) for c in desired.campaigns()
    }
    live_numbers = live.numbers
    assignments = live.assignments
    for number, want in desired.numbers.items():
        have = live_numbers.get(number)
        a = assignments.get(number)
        live_campaign = a.tcr_campaign_id if a else None
        live_status = a.status if a else None
        live_profile = have.profile_id if have else None
        move = have is not None and live_profile != want.profile_id
        action: Action
        reason: str | None = None
        if have is None:
            action, reason = Action.BLOCKED, "number is not owned by this Telnyx account"
        elif have.type != "longcode":
            action, reason = Action.BLOCKED, f"number is a {have.type}, not a 10DLC long code"
        elif want.profile_id not in live.profiles:
            action, reason = Action.BLOCKED, f"messaging profile {want.profile_id} does not exist"
        elif live_status in IN_FLIGHT_STATUSES:
            action = Action.IN_FLIGHT
        elif live_campaign == want.tcr_campaign_id and live_status not in (FAILED_ASSIGNMENT,):
            action = Action.MOVE if move else Action.OK
            if live_status == FAILED_UNASSIGNMENT:
                reason = a.failure_reasons if a else None
        else:
            if live_campaign == want.tcr_campaign_id:
                action, reason = Action.RETRY, (a.failure_reasons if a else None)
            elif live_campaign is None or live_status == FAILED_ASSIGNMENT:
                # A failed assignment to another campaign holds nothing: assign afresh.
                action = Action.ASSIGN
                if live_status == FAILED_ASSIGNMENT and a is not None:
                    reason = a.failure_reasons
            else:
                action = Action.REASSIGN
            blocked = campaign_block.get(want.tcr_campaign_id)
            if blocked:
                action, reason = Action.BLOCKED, blocked
        findings.append(
            Finding(number, action, want.profile_id, want.tcr_campaign_id, live_profile,
                    live_campaign, live_status, move and action is not Action.BLOCKED, reason)
        )
    findings.extend(_unmanaged(desired, live, prune))
    findings.sort(key=lambda f: f.number)
    return findings


def _unmanaged(desired: DesiredState, live: LiveState, prune: bool) -> Iterable[Finding]:
    """Undeclared numbers on a declared profile or assigned to a declared campaign."""
    declared = desired.numbers
    elsewhere = desired.out_of_scope
    campaigns = desired.campaigns()
    profiles = desired.profiles
    seen: set[str] = set(elsewhere)
    for number, a in live.assignments.items():
        if number in declared or number in seen or a.tcr_campaign_id not in campaigns:
            continue
        seen.add(number)
        have = live.numbers.get(number)
        in_flight = a.status in IN_FLIGHT_STATUSES
        action = Action.UNASSIGN if prune and not in_flight else Action.UNMANAGED
        yield Finding(number, action, have.profile_id if have else None, a.tcr_campaign_id,
                      have.profile_id if have else None, a.tcr_campaign_id, a.status, declared=False)
    for number, have in live.numbers.items():
        if number in declared or number in seen or have.profile_id not in profiles:
            continue
        a = live.assignments.get(number)
        yield Finding(number, Action.UNMANAGED, have.profile_id, a.tcr_campaign_id if a else None,
                      have.profile_id, a.tcr_campaign_id if a else None, a.status if a else None,
                      declared=False)
