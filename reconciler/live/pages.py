"""One page of each Telnyx list style, fetched and shape-checked; the stop rules are pagination's.

10DLC lists: `?page=N&recordsPerPage=R` → `{records, page, totalRecords}`.
Classic v2 lists: `?page[number]=N&page[size]=R` → `{data, meta:{page_number, page_size, total_pages, total_results}}`.

Every page is shape-checked; a missing or wrongly typed field raises ApiError naming the call
and the field, so nothing is ever built on bad data.
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol

from .errors import bad_response


class JsonGetter(Protocol):
    """What fetching a page needs of a client (a `TelnyxClient` is one)."""

    def get_json(self, template: str, *, path: Mapping[str, str] | None = None, params: Any = None) -> Any: ...


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def fetch_10dlc(client: JsonGetter, template: str, path, params, page_size: int, totals_required: bool):
    call = f"GET {template}"

    def fetch(page: int) -> tuple[list[dict], int | None, None]:
        body = _page_body(client, template, path, params, [("page", page), ("recordsPerPage", page_size)], page)
        if body.get("records") is None and not totals_required and "records" not in body:
            raise bad_response(call, f"page {page}: field 'records' is missing")
        records = _objects(call, page, body, "records")
        total = body.get("totalRecords")
        if total is None:
            if totals_required and "totalRecords" not in body:
                raise bad_response(call, f"page {page}: field 'totalRecords' is missing")
        elif not _is_int(total) or total < 0:
            raise bad_response(call, f"page {page}: field 'totalRecords' is {total!r}, not a count")
        return records, total, None

    return fetch


def fetch_classic(client: JsonGetter, template: str, path, params, page_size: int):
    call = f"GET {template}"

    def fetch(page: int) -> tuple[list[dict], int, int]:
        body = _page_body(client, template, path, params, [("page[number]", page), ("page[size]", page_size)], page)
        data = _objects(call, page, body, "data")
        meta = body.get("meta")
        if not isinstance(meta, dict):
            raise bad_response(call, f"page {page}: field 'meta' is missing or not an object")
        for f in ("total_pages", "total_results"):
            v = meta.get(f)
            if not _is_int(v) or v < 0:
                raise bad_response(call, f"page {page}: field 'meta.{f}' is "
                                   f"{'missing' if f not in meta else repr(v)}, not a count")
        return data, meta["total_results"], meta["total_pages"]

    return fetch


def _items(params: Mapping[str, Any] | list | tuple | None) -> list[tuple[str, Any]]:
    if not params:
        return []
    if isinstance(params, Mapping):
        return [(k, v) for k, v in params.items() if v is not None]
    return list(params)


def _page_body(client: JsonGetter, template: str, path, params, paging: list[tuple[str, Any]], page: int) -> dict:
    body = client.get_json(template, path=path, params=_items(params) + paging)
    if not isinstance(body, dict):
        raise bad_response(f"GET {template}", f"page {page}: body is {type(body).__name__}, not an object")
    return body


def _objects(call: str, page: int, body: dict, name: str) -> list[dict]:
    """`body[name]`, which must be a list of objects."""
    items = body.get(name)
    if not isinstance(items, list):
        raise bad_response(call, f"page {page}: field '{name}' is "
                           f"{'missing' if name not in body else type(items).__name__}, not a list")
    for i, r in enumerate(items):
        if not isinstance(r, dict):
            raise bad_response(call, f"page {page}: {name}[{i}] is {type(r).__name__}, not an object")
    return items
