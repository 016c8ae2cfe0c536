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
A per-number POST/PUT that breaks a rule is refused (a `domain` exception, which the HTTP layer
answers with a 4xx); inside a bulk task the number's status is `failed` and, unless it sits on
another campaign, its record becomes FAILED_ASSIGNMENT with `failureReasons`.

`World` is the state, the clock and this life cycle; what each write asks of it is in
commands.py, every read in queries.py, the admin's changes behind the API's back in
outofband.py and what a bulk task or a profile order does when its events fall due in jobs.py
(all mixed in), so that handlers never touch the store. Events dispatch through one explicit
table (`Event` → handler).
"""

from __future__ import annotations

import heapq
import random
import uuid
from array import array
from collections.abc import Callable
from typing import Any

from reconciler.sandbox.clock import Clock
from reconciler.sandbox.commands import Commands
from reconciler.sandbox.jobs import MANY, BackgroundWork, Event, Order, Task
from reconciler.sandbox.modes import default_modes
from reconciler.sandbox.outofband import OutOfBand
from reconciler.sandbox.queries import Queries
from reconciler.sandbox.seed import TCR_CAMPAIGN_RE, UUID_RE, build_store
from reconciler.sandbox.state import (
    ASSIGNED,
    FAILED_ASSIGNMENT,
    FAILED_UNASSIGNMENT,
    LONGCODE,
    NUMBER_TYPES,
    PENDING_ASSIGNMENT,
    PENDING_UNASSIGNMENT,
    Campaign,
    Store,
)
from reconciler.sandbox.timing import (
    LATE_FAILURE_REASONS,
    MAPPING_ADDED,
    MAPPING_FAILED,
    MAPPING_PENDING,
    UNASSIGN_FAILURE_REASON,
    Timing,
    resolve_timing,
)

__all__ = ["CAP", "Order", "Task", "World", "valid_tcr_id", "valid_uuid"]  # Order, Task: render.py's types

CAP = 49


class World(Commands, Queries, OutOfBand, BackgroundWork):
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
        self.carrier_rng = random.Random(f"carrier-mapping:{random_seed}")
        self.timing = timing if timing is not None else resolve_timing(assignment_delay=assignment_delay)
        # Numeric number ids look like Telnyx's ("1293384261075731499"): a 19-digit base + slot.
        self.id_base = 1_200_000_000_000_000_000 + self.rng.randrange(10**17)
        self.modes = default_modes()
        if modes:
            self.modes.update(modes)
        self.store = Store(id_base=self.id_base)
        # The one table from an event's kind to what carries it out.
        self.event_handlers: dict[Event, Callable[..., None]] = {
            Event.ASSIGN: self._on_assign,
            Event.UNASSIGN: self._on_unassign,
            Event.ASSIGN_MANY: self._on_assign_many,
            Event.UNASSIGN_MANY: self._on_unassign_many,
            Event.TASK_START: self._on_task_start,
            Event.TASK_FINISH: self._on_task_finish,
            Event.ORDER: self._on_order,
            Event.CARRIER_MAP: self._on_carrier_map,
        }
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
        # Mode unassign_end=failed_first: numbers whose removal a DELETE started (a profile leaving
        # starts others), and those whose first such removal failed.
        self.deleted: set[int] = set()
        self.unassign_failed: set[int] = set()

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
            (PENDING_ASSIGNMENT, Event.ASSIGN, self.timing.assignment_delay),
            (PENDING_UNASSIGNMENT, Event.UNASSIGN, self.timing.unassignment_delay),
        ):
            slots = array("i", _positions(s.astatus, status))
            self._schedule_many(kind, slots, array("I", (s.agen[slot] for slot in slots)), now, delay)

    def new_uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # ---- events ----------------------------------------------------------------------------

    def _schedule(self, due: float, kind: Event, *args: Any) -> None:
        self.event_seq += 1
        heapq.heappush(self.events, (due, self.event_seq, kind, args))

    def jittered(self, delay: float) -> float:
        """`delay` × a deterministic random factor in [1 - jitter, 1 + jitter]."""
        jitter = self.timing.jitter
        if jitter and delay:
            return delay * self.jitter_rng.uniform(1.0 - jitter, 1.0 + jitter)
        return delay

    def _schedule_many(self, kind: Event, slots: array, gens: array, now: float, delay: float) -> None:
        """`kind` (ASSIGN | UNASSIGN) for each record, `delay` (jittered) from `now`.

        Without jitter they are all due together: one event holds them all, so a bulk task
        over a huge profile never puts a million events on the heap."""
        if not slots:
            return
        if not self.timing.jitter or not delay:
            self._schedule(now + delay, MANY[kind], slots, gens)
            return
        for slot, gen in zip(slots, gens):
            self._schedule(now + self.jittered(delay), kind, slot, gen)

    def expect_resolution(self, slot: int, now: float) -> None:
        """Schedule the next step of a record that has just become PENDING_* (by any path)."""
        s = self.store
        status = s.astatus[slot]
        if status == PENDING_ASSIGNMENT:
            self._schedule(now + self.jittered(self.timing.assignment_delay), Event.ASSIGN, slot, s.agen[slot])
        elif status == PENDING_UNASSIGNMENT:
            self._schedule(now + self.jittered(self.timing.unassignment_delay), Event.UNASSIGN, slot, s.agen[slot])

    def tick(self) -> None:
        """Apply every transition that is due on the virtual clock."""
        if not self.events:
            return
        now = self.clock.now()
        events = self.events
        while events and events[0][0] <= now:
            due, _, kind, args = heapq.heappop(events)
            self.event_handlers[kind](due, *args)

    def _on_assign(self, due: float, slot: int, gen: int) -> None:
        s = self.store
        if s.agen[slot] == gen and s.astatus[slot] == PENDING_ASSIGNMENT:
            self._resolve_pending(slot, due)

    def _on_unassign(self, due: float, slot: int, gen: int) -> None:
        s = self.store
        if s.agen[slot] == gen and s.astatus[slot] == PENDING_UNASSIGNMENT:
            if self.modes["unassign_end"] == "failed_first" and slot in self.deleted and slot not in self.unassign_failed:
                # The record stays on its campaign, failed; the number's next unassignment goes through.
                self.unassign_failed.add(slot)
                s.set_status(slot, FAILED_UNASSIGNMENT, UNASSIGN_FAILURE_REASON, due)
                return
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
        self._begin_carrier_mapping(slot, now)
        return True

    def _begin_carrier_mapping(self, slot: int, now: float) -> None:
        """Mode carrier_mapping=present: the carriers map an ASSIGNED number `carrier_mapping_delay`
        later, and a `carrier_failure_rate` share fail. Without either, it shows ADDED at once."""
        timing = self.timing
        if self.modes["carrier_mapping"] != "present" or not (timing.carrier_mapping_delay or timing.carrier_failure_rate):
            return
        self.store.set_mapping(slot, MAPPING_PENDING, MAPPING_PENDING)
        self._schedule(now + self.jittered(timing.carrier_mapping_delay), Event.CARRIER_MAP, slot, self.store.agen[slot])

    def _on_carrier_map(self, due: float, slot: int, gen: int) -> None:
        s = self.store
        if s.agen[slot] != gen or s.astatus[slot] != ASSIGNED or s.amap.get(slot) != (MAPPING_PENDING, MAPPING_PENDING):
            return  # the record changed since (or the admin set its mapping)
        rate = self.timing.carrier_failure_rate
        if rate and self.carrier_rng.random() < rate:
            # One carrier refuses: T-Mobile's own registry, or the others' (Verizon, AT&T, ...).
            if self.carrier_rng.random() < 0.5:
                s.set_mapping(slot, MAPPING_FAILED, MAPPING_ADDED)
            else:
                s.set_mapping(slot, MAPPING_ADDED, MAPPING_FAILED)
            return
        s.set_mapping(slot, None, None)  # ADDED at both: what ASSIGNED implies

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

    def _begin_unassign(self, slot: int, now: float) -> None:
        s = self.store
        s.set_status(slot, PENDING_UNASSIGNMENT, None, now)
        self.expect_resolution(slot, now)


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
