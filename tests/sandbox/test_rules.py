"""The domain's rules: per-number requests get a 4xx, bulk tasks fail the number."""

from __future__ import annotations

from .helpers import DORMANT, EXPIRED, PROFILE_A, SHARED, SHARED_PENDING, TELNYX, TELNYX_B, Api, error_of, base_seed


def post(api: Api, number: str, campaign: str):  # type: ignore[no-untyped-def]
    return api.post("/10dlc/phone_number_campaigns", json={"phoneNumber": number, "campaignId": campaign})


def test_number_needs_a_profile(api: Api) -> None:
    r = post(api, "+13125550300", api.campaign_uuid(TELNYX))
    assert r.status_code == 422 and "messaging profile" in error_of(r)["detail"]


def test_long_codes_only(api: Api) -> None:
    r = post(api, "+18885550100", api.campaign_uuid(TELNYX))
    assert r.status_code == 422 and "long code" in error_of(r)["detail"]


def test_unknown_number_and_campaign(api: Api) -> None:
    assert post(api, "+19995550000", api.campaign_uuid(TELNYX)).status_code == 404
    r = post(api, "+13125550101", "00000000-0000-4000-8000-000000000000")
    assert r.status_code == 404 and error_of(r)["source"]["pointer"] == "/campaignId"
    assert post(api, "+13125550101", TELNYX).status_code == 404  # a Telnyx campaign is known by its UUID


def test_one_campaign_per_number(api: Api) -> None:
    r = post(api, "+13125550100", api.campaign_uuid(TELNYX))
    assert r.status_code == 422 and error_of(r)["code"] == "10012"


def test_campaign_must_be_assignable(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(modes={"shared_per_number": "allow"})
    r = post(api, "+13125550101", SHARED_PENDING)
    assert r.status_code == 422 and "ACCEPTED" in error_of(r)["detail"]
    r = post(api, "+13125550101", api.campaign_uuid(EXPIRED))
    assert r.status_code == 422 and "not active" in error_of(r)["detail"]
    # accepting the share makes it assignable
    assert api.post(f"/10dlc/campaign/acceptSharing/{SHARED_PENDING}").status_code == 202
    assert post(api, "+13125550101", SHARED_PENDING).status_code == 200
    # and it now shows in the partner list
    ids = [c["tcrCampaignId"] for c in api.get("/10dlc/partner_campaigns").json()["records"]]
    assert SHARED_PENDING in ids


def test_bulk_over_unassignable_campaign_fails_numbers(api: Api) -> None:
    task = api.post("/10dlc/phoneNumberAssignmentByProfile", json={"messagingProfileId": PROFILE_A, "tcrCampaignId": SHARED_PENDING}).json()["taskId"]
    assert api.get(f"/10dlc/phoneNumberAssignmentByProfile/{task}").json()["status"] == "failed"
    rec = api.record("+13125550101").json()
    assert rec["assignmentStatus"] == "FAILED_ASSIGNMENT" and "ACCEPTED" in rec["failureReasons"]
    assert api.record("+13125550100").json()["campaignId"] == SHARED  # skipped, not touched


def _big_seed(n: int, pooling: bool = False) -> dict:
    seed = base_seed()
    seed["phone_numbers"] += [{"phone_number": f"+1415555{i:04d}", "messaging_profile_id": PROFILE_A} for i in range(n)]
    seed["campaigns"].append({"tcr_campaign_id": "CPOOL01", "kind": "telnyx", "number_pooling": pooling})
    return seed


def test_cap_of_49(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(seed=_big_seed(50))
    uuid = api.campaign_uuid("CPOOL01")
    for i in range(49):
        assert post(api, f"+1415555{i:04d}", uuid).status_code == 200
    r = post(api, "+14155550049", uuid)
    assert r.status_code == 422 and "49" in error_of(r)["detail"]
    api.admin("PATCH", "/campaigns/CPOOL01", {"number_pooling": True})
    assert post(api, "+14155550049", uuid).status_code == 200


def test_cap_in_bulk(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(seed=_big_seed(50), modes={"task_partial": "failed"})
    uuid = api.campaign_uuid("CPOOL01")
    task = api.post("/10dlc/phoneNumberAssignmentByProfile", json={"messagingProfileId": PROFILE_A, "campaignId": uuid}).json()["taskId"]
    assert api.get(f"/10dlc/phoneNumberAssignmentByProfile/{task}").json()["status"] == "failed"
    recs = api.get("/10dlc/phone_number_campaigns", params={"filter[tcr_campaign_id]": "CPOOL01", "recordsPerPage": 100}).json()["records"]
    statuses = [r["assignmentStatus"] for r in recs]
    assert statuses.count("ASSIGNED") == 49 and statuses.count("FAILED_ASSIGNMENT") == 52 - 49 - 0  # 52 numbers, one already on SHARED
    
    
def test_dormant_campaign_fails_first_then_wakes(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(modes={"failed_retry": "retry"})
    uuid = api.campaign_uuid(DORMANT)
    assert post(api, "+13125550101", uuid).json()["assignmentStatus"] == "PENDING_ASSIGNMENT"
    rec = api.record("+13125550101").json()
    assert rec["assignmentStatus"] == "FAILED_ASSIGNMENT" and "dormant" in rec["failureReasons"]
    assert api.get(f"/10dlc/campaign/{uuid}").json()["campaignStatus"] == "MNO_PROVISIONED"
    assert post(api, "+13125550101", uuid).status_code == 200  # retry over a FAILED record
    rec = api.record("+13125550101").json()
    assert rec["assignmentStatus"] == "ASSIGNED" and "failureReasons" not in rec


def test_put_same_campaign_is_idempotent(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(modes={"put_same": "noop"})
    uuid = api.campaign_uuid(TELNYX_B)
    api.put("/10dlc/phone_number_campaigns/+13125550101", json={"phoneNumber": "+13125550101", "campaignId": uuid})
    first = api.record("+13125550101").json()
    r = api.put("/10dlc/phone_number_campaigns/+13125550101", json={"phoneNumber": "+13125550101", "campaignId": uuid})
    assert r.status_code == 200 and r.json() == first
