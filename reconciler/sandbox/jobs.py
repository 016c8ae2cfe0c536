"""Work Telnyx does in the background: bulk assignment tasks and messaging-profile orders.

A task snapshots its profile's numbers when it starts and reports one status per number;
an order moves its numbers when it is done. Both are driven by events on the world's clock
(engine.py).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from enum import StrEnum

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
