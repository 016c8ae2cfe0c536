"""Compact storage for the sandbox's world; its indexes (slots.py) keep list pages O(page).

A million numbers must fit in well under 1 GiB, so numbers and their campaign assignments
live in parallel arrays indexed by a *slot* (an int), not in per-number objects. Slots are
never reused: a deleted number leaves a `None` in `e164`, so a stale slot can never alias a
new number, and a number's numeric id is simply `id_base + slot`.

Everything here runs on the server's single event-loop thread; there are no locks.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field

from reconciler.sandbox.ids import brand_uuid, campaign_uuid, tcr_brand_id
from reconciler.sandbox.slots import SlotIndex

NUMBER_TYPES = ("longcode", "tollfree", "shortcode")
LONGCODE, TOLLFREE, SHORTCODE = 0, 1, 2

# Assignment status codes (index into STATUS_NAMES). 0 means "no record".
NO_RECORD = 0
PENDING_ASSIGNMENT = 1
ASSIGNED = 2
FAILED_ASSIGNMENT = 3
PENDING_UNASSIGNMENT = 4
FAILED_UNASSIGNMENT = 5
STATUS_NAMES = (
    "",
    "PENDING_ASSIGNMENT",
    "ASSIGNED",
    "FAILED_ASSIGNMENT",
    "PENDING_UNASSIGNMENT",
    "FAILED_UNASSIGNMENT",
)
STATUS_CODES = {name: code for code, name in enumerate(STATUS_NAMES) if name}

CAMPAIGN_STATUSES = (
    "TCR_PENDING",
    "TCR_SUSPENDED",
    "TCR_EXPIRED",
    "TCR_ACCEPTED",
    "TCR_FAILED",
    "TELNYX_ACCEPTED",
    "TELNYX_FAILED",
    "MNO_PENDING",
    "MNO_ACCEPTED",
    "MNO_REJECTED",
    "MNO_PROVISIONED",
    "MNO_PROVISIONING_FAILED",
)
SHARING_STATUSES = ("PENDING", "ACCEPTED", "DECLINED")


@dataclass
class Profile:
    idx: int
    id: str
    name: str
    created: float
    numbers: SlotIndex  # slots of the numbers on this profile, by phone number


@dataclass
class Brand:
    idx: int
    brand_id: str
    tcr_brand_id: str
    display_name: str
    created: float


@dataclass
class Campaign:
    idx: int
    tcr_id: str
    kind: str  # "shared" | "telnyx"
    sharing_status: str
    campaign_status: str
    number_pooling: bool
    telnyx_id: str  # "" for shared campaigns
    brand_idx: int  # -1 for shared campaigns
    tcr_brand_id: str
    created: float
    updated: float
    by_number: SlotIndex  # slots with a record on this campaign, by phone number
    by_created: SlotIndex  # same slots, by record creation order
    failed: int = 0  # how many of those records are FAILED_ASSIGNMENT
    webhook_url: str | None = None
    webhook_failover_url: str | None = None
    usecase: str = "MIXED"
    failure_reasons: str | None = None  # failureReasons, where set (seed or admin)
    renewal: str | None = None  # TELNYX kind: nextRenewalOrExpirationDate as served (ISO 8601), where set
    auto_renewal: bool | None = None  # TELNYX kind: autoRenewal, where set

    @property
    def active_count(self) -> int:
        """Numbers that count against the 49 cap: every record except FAILED_ASSIGNMENT."""
        return len(self.by_number) - self.failed

    @property
    def campaign_id(self) -> str:
        """What a PhoneNumberCampaign record's `campaignId` holds for this campaign."""
        return self.telnyx_id or self.tcr_id


@dataclass
class Store:
    """The whole world: profiles, numbers, campaigns, brands and assignment records."""

    id_base: int
    profiles: list[Profile] = field(default_factory=list)
    profile_by_id: dict[str, int] = field(default_factory=dict)
    campaigns: list[Campaign] = field(default_factory=list)
    campaign_by_tcr: dict[str, int] = field(default_factory=dict)
    campaign_by_uuid: dict[str, int] = field(default_factory=dict)
    brands: list[Brand] = field(default_factory=list)
    # numbers, by slot
    e164: list[str | None] = field(default_factory=list)
    by_e164: dict[str, int] = field(default_factory=dict)
    ntype: bytearray = field(default_factory=bytearray)
    nprofile: array = field(default_factory=lambda: array("i"))
    ncreated: array = field(default_factory=lambda: array("d"))
    nupdated: array = field(default_factory=lambda: array("d"))
    ntags: dict[int, list[str]] = field(default_factory=dict)  # sparse
    nproduct: dict[int, str] = field(default_factory=dict)  # sparse; default "A2P"
    # assignment records, by slot (acamp == -1: no record)
    acamp: array = field(default_factory=lambda: array("i"))
    astatus: bytearray = field(default_factory=bytearray)
    acreated: array = field(default_factory=lambda: array("d"))
    aupdated: array = field(default_factory=lambda: array("d"))
    aseq: array = field(default_factory=lambda: array("q"))
    agen: array = field(default_factory=lambda: array("I"))
    areason: dict[int, str] = field(default_factory=dict)  # sparse
    # The carriers' mapping of a record (T-Mobile, the others), where it is not what the record's
    # status implies (render.mapping_of): lagging, failed, or set by the admin. Sparse; a change of
    # the record's status drops it.
    amap: dict[int, tuple[str | None, str | None]] = field(default_factory=dict)
    next_seq: int = 0
    # Structural version: bumps whenever index membership changes (cached query results
    # key on it). Status version: bumps whenever any assignment status changes.
    version: int = 0
    status_version: int = 0

    def __post_init__(self) -> None:
        self.all_numbers = SlotIndex(self.e164_key)
        self.asg_by_number = SlotIndex(self.e164_key)
        self.asg_by_created = SlotIndex(self.seq_key)

    # sort keys of a slot: its phone number, and its record's creation order
    def e164_key(self, slot: int) -> str:
        return self.e164[slot]  # type: ignore[return-value]

    def seq_key(self, slot: int) -> int:
        return self.aseq[slot]  # type: ignore[no-any-return]

    # ---- profiles, brands, campaigns ------------------------------------------------------

    def add_profile(self, pid: str, name: str, now: float) -> Profile:
        profile = Profile(len(self.profiles), pid, name, now, SlotIndex(self.e164_key))
        self.profiles.append(profile)
        self.profile_by_id[pid] = profile.idx
        return profile

    def add_campaign(
        self,
        tcr_id: str,
        kind: str,
        sharing_status: str,
        campaign_status: str,
        number_pooling: bool,
        now: float,
    ) -> Campaign:
        brand_idx = -1
        telnyx_id = ""
        if kind == "telnyx":
            brand = Brand(len(self.brands), brand_uuid(tcr_id), tcr_brand_id(tcr_id), f"Brand {tcr_id}", now)
            self.brands.append(brand)
            brand_idx = brand.idx
            telnyx_id = campaign_uuid(tcr_id)
        campaign = Campaign(
            idx=len(self.campaigns),
            tcr_id=tcr_id,
            kind=kind,
            sharing_status=sharing_status,
            campaign_status=campaign_status,
            number_pooling=number_pooling,
            telnyx_id=telnyx_id,
            brand_idx=brand_idx,
            tcr_brand_id=tcr_brand_id(tcr_id),
            created=now,
            updated=now,
            by_number=SlotIndex(self.e164_key),
            by_created=SlotIndex(self.seq_key),
        )
        self.campaigns.append(campaign)
        self.campaign_by_tcr[tcr_id] = campaign.idx
        if telnyx_id:
            self.campaign_by_uuid[telnyx_id] = campaign.idx
        return campaign

    # ---- numbers ---------------------------------------------------------------------------

    def number_id(self, slot: int) -> int:
        return self.id_base + slot

    def slot_for_id(self, number_id: int) -> int | None:
        slot = number_id - self.id_base
        if 0 <= slot < len(self.e164) and self.e164[slot] is not None:
            return slot
        return None

    def add_number(self, e164: str, ntype: int, profile_idx: int, now: float, *, index: bool = True) -> int:
        slot = len(self.e164)
        self.e164.append(e164)
        self.by_e164[e164] = slot
        self.ntype.append(ntype)
        self.nprofile.append(profile_idx)
        self.ncreated.append(now)
        self.nupdated.append(now)
        self.acamp.append(-1)
        self.astatus.append(NO_RECORD)
        self.acreated.append(0.0)
        self.aupdated.append(0.0)
        self.aseq.append(0)
        self.agen.append(0)
        if index:
            self.all_numbers.add(slot)
            if profile_idx >= 0:
                self.profiles[profile_idx].numbers.add(slot)
            self.version += 1
        return slot

    def set_profile(self, slot: int, profile_idx: int, now: float) -> None:
        old = self.nprofile[slot]
        if old == profile_idx:
            return
        if old >= 0:
            self.profiles[old].numbers.remove(slot)
        if profile_idx >= 0:
            self.profiles[profile_idx].numbers.add(slot)
        self.nprofile[slot] = profile_idx
        self.nupdated[slot] = now
        self.version += 1

    def delete_number(self, slot: int) -> None:
        self.drop_record(slot)
        self.set_profile(slot, -1, 0.0)
        self.all_numbers.remove(slot)
        del self.by_e164[self.e164[slot]]  # type: ignore[arg-type]
        self.e164[slot] = None
        self.ntags.pop(slot, None)
        self.nproduct.pop(slot, None)
        self.version += 1

    def live_slots(self) -> Iterable[int]:
        return (slot for slot, e in enumerate(self.e164) if e is not None)

    # ---- assignment records ----------------------------------------------------------------

    def has_record(self, slot: int) -> bool:
        return self.acamp[slot] >= 0

    def create_record(self, slot: int, camp_idx: int, status: int, reason: str | None, now: float) -> None:
        """A new record (new createdAt); any old one is dropped first."""
        self.drop_record(slot)
        self.aseq[slot] = self.next_seq
        self.next_seq += 1
        self.acamp[slot] = camp_idx
        self.astatus[slot] = status
        self.acreated[slot] = now
        self.aupdated[slot] = now
        self.agen[slot] = (self.agen[slot] + 1) & 0xFFFFFFFF
        if reason is not None:
            self.areason[slot] = reason
        self.amap.pop(slot, None)
        campaign = self.campaigns[camp_idx]
        campaign.by_number.add(slot)
        campaign.by_created.add(slot)
        if status == FAILED_ASSIGNMENT:
            campaign.failed += 1
        self.asg_by_number.add(slot)
        self.asg_by_created.add(slot)
        self.version += 1
        self.status_version += 1

    def move_record(self, slot: int, camp_idx: int, status: int, now: float) -> None:
        """Point an existing record at another campaign, keeping its createdAt (PUT replace)."""
        old = self.campaigns[self.acamp[slot]]
        old.by_number.remove(slot)
        old.by_created.remove(slot)
        if self.astatus[slot] == FAILED_ASSIGNMENT:
            old.failed -= 1
        self.acamp[slot] = camp_idx
        self.astatus[slot] = NO_RECORD  # set_status below re-counts
        new = self.campaigns[camp_idx]
        new.by_number.add(slot)
        new.by_created.add(slot)
        self.version += 1
        self.set_status(slot, status, None, now)

    def set_status(self, slot: int, status: int, reason: str | None, now: float) -> None:
        campaign = self.campaigns[self.acamp[slot]]
        old = self.astatus[slot]
        if old == FAILED_ASSIGNMENT:
            campaign.failed -= 1
        if status == FAILED_ASSIGNMENT:
            campaign.failed += 1
        self.astatus[slot] = status
        self.aupdated[slot] = now
        self.agen[slot] = (self.agen[slot] + 1) & 0xFFFFFFFF
        if reason is None:
            self.areason.pop(slot, None)
        else:
            self.areason[slot] = reason
        self.amap.pop(slot, None)
        self.status_version += 1

    def drop_record(self, slot: int) -> None:
        camp_idx = self.acamp[slot]
        if camp_idx < 0:
            return
        campaign = self.campaigns[camp_idx]
        campaign.by_number.remove(slot)
        campaign.by_created.remove(slot)
        if self.astatus[slot] == FAILED_ASSIGNMENT:
            campaign.failed -= 1
        self.asg_by_number.remove(slot)
        self.asg_by_created.remove(slot)
        self.acamp[slot] = -1
        self.astatus[slot] = NO_RECORD
        self.agen[slot] = (self.agen[slot] + 1) & 0xFFFFFFFF
        self.areason.pop(slot, None)
        self.amap.pop(slot, None)
        self.version += 1
        self.status_version += 1

    def set_mapping(self, slot: int, tmobile: str | None, others: str | None) -> None:
        """The carriers' mapping of the slot's record; (None, None): what its status implies."""
        if tmobile is None and others is None:
            self.amap.pop(slot, None)
        else:
            self.amap[slot] = (tmobile, others)
        self.status_version += 1

    def put_record_raw(self, slot: int, camp_idx: int, status: int, reason: str | None, now: float) -> None:
        """Seeding fast path: write a record without touching indexes (call rebuild_indexes)."""
        self.aseq[slot] = self.next_seq
        self.next_seq += 1
        self.acamp[slot] = camp_idx
        self.astatus[slot] = status
        self.acreated[slot] = now
        self.aupdated[slot] = now
        if reason is not None:
            self.areason[slot] = reason

    def rebuild_indexes(self) -> None:
        """Rebuild every index from the arrays: O(N log N) once, after a bulk load."""
        live = [slot for slot, e in enumerate(self.e164) if e is not None]
        self.all_numbers.rebuild(live)
        per_profile: list[list[int]] = [[] for _ in self.profiles]
        per_campaign: list[list[int]] = [[] for _ in self.campaigns]
        for campaign in self.campaigns:
            campaign.failed = 0
        with_record = []
        nprofile, acamp, astatus = self.nprofile, self.acamp, self.astatus
        for slot in live:
            p = nprofile[slot]
            if p >= 0:
                per_profile[p].append(slot)
            c = acamp[slot]
            if c >= 0:
                per_campaign[c].append(slot)
                with_record.append(slot)
                if astatus[slot] == FAILED_ASSIGNMENT:
                    self.campaigns[c].failed += 1
        for profile, slots in zip(self.profiles, per_profile):
            profile.numbers.rebuild(slots)
        for campaign, slots in zip(self.campaigns, per_campaign):
            campaign.by_number.rebuild(slots)
            campaign.by_created.rebuild(slots)
        self.asg_by_number.rebuild(with_record)
        self.asg_by_created.rebuild(with_record)
        self.version += 1
        self.status_version += 1
