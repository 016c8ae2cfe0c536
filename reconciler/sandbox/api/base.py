"""What every handler shares: the request it is given, the result it returns, and the refusals
whose shape a mode chooses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox import errors as E
from reconciler.sandbox.engine import World

Payload = Any
Result = tuple[int, Payload]


@dataclass
class Request:
    path: dict[str, str]
    query: dict[str, Any]
    body: dict[str, Any]


Handler = Callable[[World, Request], Result]


class BadRequest(E.ApiError):
    """A request the operation's own rules refuse (answered in the error shape of mode error_shape)."""


def absent(world: World, err: E.ApiError, *, fastapi_loc: list[str] | None = None) -> E.ApiError:
    """Mode absent_status: how this Telnyx says "there is none" on the reads that may say it otherwise."""
    status = world.modes["absent_status"]
    if status == "404" or err.status != 404:
        return err
    if status == "422" and fastapi_loc is not None:
        return E.validation_422(fastapi_loc, err.detail)
    return E.ApiError(int(status), E.BAD_REQUEST if status == "400" else "10015", err.detail,
                      parameter=err.parameter, pointer=err.pointer)
