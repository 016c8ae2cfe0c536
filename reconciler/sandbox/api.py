"""The `/v2` operations of the spec subset: routing table and handlers.

Each operation is declared once with its operationId (the counters key on it), its query
parameters and its body fields; `app.py` does auth, rate limiting, faults and counting, then
calls `dispatch`. Handlers return `(status, payload)` where payload is either ready JSON text
(hot list pages) or a JSON-able object.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from reconciler.sandbox import errors as E
from reconciler.sandbox import render as R
from reconciler.sandbox.engine import World, valid_tcr_id, valid_uuid
from reconciler.sandbox.state import NUMBER_TYPES, STATUS_NAMES, SlotIndex
from reconciler.sandbox.validation import CLASSIC_PAGE, Field, Param, page_params_10dlc, parse_body, parse_query

Payload = Any
Result = tuple[int, Payload]


@dataclass
class Request:
    path: dict[str, str]
    query: dict[str, Any]
    body: dict[str, Any]


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    op_id: str
    handler: Callable[[World, Request], Result]
    query: tuple[Param, ...] = ()
    body: dict[str, Field] | None = None
    family: str = "10dlc"  # "10dlc" | "classic": which error envelope and pagination

    @property
    def segments(self) -> list[str]:
        return self.template.strip("/").split("/")


OPERATIONS: list[Operation] = []


def op(method: str, template: str, op_id: str, *, query: Sequence[Param] = (), body: dict[str, Field] | None = None, family: str = "10dlc") -> Callable[[Callable[[World, Request], Result]], Callable[[World, Request], Result]]:
    def register(fn: Callable[[World, Request], Result]) -> Callable[[World, Request], Result]:
        OPERATIONS.append(Operation(method, template, op_id, fn, tuple(query), body, family))
        return fn

    return register


# ---- paging ---------------------------------------------------------------------------------


def _total_records(world: World, total: int, size: int, *, assignment_list: bool = False) -> int:
    # What totalRecords counts is unconfirmed (mode total_records; telnyx-api.md §6), and maybe
    # not the same for every list (mode value `mixed`).
    mode = world.modes["total_records"]
    if mode == "pages" or (mode == "mixed" and assignment_list):
        return math.ceil(total / size) if size else 0
    return total


def _check_list_page_max(world: World, size: int) -> None:
    """Mode list_page_max: the lists whose maximum the spec does not give may refuse over 250."""
    if world.modes["list_page_max"] == "250" and size > 250:
        raise E.bad_param("recordsPerPage", f"Query parameter 'recordsPerPage' must be at most 250, got {size}")


def page_10dlc(world: World, items: list[str], page: int, total: int, size: int) -> str:
    """A page of the assignment list."""
    return '{"records":[%s],"page":%d,"totalRecords":%d}' % (
        ",".join(items), page, _total_records(world, total, size, assignment_list=True))


def page_classic(items: list[str], page: int, size: int, total: int) -> str:
    return '{"data":[%s],"meta":{"page_number":%d,"page_size":%d,"total_pages":%d,"total_results":%d}}' % (
        ",".join(items),
        page,
        size,
        math.ceil(total / size),
        total,
    )


def _slice(source: SlotIndex | Sequence[int], start: int, count: int, reverse: bool) -> list[int]:
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


def _sort_small(records: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    key = sort.lstrip("-")
    return sorted(records, key=lambda r: (r.get(key) is None, r.get(key)), reverse=sort.startswith("-"))


def _page_objects(world: World, records: list[dict[str, Any]], q: dict[str, Any]) -> dict[str, Any]:
    page, size = q["page"], q["recordsPerPage"]
    chunk = records[(page - 1) * size : page * size]
    return {"records": chunk, "page": page, "totalRecords": _total_records(world, len(records), size)}


def _cached(world: World, key: tuple[Any, ...], build: Callable[[], list[int]], *, status: bool = False) -> list[int]:
    """Query results that no index covers, cached until the state they depend on changes."""
    s = world.store
    stamp = (s.version, s.status_version if status else 0)
    hit = world.cache.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]  # type: ignore[no-any-return]
    if len(world.cache) > 64:
        world.cache.clear()
    value = build()
    world.cache[key] = (stamp, value)
    return value


# ---- 10DLC: phone number campaigns ----------------------------------------------------------

_PNC_SORTS = ("assignmentStatus", "-assignmentStatus", "createdAt", "-createdAt", "phoneNumber", "-phoneNumber")


@op(
    "GET",
    "/10dlc/phone_number_campaigns",
    "GetAllPhoneNumberCampaigns",
    query=(
        *page_params_10dlc(20),
        Param("filter[telnyx_campaign_id]", "uuid"),
        Param("filter[telnyx_brand_id]", "uuid"),
        Param("filter[tcr_campaign_id]"),
        Param("filter[tcr_brand_id]"),
        Param("sort", enum=_PNC_SORTS, default="-createdAt"),
    ),
)
def list_pnc(world: World, req: Request) -> Result:
    s = world.store
    q = req.query
    camps: set[int] | None = None

    def narrow(found: set[int]) -> None:
        nonlocal camps
        camps = found if camps is None else camps & found

    if q["filter[tcr_campaign_id]"] is not None:
        idx = s.campaign_by_tcr.get(q["filter[tcr_campaign_id]"])
        narrow(set() if idx is None else {idx})
    if q["filter[telnyx_campaign_id]"] is not None:
        idx = s.campaign_by_uuid.get(q["filter[telnyx_campaign_id]"].lower())
        narrow(set() if idx is None else {idx})
    if q["filter[telnyx_brand_id]"] is not None:
        want = q["filter[telnyx_brand_id]"].lower()
        narrow({c.idx for c in s.campaigns if c.brand_idx >= 0 and s.brands[c.brand_idx].brand_id == want})
    if q["filter[tcr_brand_id]"] is not None:
        narrow({c.idx for c in s.campaigns if c.tcr_brand_id == q["filter[tcr_brand_id]"]})

    sort: str = q["sort"]
    field = sort.lstrip("-")
    reverse = sort.startswith("-")
    source: SlotIndex | Sequence[int]
    if field == "assignmentStatus":
        key = ("pnc-status", None if camps is None else frozenset(camps))
        base = s.asg_by_number.slots if camps is None else [x for c in sorted(camps) for x in s.campaigns[c].by_number.slots]
        source = _cached(
            world, key, lambda: sorted(base, key=lambda slot: (STATUS_NAMES[s.astatus[slot]], s.e164[slot])), status=True
        )
    elif camps is None:
        source = s.asg_by_number if field == "phoneNumber" else s.asg_by_created
    elif len(camps) == 1:
        campaign = s.campaigns[next(iter(camps))]
        source = campaign.by_number if field == "phoneNumber" else campaign.by_created
    else:
        chosen = sorted(camps)
        keyf = s._e164_key if field == "phoneNumber" else s._seq_key
        source = _cached(
            world,
            ("pnc", field, frozenset(chosen)),
            lambda: sorted((x for c in chosen for x in s.campaigns[c].by_number.slots), key=keyf),
        )
    page, size = q["page"], q["recordsPerPage"]
    _check_list_page_max(world, size)
    slots = _slice(source, (page - 1) * size, size, reverse)
    return 200, page_10dlc(world, [R.pnc_json(world, slot) for slot in slots], page, len(source), size)


_PNC_BODY = {"phoneNumber": Field("str", required=True), "campaignId": Field("str", required=True)}


@op("POST", "/10dlc/phone_number_campaigns", "CreatePhoneNumberCampaign", body=_PNC_BODY)
def create_pnc(world: World, req: Request) -> Result:
    slot = world.create_assignment(req.body["phoneNumber"], req.body["campaignId"])
    return 200, R.pnc_json(world, slot)


def _record_slot(world: World, number: str) -> int:
    slot = world.number_slot(number, parameter="phoneNumber")
    if world.store.acamp[slot] < 0:
        raise E.not_found(f"Number {number} has no campaign assignment", parameter="phoneNumber")
    return slot


def _absent(world: World, err: E.ApiError, *, fastapi_loc: list[str] | None = None) -> E.ApiError:
    """Mode absent_status: how this Telnyx says "there is none" on the reads that may say it otherwise."""
    status = world.modes["absent_status"]
    if status == "404" or err.status != 404:
        return err
    if status == "422" and fastapi_loc is not None:
        return E.validation_422(fastapi_loc, err.detail)
    return E.ApiError(int(status), E.BAD_REQUEST if status == "400" else "10015", err.detail,
                      parameter=err.parameter, pointer=err.pointer)


@op("GET", "/10dlc/phone_number_campaigns/{phoneNumber}", "GetSinglePhoneNumberCampaign")
def get_pnc(world: World, req: Request) -> Result:
    try:
        slot = _record_slot(world, req.path["phoneNumber"])
    except E.ApiError as err:
        raise _absent(world, err) from None
    return 200, R.pnc_json(world, slot)


@op("PUT", "/10dlc/phone_number_campaigns/{phoneNumber}", "PutPhoneNumberCampaign", body=_PNC_BODY)
def put_pnc(world: World, req: Request) -> Result:
    slot = world.put_assignment(req.path["phoneNumber"], req.body["phoneNumber"], req.body["campaignId"])
    return 200, R.pnc_json(world, slot)


@op("DELETE", "/10dlc/phone_number_campaigns/{phoneNumber}", "DeletePhoneNumberCampaign")
def delete_pnc(world: World, req: Request) -> Result:
    return 200, world.delete_assignment(req.path["phoneNumber"])


# ---- 10DLC: bulk assignment by profile ------------------------------------------------------


@op(
    "POST",
    "/10dlc/phoneNumberAssignmentByProfile",
    "PostAssignMessagingProfileToCampaign",
    body={"messagingProfileId": Field("str", required=True), "campaignId": Field("str"), "tcrCampaignId": Field("str")},
)
def create_task(world: World, req: Request) -> Result:
    b = req.body
    task = world.create_task(b["messagingProfileId"], b.get("campaignId"), b.get("tcrCampaignId"))
    out: dict[str, Any] = {"messagingProfileId": b["messagingProfileId"], "taskId": task.task_id}
    if task.campaign_id is not None:
        out["campaignId"] = task.campaign_id
    if task.tcr_campaign_id is not None:
        out["tcrCampaignId"] = task.tcr_campaign_id
    return 202, out


def _task(world: World, task_id: str) -> Any:
    task = world.tasks.get(task_id)
    if task is None:
        raise E.not_found(f"Task {task_id} not found", parameter="taskId")
    return task


@op("GET", "/10dlc/phoneNumberAssignmentByProfile/{taskId}", "GetAssignmentTaskStatus")
def get_task(world: World, req: Request) -> Result:
    return 200, R.task_dict(_task(world, req.path["taskId"]))


@op(
    "GET",
    "/10dlc/phoneNumberAssignmentByProfile/{taskId}/phoneNumbers",
    "GetPhoneNumberStatus",
    query=page_params_10dlc(20),
)
def get_task_numbers(world: World, req: Request) -> Result:
    from reconciler.sandbox.engine import NUM_STATUS_NAMES

    task = _task(world, req.path["taskId"])
    page, size = req.query["page"], req.query["recordsPerPage"]
    _check_list_page_max(world, size)
    start = (page - 1) * size
    records = [
        {"taskId": task.task_id, "phoneNumber": task.e164[i], "status": NUM_STATUS_NAMES[task.statuses[i]]}
        for i in range(start, min(start + size, len(task.e164)))
    ]
    # The schema declares `records` only (telnyx-api.md §2.3): clients must page until short.
    return 200, {"records": records}


# ---- 10DLC: shared (partner) campaigns ------------------------------------------------------

_PARTNER_SORTS = tuple(
    x
    for k in ("assignedPhoneNumbersCount", "brandDisplayName", "tcrBrandId", "tcrCampaignId", "createdAt", "campaignStatus")
    for x in (k, "-" + k)
)


def _accepted_partner_campaigns(world: World) -> list[Any]:
    # "limited to only returning shared campaigns that Telnyx has accepted" (telnyx-api.md §4.1)
    return [c for c in world.store.campaigns if c.kind == "shared" and c.sharing_status == "ACCEPTED"]


@op(
    "GET",
    "/10dlc/partner_campaigns",
    "GetSharedCampaigns",
    query=(*page_params_10dlc(10), Param("sort", enum=_PARTNER_SORTS, default="-createdAt")),
)
def list_partner(world: World, req: Request) -> Result:
    records = [R.downstream_campaign_dict(c) for c in _accepted_partner_campaigns(world)]
    return 200, _page_objects(world, _sort_small(records, req.query["sort"]), req.query)


def _partner(world: World, campaign_id: str, *, any_sharing: bool = False) -> Any:
    s = world.store
    idx = s.campaign_by_tcr.get(campaign_id)
    if idx is None or s.campaigns[idx].kind != "shared":
        raise E.not_found(f"Partner campaign {campaign_id} not found", parameter="campaignId")
    campaign = s.campaigns[idx]
    if not any_sharing and campaign.sharing_status != "ACCEPTED":
        # Shares Telnyx has not accepted are visible only through the sharing endpoint.
        raise E.not_found(f"Partner campaign {campaign_id} not found (sharing {campaign.sharing_status})", parameter="campaignId")
    return campaign


@op("GET", "/10dlc/partner_campaigns/{campaignId}", "GetSharedCampaign")
def get_partner(world: World, req: Request) -> Result:
    return 200, R.downstream_campaign_dict(_partner(world, req.path["campaignId"]))


@op(
    "PATCH",
    "/10dlc/partner_campaigns/{campaignId}",
    "UpdateSharedCampaign",
    body={"webhookURL": Field("str"), "webhookFailoverURL": Field("str")},
)
def patch_partner(world: World, req: Request) -> Result:
    campaign = _partner(world, req.path["campaignId"])
    if "webhookURL" in req.body:
        campaign.webhook_url = req.body["webhookURL"]
    if "webhookFailoverURL" in req.body:
        campaign.webhook_failover_url = req.body["webhookFailoverURL"]
    campaign.updated = world.clock.now()
    return 200, R.downstream_campaign_dict(campaign)


@op("GET", "/10dlc/partnerCampaign/sharedByMe", "GetPartnerCampaignsSharedByUser", query=page_params_10dlc(10))
def shared_by_me(world: World, req: Request) -> Result:
    records = [
        {
            "brandId": c.tcr_brand_id,
            "campaignId": c.tcr_id,
            "usecase": c.usecase,
            "createDate": str(int(c.created)),
            "status": "EXPIRED" if c.campaign_status == "TCR_EXPIRED" else "ACTIVE",
        }
        for c in _accepted_partner_campaigns(world)
    ]
    return 200, _page_objects(world, records, req.query)


@op("GET", "/10dlc/partnerCampaign/{campaignId}/sharing", "GetPartnerCampaignSharingStatus")
def partner_sharing(world: World, req: Request) -> Result:
    try:
        campaign = _partner(world, req.path["campaignId"], any_sharing=True)
    except E.ApiError as err:
        raise _absent(world, err, fastapi_loc=["path", "campaignId"]) from None
    # The map's keys are undocumented (telnyx-api.md §8.6): their shape is mode sharing_map.
    return 200, R.sharing_map(world, campaign)


# ---- 10DLC: the account's own brands and campaigns ------------------------------------------

_BRAND_SORTS = tuple(
    x
    for k in ("assignedCampaignsCount", "brandId", "createdAt", "displayName", "identityStatus", "status", "tcrBrandId")
    for x in (k, "-" + k)
)


@op(
    "GET",
    "/10dlc/brand",
    "GetBrands",
    query=(
        *page_params_10dlc(10),
        Param("sort", enum=_BRAND_SORTS, default="-createdAt"),
        Param("displayName"),
        Param("entityType"),
        Param("state"),
        Param("country"),
        Param("brandId"),
        Param("tcrBrandId"),
    ),
)
def list_brands(world: World, req: Request) -> Result:
    q = req.query
    records = [R.brand_dict(world, b) for b in world.store.brands]
    for name in ("displayName", "entityType", "brandId", "tcrBrandId"):
        if q[name] is not None:
            records = [r for r in records if r[name] == q[name]]
    if q["state"] is not None or q["country"] not in (None, "US"):
        records = []  # every sandbox brand is a US brand with no state on file
    sort = q["sort"].replace("assignedCampaignsCount", "assignedCampaingsCount")
    return 200, _page_objects(world, _sort_small(records, sort), q)


_CAMPAIGN_SORTS = tuple(
    x for k in ("assignedPhoneNumbersCount", "campaignId", "createdAt", "status", "tcrCampaignId") for x in (k, "-" + k)
)


@op(
    "GET",
    "/10dlc/campaign",
    "GetCampaigns",
    query=(
        Param("brandId", required=True),
        *page_params_10dlc(10),
        Param("sort", enum=_CAMPAIGN_SORTS, default="-createdAt"),
    ),
)
def list_campaigns(world: World, req: Request) -> Result:
    s = world.store
    want = req.query["brandId"].lower()
    records = [
        R.telnyx_campaign_dict(world, c, with_count=True)
        for c in s.campaigns
        if c.brand_idx >= 0 and s.brands[c.brand_idx].brand_id == want
    ]
    sort = req.query["sort"].replace("createdAt", "createDate")
    return 200, _page_objects(world, _sort_small(records, sort), req.query)


def _own_or_partner(world: World, campaign_id: str) -> Any:
    s = world.store
    idx = s.campaign_by_uuid.get(campaign_id.lower())
    if idx is None:
        idx = s.campaign_by_tcr.get(campaign_id)
    if idx is None:
        raise E.not_found(f"Campaign {campaign_id} not found", parameter="campaignId")
    return s.campaigns[idx]


@op("GET", "/10dlc/campaign/{campaignId}", "GetCampaign")
def get_campaign(world: World, req: Request) -> Result:
    s = world.store
    idx = s.campaign_by_uuid.get(req.path["campaignId"].lower())
    if idx is None:
        raise E.not_found(f"Campaign {req.path['campaignId']} not found", parameter="campaignId")
    return 200, R.telnyx_campaign_dict(world, s.campaigns[idx], with_count=False)


@op("GET", "/10dlc/campaign/{campaignId}/sharing", "GetCampaignSharingStatus")
def campaign_sharing(world: World, req: Request) -> Result:
    campaign = _own_or_partner(world, req.path["campaignId"])
    if campaign.kind == "telnyx":
        return 200, {}  # registered in this account, shared with nobody
    return 200, {"sharedWithMe": R.sharing_status_dict(campaign)}


_MNO_IDS = ("10017", "10035", "10037", "10038")  # AT&T, T-Mobile, Verizon, US Cellular (TCR ids)


@op("GET", "/10dlc/campaign/{campaignId}/operationStatus", "GetCampaignOperationStatus")
def campaign_operation_status(world: World, req: Request) -> Result:
    campaign = _own_or_partner(world, req.path["campaignId"])
    status = {
        "MNO_PROVISIONED": "APPROVED",
        "MNO_ACCEPTED": "APPROVED",
        "TCR_SUSPENDED": "SUSPENDED",
        "MNO_REJECTED": "REJECTED",
        "MNO_PROVISIONING_FAILED": "REJECTED",
    }.get(campaign.campaign_status, "REVIEW")
    return 200, {mno: status for mno in _MNO_IDS}


@op("POST", "/10dlc/campaign/acceptSharing/{campaignId}", "AcceptCampaign")
def accept_sharing(world: World, req: Request) -> Result:
    campaign_id = req.path["campaignId"]
    if not valid_tcr_id(campaign_id):
        raise E.bad_param("campaignId", f"campaignId {campaign_id!r} must match ^C[A-Z0-9]{{5,8}}$")
    world.accept_sharing(campaign_id)
    return 202, {}


# ---- classic: messaging profiles and numbers ------------------------------------------------


@op(
    "GET",
    "/messaging_profiles",
    "ListMessagingProfiles",
    query=(Param("filter[name]"), *CLASSIC_PAGE, Param("filter[name][eq]"), Param("filter[name][contains]")),
    family="classic",
)
def list_profiles(world: World, req: Request) -> Result:
    q = req.query
    profiles = list(world.store.profiles)
    if q["filter[name]"] is not None:
        profiles = [p for p in profiles if p.name == q["filter[name]"]]
    if q["filter[name][eq]"] is not None:
        profiles = [p for p in profiles if p.name == q["filter[name][eq]"]]
    if q["filter[name][contains]"] is not None:
        profiles = [p for p in profiles if q["filter[name][contains]"] in p.name]
    page, size = q["page[number]"], q["page[size]"]
    chunk = profiles[(page - 1) * size : page * size]
    items = [R._dumps(R.profile_dict(p)) for p in chunk]
    return 200, page_classic(items, page, size, len(profiles))


def _profile(world: World, pid: str) -> Any:
    if not valid_uuid(pid):
        raise E.bad_param("id", f"Messaging profile id {pid!r} must be a UUID", code=E.INVALID_ID)
    idx = world.store.profile_by_id.get(pid.lower())
    if idx is None:
        raise E.not_found(f"Messaging profile {pid} not found", parameter="id")
    return world.store.profiles[idx]


@op("GET", "/messaging_profiles/{id}", "RetrieveMessagingProfile", family="classic")
def get_profile(world: World, req: Request) -> Result:
    return 200, {"data": R.profile_dict(_profile(world, req.path["id"]))}


@op("GET", "/messaging_profiles/{id}/phone_numbers", "ListProfilePhoneNumbers", query=CLASSIC_PAGE, family="classic")
def list_profile_numbers(world: World, req: Request) -> Result:
    profile = _profile(world, req.path["id"])
    page, size = req.query["page[number]"], req.query["page[size]"]
    slots = profile.numbers.page((page - 1) * size, size)
    return 200, page_classic([R.number_json(world, slot) for slot in slots], page, size, len(profile.numbers))


@op(
    "GET",
    "/phone_numbers/messaging",
    "ListPhoneNumbersWithMessagingSettings",
    query=(
        *CLASSIC_PAGE,
        Param("filter[messaging_profile_id]", "uuid"),
        Param("filter[phone_number]"),
        Param("filter[phone_number][contains]"),
        Param("filter[type]", enum=NUMBER_TYPES),
        Param("sort[phone_number]", enum=("asc", "desc")),
    ),
    family="classic",
)
def list_numbers(world: World, req: Request) -> Result:
    s = world.store
    q = req.query
    pid = q["filter[messaging_profile_id]"]
    contains = q["filter[phone_number][contains]"]
    ntype = q["filter[type]"]
    source: SlotIndex | Sequence[int]
    if q["filter[phone_number]"] is not None:
        wanted = {n.strip() for n in q["filter[phone_number]"].split(",") if n.strip()}
        source = sorted((s.by_e164[n] for n in wanted if n in s.by_e164), key=s._e164_key)
        if pid is not None:
            target = s.profile_by_id.get(pid.lower(), -2)
            source = [x for x in source if s.nprofile[x] == target]
    elif pid is not None:
        idx = s.profile_by_id.get(pid.lower())
        source = s.profiles[idx].numbers if idx is not None else []
    else:
        source = s.all_numbers
    if contains is not None or ntype is not None:
        base = source.slots if isinstance(source, SlotIndex) else source
        code = NUMBER_TYPES.index(ntype) if ntype is not None else -1
        source = _cached(
            world,
            ("numbers", q["filter[phone_number]"], pid, contains, ntype),
            lambda: [
                x
                for x in base
                if (code < 0 or s.ntype[x] == code) and (contains is None or contains in s.e164[x])  # type: ignore[operator]
            ],
        )
    page, size = q["page[number]"], q["page[size]"]
    slots = _slice(source, (page - 1) * size, size, q["sort[phone_number]"] == "desc")
    return 200, page_classic([R.number_json(world, slot) for slot in slots], page, size, len(source))


@op("GET", "/phone_numbers/{id}/messaging", "GetPhoneNumberMessagingSettings", family="classic")
def get_number(world: World, req: Request) -> Result:
    slot = world.find_number_by_id(req.path["id"])
    return 200, '{"data":%s}' % R.number_json(world, slot)


@op(
    "PATCH",
    "/phone_numbers/{id}/messaging",
    "UpdatePhoneNumberMessagingSettings",
    body={
        "messaging_profile_id": Field("str", nullable=True),
        "messaging_product": Field("str", nullable=True),
        "tags": Field("str_list", nullable=True),
    },
    family="classic",
)
def patch_number(world: World, req: Request) -> Result:
    slot = world.find_number_by_id(req.path["id"])
    world.patch_messaging(slot, req.body)
    return 200, '{"data":%s}' % R.number_json(world, slot)


@op(
    "POST",
    "/messaging_numbers_bulk_updates",
    "BulkUpdateMessagingSettingsOnPhoneNumbers",
    body={
        "messaging_profile_id": Field("str", required=True),
        "numbers": Field("str_list", required=True),
        "assign_only": Field("bool"),
    },
    family="classic",
)
def create_order(world: World, req: Request) -> Result:
    order = world.create_order(req.body["messaging_profile_id"], req.body["numbers"])
    return 200, {"data": R.order_dict(order)}


@op("GET", "/messaging_numbers_bulk_updates/{order_id}", "GetBulkUpdateMessagingSettingsOnPhoneNumbersStatus", family="classic")
def get_order(world: World, req: Request) -> Result:
    order = world.orders.get(req.path["order_id"])
    if order is None:
        raise E.not_found(f"Order {req.path['order_id']} not found", parameter="order_id")
    return 200, {"data": R.order_dict(order)}


# ---- routing --------------------------------------------------------------------------------


class Router:
    """Matches `/v2`-relative paths to operations; literal segments beat parameters."""

    def __init__(self, operations: list[Operation]) -> None:
        self.by_len: dict[int, list[tuple[list[str], Operation]]] = {}
        for operation in operations:
            segs = operation.segments
            self.by_len.setdefault(len(segs), []).append((segs, operation))
        for routes in self.by_len.values():
            routes.sort(key=lambda r: -sum(1 for seg in r[0] if not seg.startswith("{")))

    def match(self, method: str, path: str) -> tuple[Operation | None, dict[str, str], bool]:
        """→ (operation, path params, path_exists)."""
        parts = path.strip("/").split("/")
        path_exists = False
        found_params: dict[str, str] = {}
        for segs, operation in self.by_len.get(len(parts), ()):
            params: dict[str, str] = {}
            for seg, part in zip(segs, parts):
                if seg.startswith("{"):
                    if not part:
                        break
                    params[seg[1:-1]] = unquote(part)
                elif seg != part:
                    break
            else:
                if operation.method == method:
                    return operation, params, True
                if not path_exists:
                    path_exists, found_params = True, params
        return None, found_params, path_exists


ROUTER = Router(OPERATIONS)


# Operations whose spec declares only the FastAPI-style 422 (`HTTPValidationError`) for a bad
# request: their validation errors are answered in that shape, so a client meets it on the
# normal path and not only on the sharing read (telnyx-api.md §4).
FASTAPI_422 = frozenset({
    "GetPhoneNumberStatus", "GetSharedCampaigns", "GetSharedCampaign", "UpdateSharedCampaign",
    "GetPartnerCampaignsSharedByUser", "GetPartnerCampaignSharingStatus", "GetCampaigns", "GetCampaign",
    "GetCampaignSharingStatus", "GetCampaignOperationStatus", "AcceptCampaign",
})


def dispatch(world: World, operation: Operation, params: dict[str, str], pairs: list[tuple[str, str]], raw_body: bytes, content_type: str | None) -> Result:
    try:
        query = parse_query(pairs, operation.query, world.modes)
        body = parse_body(raw_body, content_type, operation.body)
    except E.ApiError as err:
        if operation.op_id in FASTAPI_422 and err.status == 400:
            where = ["query", err.parameter] if err.parameter else ["body", *(err.pointer or "/").strip("/").split("/")]
            raise E.validation_422(where, err.detail) from None
        raise
    return operation.handler(world, Request(params, query, body))
