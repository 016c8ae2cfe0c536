"""The domain: 10DLC rules and the life cycles, over the virtual clock.

Transitions are events on a heap, keyed by their due time on the virtual clock. `tick()` runs
at the start of every request and applies whatever is due, so with a zero delay a transition
becomes visible on the very next request, and with a delay it needs that much (virtual) time to
pass: real time (× the clock's scale) or `POST /_admin/advance`. Nothing runs in the background.
How long each step takes is the `Timing` (timing.py): a bulk task is processed in about a
minute, but each record it submits stays PENDING_ASSIGNMENT for its own `assignment_delay`
(hours on Telnyx), and may fail late (`late_failure_rate`).

Rules (10dlc-domain.md §1.1, §1.4, §3.1; telnyx-api.md §3.5):
- a number needs a messaging profile before a campaign; one campaign per number;
- only US long codes;
- the campaign must be assignable: shared ones need sharing ACCEPTED, and campaignStatus must
  be MNO_PROVISIONED (the conservative reading of "ACTIVE (approved by carriers)");
- at most 49 numbers per campaign without number pooling (mode `campaign_cap`), counting every
  record but FAILED_ASSIGNMENT;
- a TCR_SUSPENDED (dormant) campaign accepts an assignment, fails it ("first assignment fails")
  and wakes up as MNO_PROVISIONED, so the retry succeeds (10dlc-domain.md §1.4, KB-PROCESS).
A per-number POST/PUT that breaks a rule gets a 4xx; inside a bulk task the number's status is
`failed` and, unless it sits on another campaign, its record becomes FAILED_ASSIGNMENT with
`failureReasons`.
"""

from __future__ import annotations

import heapq
import random
import uuid
from array import array
from dataclasses import dataclass, field
from typing import Any

from reconciler.sandbox import errors as E
from reconciler.sandbox.modes import default_modes
from reconciler.sandbox.seed import E164_RE, TCR_CAMPAIGN_RE, UUID_RE, build_store
from reconciler.sandbox.state import (
    ASSIGNED,
    FAILED_ASSIGNMENT,
    FAILED_UNASSIGNMENT,
    LONGCODE,
    NUMBER_TYPES,
    PENDING_ASSIGNMENT,
    PENDING_UNASSIGNMENT,
    Campaign,
    Clock,
    Store,
)
from reconciler.sandbox.timing import LATE_FAILURE_REASONS, Timing, resolve_timing

CAP = 49
# Per-number statuses in a bulk task's phone-number list. The spec gives only the example
# `pending` (telnyx-api.md §2.3); we mirror the task enum: pending → completed | failed.
# `completed` means the task submitted the number (its record went PENDING_ASSIGNMENT); the
# record's own outcome comes later and shows only on the record.
NUM_PENDING, NUM_COMPLETED, NUM_FAILED = 0, 1, 2
NUM_STATUS_NAMES = ("pending", "completed", "failed")


@dataclass
class Task:
    task_id: str
    profile_idx: int
    camp_idx: int
    campaign_id: str | None  # echoed as the client sent it
    tcr_campaign_id: str | None
    created: float
    updated: float
    status: str = "pending"
    slots: array = field(default_factory=lambda: array("i"))
    statuses: bytearray = field(default_factory=bytearray)
    e164: list[str] = field(default_factory=list)  # snapshot, for listing after deletions


@dataclass
class Order:
    order_id: str
    profile_idx: int  # -1: unassign ("" in the request)
    numbers: list[str]
    created: float
    done: bool = False
    success: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class World:
    """State + rules + clock. Only ever touched from the server's event-loop thread."""

    def __init__(
        self,
        *,
        modes: dict[str, str] | None = None,
        timing: Timing | None = None,
        assignment_delay: float | None = None,
        time_scale: float = 1.0,
        random_seed: int = 0,
    ) -> None:
        """`timing` wins; without it, `assignment_delay` alone times every step (the old API)."""
        self.clock = Clock(time_scale)
        self.rng = random.Random(random_seed)
        # Their own streams, so that turning jitter or late failures on never changes the ids
        # the main stream hands out, and each is reproducible from --random-seed.
        self.jitter_rng = random.Random(f"jitter:{random_seed}")
        self.late_rng = random.Random(f"late-failure:{random_seed}")
        self.timing = timing if timing is not None else resolve_timing(assignment_delay=assignment_delay)
        # Numeric number ids look like Telnyx's ("1293384261075731499"): a 19-digit base + slot.
        self.id_base = 1_200_000_000_000_000_000 + self.rng.randrange(10**17)
        self.modes = default_modes()
        if modes:
            self.modes.update(modes)
        self.store = Store(id_base=self.id_base)
        self._reset_runtime()

    def _reset_runtime(self) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.event_seq = 0
        self.tasks: dict[str, Task] = {}
        # Writes that asked for work Telnyx was already doing (a task for a profile and campaign
        # whose earlier task is unprocessed or whose numbers are all on their way there, a POST or
        # PUT for a number already PENDING_ASSIGNMENT there, a DELETE of a PENDING_UNASSIGNMENT, a
        # profile order repeating an unfinished one): a client must never send these.
        self.redundant_writes = 0
        self.orders: dict[str, Order] = {}
        self.cache: dict[Any, Any] = {}

    def load(self, doc: Any, source: str, *, consume: bool = False) -> None:
        """Replace the whole state with a seed document (raises SeedError, state untouched)."""
        now = self.clock.now()
        store = build_store(doc, source=source, id_base=self.id_base, now=now, consume=consume)
        self.store = store
        self._reset_runtime()
        self._schedule_seeded(now)

    def _schedule_seeded(self, now: float) -> None:
        """Seeded PENDING_* records follow the life cycle like any other, counted from the load."""
        s = self.store
        for status, kind, delay in (
            (PENDING_ASSIGNMENT, "assign", self.timing.assignment_delay),
            (PENDING_UNASSIGNMENT, "unassign", self.timing.unassignment_delay),
        ):
            slots = array("i", _positions(s.astatus, status))
            self._schedule_many(kind, slots, array("I", (s.agen[slot] for slot in slots)), now, delay)

    def new_uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # ---- events ----------------------------------------------------------------------------

    def _schedule(self, due: float, kind: str, *args: Any) -> None:
        self.event_seq += 1
        heapq.heappush(self.events, (due, self.event_seq, kind, args))

    def jittered(self, delay: float) -> float:
        """`delay` × a deterministic random factor in [1 - jitter, 1 + jitter]."""
        jitter = self.timing.jitter
        if jitter and delay:
            return delay * self.jitter_rng.uniform(1.0 - jitter, 1.0 + jitter)
        return delay

    def _schedule_many(self, kind: str, slots: array, gens: array, now: float, delay: float) -> None:
        """`kind` ("assign" | "unassign") for each record, `delay` (jittered) from `now`.

        Without jitter they are all due together: one event holds them all, so a bulk task
        over a huge profile never puts a million events on the heap."""
        if not slots:
            return
        if not self.timing.jitter or not delay:
            self._schedule(now + delay, kind + "_many", slots, gens)
            return
        for slot, gen in zip(slots, gens):
            self._schedule(now + self.jittered(delay), kind, slot, gen)

    def expect_resolution(self, slot: int, now: float) -> None:
        """Schedule the next step of a record that has just become PENDING_* (by any path)."""
        s = self.store
        status = s.astatus[slot]
        if status == PENDING_ASSIGNMENT:
            self._schedule(now + self.jittered(self.timing.assignment_delay), "assign", slot, s.agen[slot])
        elif status == PENDING_UNASSIGNMENT:
            self._schedule(now + self.jittered(self.timing.unassignment_delay), "unassign", slot, s.agen[slot])

    def tick(self) -> None:
        """Apply every transition that is due on the virtual clock."""
        if not self.events:
            return
        now = self.clock.now()
        events = self.events
        while events and events[0][0] <= now:
            due, _, kind, args = heapq.heappop(events)
            getattr(self, "_on_" + kind)(due, *args)

    def _on_assign(self, due: float, slot: int, gen: int) -> None:
        s = self.store
        if s.agen[slot] == gen and s.astatus[slot] == PENDING_ASSIGNMENT:
            self._resolve_pending(slot, due)

    def _on_unassign(self, due: float, slot: int, gen: int) -> None:
        s = self.store
        if s.agen[slot] == gen and s.astatus[slot] == PENDING_UNASSIGNMENT:
            s.drop_record(slot)

    def _on_assign_many(self, due: float, slots: array, gens: array) -> None:
        for slot, gen in zip(slots, gens):
            self._on_assign(due, slot, gen)

    def _on_unassign_many(self, due: float, slots: array, gens: array) -> None:
        for slot, gen in zip(slots, gens):
            self._on_unassign(due, slot, gen)

    def _resolve_pending(self, slot: int, now: float) -> bool:
        """PENDING_ASSIGNMENT → ASSIGNED or FAILED_ASSIGNMENT; True on success."""
        s = self.store
        campaign = s.campaigns[s.acamp[slot]]
        if campaign.campaign_status == "TCR_SUSPENDED":
            # The first assignment to a dormant campaign fails and wakes it up (KB-PROCESS).
            campaign.campaign_status = "MNO_PROVISIONED"
            campaign.updated = now
            s.set_status(
                slot,
                FAILED_ASSIGNMENT,
                f"Campaign {campaign.tcr_id} was dormant (TCR_SUSPENDED); this assignment reactivated it. Retry the assignment.",
                now,
            )
            return False
        problem = self.campaign_problem(campaign)
        if problem is not None:
            s.set_status(slot, FAILED_ASSIGNMENT, problem, now)
            return False
        rate = self.timing.late_failure_rate
        if rate and self.late_rng.random() < rate:
            # A carrier refusing hours after the submission: nothing the client did wrong,
            # so the only signal is the record's status and its failureReasons.
            s.set_status(slot, FAILED_ASSIGNMENT, self.late_rng.choice(LATE_FAILURE_REASONS), now)
            return False
        s.set_status(slot, ASSIGNED, None, now)
        return True

    # ---- rules -----------------------------------------------------------------------------

    @staticmethod
    def campaign_problem(campaign: Campaign) -> str | None:
        if campaign.kind == "shared" and campaign.sharing_status != "ACCEPTED":
            return f"Campaign {campaign.tcr_id} is shared with sharing status {campaign.sharing_status}; it must be ACCEPTED"
        if campaign.campaign_status not in ("MNO_PROVISIONED", "TCR_SUSPENDED"):
            return f"Campaign {campaign.tcr_id} is not active (campaignStatus {campaign.campaign_status})"
        return None

    def cap_problem(self, campaign: Campaign) -> str | None:
        if self.modes["campaign_cap"] == "49" and not campaign.number_pooling and campaign.active_count >= CAP:
            return f"Campaign {campaign.tcr_id} already has {CAP} numbers, the T-Mobile limit without number pooling"
        return None

    def number_problem(self, slot: int) -> str | None:
        s = self.store
        if s.ntype[slot] != LONGCODE:
            return f"{s.e164[slot]} is a {NUMBER_TYPES[s.ntype[slot]]} number; only US long codes can join a 10DLC campaign"
        if s.nprofile[slot] < 0:
            return f"{s.e164[slot]} is not assigned to a messaging profile; put it on one first"
        return None

    # ---- lookups ---------------------------------------------------------------------------

    def number_slot(self, e164: str, pointer: str | None = None, parameter: str | None = None) -> int:
        if not E164_RE.match(e164):
            raise E.ApiError(400, E.NOT_E164, f"{e164!r} is not a +E.164 phone number", pointer=pointer, parameter=parameter)
        slot = self.store.by_e164.get(e164)
        if slot is None:
            raise E.not_found(f"Number {e164} not found on this account", pointer=pointer, parameter=parameter)
        return slot

    def campaign_for_per_number(self, campaign_id: str) -> Campaign:
        """`campaignId` of a per-number request: a Telnyx UUID, or the TCR id of a shared campaign."""
        s = self.store
        idx = s.campaign_by_uuid.get(campaign_id.lower())
        if idx is None:
            idx = s.campaign_by_tcr.get(campaign_id)
            if idx is not None and s.campaigns[idx].kind != "shared":
                idx = None  # a Telnyx campaign is known by its UUID here, not its TCR id
        if idx is None:
            raise E.not_found(f"Campaign {campaign_id} not found", pointer="/campaignId")
        campaign = s.campaigns[idx]
        if campaign.kind == "shared" and self.modes["shared_per_number"] == "reject":
            raise E.unprocessable(
                f"Campaign {campaign.tcr_id} is a shared campaign; shared campaigns are assigned by messaging "
                "profile (POST /10dlc/phoneNumberAssignmentByProfile with tcrCampaignId)",
                pointer="/campaignId",
            )
        return campaign

    # ---- per-number assignment -------------------------------------------------------------

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
                raise E.unprocessable(problem)

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
            raise E.ApiError(
                422,
                E.DUPLICATE,
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
            raise E.bad_field("/phoneNumber", f"phoneNumber {phone_number!r} does not match the path's {path_number!r}")
        slot = self.number_slot(phone_number, pointer="/phoneNumber")
        campaign = self.campaign_for_per_number(campaign_id)
        status = s.astatus[slot]
        if s.acamp[slot] < 0 or status == FAILED_ASSIGNMENT:
            self._check_new(slot, campaign)
            self._start_assignment(slot, campaign, now)
            return slot
        if status == PENDING_UNASSIGNMENT:
            raise E.unprocessable(f"Number {phone_number} is being unassigned; wait until it is gone", code=E.IN_USE)
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
            raise E.ApiError(
                422,
                E.DUPLICATE,
                f"Number {phone_number} is already assigned to campaign {other.campaign_id}; remove that assignment first",
                pointer="/phoneNumber",
            )
        self._check_new(slot, campaign)
        self._start_assignment(slot, campaign, now, keep_created=True)
        return slot

    def delete_assignment(self, phone_number: str) -> dict[str, Any]:
        """Returns the record as it is after the request (rendered before a FAILED one is dropped)."""
        from reconciler.sandbox.render import pnc_dict

        s = self.store
        now = self.clock.now()
        slot = self.number_slot(phone_number, parameter="phoneNumber")
        if s.acamp[slot] < 0:
            raise E.not_found(f"Number {phone_number} has no campaign assignment", parameter="phoneNumber")
        status = s.astatus[slot]
        campaign = s.campaigns[s.acamp[slot]]
        if campaign.kind == "shared" and self.modes["shared_delete"] == "reject":
            raise E.unprocessable(
                f"Number {phone_number} is on shared campaign {campaign.tcr_id}; numbers of a shared campaign are "
                "managed by messaging profile",
            )
        if status == PENDING_ASSIGNMENT and self.modes["delete_pending"] == "reject":
            raise E.unprocessable(
                f"Number {phone_number} has an assignment in progress; wait until it is ASSIGNED or FAILED_ASSIGNMENT",
                code=E.IN_USE,
            )
        if status == FAILED_ASSIGNMENT and self.modes["delete_failed"] == "gone":
            record = pnc_dict(self, slot)
            s.drop_record(slot)  # nothing is provisioned, so there is nothing to wait for
            return record
        if status != PENDING_UNASSIGNMENT:
            self._begin_unassign(slot, now)
        else:
            self._redundant()
        return pnc_dict(self, slot)

    def _begin_unassign(self, slot: int, now: float) -> None:
        s = self.store
        s.set_status(slot, PENDING_UNASSIGNMENT, None, now)
        self.expect_resolution(slot, now)

    def status_name(self, slot: int) -> str:
        from reconciler.sandbox.state import STATUS_NAMES

        return STATUS_NAMES[self.store.astatus[slot]]

    # ---- profile membership ----------------------------------------------------------------

    def move_number(self, slot: int, profile_idx: int, now: float) -> None:
        s = self.store
        old = s.nprofile[slot]
        if old == profile_idx:
            s.nupdated[slot] = now
            return
        s.set_profile(slot, profile_idx, now)
        if old >= 0 and self.modes["profile_leave"] == "unassign" and s.acamp[slot] >= 0:
            status = s.astatus[slot]
            if status == FAILED_ASSIGNMENT:
                s.drop_record(slot)
            elif status != PENDING_UNASSIGNMENT:
                self._begin_unassign(slot, now)

    # ---- bulk assignment by profile --------------------------------------------------------

    def create_task(self, profile_id: str, campaign_id: str | None, tcr_campaign_id: str | None) -> Task:
        s = self.store
        now = self.clock.now()
        profile_idx = s.profile_by_id.get(profile_id.lower())
        if profile_idx is None:
            raise E.not_found(f"Messaging profile {profile_id} not found", pointer="/messagingProfileId")
        if campaign_id is not None and tcr_campaign_id is not None:
            raise E.bad_field("/tcrCampaignId", "Send either campaignId (Telnyx campaigns) or tcrCampaignId (shared campaigns), not both")
        if campaign_id is None and tcr_campaign_id is None:
            raise E.ApiError(400, E.MISSING_PARAMETER, "One of campaignId or tcrCampaignId is required", pointer="/campaignId")
        if campaign_id is not None:
            idx = s.campaign_by_uuid.get(campaign_id.lower())
            if idx is None:
                shared = s.campaign_by_tcr.get(campaign_id)
                if shared is not None and s.campaigns[shared].kind == "shared":
                    raise E.bad_field("/campaignId", f"Campaign {campaign_id} is a shared campaign; send its id as tcrCampaignId")
                raise E.not_found(f"Campaign {campaign_id} not found", pointer="/campaignId")
        else:
            assert tcr_campaign_id is not None
            idx = s.campaign_by_tcr.get(tcr_campaign_id)
            if idx is None:
                raise E.not_found(f"Campaign {tcr_campaign_id} not found", pointer="/tcrCampaignId")
            if s.campaigns[idx].kind != "shared":
                raise E.bad_field(
                    "/tcrCampaignId",
                    f"Campaign {tcr_campaign_id} was created with Telnyx; send its Telnyx id as campaignId",
                )
        if self._task_is_redundant(profile_idx, idx):
            self._redundant()
        task = Task(self.new_uuid(), profile_idx, idx, campaign_id, tcr_campaign_id, now, now)
        self.tasks[task.task_id] = task
        # One draw for the whole task: it turns `processing` halfway through its delay.
        half = self.jittered(self.timing.task_delay) / 2
        self._schedule(now + half, "task_start", task.task_id, half)
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

    def _on_task_start(self, due: float, task_id: str, rest: float) -> None:
        """Snapshot the profile and submit each number; the task completes `rest` later."""
        task = self.tasks.get(task_id)
        if task is None:
            return
        s = self.store
        campaign = s.campaigns[task.camp_idx]
        task.status = "processing"
        task.updated = due
        task.slots = array("i", s.profiles[task.profile_idx].numbers.slots)
        task.statuses = bytearray(len(task.slots))
        submitted, gens = array("i"), array("I")
        task.e164 = [s.e164[slot] for slot in task.slots]  # type: ignore[misc]
        if campaign.kind == "shared" and campaign.sharing_status != "ACCEPTED" and \
                self.modes["share_not_accepted_bulk"] == "nothing":
            task.statuses = bytearray([NUM_FAILED]) * len(task.slots)  # refused whole: no record written
            self._schedule(due + rest, "task_finish", task_id)
            return
        reassign = self.modes["bulk_existing"] == "reassign"
        reprovision = self.modes["bulk_same"] == "reprovision"
        for i, slot in enumerate(task.slots):
            if s.acamp[slot] >= 0 and s.astatus[slot] != FAILED_ASSIGNMENT:
                status = s.astatus[slot]
                if s.acamp[slot] == campaign.idx and status in (ASSIGNED, PENDING_ASSIGNMENT):
                    task.statuses[i] = NUM_COMPLETED  # already there: a no-op success …
                    if status == ASSIGNED and reprovision:  # … or provisioned again (mode bulk_same)
                        s.move_record(slot, campaign.idx, PENDING_ASSIGNMENT, due)
                        submitted.append(slot)
                        gens.append(s.agen[slot])
                    continue
                if not reassign:
                    task.statuses[i] = NUM_FAILED  # skipped: it keeps its other campaign
                    continue
                problem = self.number_problem(slot) or self.campaign_problem(campaign) or self.cap_problem(campaign)
                if problem is not None:
                    task.statuses[i] = NUM_FAILED  # cannot move it; leave it where it is
                    continue
                s.move_record(slot, campaign.idx, PENDING_ASSIGNMENT, due)
                submitted.append(slot)
                gens.append(s.agen[slot])
                continue
            problem = self.number_problem(slot) or self.campaign_problem(campaign) or self.cap_problem(campaign)
            if problem is not None:
                s.create_record(slot, campaign.idx, FAILED_ASSIGNMENT, problem, due)
                task.statuses[i] = NUM_FAILED
                continue
            s.create_record(slot, campaign.idx, PENDING_ASSIGNMENT, None, due)
            submitted.append(slot)
            gens.append(s.agen[slot])
        # Each record resolves on its own clock, `assignment_delay` after it went pending: on
        # Telnyx the task is done in about a minute while its records stay pending for hours.
        self._schedule_many("assign", submitted, gens, due, self.timing.assignment_delay)
        self._schedule(due + rest, "task_finish", task_id)

    def _on_task_finish(self, due: float, task_id: str) -> None:
        task = self.tasks.get(task_id)
        if task is None:
            return
        # Every number still `pending` was submitted: that is what the task reports, whatever
        # its record turns into later.
        task.statuses = task.statuses.replace(bytes([NUM_PENDING]), bytes([NUM_COMPLETED]))
        # `failed` when any number failed immediately: the per-number list says which (our
        # choice; the spec gives the enum only, telnyx-api.md §2.2).
        # Mode task_partial: or `completed` whatever its numbers did.
        every = bool(task.statuses) and task.statuses.count(NUM_FAILED) == len(task.statuses)
        task.status = "failed" if every or (NUM_FAILED in task.statuses and self.modes["task_partial"] == "failed") \
            else "completed"
        task.updated = due

    # ---- messaging bulk updates ------------------------------------------------------------

    def create_order(self, profile_id: str, numbers: list[str]) -> Order:
        s = self.store
        now = self.clock.now()
        if profile_id == "":
            profile_idx = -1
        else:
            found = s.profile_by_id.get(profile_id.lower())
            if found is None:
                raise E.not_found(f"Messaging profile {profile_id} not found", pointer="/messaging_profile_id")
            profile_idx = found
        if not numbers:
            raise E.bad_field("/numbers", "numbers must not be empty")
        for i, number in enumerate(numbers):
            if not E164_RE.match(number):
                raise E.bad_field(f"/numbers/{i}", f"{number!r} is not a +E.164 phone number", code=E.NOT_E164)
        if any(not o.done and o.profile_idx == profile_idx and set(numbers) <= set(o.numbers)
               for o in self.orders.values()):
            self._redundant()
        order = Order(self.new_uuid(), profile_idx, list(numbers), now)
        self.orders[order.order_id] = order
        self._schedule(now + self.jittered(self.timing.order_delay), "order", order.order_id)
        return order

    def _on_order(self, due: float, order_id: str) -> None:
        order = self.orders.get(order_id)
        if order is None:
            return
        s = self.store
        for number in order.numbers:
            slot = s.by_e164.get(number)
            if slot is None:
                order.failed.append(number)
                continue
            self.move_number(slot, order.profile_idx, due)
            order.success.append(number)
        order.done = True

    # ---- number messaging settings ---------------------------------------------------------

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
        raise E.not_found(f"Phone number {raw_id} not found", parameter="id")

    def patch_messaging(self, slot: int, body: dict[str, Any]) -> None:
        s = self.store
        now = self.clock.now()
        pid = body.get("messaging_profile_id")
        if pid is not None:
            if pid == "":
                target = -1
            else:
                found = s.profile_by_id.get(pid.lower())
                if found is None:
                    raise E.not_found(f"Messaging profile {pid} not found", pointer="/messaging_profile_id")
                target = found
            self.move_number(slot, target, now)
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
            raise E.not_found(f"No campaign {tcr_id} has been shared with this account", parameter="campaignId")
        campaign = s.campaigns[idx]
        if campaign.sharing_status == "DECLINED":
            raise E.unprocessable(f"Sharing of campaign {tcr_id} was declined; the partner must share it again")
        if campaign.sharing_status != "ACCEPTED":
            campaign.sharing_status = "ACCEPTED"
            campaign.updated = self.clock.now()
            self.store.version += 1  # partner lists only show accepted campaigns


def _positions(codes: bytearray, code: int) -> list[int]:
    """Indexes of `code` in `codes`, found with bytearray.find (fast over a million slots)."""
    out: list[int] = []
    needle = bytes([code])
    i = codes.find(needle)
    while i >= 0:
        out.append(i)
        i = codes.find(needle, i + 1)
    return out


def valid_uuid(text: str) -> bool:
    return bool(UUID_RE.match(text))


def valid_tcr_id(text: str) -> bool:
    return bool(TCR_CAMPAIGN_RE.match(text))
