"""The reconciler's vocabulary: desired state, live state, and nothing else.

Pure values with no I/O and no third-party imports. Every other layer speaks
in these types: `desired` builds `DesiredState`, `live` builds `LiveState`,
`diff`/`plan` turn the pair into a plan.

Objects are frozen slots dataclasses because estates reach a million numbers:
one `DesiredNumber` costs ~90 bytes plus its number string, and the strings it
shares (profile id, campaign id, file path) are interned by the loader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Mapping

class AssignmentStatus(StrEnum):
    """`assignmentStatus` of a 10DLC PhoneNumberCampaign record: the only values the reconciler accepts."""

    ASSIGNED = "ASSIGNED"  # sends, while its campaign is active and its share ACCEPTED
    PENDING_ASSIGNMENT = "PENDING_ASSIGNMENT"  # Telnyx is assigning it (about two hours, sometimes days)
    PENDING_UNASSIGNMENT = "PENDING_UNASSIGNMENT"  # Telnyx is removing it
    FAILED_ASSIGNMENT = "FAILED_ASSIGNMENT"
    FAILED_UNASSIGNMENT = "FAILED_UNASSIGNMENT"  # the removal failed: still on its campaign


# The same values as plain strings: live records hold plain strings, and the hot loops over 100,000 of
# them compare and hash these (an enum member hashes in Python code, a str in C).
ASSIGNED = AssignmentStatus.ASSIGNED.value
PENDING_ASSIGNMENT = AssignmentStatus.PENDING_ASSIGNMENT.value
PENDING_UNASSIGNMENT = AssignmentStatus.PENDING_UNASSIGNMENT.value
FAILED_ASSIGNMENT = AssignmentStatus.FAILED_ASSIGNMENT.value
FAILED_UNASSIGNMENT = AssignmentStatus.FAILED_UNASSIGNMENT.value
ASSIGNMENT_STATUSES = frozenset(s.value for s in AssignmentStatus)
IN_FLIGHT_STATUSES = frozenset({PENDING_ASSIGNMENT, PENDING_UNASSIGNMENT})
# Carrier readiness of an ASSIGNED record (`tmobileNumberMappingStatus` / `nonTmobileNumberMappingStatus`,
# where Telnyx sends them): None = ready, or the fields are absent (the record says nothing more).
CARRIER_PENDING = "pending"  # a carrier has not mapped the number yet: in flight at carriers
CARRIER_FAILED = "failed"  # a carrier refused it
# What the live reader (`live.records.safe_id`) puts in place of an id Telnyx gave in a shape no id
# has: never a target (no declared profile or campaign has it), and a declared number whose record
# carries it is blocked (`diff`): nothing is known of where it really is.
INVALID_ID = "invalid-id"

class CampaignKind(StrEnum):
    """Where a campaign is registered. Values appear in JSON output and saved plans."""

    SHARED = "shared"  # registered at TCR by a CSP and shared to Telnyx (a partner campaign)
    TELNYX = "telnyx"  # registered inside the Telnyx account


SHARED, TELNYX = CampaignKind.SHARED, CampaignKind.TELNYX

# Sharing statuses beyond TCR's PENDING/ACCEPTED/DECLINED, for answers that do not give one:
CONFLICTING = "CONFLICTING"  # a sharing map whose entries disagree, none named as the share to Telnyx
OTHER_PARTNER = "OTHER_PARTNER"  # every entry names its partner, and none of them is Telnyx
# Telnyx's TCR CNP id: what a CSP names as upstream when it shares a campaign to Telnyx
# (10dlc-domain.md §0, confirmed by Telnyx's shared-campaign FAQ).
TELNYX_CNP_ID = "SS4XJ6D"

# T-Mobile's per-campaign cap without number pooling (support article 6325734).
CAMPAIGN_CAP = 49


@dataclass(frozen=True, slots=True)
class Location:
    """Where something was declared: `path:line:col`, 1-based."""

    path: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(slots=True)
class DesiredNumber:
    """One declared number. Not `frozen`: a frozen dataclass pays an `object.__setattr__`
    per field, 4x the cost of building a million of these; treat it as a value anyway."""

    number: str  # E.164, "+1" and ten digits
    profile_id: str
    tcr_campaign_id: str
    path: str
    line: int
    col: int

    @property
    def where(self) -> Location:
        return Location(self.path, self.line, self.col)


@dataclass(frozen=True, slots=True)
class DesiredProfile:
    id: str
    name: str | None
    campaigns: tuple[str, ...]  # TCR campaign ids declared under this profile, in file order
    where: Location | None = None


@dataclass(frozen=True, slots=True)
class ChangeWindow:
    """One `policy.change_windows` item: when a plan that stops sending numbers may be applied
    (`reconciler.windows` reads it). Values as declared: `days` of mon..sun (empty: every day),
    `start`/`end` wall-clock HH:MM in `timezone` (IANA)."""

    days: tuple[str, ...]
    start: str
    end: str
    timezone: str = "UTC"
    where: Location | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, object]:
        return {"days": list(self.days), "start": self.start, "end": self.end, "timezone": self.timezone}


@dataclass(frozen=True, slots=True)
class Policy:
    """The `policy:` block. `None` limits mean "use the default" (see `plan.py`)."""

    prune: bool = False
    max_unassign: int | None = None
    max_unassign_percent: float | None = None
    max_reassign: int | None = None
    max_reassign_percent: float | None = None
    # Numbers already ASSIGNED that bulk tasks would send again (Telnyx may provision them again:
    # sandbox mode bulk_same). None: no limit; the plan always says how many.
    max_reprovision: int | None = None
    where: Location | None = None
    # When apply may run a plan that stops sending numbers; empty: at any time.
    change_windows: tuple[ChangeWindow, ...] = ()


@dataclass(frozen=True)
class DesiredState:
    profiles: Mapping[str, DesiredProfile]
    numbers: Mapping[str, DesiredNumber]  # keyed by E.164 number
    policy: Policy = field(default_factory=Policy)
    # Numbers declared in the files but outside a --profile/--campaign subset run:
    # never "unmanaged" (so never pruned), and never swept up by a bulk assignment.
    out_of_scope: frozenset[str] = frozenset()

    def campaigns(self) -> frozenset[str]:
        return frozenset(c for p in self.profiles.values() for c in p.campaigns)

    def subset(self, profiles: frozenset[str] = frozenset(), campaigns: frozenset[str] = frozenset()) -> DesiredState:
        """Only these profiles and/or campaigns (empty = all): CI fans out over profile groups."""
        if not profiles and not campaigns:
            return self
        keep = {
            pid: DesiredProfile(p.id, p.name, tuple(c for c in p.campaigns if not campaigns or c in campaigns), p.where)
            for pid, p in self.profiles.items()
            if not profiles or pid in profiles
        }
        keep = {pid: p for pid, p in keep.items() if p.campaigns}
        numbers = {
            n: d for n, d in self.numbers.items()
            if d.profile_id in keep and d.tcr_campaign_id in keep[d.profile_id].campaigns
        }
        others = frozenset(n for n in self.numbers if n not in numbers) | self.out_of_scope
        return DesiredState(keep, numbers, self.policy, others)


@dataclass(frozen=True, slots=True)
class LiveNumber:
    """A number the account owns, as the messaging-settings endpoints show it."""

    number: str
    id: str  # Telnyx's numeric id, needed by the messaging PATCH
    profile_id: str | None
    type: str  # normalised: "longcode" | "tollfree" | "shortcode"


@dataclass(frozen=True, slots=True)
class LiveAssignment:
    """One 10DLC phone-number-campaign record."""

    number: str
    tcr_campaign_id: str
    status: str  # assignmentStatus
    failure_reasons: str | None = None
    since: float | None = None  # updatedAt (epoch seconds): how long a PENDING_* has lasted
    shared: bool | None = None  # on a shared campaign (the record's brandId is empty); None: cannot tell
    carrier: str | None = None  # ASSIGNED only: CARRIER_PENDING | CARRIER_FAILED; None: ready or not said
    carrier_detail: str | None = None  # what the carriers' fields say, for people (bounded, verbatim)


@dataclass(frozen=True, slots=True)
class LiveCampaign:
    tcr_campaign_id: str
    kind: CampaignKind
    sharing_status: str | None  # shared only; None when unknown
    campaign_status: str | None  # Telnyx campaignStatus enum
    number_pooling: bool = False
    telnyx_campaign_id: str | None = None  # TELNYX kind only: the UUID bulk/per-number writes need
    assigned_count: int | None = None
    failure_reasons: str | None = None  # Telnyx's `failureReasons` of the campaign, as it gives them
    # TELNYX kind only: `nextRenewalOrExpirationDate` (epoch seconds) and `autoRenewal`, where Telnyx gives them
    renewal_at: float | None = None
    auto_renewal: bool | None = None


@dataclass
class LiveState:
    """What the reconciler read from Telnyx.

    `numbers` holds every number on a declared profile plus every declared
    number wherever it sits; a declared number missing here is not owned.
    `assignments` holds the assignments of declared campaigns and of declared
    numbers. `campaigns` holds each declared campaign that Telnyx knows;
    `profiles` each declared profile that exists (id -> name).
    """

    numbers: dict[str, LiveNumber] = field(default_factory=dict)
    assignments: dict[str, LiveAssignment] = field(default_factory=dict)
    campaigns: dict[str, LiveCampaign] = field(default_factory=dict)
    profiles: dict[str, str | None] = field(default_factory=dict)
    # `assignedPhoneNumbersCount` of every campaign the campaign lists showed, declared or not: tells
    # whether a plan empties a campaign the files no longer declare (Telnyx suspends an empty one).
    campaign_counts: dict[str, int] = field(default_factory=dict)
    read_at: float | None = None  # Telnyx's clock when the state was read (epoch seconds), where known


def plural(n: int, one: str, many: str) -> str:
    """`1 number`, `2 numbers`: every report and message says counts the same way."""
    return f"{n} {one if n == 1 else many}"
