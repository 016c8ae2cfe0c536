"""Campaigns another account shares with this one: /10dlc/partner_campaigns (list, read, webhook
update), /10dlc/partnerCampaign/sharedByMe and a shared campaign's sharing status."""

from __future__ import annotations

from reconciler.sandbox import domain as D
from reconciler.sandbox import errors as E
from reconciler.sandbox import render as R
from reconciler.sandbox.api.base import Request, Result, absent
from reconciler.sandbox.api.paging import page_objects, sort_small
from reconciler.sandbox.engine import World
from reconciler.sandbox.validation import Field, Param, page_params_10dlc

SORTS = tuple(
    x
    for k in ("assignedPhoneNumbersCount", "brandDisplayName", "tcrBrandId", "tcrCampaignId", "createdAt", "campaignStatus")
    for x in (k, "-" + k)
)
LIST_QUERY = (*page_params_10dlc(10), Param("sort", enum=SORTS, default="-createdAt"))
PATCH_BODY = {"webhookURL": Field("str"), "webhookFailoverURL": Field("str")}
SHARED_BY_ME_QUERY = page_params_10dlc(10)


def list_partner(world: World, req: Request) -> Result:
    records = [R.downstream_campaign_dict(c) for c in world.accepted_partner_campaigns()]
    return 200, page_objects(world, sort_small(records, req.query["sort"]), req.query)


def get_partner(world: World, req: Request) -> Result:
    return 200, R.downstream_campaign_dict(world.partner_campaign(req.path["campaignId"]))


def patch_partner(world: World, req: Request) -> Result:
    return 200, R.downstream_campaign_dict(world.update_partner_campaign(req.path["campaignId"], req.body))


def shared_by_me(world: World, req: Request) -> Result:
    records = [
        {
            "brandId": c.tcr_brand_id,
            "campaignId": c.tcr_id,
            "usecase": c.usecase,
            "createDate": str(int(c.created)),
            "status": "EXPIRED" if c.campaign_status == "TCR_EXPIRED" else "ACTIVE",
        }
        for c in world.accepted_partner_campaigns()
    ]
    return 200, page_objects(world, records, req.query)


def partner_sharing(world: World, req: Request) -> Result:
    try:
        campaign = world.partner_campaign(req.path["campaignId"], any_sharing=True)
    except D.NotFound as err:
        raise absent(world, E.from_domain(err), fastapi_loc=["path", "campaignId"]) from None
    # The map's keys are undocumented (telnyx-api.md §8.6): their shape is mode sharing_map.
    return 200, R.sharing_map(world, campaign)
