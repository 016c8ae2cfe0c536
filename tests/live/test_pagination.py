"""Both pagination styles against quirky and hostile servers (httpx.MockTransport)."""

from __future__ import annotations

import math

import httpx
import pytest

from reconciler.errors import ApiError
from reconciler.live.pagination import (PagingFacts, TotalsCount, collect_10dlc, collect_classic, iter_10dlc,
                                        iter_classic)

from .conftest import jresp, make_client

LIST = "/10dlc/phone_number_campaigns"
NUMS = "/phone_numbers/messaging"


def recs(n):
    return [{"phoneNumber": f"+1312555{i:04d}", "campaignId": "CAAAAA1", "createdAt": "x", "updatedAt": "x"}
            for i in range(n)]


def tendlc_server(n, *, clamp=None, total="records", max_size=None, omit_total=False):
    data = recs(n)
    pages_seen = []

    def h(req: httpx.Request):
        q = req.url.params
        page, per = int(q["page"]), int(q["recordsPerPage"])
        pages_seen.append(page)
        if max_size and per > max_size:
            return jresp(400, {"errors": [{"code": "10015", "title": "recordsPerPage too large"}]})
        eff = min(per, clamp) if clamp else per
        chunk = data[(page - 1) * eff: page * eff]
        body = {"records": chunk, "page": page}
        if not omit_total:
            body["totalRecords"] = n if total == "records" else math.ceil(n / eff)
        return jresp(200, body)

    return h, pages_seen


@pytest.mark.parametrize("total", ["records", "pages"])
@pytest.mark.parametrize("clamp", [None, 500, 200, 20])
@pytest.mark.parametrize("n", [0, 1, 20, 199, 200, 500, 501, 1300])
@pytest.mark.parametrize("collect", [False, True])
def test_10dlc_every_record_exactly_once(n, clamp, total, collect):
    h, pages = tendlc_server(n, clamp=clamp, total=total)
    c = make_client(h)
    if collect:
        got = collect_10dlc(c, LIST, key=lambda r: r["phoneNumber"])
    else:
        got = list(iter_10dlc(c, LIST, key=lambda r: r["phoneNumber"]))
    assert [r["phoneNumber"] for r in got] == [r["phoneNumber"] for r in recs(n)]
    eff = min(500, clamp or 500)
    full = max(1, math.ceil(n / eff))
    # at most one request more than the pages that hold records (an empty page or the one probe)
    assert len(pages) <= full + 1, pages


def test_10dlc_probe_is_paid_once_per_client():
    """The records-vs-pages ambiguity costs one extra request, then the client knows."""
    h, pages = tendlc_server(30, clamp=None, total="records")
    c = make_client(h)
    assert len(collect_10dlc(c, LIST)) == 30
    assert len(pages) == 2  # page 1, then the probe (empty)
    assert c.paging.of(LIST).totals_count == TotalsCount.RECORDS
    pages.clear()
    assert len(collect_10dlc(c, LIST)) == 30
    assert pages == [1]


def test_paging_facts_are_kept_per_list_and_the_first_proof_wins():
    facts = PagingFacts()
    assert facts.of(LIST) is facts.of(LIST) and facts.of(LIST) is not facts.of(NUMS)
    assert facts.of(LIST).totals_count is None and facts.of(LIST).page_size is None
    assert facts.of(LIST).learn_totals(TotalsCount.RECORDS) == TotalsCount.RECORDS
    assert facts.of(LIST).learn_totals(TotalsCount.PAGES) == TotalsCount.RECORDS  # the caller sees the clash
    assert facts.of(NUMS).totals_count is None


def test_10dlc_pages_mode_single_page_costs_one():
    h, pages = tendlc_server(30, total="pages")
    c = make_client(h)
    assert len(collect_10dlc(c, LIST)) == 30
    assert pages == [1]


def test_10dlc_big_list_in_pages_mode_fetched_concurrently_with_no_extra():
    h, pages = tendlc_server(1300, total="pages")
    c = make_client(h)
    c.paging.of(LIST).totals_count = TotalsCount.PAGES
    assert len(collect_10dlc(c, LIST, key=lambda r: r["phoneNumber"])) == 1300
    assert sorted(pages) == [1, 2, 3]


def test_10dlc_no_totals_task_list():
    h, pages = tendlc_server(45, omit_total=True)
    c = make_client(h)
    got = list(iter_10dlc(c, "/10dlc/phoneNumberAssignmentByProfile/{taskId}/phoneNumbers",
                          path={"taskId": "t1"}, page_size=20))
    assert len(got) == 45 and pages == [1, 2, 3]  # page 3 (5 < 20 after full pages) ends it


@pytest.mark.parametrize("max_size", [500, 250, 100])
@pytest.mark.parametrize("collect", [False, True])
def test_10dlc_a_refused_page_size_is_retried_smaller_and_remembered(max_size, collect):
    h, pages = tendlc_server(1300, max_size=max_size)
    c = make_client(h)
    read = (lambda: collect_10dlc(c, LIST, key=lambda r: r["phoneNumber"])) if collect else \
        (lambda: list(iter_10dlc(c, LIST, page_size=1000 if max_size == 500 else 500)))
    assert len(read()) == 1300
    assert (c.paging.of(LIST).page_size or 500) == max_size
    pages.clear()
    assert len(read()) == 1300
    assert pages[0] == 1 and len(pages) == len(set(pages))  # no refused request the second time


def test_10dlc_a_page_size_refused_even_at_100_is_an_error():
    h, _ = tendlc_server(10, max_size=50)
    with pytest.raises(ApiError, match="recordsPerPage too large"):
        list(iter_10dlc(make_client(h), LIST))


def test_10dlc_each_list_learns_what_its_totals_count():
    """The partner list counts records, the assignment list pages: learning on one must not
    make the other stop after its first page (1,200 assignments read as 500)."""
    records_list = "/10dlc/partner_campaigns"
    data = recs(1200)

    def h(req: httpx.Request):
        q = req.url.params
        page, per = int(q["page"]), int(q["recordsPerPage"])
        if req.url.path.endswith(records_list):
            chunk = data[(page - 1) * per: page * per][:30] if page == 1 else []
            return jresp(200, {"records": chunk, "page": page, "totalRecords": 30})
        chunk = data[(page - 1) * per: page * per]
        return jresp(200, {"records": chunk, "page": page, "totalRecords": math.ceil(1200 / per)})

    c = make_client(h)
    assert len(collect_10dlc(c, records_list)) == 30
    assert c.paging.of(records_list).totals_count == TotalsCount.RECORDS
    assert len(collect_10dlc(c, LIST, key=lambda r: r["phoneNumber"])) == 1200
    assert c.paging.of(LIST).totals_count == TotalsCount.PAGES


@pytest.mark.parametrize("collect", [False, True])
def test_10dlc_a_list_that_ends_short_of_its_totals_fails_loudly(collect):
    data = recs(1200)

    def h(req: httpx.Request):  # says 1,200 records, then runs dry after 500
        page, per = int(req.url.params["page"]), int(req.url.params["recordsPerPage"])
        chunk = data[(page - 1) * per: page * per] if page == 1 else []
        return jresp(200, {"records": chunk, "page": page, "totalRecords": 1200})

    c = make_client(h)
    with pytest.raises(ApiError, match="does not add up") as e:
        collect_10dlc(c, LIST) if collect else list(iter_10dlc(c, LIST))
    assert LIST in str(e.value) and "1200" in str(e.value)


def test_10dlc_totals_that_change_their_meaning_fail_loudly():
    server = {"now": tendlc_server(30, total="records")[0]}
    c = make_client(lambda req: server["now"](req))
    collect_10dlc(c, LIST)
    server["now"] = tendlc_server(1300, total="pages")[0]  # the same list now counts pages
    with pytest.raises(ApiError, match="does not add up"):
        collect_10dlc(c, LIST, key=lambda r: r["phoneNumber"])


def test_10dlc_endless_identical_pages_fail():
    page = recs(500)
    c = make_client(lambda r: jresp(200, {"records": page, "page": 1, "totalRecords": 10_000_000}))
    with pytest.raises(ApiError, match="pagination does not end"):
        list(iter_10dlc(c, LIST, key=lambda r: r["phoneNumber"]))
    with pytest.raises(ApiError, match="pagination does not end"):
        list(iter_10dlc(c, LIST))  # without a key: the page fingerprint repeats


def test_10dlc_cycling_pages_fail():
    pages = [recs(1000)[:500], recs(1000)[500:]]
    c = make_client(lambda r: jresp(200, {"records": pages[int(r.url.params["page"]) % 2], "page": 1,
                                           "totalRecords": 10 ** 9}))
    with pytest.raises(ApiError, match="repeats only records already seen"):
        list(iter_10dlc(c, LIST, key=lambda r: r["phoneNumber"]))


def test_10dlc_endless_fresh_records_hit_the_cap():
    def h(req):
        p = int(req.url.params["page"])
        return jresp(200, {"records": [{"phoneNumber": f"+1{p:010d}"}], "page": p, "totalRecords": 2})

    c = make_client(h)
    # totalRecords=2 read as pages ends at page 2; read as records it ends once 2 are seen
    assert len(list(iter_10dlc(c, LIST, key=lambda r: r["phoneNumber"]))) == 2

    def growing(req):
        p = int(req.url.params["page"])
        return jresp(200, {"records": [{"phoneNumber": f"+1{p:010d}"}], "page": p, "totalRecords": p + 1})

    c = make_client(growing)
    with pytest.raises(ApiError, match="pagination does not end"):
        list(iter_10dlc(c, LIST, key=lambda r: r["phoneNumber"]))


def test_10dlc_no_totals_endless_fails_at_max_pages():
    def h(req):
        p = int(req.url.params["page"])
        return jresp(200, {"records": [{"phoneNumber": f"+1{p:010d}"}]})

    c = make_client(h)
    with pytest.raises(ApiError, match="more than 50 pages"):
        list(iter_10dlc(c, LIST, key=lambda r: r["phoneNumber"], max_pages=50))


@pytest.mark.parametrize("body,field", [
    ({"page": 1, "totalRecords": 1}, "records"),
    ({"records": "nope", "page": 1, "totalRecords": 1}, "records"),
    ({"records": [1, 2], "page": 1, "totalRecords": 2}, "records[0]"),
    ({"records": [{"a": 1}], "page": 1, "totalRecords": "1"}, "totalRecords"),
    ({"records": [{"a": 1}], "page": 1, "totalRecords": True}, "totalRecords"),
    ({"records": [{"a": 1}], "page": 1}, "totalRecords"),
    ([1, 2, 3], "not an object"),
])
def test_10dlc_bad_shapes_named(body, field):
    c = make_client(lambda r: jresp(200, body))
    with pytest.raises(ApiError) as ei:
        list(iter_10dlc(c, LIST, totals_required=True))
    assert field in str(ei.value) and ei.value.call == f"GET {LIST}"


# ---------------------------------------------------------------- classic


def classic_server(n, *, clamp=None, lie_pages=None):
    data = [{"id": str(i), "phone_number": f"+1312555{i:04d}"} for i in range(n)]
    pages = []

    def h(req):
        q = req.url.params
        page, size = int(q["page[number]"]), int(q["page[size]"])
        pages.append(page)
        eff = min(size, clamp) if clamp else size
        chunk = data[(page - 1) * eff: page * eff]
        tp = lie_pages if lie_pages is not None else max(1, math.ceil(n / eff))
        return jresp(200, {"data": chunk, "meta": {"page_number": page, "page_size": eff, "total_pages": tp,
                                                   "total_results": n}})

    return h, pages


@pytest.mark.parametrize("clamp", [None, 100])
@pytest.mark.parametrize("n", [0, 1, 250, 251, 1000])
def test_classic_every_record_once_with_minimal_requests(n, clamp):
    h, pages = classic_server(n, clamp=clamp)
    c = make_client(h)
    got = collect_classic(c, NUMS, key=lambda r: r["id"])
    assert [r["id"] for r in got] == [str(i) for i in range(n)]
    assert len(pages) == max(1, math.ceil(n / min(250, clamp or 250)))
    pages.clear()
    assert len(list(iter_classic(c, NUMS, key=lambda r: r["id"]))) == n


def test_classic_short_page_is_not_the_end_when_totals_say_more():
    h, pages = classic_server(600, clamp=100)
    c = make_client(h)
    assert len(list(iter_classic(c, NUMS))) == 600 and pages == [1, 2, 3, 4, 5, 6]


def test_classic_loop_fails():
    c = make_client(lambda r: jresp(200, {"data": [{"id": "1"}], "meta": {"page_number": 1, "page_size": 1,
                                                                         "total_pages": 10 ** 6,
                                                                         "total_results": 10 ** 6}}))
    with pytest.raises(ApiError, match="pagination does not end"):
        list(iter_classic(c, NUMS, key=lambda r: r["id"]))


@pytest.mark.parametrize("body,field", [
    ({"data": [], "meta": {"total_pages": 1}}, "meta.total_results"),
    ({"data": []}, "meta"),
    ({"data": {}, "meta": {"total_pages": 1, "total_results": 0}}, "data"),
    ({"data": [], "meta": {"total_pages": "1", "total_results": 0}}, "meta.total_pages"),
])
def test_classic_bad_shapes_named(body, field):
    c = make_client(lambda r: jresp(200, body))
    with pytest.raises(ApiError) as ei:
        list(iter_classic(c, NUMS))
    assert field in str(ei.value)
