"""Both Telnyx pagination styles, with stop rules that survive a hostile or quirky server.

The two page shapes are fetched and shape-checked in `pages.py`; this module decides when a
list has ended, and keeps what each list has shown about its paging (`ListFacts`).

Rules:

- A short page is never trusted to be the last one on its own: a server may clamp the
  page size below what was asked. An empty page always ends a list.
- Classic `meta` is unambiguous: stop when `page >= total_pages` or `seen >= total_results`.
- 10DLC `totalRecords` may count records or pages (Telnyx does not say; its own SDK
  treats it as pages), and nothing says every list counts the same way. `page >=
  totalRecords` ends the list under both readings. The records reading (`seen >=
  totalRecords`) is used only once it is *known for that list*: learned when a page holds
  more records than `totalRecords` (then it counts pages), when a page holds
  `recordsPerPage` records (the server does not clamp, so a short page is the last), or
  when the one extra request spent on an ambiguous list comes back empty (then it counts
  records). What was learned is kept per list (a `ListFacts` in `client.paging`, keyed by
  path), so the extra request is paid at most once per list and run, and never carried to
  another list.
- A list ends only when its end is proven, and must agree with its totals: a list that
  ends with fewer records (records reading) or pages (pages reading) than announced is a
  loud error naming the list, never a short result.
- A page size the server refuses (HTTP 400/422 on page 1) is retried smaller (500 → 250
  → 100) and remembered for that list: the spec gives no maximum for some lists.
- A server that never ends fails: a non-empty page with nothing new (by record key, or
  the same page fingerprint twice), more pages than the totals allow, or `max_pages`
  → `ApiError(..., "pagination does not end")`.
- Every page is shape-checked (pages.py), so nothing is ever built on bad data.

`collect_*` fetch the pages the totals announce concurrently (bounded by the client's
concurrency) and then run the same stop rules over them in order.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Callable, Hashable, Iterable, Iterator, Protocol, TypeVar

from reconciler.errors import ApiError

from .errors import bad_response
from .pages import JsonGetter, fetch_10dlc, fetch_classic

MAX_10DLC_PAGE = 500
MAX_CLASSIC_PAGE = 250
DEFAULT_MAX_PAGES = 20_000

KeyFn = Callable[[dict], Hashable]
T = TypeVar("T")
R = TypeVar("R")


class TotalsCount(StrEnum):
    """What a 10DLC list's `totalRecords` counts (Telnyx does not say; it may differ per list)."""

    RECORDS = "records"
    PAGES = "pages"


@dataclass
class ListFacts:
    """What one list (one path template) has shown about its paging, kept for the client's life.

    Learned on that list only: nothing says two lists of the same API page alike.
    """

    page_size: int | None = None  # the page size it accepted after refusing a larger one
    totals_count: TotalsCount | None = None  # what its totalRecords counts, once proven
    full_pages: bool = False  # it filled a page as asked: it does not clamp, so a short page is its last
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def learn_totals(self, counts: TotalsCount) -> TotalsCount:
        """Record what totalRecords counts; return what was known first (`counts` if nothing was)."""
        with self._lock:
            if self.totals_count is None:
                self.totals_count = counts
            return self.totals_count


class PagingFacts:
    """`ListFacts` per path template, shared by every thread of one client (`client.paging`)."""

    def __init__(self) -> None:
        self._lists: dict[str, ListFacts] = {}
        self._lock = threading.Lock()

    def of(self, template: str) -> ListFacts:
        with self._lock:
            facts = self._lists.get(template)
            if facts is None:
                facts = self._lists[template] = ListFacts()
            return facts


class PagedClient(JsonGetter, Protocol):
    """What paging needs of a client (a `TelnyxClient` is one). The client owns its PagingFacts,
    so this module names what it uses instead of importing the client."""

    paging: PagingFacts
    concurrency: int

    def map_concurrent(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]: ...


def pages_needed(n: int, size: int) -> int:
    """Requests a list of `n` records costs at page size `size` (an empty list costs one)."""
    return max(1, math.ceil(n / size))


def not_ending(call: str, why: str) -> ApiError:
    return ApiError(call, None, code="pagination_loop", title="pagination does not end", detail=why)


def short_read(call: str, why: str) -> ApiError:
    """A list whose pages disagree with its totals: stop loudly rather than plan on a short read."""
    return ApiError(call, None, code="pagination_short", title="list read does not add up", detail=why)


class _Pager:
    """The stop rule, fed one page at a time, in page order."""

    def __init__(self, client: PagedClient, call: str, template: str, page_size: int, style: str,
                 key: KeyFn | None, max_pages: int) -> None:
        self.client = client
        self.call = call
        self.template = template
        self.R = page_size
        self.style = style
        self.key = key
        self.max_pages = max_pages
        self.seen = 0
        self.keys: set[Hashable] = set()
        self.last_fp: str | None = None
        self.max_n = 0
        self.facts = client.paging.of(template)  # what this list has shown, kept on the client

    @property
    def mode(self) -> TotalsCount | None:  # what 10DLC totalRecords counts, None while unknown
        return self.facts.totals_count

    def _learn_mode(self, mode: TotalsCount) -> None:
        known = self.facts.learn_totals(mode)
        if known != mode:
            raise short_read(self.call, f"totalRecords counted {known} earlier and {mode} now")

    def check_end(self, pages_read: int) -> None:
        """The list ended: it must agree with its totals, or the read may have lost records."""
        if self.style != "10dlc" or self.first_total is None:
            return
        total = self.last_total if self.last_total is not None else self.first_total
        mode = self.mode
        if mode == TotalsCount.RECORDS and self.seen != total:
            raise short_read(self.call, f"the list ended after {self.seen} records, but totalRecords says {total}")
        if mode == TotalsCount.PAGES and pages_read < total:
            raise short_read(self.call, f"the list ended after {pages_read} page{'' if pages_read == 1 else 's'}, "
                                        f"but totalRecords says {total} (counted as pages)")
        if mode is None and self.seen < total and pages_read < total:
            raise short_read(self.call, f"the list ended after {self.seen} records on {pages_read} pages, fewer "
                                        f"than totalRecords={total} under either reading")

    @property
    def no_clamp(self) -> bool:
        return self.facts.full_pages

    def _progress(self, page: int, records: list[dict]) -> None:
        if self.key is not None:
            new = 0
            for r in records:
                try:
                    k = self.key(r)
                except (KeyError, TypeError):
                    raise bad_response(self.call, f"page {page}: a record lacks its identifying field") from None
                if k not in self.keys:
                    self.keys.add(k)
                    new += 1
            if new == 0:
                raise not_ending(self.call, f"page {page} repeats only records already seen")
        else:
            fp = hashlib.blake2b(json.dumps([records[0], records[-1], len(records)], sort_keys=True,
                                            default=str).encode(), digest_size=16).hexdigest()
            if fp == self.last_fp:
                raise not_ending(self.call, f"page {page} is the same as page {page - 1}")
            self.last_fp = fp

    def feed(self, page: int, records: list[dict], total: int | None, total_pages: int | None = None) -> bool:
        """Account for one page; return True if the next page must be read. `max_pages` pages are
        read in full; only a list that needs one more fails."""
        more = self._feed(page, records, total, total_pages)
        if more and page >= self.max_pages:
            raise not_ending(self.call, f"more than {self.max_pages} pages")
        return more

    def _feed(self, page: int, records: list[dict], total: int | None, total_pages: int | None) -> bool:
        n = len(records)
        probing, self._probing = self._probing, False
        if n == 0:
            if probing:
                self._learn_mode(TotalsCount.RECORDS)  # the extra page was empty: totalRecords counted records
            if self.style == "10dlc" and total is not None and self.first_total is None:
                # An empty first page that announces records must agree with them (check_end), never
                # pass for an empty list: it would make every assigned number look unassigned.
                self.first_total = self.last_total = total
            return False
        if probing:
            self._learn_mode(TotalsCount.PAGES)  # there was more after seen >= totalRecords: it counts pages
        prev_max = self.max_n
        self.seen += n
        self.max_n = max(self.max_n, n)
        self._progress(page, records)
        if n >= self.R:
            self.facts.full_pages = True
        if self.style == "classic":
            assert total is not None and total_pages is not None
            if self.first_total is None:
                self.first_total = total_pages
            if page >= total_pages or self.seen >= total:
                return False
            if page > 2 * self.first_total + 10:
                raise not_ending(self.call, f"page {page} is far past the {self.first_total} pages first announced")
            return True
        # 10DLC
        if total is not None:
            self.last_total = total
        short_after_full = page > 1 and n < prev_max  # a server that clamps fills all pages but the last
        if total is None:
            # no totals (the task phone-number list): an empty page ends it, or a short page
            # from a server known not to clamp, or a page shorter than the ones before it
            return not (n < self.R and (self.no_clamp or short_after_full))
        if self.first_total is None:
            self.first_total = total
        if self.seen > total:
            self._learn_mode(TotalsCount.PAGES)  # more records than "totalRecords": it counts pages
        if page >= total:
            return False  # ends the list under both readings
        if page > 2 * self.first_total + 10:
            raise not_ending(self.call, f"page {page} is far past totalRecords={self.first_total}")
        mode = self.mode
        if mode == TotalsCount.PAGES:
            return True
        if self.seen >= total:
            if mode == TotalsCount.RECORDS:
                return False
            if n < self.R and (self.no_clamp or short_after_full):
                return False  # a short page is the last one under both readings
            # the records reading says done; the pages reading (clamped pages) says more.
            # One extra request settles it, and the answer is remembered on the client.
            self._probing = True
            return True
        return True

    _probing = False
    first_total: int | None = None
    last_total: int | None = None

    def estimate_pages(self, first_n: int, total: int | None, total_pages: int | None) -> int:
        """Pages the totals announce, when that is unambiguous (else 1: read on sequentially)."""
        if first_n == 0:
            return 1
        if self.style == "classic":
            return max(1, min(total_pages or 1, self.max_pages))
        if total is None:
            return 1
        mode = self.mode
        if mode == TotalsCount.PAGES:
            return max(1, min(total, self.max_pages))
        if mode == TotalsCount.RECORDS:
            per = max(first_n, 1)
            return max(1, min(math.ceil(total / per), self.max_pages))
        return 1


# --------------------------------------------------------------------------- public API


PAGE_SIZE_FALLBACK = (500, 250, 100)


def _open_10dlc(client: PagedClient, template: str, path, params, page_size: int, totals_required: bool,
                key: KeyFn | None, max_pages: int):
    """Page 1 at the largest page size the list accepts: a 400/422 to the page size is retried
    smaller and remembered for the list. -> (fetch, pager, first page)."""
    facts = client.paging.of(template)
    size = min(page_size, facts.page_size or page_size)
    while True:
        fetch = fetch_10dlc(client, template, path, params, size, totals_required)
        try:
            first = fetch(1)
        except ApiError as e:
            smaller = [x for x in PAGE_SIZE_FALLBACK if x < size]
            if e.status not in (400, 422) or not smaller:
                raise
            size = smaller[0]
            continue
        if size != page_size:
            facts.page_size = size
        return fetch, _Pager(client, f"GET {template}", template, size, "10dlc", key, max_pages), first


def iter_10dlc(client: PagedClient, template: str, params=None, *, path=None, page_size: int = MAX_10DLC_PAGE,
               key: KeyFn | None = None, totals_required: bool = False,
               max_pages: int = DEFAULT_MAX_PAGES) -> Iterator[dict]:
    """Yield every record of a 10DLC list, page by page (sequential)."""
    fetch, pager, first = _open_10dlc(client, template, path, params, page_size, totals_required, key, max_pages)
    page = 1
    records, total, _ = first
    while True:
        yield from records
        if not pager.feed(page, records, total):
            pager.check_end(page if records else page - 1)
            return
        page += 1
        records, total, _ = fetch(page)


def iter_classic(client: PagedClient, template: str, params=None, *, path=None, page_size: int = MAX_CLASSIC_PAGE,
                 key: KeyFn | None = None, max_pages: int = DEFAULT_MAX_PAGES) -> Iterator[dict]:
    """Yield every record of a classic v2 list, page by page (sequential)."""
    fetch = fetch_classic(client, template, path, params, page_size)
    pager = _Pager(client, f"GET {template}", template, page_size, "classic", key, max_pages)
    page = 1
    while True:
        records, total, total_pages = fetch(page)
        yield from records
        if not pager.feed(page, records, total, total_pages):
            return
        page += 1


def _collect(client: PagedClient, fetch, pager: _Pager, first=None) -> list[dict]:
    out: list[dict] = []
    records, total, tp = first if first is not None else fetch(1)
    out.extend(records)
    if not pager.feed(1, records, total, tp):
        pager.check_end(1 if records else 0)
        return out
    est = pager.estimate_pages(len(records), total, tp)
    page = 2
    # Announced pages are fetched concurrently, a window at a time, and fed to the stop
    # rules between windows: a server announcing 20,000 pages of one repeated page costs
    # one window, not 20,000 requests.
    window = max(16, 2 * client.concurrency)
    while est >= 3 and page <= est:
        last = min(est, page + window - 1)
        for recs, t, tp2 in client.map_concurrent(fetch, range(page, last + 1)):
            out.extend(recs)
            if not pager.feed(page, recs, t, tp2):
                pager.check_end(page if recs else page - 1)
                return out
            page += 1
    while True:
        records, total, tp = fetch(page)
        out.extend(records)
        if not pager.feed(page, records, total, tp):
            pager.check_end(page if records else page - 1)
            return out
        page += 1


def collect_10dlc(client: PagedClient, template: str, params=None, *, path=None, page_size: int = MAX_10DLC_PAGE,
                  key: KeyFn | None = None, totals_required: bool = False,
                  max_pages: int = DEFAULT_MAX_PAGES) -> list[dict]:
    """Every record of a 10DLC list; pages the totals announce are fetched concurrently."""
    fetch, pager, first = _open_10dlc(client, template, path, params, page_size, totals_required, key, max_pages)
    return _collect(client, fetch, pager, first)


def collect_classic(client: PagedClient, template: str, params=None, *, path=None, page_size: int = MAX_CLASSIC_PAGE,
                    key: KeyFn | None = None, max_pages: int = DEFAULT_MAX_PAGES,
                    first: tuple[list[dict], int, int] | None = None) -> list[dict]:
    """Every record of a classic list; pages 2..total_pages are fetched concurrently.

    `first`: page 1, already read (by `first_page_classic`, with the same params and page size)."""
    fetch = fetch_classic(client, template, path, params, page_size)
    pager = _Pager(client, f"GET {template}", template, page_size, "classic", key, max_pages)
    return _collect(client, fetch, pager, first)


def first_page_classic(client: PagedClient, template: str, params=None, *, path=None,
                       page_size: int = MAX_CLASSIC_PAGE) -> tuple[list[dict], int, int]:
    """Page 1 only: (records, total_results, total_pages) — for cost decisions."""
    return fetch_classic(client, template, path, params, page_size)(1)
