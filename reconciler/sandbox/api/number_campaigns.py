"""/10dlc/phone_number_campaigns: one number's campaign assignment (PhoneNumberCampaign), and the
account's list of them, paged straight from the world's indexes."""

from __future__ import annotations

from reconciler.sandbox import domain as D
from reconciler.sandbox import errors as E
from reconciler.sandbox import render as R
from reconciler.sandbox.api.base import Request, Result, absent
from reconciler.sandbox.api.paging import check_list_page_max, page_10dlc, slice_slots
from reconciler.sandbox.engine import World
from reconciler.sandbox.validation import Field, Param, page_params_10dlc

SORTS = ("assignmentStatus", "-assignmentStatus", "createdAt", "-createdAt", "phoneNumber", "-phoneNumber")
LIST_QUERY = (
    *page_params_10dlc(20),
    Param("filter[telnyx_campaign_id]", "uuid"),
    Param("filter[telnyx_brand_id]", "uuid"),
    Param("filter[tcr_campaign_id]"),
    Param("filter[tcr_brand_id]"),
    Param("sort", enum=SORTS, default="-createdAt"),
)
BODY = {"phoneNumber": Field("str", required=True), "campaignId": Field("str", required=True)}


def list_pnc(world: World, req: Request) -> Result:
    q = req.query
    sort: str = q["sort"]
    reverse = sort.startswith("-")
    source = world.assignment_slots(
        sort.lstrip("-"),
        tcr_campaign_id=q["filter[tcr_campaign_id]"],
        telnyx_campaign_id=q["filter[telnyx_campaign_id]"],
        telnyx_brand_id=q["filter[telnyx_brand_id]"],
        tcr_brand_id=q["filter[tcr_brand_id]"],
    )
    page, size = q["page"], q["recordsPerPage"]
    check_list_page_max(world, size)
    slots = slice_slots(source, (page - 1) * size, size, reverse)
    return 200, page_10dlc(world, [R.pnc_json(world, slot) for slot in slots], page, len(source), size)


def create_pnc(world: World, req: Request) -> Result:
    slot = world.create_assignment(req.body["phoneNumber"], req.body["campaignId"])
    return 200, R.pnc_json(world, slot)


def get_pnc(world: World, req: Request) -> Result:
    try:
        slot = world.record_slot(req.path["phoneNumber"])
    except D.NotFound as err:
        raise absent(world, E.from_domain(err)) from None
    return 200, R.pnc_json(world, slot)


def put_pnc(world: World, req: Request) -> Result:
    slot = world.put_assignment(req.path["phoneNumber"], req.body["phoneNumber"], req.body["campaignId"])
    return 200, R.pnc_json(world, slot)


def delete_pnc(world: World, req: Request) -> Result:
    return 200, world.delete_assignment(req.path["phoneNumber"], lambda slot: R.pnc_dict(world, slot))
