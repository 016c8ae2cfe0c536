"""The whole world as `GET /_admin/state` shows it: the seed format, plus ids and statuses.

A renderer like render.py: it reads the store (the one other place besides the world's own
modules that does), so that the admin handler does not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.sandbox import render as R
from reconciler.sandbox.state import NUMBER_TYPES, STATUS_NAMES

if TYPE_CHECKING:
    from reconciler.sandbox.engine import World


def snapshot(w: World) -> dict[str, Any]:
    """The whole world in the seed format, plus ids, statuses, tasks, orders, modes and the clock."""
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
        for key, value in (("failure_reasons", c.failure_reasons), ("next_renewal_or_expiration_date", c.renewal),
                           ("auto_renewal", c.auto_renewal)):
            if value is not None:
                item[key] = value
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
    if w.modes.get("carrier_mapping") == "present":
        for item, slot in zip(assignments, s.asg_by_number.slots):
            item["tmobile_mapping_status"], item["non_tmobile_mapping_status"] = R.mapping_of(w, slot)
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
