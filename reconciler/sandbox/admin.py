"""The `/_admin` surface (docs/architecture.md, "Sandbox interface"): out-of-band changes,
the whole state, modes, the virtual clock and the request counters. No auth: loopback only.

Out-of-band changes deliberately skip the domain rules (they model what happens behind the
reconciler's back), except that moving a number off its profile follows `profile_leave`.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from reconciler.sandbox import errors as E
from reconciler.sandbox import render as R
from reconciler.sandbox.modes import ModeError, check_modes
from reconciler.sandbox.seed import E164_RE, SeedError
from reconciler.sandbox.state import (
    NUMBER_TYPES,
    SHARING_STATUSES,
    STATUS_CODES,
    STATUS_NAMES,
    CAMPAIGN_STATUSES,
)

if TYPE_CHECKING:
    from reconciler.sandbox.app import App, Response

# The most one `POST /_admin/advance` may move the clock: 10 years (of 365.25 days). Enough for
# any life cycle, and it keeps a typo like 1e300 from pushing every timestamp out of range.
MAX_ADVANCE = 10 * 365.25 * 86400


def _body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise E.bad_field("", f"not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise E.bad_field("", "the body must be a JSON object")
    return body


def _only(body: dict[str, Any], allowed: set[str]) -> None:
    for key in body:
        if key not in allowed:
            raise E.bad_field("/" + key, f"unknown field {key!r}; allowed: {', '.join(sorted(allowed))}")


class Admin:
    def __init__(self, app: App) -> None:
        self.app = app

    @property
    def world(self) -> Any:
        return self.app.world

    def handle(self, method: str, path: str, raw: bytes) -> Response:
        from reconciler.sandbox.app import json_response

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
        w = self.world
        s = w.store
        profiles = [{"id": p.id, "name": p.name, "phone_number_count": len(p.numbers)} for p in s.profiles]
        numbers = [
            {
                "phone_number": s.e164[slot],
                "messaging_profile_id": s.profiles[s.nprofile[slot]].id if s.nprofile[slot] >= 0 else None,
                "type": NUMBER_TYPES[s.ntype[slot]],
                "id": str(s.number_id(slot)),
            }
            for slot in s.all_numbers.slots
        ]
        campaigns = []
        for c in s.campaigns:
            item: dict[str, Any] = {"tcr_campaign_id": c.tcr_id, "kind": c.kind}
            if c.kind == "shared":
                item["sharing_status"] = c.sharing_status
            item.update(
                campaign_status=c.campaign_status,
                number_pooling=c.number_pooling,
                telnyx_campaign_id=c.telnyx_id or None,
                brand_id=s.brands[c.brand_idx].brand_id if c.brand_idx >= 0 else None,
                tcr_brand_id=c.tcr_brand_id,
                assigned_count=c.active_count,
            )
            campaigns.append(item)
        assignments = [
            {
                "phone_number": s.e164[slot],
                "tcr_campaign_id": s.campaigns[s.acamp[slot]].tcr_id,
                "status": STATUS_NAMES[s.astatus[slot]],
                "failure_reasons": s.areason.get(slot),
                "campaign_id": s.campaigns[s.acamp[slot]].campaign_id,
                "created_at": R.iso_naive(s.acreated[slot]),
                "updated_at": R.iso_naive(s.aupdated[slot]),
            }
            for slot in s.asg_by_number.slots
        ]
        tasks = [
            {
                "task_id": t.task_id,
                "status": t.status,
                "messaging_profile_id": s.profiles[t.profile_idx].id,
                "tcr_campaign_id": s.campaigns[t.camp_idx].tcr_id,
                "campaign_id": t.campaign_id,
                "created_at": R.iso_z(t.created),
                "updated_at": R.iso_z(t.updated),
                "phone_numbers": [
                    {"phone_number": number, "status": status} for number, status in t.numbers()
                ],
            }
            for t in w.tasks.values()
        ]
        orders = [
            {
                **R.order_dict(o),
                "status": "done" if o.done else "pending",
                "messaging_profile_id": s.profiles[o.profile_idx].id if o.profile_idx >= 0 else "",
            }
            for o in w.orders.values()
        ]
        return {
            "messaging_profiles": profiles,
            "phone_numbers": numbers,
            "campaigns": campaigns,
            "assignments": assignments,
            "tasks": tasks,
            "orders": orders,
            "modes": dict(w.modes),
            "timing": {**w.timing.as_dict(), "time_scale": w.clock.scale},
            "now": R.iso_z(w.clock.now()),
        }

    def seed(self, doc: dict[str, Any]) -> dict[str, Any]:
        try:
            self.world.load(doc, "seed")
        except SeedError as exc:
            raise E.ApiError(400, E.BAD_REQUEST, str(exc)) from None
        return {"ok": True}

    # ---- numbers -----------------------------------------------------------------------

    def _slot(self, e164: str) -> int:
        slot = self.world.store.by_e164.get(e164)
        if slot is None:
            raise E.not_found(f"number {e164} is not in the sandbox")
        return slot  # type: ignore[no-any-return]

    def put_number(self, e164: str, body: dict[str, Any]) -> dict[str, Any]:
        _only(body, {"messaging_profile_id", "type"})
        w = self.world
        s = w.store
        now = w.clock.now()
        if not E164_RE.match(e164):
            raise E.ApiError(400, E.NOT_E164, f"{e164!r} is not a +E.164 number")
        profile_idx = -1
        pid = body.get("messaging_profile_id")
        if pid is not None:
            found = s.profile_by_id.get(str(pid).lower())
            if found is None:
                raise E.not_found(f"messaging profile {pid} is not in the sandbox", pointer="/messaging_profile_id")
            profile_idx = found
        ntype = body.get("type")
        if ntype is not None and ntype not in NUMBER_TYPES:
            raise E.bad_field("/type", f"type must be one of {'|'.join(NUMBER_TYPES)}")
        slot = s.by_e164.get(e164)
        if slot is None:
            slot = s.add_number(e164, NUMBER_TYPES.index(ntype or "longcode"), profile_idx, now)
        else:
            if "messaging_profile_id" in body:
                w.move_number(slot, profile_idx, now)
            if ntype is not None:
                s.ntype[slot] = NUMBER_TYPES.index(ntype)
                s.version += 1
        return {"phone_number": e164, "id": str(s.number_id(slot))}

    def delete_number(self, e164: str) -> dict[str, Any]:
        self.world.store.delete_number(self._slot(e164))
        return {"deleted": e164}

    # ---- assignments -------------------------------------------------------------------

    def put_assignment(self, e164: str, body: dict[str, Any]) -> dict[str, Any]:
        _only(body, {"tcr_campaign_id", "status", "failure_reasons"})
        w = self.world
        s = w.store
        now = w.clock.now()
        slot = self._slot(e164)
        camp_idx = s.campaign_by_tcr.get(body.get("tcr_campaign_id"))
        if camp_idx is None:
            raise E.not_found(f"campaign {body.get('tcr_campaign_id')!r} is not in the sandbox", pointer="/tcr_campaign_id")
        status_name = body.get("status") or "ASSIGNED"
        if status_name not in STATUS_CODES:
            raise E.bad_field("/status", f"status must be one of {'|'.join(STATUS_CODES)}")
        reason = body.get("failure_reasons")
        if reason is not None and not isinstance(reason, str):
            raise E.bad_field("/failure_reasons", "failure_reasons must be a string or null")
        status = STATUS_CODES[status_name]
        if s.acamp[slot] == camp_idx:
            s.set_status(slot, status, reason, now)
        else:
            s.create_record(slot, camp_idx, status, reason, now)
        # Out-of-band pending states still progress, like any other.
        w.expect_resolution(slot, now)
        return R.pnc_dict(w, slot)

    def delete_assignment(self, e164: str) -> dict[str, Any]:
        s = self.world.store
        slot = self._slot(e164)
        if s.acamp[slot] < 0:
            raise E.not_found(f"number {e164} has no assignment")
        s.drop_record(slot)
        return {"deleted": e164}

    # ---- campaigns, modes, clock, counters ---------------------------------------------

    def patch_campaign(self, tcr_id: str, body: dict[str, Any]) -> dict[str, Any]:
        _only(body, {"sharing_status", "campaign_status", "number_pooling"})
        w = self.world
        s = w.store
        idx = s.campaign_by_tcr.get(tcr_id)
        if idx is None:
            raise E.not_found(f"campaign {tcr_id} is not in the sandbox")
        campaign = s.campaigns[idx]
        if "sharing_status" in body:
            if campaign.kind != "shared" or body["sharing_status"] not in SHARING_STATUSES:
                raise E.bad_field("/sharing_status", f"only a shared campaign has one, and it is one of {'|'.join(SHARING_STATUSES)}")
            campaign.sharing_status = body["sharing_status"]
            s.version += 1
        if "campaign_status" in body:
            if body["campaign_status"] not in CAMPAIGN_STATUSES:
                raise E.bad_field("/campaign_status", f"campaign_status must be one of {', '.join(CAMPAIGN_STATUSES)}")
            campaign.campaign_status = body["campaign_status"]
        if "number_pooling" in body:
            if not isinstance(body["number_pooling"], bool):
                raise E.bad_field("/number_pooling", "number_pooling must be a boolean")
            campaign.number_pooling = body["number_pooling"]
        campaign.updated = w.clock.now()
        return {
            "tcr_campaign_id": campaign.tcr_id,
            "sharing_status": campaign.sharing_status or None,
            "campaign_status": campaign.campaign_status,
            "number_pooling": campaign.number_pooling,
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
