"""Read the live state the reconciler needs, with the fewest requests.

Cost model (R10 = 500 records per 10DLC page, RC = 250 per classic page; P declared
profiles, C declared campaigns, d_p / d_c declared numbers per profile / campaign,
D declared numbers, N_acct numbers in the account, A_c assignments of campaign c,
A_acct assignments in the account):

1. Campaigns. `GET /10dlc/partner_campaigns` (all pages, ceil(accepted/500), usually 1).
   Only for declared campaigns it does not show: brands + their campaigns
   (1 + #brands), then `GET /10dlc/partnerCampaign/{id}/sharing` per campaign still
   unknown. The partner list also gives every campaign's `assignedPhoneNumbersCount`,
   which prices step 3 without a request.
2. Profiles and numbers (concurrently with step 1).
   - Existence/names: ≤ 2 profiles → `GET /messaging_profiles/{id}` each; more → page 1
     of `GET /messaging_profiles` (250), then the cheaper of its remaining pages or a
     GET per profile not on page 1.
   - Numbers: per profile `GET /phone_numbers/messaging?filter[messaging_profile_id]=P`
     costs Σ_p ceil(N_p/250) (≥ P) plus `filter[phone_number]=a,b,…` batches of 250
     for declared numbers found elsewhere; account-wide costs ceil(N_acct/250) and
     covers both. If the per-profile estimate Σ_p max(1, ceil(d_p/250)) is ≤ 2, go per
     profile; otherwise read account-wide page 1 (which tells N_acct) and continue
     account-wide when its remaining pages cost no more than the per-profile estimate.
     Worst case one wasted request.
3. Assignments. Per campaign `?filter[tcr_campaign_id]=C` costs Σ_c max(1, ceil(A_c/500))
   plus one `GET /10dlc/phone_number_campaigns/{n}` per owned declared number not
   found there (at least D_owned − Σ_c A_c of them); account-wide costs
   ceil(A_acct/500) and covers both. The cheaper by that estimate wins; if the
   per-campaign route then finds more missing numbers than the account-wide list
   costs, it finishes with the account-wide list instead.

All list reads use the largest page size, pages announced by totals are fetched
concurrently, and independent reads share the client's bounded concurrency.
"""

from __future__ import annotations

from typing import Any, Iterable

from reconciler.errors import ApiError, ApiUnavailable
from reconciler.model import DesiredState, LiveCampaign, LiveNumber, LiveState, SHARED

from .client import TelnyxClient
from .errors import bad_response
from .assignments import ABSENT, MAYBE_ABSENT, assignment_of, read_assignments
from .pagination import MAX_CLASSIC_PAGE, collect_10dlc, collect_classic, first_page_classic, pages_needed
from .records import (parse_number, parse_partner_campaign, parse_telnyx_campaign,
                      sharing_status)
from .unique import one_id_each, settle

NUMBERS = "/phone_numbers/messaging"
PROFILES = "/messaging_profiles"
PROFILE = "/messaging_profiles/{id}"
PARTNER = "/10dlc/partner_campaigns"
BRANDS = "/10dlc/brand"
CAMPAIGNS = "/10dlc/campaign"
SHARING = "/10dlc/partnerCampaign/{campaignId}/sharing"

NUMBER_BATCH = 250  # numbers per filter[phone_number] list: one full page, a ~4.3 KB URL


def _num_key(r: dict) -> Any:
    return r.get("phone_number"), r.get("id")


# --------------------------------------------------------------------------- profiles


def read_profile_names(client: TelnyxClient, ids: Iterable[str]) -> dict[str, str | None]:
    """{id: name} of the given profiles that exist."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    out: dict[str, str | None] = {}

    def one(pid: str) -> tuple[str, dict | None]:
        status, body = client.get(PROFILE, path={"id": pid}, allow_status=(404,))
        if status == 404:
            return pid, None
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise bad_response(f"GET {PROFILE}", "field 'data' is missing or not an object")
        return pid, body["data"]

    def take(rec: dict, call: str) -> None:
        pid = rec.get("id")
        if not isinstance(pid, str):
            raise bad_response(call, "field 'id' of a messaging profile is missing or not a string")
        name = rec.get("name")
        if name is not None and not isinstance(name, str):
            raise bad_response(call, f"{pid}: field 'name' is {type(name).__name__}, not a string")
        if pid in wanted:
            out[pid] = name

    wanted = set(ids)
    if len(ids) <= 2:
        for pid, rec in client.map_concurrent(one, ids):
            if rec is not None:
                take({**rec, "id": rec.get("id", pid)}, f"GET {PROFILE}")
        return out
    first = first_page_classic(client, PROFILES, page_size=MAX_CLASSIC_PAGE)
    recs, _total, total_pages = first
    for r in recs:
        take(r, f"GET {PROFILES}")
    missing = [p for p in ids if p not in out]
    if not missing:
        return out
    if total_pages - 1 < len(missing):
        # The rest of the list, from page 2: page 1 is already read.
        for r in collect_classic(client, PROFILES, [], key=lambda r: r.get("id"), first=first):
            take(r, f"GET {PROFILES}")
    else:
        for pid, rec in client.map_concurrent(one, missing):
            if rec is not None:
                take({**rec, "id": rec.get("id", pid)}, f"GET {PROFILE}")
    return out


def list_all_profiles(client: TelnyxClient) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for r in collect_classic(client, PROFILES, page_size=MAX_CLASSIC_PAGE, key=lambda r: r.get("id")):
        pid, name = r.get("id"), r.get("name")
        if not isinstance(pid, str) or (name is not None and not isinstance(name, str)):
            raise bad_response(f"GET {PROFILES}", "field 'id' or 'name' of a messaging profile has the wrong type")
        out[pid] = name
    return out


# --------------------------------------------------------------------------- numbers


def _parse_numbers(recs: list[dict], call: str) -> list[LiveNumber]:
    return [parse_number(call, r) for r in recs]


def _settled(client: TelnyxClient, found: Iterable[LiveNumber]) -> dict[str, LiveNumber]:
    """{number: record}, one record each: a number two lists show differently is asked for by name, and
    two numbers with one id are refused (unique.py)."""
    out = settle(found, _e164, lambda ns: numbers_by_e164(client, ns), f"GET {NUMBERS}")
    one_id_each(out.values(), f"GET {NUMBERS}")
    return out


def _e164(n: LiveNumber) -> str:
    return n.number


def numbers_on_profile(client: TelnyxClient, profile_id: str) -> list[LiveNumber]:
    recs = collect_classic(client, NUMBERS, [("filter[messaging_profile_id]", profile_id),
                                             ("sort[phone_number]", "asc")], key=_num_key)
    nums = _parse_numbers(recs, f"GET {NUMBERS}")
    for n in nums:
        if n.profile_id != profile_id:
            raise bad_response(f"GET {NUMBERS}", f"{n.number}: filter by profile {profile_id} "
                               f"returned a number on {n.profile_id}")
    return nums


def numbers_by_e164(client: TelnyxClient, numbers: Iterable[str]) -> list[LiveNumber]:
    """The numbers the account owns among `numbers` (absent = not owned)."""
    numbers = sorted(set(numbers))
    batches = [numbers[i:i + NUMBER_BATCH] for i in range(0, len(numbers), NUMBER_BATCH)]

    def one(batch: list[str]) -> list[LiveNumber]:
        recs = collect_classic(client, NUMBERS, [("filter[phone_number]", ",".join(batch)),
                                                 ("sort[phone_number]", "asc")], key=_num_key)
        wanted = set(batch)
        return [n for n in _parse_numbers(recs, f"GET {NUMBERS}") if n.number in wanted]

    return [n for part in client.map_concurrent(one, batches) for n in part]


def all_numbers(client: TelnyxClient, first: tuple[list[dict], int, int] | None = None) -> list[LiveNumber]:
    if first is None:
        recs = collect_classic(client, NUMBERS, [("sort[phone_number]", "asc")], key=_num_key)
    else:
        recs = collect_classic(client, NUMBERS, [("sort[phone_number]", "asc")], key=_num_key, first=first)
    return _parse_numbers(recs, f"GET {NUMBERS}")


def read_numbers(client: TelnyxClient, desired: DesiredState, profiles_exist: set[str]) -> dict[str, LiveNumber]:
    declared = desired.numbers
    found: list[LiveNumber] = []
    d_per_profile: dict[str, int] = {p: 0 for p in profiles_exist}
    for dn in declared.values():
        if dn.profile_id in d_per_profile:
            d_per_profile[dn.profile_id] += 1
    est_pp = sum(pages_needed(d, MAX_CLASSIC_PAGE) for d in d_per_profile.values())
    if est_pp >= 2 or (not profiles_exist and declared):
        first = first_page_classic(client, NUMBERS, [("sort[phone_number]", "asc")])
        _recs, _total, total_pages = first
        if total_pages - 1 <= est_pp:
            every = _settled(client, all_numbers(client, first))
            return {k: n for k, n in every.items() if n.profile_id in profiles_exist or k in declared}
        found += [n for n in _parse_numbers(first[0], f"GET {NUMBERS}") if n.number in declared]
    for nums in client.map_concurrent(lambda p: numbers_on_profile(client, p), sorted(profiles_exist)):
        found += nums
    have = {n.number for n in found}
    elsewhere = [n for n in declared if n not in have]
    if elsewhere:
        found += numbers_by_e164(client, elsewhere)
    return _settled(client, found)


# --------------------------------------------------------------------------- campaigns


def read_campaigns(client: TelnyxClient, declared: Iterable[str], counts: dict[str, int] | None = None
                   ) -> tuple[dict[str, LiveCampaign], int]:
    """(declared campaigns Telnyx knows, estimated assignments in the account). `counts`, if given,
    gets the `assignedPhoneNumbersCount` of every campaign the lists show, declared or not."""
    declared = set(declared)
    found: dict[str, LiveCampaign] = {}
    acct = 0
    seen = counts if counts is not None else {}
    for r in collect_10dlc(client, PARTNER, [("sort", "tcrCampaignId")], key=lambda r: r.get("tcrCampaignId")):
        c = parse_partner_campaign(f"GET {PARTNER}", r)
        acct += c.assigned_count or 0
        if c.assigned_count is not None:
            seen[c.tcr_campaign_id] = c.assigned_count
        if c.tcr_campaign_id in declared:
            found[c.tcr_campaign_id] = c
    missing = declared - set(found)
    if not missing:
        return found, acct
    brands = collect_10dlc(client, BRANDS, [("sort", "createdAt")], key=lambda r: r.get("brandId"))
    brand_ids = []
    for b in brands:
        bid = b.get("brandId")
        if not isinstance(bid, str) or not bid:
            raise bad_response(f"GET {BRANDS}", "field 'brandId' is missing or not a string")
        brand_ids.append(bid)

    def campaigns_of(bid: str) -> list[dict]:
        return collect_10dlc(client, CAMPAIGNS, [("brandId", bid), ("sort", "createdAt")],
                             key=lambda r: r.get("campaignId"))

    for recs in client.map_concurrent(campaigns_of, brand_ids):
        for r in recs:
            c = parse_telnyx_campaign(f"GET {CAMPAIGNS}", r)
            if c is None:
                continue
            acct += c.assigned_count or 0
            if c.assigned_count is not None:
                seen[c.tcr_campaign_id] = c.assigned_count
            if c.tcr_campaign_id in missing:
                found[c.tcr_campaign_id] = c
    rest = sorted(declared - set(found))

    def sharing(tcr: str) -> LiveCampaign | None:
        # Not shared with this account: 404, or the 422 the spec declares, or a 400. Either way the
        # campaign is unknown here, and numbers declared for it are blocked (nothing is written).
        status, body = client.get(SHARING, path={"campaignId": tcr}, allow_status=ABSENT + MAYBE_ABSENT)
        if status in ABSENT + MAYBE_ABSENT:
            return None
        s = sharing_status(f"GET {SHARING}", body)
        return LiveCampaign(tcr_campaign_id=tcr, kind=SHARED, sharing_status=s, campaign_status=None)

    for c in client.map_concurrent(sharing, rest):
        if c is not None:
            found[c.tcr_campaign_id] = c
    return found, acct


# --------------------------------------------------------------------------- entry points


def read_live(client: TelnyxClient, desired: DesiredState) -> LiveState:
    """Everything diff/plan need about the declared profiles, numbers and campaigns."""
    live = LiveState()
    declared_campaigns = set(desired.campaigns())

    def campaigns_part():
        return read_campaigns(client, declared_campaigns, live.campaign_counts)

    def numbers_part():
        names = read_profile_names(client, desired.profiles)
        return names, read_numbers(client, desired, set(names))

    (camps, acct), (names, numbers) = client.map_concurrent(lambda f: f(), [campaigns_part, numbers_part])
    live.campaigns = camps
    live.profiles = names
    live.numbers = numbers
    t2t = {c.telnyx_campaign_id: c.tcr_campaign_id for c in camps.values() if c.telnyx_campaign_id}
    owned_declared = {n for n in desired.numbers if n in numbers}
    counts = {c: (camps[c].assigned_count if c in camps else None) for c in declared_campaigns}
    for c, v in list(counts.items()):
        if v is None:  # unknown: assume the declared numbers
            counts[c] = sum(1 for dn in desired.numbers.values() if dn.tcr_campaign_id == c)
    live.assignments = read_assignments(client, declared_campaigns, owned_declared, counts=counts,
                                        acct_estimate=acct, t2t=t2t)
    live.read_at = client.server_now()
    return live


def read_profiles_for_import(client: TelnyxClient, profile_ids: list[str] | None) -> LiveState:
    """The chosen profiles (None: all), their numbers, and those numbers' assignments.

    Raises ApiError if a named profile does not exist. `campaigns` holds the campaigns
    the assignments name that the partner list or the account's brands show.
    """
    live = LiveState()
    if profile_ids is None:
        live.profiles = list_all_profiles(client)
    else:
        names = read_profile_names(client, profile_ids)
        absent = sorted(set(profile_ids) - set(names))
        if absent:
            raise ApiError(f"GET {PROFILE}", 404, code="10005", title="messaging profile not found",
                           detail=", ".join(absent))
        live.profiles = names
    pids = set(live.profiles)
    if profile_ids is None:
        live.numbers = {k: n for k, n in _settled(client, all_numbers(client)).items() if n.profile_id in pids}
    else:
        live.numbers = _settled(client, [n for nums in client.map_concurrent(lambda p: numbers_on_profile(client, p),
                                                                              sorted(pids)) for n in nums])
    numbers = set(live.numbers)
    if not numbers:
        return live
    if len(numbers) <= 2:
        found = client.map_concurrent(lambda n: assignment_of(client, n), sorted(numbers))
        live.assignments = {a.number: a for a in found if a is not None}
    else:
        # account-wide is at most ceil(A_acct/500) requests; per number would be len(numbers)
        camps, acct = read_campaigns(client, ())
        live.assignments = read_assignments(client, set(), numbers, counts={}, acct_estimate=acct, t2t={})
    return live


def read_tracked(client: TelnyxClient, numbers: Iterable[str], campaigns: Iterable[str],
                 profiles: Iterable[str] = ()) -> LiveState:
    """What the journal's open writes need, with no desired state: where each number sits, the
    assignments of the writes' campaigns and numbers, and every number on the profiles a deferred
    bulk assignment targets (a bulk would sweep them in). `campaigns` are TCR ids."""
    live = LiveState()
    wanted = set(numbers)
    found = numbers_by_e164(client, sorted(wanted)) if wanted else []
    for nums in client.map_concurrent(lambda p: numbers_on_profile(client, p), sorted(set(profiles))):
        found += nums
    live.numbers = _settled(client, found)
    camps, acct = read_campaigns(client, set(campaigns))
    live.campaigns = camps
    t2t = {c.telnyx_campaign_id: c.tcr_campaign_id for c in camps.values() if c.telnyx_campaign_id}
    owned = {n for n in wanted if n in live.numbers}
    counts = {c: (camps[c].assigned_count if c in camps else None) for c in set(campaigns)}
    live.assignments = read_assignments(client, set(campaigns), owned, counts=counts, acct_estimate=acct, t2t=t2t)
    return live


def learn_server_clock(client: TelnyxClient, profile_ids: list[str]) -> None:
    """One cheap read (a declared profile, else the first page of profiles), so that
    `client.server_now()` is Telnyx's clock (its `Date` header) before anything else is asked.
    A failure leaves the local clock: the caller's next read reports any real problem."""
    try:
        if profile_ids:
            client.get(PROFILE, path={"id": profile_ids[0]}, allow_status=(404,))
        else:
            client.get(PROFILES, params=[("page[number]", 1), ("page[size]", 1)])
    except (ApiError, ApiUnavailable):
        return

