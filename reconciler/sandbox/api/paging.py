"""The two list envelopes: 10DLC's `{records, page, totalRecords}` and classic's `{data, meta}`.

A page of a big list is a slice of a world index (`SlotIndex`), never a sort of the whole; the
small lists (brands, campaigns, shared campaigns) are sorted whole and then sliced.
"""

from __future__ import annotations

import math
from typing import Any

from reconciler.sandbox import errors as E
from reconciler.sandbox.api.base import BadRequest
from reconciler.sandbox.engine import World
from reconciler.sandbox.queries import Slots
from reconciler.sandbox.slots import SlotIndex


def total_records(world: World, total: int, size: int, *, assignment_list: bool = False) -> int:
    # What totalRecords counts is unconfirmed (mode total_records; telnyx-api.md §6), and maybe
    # not the same for every list (mode value `mixed`).
    mode = world.modes["total_records"]
    if mode == "pages" or (mode == "mixed" and assignment_list):
        return math.ceil(total / size) if size else 0
    return total


def check_list_page_max(world: World, size: int) -> None:
    """Mode list_page_max: the lists whose maximum the spec does not give may refuse over 250."""
    if world.modes["list_page_max"] == "250" and size > 250:
        raise BadRequest(400, E.BAD_REQUEST, f"Query parameter 'recordsPerPage' must be at most 250, got {size}",
                         parameter="recordsPerPage")


def page_10dlc(world: World, items: list[str], page: int, total: int, size: int) -> str:
    """A page of the assignment list."""
    return '{"records":[%s],"page":%d,"totalRecords":%d}' % (
        ",".join(items), page, total_records(world, total, size, assignment_list=True))


def page_classic(items: list[str], page: int, size: int, total: int) -> str:
    return '{"data":[%s],"meta":{"page_number":%d,"page_size":%d,"total_pages":%d,"total_results":%d}}' % (
        ",".join(items),
        page,
        size,
        math.ceil(total / size),
        total,
    )


def slice_slots(source: Slots, start: int, count: int, reverse: bool) -> list[int]:
    if isinstance(source, SlotIndex):
        return source.page(start, count, reverse)
    n = len(source)
    if start >= n:
        return []
    if not reverse:
        return list(source[start : start + count])
    hi = n - start
    out = list(source[max(0, hi - count) : hi])
    out.reverse()
    return out


def sort_small(records: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    key = sort.lstrip("-")
    return sorted(records, key=lambda r: (r.get(key) is None, r.get(key)), reverse=sort.startswith("-"))


def page_objects(world: World, records: list[dict[str, Any]], q: dict[str, Any]) -> dict[str, Any]:
    page, size = q["page"], q["recordsPerPage"]
    chunk = records[(page - 1) * size : page * size]
    return {"records": chunk, "page": page, "totalRecords": total_records(world, len(records), size)}
