"""Work Telnyx does in the background: bulk assignment tasks and messaging-profile orders.

A task snapshots its profile's numbers when it starts and reports one status per number;
an order moves its numbers when it is done. Both are driven by events on the world's clock
(engine.py): `Event` names them, and `BackgroundWork` (mixed into `World`) carries out a
task's and an order's events when they fall due.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from enum import StrEnum

from reconciler.sandbox.state import ASSIGNED, FAILED_ASSIGNMENT, PENDING_ASSIGNMENT, Store
from reconciler.sandbox.timing import Timing

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

    def numbers(self, start: int = 0, stop: int | None = None) -> list[tuple[str, str]]:
        """(phone number, status name) of the numbers the task took, from `start` to `stop`."""
        end = len(self.e164) if stop is None else min(stop, len(self.e164))
        return [(self.e164[i], NUM_STATUS_NAMES[self.statuses[i]]) for i in range(start, end)]


@dataclass
class Order:
    order_id: str
    profile_idx: int  # -1: unassign ("" in the request)
    numbers: list[str]
    created: float
    done: bool = False
    success: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class Event(StrEnum):
    """What an event on the world's clock does; `World` maps each to its handler (engine.py)."""

    ASSIGN = "assign"  # a record's PENDING_ASSIGNMENT resolves
    UNASSIGN = "unassign"  # a record's PENDING_UNASSIGNMENT completes
    ASSIGN_MANY = "assign_many"  # the same for many records due together: one heap entry
    UNASSIGN_MANY = "unassign_many"
    TASK_START = "task_start"  # a bulk task snapshots its profile and submits its numbers
    TASK_FINISH = "task_finish"
    ORDER = "order"  # a messaging-profile order moves its numbers
    CARRIER_MAP = "carrier_map"  # an ASSIGNED record's carrier mapping ends ADDED or FAILED (mode carrier_mapping)


# One event for many records due at the same moment (no jitter).
MANY = {Event.ASSIGN: Event.ASSIGN_MANY, Event.UNASSIGN: Event.UNASSIGN_MANY}


class BackgroundWork:
    """Mixed into `World` (engine.py): a bulk task's start and finish, and an order's move. The
    rules (`number_problem`, `campaign_problem`, `cap_problem`), `move_number` and the event
    queue (`_schedule`, `_schedule_many`) are the world's."""

    store: Store
    modes: dict[str, str]
    timing: Timing
    tasks: dict[str, Task]
    orders: dict[str, Order]

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
            self._schedule(due + rest, Event.TASK_FINISH, task_id)
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
        self._schedule_many(Event.ASSIGN, submitted, gens, due, self.timing.assignment_delay)
        self._schedule(due + rest, Event.TASK_FINISH, task_id)

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
