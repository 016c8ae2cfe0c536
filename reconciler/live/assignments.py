"""Assignments: one number's, a campaign's, or the account's, at the cheaper cost.

The cost model is reader.py's (step 3): per campaign `?filter[tcr_campaign_id]=C` plus one
`GET /10dlc/phone_number_campaigns/{n}` per number not found there, or the account-wide list,
whichever the counts say is cheaper.
"""

from __future__ import annotations

from typing import Any

from reconciler.model import LiveAssignment

from .client import TelnyxClient
from .errors import bad_response
from .pagination import MAX_10DLC_PAGE, collect_10dlc, pages_needed
from .records import parse_assignment
from .unique import settle

ASSIGNMENTS = "/10dlc/phone_number_campaigns"
ASSIGNMENT = "/10dlc/phone_number_campaigns/{phoneNumber}"


def _asg_key(r: dict) -> Any:
    return r.get("phoneNumber")


def _assignments_list(client: TelnyxClient, params: list[tuple[str, Any]], t2t: dict[str, str]
                      ) -> list[LiveAssignment]:
    recs = collect_10dlc(client, ASSIGNMENTS, params + [("sort", "phoneNumber")], key=_asg_key,
                         totals_required=True)
    return [parse_assignment(f"GET {ASSIGNMENTS}", r, t2t) for r in recs]


# The spec promises only "4XX" when one number has no assignment: 404 says absent; 400 and 422
# might say absent or something else, so they are confirmed by a read that cannot be ambiguous.
ABSENT = (404,)
MAYBE_ABSENT = (400, 422)


class _Unclear(Exception):
    """A 400/422 to one number's assignment: absent, or not; the caller confirms."""


def assignment_of(client: TelnyxClient, number: str, t2t: dict[str, str] | None = None, *,
                  confirm: bool = True) -> LiveAssignment | None:
    """One number's assignment, None if it has none. A 400/422 answer is confirmed against the
    account-wide list (`confirm`), else raised as `_Unclear` for a caller that confirms in bulk."""
    status, body = client.get(ASSIGNMENT, path={"phoneNumber": number}, allow_status=ABSENT + MAYBE_ABSENT)
    if status in ABSENT:
        return None
    if status in MAYBE_ABSENT:
        if not confirm:
            raise _Unclear(number)
        found = settle(_assignments_list(client, [], t2t or {}), _number, None, f"GET {ASSIGNMENTS}")
        return found.get(number)
    if not isinstance(body, dict):
        raise bad_response(f"GET {ASSIGNMENT}", f"body is {type(body).__name__}, not an object")
    a = parse_assignment(f"GET {ASSIGNMENT}", body, t2t)
    if a.number != number:
        raise bad_response(f"GET {ASSIGNMENT}", f"asked for {number}, got {a.number}")
    return a


def read_assignments(client: TelnyxClient, campaigns: set[str], numbers: set[str], *,
                     counts: dict[str, int | None], acct_estimate: int | None,
                     t2t: dict[str, str]) -> dict[str, LiveAssignment]:
    """Assignments of the given campaigns and of the given (owned) numbers: one per number, a number
    two lists disagree about read again on its own (unique.settle)."""
    found = _found_assignments(client, campaigns, numbers, counts=counts, acct_estimate=acct_estimate, t2t=t2t)

    def again(ns: list[str]) -> list[LiveAssignment]:
        # Each number's own record; the ambiguous answers confirmed as `assignment_of` confirms one, but by
        # one account-wide read for them all (not one per number).
        got, unclear = _one_by_one(client, ns, t2t)
        if unclear:
            listed = settle(_assignments_list(client, [], t2t), _number, None, f"GET {ASSIGNMENTS}")
            got += [listed[n] for n in unclear if n in listed]
        return got

    settled = settle(found, _number, again, f"GET {ASSIGNMENTS}")
    return {n: a for n, a in settled.items() if a.tcr_campaign_id in campaigns or n in numbers}


def _number(a: LiveAssignment) -> str:
    return a.number


def _found_assignments(client: TelnyxClient, campaigns: set[str], numbers: set[str], *,
                       counts: dict[str, int | None], acct_estimate: int | None,
                       t2t: dict[str, str]) -> list[LiveAssignment]:
    """Every assignment record the cheaper way of reading finds, duplicates and all."""
    known = sum(c or 0 for c in counts.values())
    cost_pc = sum(pages_needed(counts.get(c) or 0, MAX_10DLC_PAGE) for c in campaigns) + max(0, len(numbers) - known)
    acct = max(acct_estimate or 0, known)
    cost_aw = pages_needed(acct, MAX_10DLC_PAGE)
    if cost_aw <= cost_pc:
        return _assignments_list(client, [], t2t)
    found = [a for part in client.map_concurrent(
        lambda c: _assignments_list(client, [("filter[tcr_campaign_id]", c)], t2t), sorted(campaigns)) for a in part]
    have = {a.number for a in found}
    missing = sorted(n for n in numbers if n not in have)
    if len(missing) > cost_aw:
        return found + _assignments_list(client, [], t2t)
    got, unclear = _one_by_one(client, missing, t2t)
    found += got
    if unclear:  # one account-wide read settles every ambiguous answer at once
        found += _assignments_list(client, [], t2t)
    return found


def _one_by_one(client: TelnyxClient, numbers: list[str], t2t: dict[str, str]) -> tuple[list[LiveAssignment], list[str]]:
    """Each number's own assignment record (none: it has none), and the numbers whose answer was a 400/422
    that only the account-wide list can settle (`_Unclear`), for the caller to read once."""
    unclear: list[str] = []

    def one(n: str) -> LiveAssignment | None:
        try:
            return assignment_of(client, n, t2t, confirm=False)
        except _Unclear:
            unclear.append(n)
            return None

    return [a for a in client.map_concurrent(one, numbers) if a is not None], unclear
