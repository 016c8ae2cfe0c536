"""The world's read side: lookups and list queries, so that handlers never read the store's arrays.

Lookups raise `domain.NotFound` (or `NotE164`) naming the input at fault; list queries return
slots in the order asked for, as a `SlotIndex` (a page is a slice of it) or a list. Results no
index covers are cached until the state they depend on changes (`cached`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from reconciler.sandbox import domain as D
from reconciler.sandbox.jobs import Order, Task
from reconciler.sandbox.seed import E164_RE
from reconciler.sandbox.slots import SlotIndex
from reconciler.sandbox.state import NUMBER_TYPES, STATUS_NAMES, Brand, Campaign, Profile, Store

Slots = SlotIndex | Sequence[int]


class Queries:
    """Mixed into `World` (engine.py): every method reads, none changes the world."""

    store: Store
    modes: dict[str, str]
    tasks: dict[str, Task]
    orders: dict[str, Order]
    cache: dict[Any, Any]

    # ---- one record ------------------------------------------------------------------------

    def number_slot(self, e164: str, pointer: str | None = None, parameter: str | None = None) -> int:
        if not E164_RE.match(e164):
            raise D.NotE164(f"{e164!r} is not a +E.164 phone number", pointer=pointer, parameter=parameter)
        slot = self.store.by_e164.get(e164)
        if slot is None:
            raise D.NotFound(f"Number {e164} not found on this account", pointer=pointer, parameter=parameter)
        return slot

    def record_slot(self, e164: str) -> int:
        """The slot of a number that has an assignment record (a path's `phoneNumber`)."""
        slot = self.number_slot(e164, parameter="phoneNumber")
        if self.store.acamp[slot] < 0:
            raise D.NotFound(f"Number {e164} has no campaign assignment", parameter="phoneNumber")
        return slot

    def find_number_by_id(self, raw_id: str) -> int:
        s = self.store
        if raw_id.isdigit():
            slot = s.slot_for_id(int(raw_id))
            if slot is not None:
                return slot
        elif self.modes["phone_id"] == "numeric_or_e164" and E164_RE.match(raw_id):
            slot = s.by_e164.get(raw_id)
            if slot is not None:
                return slot
        raise D.NotFound(f"Phone number {raw_id} not found", parameter="id")

    def status_name(self, slot: int) -> str:
        return STATUS_NAMES[self.store.astatus[slot]]

    def profile(self, pid: str) -> Profile:
        idx = self.store.profile_by_id.get(pid.lower())
        if idx is None:
            raise D.NotFound(f"Messaging profile {pid} not found", parameter="id")
        return self.store.profiles[idx]

    def task(self, task_id: str) -> Task:
        task = self.tasks.get(task_id)
        if task is None:
            raise D.NotFound(f"Task {task_id} not found", parameter="taskId")
        return task

    def order(self, order_id: str) -> Order:
        order = self.orders.get(order_id)
        if order is None:
            raise D.NotFound(f"Order {order_id} not found", parameter="order_id")
        return order

    # ---- campaigns and brands --------------------------------------------------------------

    def partner_campaign(self, campaign_id: str, *, any_sharing: bool = False) -> Campaign:
        """A campaign shared with this account, by TCR id; only an accepted one unless `any_sharing`."""
        s = self.store
        idx = s.campaign_by_tcr.get(campaign_id)
        if idx is None or s.campaigns[idx].kind != "shared":
            raise D.NotFound(f"Partner campaign {campaign_id} not found", parameter="campaignId")
        campaign = s.campaigns[idx]
        if not any_sharing and campaign.sharing_status != "ACCEPTED":
            # Shares Telnyx has not accepted are visible only through the sharing endpoint.
            raise D.NotFound(f"Partner campaign {campaign_id} not found (sharing {campaign.sharing_status})",
                             parameter="campaignId")
        return campaign

    def accepted_partner_campaigns(self) -> list[Campaign]:
        # "limited to only returning shared campaigns that Telnyx has accepted" (telnyx-api.md §4.1)
        return [c for c in self.store.campaigns if c.kind == "shared" and c.sharing_status == "ACCEPTED"]

    def telnyx_campaign(self, campaign_id: str) -> Campaign:
        """One of the account's own campaigns, by its Telnyx UUID."""
        s = self.store
        idx = s.campaign_by_uuid.get(campaign_id.lower())
        if idx is None:
            raise D.NotFound(f"Campaign {campaign_id} not found", parameter="campaignId")
        return s.campaigns[idx]

    def any_campaign(self, campaign_id: str) -> Campaign:
        """An own campaign by Telnyx UUID, or any campaign by TCR id."""
        s = self.store
        idx = s.campaign_by_uuid.get(campaign_id.lower())
        if idx is None:
            idx = s.campaign_by_tcr.get(campaign_id)
        if idx is None:
            raise D.NotFound(f"Campaign {campaign_id} not found", parameter="campaignId")
        return s.campaigns[idx]

    def campaigns_of_brand(self, brand_id: str) -> list[Campaign]:
        s = self.store
        want = brand_id.lower()
        return [c for c in s.campaigns if c.brand_idx >= 0 and s.brands[c.brand_idx].brand_id == want]

    def brands(self) -> list[Brand]:
        return list(self.store.brands)

    def profiles_named(self, *, equal: Sequence[str] = (), contains: str | None = None) -> list[Profile]:
        """Profiles whose name is each of `equal` and contains `contains`, in creation order."""
        profiles = list(self.store.profiles)
        for name in equal:
            profiles = [p for p in profiles if p.name == name]
        if contains is not None:
            profiles = [p for p in profiles if contains in p.name]
        return profiles

    # ---- lists -----------------------------------------------------------------------------

    def cached(self, key: tuple[Any, ...], build: Callable[[], list[int]], *, status: bool = False) -> list[int]:
        """Query results that no index covers, cached until the state they depend on changes."""
        s = self.store
        stamp = (s.version, s.status_version if status else 0)
        hit = self.cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]  # type: ignore[no-any-return]
        if len(self.cache) > 64:
            self.cache.clear()
        value = build()
        self.cache[key] = (stamp, value)
        return value

    def assignment_slots(self, order: str, *, tcr_campaign_id: str | None = None,
                         telnyx_campaign_id: str | None = None, telnyx_brand_id: str | None = None,
                         tcr_brand_id: str | None = None) -> Slots:
        """Slots with an assignment record, filtered, ascending by `order` ("phoneNumber" |
        "createdAt" | "assignmentStatus", then phone number)."""
        s = self.store
        camps: set[int] | None = None

        def narrow(found: set[int]) -> None:
            nonlocal camps
            camps = found if camps is None else camps & found

        if tcr_campaign_id is not None:
            idx = s.campaign_by_tcr.get(tcr_campaign_id)
            narrow(set() if idx is None else {idx})
        if telnyx_campaign_id is not None:
            idx = s.campaign_by_uuid.get(telnyx_campaign_id.lower())
            narrow(set() if idx is None else {idx})
        if telnyx_brand_id is not None:
            want = telnyx_brand_id.lower()
            narrow({c.idx for c in s.campaigns if c.brand_idx >= 0 and s.brands[c.brand_idx].brand_id == want})
        if tcr_brand_id is not None:
            narrow({c.idx for c in s.campaigns if c.tcr_brand_id == tcr_brand_id})

        if order == "assignmentStatus":
            key = ("pnc-status", None if camps is None else frozenset(camps))
            base = s.asg_by_number.slots if camps is None else [x for c in sorted(camps) for x in s.campaigns[c].by_number.slots]
            return self.cached(
                key, lambda: sorted(base, key=lambda slot: (STATUS_NAMES[s.astatus[slot]], s.e164[slot])), status=True
            )
        if camps is None:
            return s.asg_by_number if order == "phoneNumber" else s.asg_by_created
        if len(camps) == 1:
            campaign = s.campaigns[next(iter(camps))]
            return campaign.by_number if order == "phoneNumber" else campaign.by_created
        chosen = sorted(camps)
        keyf = s.e164_key if order == "phoneNumber" else s.seq_key
        return self.cached(
            ("pnc", order, frozenset(chosen)),
            lambda: sorted((x for c in chosen for x in s.campaigns[c].by_number.slots), key=keyf),
        )

    def number_slots(self, *, phone_numbers: frozenset[str] | None = None, profile_id: str | None = None,
                     contains: str | None = None, number_type: str | None = None) -> Slots:
        """Slots of the account's numbers, filtered, ascending by phone number."""
        s = self.store
        source: Slots
        if phone_numbers is not None:
            source = sorted((s.by_e164[n] for n in phone_numbers if n in s.by_e164), key=s.e164_key)
            if profile_id is not None:
                target = s.profile_by_id.get(profile_id.lower(), -2)
                source = [x for x in source if s.nprofile[x] == target]
        elif profile_id is not None:
            idx = s.profile_by_id.get(profile_id.lower())
            source = s.profiles[idx].numbers if idx is not None else []
        else:
            source = s.all_numbers
        if contains is None and number_type is None:
            return source
        base = source.slots if isinstance(source, SlotIndex) else source
        code = NUMBER_TYPES.index(number_type) if number_type is not None else -1
        return self.cached(
            ("numbers", phone_numbers, profile_id, contains, number_type),
            lambda: [
                x
                for x in base
                if (code < 0 or s.ntype[x] == code) and (contains is None or contains in s.e164[x])  # type: ignore[operator]
            ],
        )
