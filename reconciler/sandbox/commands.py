"""The world's write side: what each API write asks of the world, checked against the rules.

Every command checks the 10DLC rules and the modes in force (engine.py's docstring lists the
rules) and either changes the store or raises a `domain` refusal; a write for work already
in flight is counted as redundant (`redundant_writes`: a client must never send one). What
happens later (a record resolving, a task running, an order moving numbers) is scheduled as
events on the world's clock and carried out by the engine.
"""

from __future__ import annotations

import random
from typing import Any, Callable

from reconciler.sandbox import domain as D
from reconciler.sandbox.clock import Clock
from reconciler.sandbox.jobs import Event, Order, Task
from reconciler.sandbox.seed import E164_RE
from reconciler.sandbox.state import (
    ASSIGNED,
    FAILED_ASSIGNMENT,
    FAILED_UNASSIGNMENT,
    PENDING_ASSIGNMENT,
    PENDING_UNASSIGNMENT,
    Campaign,
    Store,
)
from reconciler.sandbox.timing import Timing


class Commands:
    """Mixed into `World` (engine.py); the rules, events and lookups it calls are the world's."""

    store: Store
    clock: Clock
    modes: dict[str, str]
    timing: Timing
    rng: random.Random
    tasks: dict[str, Task]
    orders: dict[str, Order]
    redundant_writes: int
    deleted: set[int]  # mode unassign_end: removals a DELETE started

    # ---- per-number assignment -------------------------------------------------------------

    def campaign_for_per_number(self, campaign_id: str) -> Campaign:
        """`campaignId` of a per-number request: a Telnyx UUID, or the TCR id of a shared campaign."""
        s = self.store
        idx = s.campaign_by_uuid.get(campaign_id.lower())
        if idx is None:
            idx = s.campaign_by_tcr.get(campaign_id)
            if idx is not None and s.campaigns[idx].kind != "shared":
                idx = None  # a Telnyx campaign is known by its UUID here, not its TCR id
        if idx is None:
            raise D.NotFound(f"Campaign {campaign_id} not found", pointer="/campaignId")
        campaign = s.campaigns[idx]
        if campaign.kind == "shared" and self.modes["shared_per_number"] == "reject":
            raise D.Refused(
                f"Campaign {campaign.tcr_id} is a shared campaign; shared campaigns are assigned by messaging "
                "profile (POST /10dlc/phoneNumberAssignmentByProfile with tcrCampaignId)",
                pointer="/campaignId",
            )
        return campaign

    def _start_assignment(self, slot: int, campaign: Campaign, now: float, *, keep_created: bool = False) -> None:
        s = self.store
        if keep_created and s.acamp[slot] >= 0:
            s.move_record(slot, campaign.idx, PENDING_ASSIGNMENT, now)
        else:
            s.create_record(slot, campaign.idx, PENDING_ASSIGNMENT, None, now)
        self.expect_resolution(slot, now)

    def _check_new(self, slot: int, campaign: Campaign) -> None:
        for problem in (self.number_problem(slot), self.campaign_problem(campaign), self.cap_problem(campaign)):
            if problem is not None:
                raise D.Refused(problem)

    def create_assignment(self, phone_number: str, campaign_id: str) -> int:
        s = self.store
        now = self.clock.now()
        slot = self.number_slot(phone_number, pointer="/phoneNumber")
        campaign = self.campaign_for_per_number(campaign_id)
        # Mode failed_retry: whether a FAILED_ASSIGNMENT record still counts as an assignment.
        retry_failed = self.modes["failed_retry"] == "retry"
        if s.acamp[slot] >= 0 and (s.astatus[slot] != FAILED_ASSIGNMENT or not retry_failed):
            if s.acamp[slot] == campaign.idx and s.astatus[slot] == PENDING_ASSIGNMENT:
                self._redundant()
            other = s.campaigns[s.acamp[slot]]
            raise D.Conflict(
                f"Number {phone_number} is already assigned to campaign {other.campaign_id} "
                f"({self.status_name(slot)}); a number can be on one campaign only",
                pointer="/phoneNumber",
            )
        self._check_new(slot, campaign)
        self._start_assignment(slot, campaign, now)
        return slot

    def put_assignment(self, path_number: str, phone_number: str, campaign_id: str) -> int:
        s = self.store
        now = self.clock.now()
        if phone_number != path_number:
            raise D.Invalid(f"phoneNumber {phone_number!r} does not match the path's {path_number!r}", pointer="/phoneNumber")
        slot = self.number_slot(phone_number, pointer="/phoneNumber")
        campaign = self.campaign_for_per_number(campaign_id)
        status = s.astatus[slot]
        if s.acamp[slot] < 0 or status == FAILED_ASSIGNMENT:
            self._check_new(slot, campaign)
            self._start_assignment(slot, campaign, now)
            return slot
        if status == PENDING_UNASSIGNMENT:
            raise D.InUse(f"Number {phone_number} is being unassigned; wait until it is gone")
        if s.acamp[slot] == campaign.idx:
            if status == PENDING_ASSIGNMENT:
                self._redundant()
            if status == ASSIGNED:
                self._redundant()  # a PUT for what is already so: under put_same=reprovision it even disturbs it
            if status == FAILED_UNASSIGNMENT or (status == ASSIGNED and self.modes["put_same"] == "reprovision"):
                self._start_assignment(slot, campaign, now, keep_created=True)
            return slot  # already there (or on its way): PUT is idempotent, unless mode put_same re-provisions
        if self.modes["put_existing"] == "reject":
            other = s.campaigns[s.acamp[slot]]
            raise D.Conflict(
                f"Number {phone_number} is already assigned to campaign {other.campaign_id}; remove that assignment first",
                pointer="/phoneNumber",
            )
        self._check_new(slot, campaign)
        self._start_assignment(slot, campaign, now, keep_created=True)
        return slot

    def delete_assignment(self, phone_number: str, render: Callable[[int], dict[str, Any]]) -> dict[str, Any]:
        """Returns the record as it is after the request, as `render(slot)` says it (the HTTP layer's
        renderer: the world emits data), taken before a FAILED one is dropped."""
        s = self.store
        now = self.clock.now()
        slot = self.number_slot(phone_number, parameter="phoneNumber")
        if s.acamp[slot] < 0:
            raise D.NotFound(f"Number {phone_number} has no campaign assignment", parameter="phoneNumber")
        status = s.astatus[slot]
        campaign = s.campaigns[s.acamp[slot]]
        if campaign.kind == "shared" and self.modes["shared_delete"] == "reject":
            raise D.Refused(
                f"Number {phone_number} is on shared campaign {campaign.tcr_id}; numbers of a shared campaign are "
                "managed by messaging profile",
            )
        if status == PENDING_ASSIGNMENT and self.modes["delete_pending"] == "reject":
            raise D.InUse(
                f"Number {phone_number} has an assignment in progress; wait until it is ASSIGNED or FAILED_ASSIGNMENT",
            )
        if status == FAILED_ASSIGNMENT and self.modes["delete_failed"] == "gone":
            record = render(slot)
            s.drop_record(slot)  # nothing is provisioned, so there is nothing to wait for
            return record
        if status != PENDING_UNASSIGNMENT:
            self.deleted.add(slot)
            self._begin_unassign(slot, now)
        else:
            self._redundant()
        return render(slot)

    # ---- bulk assignment by profile --------------------------------------------------------

    def create_task(self, profile_id: str, campaign_id: str | None, tcr_campaign_id: str | None) -> Task:
        s = self.store
        now = self.clock.now()
        profile_idx = s.profile_by_id.get(profile_id.lower())
        if profile_idx is None:
            raise D.NotFound(f"Messaging profile {profile_id} not found", pointer="/messagingProfileId")
        if campaign_id is not None and tcr_campaign_id is not None:
            raise D.Invalid("Send either campaignId (Telnyx campaigns) or tcrCampaignId (shared campaigns), not both",
                            pointer="/tcrCampaignId")
        if campaign_id is None and tcr_campaign_id is None:
            raise D.Missing("One of campaignId or tcrCampaignId is required", pointer="/campaignId")
        if campaign_id is not None:
            idx = s.campaign_by_uuid.get(campaign_id.lower())
            if idx is None:
                shared = s.campaign_by_tcr.get(campaign_id)
                if shared is not None and s.campaigns[shared].kind == "shared":
                    raise D.Invalid(f"Campaign {campaign_id} is a shared campaign; send its id as tcrCampaignId",
                                    pointer="/campaignId")
                raise D.NotFound(f"Campaign {campaign_id} not found", pointer="/campaignId")
        else:
            assert tcr_campaign_id is not None
            idx = s.campaign_by_tcr.get(tcr_campaign_id)
            if idx is None:
                raise D.NotFound(f"Campaign {tcr_campaign_id} not found", pointer="/tcrCampaignId")
            if s.campaigns[idx].kind != "shared":
                raise D.Invalid(
                    f"Campaign {tcr_campaign_id} was created with Telnyx; send its Telnyx id as campaignId",
                    pointer="/tcrCampaignId",
                )
        if self._task_is_redundant(profile_idx, idx):
            self._redundant()
        task = Task(self.new_uuid(), profile_idx, idx, campaign_id, tcr_campaign_id, now, now)
        self.tasks[task.task_id] = task
        # One draw for the whole task: it turns `processing` halfway through its delay.
        half = self.jittered(self.timing.task_delay) / 2
        self._schedule(now + half, Event.TASK_START, task.task_id, half)
        return task

    def _redundant(self) -> None:
        """Count (and log on stderr, for whoever reads the sandbox's log) a write for work in flight."""
        import sys
        import traceback

        self.redundant_writes += 1
        caller = traceback.extract_stack(limit=2)[0]
        print(f"sandbox: redundant write #{self.redundant_writes} ({caller.name})", file=sys.stderr)

    def _task_is_redundant(self, profile_idx: int, camp_idx: int) -> bool:
        for t in self.tasks.values():
            if t.profile_idx == profile_idx and t.camp_idx == camp_idx and t.status in ("pending", "processing"):
                return True
        s = self.store
        slots = s.profiles[profile_idx].numbers.slots
        on_way = [s.astatus[slot] for slot in slots if s.acamp[slot] == camp_idx]
        return bool(slots) and len(on_way) == len(slots) and PENDING_ASSIGNMENT in on_way and all(
            st in (ASSIGNED, PENDING_ASSIGNMENT) for st in on_way)

    # ---- messaging bulk updates and settings ----------------------------------------------

    def create_order(self, profile_id: str, numbers: list[str]) -> Order:
        now = self.clock.now()
        profile_idx = self._target_profile(profile_id)
        if not numbers:
            raise D.Invalid("numbers must not be empty", pointer="/numbers")
        for i, number in enumerate(numbers):
            if not E164_RE.match(number):
                raise D.NotE164(f"{number!r} is not a +E.164 phone number", pointer=f"/numbers/{i}")
        if any(not o.done and o.profile_idx == profile_idx and set(numbers) <= set(o.numbers)
               for o in self.orders.values()):
            self._redundant()
        order = Order(self.new_uuid(), profile_idx, list(numbers), now)
        self.orders[order.order_id] = order
        self._schedule(now + self.jittered(self.timing.order_delay), Event.ORDER, order.order_id)
        return order

    def _target_profile(self, profile_id: str) -> int:
        """The profile a `messaging_profile_id` names: "" is none (-1), an unknown id is NotFound."""
        if profile_id == "":
            return -1
        found = self.store.profile_by_id.get(profile_id.lower())
        if found is None:
            raise D.NotFound(f"Messaging profile {profile_id} not found", pointer="/messaging_profile_id")
        return found

    def patch_messaging(self, slot: int, body: dict[str, Any]) -> None:
        s = self.store
        now = self.clock.now()
        pid = body.get("messaging_profile_id")
        if pid is not None:
            self.move_number(slot, self._target_profile(pid), now)
        if body.get("messaging_product") is not None:
            s.nproduct[slot] = body["messaging_product"]
        if body.get("tags") is not None:
            s.ntags[slot] = list(body["tags"])
        s.nupdated[slot] = now

    # ---- shared campaigns ------------------------------------------------------------------

    def accept_sharing(self, tcr_id: str) -> None:
        s = self.store
        idx = s.campaign_by_tcr.get(tcr_id)
        if idx is None or s.campaigns[idx].kind != "shared":
            raise D.NotFound(f"No campaign {tcr_id} has been shared with this account", parameter="campaignId")
        campaign = s.campaigns[idx]
        if campaign.sharing_status == "DECLINED":
            raise D.Refused(f"Sharing of campaign {tcr_id} was declined; the partner must share it again")
        if campaign.sharing_status != "ACCEPTED":
            campaign.sharing_status = "ACCEPTED"
            campaign.updated = self.clock.now()
            self.store.version += 1  # partner lists only show accepted campaigns


    def update_partner_campaign(self, campaign_id: str, changes: dict[str, Any]) -> Campaign:
        """The webhook URLs of an accepted partner campaign (`webhookURL`, `webhookFailoverURL`)."""
        campaign = self.partner_campaign(campaign_id)
        if "webhookURL" in changes:
            campaign.webhook_url = changes["webhookURL"]
        if "webhookFailoverURL" in changes:
            campaign.webhook_failover_url = changes["webhookFailoverURL"]
        campaign.updated = self.clock.now()
        return campaign
