"""Life cycles over the virtual clock: per-number assignment, unassignment, bulk tasks, orders."""

from __future__ import annotations

from .helpers import PROFILE_A, PROFILE_B, SHARED, TELNYX, Api


def test_assignment_immediate_with_zero_delay(api: Api) -> None:
    uuid = api.campaign_uuid(TELNYX)
    r = api.post("/10dlc/phone_number_campaigns", json={"phoneNumber": "+13125550101", "campaignId": uuid})
    body = r.json()
    assert body["assignmentStatus"] == "PENDING_ASSIGNMENT"
    assert body["campaignId"] == uuid and body["telnyxCampaignId"] == uuid and body["tcrCampaignId"] == TELNYX
    assert body["brandId"]
    after = api.record("+13125550101").json()
    assert after["assignmentStatus"] == "ASSIGNED"
    assert after["createdAt"] == body["createdAt"]


def test_shared_record_shape(api: Api) -> None:
    rec = api.record("+13125550100").json()
    assert rec["campaignId"] == SHARED and rec["tcrCampaignId"] == SHARED
    assert rec["telnyxCampaignId"] == "" and rec["brandId"] == ""


def test_assignment_and_unassignment_with_delay(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(assignment_delay=60)
    uuid = api.campaign_uuid(TELNYX)
    api.post("/10dlc/phone_number_campaigns", json={"phoneNumber": "+13125550101", "campaignId": uuid})
    assert api.record("+13125550101").json()["assignmentStatus"] == "PENDING_ASSIGNMENT"
    api.admin("POST", "/advance", {"seconds": 30})
    assert api.record("+13125550101").json()["assignmentStatus"] == "PENDING_ASSIGNMENT"
    api.admin("POST", "/advance", {"seconds": 31})
    assert api.record("+13125550101").json()["assignmentStatus"] == "ASSIGNED"
    r = api.delete("/10dlc/phone_number_campaigns/+13125550101")
    assert r.status_code == 200 and r.json()["assignmentStatus"] == "PENDING_UNASSIGNMENT"
    assert api.record("+13125550101").json()["assignmentStatus"] == "PENDING_UNASSIGNMENT"
    api.admin("POST", "/advance", {"seconds": 60})
    assert api.record("+13125550101").status_code == 404


def test_delete_rules(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(assignment_delay=10, modes={"delete_pending": "reject", "delete_failed": "gone"})
    uuid = api.campaign_uuid(TELNYX)
    api.post("/10dlc/phone_number_campaigns", json={"phoneNumber": "+13125550101", "campaignId": uuid})
    r = api.delete("/10dlc/phone_number_campaigns/+13125550101")
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "10021"  # in progress
    # a FAILED_ASSIGNMENT record is removed at once
    api.admin("PUT", "/assignments/+13125550102", {"tcr_campaign_id": TELNYX, "status": "FAILED_ASSIGNMENT", "failure_reasons": "x"})
    r = api.delete("/10dlc/phone_number_campaigns/+13125550102")
    assert r.status_code == 200 and r.json()["assignmentStatus"] == "FAILED_ASSIGNMENT"
    assert api.record("+13125550102").status_code == 404


def test_bulk_task_life_cycle(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(assignment_delay=10, modes={"bulk_existing": "skip"})
    r = api.post("/10dlc/phoneNumberAssignmentByProfile", json={"messagingProfileId": PROFILE_A, "tcrCampaignId": SHARED})
    assert r.status_code == 202
    body = r.json()
    assert body["messagingProfileId"] == PROFILE_A and body["tcrCampaignId"] == SHARED and "campaignId" not in body
    task = body["taskId"]
    assert api.get(f"/10dlc/phoneNumberAssignmentByProfile/{task}").json()["status"] == "pending"
    api.admin("POST", "/advance", {"seconds": 10})
    assert api.get(f"/10dlc/phoneNumberAssignmentByProfile/{task}").json()["status"] == "processing"
    assert api.record("+13125550101").json()["assignmentStatus"] == "PENDING_ASSIGNMENT"
    numbers = api.get(f"/10dlc/phoneNumberAssignmentByProfile/{task}/phoneNumbers").json()["records"]
    assert {n["phoneNumber"] for n in numbers} == {"+13125550100", "+13125550101", "+13125550102"}
    api.admin("POST", "/advance", {"seconds": 10})
    status = api.get(f"/10dlc/phoneNumberAssignmentByProfile/{task}").json()
    assert status["status"] == "completed"
    numbers = api.get(f"/10dlc/phoneNumberAssignmentByProfile/{task}/phoneNumbers").json()["records"]
    # +13125550100 was already on SHARED: a no-op success
    assert {n["phoneNumber"]: n["status"] for n in numbers} == {
        "+13125550100": "completed",
        "+13125550101": "completed",
        "+13125550102": "completed",
    }
    for number in ("+13125550101", "+13125550102"):
        rec = api.record(number).json()
        assert rec["assignmentStatus"] == "ASSIGNED" and rec["campaignId"] == SHARED


def test_bulk_task_with_failures(make_api) -> None:  # type: ignore[no-untyped-def]
    # PROFILE_B has a toll-free number: it fails, the others succeed, the task is `failed`
    api = make_api(modes={"task_partial": "failed"})
    uuid = api.campaign_uuid(TELNYX)
    task = api.post("/10dlc/phoneNumberAssignmentByProfile", json={"messagingProfileId": PROFILE_B, "campaignId": uuid}).json()["taskId"]
    assert api.get(f"/10dlc/phoneNumberAssignmentByProfile/{task}").json()["status"] == "failed"
    records = api.get(f"/10dlc/phoneNumberAssignmentByProfile/{task}/phoneNumbers", params={"recordsPerPage": 2}).json()["records"]
    assert len(records) == 2
    records += api.get(f"/10dlc/phoneNumberAssignmentByProfile/{task}/phoneNumbers", params={"recordsPerPage": 2, "page": 2}).json()["records"]
    statuses = {n["phoneNumber"]: n["status"] for n in records}
    assert statuses == {"+13125550200": "completed", "+13125550201": "completed", "+18885550100": "failed"}
    rec = api.record("+18885550100").json()
    assert rec["assignmentStatus"] == "FAILED_ASSIGNMENT" and "long code" in rec["failureReasons"]


def test_messaging_order_life_cycle(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(assignment_delay=5, modes={"profile_leave": "keep"})
    r = api.post(
        "/messaging_numbers_bulk_updates",
        json={"messaging_profile_id": PROFILE_B, "numbers": ["+13125550300", "+13125550101", "+19995550000"]},
    )
    data = r.json()["data"]
    assert data["record_type"] == "messaging_numbers_bulk_update"
    assert data["pending"] == ["+13125550300", "+13125550101", "+19995550000"] and data["success"] == []
    order = data["order_id"]
    assert api.get(f"/messaging_numbers_bulk_updates/{order}").json()["data"]["pending"]
    api.admin("POST", "/advance", {"seconds": 5})
    done = api.get(f"/messaging_numbers_bulk_updates/{order}").json()["data"]
    assert done["pending"] == [] and done["success"] == ["+13125550300", "+13125550101"] and done["failed"] == ["+19995550000"]
    on_b = api.get("/phone_numbers/messaging", params={"filter[messaging_profile_id]": PROFILE_B}).json()["data"]
    assert {"+13125550300", "+13125550101"} <= {n["phone_number"] for n in on_b}
    # "" unassigns
    api.post("/messaging_numbers_bulk_updates", json={"messaging_profile_id": "", "numbers": ["+13125550300"]})
    api.admin("POST", "/advance", {"seconds": 5})
    rec = api.get("/phone_numbers/messaging", params={"filter[phone_number]": "+13125550300"}).json()["data"][0]
    assert rec["messaging_profile_id"] is None


def test_patch_messaging_moves_number(api: Api) -> None:
    nid = api.number_id("+13125550300")
    r = api.patch(f"/phone_numbers/{nid}/messaging", json={"messaging_profile_id": PROFILE_A, "messaging_product": "P2P", "tags": ["a"]})
    data = r.json()["data"]
    assert data["messaging_profile_id"] == PROFILE_A and data["messaging_product"] == "P2P" and data["tags"] == ["a"]
    r = api.patch(f"/phone_numbers/{nid}/messaging", json={"messaging_profile_id": None, "tags": None})
    assert r.json()["data"]["messaging_profile_id"] == PROFILE_A  # null keeps
    # The body schema types these as plain strings/arrays, but the operation's description says
    # null means "keep": the sandbox follows the description, so this request is exempt.
    api.problems = [p for p in api.problems if "None is not of type" not in p]
    r = api.patch(f"/phone_numbers/{nid}/messaging", json={"messaging_profile_id": ""})
    assert r.json()["data"]["messaging_profile_id"] is None
    r = api.patch(f"/phone_numbers/{nid}/messaging", json={"messaging_profile_id": "00000000-0000-4000-8000-000000000000"})
    assert r.status_code == 404


def test_list_paging_and_sorting(api: Api) -> None:
    uuid = api.campaign_uuid(TELNYX)
    for n in ("+13125550102", "+13125550101"):
        api.post("/10dlc/phone_number_campaigns", json={"phoneNumber": n, "campaignId": uuid})
    def numbers(**params):  # type: ignore[no-untyped-def]
        return [r["phoneNumber"] for r in api.get("/10dlc/phone_number_campaigns", params=params).json()["records"]]
    assert numbers(sort="phoneNumber") == ["+13125550100", "+13125550101", "+13125550102"]
    assert numbers(sort="-phoneNumber") == ["+13125550102", "+13125550101", "+13125550100"]
    assert numbers() == ["+13125550101", "+13125550102", "+13125550100"]  # -createdAt
    assert numbers(sort="createdAt", recordsPerPage=2, page=2) == ["+13125550101"]
    assert numbers(**{"filter[tcr_campaign_id]": TELNYX, "sort": "phoneNumber"}) == ["+13125550101", "+13125550102"]
    assert numbers(page=5) == []
    meta = api.get("/phone_numbers/messaging", params={"page[size]": 3, "page[number]": 2}).json()["meta"]
    assert meta == {"page_number": 2, "page_size": 3, "total_pages": 3, "total_results": 7}
    desc = api.get("/phone_numbers/messaging", params={"sort[phone_number]": "desc", "filter[type]": "longcode"}).json()["data"]
    assert [d["phone_number"] for d in desc][:2] == ["+13125550300", "+13125550201"]
