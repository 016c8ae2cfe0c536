"""Issue 23 (outside review, HIGH): numbers on one shared campaign declared on another shared campaign of
the same profile. A bulk task does not take a number another campaign holds (mode bulk_existing), and
freeing it first is a per-number DELETE on a shared campaign (mode shared_delete), which apply never
sends without --shared-per-number. The plan must say so up front (blocked, with the reason and the
fix), and apply must agree with it: nothing written, no bulk task whose outcome is known to be futile.
Against the real loopback sandbox, under every mode that could decide the route."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .test_timeline import advance

P = "7b1e3c52-9a4f-4d8e-b6a2-1f0c9d8e7a65"
OLD, NEW = "CSHOLD1", "CSHNEW1"
NUMBERS = [f"+1312555{i:04d}" for i in range(5000, 5012)]
BULK = "PostAssignMessagingProfileToCampaign"


def _shared(tcr: str) -> dict[str, Any]:
    return {"tcr_campaign_id": tcr, "kind": "shared", "sharing_status": "ACCEPTED",
            "campaign_status": "MNO_PROVISIONED", "number_pooling": True}


SEED: dict[str, Any] = {
    "messaging_profiles": [{"id": P, "name": "marketing"}],
    "phone_numbers": [{"phone_number": n, "messaging_profile_id": P} for n in NUMBERS],
    "campaigns": [_shared(OLD), _shared(NEW)],
    "assignments": [{"phone_number": n, "tcr_campaign_id": OLD, "status": "ASSIGNED"} for n in NUMBERS],
}


def desired() -> dict[str, Any]:
    return {"version": 1, "profiles": [{"id": P, "name": "marketing", "campaigns": [
        {"tcr_campaign_id": NEW, "numbers": NUMBERS}]}], "policy": {"max_reassign_percent": 100}}


# Every mode whose answer could decide this route: none may make the plan promise what apply cannot do.
MODES = [
    pytest.param({}, id="defaults"),
    pytest.param({"bulk_existing": "reassign"}, id="bulk_existing=reassign"),
    pytest.param({"shared_delete": "allow"}, id="shared_delete=allow"),
    pytest.param({"shared_per_number": "allow"}, id="shared_per_number=allow"),
    pytest.param({"bulk_existing": "reassign", "shared_delete": "allow", "shared_per_number": "allow"}, id="all-allow"),
]


def changes_of(d: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["number"]: c for p in d["profiles"] for cp in p["campaigns"] for c in cp["changes"]}


@pytest.mark.parametrize("modes", MODES)
def test_without_the_opt_in_the_plan_blocks_a_shared_to_shared_move_and_apply_writes_nothing(make_env, modes):
    env = make_env(seed=SEED, desired=None, modes=modes)
    env.write_desired(desired())

    r = env.run("plan", "--format", "json")
    d = json.loads(r.out)
    changes = changes_of(d)
    assert {n: changes[n]["action"] for n in NUMBERS} == {n: "blocked" for n in NUMBERS}
    reason = changes[NUMBERS[0]]["reason"]
    assert f"on shared campaign {OLD}" in reason and "--shared-per-number" in reason and "another messaging profile" \
        in reason, reason
    assert d["blast_radius"]["blocked"] == len(NUMBERS)
    assert d["blast_radius"]["change_campaign"] == 0
    assert d["messaging"]["interrupted"] == 0  # nothing is written: nothing stops
    assert d["counts"]["blocked"] == len(NUMBERS) and not d["has_changes"]

    text = env.run("plan", "--detailed-exitcode")
    assert text.code == 2, text.out + text.err  # declared numbers blocked
    assert "12 blocked" in text.out.splitlines()[0] and "--shared-per-number" in text.out

    env.reset_counters()
    r = env.run("apply", "--auto-approve")
    assert r.code == 4, r.out + r.err  # blocked, the reason named
    assert "blocked" in r.out and "--shared-per-number" in r.out
    counters = env.counters()
    assert counters["writes"] == 0 and counters["by_operation"].get(BULK, 0) == 0, counters
    assert env.assignments() == {n: (OLD, "ASSIGNED") for n in NUMBERS}  # still sending, untouched


@pytest.mark.parametrize("modes", [pytest.param({"shared_per_number": "allow", "shared_delete": "allow"}, id="allow"),
                                   pytest.param({"shared_per_number": "allow", "shared_delete": "allow",
                                                 "bulk_existing": "reassign"}, id="allow,bulk_existing=reassign")])
def test_with_the_opt_in_the_move_is_planned_and_apply_carries_it_out(make_env, modes):
    env = make_env(seed=SEED, desired=None, modes=modes, timing="realistic", time_scale=120.0, timing_jitter=0.0,
                   late_failure_rate=0.0)
    env.write_desired(desired())
    d = json.loads(env.run("plan", "--format", "json", "--shared-per-number").out)
    changes = changes_of(d)
    assert {n: changes[n]["action"] for n in NUMBERS} == {n: "reassign" for n in NUMBERS}
    assert all(changes[n]["interrupts"] == "possibly" for n in NUMBERS)
    assert d["blast_radius"]["blocked"] == 0

    r = env.run("apply", "--auto-approve", "--shared-per-number")
    assert r.code == 0, r.out + r.err
    for _ in range(4):
        advance(env, 3600 * 1.5)
        assert env.run("resume", "--shared-per-number").code in (0, 2)
    advance(env, 3 * 3600)
    assert env.assignments() == {n: (NEW, "ASSIGNED") for n in NUMBERS}
    assert env.run("plan", "--detailed-exitcode", "--shared-per-number").code == 0
