"""/messaging_numbers_bulk_updates (classic): an order moving numbers onto a messaging profile
(or off every profile), and its progress."""

from __future__ import annotations

from reconciler.sandbox import render as R
from reconciler.sandbox.api.base import Request, Result
from reconciler.sandbox.engine import World
from reconciler.sandbox.validation import Field

CREATE_BODY = {
    "messaging_profile_id": Field("str", required=True),
    "numbers": Field("str_list", required=True),
    "assign_only": Field("bool"),
}


def create_order(world: World, req: Request) -> Result:
    order = world.create_order(req.body["messaging_profile_id"], req.body["numbers"])
    return 200, {"data": R.order_dict(order)}


def get_order(world: World, req: Request) -> Result:
    return 200, {"data": R.order_dict(world.order(req.path["order_id"]))}
