"""Telnyx records → model values, with every field the reconciler relies on checked.

A record with a missing or wrongly typed field raises ApiError naming the call and the
field: a plan must never be built on data the reconciler did not understand.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Mapping

from reconciler.ids import TCR_RE
from reconciler.model import (
    ASSIGNED,
    ASSIGNMENT_STATUSES,
    CARRIER_FAILED,
    CARRIER_PENDING,
    CONFLICTING,
    INVALID_ID,
    OTHER_PARTNER,
    SHARED,
    TELNYX,
    TELNYX_CNP_ID,
    LiveAssignment,
    LiveCampaign,
    LiveNumber,
)

from .errors import bad_response

E164 = re.compile(r"^\+[1-9][0-9]{6,14}\Z")

NUMBER_TYPES = {
    "longcode": "longcode", "long-code": "longcode", "long_code": "longcode",
    "tollfree": "tollfree", "toll-free": "tollfree", "toll_free": "tollfree",
    "shortcode": "shortcode", "short-code": "shortcode", "short_code": "shortcode",
}


def _field(call: str, rec: Mapping[str, Any], name: str, *, kind: str = "str", required: bool = True,
           nullable: bool = False, where: str = "") -> Any:
    label = f"{where}field '{name}'"
    if name not in rec:
        if required:
            raise bad_response(call, f"{label} is missing")
        return None
    v = rec[name]
    if v is None:
        if nullable or not required:
            return None
        raise bad_response(call, f"{label} is null")
    if kind == "str":
        if not isinstance(v, str):
            raise bad_response(call, f"{label} is {type(v).__name__}, not a string")
    elif kind == "id":  # string ids; a bare integer is accepted and kept as its digits
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            raise bad_response(call, f"{label} is {type(v).__name__}, not an id")
        v = str(v)
        if not v:
            raise bad_response(call, f"{label} is empty")
    elif kind == "bool":
        if not isinstance(v, bool):
            raise bad_response(call, f"{label} is {type(v).__name__}, not a boolean")
    elif kind == "count":
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise bad_response(call, f"{label} is {v!r}, not a count")
        v = int(v)
    return v


def _e164(call: str, v: str, where: str, name: str) -> str:
    if not E164.match(v):
        raise bad_response(call, f"{where}field '{name}' is {v[:40]!r}, not an E.164 number")
    return v


UNKNOWN_TYPE = "unknown"
# Ids from the API end up in file paths (import), YAML and reports: only this shape is used as is.
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}\Z")


def safe_id(v: Any) -> str | None:
    """An id as the API gave it if it has a plain shape, else INVALID_ID (never used as a target:
    no declared profile or campaign has that id), None if absent."""
    if v is None or v == "":
        return None
    return v if isinstance(v, str) and SAFE_ID.match(v) else INVALID_ID


def parse_number(call: str, rec: Mapping[str, Any]) -> LiveNumber:
    """A `PhoneNumberWithMessagingSettings` record. The spec makes no field required, so only the
    number itself is: an omitted or null `messaging_profile_id` means none, an omitted, null or
    unknown `type` is "unknown" (the plan blocks a declared number of unknown type, with the
    reason; an undeclared one is not its business), an omitted `id` is "" (a move then goes by
    the bulk endpoint, which names numbers by E.164)."""
    where = ""
    number = _e164(call, _field(call, rec, "phone_number", where=where), where, "phone_number")
    where = f"{number}: "
    nid = _field(call, rec, "id", kind="id", required=False, where=where) or ""
    prof = safe_id(_field(call, rec, "messaging_profile_id", required=False, nullable=True, where=where))
    raw_type = rec.get("type")
    ntype = NUMBER_TYPES.get(raw_type.strip().lower(), UNKNOWN_TYPE) if isinstance(raw_type, str) else UNKNOWN_TYPE
    return LiveNumber(number=number, id=nid, profile_id=prof or None, type=ntype)


def assignment_tcr_id(rec: Mapping[str, Any], telnyx_to_tcr: Mapping[str, str]) -> str:
    """The TCR id of an assignment record: `tcrCampaignId`, else `campaignId` if it is one,
    else the TCR id of the Telnyx campaign it names, else the raw `campaignId`."""
    tcr = rec.get("tcrCampaignId")
    if isinstance(tcr, str) and tcr:
        return tcr
    cid = rec.get("campaignId")
    if isinstance(cid, str) and TCR_RE.fullmatch(cid):
        return cid
    for k in ("telnyxCampaignId", "campaignId"):
        v = rec.get(k)
        if isinstance(v, str) and v in telnyx_to_tcr:
            return telnyx_to_tcr[v]
    return cid if isinstance(cid, str) else ""


def parse_assignment(call: str, rec: Mapping[str, Any], telnyx_to_tcr: Mapping[str, str] | None = None
                     ) -> LiveAssignment:
    """A `PhoneNumberCampaign` record."""
    number = _e164(call, _field(call, rec, "phoneNumber"), "", "phoneNumber")
    where = f"{number}: "
    _field(call, rec, "campaignId", where=where)
    for opt in ("tcrCampaignId", "telnyxCampaignId"):
        _field(call, rec, opt, required=False, where=where)
    status = _field(call, rec, "assignmentStatus", required=False, where=where)
    if status is None:
        status = ASSIGNED  # optional in the spec: a record without a status is a plain assignment
    elif status not in ASSIGNMENT_STATUSES:
        # Kept as Telnyx said it (bounded): the plan blocks writes to this number, not the run.
        status = "".join(ch for ch in status[:40] if ch.isalnum() or ch == "_") or "UNKNOWN"
    reasons = rec.get("failureReasons")
    if reasons is not None and not isinstance(reasons, str):
        reasons = str(reasons)  # the spec says string; a list is rendered, not rejected
    tcr = safe_id(assignment_tcr_id(rec, telnyx_to_tcr or {}))
    if not tcr:
        raise bad_response(call, f"{where}no campaign id in the record")
    carrier, detail = carrier_readiness(rec) if status == ASSIGNED else (None, None)
    return LiveAssignment(number=number, tcr_campaign_id=tcr, status=status, failure_reasons=reasons or None,
                          since=_timestamp(rec.get("updatedAt") or rec.get("createdAt")),
                          shared=_on_shared(rec, telnyx_to_tcr or {}), carrier=carrier, carrier_detail=detail)


# The carriers' view of a number, newer than the published spec (official SDK 4.189.0 reads both as
# free strings; no Telnyx text lists their values). ADDED is the only value read as "mapped".
CARRIER_FIELDS = (("tmobileNumberMappingStatus", "T-Mobile"), ("nonTmobileNumberMappingStatus", "other carriers"))
CARRIER_MAPPED = "ADDED"
CARRIER_KNOWN_PENDING = "PENDING"
MAX_CARRIER_VALUE = 40


def carrier_readiness(rec: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(CARRIER_PENDING | CARRIER_FAILED | None, what the fields say) of an ASSIGNED record.

    Absent, null or empty fields say nothing (the old behaviour); ADDED is mapped; a value naming a
    failure (FAILED, REJECTED, ...) is failed; PENDING and every value this reconciler does not know
    are in flight at carriers, shown as Telnyx sent them (bounded; reports escape them). Never fatal."""
    pending: list[str] = []
    failed: list[str] = []
    for key, label in CARRIER_FIELDS:
        v = rec.get(key)
        if v is None or v == "":
            continue
        text = v if isinstance(v, str) else repr(v)
        word = text.strip().upper()
        if word == CARRIER_MAPPED:
            continue
        shown = text if len(text) <= MAX_CARRIER_VALUE else text[:MAX_CARRIER_VALUE] + "…"
        if "FAIL" in word or "REJECT" in word:
            failed.append(f"{label} {shown}")
        elif word == CARRIER_KNOWN_PENDING:
            pending.append(f"{label} {shown}")
        else:
            pending.append(f"{label} {shown!r} (a value this reconciler does not know)")
    if failed:
        return CARRIER_FAILED, ("ASSIGNED at Telnyx, but the carrier mapping failed: " + ", ".join(failed + pending)
                                + "; a re-send is not known to fix it: ask Telnyx support")
    if pending:
        return CARRIER_PENDING, "ASSIGNED at Telnyx, in flight at carriers: " + ", ".join(pending)
    return None, None


def _on_shared(rec: Mapping[str, Any], telnyx_to_tcr: Mapping[str, str]) -> bool | None:
    """The spec: `brandId` is "Empty if the number is associated to a shared campaign"; a record
    naming a Telnyx campaign (one of the account's, or any `telnyxCampaignId`) is not. None when
    the record cannot tell."""
    if any(isinstance(rec.get(k), str) and rec[k] in telnyx_to_tcr for k in ("telnyxCampaignId", "campaignId")):
        return False
    if isinstance(rec.get("telnyxCampaignId"), str) and rec["telnyxCampaignId"]:
        return False  # only a campaign registered with Telnyx has a Telnyx id
    brand = rec.get("brandId")
    if brand == "":
        return True
    return False if isinstance(brand, str) else None


def _timestamp(v: Any) -> float | None:
    """ISO 8601 (with `Z`, an offset, or naive meaning UTC) → epoch seconds; None if absent or odd:
    only the age of work in flight depends on it, never a decision to write."""
    if not isinstance(v, str) or not v or len(v) > 40:
        return None
    try:
        when = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


def _word(v: str) -> str:
    """An enum-like value from Telnyx, upper case, kept to letters, digits and `_` (at most 40)."""
    return "".join(ch for ch in v[:40].upper() if ch.isascii() and (ch.isalnum() or ch == "_")) or "UNKNOWN"


def _campaign_status(call: str, rec: Mapping[str, Any], where: str) -> str | None:
    """`campaignStatus` as Telnyx says it, kept to the shape of its enum (letters, digits, `_`; at most 40):
    a value this reconciler does not know is shown, never fatal, and cannot carry markup into a report."""
    v = _field(call, rec, "campaignStatus", required=False, where=where)
    if v is None:
        return None
    return _word(v)


def parse_partner_campaign(call: str, rec: Mapping[str, Any]) -> LiveCampaign:
    """A `TelnyxDownstreamCampaign` (the partner list holds accepted shares only)."""
    tcr = _field(call, rec, "tcrCampaignId")
    where = f"{tcr}: "
    status = _campaign_status(call, rec, where)
    pool = bool(_field(call, rec, "isNumberPoolingEnabled", kind="bool", required=False, where=where)
                or _field(call, rec, "numberPool", kind="bool", required=False, where=where))
    count = _field(call, rec, "assignedPhoneNumbersCount", kind="count", required=False, where=where)
    return LiveCampaign(tcr_campaign_id=tcr, kind=SHARED, sharing_status="ACCEPTED", campaign_status=status,
                        number_pooling=pool, assigned_count=count, failure_reasons=_reasons(rec))


def parse_telnyx_campaign(call: str, rec: Mapping[str, Any]) -> LiveCampaign | None:
    """A `TelnyxCampaignWithAssignedCount_CSP`; None if it has no TCR id yet."""
    tcr = _field(call, rec, "tcrCampaignId", required=False)
    if not tcr:
        return None
    where = f"{tcr}: "
    cid = _field(call, rec, "campaignId", kind="id", where=where)
    status = _campaign_status(call, rec, where)
    pool = bool(_field(call, rec, "isTMobileNumberPoolingEnabled", kind="bool", required=False, where=where)
                or _field(call, rec, "numberPool", kind="bool", required=False, where=where))
    count = _field(call, rec, "assignedPhoneNumbersCount", kind="count", required=False, where=where)
    renews = rec.get("autoRenewal")
    return LiveCampaign(tcr_campaign_id=tcr, kind=TELNYX, sharing_status=None, campaign_status=status,
                        number_pooling=pool, telnyx_campaign_id=cid, assigned_count=count,
                        failure_reasons=_reasons(rec), renewal_at=_timestamp(rec.get("nextRenewalOrExpirationDate")),
                        auto_renewal=renews if isinstance(renews, bool) else None)


def _reasons(rec: Mapping[str, Any]) -> str | None:
    """A campaign's `failureReasons` (a string in the spec; anything else is shown, not rejected), bounded:
    only reports show it, and they escape it."""
    v = rec.get("failureReasons")
    if v is None or v == "" or v == []:
        return None
    return (v if isinstance(v, str) else str(v))[:500] or None


def sharing_status(call: str, body: Any) -> str | None:
    """The status of the share *to Telnyx* out of `GET /10dlc/partnerCampaign/{id}/sharing`.

    The map's keys are undocumented and it may hold other legs of the chain (Telnyx's own share on
    upstream, with its own status), so an entry counts only if it is the share to Telnyx: it names
    Telnyx as upstream partner (or is keyed by Telnyx's CNP id). Entries that name another partner
    are someone else's share. Entries that name nobody are used only when no entry names Telnyx:
    a "...WithMe" key, else they must all agree. Never the first entry's status by luck."""
    if not isinstance(body, dict):
        raise bad_response(call, f"body is {type(body).__name__}, not an object")
    ours: list[str] = []
    unnamed: list[tuple[str, str]] = []
    others = 0
    for k, v in body.items():
        if isinstance(v, dict):
            s = v.get("sharingStatus")
            if s is not None and not isinstance(s, str):
                raise bad_response(call, f"field '{k}.sharingStatus' is {type(s).__name__}, not a string")
            up = v.get("upstreamCnpId")
            if up is not None and not isinstance(up, str):
                raise bad_response(call, f"field '{k}.upstreamCnpId' is {type(up).__name__}, not a string")
            if not s:
                continue
            partner = (up or (k if k.upper() == TELNYX_CNP_ID else "")).strip().upper()
            if partner == TELNYX_CNP_ID:
                ours.append(_word(s))
            elif partner:
                others += 1
            else:
                unnamed.append((k, _word(s)))
        elif k == "sharingStatus" and isinstance(v, str):
            unnamed.append((k, _word(v)))
    if ours:
        return ours[0] if len(set(ours)) == 1 else CONFLICTING
    for k, s in unnamed:
        if "withme" in k.lower().replace("_", ""):
            return s
    statuses = {s for _, s in unnamed}
    if statuses:
        return statuses.pop() if len(statuses) == 1 else CONFLICTING
    return OTHER_PARTNER if others else None
