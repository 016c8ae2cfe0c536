"""Thin typed write calls for `apply` (matches `reconciler.apply.Writer`).

Retry policy per call:

- `bulk_move` (POST /messaging_numbers_bulk_updates) and `patch_profile` (PATCH) *set*
  a value, so repeating them is harmless: they are retried like idempotent requests.
- `assign` (POST /10dlc/phone_number_campaigns) is retried after an ambiguous failure
  only if re-reading the number's assignment shows it did not take effect.
- `bulk_assign` (POST /10dlc/phoneNumberAssignmentByProfile) has no read-back that
  returns its task id: after an ambiguous failure it raises ApiUnavailable unless the
  caller passes `took_effect` (returning a task id, or None to retry).
- `replace` (PUT) and `unassign` (DELETE) set a state, but repeating one that took effect
  is not free: a PUT over a PENDING_ASSIGNMENT, or a DELETE of a PENDING_UNASSIGNMENT, asks
  Telnyx for work it is already doing (and a PUT of the same campaign may provision the number
  again, mode put_same). So after an ambiguous failure each re-reads the number first, like
  `assign`. A 404 on DELETE means the number has no assignment (already gone), as wanted.
"""

from __future__ import annotations

from typing import Any, Callable

from reconciler.model import ASSIGNED, PENDING_ASSIGNMENT, PENDING_UNASSIGNMENT, TELNYX, LiveAssignment, LiveCampaign

from .client import TelnyxClient
from .errors import bad_response
from .pagination import iter_10dlc
from .assignments import ASSIGNMENT, ASSIGNMENTS, assignment_of
from .reader import NUMBER_BATCH, numbers_by_e164
from .records import SAFE_ID

BULK_UPDATES = "/messaging_numbers_bulk_updates"
BULK_UPDATE = "/messaging_numbers_bulk_updates/{order_id}"
NUMBER_MESSAGING = "/phone_numbers/{id}/messaging"
BULK_ASSIGN = "/10dlc/phoneNumberAssignmentByProfile"
TASK = "/10dlc/phoneNumberAssignmentByProfile/{taskId}"
TASK_NUMBERS = "/10dlc/phoneNumberAssignmentByProfile/{taskId}/phoneNumbers"


def _campaign_ref(c: LiveCampaign) -> str:
    """The id a per-number write names: the Telnyx UUID for TELNYX kind, the TCR id for shared."""
    if c.kind == TELNYX and c.telnyx_campaign_id:
        return c.telnyx_campaign_id
    return c.tcr_campaign_id


def _str_list(call: str, body: dict, name: str) -> list[str]:
    v = body.get(name, [])
    if v is None:
        return []
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise bad_response(call, f"field '{name}' is not a list of numbers")
    return list(v)


class TelnyxWriter:
    def __init__(self, client: TelnyxClient) -> None:
        self.client = client

    # ---- messaging profile moves
    def bulk_move(self, profile_id: str, numbers: list[str]) -> str:
        """Put `numbers` on `profile_id` (""; unassign from any); returns the order id."""
        call = f"POST {BULK_UPDATES}"
        _, body = self.client.post(BULK_UPDATES, json={"messaging_profile_id": profile_id, "numbers": list(numbers),
                                                       "assign_only": True}, idempotent=True)
        data = body.get("data") if isinstance(body, dict) else None
        oid = data.get("order_id") if isinstance(data, dict) else None
        if not isinstance(oid, str) or not SAFE_ID.match(oid):
            raise bad_response(call, "field 'data.order_id' is missing or not an id")
        return oid

    def get_bulk_order(self, order_id: str) -> dict[str, list[str]]:
        call = f"GET {BULK_UPDATE}"
        body = self.client.get_json(BULK_UPDATE, path={"order_id": order_id})
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise bad_response(call, "field 'data' is missing or not an object")
        return {k: _str_list(call, data, k) for k in ("success", "pending", "failed")}

    def profiles_of(self, numbers: list[str]) -> dict[str, str | None]:
        """Where each number sits now (absent: not owned), read in batches of a full page.

        Confirms many bulk orders at once: ceil(n/250) reads instead of one poll per order."""
        return {n.number: n.profile_id for n in numbers_by_e164(self.client, numbers)}

    @staticmethod
    def profile_read_cost(count: int) -> int:
        return -(-count // NUMBER_BATCH)

    def patch_profile(self, number_id: str, profile_id: str) -> None:
        """PATCH one number (by its numeric id) onto `profile_id`."""
        _, body = self.client.patch(NUMBER_MESSAGING, path={"id": number_id},
                                    json={"messaging_profile_id": profile_id})
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise bad_response(f"PATCH {NUMBER_MESSAGING}", "field 'data' is missing or not an object")

    # ---- bulk assignment by profile
    def bulk_assign(self, profile_id: str, campaign: LiveCampaign,
                    took_effect: Callable[[], str | None] | None = None) -> str:
        """Assign every number on `profile_id` to `campaign`; returns the task id."""
        call = f"POST {BULK_ASSIGN}"
        payload: dict[str, Any] = {"messagingProfileId": profile_id}
        if campaign.kind == TELNYX and campaign.telnyx_campaign_id:
            payload["campaignId"] = campaign.telnyx_campaign_id
        else:
            payload["tcrCampaignId"] = campaign.tcr_campaign_id
        status, body = self.client.post(BULK_ASSIGN, json=payload, took_effect=took_effect)
        if status == 0 and isinstance(body, str):
            return body  # the caller's re-read found the task
        tid = body.get("taskId") if isinstance(body, dict) else None
        if not isinstance(tid, str) or not SAFE_ID.match(tid):
            raise bad_response(call, "field 'taskId' is missing or not an id", status)
        return tid

    def get_task(self, task_id: str) -> str:
        call = f"GET {TASK}"
        body = self.client.get_json(TASK, path={"taskId": task_id})
        st = body.get("status") if isinstance(body, dict) else None
        if not isinstance(st, str) or not st:
            raise bad_response(call, "field 'status' is missing or not a string")
        return st.lower()

    def task_numbers(self, task_id: str) -> list[tuple[str, str]]:
        call = f"GET {TASK_NUMBERS}"
        out: list[tuple[str, str]] = []
        for r in iter_10dlc(self.client, TASK_NUMBERS, path={"taskId": task_id},
                            key=lambda r: r.get("phoneNumber")):
            n, s = r.get("phoneNumber"), r.get("status")
            if not isinstance(n, str) or not isinstance(s, str):
                raise bad_response(call, "field 'phoneNumber' or 'status' is missing or not a string")
            out.append((n, s))
        return out

    # ---- per-number assignment
    def get_assignment(self, number: str) -> LiveAssignment | None:
        return assignment_of(self.client, number)

    def assign(self, number: str, campaign: LiveCampaign) -> None:
        _, body = self.client.post(ASSIGNMENTS, json={"phoneNumber": number, "campaignId": _campaign_ref(campaign)},
                                   took_effect=lambda: self._on(number, campaign))
        if not isinstance(body, (dict, LiveAssignment)):
            raise bad_response(f"POST {ASSIGNMENTS}", "body is not an object")

    def _on(self, number: str, campaign: LiveCampaign) -> LiveAssignment | None:
        """The number's assignment if it is on (or on its way to) `campaign`."""
        a = self.get_assignment(number)
        if a is not None and a.tcr_campaign_id == campaign.tcr_campaign_id and a.status in (
                ASSIGNED, PENDING_ASSIGNMENT):
            return a
        return None

    def replace(self, number: str, campaign: LiveCampaign) -> None:
        _, body = self.client.put(ASSIGNMENT, path={"phoneNumber": number},
                                  json={"phoneNumber": number, "campaignId": _campaign_ref(campaign)},
                                  took_effect=lambda: self._on(number, campaign))
        if not isinstance(body, (dict, LiveAssignment)):
            raise bad_response(f"PUT {ASSIGNMENT}", "body is not an object")

    def unassign(self, number: str) -> None:
        def took_effect() -> bool:
            a = self.get_assignment(number)
            return a is None or a.status == PENDING_UNASSIGNMENT

        self.client.delete(ASSIGNMENT, path={"phoneNumber": number}, allow_status=(404,), took_effect=took_effect)
