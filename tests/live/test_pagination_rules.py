"""The paging stop rules one at a time, against scripted servers: which pages are asked for, what a
list returns, and the exact error (call, code, detail) each bad answer or endless list raises.

`test_pagination.py` reads realistic lists; here each test scripts the few pages that decide one rule.
"""

from __future__ import annotations

from typing import Callable

import httpx
import pytest

from reconciler.errors import ApiError
from reconciler.live.pagination import (
    collect_10dlc,
    collect_classic,
    first_page_classic,
    iter_10dlc,
    iter_classic,
)

from .conftest import jresp, make_client

LIST = "/10dlc/phone_number_campaigns"
NUMS = "/phone_numbers/messaging"
KEY = {"key": lambda r: r["n"]}


def rec(i: int) -> dict:
    return {"n": i}


def recs(start: int, count: int) -> list[dict]:
    return [rec(i) for i in range(start, start + count)]


def knowing(fresh, learned):
    """`fresh` (another server's client) with what `learned` has learned about each list's paging."""
    fresh.paging = learned.paging
    return fresh


def serve(page_body: Callable[[int], object], **kw):
    """A client whose every GET is answered by `page_body(page)`; returns (client, pages asked, queries)."""
    asked: list[int] = []
    queries: list[httpx.Request] = []

    def h(req: httpx.Request) -> httpx.Response:
        q = req.url.params
        page = int(q.get("page") or q.get("page[number]"))
        asked.append(page)
        queries.append(req)
        body = page_body(page)
        return body if isinstance(body, httpx.Response) else jresp(200, body)

    return make_client(h, **kw), asked, queries


def tendlc(pages: list[list[dict]], total: int | None) -> Callable[[int], dict]:
    """Pages as listed, then empty pages; every page says the same totalRecords (None: no field)."""
    def body(page: int) -> dict:
        b: dict = {"records": pages[page - 1] if page <= len(pages) else [], "page": page}
        if total is not None:
            b["totalRecords"] = total
        return b
    return body


def classic(pages: list[list[dict]], total_pages: int, total_results: int) -> Callable[[int], dict]:
    def body(page: int) -> dict:
        return {"data": pages[page - 1] if page <= len(pages) else [],
                "meta": {"page_number": page, "total_pages": total_pages, "total_results": total_results}}
    return body


def raised(read: Callable[[], object]) -> ApiError:
    with pytest.raises(ApiError) as e:
        read()
    return e.value


# ------------------------------------------------------------------------- shapes, named exactly


BAD_10DLC = [
    # body of page 1, totals_required, detail
    ([1, 2], False, "page 1: body is list, not an object"),
    ({"page": 1, "totalRecords": 1}, False, "page 1: field 'records' is missing"),
    ({"page": 1, "totalRecords": 1}, True, "page 1: field 'records' is missing, not a list"),
    ({"records": None, "totalRecords": 1}, False, "page 1: field 'records' is NoneType, not a list"),
    ({"records": "x", "totalRecords": 1}, True, "page 1: field 'records' is str, not a list"),
    ({"records": [{"n": 1}, 2], "totalRecords": 2}, False, "page 1: records[1] is int, not an object"),
    ({"records": [{"n": 1}], "totalRecords": "1"}, False, "page 1: field 'totalRecords' is '1', not a count"),
    ({"records": [{"n": 1}], "totalRecords": -1}, False, "page 1: field 'totalRecords' is -1, not a count"),
    ({"records": [{"n": 1}], "totalRecords": False}, False, "page 1: field 'totalRecords' is False, not a count"),
    ({"records": [{"n": 1}]}, True, "page 1: field 'totalRecords' is missing"),
]


@pytest.mark.parametrize("body, totals_required, detail", BAD_10DLC)
@pytest.mark.parametrize("collect", [False, True])
def test_10dlc_a_bad_page_is_named_exactly(body, totals_required, detail, collect):
    c, _, _ = serve(lambda page: body)
    read = collect_10dlc if collect else (lambda *a, **k: list(iter_10dlc(*a, **k)))
    e = raised(lambda: read(c, LIST, totals_required=totals_required))
    assert (e.call, e.status, e.code, e.detail) == (f"GET {LIST}", 200, "invalid_response", detail)


def test_10dlc_a_bad_later_page_names_its_page():
    c, _, _ = serve(lambda page: {"records": recs(0, 500), "totalRecords": 1000} if page == 1 else [])
    assert raised(lambda: list(iter_10dlc(c, LIST))).detail == "page 2: body is list, not an object"


@pytest.mark.parametrize("totals_required", [False, True])
def test_10dlc_a_null_total_is_a_list_without_totals(totals_required):
    c, asked, _ = serve(lambda page: {"records": [rec(page)] if page == 1 else [], "totalRecords": None})
    assert list(iter_10dlc(c, LIST, totals_required=totals_required)) == [rec(1)]
    assert asked == [1, 2]  # one short page proves nothing without totals: read on to the empty page


BAD_CLASSIC = [
    ([1], "page 1: body is list, not an object"),
    ({"meta": {}}, "page 1: field 'data' is missing, not a list"),
    ({"data": {}, "meta": {}}, "page 1: field 'data' is dict, not a list"),
    ({"data": [{"id": 1}, "x"], "meta": {}}, "page 1: data[1] is str, not an object"),
    ({"data": []}, "page 1: field 'meta' is missing or not an object"),
    ({"data": [], "meta": []}, "page 1: field 'meta' is missing or not an object"),
    ({"data": [], "meta": {"total_results": 0}}, "page 1: field 'meta.total_pages' is missing, not a count"),
    ({"data": [], "meta": {"total_pages": 1, "total_results": "0"}},
     "page 1: field 'meta.total_results' is '0', not a count"),
    ({"data": [], "meta": {"total_pages": -1, "total_results": 0}},
     "page 1: field 'meta.total_pages' is -1, not a count"),
    ({"data": [], "meta": {"total_pages": True, "total_results": 0}},
     "page 1: field 'meta.total_pages' is True, not a count"),
]


@pytest.mark.parametrize("body, detail", BAD_CLASSIC)
@pytest.mark.parametrize("how", ["iter", "collect", "first"])
def test_classic_a_bad_page_is_named_exactly(body, detail, how):
    c, _, _ = serve(lambda page: body)
    read = {"iter": lambda: list(iter_classic(c, NUMS)), "collect": lambda: collect_classic(c, NUMS),
            "first": lambda: first_page_classic(c, NUMS)}[how]
    e = raised(read)
    assert (e.call, e.status, e.code, e.detail) == (f"GET {NUMS}", 200, "invalid_response", detail)


# ------------------------------------------------------------------------- what each request carries


TEMPLATE_10DLC = "/10dlc/phoneNumberAssignmentByProfile/{taskId}/phoneNumbers"
TEMPLATE_CLASSIC = "/messaging_profiles/{id}/phone_numbers"


@pytest.mark.parametrize("read, template, path, paging", [
    (lambda c, **k: list(iter_10dlc(c, TEMPLATE_10DLC, page_size=50, **k)), TEMPLATE_10DLC, {"taskId": "t1"},
     [("page", "1"), ("recordsPerPage", "50")]),
    (lambda c, **k: collect_10dlc(c, TEMPLATE_10DLC, page_size=50, **k), TEMPLATE_10DLC, {"taskId": "t1"},
     [("page", "1"), ("recordsPerPage", "50")]),
    (lambda c, **k: list(iter_classic(c, TEMPLATE_CLASSIC, page_size=40, **k)), TEMPLATE_CLASSIC, {"id": "p9"},
     [("page[number]", "1"), ("page[size]", "40")]),
    (lambda c, **k: collect_classic(c, TEMPLATE_CLASSIC, page_size=40, **k), TEMPLATE_CLASSIC, {"id": "p9"},
     [("page[number]", "1"), ("page[size]", "40")]),
    (lambda c, **k: first_page_classic(c, TEMPLATE_CLASSIC, page_size=40, **k), TEMPLATE_CLASSIC, {"id": "p9"},
     [("page[number]", "1"), ("page[size]", "40")]),
])
@pytest.mark.parametrize("params, sent", [
    ({"filter[a]": "x", "unset": None, "sort": "n"}, [("filter[a]", "x"), ("sort", "n")]),  # None: left out
    ([("f", "1"), ("f", "2")], [("f", "1"), ("f", "2")]),  # a list keeps repeated keys, in order
    (None, []),
])
def test_every_page_request_carries_the_path_the_params_and_its_page(read, template, path, paging, params, sent):
    def body(page):
        if "page[number]" in queries[-1].url.params:
            return {"data": [], "meta": {"total_pages": 1, "total_results": 0}}
        return {"records": [], "totalRecords": 0}

    c, asked, queries = serve(body)
    read(c, params=params, path=path)
    url = queries[0].url
    assert url.path == "/v2" + template.replace("{taskId}", "t1").replace("{id}", "p9")
    assert list(url.params.multi_items()) == sent + paging
    assert asked == [1]


# ------------------------------------------------------------------------- classic stop rules


@pytest.mark.parametrize("pages, total_pages, total_results, asked_for", [
    ([recs(0, 3)], 5, 3, [1]),  # every record announced is here: done, whatever total_pages says
    ([recs(0, 2), recs(2, 2)], 2, 1000, [1, 2]),  # the last announced page: done, whatever total_results says
    ([recs(0, 2), recs(2, 2), recs(4, 1)], 3, 5, [1, 2, 3]),
])
def test_classic_stops_at_the_first_total_reached(pages, total_pages, total_results, asked_for):
    c, asked, _ = serve(classic(pages, total_pages, total_results))
    assert len(list(iter_classic(c, NUMS))) == sum(map(len, pages))
    assert asked == asked_for


def test_classic_a_list_that_outgrows_what_it_first_announced_fails_at_twice_plus_ten():
    c, asked, _ = serve(lambda p: {"data": [rec(p)], "meta": {"total_pages": 2 if p == 1 else 10 ** 6,
                                                               "total_results": 10 ** 6}})
    e = raised(lambda: list(iter_classic(c, NUMS, **KEY)))
    assert (e.call, e.code, e.title) == (f"GET {NUMS}", "pagination_loop", "pagination does not end")
    assert e.detail == "page 15 is far past the 2 pages first announced"
    assert asked == list(range(1, 16))


@pytest.mark.parametrize("total_pages, concurrency, asked_for", [
    (2, 8, [1, 2]),  # two pages: read in turn
    (3, 8, [1, 2, 3]),  # three announced: pages 2 and 3 are asked for together
    (40, 1, list(range(1, 18))),  # a window is at least 16 pages
    (40, 10, list(range(1, 22))),  # or twice the client's concurrency
])
def test_classic_collect_asks_for_the_announced_pages_a_window_at_a_time(total_pages, concurrency, asked_for):
    """The server announces more pages than it has: page 2 is empty, which ends the list."""
    c, asked, _ = serve(classic([recs(0, 5)], total_pages, 10 ** 6), concurrency=concurrency)
    assert collect_classic(c, NUMS) == recs(0, 5)
    assert sorted(asked) == asked_for


def test_classic_collect_reads_on_after_its_window_in_order():
    pages = [recs(i * 5, 5) for i in range(20)]
    c, asked, _ = serve(classic(pages, 20, 100))
    assert collect_classic(c, NUMS, **KEY) == recs(0, 100)
    assert sorted(asked) == list(range(1, 21))


# ------------------------------------------------------------------------- 10DLC stop rules


def test_a_full_first_page_equal_to_totalrecords_is_not_trusted_the_totals_may_count_pages():
    """5 records a page, "totalRecords": 5 — five pages of five, not one page of five."""
    c, asked, _ = serve(tendlc([recs(i * 5, 5) for i in range(5)], 5))
    assert list(iter_10dlc(c, LIST, page_size=5, **KEY)) == recs(0, 25)
    assert asked == [1, 2, 3, 4, 5]
    # learned for the list: a later read that runs dry after page 1 is short of five pages
    c = knowing(serve(tendlc([recs(0, 5)], 5))[0], c)
    e = raised(lambda: list(iter_10dlc(c, LIST, page_size=5, **KEY)))
    assert (e.code, e.title) == ("pagination_short", "list read does not add up")
    assert e.detail == "the list ended after 1 page, but totalRecords says 5 (counted as pages)"


@pytest.mark.parametrize("collect", [False, True])
def test_a_probe_that_comes_back_empty_proves_totalrecords_counts_records(collect):
    c, asked, _ = serve(tendlc([recs(0, 5)], 5))
    read = collect_10dlc if collect else (lambda *a, **k: list(iter_10dlc(*a, **k)))
    assert read(c, LIST, page_size=5) == recs(0, 5)
    assert asked == [1, 2]
    asked.clear()
    assert read(c, LIST, page_size=5) == recs(0, 5)
    assert asked == [1]  # known now: no probe


def test_a_list_cannot_change_what_its_totals_count():
    c, _, _ = serve(tendlc([recs(0, 5)], 5))
    list(iter_10dlc(c, LIST, page_size=5))  # learns "records"
    c = knowing(serve(tendlc([recs(0, 5), recs(5, 5)], 1))[0], c)  # 10 records, "1"
    e = raised(lambda: list(iter_10dlc(c, LIST, page_size=5, **KEY)))
    assert (e.call, e.code) == (f"GET {LIST}", "pagination_short")
    assert e.detail == "totalRecords counted records earlier and pages now"


@pytest.mark.parametrize("pages, total, asked_for", [
    ([recs(0, 4), recs(4, 2)], 6, [1, 2]),  # a clamping server: a page shorter than the ones before ends it
    ([recs(0, 4), recs(4, 4), recs(8, 1)], 9, [1, 2, 3]),
])
def test_a_short_page_after_full_ones_ends_a_list_whose_records_are_all_there(pages, total, asked_for):
    c, asked, _ = serve(tendlc(pages, total))
    assert list(iter_10dlc(c, LIST, page_size=10)) == [r for p in pages for r in p]
    assert asked == asked_for


@pytest.mark.parametrize("pages, asked_for", [
    ([recs(0, 4), recs(4, 2)], [1, 2]),  # short after full (clamped at 4): the end
    ([recs(0, 4), recs(4, 4), recs(8, 4)], [1, 2, 3, 4]),  # all full: only an empty page ends it
    ([recs(0, 2)], [1, 2]),  # a short first page proves nothing: the server may clamp at 2
])
def test_a_list_without_totals_ends_at_an_empty_page_or_a_page_shorter_than_before(pages, asked_for):
    c, asked, _ = serve(tendlc(pages, None))
    assert list(iter_10dlc(c, TEMPLATE_10DLC, path={"taskId": "t"}, page_size=10)) == [r for p in pages for r in p]
    assert asked == asked_for


def test_once_a_list_filled_a_page_a_short_page_of_it_is_the_last():
    c, asked, _ = serve(tendlc([recs(0, 5), recs(5, 2)], None))
    assert len(list(iter_10dlc(c, TEMPLATE_10DLC, path={"taskId": "t"}, page_size=5))) == 7
    assert asked == [1, 2]
    c = knowing(serve(tendlc([recs(0, 3)], None))[0], c)
    asked.clear()
    assert list(iter_10dlc(c, TEMPLATE_10DLC, path={"taskId": "t"}, page_size=5)) == recs(0, 3)
    # the server is known not to clamp this list: its short first page is the whole list, one request
    assert c.count(f"GET {TEMPLATE_10DLC}") == 1


def test_a_server_known_not_to_clamp_ends_a_list_at_its_short_page_once_every_record_is_there():
    c, _, _ = serve(tendlc([recs(0, 5), recs(5, 1)], 6))
    list(iter_10dlc(c, LIST, page_size=5))  # page 1 was full: the server does not clamp
    c = knowing(serve(tendlc([recs(0, 3)], 3))[0], c)
    before = c.count(f"GET {LIST}")
    assert list(iter_10dlc(c, LIST, page_size=5)) == recs(0, 3)
    assert c.count(f"GET {LIST}") == before + 1  # no probe


def test_in_pages_mode_a_short_page_does_not_end_the_list():
    c, _, _ = serve(tendlc([recs(i * 5, 5) for i in range(5)], 5))
    list(iter_10dlc(c, LIST, page_size=5, **KEY))  # learns: pages, and no clamping
    pages = [recs(0, 4), recs(4, 4), recs(8, 4)]  # 4 of 5 asked, "totalRecords": 3 pages
    c = knowing(serve(tendlc(pages, 3))[0], c)
    assert list(iter_10dlc(c, LIST, page_size=5, **KEY)) == recs(0, 12)


def test_the_last_totals_are_the_ones_a_list_must_add_up_to():
    def body(page):  # "1000" on page 1, "600" once the list has shrunk while it was read
        return {"records": recs(0, 500) if page == 1 else recs(500, 100) if page == 2 else [],
                "totalRecords": 1000 if page == 1 else 600}

    c, asked, _ = serve(body)
    assert len(list(iter_10dlc(c, LIST, **KEY))) == 600
    assert asked == [1, 2]


@pytest.mark.parametrize("collect", [False, True])
def test_a_list_that_ends_short_under_either_reading_names_both(collect):
    c, asked, _ = serve(tendlc([[rec(1)], [rec(2)]], 3))
    read = collect_10dlc if collect else (lambda *a, **k: list(iter_10dlc(*a, **k)))
    e = raised(lambda: read(c, LIST, **KEY))
    assert (e.call, e.code, e.title) == (f"GET {LIST}", "pagination_short", "list read does not add up")
    assert e.detail == "the list ended after 2 records on 2 pages, fewer than totalRecords=3 under either reading"
    assert asked == [1, 2, 3]


@pytest.mark.parametrize("collect", [False, True])
def test_in_pages_mode_a_list_that_runs_dry_early_is_short_by_pages(collect):
    c, _, _ = serve(tendlc([recs(0, 3)], 1))  # 3 records, "totalRecords": 1: it counts pages
    list(iter_10dlc(c, LIST, page_size=5))
    c = knowing(serve(tendlc([[rec(1)], [rec(2)]], 4))[0], c)
    read = collect_10dlc if collect else (lambda *a, **k: list(iter_10dlc(*a, **k)))
    e = raised(lambda: read(c, LIST, page_size=5, **KEY))
    assert e.detail == "the list ended after 2 pages, but totalRecords says 4 (counted as pages)"


def test_in_records_mode_a_list_must_hold_exactly_its_total():
    c, _, _ = serve(tendlc([recs(0, 5)], 5))
    list(iter_10dlc(c, LIST, page_size=5))  # learns: records
    c = knowing(serve(tendlc([recs(0, 5), recs(5, 1)], 8))[0], c)
    e = raised(lambda: list(iter_10dlc(c, LIST, page_size=5, **KEY)))
    assert e.detail == "the list ended after 6 records, but totalRecords says 8"


@pytest.mark.parametrize("key, detail", [
    (KEY, "page 2 repeats only records already seen"),
    ({}, "page 2 is the same as page 1"),
])
def test_a_page_with_nothing_new_is_a_loop(key, detail):
    c, asked, _ = serve(tendlc([recs(0, 5), recs(0, 5), recs(0, 5)], 10 ** 6))
    e = raised(lambda: list(iter_10dlc(c, LIST, page_size=5, **key)))
    assert (e.call, e.code, e.title, e.detail) == (f"GET {LIST}", "pagination_loop", "pagination does not end",
                                                   detail)
    assert asked == [1, 2]


@pytest.mark.parametrize("second", [
    recs(0, 4) + [rec(99)],  # same length, same first record, another last one
    [rec(99)] + recs(1, 4),  # another first record
    recs(0, 4),  # same first record, shorter
])
def test_without_a_key_a_page_differs_by_its_first_record_last_record_or_length(second):
    c, _, _ = serve(tendlc([recs(0, 5), second], 2))
    assert list(iter_10dlc(c, LIST, page_size=5)) == recs(0, 5) + second


def test_a_page_differs_by_its_first_record_whatever_its_key_order():
    first = [{"a": 1, "b": 2}, {"a": 3}]
    c, _, _ = serve(tendlc([first, [{"b": 2, "a": 1}, {"a": 3}]], 2))
    e = raised(lambda: list(iter_10dlc(c, LIST, page_size=2)))
    assert e.detail == "page 2 is the same as page 1"  # the same records, keys in another order


def test_a_record_without_its_key_is_a_bad_answer():
    c, _, _ = serve(tendlc([recs(0, 5), [rec(5), {"x": 1}]], 7))
    e = raised(lambda: list(iter_10dlc(c, LIST, page_size=5, **KEY)))
    assert (e.call, e.code, e.detail) == (f"GET {LIST}", "invalid_response",
                                          "page 2: a record lacks its identifying field")


def test_one_new_record_on_a_page_is_progress():
    c, _, _ = serve(tendlc([recs(0, 5), recs(1, 5)], 2))
    assert [r["n"] for r in iter_10dlc(c, LIST, page_size=5, **KEY)] == [0, 1, 2, 3, 4, 1, 2, 3, 4, 5]


def test_a_list_that_keeps_growing_past_its_first_total_fails_at_twice_plus_ten():
    c, asked, _ = serve(lambda p: {"records": [rec(p)], "totalRecords": 2 if p == 1 else p + 1})
    e = raised(lambda: list(iter_10dlc(c, LIST, **KEY)))
    assert (e.code, e.detail) == ("pagination_loop", "page 15 is far past totalRecords=2")
    assert asked == list(range(1, 16))


def test_max_pages_is_the_most_pages_ever_asked_for():
    c, asked, _ = serve(lambda p: {"records": [rec(p)]})
    e = raised(lambda: list(iter_10dlc(c, LIST, max_pages=7, **KEY)))
    assert (e.code, e.detail) == ("pagination_loop", "more than 7 pages")
    assert asked == list(range(1, 8))


def test_a_list_of_exactly_max_pages_pages_is_read_in_full():
    c, asked, _ = serve(tendlc([recs(i * 5, 5) for i in range(6)] + [recs(30, 3)], 33))  # ends short on page 7
    assert len(list(iter_10dlc(c, LIST, page_size=5, max_pages=7, **KEY))) == 33
    assert asked == list(range(1, 8))


def test_collect_10dlc_in_pages_mode_asks_for_every_announced_page_together():
    c, _, _ = serve(tendlc([recs(0, 3)], 1))
    list(iter_10dlc(c, LIST, page_size=5))  # learns: pages
    pages = [recs(i * 5, 5) for i in range(4)]
    c = knowing(serve(tendlc(pages, 4))[0], c)
    before = c.count(f"GET {LIST}")
    assert collect_10dlc(c, LIST, page_size=5, **KEY) == recs(0, 20)
    assert c.count(f"GET {LIST}") - before == 4


# ------------------------------------------------------------------------- the same rules through every reader


@pytest.mark.parametrize("read", [
    lambda c, **k: list(iter_10dlc(c, LIST, page_size=5, **k)), lambda c, **k: collect_10dlc(c, LIST, page_size=5, **k)])
def test_10dlc_readers_check_progress_by_key(read):
    c, _, _ = serve(tendlc([recs(0, 5), recs(0, 5)], 10 ** 6))
    e = raised(lambda: read(c, **KEY))
    assert (e.call, e.detail) == (f"GET {LIST}", "page 2 repeats only records already seen")


@pytest.mark.parametrize("read", [lambda c, **k: list(iter_classic(c, NUMS, **k)),
                                  lambda c, **k: collect_classic(c, NUMS, **k)])
def test_classic_readers_check_progress_by_key_and_name_the_call(read):
    c, _, _ = serve(classic([recs(0, 5), recs(0, 5)], 2, 10))
    e = raised(lambda: read(c, **KEY))
    assert (e.call, e.code, e.detail) == (f"GET {NUMS}", "pagination_loop", "page 2 repeats only records already seen")


def test_collect_10dlc_reads_a_list_without_totals():
    c, asked, _ = serve(tendlc([recs(0, 5), recs(5, 2)], None))
    assert collect_10dlc(c, TEMPLATE_10DLC, path={"taskId": "t"}, page_size=5) == recs(0, 7)
    assert asked == [1, 2]


@pytest.mark.parametrize("status, retried", [(400, True), (422, True), (404, False), (429, False)])
def test_only_a_400_or_422_to_page_one_is_taken_as_a_page_size_refusal(status, retried):
    def body(page):
        per = int(queries[-1].url.params["recordsPerPage"])
        if per > 250:
            return jresp(status, {"errors": [{"code": "10015", "title": "refused"}]})
        return {"records": [rec(1)], "totalRecords": 1}

    c, _, queries = serve(body, max_retries=0)
    if retried:
        assert list(iter_10dlc(c, LIST)) == [rec(1)]
        assert [int(q.url.params["recordsPerPage"]) for q in queries] == [500, 250]
    else:
        assert raised(lambda: list(iter_10dlc(c, LIST))).status == status
        assert len(queries) == 1


def learned(mode: str):
    """A client that has read LIST once and learned what its totals count ("pages" or "records")."""
    c, _, _ = serve(tendlc([recs(0, 3)], 1) if mode == "pages" else tendlc([recs(0, 5)], 5))
    list(iter_10dlc(c, LIST, page_size=5))
    return c


@pytest.mark.parametrize("mode, first, total, asked_for", [
    ("pages", recs(0, 5), 6, [1, 2, 3, 4, 5, 6]),  # six pages announced: asked for together
    ("records", [rec(0)], 3, [1, 2, 3]),  # one record a page, three records: three pages
    ("records", recs(0, 2), 6, [1, 2, 3]),  # two a page, six records: three pages
    ("records", recs(0, 2), 4, [1, 2]),  # two pages: in turn
])
def test_collect_10dlc_asks_for_the_pages_its_known_totals_announce_together(mode, first, total, asked_for):
    c = learned(mode)
    server, asked, _ = serve(tendlc([first], total))  # the server has only page 1: the list comes up short
    c = knowing(server, c)
    e = raised(lambda: collect_10dlc(c, LIST, page_size=5, **KEY))
    assert e.code == "pagination_short"
    assert sorted(asked) == asked_for


def test_collect_10dlc_without_known_totals_reads_in_turn():
    c, asked, _ = serve(tendlc([[rec(0)]], 3))
    e = raised(lambda: collect_10dlc(c, LIST, page_size=5, **KEY))
    assert e.code == "pagination_short" and asked == [1, 2]


@pytest.mark.parametrize("total", [2, 5])
def test_an_empty_first_page_that_announces_records_is_a_loud_error(total):
    """An empty page 1 with totalRecords >= 2 is short under either reading of the totals: never an empty list."""
    c, asked, _ = serve(tendlc([[]], total))
    e = raised(lambda: list(iter_10dlc(c, LIST, page_size=5, **KEY)))
    assert e.code == "pagination_short" and asked == [1]
    e = raised(lambda: collect_10dlc(c, LIST, page_size=5, **KEY))
    assert e.code == "pagination_short"


def test_an_empty_first_page_with_no_records_announced_is_an_empty_list():
    c, asked, _ = serve(tendlc([[]], 0))
    assert list(iter_10dlc(c, LIST, page_size=5, **KEY)) == [] and asked == [1]


def test_pages_needed_is_what_a_list_costs_an_empty_one_included():
    from reconciler.live.pagination import pages_needed

    assert [pages_needed(n, 500) for n in (0, 1, 500, 501, 1000)] == [1, 1, 1, 2, 2]


# ------------------------------------------------------- a list that ends one short, under each reading


def _learned(mode: str):
    """A client that has learned what this list's totalRecords counts ("records", "pages"), or nothing."""
    if mode == "records":
        c, _, _ = serve(tendlc([recs(0, 5)], 5))
        list(iter_10dlc(c, LIST, page_size=5))
    elif mode == "pages":
        c, _, _ = serve(tendlc([recs(0, 3)], 1))  # 3 records, "totalRecords": 1: it counts pages
        list(iter_10dlc(c, LIST, page_size=5))
    else:
        c = None
    return c


SHORT_BY_ONE = [
    # reading, pages served, totalRecords, error detail (None: the list is whole)
    ("records", [recs(0, 5), recs(5, 2)], 7, None),
    ("records", [recs(0, 5), recs(5, 2)], 8, "the list ended after 7 records, but totalRecords says 8"),  # a record
    ("records", [recs(0, 5), recs(5, 5)], 15, "the list ended after 10 records, but totalRecords says 15"),  # a page
    ("pages", [recs(0, 5), recs(5, 5), recs(10, 2)], 3, None),
    ("pages", [recs(0, 5), recs(5, 5), recs(10, 2)], 4,
     "the list ended after 3 pages, but totalRecords says 4 (counted as pages)"),  # a page
    ("pages", [recs(0, 5)], 2, "the list ended after 1 page, but totalRecords says 2 (counted as pages)"),
    (None, [[rec(1)], [rec(2)]], 2, None),
    (None, [[rec(1)], [rec(2)]], 3,  # a record and a page: short under either reading
     "the list ended after 2 records on 2 pages, fewer than totalRecords=3 under either reading"),
]


@pytest.mark.parametrize("collect", [False, True], ids=["iter", "collect"])
@pytest.mark.parametrize("reading, pages, total, detail", SHORT_BY_ONE)
def test_a_list_one_record_or_one_page_short_of_its_totals_fails_under_each_reading(reading, pages, total, detail,
                                                                                    collect):
    """Issue 26 #3: `pages_read < total - 1` would accept a pages-counting list that ends exactly
    one page short, a silent short read (every assignment on that page would look missing)."""
    learned = _learned(reading)
    c, _, _ = serve(tendlc(pages, total))
    if learned is not None:
        c = knowing(c, learned)
    read = collect_10dlc if collect else (lambda *a, **k: list(iter_10dlc(*a, **k)))
    if detail is None:
        assert [r["n"] for r in read(c, LIST, page_size=5, **KEY)] == [r["n"] for p in pages for r in p]
    else:
        e = raised(lambda: read(c, LIST, page_size=5, **KEY))
        assert (e.code, e.detail) == ("pagination_short", detail)
