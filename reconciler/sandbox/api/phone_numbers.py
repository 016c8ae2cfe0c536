"""/phone_numbers/messaging and /phone_numbers/{id}/messaging (classic): the numbers' messaging
settings, listed, read one by one, and changed (profile, product, tags)."""

from __future__ import annotations

from reconciler.sandbox import render as R
from reconciler.sandbox.api.base import Request, Result
from reconciler.sandbox.api.paging import page_classic, slice_slots
from reconciler.sandbox.engine import World
from reconciler.sandbox.state import NUMBER_TYPES
from reconciler.sandbox.validation import CLASSIC_PAGE, Field, Param

LIST_QUERY = (
    *CLASSIC_PAGE,
    Param("filter[messaging_profile_id]", "uuid"),
    Param("filter[phone_number]"),
    Param("filter[phone_number][contains]"),
    Param("filter[type]", enum=NUMBER_TYPES),
    Param("sort[phone_number]", enum=("asc", "desc")),
)
PATCH_BODY = {
    "messaging_profile_id": Field("str", nullable=True),
    "messaging_product": Field("str", nullable=True),
    "tags": Field("str_list", nullable=True),
}


def list_numbers(world: World, req: Request) -> Result:
    q = req.query
    wanted = q["filter[phone_number]"]
    source = world.number_slots(
        phone_numbers=None if wanted is None else frozenset(n.strip() for n in wanted.split(",") if n.strip()),
        profile_id=q["filter[messaging_profile_id]"],
        contains=q["filter[phone_number][contains]"],
        number_type=q["filter[type]"],
    )
    page, size = q["page[number]"], q["page[size]"]
    slots = slice_slots(source, (page - 1) * size, size, q["sort[phone_number]"] == "desc")
    return 200, page_classic([R.number_json(world, slot) for slot in slots], page, size, len(source))


def get_number(world: World, req: Request) -> Result:
    slot = world.find_number_by_id(req.path["id"])
    return 200, '{"data":%s}' % R.number_json(world, slot)


def patch_number(world: World, req: Request) -> Result:
    slot = world.find_number_by_id(req.path["id"])
    world.patch_messaging(slot, req.body)
    return 200, '{"data":%s}' % R.number_json(world, slot)
