"""From a matched operation to its answer: parse the query and body as the operation declares
them, run the handler, and turn every refusal into the Telnyx error the spec (and mode
error_shape) gives that operation."""

from __future__ import annotations

from reconciler.sandbox import domain as D
from reconciler.sandbox import errors as E
from reconciler.sandbox.api.base import BadRequest, Request, Result
from reconciler.sandbox.api.routes import Operation
from reconciler.sandbox.engine import World
from reconciler.sandbox.validation import parse_body, parse_query

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
