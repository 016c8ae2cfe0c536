"""Pure comparison of desired and live state, one finding per number.

`diff()` answers, for every declared number and every unmanaged number in
scope, what is true now and what would make it right. It does not choose API
calls: that is `plan.py`'s job, which needs the whole profile in view. Whether a campaign can
take numbers is `diff.health`'s to say.

Set and dict operations only: over a million numbers this is one pass of
dict lookups (deepdiff would be ~10x slower here, see docs/performance.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from operator import attrgetter
from typing import Iterable, Mapping

from reconciler.model import (
    ASSIGNED,
    ASSIGNMENT_STATUSES,
    CARRIER_PENDING,
    FAILED_ASSIGNMENT,
    FAILED_UNASSIGNMENT,
    IN_FLIGHT_STATUSES,
    INVALID_ID,
    DesiredNumber,
    DesiredState,
    LiveState,
)

from .health import campaign_problem


class Action(StrEnum):
    OK = "ok"  # nothing to do
    ASSIGN = "assign"  # no campaign yet
    REASSIGN = "reassign"  # on another campaign
    RETRY = "retry"  # FAILED_ASSIGNMENT on the declared campaign
    MOVE = "move"  # right campaign, wrong messaging profile
    IN_FLIGHT = "in_flight"  # PENDING_*: Telnyx is working on it; never re-issued
    UNMANAGED = "unmanaged"  # in scope but declared nowhere; listed, untouched
    UNASSIGN = "unassign"  # unmanaged and policy.prune: remove its campaign
    BLOCKED = "blocked"  # a change is needed but cannot be made; `reason` says why


KNOWN_STATUSES = ASSIGNMENT_STATUSES  # what a plan understands; any other status is never written over

# Actions that write to Telnyx.
WRITES = frozenset({Action.ASSIGN, Action.REASSIGN, Action.RETRY, Action.MOVE, Action.UNASSIGN})
# Actions that end with the number assigned to its declared campaign.
ASSIGNING = frozenset({Action.ASSIGN, Action.REASSIGN, Action.RETRY})

# Words in a failure reason that say the number itself cannot be assigned, whatever the campaign:
# it left the account or the network (ported out, disconnected, released) or was never this
# account's. A retry sends the same write to the same dead end, so such a number is blocked.
GONE_WORDS = ("ported out", "port out", "port-out", "ported away", "disconnected", "not owned",
              "no longer owned", "different account", "another account", "number released", "was released")


def number_gone(failure_reason: str | None) -> str | None:
    """If Telnyx's failure reason says the number is gone, why a retry cannot fix it; else None."""
    if not failure_reason:
        return None
    said = " ".join(failure_reason.lower().split())
    if not any(w in said for w in GONE_WORDS):
        return None
    return (f"Telnyx says the number cannot be assigned ({failure_reason}); a retry cannot fix that: check "
            "whether it was ported out or disconnected, then declare it elsewhere or remove it from the files")


@dataclass(frozen=True, slots=True)
class LiveHalf:
    """What Telnyx shows of one number: its messaging profile, campaign and assignmentStatus.

    Interned by value within a diff (`diff_changes`): an estate has few distinct combinations,
    so a million findings share a handful of these. Frozen for that reason: never change one."""

    profile_id: str | None  # None: on no profile, or not owned (then only an assignment record exists)
    tcr_campaign_id: str | None  # None: no assignment record
    status: str | None  # assignmentStatus; None: no assignment record
    carrier: str | None = None  # ASSIGNED only: CARRIER_PENDING | CARRIER_FAILED (model.py); None: ready


# How a finding without a live half reads: nothing at Telnyx (for code that wants the fields either way).
UNSEEN = LiveHalf(None, None, None)


@dataclass(slots=True)
class Finding:
    """What is true of one number and what would make it right: the declared half and the live half.

    `desired` is the number's `DesiredNumber` (shared with the desired state, never copied); None when
    the number is declared nowhere (unmanaged, or pruned). `live` is what Telnyx shows of it (an
    interned `LiveHalf`); None when Telnyx shows nothing (not owned, no assignment record).
    `reported_under` says which profile and campaign a finding is listed under.

    Not `frozen` (a frozen dataclass pays an `object.__setattr__` per field, 4x the cost
    over a million numbers); nothing mutates a Finding after it is built: use `replace`."""

    number: str
    action: Action
    desired: DesiredNumber | None
    live: LiveHalf | None
    reason: str | None = None  # why blocked, or Telnyx's failureReasons

    @property
    def writes(self) -> bool:
        return self.action._value_ in WRITE_VALUES

    @property
    def declared(self) -> bool:
        """Is the number declared in the files (in this run's scope)?"""
        return self.desired is not None

    @property
    def move(self) -> bool:
        """Does the number also change messaging profile first (before any campaign write)?

        A declared number Telnyx shows on another profile than its declared one, unless the
        finding is blocked (a blocked number is never written, so never moved)."""
        d = self.desired
        live = self.live
        return (d is not None and live is not None and live.profile_id != d.profile_id
                and self.action is not _BLOCKED)


_BLOCKED = Action.BLOCKED


def moving_writes(findings: Iterable[Finding]) -> list[Finding]:
    """The findings whose number this plan moves to another profile (`Finding.move`, and the finding
    writes: a move in flight is not made again), in order. The property's test inlined: a plan asks
    it of every finding, a million of them."""
    writes = WRITE_VALUES
    return [f for f in findings if (d := f.desired) is not None and (seen := f.live) is not None
            and seen.profile_id != d.profile_id and f.action._value_ in writes]


def assigning_or_moving(findings: Iterable[Finding]) -> list[Finding]:
    """Declared findings that give their number a campaign or only move it to its profile: the
    work that sets a profile's strategy. One pass over a million findings, in order."""
    values = _ASSIGN_OR_MOVE
    return [f for f in findings if (d := f.desired) is not None and d.profile_id and f.action._value_ in values]


def reported_under(f: Finding) -> tuple[str | None, str | None]:
    """(profile id, TCR campaign id) a finding is reported and grouped under: the declared ones,
    or, for a number declared nowhere, the ones Telnyx shows it on (None where it has none).

    The one place that answers "which profile/campaign is this number's": plans, saved plans,
    apply outcomes and drift reports all list a finding under these."""
    d = f.desired
    if d is not None:
        return d.profile_id, d.tcr_campaign_id
    live = f.live
    if live is not None:
        return live.profile_id, live.tcr_campaign_id
    return None, None


# Enum members hash through a Python-level `Enum.__hash__`; hot loops test the plain
# string value (`action._value_`) against these instead.
WRITE_VALUES = frozenset(a.value for a in WRITES)
ASSIGNING_VALUES = frozenset(a.value for a in ASSIGNING)
_ASSIGN_OR_MOVE = ASSIGNING_VALUES | {Action.MOVE.value}
# The fast path for other modules, so that the enum's internals stay here.
ACTION_VALUE = attrgetter("action._value_")  # a finding's action as its plain string


def count_key(f: Finding) -> tuple[str, str | None, str | None, str | None]:
    """What of a finding moves campaign counts: (action value, declared campaign, live campaign,
    live assignmentStatus). A million findings group into a few kinds of change."""
    d = f.desired
    live = f.live
    if live is None:
        return f.action._value_, (d.tcr_campaign_id if d is not None else None), None, None
    return f.action._value_, (d.tcr_campaign_id if d is not None else None), live.tcr_campaign_id, live.status


def is_assigning(f: Finding) -> bool:
    """Does the finding give its number a campaign (assign, reassign, retry)?"""
    return f.action._value_ in ASSIGNING_VALUES


def diff(desired: DesiredState, live: LiveState, *, prune: bool | None = None,
         in_flight: Mapping[str, str] | None = None, held: Mapping[str, str] | None = None) -> list[Finding]:
    """Every number in scope, sorted by number. `prune` overrides `policy.prune`."""
    if prune is None:
        prune = desired.policy.prune
    return diff_changes(desired, live, prune, keep_ok=True, in_flight=in_flight, held=held)[0]


def diff_changes(desired: DesiredState, live: LiveState, prune: bool, *, keep_ok: bool = False,
                 in_flight: Mapping[str, str] | None = None,
                 held: Mapping[str, str] | None = None) -> tuple[list[Finding], int]:
    """(findings sorted by number, how many OK findings were left out of them).

    `plan.make_plan` needs only what is not OK, and over a million numbers most are:
    building and sorting a `Finding` for each would cost more than the whole diff.
    `in_flight`: numbers covered by work Telnyx has not finished (from the state folder's
    journal), with why; no write is proposed for them, whatever live state shows yet.
    `held`: those of them only writes the files do not declare hold (`tracking.InFlight.held_back`):
    a declared one that needs a change is blocked with why (the journal holds it back; it is not
    work toward the files), never in flight.
    """
    pending = in_flight or {}
    held = held or {}
    findings: list[Finding] = []
    append = findings.append
    new = Finding
    # Live halves, interned by value: a few distinct (profile, campaign, status) in any estate.
    halves: dict[tuple[str | None, ...], LiveHalf] = {}
    half_of = halves.get
    campaign_block: dict[str, str | None] = {
        c: campaign_problem(live.campaigns.get(c), c) for c in desired.campaigns()
    }
    number_of = live.numbers.get
    assignment_of = live.assignments.get
    live_profiles = live.profiles
    OK, MOVE, ASSIGN, REASSIGN, RETRY, IN_FLIGHT, BLOCKED = (
        Action.OK, Action.MOVE, Action.ASSIGN, Action.REASSIGN, Action.RETRY, Action.IN_FLIGHT, Action.BLOCKED)
    left_out = 0
    found_numbers = found_assignments = 0  # declared numbers seen in live.numbers / live.assignments
    for number, want in desired.numbers.items():
        have = number_of(number)
        a = assignment_of(number)
        want_profile = want.profile_id
        want_campaign = want.tcr_campaign_id
        if a is not None:
            found_assignments += 1
            live_campaign = a.tcr_campaign_id
            live_status = a.status
            # The common case first: on its profile, assigned to its campaign.
            if (have is not None and live_status == ASSIGNED and live_campaign == want_campaign
                    and have.profile_id == want_profile and have.type == "longcode"
                    and want_profile in live_profiles and a.carrier is None):
                found_numbers += 1
                if keep_ok:
                    key = (want_profile, live_campaign, ASSIGNED)
                    seen = half_of(key) or halves.setdefault(key, LiveHalf(*key))
                    append(new(number, OK, want, seen))
                else:
                    left_out += 1
                continue
        else:
            live_campaign = live_status = None
        reason: str | None = None
        if have is None:
            # Not owned: Telnyx shows nothing of it, or only an assignment record.
            if a is None:
                seen = None
            else:
                key = (None, live_campaign, live_status)
                seen = half_of(key) or halves.setdefault(key, LiveHalf(*key))
            append(new(number, BLOCKED, want, seen, "number is not owned by this Telnyx account: check it for a typo"))
            continue
        found_numbers += 1
        live_profile = have.profile_id
        if have.type == "unknown":
            action, reason = BLOCKED, ("Telnyx does not say what type of number this is (no known 'type'); only "
                                       "US long codes can join a 10DLC campaign: check the number in the portal")
        elif have.type != "longcode":
            action, reason = BLOCKED, f"number is a {have.type}, not a 10DLC long code"
        elif live_profile == INVALID_ID:
            action, reason = BLOCKED, ("Telnyx's number record (GET /phone_numbers/messaging, field messaging_profile_id) "
                                       "names a messaging profile in a shape no id has: nothing is written to this "
                                       "number until it names a plain one; check the number in the portal")
        elif live_campaign == INVALID_ID:
            action, reason = BLOCKED, ("Telnyx's assignment record (GET /10dlc/phone_number_campaigns, field "
                                       "tcrCampaignId, or campaignId) names a campaign in a shape no id has: nothing is "
                                       "written to this number until it names a plain one; check it in the portal")
        elif a is not None and live_status not in KNOWN_STATUSES:
            action, reason = BLOCKED, (f"Telnyx reports assignmentStatus {live_status}, which this reconciler does "
                                       "not know: nothing is written to this number until it does")
        elif want_profile not in live_profiles:
            action, reason = BLOCKED, f"messaging profile {want_profile} does not exist"
        elif live_status in IN_FLIGHT_STATUSES:
            action, reason = IN_FLIGHT, pending.get(number)
        elif a is not None and a.carrier is not None and live_campaign == want_campaign and live_profile == want_profile:
            # ASSIGNED at Telnyx, not (yet) at the carriers: in flight there, or failed there.
            action, reason = (IN_FLIGHT if a.carrier == CARRIER_PENDING else BLOCKED), a.carrier_detail
        elif number in held:
            action, reason = BLOCKED, held[number]
        elif number in pending:
            action, reason = IN_FLIGHT, pending[number]
        elif live_campaign == want_campaign and live_status != FAILED_ASSIGNMENT:
            action = MOVE if live_profile != want_profile else OK
            if live_status == FAILED_UNASSIGNMENT:
                reason = a.failure_reasons if a else None
        else:
            if live_campaign == want_campaign:
                action, reason = RETRY, (a.failure_reasons if a else None)
            elif live_campaign is None or live_status == FAILED_ASSIGNMENT:
                # A failed assignment to another campaign holds nothing: assign afresh.
                action = ASSIGN
                if live_status == FAILED_ASSIGNMENT and a is not None:
                    reason = a.failure_reasons
            else:
                action = REASSIGN
            blocked = campaign_block.get(want_campaign)
            if blocked:
                action, reason = BLOCKED, blocked
            elif live_status == FAILED_ASSIGNMENT and (gone := number_gone(reason)):
                action, reason = BLOCKED, gone
        if action is OK and not keep_ok:
            left_out += 1
            continue
        key = (live_profile, live_campaign, live_status, a.carrier if a is not None else None)
        append(new(number, action, want, half_of(key) or halves.setdefault(key, LiveHalf(*key)), reason))
    # Undeclared numbers exist only if live state holds more than the declared ones found.
    if found_numbers != len(live.numbers) or found_assignments != len(live.assignments):
        findings.extend(_unmanaged(desired, live, prune, pending, halves))
    findings.sort(key=_by_number)
    return findings, left_out


_by_number = attrgetter("number")


def _unmanaged(desired: DesiredState, live: LiveState, prune: bool, pending: Mapping[str, str],
               halves: dict[tuple[str | None, ...], LiveHalf]) -> Iterable[Finding]:
    """Undeclared numbers on a declared profile or assigned to a declared campaign (no desired
    half; `halves` interns their live halves, as in `diff_changes`)."""
    declared = desired.numbers
    campaigns = desired.campaigns()
    profiles = desired.profiles
    numbers = live.numbers
    assignments = live.assignments
    # Set differences run in C; the order does not matter, diff() sorts by number.
    elsewhere = desired.out_of_scope
    seen: set[str] = set()
    for number in assignments.keys() - declared.keys() - elsewhere:
        a = assignments[number]
        if a.tcr_campaign_id not in campaigns:
            continue
        seen.add(number)
        have = numbers.get(number)
        # Not pruned while in flight, nor while its status is one this reconciler does not know (listed
        # unmanaged: `drift` calls one being unassigned under prune in flight, drift.py `_undeclared`).
        in_flight = a.status in IN_FLIGHT_STATUSES or number in pending or a.status not in KNOWN_STATUSES
        action = Action.UNASSIGN if prune and not in_flight else Action.UNMANAGED
        key = (have.profile_id if have else None, a.tcr_campaign_id, a.status)
        yield Finding(number, action, None, halves.get(key) or halves.setdefault(key, LiveHalf(*key)))
    for number in numbers.keys() - declared.keys() - elsewhere - seen:
        have = numbers[number]
        if have.profile_id not in profiles:
            continue
        a = assignments.get(number)
        key = (have.profile_id, a.tcr_campaign_id if a else None, a.status if a else None)
        yield Finding(number, Action.UNMANAGED, None, halves.get(key) or halves.setdefault(key, LiveHalf(*key)))
