"""/10dlc/brand: the account's own brands (one per campaign registered in it)."""

from __future__ import annotations

from reconciler.sandbox import render as R
from reconciler.sandbox.api.base import Request, Result
from reconciler.sandbox.api.paging import page_objects, sort_small
from reconciler.sandbox.engine import World
from reconciler.sandbox.validation import Param, page_params_10dlc

SORTS = tuple(
    x
    for k in ("assignedCampaignsCount", "brandId", "createdAt", "displayName", "identityStatus", "status", "tcrBrandId")
    for x in (k, "-" + k)
)
LIST_QUERY = (
    *page_params_10dlc(10),
    Param("sort", enum=SORTS, default="-createdAt"),
    Param("displayName"),
    Param("entityType"),
    Param("state"),
    Param("country"),
    Param("brandId"),
    Param("tcrBrandId"),
)


def list_brands(world: World, req: Request) -> Result:
    q = req.query
    records = [R.brand_dict(world, b) for b in world.brands()]
    for name in ("displayName", "entityType", "brandId", "tcrBrandId"):
        if q[name] is not None:
            records = [r for r in records if r[name] == q[name]]
    if q["state"] is not None or q["country"] not in (None, "US"):
        records = []  # every sandbox brand is a US brand with no state on file
    sort = q["sort"].replace("assignedCampaignsCount", "assignedCampaingsCount")
    return 200, page_objects(world, sort_small(records, sort), q)
