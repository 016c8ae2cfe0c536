"""live/unique.py: one record per number. Identical copies (a list that shifted while paged) are
dropped; differing copies are read again on their own; an answer that still disagrees, or two
numbers with one id, stop the read naming the call (the e2e proof is tests/e2e/test_duplicate_records.py)."""

from __future__ import annotations

import pytest

from reconciler.errors import ApiError
from reconciler.live.unique import one_id_each, settle
from reconciler.model import LiveAssignment, LiveNumber

CALL = "GET /phone_numbers/messaging"


def num(n: str, id_: str, profile: str | None = "p1") -> LiveNumber:
    return LiveNumber(number=n, id=id_, profile_id=profile, type="longcode")


def key(n: LiveNumber) -> str:
    return n.number


def test_identical_copies_are_one_record_and_nothing_is_read_again():
    asked: list[list[str]] = []
    a, b = num("+13125550100", "1"), num("+13125550101", "2")
    out = settle([a, b, num("+13125550100", "1")], key, lambda ns: asked.append(ns) or [], CALL)
    assert out == {"+13125550100": a, "+13125550101": b} and asked == []


def test_differing_copies_are_settled_by_the_numbers_own_answer():
    asked: list[list[str]] = []
    truth = num("+13125550101", "2", "p2")

    def again(ns: list[str]) -> list[LiveNumber]:
        asked.append(ns)
        return [truth]

    found = [num("+13125550101", "2"), num("+13125550100", "1"), num("+13125550101", "9", None),
             num("+13125550102", "3"), num("+13125550102", "3", "p3")]
    out = settle(found, key, again, CALL)
    assert asked == [["+13125550101", "+13125550102"]]  # each disputed number once, in order, in one call
    assert out["+13125550101"] == truth and out["+13125550100"] == num("+13125550100", "1")
    assert "+13125550102" not in out  # its own answer says it is gone


def test_an_answer_that_disagrees_with_itself_is_refused():
    with pytest.raises(ApiError) as e:
        settle([num("+13125550101", "2"), num("+13125550101", "9")], key,
               lambda ns: [num("+13125550101", "2"), num("+13125550101", "7")], CALL)
    assert e.value.call == CALL and e.value.code == "list_inconsistent"
    assert e.value.detail == "+13125550101 is listed twice with different contents"


def test_with_nothing_to_ask_differing_copies_are_refused_naming_the_first_and_how_many_more():
    found = [LiveAssignment("+13125550103", "CAAAAA1", "ASSIGNED"), LiveAssignment("+13125550103", "CBBBBB2", "ASSIGNED"),
             LiveAssignment("+13125550102", "CAAAAA1", "ASSIGNED"), LiveAssignment("+13125550102", "CAAAAA1", "FAILED_ASSIGNMENT"),
             LiveAssignment("+13125550104", "CAAAAA1", "ASSIGNED"), LiveAssignment("+13125550104", "CAAAAA1", "ASSIGNED")]
    with pytest.raises(ApiError) as e:
        settle(found, lambda a: a.number, None, "GET /10dlc/phone_number_campaigns")
    assert e.value.detail == "+13125550102 is listed twice with different contents (and 1 more)"
    assert e.value.title == "two records disagree about one number"


def test_two_numbers_with_one_id_are_refused_whatever_their_order():
    ok = [num("+13125550100", "1"), num("+13125550101", "2"), num("+13125550100", "1")]
    one_id_each(ok, CALL)  # the same number twice with its own id is not a clash
    for order in (1, -1):
        with pytest.raises(ApiError) as e:
            one_id_each([num("+13125550109", "5"), num("+13125550100", "1"), num("+13125550101", "5")][::order], CALL)
        assert e.value.detail == "+13125550101 and +13125550109 carry the same id 5"


def test_numbers_two_lists_disagree_about_are_settled_with_one_account_wide_read_for_all_unclear_answers(client_for):
    """A number two assignment lists show differently is read on its own; where that answer is a 422
    (absent, or not: only the account-wide list can say), one account-wide read settles every such
    number, not one read per number."""
    import httpx

    from reconciler.live.assignments import read_assignments

    from .conftest import jresp

    def rec(n: str, c: str) -> dict:
        return {"phoneNumber": n, "tcrCampaignId": c, "campaignId": c, "assignmentStatus": "ASSIGNED",
                "createdAt": "2026-01-01T00:00:00", "updatedAt": "2026-01-01T00:00:00"}

    nums = [f"+1312555010{i}" for i in range(3)]
    account_reads: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        path, q = req.url.path, req.url.params
        if path.endswith("/10dlc/phone_number_campaigns") and q.get("page", "1") != "1":
            return jresp(200, {"records": [], "page": int(q["page"]), "totalRecords": 0})
        if path.endswith("/10dlc/phone_number_campaigns") and "filter[tcr_campaign_id]" in q:
            # the campaign's list names each number twice, the second copy claiming another campaign
            records = [r for n in nums for r in (rec(n, "CAAAAA1"), rec(n, "CBBBBB2"))]
            return jresp(200, {"records": records, "page": 1, "totalRecords": len(records)})
        if path.endswith("/10dlc/phone_number_campaigns"):
            account_reads.append(str(req.url))
            return jresp(200, {"records": [rec(n, "CAAAAA1") for n in nums], "page": 1, "totalRecords": 3})
        return jresp(422, {"errors": [{"code": "10015", "title": "unprocessable"}]})  # one number's own record

    c = client_for(handler)
    got = read_assignments(c, {"CAAAAA1"}, set(nums), counts={"CAAAAA1": 6}, acct_estimate=100_000, t2t={})
    assert {n: a.tcr_campaign_id for n, a in got.items()} == dict.fromkeys(nums, "CAAAAA1")
    assert len(account_reads) == 1, account_reads  # one read for the 3 unclear answers
