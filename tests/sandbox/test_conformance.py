"""Every operation of the spec subset, success and error, checked against the OpenAPI subset.

The `api` fixture validates every /v2 response (and every accepted request) it sees; this module
makes sure every operation is exercised, and that deliberately broken requests are refused.
"""

from __future__ import annotations

import re

import pytest

from .helpers import PROFILE_A, PROFILE_B, PROFILE_EMPTY, SHARED, SHARED_PENDING, TELNYX, Api, error_of
from .spec_check import HOW_TO_GET

ALL_OPERATIONS = {
    "PostAssignMessagingProfileToCampaign",
    "GetAssignmentTaskStatus",
    "GetPhoneNumberStatus",
    "GetAllPhoneNumberCampaigns",
    "CreatePhoneNumberCampaign",
    "GetSinglePhoneNumberCampaign",
    "PutPhoneNumberCampaign",
    "DeletePhoneNumberCampaign",
    "GetSharedCampaigns",
    "GetSharedCampaign",
    "UpdateSharedCampaign",
    "GetPartnerCampaignsSharedByUser",
    "GetPartnerCampaignSharingStatus",
    "GetBrands",
    "GetCampaigns",
    "GetCampaign",
    "GetCampaignSharingStatus",
    "GetCampaignOperationStatus",
    "AcceptCampaign",
    "ListMessagingProfiles",
    "RetrieveMessagingProfile",
    "ListProfilePhoneNumbers",
    "ListPhoneNumbersWithMessagingSettings",
    "GetPhoneNumberMessagingSettings",
    "UpdatePhoneNumberMessagingSettings",
    "BulkUpdateMessagingSettingsOnPhoneNumbers",
    "GetBulkUpdateMessagingSettingsOnPhoneNumbersStatus",
}


def exercise_everything(api: Api) -> None:
    """One success and at least one error per operation."""
    telnyx_uuid = api.campaign_uuid(TELNYX)
    brand_id = next(c["brand_id"] for c in api.state()["campaigns"] if c["tcr_campaign_id"] == TELNYX)
    ok = lambda r, code=200: (r.status_code == code) or pytest.fail(f"{r.request.method} {r.request.url}: {r.status_code} {r.text}")  # noqa: E731

    # 10DLC phone number campaigns
    ok(api.get("/10dlc/phone_number_campaigns", params={"recordsPerPage": 5, "sort": "phoneNumber"}))
    ok(api.get("/10dlc/phone_number_campaigns", params={"filter[tcr_campaign_id]": SHARED, "sort": "-assignmentStatus"}))
    ok(api.get("/10dlc/phone_number_campaigns", params={"filter[telnyx_campaign_id]": telnyx_uuid}))
    ok(api.get("/10dlc/phone_number_campaigns", params={"filter[telnyx_brand_id]": brand_id, "filter[tcr_brand_id]": "BXXXXXX"}))
    assert api.get("/10dlc/phone_number_campaigns", params={"sort": "bogus"}).status_code == 400
    ok(api.post("/10dlc/phone_number_campaigns", json={"phoneNumber": "+13125550101", "campaignId": telnyx_uuid}))
    assert api.post("/10dlc/phone_number_campaigns", json={"phoneNumber": "+13125550101"}).status_code == 400
    ok(api.get("/10dlc/phone_number_campaigns/+13125550101"))
    ok(api.get("/10dlc/phone_number_campaigns/%2B13125550100"))
    assert api.get("/10dlc/phone_number_campaigns/+13125550102").status_code == 404
    ok(api.put("/10dlc/phone_number_campaigns/+13125550102", json={"phoneNumber": "+13125550102", "campaignId": telnyx_uuid}))
    assert api.put("/10dlc/phone_number_campaigns/+13125550102", json={"phoneNumber": "+13125550101", "campaignId": telnyx_uuid}).status_code == 400
    api.get("/10dlc/phone_number_campaigns")  # let the assignments settle
    ok(api.delete("/10dlc/phone_number_campaigns/+13125550102"))
    assert api.delete("/10dlc/phone_number_campaigns/+13125550300").status_code == 404

    # bulk by profile
    r = api.post("/10dlc/phoneNumberAssignmentByProfile", json={"messagingProfileId": PROFILE_EMPTY, "tcrCampaignId": SHARED})
    ok(r, 202)
    task = r.json()["taskId"]
    assert api.post("/10dlc/phoneNumberAssignmentByProfile", json={"messagingProfileId": PROFILE_A}).status_code == 400
    ok(api.get(f"/10dlc/phoneNumberAssignmentByProfile/{task}"))
    assert api.get("/10dlc/phoneNumberAssignmentByProfile/nope").status_code == 404
    ok(api.get(f"/10dlc/phoneNumberAssignmentByProfile/{task}/phoneNumbers", params={"page": 1, "recordsPerPage": 10}))
    # Its spec declares only the FastAPI 422 for a bad request (like every partner/campaign operation).
    assert api.get(f"/10dlc/phoneNumberAssignmentByProfile/{task}/phoneNumbers", params={"page": "x"}).status_code == 422

    # shared campaigns
    ok(api.get("/10dlc/partner_campaigns", params={"sort": "tcrCampaignId"}))
    assert api.get("/10dlc/partner_campaigns", params={"recordsPerPage": 0}).status_code == 422  # the FastAPI shape its spec declares
    ok(api.get(f"/10dlc/partner_campaigns/{SHARED}"))
    assert api.get("/10dlc/partner_campaigns/CNOPE01").status_code == 404
    ok(api.patch(f"/10dlc/partner_campaigns/{SHARED}", json={"webhookURL": "https://example.com/hook"}))
    assert api.patch(f"/10dlc/partner_campaigns/{SHARED}", json={"campaignStatus": "X"}).status_code == 422
    ok(api.get("/10dlc/partnerCampaign/sharedByMe"))
    assert api.get("/10dlc/partnerCampaign/sharedByMe", params={"recordsPerPage": 501}).status_code == 422
    ok(api.get(f"/10dlc/partnerCampaign/{SHARED_PENDING}/sharing"))
    assert api.get("/10dlc/partnerCampaign/CNOPE01/sharing").status_code == 404

    # the account's own brands and campaigns
    ok(api.get("/10dlc/brand", params={"sort": "displayName", "recordsPerPage": 2}))
    assert api.get("/10dlc/brand", params={"page": 0}).status_code == 400
    ok(api.get("/10dlc/campaign", params={"brandId": brand_id}))
    assert api.get("/10dlc/campaign").status_code == 422
    ok(api.get(f"/10dlc/campaign/{telnyx_uuid}"))
    assert api.get("/10dlc/campaign/00000000-0000-4000-8000-000000000000").status_code == 404
    ok(api.get(f"/10dlc/campaign/{telnyx_uuid}/sharing"))
    ok(api.get(f"/10dlc/campaign/{SHARED}/sharing"))
    assert api.get("/10dlc/campaign/CNOPE01/sharing").status_code == 404
    ok(api.get(f"/10dlc/campaign/{telnyx_uuid}/operationStatus"))
    assert api.get("/10dlc/campaign/CNOPE01/operationStatus").status_code == 404
    ok(api.post(f"/10dlc/campaign/acceptSharing/{SHARED_PENDING}"), 202)
    assert api.post("/10dlc/campaign/acceptSharing/not-a-tcr-id").status_code == 400
    assert api.post("/10dlc/campaign/acceptSharing/CNOPE01").status_code == 404

    # messaging profiles and numbers
    ok(api.get("/messaging_profiles", params={"filter[name][contains]": "acme", "page[size]": 1}))
    assert api.get("/messaging_profiles", params={"page[size]": 251}).status_code == 400
    ok(api.get(f"/messaging_profiles/{PROFILE_A}"))
    assert api.get("/messaging_profiles/00000000-0000-4000-8000-000000000000").status_code == 404
    ok(api.get(f"/messaging_profiles/{PROFILE_A}/phone_numbers", params={"page[number]": 1, "page[size]": 2}))
    assert api.get(f"/messaging_profiles/{PROFILE_A}/phone_numbers", params={"page[number]": 0}).status_code == 400
    ok(api.get("/phone_numbers/messaging", params={"filter[phone_number]": "+13125550100,+13125550200", "sort[phone_number]": "desc"}))
    ok(api.get("/phone_numbers/messaging", params={"filter[messaging_profile_id]": PROFILE_B, "filter[type]": "longcode"}))
    ok(api.get("/phone_numbers/messaging", params={"filter[phone_number][contains]": "555020"}))
    assert api.get("/phone_numbers/messaging", params={"filter[type]": "mobile"}).status_code == 400
    number_id = api.number_id("+13125550300")
    ok(api.get(f"/phone_numbers/{number_id}/messaging"))
    assert api.get("/phone_numbers/999/messaging").status_code == 404
    ok(api.patch(f"/phone_numbers/{number_id}/messaging", json={"messaging_profile_id": PROFILE_B, "tags": ["x"]}))
    assert api.patch(f"/phone_numbers/{number_id}/messaging", json={"messaging_profile_id": 5}).status_code == 400
    r = api.post("/messaging_numbers_bulk_updates", json={"messaging_profile_id": PROFILE_A, "numbers": ["+13125550300"]})
    ok(r)
    order = r.json()["data"]["order_id"]
    assert api.post("/messaging_numbers_bulk_updates", json={"numbers": ["+13125550300"]}).status_code == 400
    ok(api.get(f"/messaging_numbers_bulk_updates/{order}"))
    assert api.get("/messaging_numbers_bulk_updates/nope").status_code == 404


def test_every_operation_conforms(api: Api) -> None:
    if api.checker is None:
        pytest.skip(HOW_TO_GET)
    exercise_everything(api)
    assert api.checker.seen >= ALL_OPERATIONS, sorted(ALL_OPERATIONS - api.checker.seen)
    assert not api.problems, "\n".join(api.problems)
    api.problems.clear()


def test_every_operation_is_served(api: Api) -> None:
    """Runs with or without the spec file: the sandbox answers every operation."""
    exercise_everything(api)
    by_op = api.admin("GET", "/counters")["by_operation"]
    assert set(by_op) == ALL_OPERATIONS


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "where"),
    [
        ("GET", "/10dlc/phone_number_campaigns", {"params": {"bogus": "1"}}, 400, ("parameter", "bogus")),
        ("GET", "/10dlc/phone_number_campaigns", {"params": {"recordsPerPage": "ten"}}, 400, ("parameter", "recordsPerPage")),
        ("GET", "/10dlc/phone_number_campaigns", {"params": {"recordsPerPage": 501}}, 400, ("parameter", "recordsPerPage")),
        ("GET", "/10dlc/phone_number_campaigns", {"params": {"filter[campaignId]": "C1"}}, 400, ("parameter", "filter[campaignId]")),
        ("GET", "/10dlc/phone_number_campaigns", {"params": {"filter[telnyx_campaign_id]": "nope"}}, 400, ("parameter", "filter[telnyx_campaign_id]")),
        ("GET", "/10dlc/phone_number_campaigns", {"params": [("page", "1"), ("page", "2")]}, 400, ("parameter", "page")),
        ("GET", "/10dlc/campaign", {}, 422, ("loc", "query/brandId")),
        ("GET", "/messaging_profiles", {"params": {"page[size]": 500}}, 400, ("parameter", "page[size]")),
        ("GET", "/messaging_profiles", {"params": {"page[number]": 0}}, 400, ("parameter", "page[number]")),
        ("GET", "/phone_numbers/messaging", {"params": {"filter[messaging_profile_id]": "x"}}, 400, ("parameter", "filter[messaging_profile_id]")),
        ("GET", "/phone_numbers/messaging", {"params": {"sort[phone_number]": "up"}}, 400, ("parameter", "sort[phone_number]")),
        ("GET", "/messaging_profiles/not-a-uuid", {}, 400, ("parameter", "id")),
        ("POST", "/10dlc/phone_number_campaigns", {"json": {"phoneNumber": "+13125550101", "campaignId": "C1", "extra": 1}}, 400, ("pointer", "/extra")),
        ("POST", "/10dlc/phone_number_campaigns", {"json": {"phoneNumber": 13125550101, "campaignId": "C1"}}, 400, ("pointer", "/phoneNumber")),
        ("POST", "/10dlc/phone_number_campaigns", {"json": {"phoneNumber": "+13125550101"}}, 400, ("pointer", "/campaignId")),
        ("POST", "/10dlc/phone_number_campaigns", {"json": ["x"]}, 400, ("pointer", "")),
        ("POST", "/10dlc/phone_number_campaigns", {"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, ("pointer", "")),
        ("POST", "/10dlc/phone_number_campaigns", {"content": b"", "headers": {"content-type": "application/json"}}, 400, ("pointer", "")),
        ("POST", "/10dlc/phone_number_campaigns", {"json": {"phoneNumber": "3125550101", "campaignId": "C1"}}, 400, ("pointer", "/phoneNumber")),
        ("POST", "/10dlc/phoneNumberAssignmentByProfile", {"json": {"campaignId": "x"}}, 400, ("pointer", "/messagingProfileId")),
        ("POST", "/10dlc/phoneNumberAssignmentByProfile", {"json": {"messagingProfileId": PROFILE_A, "campaignId": "a", "tcrCampaignId": SHARED}}, 400, ("pointer", "/tcrCampaignId")),
        ("POST", "/10dlc/phoneNumberAssignmentByProfile", {"json": {"messagingProfileId": PROFILE_A, "campaignId": SHARED}}, 400, ("pointer", "/campaignId")),
        ("POST", "/10dlc/phoneNumberAssignmentByProfile", {"json": {"messagingProfileId": PROFILE_A, "tcrCampaignId": TELNYX}}, 400, ("pointer", "/tcrCampaignId")),
        ("PATCH", "/10dlc/partner_campaigns/" + SHARED, {"json": {"webhookURL": 1}}, 422, ("loc", "body/webhookURL")),
        ("POST", "/messaging_numbers_bulk_updates", {"json": {"messaging_profile_id": PROFILE_A, "numbers": "+13125550101"}}, 400, ("pointer", "/numbers")),
        ("POST", "/messaging_numbers_bulk_updates", {"json": {"messaging_profile_id": PROFILE_A, "numbers": ["+1312"]}}, 400, ("pointer", "/numbers/0")),
        ("POST", "/messaging_numbers_bulk_updates", {"json": {"messaging_profile_id": PROFILE_A, "numbers": ["+13125550101"], "assign_only": "yes"}}, 400, ("pointer", "/assign_only")),
        ("POST", "/10dlc/campaign/acceptSharing/" + SHARED_PENDING, {"json": {"x": 1}}, 422, ("loc", "body/")),
    ],
)
def test_broken_requests_are_refused(api: Api, method: str, path: str, kwargs: dict, status: int, where: tuple[str, str]) -> None:
    r = api.http.request(method, path, **kwargs)
    assert r.status_code == status, r.text
    kind, value = where
    if kind == "loc":  # the spec's FastAPI shape (HTTPValidationError) on the operations that declare it
        (item,) = r.json()["detail"]
        assert "/".join(item["loc"]) == value and item["msg"]
        return
    err = error_of(r)
    assert err["code"] and err["title"] and err["detail"]
    assert err["source"][kind] == value


def test_unknown_path_and_method(api: Api) -> None:
    r = api.get("/10dlc/phoneNumberCampaign")  # the legacy path is not in the spec
    assert r.status_code == 404
    assert error_of(r)["code"] == "10005"
    r = api.get("/phone_numbers")  # an SDK user's first call: outside the subset, and said so
    assert r.status_code == 404
    assert error_of(r)["code"] == "10005"
    assert "serves only the Telnyx 10DLC subset the reconciler uses" in error_of(r)["detail"]
    assert "docs/sandbox.md" in error_of(r)["detail"]
    r = api.http.delete("/messaging_profiles")
    assert r.status_code == 405
    assert "errors" in r.json()
    r = api.admin_http.get(api.sb.base_url.replace("/v2", "/nothing"))
    assert r.status_code == 404 and "errors" in r.json()


def test_auth(api: Api) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic c2FuZGJveC1rZXk="}, {"Authorization": "sandbox-key"}):
        r = api.admin_http.get(api.sb.base_url + "/messaging_profiles", headers=headers)
        assert r.status_code == 401
        err = error_of(r)
        assert err["code"] == "10009" and err["title"] == "Authentication failed"
    r = api.admin_http.get(api.sb.base_url + "/nope", headers={})
    assert r.status_code == 401  # auth comes before routing, like the real API


def test_custom_api_key(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(api_key="other-key")
    assert api.get("/messaging_profiles").status_code == 200
    assert api.admin_http.get(api.sb.base_url + "/messaging_profiles", headers={"Authorization": "Bearer sandbox-key"}).status_code == 401


def test_numbers_have_numeric_ids(api: Api) -> None:
    data = api.get("/phone_numbers/messaging").json()["data"]
    assert data and all(item["id"].isdigit() and len(item["id"]) == 19 for item in data)
    assert len({item["id"] for item in data}) == len(data)


def test_the_docs_list_exactly_the_operations_served() -> None:
    """The 404 for a path outside the subset points at docs/sandbox.md's list: it must be the routing table."""
    from pathlib import Path

    from reconciler.sandbox.api.routes import OPERATIONS

    text = (Path(__file__).resolve().parents[2] / "docs" / "sandbox.md").read_text(encoding="utf-8")
    table = text[text.index("<!-- sandbox: operations -->"):]
    table = table[:table.index("\n\n")]
    listed = re.findall(r"^\| `(\w+)` \| `/v2([^`]+)` \|$", table, re.M)
    assert listed == [(o.method, o.template) for o in OPERATIONS]


def test_a_campaigns_create_date_is_a_unix_timestamp_everywhere(api: Api) -> None:
    """The spec types every campaign's `createDate` as "Unix timestamp when campaign was created" (a
    string); an outside review found the account's own campaigns answering an ISO date instead."""
    brand_id = next(c["brand_id"] for c in api.state()["campaigns"] if c["tcr_campaign_id"] == TELNYX)
    listed = api.get("/10dlc/campaign", params={"brandId": brand_id}).json()["records"]
    one = api.get(f"/10dlc/campaign/{api.campaign_uuid(TELNYX)}").json()
    shared = api.get("/10dlc/partnerCampaign/sharedByMe").json()["records"]
    dates = [c["createDate"] for c in [*listed, one, *shared]]
    assert listed and shared and all(isinstance(d, str) and re.fullmatch(r"[0-9]{9,11}", d) for d in dates), dates
