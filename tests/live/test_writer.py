"""Writer calls: payloads, verification before retry, shape checks (httpx.MockTransport)."""

from __future__ import annotations

import json

import httpx
import pytest

from reconciler.errors import ApiError, ApiUnavailable
from reconciler.live.writer import TelnyxWriter
from reconciler.model import SHARED, TELNYX, LiveCampaign

from .conftest import jresp, make_client

SHARED_C = LiveCampaign("CSHARE1", SHARED, "ACCEPTED", "MNO_PROVISIONED")
TELNYX_C = LiveCampaign("CTLNX01", TELNYX, None, "MNO_PROVISIONED", telnyx_campaign_id="4b300178-aaaa")
N = "+13125550100"


def test_bulk_assign_payload_by_kind():
    bodies = []

    def h(req):
        bodies.append(json.loads(req.content))
        return jresp(202, {"messagingProfileId": "p1", "taskId": "t-1"})

    w = TelnyxWriter(make_client(h))
    assert w.bulk_assign("p1", SHARED_C) == "t-1"
    assert w.bulk_assign("p1", TELNYX_C) == "t-1"
    assert bodies == [{"messagingProfileId": "p1", "tcrCampaignId": "CSHARE1"},
                      {"messagingProfileId": "p1", "campaignId": "4b300178-aaaa"}]


def test_bulk_assign_ambiguous_failure_is_not_retried_blindly():
    calls = []
    w = TelnyxWriter(make_client(lambda r: calls.append(1) or jresp(500, {"message": "Error searching"})))
    with pytest.raises(ApiError, match="Error searching"):
        w.bulk_assign("p1", SHARED_C)
    assert len(calls) == 1


def test_assign_verifies_before_retry_and_stops_if_taken():
    log = []

    def h(req):
        log.append((req.method, req.url.path))
        if req.method == "POST":
            return httpx.Response(504, text="<html>gateway timeout</html>")
        return jresp(200, {"phoneNumber": N, "campaignId": "CSHARE1", "tcrCampaignId": "CSHARE1",
                           "assignmentStatus": "PENDING_ASSIGNMENT", "createdAt": "x", "updatedAt": "x"})

    TelnyxWriter(make_client(h)).assign(N, SHARED_C)
    assert log == [("POST", "/v2/10dlc/phone_number_campaigns"),
                   ("GET", "/v2/10dlc/phone_number_campaigns/+13125550100")]


def test_assign_retries_when_verify_shows_nothing():
    log = []

    def h(req):
        log.append(req.method)
        if req.method == "POST":
            if log.count("POST") == 1:
                raise httpx.ReadTimeout("lost")
            return jresp(200, {"phoneNumber": N, "campaignId": "4b300178-aaaa"})
        return jresp(404, {"errors": [{"code": "10005", "title": "Not found"}]})

    TelnyxWriter(make_client(h)).assign(N, TELNYX_C)
    assert log == ["POST", "GET", "POST"]


def test_unassign_404_is_fine_and_get_assignment_none():
    w = TelnyxWriter(make_client(lambda r: jresp(404, {"errors": [{"code": "10005", "title": "Not found"}]})))
    assert w.unassign(N) is None
    assert w.get_assignment(N) is None


def test_replace_uses_put_with_campaign_ref():
    seen = []

    def h(req):
        seen.append((req.method, json.loads(req.content)))
        return jresp(200, {"phoneNumber": N, "campaignId": "CSHARE1"})

    TelnyxWriter(make_client(h)).replace(N, SHARED_C)
    assert seen == [("PUT", {"phoneNumber": N, "campaignId": "CSHARE1"})]


def test_bulk_move_and_order_shapes():
    def h(req):
        if req.method == "POST":
            return jresp(200, {"data": {"order_id": "o-1", "record_type": "messaging_numbers_bulk_update",
                                        "success": [], "pending": [N], "failed": []}})
        return jresp(200, {"data": {"order_id": "o-1", "success": [N], "pending": [], "failed": []}})

    w = TelnyxWriter(make_client(h))
    assert w.bulk_move("p1", [N]) == "o-1"
    assert w.get_bulk_order("o-1") == {"success": [N], "pending": [], "failed": []}


def test_bulk_move_retried_as_idempotent():
    n = []

    def h(req):
        n.append(1)
        if len(n) == 1:
            raise httpx.RemoteProtocolError("lost")  # the answer lost on the way back
        return jresp(200, {"data": {"order_id": "o-2"}})

    assert TelnyxWriter(make_client(h)).bulk_move("p1", [N]) == "o-2"


@pytest.mark.parametrize("body", [{"data": {}}, {"data": {"order_id": 5}}, {"nope": 1}, []])
def test_bulk_move_bad_shapes(body):
    w = TelnyxWriter(make_client(lambda r: jresp(200, body)))
    with pytest.raises(ApiError, match="order_id"):
        w.bulk_move("p1", [N])


def test_task_status_and_numbers():
    def h(req):
        if req.url.path.endswith("/phoneNumbers"):
            page = int(req.url.params["page"])
            recs = [{"taskId": "t", "phoneNumber": f"+1312555{i:04d}", "status": "success"}
                    for i in range(500)] if page == 1 else (
                [{"taskId": "t", "phoneNumber": "+13125559999", "status": "failed"}] if page == 2 else [])
            return jresp(200, {"records": recs})
        return jresp(200, {"taskId": "t", "status": "COMPLETED"})

    c = make_client(h)
    w = TelnyxWriter(c)
    assert w.get_task("t") == "completed"
    nums = w.task_numbers("t")
    assert len(nums) == 501 and nums[-1] == ("+13125559999", "failed")
    # page 2 was short after a full page of 500: no third request
    assert c.count("GET /10dlc/phoneNumberAssignmentByProfile/{taskId}/phoneNumbers") == 2


def test_task_never_finishing_is_bounded_by_the_deadline():
    c = make_client(lambda r: jresp(200, {"taskId": "t", "status": "processing"}), deadline=0.3)
    w = TelnyxWriter(c)
    with pytest.raises(ApiUnavailable, match="deadline exceeded"):
        while True:
            w.get_task("t")


def test_get_task_missing_status():
    w = TelnyxWriter(make_client(lambda r: jresp(200, {"taskId": "t"})))
    with pytest.raises(ApiError, match="status"):
        w.get_task("t")
