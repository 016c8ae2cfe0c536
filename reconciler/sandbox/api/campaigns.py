"""/10dlc/campaign: the account's own campaigns (by brand, one, its sharing and its carriers'
status), and accepting a campaign another account shares."""

from __future__ import annotations

from reconciler.sandbox import errors as E
from reconciler.sandbox import render as R
from reconciler.sandbox.api.base import Request, Result
from reconciler.sandbox.api.paging import page_objects, sort_small
from reconciler.sandbox.engine import World, valid_tcr_id
from reconciler.sandbox.validation import Param, page_params_10dlc

SORTS = tuple(
    x for k in ("assignedPhoneNumbersCount", "campaignId", "createdAt", "status", "tcrCampaignId") for x in (k, "-" + k)
)
LIST_QUERY = (
    Param("brandId", required=True),
    *page_params_10dlc(10),
    Param("sort", enum=SORTS, default="-createdAt"),
)


def list_campaigns(world: World, req: Request) -> Result:
    records = [R.telnyx_campaign_dict(world, c, with_count=True) for c in world.campaigns_of_brand(req.query["brandId"])]
    sort = req.query["sort"].replace("createdAt", "createDate")
    return 200, page_objects(world, sort_small(records, sort), req.query)


def get_campaign(world: World, req: Request) -> Result:
    return 200, R.telnyx_campaign_dict(world, world.telnyx_campaign(req.path["campaignId"]), with_count=False)


def campaign_sharing(world: World, req: Request) -> Result:
    campaign = world.any_campaign(req.path["campaignId"])
    if campaign.kind == "telnyx":
        return 200, {}  # registered in this account, shared with nobody
    return 200, {"sharedWithMe": R.sharing_status_dict(campaign)}


_MNO_IDS = ("10017", "10035", "10037", "10038")  # AT&T, T-Mobile, Verizon, US Cellular (TCR ids)


def campaign_operation_status(world: World, req: Request) -> Result:
    campaign = world.any_campaign(req.path["campaignId"])
    status = {
        "MNO_PROVISIONED": "APPROVED",
        "MNO_ACCEPTED": "APPROVED",
        "TCR_SUSPENDED": "SUSPENDED",
        "MNO_REJECTED": "REJECTED",
        "MNO_PROVISIONING_FAILED": "REJECTED",
    }.get(campaign.campaign_status, "REVIEW")
    return 200, {mno: status for mno in _MNO_IDS}


def accept_sharing(world: World, req: Request) -> Result:
    campaign_id = req.path["campaignId"]
    if not valid_tcr_id(campaign_id):
        raise E.bad_param("campaignId", f"campaignId {campaign_id!r} must match ^C[A-Z0-9]{{5,8}}$")
    world.accept_sharing(campaign_id)
    return 202, {}
