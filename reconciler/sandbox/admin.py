"""The `/_admin` surface (docs/architecture.md, "Sandbox interface"): out-of-band changes,
the whole state, modes, the virtual clock and the request counters. No auth: loopback only.

The out-of-band changes themselves are the world's (outofband.py): they deliberately skip the
domain rules, except that moving a number off its profile follows `profile_leave`. This module
is HTTP only: routes, body checks, and the answers.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote

from reconciler.sandbox import errors as E
from reconciler.sandbox import render as R
from reconciler.sandbox.modes import ModeError, check_modes
from reconciler.sandbox.seed import SeedError
from reconciler.sandbox.responses import Response, json_response
from reconciler.sandbox.snapshot import snapshot
from reconciler.sandbox.validation import load_json

if TYPE_CHECKING:
    from reconciler.sandbox.engine import World

# The most one `POST /_admin/advance` may move the clock: 10 years (of 365.25 days). Enough for
# any life cycle, and it keeps a typo like 1e300 from pushing every timestamp out of range.
MAX_ADVANCE = 10 * 365.25 * 86400


def _body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    body = load_json(raw, "the body")
    if not isinstance(body, dict):
        raise E.bad_field("", "the body must be a JSON object")
    return body


def _only(body: dict[str, Any], allowed: set[str]) -> None:
    for key in body:
        if key not in allowed:
            raise E.bad_field("/" + key, f"unknown field {key!r}; allowed: {', '.join(sorted(allowed))}")


class Served(Protocol):
    """What the admin surface reads of the app that serves it (app.App): the world and the counters."""

    world: World
    counters: Any


class Admin:
    def __init__(self, app: Served) -> None:
        self.app = app

    @property
    def world(self) -> Any:
        return self.app.world

    def handle(self, method: str, path: str, raw: bytes) -> Response:
        parts = [unquote(p) for p in path.strip("/").split("/")[1:]]
        key = (method, parts[0] if parts else "", len(parts))
        routes = {
            ("GET", "state", 1): lambda: self.state(),
            ("POST", "seed", 1): lambda: self.seed(_body(raw)),
            ("PUT", "numbers", 2): lambda: self.put_number(parts[1], _body(raw)),
            ("DELETE", "numbers", 2): lambda: self.delete_number(parts[1]),
            ("PUT", "assignments", 2): lambda: self.put_assignment(parts[1], _body(raw)),
            ("DELETE", "assignments", 2): lambda: self.delete_assignment(parts[1]),
            ("PATCH", "campaigns", 2): lambda: self.patch_campaign(parts[1], _body(raw)),
            ("GET", "modes", 1): lambda: dict(self.world.modes),
            ("PUT", "modes", 1): lambda: self.put_modes(_body(raw)),
            ("POST", "advance", 1): lambda: self.advance(_body(raw)),
            ("GET", "counters", 1): lambda: {**self.app.counters.snapshot(),
                                              "redundant_writes": self.world.redundant_writes},
            ("POST", "counters", 2): lambda: self.reset_counters(parts[1]),
        }
        route = routes.get(key)
        if route is None:
            raise E.not_found(f"No admin route {method} {path}")
        return json_response(200, route())

    # ---- whole state -------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return snapshot(self.world)

    def seed(self, doc: dict[str, Any]) -> dict[str, Any]:
        try:
            self.world.load(doc, "seed")
        except SeedError as exc:
            raise E.ApiError(400, E.BAD_REQUEST, str(exc)) from None
        return {"ok": True}

    # ---- out of band (outofband.py) ------------------------------------------------------

    def put_number(self, e164: str, body: dict[str, Any]) -> dict[str, Any]:
        _only(body, {"messaging_profile_id", "type"})
        slot = self.world.set_number(e164, profile_id=body.get("messaging_profile_id"),
                                     move="messaging_profile_id" in body, number_type=body.get("type"))
        return {"phone_number": e164, "id": str(self.world.store.number_id(slot))}

    def delete_number(self, e164: str) -> dict[str, Any]:
        self.world.remove_number(e164)
        return {"deleted": e164}

    def put_assignment(self, e164: str, body: dict[str, Any]) -> dict[str, Any]:
        _only(body, {"tcr_campaign_id", "status", "failure_reasons", "tmobile_mapping_status",
                     "non_tmobile_mapping_status"})
        slot = self.world.set_record(e164, body.get("tcr_campaign_id"), body.get("status") or "ASSIGNED",
                                     body.get("failure_reasons"), tmobile_mapping=body.get("tmobile_mapping_status"),
                                     others_mapping=body.get("non_tmobile_mapping_status"))
        return R.pnc_dict(self.world, slot)

    def delete_assignment(self, e164: str) -> dict[str, Any]:
        self.world.remove_record(e164)
        return {"deleted": e164}

    # ---- campaigns, modes, clock, counters ---------------------------------------------

    def patch_campaign(self, tcr_id: str, body: dict[str, Any]) -> dict[str, Any]:
        _only(body, {"sharing_status", "campaign_status", "number_pooling", "failure_reasons",
                     "next_renewal_or_expiration_date", "auto_renewal"})
        campaign = self.world.set_campaign(tcr_id, body)
        return {
            "tcr_campaign_id": campaign.tcr_id,
            "sharing_status": campaign.sharing_status or None,
            "campaign_status": campaign.campaign_status,
            "number_pooling": campaign.number_pooling,
            "failure_reasons": campaign.failure_reasons,
            "next_renewal_or_expiration_date": campaign.renewal,
            "auto_renewal": campaign.auto_renewal,
        }

    def put_modes(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            self.world.modes.update(check_modes(body))
        except ModeError as exc:
            raise E.bad_field("", str(exc)) from None
        return dict(self.world.modes)

    def advance(self, body: dict[str, Any]) -> dict[str, Any]:
        _only(body, {"seconds"})
        seconds = body.get("seconds")
        # json.loads takes NaN, Infinity and 1e400 (= inf): check the value, not only its type.
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, (int, float))
            or (isinstance(seconds, float) and not math.isfinite(seconds))
            or not 0 <= seconds <= MAX_ADVANCE
        ):
            raise E.bad_field(
                "/seconds",
                f"seconds must be a finite number from 0 to {MAX_ADVANCE:.0f} (10 years), got {json.dumps(seconds)}",
            )
        try:
            self.world.clock.advance(float(seconds))
        except ValueError as exc:
            raise E.bad_field("/seconds", str(exc)) from None
        self.world.tick()
        return {"now": R.iso_z(self.world.clock.now())}

    def reset_counters(self, what: str) -> dict[str, Any]:
        if what != "reset":
            raise E.not_found(f"No admin route POST /_admin/counters/{what}")
        self.app.counters.reset()
        self.world.redundant_writes = 0
        return {**self.app.counters.snapshot(), "redundant_writes": 0}
