"""The `/v2` operations of the spec subset: routing table and handlers.

Each operation is declared once with its operationId (the counters key on it), its query
parameters and its body fields; `app.py` does auth, rate limiting, faults and counting, then
calls `dispatch`. Handlers return `(status, payload)` where payload is either ready JSON text
(hot list pages) or a JSON-able object.

Handlers are HTTP only: they validate what the spec says about the request, ask the world
(its queries and commands, never the store's arrays), and render. The world's refusals are
domain exceptions; `dispatch` answers each with its Telnyx error body (`errors.from_domain`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from reconciler.sandbox import domain as D
from reconciler.sandbox import errors as E
from reconciler.sandbox import render as R
from reconciler.sandbox.engine import World, valid_tcr_id, valid_uuid
from reconciler.sandbox.queries import Slots
from reconciler.sandbox.slots import SlotIndex
from reconciler.sandbox.state import NUMBER_TYPES
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


class BadRequest(E.ApiError):
    """A request the operation's own rules refuse (answered in the error shape of mode error_shape)."""


def _check_list_page_max(world: World, size: int) -> None:
    """Mode list_page_max: the lists whose maximum the spec does not give may refuse over 250."""
    if world.modes["list_page_max"] == "250" and size > 250:
        raise BadRequest(400, E.BAD_REQUEST, f"Query parameter 'recordsPerPage' must be at most 250, got {size}",
                         parameter="recordsPerPage")


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


def _slice(source: Slots, start: int, count: int, reverse: bool) -> list[int]:
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
    _check_list_page_max(world, size)
    slots = _slice(source, (page - 1) * size, size, reverse)
    return 200, page_10dlc(world, [R.pnc_json(world, slot) for slot in slots], page, len(source), size)


_PNC_BODY = {"phoneNumber": Field("str", required=True), "campaignId": Field("str", required=True)}


@op("POST", "/10dlc/phone_number_campaigns", "CreatePhoneNumberCampaign", body=_PNC_BODY)
def create_pnc(world: World, req: Request) -> Result:
    slot = world.create_assignment(req.body["phoneNumber"], req.body["campaignId"])
    return 200, R.pnc_json(world, slot)


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
        slot = world.record_slot(req.path["phoneNumber"])
    except D.NotFound as err:
        raise _absent(world, E.from_domain(err)) from None
    return 200, R.pnc_json(world, slot)


@op("PUT", "/10dlc/phone_number_campaigns/{phoneNumber}", "PutPhoneNumberCampaign", body=_PNC_BODY)
def put_pnc(world: World, req: Request) -> Result:
    slot = world.put_assignment(req.path["phoneNumber"], req.body["phoneNumber"], req.body["campaignId"])
    return 200, R.pnc_json(world, slot)


@op("DELETE", "/10dlc/phone_number_campaigns/{phoneNumber}", "DeletePhoneNumberCampaign")
def delete_pnc(world: World, req: Request) -> Result:
    return 200, world.delete_assignment(req.path["phoneNumber"], lambda slot: R.pnc_dict(world, slot))


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


@op("GET", "/10dlc/phoneNumberAssignmentByProfile/{taskId}", "GetAssignmentTaskStatus")
def get_task(world: World, req: Request) -> Result:
    return 200, R.task_dict(world.task(req.path["taskId"]))


# Mode task_number_status=variant: the spellings the official SDK's clients accept, by turns.
_VARIANT_SPELLING = {"completed": ("success", "assigned", "done"), "pending": ("pending_assignment",)}


@op(
    "GET",
    "/10dlc/phoneNumberAssignmentByProfile/{taskId}/phoneNumbers",
    "GetPhoneNumberStatus",
    query=page_params_10dlc(20),
)
def get_task_numbers(world: World, req: Request) -> Result:
    task = world.task(req.path["taskId"])
    page, size = req.query["page"], req.query["recordsPerPage"]
    _check_list_page_max(world, size)
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


# ---- 10DLC: shared (partner) campaigns ------------------------------------------------------

_PARTNER_SORTS = tuple(
    x
    for k in ("assignedPhoneNumbersCount", "brandDisplayName", "tcrBrandId", "tcrCampaignId", "createdAt", "campaignStatus")
    for x in (k, "-" + k)
)


@op(
    "GET",
    "/10dlc/partner_campaigns",
    "GetSharedCampaigns",
    query=(*page_params_10dlc(10), Param("sort", enum=_PARTNER_SORTS, default="-createdAt")),
)
def list_partner(world: World, req: Request) -> Result:
    records = [R.downstream_campaign_dict(c) for c in world.accepted_partner_campaigns()]
    return 200, _page_objects(world, _sort_small(records, req.query["sort"]), req.query)


@op("GET", "/10dlc/partner_campaigns/{campaignId}", "GetSharedCampaign")
def get_partner(world: World, req: Request) -> Result:
    return 200, R.downstream_campaign_dict(world.partner_campaign(req.path["campaignId"]))


@op(
    "PATCH",
    "/10dlc/partner_campaigns/{campaignId}",
    "UpdateSharedCampaign",
    body={"webhookURL": Field("str"), "webhookFailoverURL": Field("str")},
)
def patch_partner(world: World, req: Request) -> Result:
    return 200, R.downstream_campaign_dict(world.update_partner_campaign(req.path["campaignId"], req.body))


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
        for c in world.accepted_partner_campaigns()
    ]
    return 200, _page_objects(world, records, req.query)


@op("GET", "/10dlc/partnerCampaign/{campaignId}/sharing", "GetPartnerCampaignSharingStatus")
def partner_sharing(world: World, req: Request) -> Result:
    try:
        campaign = world.partner_campaign(req.path["campaignId"], any_sharing=True)
    except D.NotFound as err:
        raise _absent(world, E.from_domain(err), fastapi_loc=["path", "campaignId"]) from None
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
    records = [R.brand_dict(world, b) for b in world.brands()]
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
    records = [R.telnyx_campaign_dict(world, c, with_count=True) for c in world.campaigns_of_brand(req.query["brandId"])]
    sort = req.query["sort"].replace("createdAt", "createDate")
    return 200, _page_objects(world, _sort_small(records, sort), req.query)


@op("GET", "/10dlc/campaign/{campaignId}", "GetCampaign")
def get_campaign(world: World, req: Request) -> Result:
    return 200, R.telnyx_campaign_dict(world, world.telnyx_campaign(req.path["campaignId"]), with_count=False)


@op("GET", "/10dlc/campaign/{campaignId}/sharing", "GetCampaignSharingStatus")
def campaign_sharing(world: World, req: Request) -> Result:
    campaign = world.any_campaign(req.path["campaignId"])
    if campaign.kind == "telnyx":
        return 200, {}  # registered in this account, shared with nobody
    return 200, {"sharedWithMe": R.sharing_status_dict(campaign)}


_MNO_IDS = ("10017", "10035", "10037", "10038")  # AT&T, T-Mobile, Verizon, US Cellular (TCR ids)


@op("GET", "/10dlc/campaign/{campaignId}/operationStatus", "GetCampaignOperationStatus")
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
    equal = [name for name in (q["filter[name]"], q["filter[name][eq]"]) if name is not None]
    profiles = world.profiles_named(equal=equal, contains=q["filter[name][contains]"])
    page, size = q["page[number]"], q["page[size]"]
    chunk = profiles[(page - 1) * size : page * size]
    items = [json.dumps(R.profile_dict(p)) for p in chunk]
    return 200, page_classic(items, page, size, len(profiles))


def _profile(world: World, pid: str) -> Any:
    if not valid_uuid(pid):
        raise E.bad_param("id", f"Messaging profile id {pid!r} must be a UUID", code=E.INVALID_ID)
    return world.profile(pid)


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
    q = req.query
    wanted = q["filter[phone_number]"]
    source = world.number_slots(
        phone_numbers=None if wanted is None else frozenset(n.strip() for n in wanted.split(",") if n.strip()),
        profile_id=q["filter[messaging_profile_id]"],
        contains=q["filter[phone_number][contains]"],
        number_type=q["filter[type]"],
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
    return 200, {"data": R.order_dict(world.order(req.path["order_id"]))}


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
    "GetSharedCampaigns", "GetSharedCampaign", "UpdateSharedCampaign",
    "GetPartnerCampaignsSharedByUser", "GetPartnerCampaignSharingStatus", "GetCampaigns", "GetCampaign",
    "GetCampaignSharingStatus", "GetCampaignOperationStatus", "AcceptCampaign",
})
# Operations whose spec declares their 422 with the errors[] envelope (telnyx-api.md §2.3, §7).
ERRORS_422 = frozenset({"GetPhoneNumberStatus"})


def _bad_request(world: World, operation: Operation, err: E.ApiError) -> E.ApiError:
    """A request the operation refuses before doing anything, in the shape its spec declares (mode
    error_shape=spec), or in the other one (swapped: a 10DLC operation declaring errors[] answers
    FastAPI's 422, one declaring FastAPI's answers a 400 errors[]). Classic operations keep errors[]."""
    if err.status != 400 or operation.family != "10dlc":
        return err
    swapped = world.modes["error_shape"] == "swapped"
    if (operation.op_id in FASTAPI_422) != swapped:
        where = ["query", err.parameter] if err.parameter else ["body", *(err.pointer or "/").strip("/").split("/")]
        return E.validation_422(where, err.detail)
    if operation.op_id in ERRORS_422 and not swapped:
        return E.ApiError(422, err.code, err.detail, pointer=err.pointer, parameter=err.parameter)
    return err


def dispatch(world: World, operation: Operation, params: dict[str, str], pairs: list[tuple[str, str]], raw_body: bytes, content_type: str | None) -> Result:
    try:
        query = parse_query(pairs, operation.query, world.modes)
        body = parse_body(raw_body, content_type, operation.body)
    except E.ApiError as err:
        raise _bad_request(world, operation, err) from None
    try:
        return operation.handler(world, Request(params, query, body))
    except BadRequest as err:
        raise _bad_request(world, operation, err) from None
    except D.DomainError as err:
        raise E.from_domain(err) from None
