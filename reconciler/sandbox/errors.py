"""Telnyx-shaped errors: `{"errors": [{code, title, detail, source}]}`.

Codes are Telnyx's general ones (telnyx-api.md §7, source S6). Validation failures are 400 on
every operation: the operations that declare an explicit 422 declare it with FastAPI's
`HTTPValidationError` shape, so a 400 with the `errors` envelope is the answer that stays inside
the spec everywhere (`4XX` → errors envelope).
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox import domain as D

MISSING_PARAMETER = "10004"
NOT_FOUND = "10005"
INVALID_ID = "10006"
UNEXPECTED = "10007"
AUTH_FAILED = "10009"
TOO_MANY_REQUESTS = "10011"
DUPLICATE = "10012"
BAD_REQUEST = "10015"
NOT_E164 = "10016"
ASSOCIATED_MISSING = "10017"
IN_USE = "10021"

TITLES = {
    MISSING_PARAMETER: "Missing required parameter",
    NOT_FOUND: "Resource not found",
    INVALID_ID: "Invalid ID",
    UNEXPECTED: "Unexpected error",
    AUTH_FAILED: "Authentication failed",
    TOO_MANY_REQUESTS: "Too many requests",
    DUPLICATE: "Duplicate resource",
    BAD_REQUEST: "Bad Request",
    NOT_E164: "Phone number must be in +E.164 format",
    ASSOCIATED_MISSING: "Associated resource does not exist",
    IN_USE: "Resource in use",
}


class ApiError(Exception):
    """Raised by handlers and validators; rendered as a Telnyx error body."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        pointer: str | None = None,
        parameter: str | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.pointer = pointer
        self.parameter = parameter
        self.title = title or TITLES.get(code, "Error")

    raw_body: dict[str, Any] | None = None  # a body of another shape (the FastAPI-style 422 some operations declare)

    def body(self) -> dict[str, Any]:
        if self.raw_body is not None:
            return self.raw_body
        item: dict[str, Any] = {"code": self.code, "title": self.title, "detail": self.detail}
        source: dict[str, str] = {}
        if self.pointer is not None:
            source["pointer"] = self.pointer
        if self.parameter is not None:
            source["parameter"] = self.parameter
        if source:
            item["source"] = source
        return {"errors": [item]}


def validation_422(loc: list[str], msg: str) -> ApiError:
    """The FastAPI-style 422 (`HTTPValidationError`) that the sharing operations declare in the spec."""
    err = ApiError(422, "422", msg)
    err.raw_body = {"detail": [{"loc": loc, "msg": msg, "type": "value_error"}]}
    return err


def bad_param(name: str, detail: str, code: str = BAD_REQUEST) -> ApiError:
    return ApiError(400, code, detail, parameter=name)


def bad_field(pointer: str, detail: str, code: str = BAD_REQUEST) -> ApiError:
    return ApiError(400, code, detail, pointer=pointer)


def not_found(detail: str, *, parameter: str | None = None, pointer: str | None = None) -> ApiError:
    return ApiError(404, NOT_FOUND, detail, parameter=parameter, pointer=pointer)


def unprocessable(detail: str, *, pointer: str | None = None, code: str = BAD_REQUEST) -> ApiError:
    """A request that is well-formed but breaks a domain rule."""
    return ApiError(422, code, detail, pointer=pointer)


# Domain refusals (domain.py) → Telnyx status and code; the most specific class wins.
_DOMAIN = (
    (D.NotE164, 400, NOT_E164),
    (D.Missing, 400, MISSING_PARAMETER),
    (D.Invalid, 400, BAD_REQUEST),
    (D.NotFound, 404, NOT_FOUND),
    (D.Conflict, 422, DUPLICATE),
    (D.InUse, 422, IN_USE),
    (D.Refused, 422, BAD_REQUEST),
)


def from_domain(err: D.DomainError) -> ApiError:
    """The Telnyx error a real Telnyx answers a refusal of this kind with."""
    for cls, status, code in _DOMAIN:
        if isinstance(err, cls):
            return ApiError(status, code, err.detail, pointer=err.pointer, parameter=err.parameter)
    return ApiError(500, UNEXPECTED, err.detail)  # pragma: no cover - a DomainError subclass with no mapping
