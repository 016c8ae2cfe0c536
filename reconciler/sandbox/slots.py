"""Sorted compact slot lists: the indexes that keep the sandbox's list pages O(page)."""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable
from typing import Any


class SlotIndex:
    """Slots kept sorted by a unique key, in a compact int array.

    Insert/remove are a bisect plus a memmove (fast even at a million entries); a page is a
    slice. The key of a slot must not change while the slot is in the index.
    """

    __slots__ = ("slots", "key")

    def __init__(self, key: Callable[[int], Any]) -> None:
        self.slots = array("i")
        self.key = key

    def __len__(self) -> int:
        return len(self.slots)

    def add(self, slot: int) -> None:
        slots = self.slots
        k = self.key(slot)
        if not slots or self.key(slots[-1]) < k:
            slots.append(slot)  # the common case: ascending keys (seeding, creation order)
            return
        slots.insert(bisect_left(slots, k, key=self.key), slot)

    def remove(self, slot: int) -> None:
        slots = self.slots
        i = bisect_left(slots, self.key(slot), key=self.key)
        if i < len(slots) and slots[i] == slot:
            del slots[i]
        else:  # pragma: no cover - would mean a key changed under us
            raise KeyError(slot)

    def rebuild(self, items: Iterable[int]) -> None:
        self.slots = array("i", sorted(items, key=self.key))

    def page(self, start: int, count: int, reverse: bool = False) -> list[int]:
        n = len(self.slots)
        if start >= n or count <= 0:
            return []
        if not reverse:
            return list(self.slots[start : start + count])
        hi = n - start
        lo = max(0, hi - count)
        out = list(self.slots[lo:hi])
        out.reverse()
        return out
