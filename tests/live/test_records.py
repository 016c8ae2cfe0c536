"""Record parsing: every field the reconciler relies on is checked and named on failure."""

from __future__ import annotations

import pytest

from reconciler.errors import ApiError
from reconciler.live.records import (parse_assignment, parse_number, parse_partner_campaign,
                                     parse_telnyx_campaign, sharing_status)

CALL = "GET /phone_numbers/messaging"
NUM = {"id": "1293384261075731499", "phone_number": "+13125550100", "messaging_profile_id": "p1", "type": "long-code"}
ASG = {"phoneNumber": "+13125550100", "campaignId": "CSHARE1", "createdAt": "x", "updatedAt": "x"}


@pytest.mark.parametrize("raw,want", [("long-code", "longcode"), ("longcode", "longcode"), ("toll-free", "tollfree"),
                                      ("short-code", "shortcode"), ("TOLLFREE", "tollfree")])
def test_number_type_normalised(raw, want):
    assert parse_number(CALL, {**NUM, "type": raw}).type == want


def test_number_numeric_id_accepted_as_string():
    assert parse_number(CALL, {**NUM, "id": 42}).id == "42"


@pytest.mark.parametrize("patch,field", [
    ({"id": True}, "id"), ({"phone_number": 13125550100}, "phone_number"),
    ({"phone_number": "3125550100"}, "phone_number"), ({"messaging_profile_id": 5}, "messaging_profile_id"),
])
def test_number_fields_of_the_wrong_type_are_named(patch, field):
    with pytest.raises(ApiError) as ei:
        parse_number(CALL, {**NUM, **patch})
    assert f"'{field}'" in str(ei.value) and ei.value.call == CALL


def test_the_number_itself_is_the_only_required_field():
    with pytest.raises(ApiError, match="'phone_number' is missing"):
        parse_number(CALL, {k: v for k, v in NUM.items() if k != "phone_number"})


@pytest.mark.parametrize("patch,want", [
    ({"type": None}, ("unknown", "p1", NUM["id"])), ({"type": "satellite"}, ("unknown", "p1", NUM["id"])),
    ({"type": 7}, ("unknown", "p1", NUM["id"])), ({"id": None}, ("longcode", "p1", "")),
    ({"messaging_profile_id": None}, ("longcode", None, NUM["id"])),
])
def test_sparse_or_odd_fields_are_read_not_fatal(patch, want):
    """The spec requires no field of PhoneNumberWithMessagingSettings: an account-wide read must
    not abort on a record nobody declared (the plan blocks a declared one, with the reason)."""
    n = parse_number(CALL, {**NUM, **patch})
    assert (n.type, n.profile_id, n.id) == want


@pytest.mark.parametrize("drop,want", [("id", ("longcode", "p1", "")), ("type", ("unknown", "p1", NUM["id"])),
                                       ("messaging_profile_id", ("longcode", None, NUM["id"]))])
def test_omitted_optional_fields(drop, want):
    n = parse_number(CALL, {k: v for k, v in NUM.items() if k != drop})
    assert (n.type, n.profile_id, n.id) == want


def test_assignment_tcr_id_resolution():
    assert parse_assignment(CALL, ASG).tcr_campaign_id == "CSHARE1"
    uuid = "4b300178-131c-d902-d54e-72d90ba1620a"
    rec = {**ASG, "campaignId": uuid, "telnyxCampaignId": uuid}
    assert parse_assignment(CALL, {**rec, "tcrCampaignId": "CTLNX01"}).tcr_campaign_id == "CTLNX01"
    assert parse_assignment(CALL, rec, {uuid: "CTLNX01"}).tcr_campaign_id == "CTLNX01"
    assert parse_assignment(CALL, rec).tcr_campaign_id == uuid  # unknown campaign: kept as-is, never equal to a TCR id
    assert parse_assignment(CALL, ASG).status == "ASSIGNED"


def test_an_unknown_assignment_status_is_kept_not_fatal():
    assert parse_assignment(CALL, {**ASG, "assignmentStatus": "PENDING_REVIEW"}).status == "PENDING_REVIEW"
    assert parse_assignment(CALL, {**ASG, "assignmentStatus": "\x1b[2J<b>x" * 20}).status.isalnum()


@pytest.mark.parametrize("patch,field", [
    ({"assignmentStatus": 1}, "assignmentStatus"),
    ({"phoneNumber": None}, "phoneNumber"), ({"campaignId": 7}, "campaignId"), ({"tcrCampaignId": 7}, "tcrCampaignId"),
])
def test_assignment_bad_fields_named(patch, field):
    with pytest.raises(ApiError, match=field):
        parse_assignment(CALL, {**ASG, **patch})


def test_campaign_parsers():
    c = parse_partner_campaign(CALL, {"tcrCampaignId": "CSHARE1", "tcrBrandId": "B", "campaignStatus": "MNO_PROVISIONED",
                                      "isNumberPoolingEnabled": True, "assignedPhoneNumbersCount": 3})
    assert (c.kind, c.sharing_status, c.number_pooling, c.assigned_count) == ("shared", "ACCEPTED", True, 3)
    with pytest.raises(ApiError, match="assignedPhoneNumbersCount"):
        parse_partner_campaign(CALL, {"tcrCampaignId": "C1", "assignedPhoneNumbersCount": "3"})
    t = parse_telnyx_campaign(CALL, {"tcrCampaignId": "CTLNX01", "campaignId": "uuid-1", "campaignStatus": "TCR_ACCEPTED"})
    assert (t.kind, t.telnyx_campaign_id) == ("telnyx", "uuid-1")
    assert parse_telnyx_campaign(CALL, {"campaignId": "uuid-2"}) is None  # not at TCR yet


def test_sharing_status_map():
    assert sharing_status(CALL, {"sharedWithMe": {"sharingStatus": "pending"}}) == "PENDING"
    assert sharing_status(CALL, {"x": {"sharingStatus": "DECLINED"}}) == "DECLINED"
    assert sharing_status(CALL, {}) is None
    # Every entry is read: entries that agree give their status; entries that disagree, with none
    # named as the share to us, are CONFLICTING (blocked), never the first one's status.
    assert sharing_status(CALL, {"a": {"sharingStatus": "ACCEPTED"}, "b": {"sharingStatus": "accepted"}}) == "ACCEPTED"
    assert sharing_status(CALL, {"a": {"sharingStatus": "ACCEPTED"}, "b": {"sharingStatus": "DECLINED"}}) == "CONFLICTING"
    assert sharing_status(CALL, {"sharedByMe": {"sharingStatus": "PENDING"},
                                 "sharedWithMe": {"sharingStatus": "ACCEPTED"}}) == "ACCEPTED"
    with pytest.raises(ApiError):
        sharing_status(CALL, {"x": {"sharingStatus": 3}})
    with pytest.raises(ApiError):
        sharing_status(CALL, ["x"])


TELNYX_LEG = {"sharingStatus": "ACCEPTED", "upstreamCnpId": "SS4XJ6D", "downstreamCnpId": "SCSP001"}
ONWARD_LEG = {"sharingStatus": "PENDING", "upstreamCnpId": "SUPDCA1", "downstreamCnpId": "SS4XJ6D"}


@pytest.mark.parametrize("body", [
    {"SUPDCA1": ONWARD_LEG, "SS4XJ6D": TELNYX_LEG},  # keyed by partner, Telnyx's own share on listed first
    {"sharedByMe": ONWARD_LEG, "sharedWithMe": TELNYX_LEG},
    {"a": ONWARD_LEG, "b": TELNYX_LEG},  # keys that say nothing: the partner named inside decides
    {"SUPDCA1": {"sharingStatus": "PENDING"}, "SS4XJ6D": {"sharingStatus": "ACCEPTED"}},  # ids left out
    {"a": {**TELNYX_LEG, "upstreamCnpId": " ss4xj6d "}},
])
def test_sharing_status_is_the_share_that_names_telnyx(body):
    # The first entry (or "all must agree") would read PENDING or CONFLICTING here and block an
    # accepted campaign: only the share to Telnyx's CNP id counts.
    assert sharing_status(CALL, body) == "ACCEPTED"


def test_sharing_status_names_another_partner_or_disagrees():
    # Every share names a partner, none is Telnyx: not ours, whatever its status.
    assert sharing_status(CALL, {"x": ONWARD_LEG}) == "OTHER_PARTNER"
    assert sharing_status(CALL, {"x": {**ONWARD_LEG, "sharingStatus": "ACCEPTED"}}) == "OTHER_PARTNER"
    # Two shares naming Telnyx that disagree cannot be told apart.
    assert sharing_status(CALL, {"a": TELNYX_LEG, "b": {**TELNYX_LEG, "sharingStatus": "DECLINED"}}) == "CONFLICTING"
    # A named share to Telnyx wins over entries that name nobody.
    assert sharing_status(CALL, {"sharedWithMe": {"sharingStatus": "PENDING"}, "b": TELNYX_LEG}) == "ACCEPTED"
    with pytest.raises(ApiError, match="upstreamCnpId"):
        sharing_status(CALL, {"x": {"sharingStatus": "ACCEPTED", "upstreamCnpId": 7}})


# ---- carrier readiness (tmobileNumberMappingStatus / nonTmobileNumberMappingStatus) ------------------


@pytest.mark.parametrize(("fields", "carrier", "words"), [
    ({}, None, None),  # absent: today's behaviour
    ({"tmobileNumberMappingStatus": None, "nonTmobileNumberMappingStatus": ""}, None, None),
    ({"tmobileNumberMappingStatus": "ADDED", "nonTmobileNumberMappingStatus": "added"}, None, None),
    ({"tmobileNumberMappingStatus": "PENDING", "nonTmobileNumberMappingStatus": "ADDED"}, "pending", "T-Mobile PENDING"),
    ({"nonTmobileNumberMappingStatus": "PENDING"}, "pending", "other carriers PENDING"),
    ({"tmobileNumberMappingStatus": "FAILED", "nonTmobileNumberMappingStatus": "PENDING"}, "failed",
     "T-Mobile FAILED, other carriers PENDING"),
    ({"tmobileNumberMappingStatus": "REJECTED"}, "failed", "T-Mobile REJECTED"),
    ({"tmobileNumberMappingStatus": "MAPPED"}, "pending", "T-Mobile 'MAPPED' (a value this reconciler does not know)"),
    ({"tmobileNumberMappingStatus": 7}, "pending", "T-Mobile '7'"),
    ({"tmobileNumberMappingStatus": "X" * 500}, "pending", "X" * 40 + "…"),
])
def test_carrier_readiness(fields: dict, carrier: str | None, words: str | None) -> None:
    rec = {"phoneNumber": "+13125550100", "campaignId": "CWZTFH1", "assignmentStatus": "ASSIGNED", **fields}
    a = parse_assignment("GET x", rec)
    assert a.status == "ASSIGNED" and a.carrier == carrier
    if words is None:
        assert a.carrier_detail is None
    else:
        assert words in a.carrier_detail and len(a.carrier_detail) < 300


def test_carrier_fields_matter_only_once_assigned() -> None:
    for status in ("PENDING_ASSIGNMENT", "FAILED_ASSIGNMENT", "PENDING_UNASSIGNMENT"):
        rec = {"phoneNumber": "+13125550100", "campaignId": "CWZTFH1", "assignmentStatus": status,
               "tmobileNumberMappingStatus": "FAILED"}
        assert parse_assignment("GET x", rec).carrier is None
