"""Routes that interrupt least (issue 23 item 2), against the real loopback sandbox: apply never frees
a sending number where an in-place route exists under the mode's answers, and what a plan says per
number (`interrupts`, `freed_first`) is what apply then does, under each mode that decides a route.

Three groups of numbers that send today on a Telnyx-registered campaign (OLD):

- BULK_T: a whole profile moving to another Telnyx-registered campaign (bulk by profile). A bulk task
  may skip them (mode bulk_existing=skip); a per-number PUT may then move them in place (mode
  put_existing): the plan says "possibly", never "freed first";
- BULK_S: a whole profile moving to a shared campaign. Without --shared-per-number, Telnyx documents
  no per-number route: the plan says "certainly", freed first (a bulk task that moves numbers in
  place, bulk_existing=reassign, does better than the plan's hardest reading);
- EACH: numbers on a profile with two targets (per number): a PUT, freed first only if refused.

The sandbox runs the realistic timeline (120 virtual seconds a second while apply waits): right
after apply a freed number is PENDING_UNASSIGNMENT; one moved in place is PENDING_ASSIGNMENT on its
new campaign. Then the scheduled job (`resume`) finishes the work, and every number converges.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .test_timeline import advance

PT = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"  # bulk to a Telnyx-registered campaign
PS = "7b1e3c52-9a4f-4d8e-b6a2-1f0c9d8e7a65"  # bulk to a shared campaign
PE = "9d2c4b6a-1e3f-4a5b-8c7d-0e1f2a3b4c5d"  # per number: two targets
OLD, TNEW, SNEW = "CACME00", "CTNEW01", "CSHNEW1"
BULK_T = [f"+1312555{i:04d}" for i in range(3000, 3004)]
BULK_S = [f"+1312555{i:04d}" for i in range(3100, 3104)]
EACH = [f"+1312555{i:04d}" for i in range(3200, 3202)]
STAYS = "+13125553210"  # on PE, stays on OLD: keeps PE per number
MOVED = BULK_T + BULK_S + EACH

SEED: dict[str, Any] = {
    "messaging_profiles": [{"id": PT, "name": "to-telnyx"}, {"id": PS, "name": "to-shared"}, {"id": PE, "name": "each"}],
    "phone_numbers": [{"phone_number": n, "messaging_profile_id": PT} for n in BULK_T]
    + [{"phone_number": n, "messaging_profile_id": PS} for n in BULK_S]
    + [{"phone_number": n, "messaging_profile_id": PE} for n in EACH + [STAYS]],
    "campaigns": [
        {"tcr_campaign_id": OLD, "kind": "telnyx", "campaign_status": "MNO_PROVISIONED", "number_pooling": True},
        {"tcr_campaign_id": TNEW, "kind": "telnyx", "campaign_status": "MNO_PROVISIONED", "number_pooling": True},
        {"tcr_campaign_id": SNEW, "kind": "shared", "sharing_status": "ACCEPTED", "campaign_status": "MNO_PROVISIONED",
         "number_pooling": True},
    ],
    "assignments": [{"phone_number": n, "tcr_campaign_id": OLD, "status": "ASSIGNED"} for n in MOVED + [STAYS]],
}
DESIRED: dict[str, Any] = {"version": 1, "profiles": [
    {"id": PT, "name": "to-telnyx", "campaigns": [{"tcr_campaign_id": TNEW, "numbers": BULK_T}]},
    {"id": PS, "name": "to-shared", "campaigns": [{"tcr_campaign_id": SNEW, "numbers": BULK_S}]},
    {"id": PE, "name": "each", "campaigns": [{"tcr_campaign_id": TNEW, "numbers": EACH},
                                             {"tcr_campaign_id": OLD, "numbers": [STAYS]}]},
], "policy": {"max_reassign_percent": 100}}
TARGET = {**{n: TNEW for n in BULK_T + EACH}, **{n: SNEW for n in BULK_S}}

# (sandbox modes, --shared-per-number, the groups apply frees). A group is freed only where its
# in-place routes are refused: BULK_T and EACH by put_existing=reject (and BULK_T's bulk skipping
# it first), BULK_S without the opt-in unless the bulk moves it, with it where a PUT is refused.
CASES = [
    pytest.param({}, False, {"BULK_T", "BULK_S", "EACH"}, id="defaults"),
    pytest.param({"put_existing": "replace"}, False, {"BULK_S"}, id="put_existing=replace"),
    pytest.param({"bulk_existing": "reassign"}, False, {"EACH"}, id="bulk_existing=reassign"),
    pytest.param({"bulk_existing": "reassign", "put_existing": "replace"}, False, set(), id="both-in-place"),
    pytest.param({"put_existing": "replace", "shared_per_number": "allow"}, True, set(),
                 id="shared-per-number,allow,replace"),
    pytest.param({"shared_per_number": "reject", "put_existing": "replace"}, True, {"BULK_S"},
                 id="shared-per-number,reject"),
    pytest.param({"shared_per_number": "allow"}, True, {"BULK_T", "BULK_S", "EACH"},
                 id="shared-per-number,put_existing=reject"),
]
GROUPS = {"BULK_T": BULK_T, "BULK_S": BULK_S, "EACH": EACH}


def plan_changes(env: Any, *extra: str) -> dict[str, dict[str, Any]]:
    r = env.run("plan", "--format", "json", *extra)
    assert r.code == 0, r.out + r.err
    d = json.loads(r.out)
    return {c["number"]: c for p in d["profiles"] for cp in p["campaigns"] for c in cp["changes"]}


@pytest.mark.parametrize("modes,spn,freed_groups", CASES)
def test_apply_frees_only_where_no_in_place_route_answers_and_agrees_with_the_plan(make_env, modes, spn,
                                                                                  freed_groups):
    env = make_env(seed=SEED, desired=None, modes=modes, timing="realistic", time_scale=120.0,
                   timing_jitter=0.0, late_failure_rate=0.0)
    env.write_desired(DESIRED)
    extra = ("--shared-per-number",) if spn else ()
    changes = plan_changes(env, *extra)

    # What the plan says, per number: every moved number may stop; only a shared target without the
    # opt-in is certain (freed first, and why).
    for n in MOVED:
        c = changes[n]
        assert c["action"] == "reassign" and c["from_campaign"] == OLD
        certain = n in BULK_S and not spn
        assert c["interrupts"] == ("certainly" if certain else "possibly"), (n, c)
        assert ("freed_first" in c) is certain, (n, c)
    assert STAYS not in changes

    r = env.run("apply", "--auto-approve", *extra)
    assert r.code == 0, r.out + r.err
    after = env.assignments()
    freed = {n for n in MOVED if n not in after or after[n][1] == "PENDING_UNASSIGNMENT"}
    moved_in_place = {n for n in MOVED if after.get(n) == (TARGET[n], "PENDING_ASSIGNMENT")}
    expected = {n for g in freed_groups for n in GROUPS[g]}
    assert freed == expected, (sorted(freed), sorted(expected), after)
    assert moved_in_place == set(MOVED) - expected, after
    assert after[STAYS] == (OLD, "ASSIGNED")

    # Plan and apply agree: apply frees nothing the plan did not say may stop, frees a number the
    # plan says only "possibly" stops only where Telnyx refused its PUT (put_existing=reject, or a
    # shared campaign's per-number writes refused), and a number it says is freed first is freed
    # unless a bulk task moved it in place (bulk_existing=reassign: better than the hardest reading).
    put_refused = modes.get("put_existing", "reject") == "reject"
    for n in freed:
        assert changes[n].get("interrupts"), n
        if "freed_first" not in changes[n]:
            assert put_refused or (n in BULK_S and modes.get("shared_per_number", "reject") == "reject"), n
    for n in MOVED:
        if "freed_first" in changes[n]:
            assert (n in freed) is (modes.get("bulk_existing", "skip") == "skip"), n

    # The scheduled job finishes the next phases once Telnyx has freed the numbers: all converge.
    for _ in range(4):
        advance(env, 3600 * 1.5)
        r = env.run("resume", *extra)
        assert r.code in (0, 2), r.out + r.err
    advance(env, 3 * 3600)
    final = env.assignments()
    assert {n: final.get(n) for n in MOVED} == {n: (TARGET[n], "ASSIGNED") for n in MOVED}, final
    assert final[STAYS] == (OLD, "ASSIGNED")
    assert env.run("plan", "--detailed-exitcode", *extra).code == 0
