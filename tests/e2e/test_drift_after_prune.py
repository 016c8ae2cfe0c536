"""Drift agrees with the plan under prune, on Telnyx's realistic timeline (outside review: `drift` exited 2
while its own prune was in flight, "4 unmanaged (PENDING_UNASSIGNMENT)", and stayed at 2 forever after it:
the pruned numbers sit on the declared profile with no campaign, which no apply changes, while `plan`
said "no changes"). A number the prune is unassigning is in flight; one it left with no campaign is
counted as pruned, not drift; an undeclared number still on a declared campaign is drift (apply
unassigns it)."""

from __future__ import annotations

import json
from typing import Any

from .test_timeline import advance

P = "11111111-1111-4111-8111-111111111111"
CAMPAIGN = "CTELA1"
NUMBERS = [f"+1312555{1000 + i:04d}" for i in range(14)]
KEEP, PRUNED = NUMBERS[:10], NUMBERS[10:]


def _desired(numbers: list[str]) -> dict[str, Any]:
    return {"version": 1, "profiles": [{"id": P, "name": "p-one", "campaigns": [
        {"tcr_campaign_id": CAMPAIGN, "numbers": numbers}]}],
        "policy": {"prune": True, "max_unassign": 1000, "max_unassign_percent": 100}}


def _env(make_env: Any) -> Any:
    seed = {"messaging_profiles": [{"id": P, "name": "p-one"}],
            "phone_numbers": [{"phone_number": n, "messaging_profile_id": P} for n in NUMBERS],
            "campaigns": [{"tcr_campaign_id": CAMPAIGN, "kind": "telnyx", "campaign_status": "MNO_PROVISIONED",
                           "number_pooling": False}],
            "assignments": [{"phone_number": n, "tcr_campaign_id": CAMPAIGN, "status": "ASSIGNED"} for n in NUMBERS]}
    # The realistic timeline on a clock that stands still: the test moves it.
    env = make_env(seed=seed, desired=None, timing="realistic", time_scale=0, timing_jitter=0, late_failure_rate=0)
    env.write_desired(_desired(KEEP))
    return env


def _drift(env: Any) -> tuple[int, str, dict[str, Any], str]:
    text = env.run("drift")
    data = env.run("drift", "--format", "json")
    md = env.run("drift", "--format", "markdown")
    assert text.code == data.code == md.code, (text, data, md)
    return text.code, text.out, json.loads(data.out), md.out


def _numbers(d: dict[str, Any], kind: str) -> list[str]:
    return sorted(f["number"] for f in d["items"][kind])


def test_drift_under_prune_agrees_with_the_plan_during_and_after_the_unassignment(make_env):
    env = _env(make_env)
    # Before the apply: 4 undeclared numbers still ASSIGNED to a declared campaign under prune: drift.
    code, text, d, _ = _drift(env)
    assert code == 2 and text.startswith("Drift: 4 unmanaged\n"), text
    assert _numbers(d, "unmanaged") == PRUNED and d["drifted"] is True

    r = env.run("apply", "--auto-approve")
    assert r.code == 0, r.out + r.err
    assert all(env.assignments()[n] == (CAMPAIGN, "PENDING_UNASSIGNMENT") for n in PRUNED)

    # 30 min in: the prune's own work is in flight, not drift.
    advance(env, 30 * 60)
    code, text, d, md = _drift(env)
    assert code == 0, text
    assert text.startswith("Drift: none; not drift: 4 in flight (4 not sending)\n"), text
    assert "In flight (not drift: work in progress):" in text and "Unmanaged" not in text, text
    assert d["drifted"] is False and _numbers(d, "in_flight") == PRUNED and d["counts"]["unmanaged"] == 0
    assert "**No drift.**" in md and "Drift found" not in md, md

    # Telnyx has freed them: no campaign, still on the declared profile. The plan has nothing to do, and
    # drift agrees: counted as pruned, not drift, for good.
    advance(env, 60 * 60)
    assert all(n not in env.assignments() or env.assignments()[n][0] is None for n in PRUNED), env.assignments()
    plan = env.run("plan", "--detailed-exitcode")
    assert plan.code == 0 and plan.out.startswith("Plan: no changes"), plan.out + plan.err
    for _ in range(2):  # before and after resume closes the write
        code, text, d, md = _drift(env)
        assert code == 0, text
        assert text.startswith("Drift: none; not drift: 4 with no campaign (undeclared, as prune leaves them)\n"), text
        assert "No campaign (not drift: undeclared, on a declared profile, with no campaign: nothing for prune to " \
               "do):" in text, text
        assert d["drifted"] is False and _numbers(d, "pruned") == PRUNED
        assert d["counts"]["unmanaged"] == d["counts"]["in_flight"] == 0 and "pruned" not in d["counted_as_drift"]
        assert "**No drift.**" in md and "| pruned | 4 |" in md, md
        assert env.run("resume").code == 0

    # A number taken out of the files while still ASSIGNED to the declared campaign: drift again (apply
    # would unassign it), beside the pruned ones that stay counted only.
    env.write_desired(_desired(KEEP[:-1]))
    code, text, d, md = _drift(env)
    assert code == 2, text
    assert text.startswith("Drift: 1 unmanaged; not drift: 4 with no campaign (undeclared, as prune leaves them)\n"), text
    assert _numbers(d, "unmanaged") == [KEEP[-1]] and _numbers(d, "pruned") == PRUNED and d["drifted"] is True
    assert "**Drift found: 1 unmanaged.**" in md, md
