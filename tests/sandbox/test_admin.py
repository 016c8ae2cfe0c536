"""The /_admin surface (docs/architecture.md) and counters."""

from __future__ import annotations

from .helpers import PROFILE_A, PROFILE_B, SHARED, SHARED_PENDING, TELNYX, Api


def test_state_dump_is_a_seed(api: Api) -> None:
    state = api.state()
    assert set(state) >= {"messaging_profiles", "phone_numbers", "campaigns", "assignments", "tasks", "orders"}
    assert state["assignments"][0]["phone_number"] == "+13125550100"
    telnyx = next(c for c in state["campaigns"] if c["tcr_campaign_id"] == TELNYX)
    assert telnyx["telnyx_campaign_id"] and telnyx["brand_id"] and "sharing_status" not in telnyx
    seedable = {k: state[k] for k in ("messaging_profiles", "phone_numbers", "campaigns", "assignments")}
    api.admin("POST", "/seed", seedable)  # a dump feeds back as a seed
    assert api.state()["phone_numbers"] == state["phone_numbers"]


def test_seed_replaces_state(api: Api) -> None:
    api.admin("POST", "/seed", {"messaging_profiles": [{"id": PROFILE_A}]})
    state = api.state()
    assert state["phone_numbers"] == [] and len(state["messaging_profiles"]) == 1
    r = api.admin_http.post("/seed", json={"phone_numbers": [{"phone_number": "bad"}]})
    assert r.status_code == 400 and "phone_numbers[0].phone_number" in r.json()["errors"][0]["detail"]


def test_numbers_out_of_band(api: Api) -> None:
    api.admin("PUT", "/numbers/+17735550100", {"messaging_profile_id": PROFILE_A})
    on_a = [n["phone_number"] for n in api.get(f"/messaging_profiles/{PROFILE_A}/phone_numbers").json()["data"]]
    assert "+17735550100" in on_a
    api.admin("PUT", "/numbers/+17735550100", {"messaging_profile_id": PROFILE_B, "type": "tollfree"})
    rec = api.get("/phone_numbers/messaging", params={"filter[phone_number]": "+17735550100"}).json()["data"][0]
    assert rec["messaging_profile_id"] == PROFILE_B and rec["type"] == "tollfree"
    api.admin("DELETE", "/numbers/+13125550100")
    assert api.get("/phone_numbers/messaging", params={"filter[phone_number]": "+13125550100"}).json()["data"] == []
    assert api.record("+13125550100").status_code == 404
    assert api.admin_http.delete("/numbers/+13125550100").status_code == 404


def test_assignments_out_of_band(api: Api) -> None:
    api.admin("PUT", "/assignments/+13125550101", {"tcr_campaign_id": SHARED, "status": "FAILED_ASSIGNMENT", "failure_reasons": "carrier said no"})
    rec = api.record("+13125550101").json()
    assert rec["assignmentStatus"] == "FAILED_ASSIGNMENT" and rec["failureReasons"] == "carrier said no"
    api.admin("DELETE", "/assignments/+13125550101")
    assert api.record("+13125550101").status_code == 404
    assert api.admin_http.put("/assignments/+13125550101", json={"tcr_campaign_id": "CNOPE01"}).status_code == 404


def test_patch_campaign(api: Api) -> None:
    api.admin("PATCH", f"/campaigns/{SHARED_PENDING}", {"sharing_status": "ACCEPTED", "number_pooling": True})
    rec = api.get(f"/10dlc/partner_campaigns/{SHARED_PENDING}").json()
    assert rec["isNumberPoolingEnabled"] is True
    api.admin("PATCH", f"/campaigns/{SHARED}", {"campaign_status": "TCR_SUSPENDED"})
    assert api.get(f"/10dlc/partner_campaigns/{SHARED}").json()["campaignStatus"] == "TCR_SUSPENDED"
    assert api.admin_http.patch(f"/campaigns/{TELNYX}", json={"sharing_status": "ACCEPTED"}).status_code == 400
    assert api.admin_http.patch(f"/campaigns/{SHARED}", json={"color": "red"}).status_code == 400


def test_campaign_health_set_at_run_time_shows_in_the_lists(api: Api) -> None:
    """A suspension or a declined share happens behind the API's back: the lists show it at once."""
    def listed() -> dict[str, dict]:
        recs = api.get("/10dlc/partner_campaigns", params={"recordsPerPage": 500}).json()["records"]
        return {r["tcrCampaignId"]: r for r in recs}

    assert listed()[SHARED]["campaignStatus"] == "MNO_PROVISIONED"  # the list is read (and cached) first
    api.admin("PATCH", f"/campaigns/{SHARED}", {"campaign_status": "TCR_SUSPENDED"})
    assert listed()[SHARED]["campaignStatus"] == "TCR_SUSPENDED"
    api.admin("PATCH", f"/campaigns/{SHARED}", {"campaign_status": "MNO_PROVISIONED", "sharing_status": "DECLINED"})
    assert SHARED not in listed()  # the partner list holds accepted shares only
    sharing = api.get(f"/10dlc/partnerCampaign/{SHARED}/sharing").json()
    assert {v["sharingStatus"] for v in sharing.values()} == {"DECLINED"}


def test_campaign_reasons_and_renewal(api: Api) -> None:
    uuid = api.campaign_uuid(TELNYX)
    body = api.admin("PATCH", f"/campaigns/{TELNYX}", {"campaign_status": "MNO_REJECTED", "failure_reasons": "no opt-in",
                                                      "next_renewal_or_expiration_date": "2027-01-15T00:00:00Z",
                                                      "auto_renewal": False})
    assert body["auto_renewal"] is False and body["failure_reasons"] == "no opt-in"
    rec = api.get(f"/10dlc/campaign/{uuid}").json()  # checked against the spec like every answer
    assert (rec["campaignStatus"], rec["failureReasons"], rec["nextRenewalOrExpirationDate"], rec["autoRenewal"]) == (
        "MNO_REJECTED", "no opt-in", "2027-01-15T00:00:00Z", False)
    dumped = next(c for c in api.state()["campaigns"] if c["tcr_campaign_id"] == TELNYX)
    assert dumped["next_renewal_or_expiration_date"] == "2027-01-15T00:00:00Z" and dumped["auto_renewal"] is False
    api.admin("PATCH", f"/campaigns/{SHARED}", {"failure_reasons": "carrier review"})
    assert api.get(f"/10dlc/partner_campaigns/{SHARED}").json()["failureReasons"] == "carrier review"
    api.admin("PATCH", f"/campaigns/{TELNYX}", {"next_renewal_or_expiration_date": None, "auto_renewal": None,
                                                "failure_reasons": None})
    rec = api.get(f"/10dlc/campaign/{uuid}").json()
    assert not {"failureReasons", "nextRenewalOrExpirationDate", "autoRenewal"} & set(rec)
    for bad in ({"next_renewal_or_expiration_date": "soon"}, {"auto_renewal": "yes"}, {"failure_reasons": 3}):
        assert api.admin_http.patch(f"/campaigns/{TELNYX}", json=bad).status_code == 400, bad
    assert api.admin_http.patch(f"/campaigns/{SHARED}", json={"auto_renewal": True}).status_code == 400


def test_seed_takes_campaign_reasons_and_renewal(api: Api) -> None:
    camp = {"tcr_campaign_id": "CRENEW1", "kind": "telnyx", "failure_reasons": "late fee",
            "next_renewal_or_expiration_date": "2027-02-01", "auto_renewal": True}
    api.admin("POST", "/seed", {"campaigns": [camp]})
    dumped = api.state()["campaigns"][0]
    assert {k: dumped[k] for k in camp} == camp
    r = api.admin_http.post("/seed", json={"campaigns": [{"tcr_campaign_id": "CRENEW2", "kind": "shared",
                                                          "next_renewal_or_expiration_date": "2027-02-01"}]})
    assert r.status_code == 400 and "next_renewal_or_expiration_date" in r.json()["errors"][0]["detail"]


def test_counters(api: Api) -> None:
    api.admin("POST", "/counters/reset")
    api.get("/messaging_profiles")
    api.get("/messaging_profiles")
    api.post("/10dlc/phone_number_campaigns", json={"phoneNumber": "+13125550101"})
    api.admin_http.get(api.sb.base_url + "/messaging_profiles")  # 401, still a call
    counters = api.admin("GET", "/counters")
    assert counters["by_operation"] == {"ListMessagingProfiles": 3, "CreatePhoneNumberCampaign": 1}
    assert counters["reads"] == 3 and counters["writes"] == 1
    assert counters["status"] == {"200": 2, "400": 1, "401": 1}
    assert api.admin("POST", "/counters/reset")["by_operation"] == {}


def test_advance_validation(api: Api) -> None:
    assert api.admin_http.post("/advance", json={"seconds": -1}).status_code == 400
    assert api.admin_http.post("/advance", json={"seconds": "1"}).status_code == 400
    assert "now" in api.admin("POST", "/advance", {"seconds": 1.5})
    assert api.admin_http.get("/nothing").status_code == 404
