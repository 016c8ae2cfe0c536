"""`reconciler doctor`: what a real account answers to the questions Telnyx leaves open, by reading.

Every probe is a GET (nothing is ever written). Each answer names the sandbox mode that behaves
the same way (the sandbox's mode table is its own product: the names are repeated in
`doctor_report.py`, and `tests/live/test_doctor.py` holds them to `MODE_SPECS`), and what the
reconciler does about it. The probe that asks, and keeps the answers' headers, is `doctor_probe.py`.
Questions only a write could settle are listed as such, with what the reconciler does under
every reading.

Reading can settle:

- the assignment list's largest page (500, else 250), a 10DLC list's answer to more than 500
  and to `page=0`, and what `totalRecords` counts on the assignment list and on another 10DLC
  list (one request more when page 1 is full);
- whether number records leave out what is null or empty (sparse), and whether assignment records
  carry the carriers' mapping fields;
- the status and error shape of "no assignment" (an owned number with none) and of "not shared"
  (a campaign id no account has);
- the keys of the sharing map (an accepted partner campaign's);
- whether `/phone_numbers/{id}/messaging` finds a number by +E.164 as well as by its numeric id;
- the bad-request error shape of a bulk task's number list (`recordsPerPage=0`, any task id);
- Telnyx's clock against ours (`Date`), the rate-limit headers, and which read operations the key
  may call.
"""

from __future__ import annotations

import statistics
from typing import Any

from reconciler.errors import ApiError

from .assignments import ASSIGNMENT, ASSIGNMENTS
from .client import TelnyxClient
from .doctor_probe import Probe, error_shape, records_in
# `learned_dict` is imported from here by operations.py, `DoctorReport` by render/doctor.py.
from .doctor_report import WRITE_ONLY, Access, Answer, DoctorReport, learned_dict
from .reader import BRANDS, CAMPAIGNS, NUMBERS, PARTNER, PROFILE, PROFILES, SHARING
from .records import sharing_status
from .writer import BULK_ASSIGN, BULK_UPDATE, BULK_UPDATES, NUMBER_MESSAGING, TASK, TASK_NUMBERS

NO_CAMPAIGN = "CDOCTOR"  # a TCR id of the right shape that no account holds
NO_TASK = "00000000-0000-4000-8000-000000000000"  # a task id no account holds
SKEW_NOISE = 2.0  # `Date` is truncated to the second, and the answer takes time: below this is "none"


# --------------------------------------------------------------------------- paging


def _page_max(p: Probe) -> tuple[Answer, int, list[dict], int | None]:
    """(answer, accepted size, page-1 records, totalRecords) of the assignment list."""
    size, refused = None, []
    for asked in (500, 250):
        status, body = p.get(ASSIGNMENTS, params=[("page", 1), ("recordsPerPage", asked)])
        if status == 200:
            size = asked
            break
        refused.append(f"{asked} refused (HTTP {status}, {error_shape(body)})")
    action = "pages at 500, retrying a refused page size smaller (500 → 250 → 100), remembered per list"
    if size is None:
        return Answer("list_page_max", "largest page of the assignment list", "; ".join(refused), action,
                      "list_page_max", (), settled=False), 0, [], None
    answer = "; ".join([*refused, f"{size} accepted"])
    recs = records_in(body)
    total = body.get("totalRecords") if isinstance(body, dict) else None
    return (Answer("list_page_max", "largest page of the assignment list", answer, action, "list_page_max", (str(size),)),
            size, recs, total if isinstance(total, int) and not isinstance(total, bool) else None)


def _over_max(p: Probe) -> Answer:
    status, body = p.get(PARTNER, params=[("page", 1), ("recordsPerPage", 501)])
    action = "never asks a 10DLC list for more than 500"
    q = "recordsPerPage=501 on a 10DLC list"
    if status == 200:
        n = len(records_in(body))
        if n > 500:
            return Answer("page_size_over_max", q, f"answered {n} records", action, "page_size_over_max", ())
        return Answer("page_size_over_max", q, f"accepted ({n} record{'s' * (n != 1)}, at most 500)", action,
                      "page_size_over_max", ("clamp",))
    if status in (400, 422):
        return Answer("page_size_over_max", q, f"refused: HTTP {status}, {error_shape(body)}", action,
                      "page_size_over_max", ("error",))
    return Answer("page_size_over_max", q, f"HTTP {status}", action, "page_size_over_max", (), settled=False)


def _page_zero(p: Probe) -> Answer:
    status, body = p.get(PARTNER, params=[("page", 0), ("recordsPerPage", 10)])
    q, action = "page=0 on a 10DLC list", "pages start at 1"
    if status == 200:
        return Answer("page_zero", q, "answered with a page", action, "page_zero", ("first",))
    if status in (400, 422):
        return Answer("page_zero", q, f"refused: HTTP {status}, {error_shape(body)}", action, "page_zero", ("error",))
    return Answer("page_zero", q, f"HTTP {status}", action, "page_zero", (), settled=False)


def _totals_of(p: Probe, template: str, params: list[tuple[str, Any]], size: int,
               first: tuple[list[dict], int | None] | None = None) -> tuple[str | None, str]:
    """What one 10DLC list's totalRecords counts: ('records' | 'pages' | None, why)."""
    if first is None:
        status, body = p.get(template, params=[*params, ("page", 1), ("recordsPerPage", size)])
        if status != 200:
            return None, f"HTTP {status}"
        total = body.get("totalRecords") if isinstance(body, dict) else None
        first = (records_in(body), total if isinstance(total, int) and not isinstance(total, bool) else None)
    recs, total = first
    n = len(recs)
    if total is None:
        return None, "no totalRecords"
    if n == 0:
        return None, "empty"
    if n > total:
        return "pages", f"{n} records, totalRecords {total}"
    if n < size:  # the whole list is on page 1
        if n == 1:
            return None, "one record: both readings say 1"
        if total == n:
            return "records", f"{n} records, totalRecords {total}"
        if total == 1:
            return "pages", f"{n} records, totalRecords {total}"
        return None, f"{n} records, totalRecords {total}"
    status, body = p.get(template, params=[*params, ("page", total), ("recordsPerPage", size)])
    if status != 200:
        return None, f"page {total}: HTTP {status}"
    return ("pages", f"page {total} has records") if records_in(body) else ("records", f"page {total} is empty")


def _totalrecords_in(p: Probe, size: int, first: tuple[list[dict], int | None]) -> Answer:
    q = "what totalRecords counts"
    action = ("learns it per list from the pages themselves; a list that ends short of its totals, or whose "
              "totals change meaning, is a loud error, never a short read")
    a, a_why = _totals_of(p, ASSIGNMENTS, [], size, first) if size else (None, "no page accepted")
    other, o_why, o_name = None, "no other list could tell", ""
    brand_id = None
    for name, template, params in (("partner campaigns", PARTNER, []), ("brands", BRANDS, [])):
        other, o_why = _totals_of(p, template, params, 500)
        o_name = name
        if other is not None:
            break
    if brand_id is None:  # the key's access to a brand's campaigns is asked either way
        status, body = p.get(BRANDS, params=[("page", 1), ("recordsPerPage", 10)])
        ids = [r.get("brandId") for r in records_in(body) if isinstance(r.get("brandId"), str)]
        brand_id = ids[0] if ids else None
    if brand_id and other is None:
        other, o_why = _totals_of(p, CAMPAIGNS, [("brandId", brand_id)], 500)
        o_name = "campaigns of a brand"
    elif brand_id:
        p.get(CAMPAIGNS, params=[("brandId", brand_id), ("page", 1), ("recordsPerPage", 1)])
    answer = f"assignment list: {a or 'cannot tell'} ({a_why}); {o_name or 'other lists'}: {other or 'cannot tell'} ({o_why})"
    values: tuple[str, ...]
    if a and other:
        values = {("pages", "pages"): ("pages",), ("records", "records"): ("records",),
                  ("pages", "records"): ("mixed",)}.get((a, other), ())
    elif a:
        values = ("pages", "mixed") if a == "pages" else ("records",)
    elif other:
        values = ("records", "mixed") if other == "records" else ("pages",)
    else:
        values = ()
    return Answer("total_records", q, answer, action, "total_records", values, settled=bool(a or other))


# --------------------------------------------------------------------------- records


def _sparse(numbers: list[dict]) -> Answer:
    q = "number records: null and empty fields left out"
    action = ("only the number is required: an omitted profile is none; an unknown or missing type blocks writes "
              "to that declared number only")
    hyphen = sum(1 for r in numbers if r.get("type") in ("long-code", "toll-free", "short-code"))
    plain = sum(1 for r in numbers if r.get("type") in ("longcode", "tollfree", "shortcode"))
    omitted = sum(1 for r in numbers if "messaging_profile_id" not in r)
    if not numbers:
        return Answer("sparse", q, "cannot tell: no numbers", action, "sparse", (), settled=False)
    parts = [f"{len(numbers)} record{'s' * (len(numbers) != 1)} read",
             f"type spelled {'long-code' if hyphen else 'longcode'}" if hyphen or plain else "no type",
             f"{omitted} without messaging_profile_id"]
    sparse, full = bool(hyphen or omitted), bool(plain)
    values = ("sparse",) if sparse and not full else ("full",) if full and not sparse else ()
    return Answer("sparse", q, ", ".join(parts), action, "sparse", values)


def _carrier_mapping(assignments: list[dict]) -> Answer:
    q = "carrier mapping fields on assignments"
    action = ("present: an ASSIGNED number not yet ADDED at a carrier is in flight at carriers, one that failed "
              "is failed; absent: ASSIGNED is the end")
    if not assignments:
        return Answer("carrier_mapping", q, "cannot tell: no assignments", action, "carrier_mapping", (),
                      settled=False)
    have = [r for r in assignments
            if "tmobileNumberMappingStatus" in r or "nonTmobileNumberMappingStatus" in r]
    if have:
        seen = sorted({str(r.get("tmobileNumberMappingStatus"))[:20] for r in have})
        return Answer("carrier_mapping", q, f"on {len(have)} of {len(assignments)} records (T-Mobile: "
                      f"{', '.join(seen[:4])})", action, "carrier_mapping", ("present",))
    return Answer("carrier_mapping", q, f"on none of {len(assignments)} records", action, "carrier_mapping",
                  ("absent",))


def _absent(p: Probe, numbers: list[dict], assignments: list[dict], whole_list: bool) -> Answer:
    q = "how \"no assignment\" and \"not shared\" are said"
    action = ("404 means absent; a 400 or 422 to one number is confirmed by one account-wide read; a 4xx to a "
              "sharing read means the campaign is unknown here: its numbers are blocked")
    assigned = {r.get("phoneNumber") for r in assignments}
    candidates = [r["phone_number"] for r in numbers
                  if isinstance(r.get("phone_number"), str) and r["phone_number"] not in assigned
                  and r.get("type") in ("longcode", "long-code", None)]
    number_status, number_shape = None, ""
    for n in candidates[:5]:
        status, body = p.get(ASSIGNMENT, path={"phoneNumber": n})
        if status == 200:
            continue  # it has one after all (page 1 of the assignment list did not show every record)
        number_status, number_shape = status, error_shape(body)
        break
    status, body = p.get(SHARING, path={"campaignId": NO_CAMPAIGN})
    share_status, share_shape = (status, error_shape(body)) if status != 200 else (None, "")
    parts = [f"a number with none: HTTP {number_status}, {number_shape}" if number_status
             else "a number with none: cannot tell (no owned number without one " + ("found)" if whole_list else "among the first read)"),
             f"a campaign not shared: HTTP {share_status}, {share_shape}" if share_status
             else "a campaign not shared: answered 200"]
    seen = {s for s in (number_status, share_status) if s is not None}
    values = tuple(str(s) for s in seen) if len(seen) == 1 and seen <= {400, 404, 422} else ()
    return Answer("absent_status", q, "; ".join(parts), action, "absent_status", values, settled=bool(seen))


def _sharing_map(p: Probe, partners: list[dict]) -> Answer:
    q = "the sharing map's keys"
    action = ("only the share to Telnyx counts (names Telnyx's CNP id, or is keyed by it, or a …WithMe key); "
              "shares that disagree block the campaign")
    tcr = next((r.get("tcrCampaignId") for r in partners if isinstance(r.get("tcrCampaignId"), str)), None)
    if tcr is None:
        return Answer("sharing_map", q, "cannot tell: no accepted partner campaign", action, "sharing_map", (),
                      settled=False)
    status, body = p.get(SHARING, path={"campaignId": tcr})
    if status != 200 or not isinstance(body, dict):
        return Answer("sharing_map", q, f"HTTP {status} for an accepted partner campaign", action, "sharing_map",
                      (), settled=False)
    keys = sorted(str(k)[:20] for k in body)
    try:
        reads = sharing_status(f"GET {SHARING}", body) or "nothing"
    except ApiError as e:
        reads = f"unreadable ({e.detail})"
    chain = {"sharedByMe", "sharedWithMe"}
    if set(keys) == {"sharedWithMe"}:
        values: tuple[str, ...] = ("with_me",)
    elif set(keys) == chain:
        values = ("chain",)
    elif keys and not set(keys) & chain:
        values = ("by_partner",)
    else:
        values = ()
    return Answer("sharing_map", q, f"keys {', '.join(keys) or '(none)'}; the share to Telnyx reads {reads}",
                  action, "sharing_map", values)


def _phone_id(p: Probe, numbers: list[dict]) -> Answer:
    q = "a number's +E.164 as its {id} (messaging settings)"
    action = "always PATCHes by the numeric id read from /phone_numbers/messaging"
    rec = next((r for r in numbers if isinstance(r.get("id"), str) and isinstance(r.get("phone_number"), str)), None)
    if rec is None:
        return Answer("phone_id", q, "cannot tell: no number with an id", action, "phone_id", (), settled=False)
    by_id, _ = p.get(NUMBER_MESSAGING, path={"id": rec["id"]})
    by_e164, body = p.get(NUMBER_MESSAGING, path={"id": rec["phone_number"]})
    if by_id != 200:
        return Answer("phone_id", q, f"numeric id: HTTP {by_id}", action, "phone_id", (), settled=False)
    if by_e164 == 200:
        return Answer("phone_id", q, "numeric id and +E.164 both found", action, "phone_id", ("numeric_or_e164",))
    return Answer("phone_id", q, f"numeric id found; +E.164: HTTP {by_e164}, {error_shape(body)}", action,
                  "phone_id", ("numeric",))


def _task_numbers_error(p: Probe) -> Answer:
    q = "bad request to a bulk task's number list"
    action = "reads both error shapes; a refused page size is retried smaller"
    status, body = p.get(TASK_NUMBERS, path={"taskId": NO_TASK}, params=[("page", 1), ("recordsPerPage", 0)])
    shape = error_shape(body)
    answer = f"recordsPerPage=0: HTTP {status}, {shape}"
    if status == 404:  # the task was looked up first: the shape of a bad request stays unknown
        return Answer("error_shape", q, answer + " (the unknown task came first)", action, "error_shape", (),
                      settled=False)
    if shape.startswith("errors[]"):
        return Answer("error_shape", q, answer, action, "error_shape", ("spec",))
    if shape.startswith("FastAPI"):
        return Answer("error_shape", q, answer, action, "error_shape", ("swapped",))
    return Answer("error_shape", q, answer, action, "error_shape", ())


# --------------------------------------------------------------------------- headers


def _clock(p: Probe) -> Answer:
    action = "ages of work in flight (stuck, the 30-minute grace) are measured on Telnyx's clock"
    if not p.skews:
        return Answer("clock", "Telnyx's clock against ours", "no Date header", action, settled=False)
    skew = statistics.median(p.skews)
    if abs(skew) < SKEW_NOISE:
        answer = f"agrees with ours (within {SKEW_NOISE:g} s)"
    else:
        answer = f"{abs(skew):.0f} s {'ahead of' if skew > 0 else 'behind'} ours"
    return Answer("clock", "Telnyx's clock against ours", answer, action)


def _rate_limit(p: Probe) -> Answer:
    action = ("paces under the limit the headers say (unknown: the concurrency bounds it); a 429 is retried with "
              "backoff, after Retry-After when sent")
    if not p.rate_headers:
        return Answer("rate_limit", "rate-limit headers", "none sent", action)
    return Answer("rate_limit", "rate-limit headers",
                  ", ".join(f"{k} {v}" for k, v in sorted(p.rate_headers.items())), action)


# --------------------------------------------------------------------------- the whole


READS = (PROFILES, PROFILE, NUMBERS, NUMBER_MESSAGING, ASSIGNMENTS, ASSIGNMENT, PARTNER, BRANDS, CAMPAIGNS, SHARING,
         TASK, TASK_NUMBERS, BULK_UPDATE)
WRITES = (("POST", ASSIGNMENTS), ("PUT", ASSIGNMENT), ("DELETE", ASSIGNMENT), ("POST", BULK_ASSIGN),
          ("PATCH", NUMBER_MESSAGING), ("POST", BULK_UPDATES))


def diagnose(client: TelnyxClient) -> DoctorReport:
    """Ask Telnyx everything reading can settle (GET only). Raises ApiError/ApiUnavailable when the
    API cannot be asked at all (a key it refuses, no answer)."""
    p = Probe(client)
    before = client.total_requests()
    status, body = p.get(PROFILES, params=[("page[number]", 1), ("page[size]", 1)])
    profiles = records_in(body, "data")
    if profiles and isinstance(profiles[0].get("id"), str):
        p.get(PROFILE, path={"id": profiles[0]["id"]})
    status, body = p.get(NUMBERS, params=[("page[number]", 1), ("page[size]", 250)])
    numbers = records_in(body, "data")
    page_max, size, assignments, total = _page_max(p)
    status, body = p.get(PARTNER, params=[("page", 1), ("recordsPerPage", 500)])
    partners = records_in(body)
    p.get(TASK, path={"taskId": NO_TASK})
    p.get(BULK_UPDATE, path={"order_id": NO_TASK})
    answers = [
        page_max,
        _over_max(p),
        _page_zero(p),
        _totalrecords_in(p, size, (assignments, total)),
        _sparse(numbers),
        _carrier_mapping(assignments),
        _absent(p, numbers, assignments, whole_list=0 < len(assignments) < size or not assignments),
        _sharing_map(p, partners),
        _phone_id(p, numbers),
        _task_numbers_error(p),
    ]
    answers += [_clock(p), _rate_limit(p)]
    write_only = [Answer(mode, question, "only a write could show", action, mode, (), settled=False)
                  for mode, question, action in WRITE_ONLY]
    access = [Access(f"GET {t}", p.status.get(f"GET {t}")) for t in READS]
    access += [Access(f"{m} {t}", None) for m, t in WRITES]
    return DoctorReport(base_url=client.base_url, answers=answers, write_only=write_only, access=access,
                        requests=client.total_requests() - before, checked_at=client.server_now())


__all__ = ["DoctorReport", "diagnose", "learned_dict"]
