"""/10dlc/phoneNumberAssignmentByProfile: bulk assignment of a messaging profile's numbers to a
campaign, the task's status, and its per-number list."""

from __future__ import annotations

from typing import Any

from reconciler.sandbox import render as R
from reconciler.sandbox.api.base import Request, Result
from reconciler.sandbox.api.paging import check_list_page_max
from reconciler.sandbox.engine import World
from reconciler.sandbox.validation import Field, page_params_10dlc

CREATE_BODY = {"messagingProfileId": Field("str", required=True), "campaignId": Field("str"), "tcrCampaignId": Field("str")}
NUMBERS_QUERY = page_params_10dlc(20)


def create_task(world: World, req: Request) -> Result:
    b = req.body
    task = world.create_task(b["messagingProfileId"], b.get("campaignId"), b.get("tcrCampaignId"))
    out: dict[str, Any] = {"messagingProfileId": b["messagingProfileId"], "taskId": task.task_id}
    if task.campaign_id is not None:
        out["campaignId"] = task.campaign_id
    if task.tcr_campaign_id is not None:
        out["tcrCampaignId"] = task.tcr_campaign_id
    return 202, out


def get_task(world: World, req: Request) -> Result:
    return 200, R.task_dict(world.task(req.path["taskId"]))


# Mode task_number_status=variant: the spellings the official SDK's clients accept, by turns.
_VARIANT_SPELLING = {"completed": ("success", "assigned", "done"), "pending": ("pending_assignment",)}


def get_task_numbers(world: World, req: Request) -> Result:
    task = world.task(req.path["taskId"])
    page, size = req.query["page"], req.query["recordsPerPage"]
    check_list_page_max(world, size)
    start = (page - 1) * size
    # The spec gives per-number statuses no enum (telnyx-api.md §2.3): mode task_number_status.
    spell = _VARIANT_SPELLING if world.modes["task_number_status"] == "variant" else {}
    records = [
        {"taskId": task.task_id, "phoneNumber": number,
         "status": spell.get(status, (status,))[(start + i) % len(spell.get(status, (status,)))]}
        for i, (number, status) in enumerate(task.numbers(start, start + size))
    ]
    # The schema declares `records` only (telnyx-api.md §2.3): clients must page until short.
    return 200, {"records": records}
