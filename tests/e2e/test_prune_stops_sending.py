"""A prune that unassigns numbers sending today stops them for good: a deliberate stop, but a stop. The
plan says so first, the blast radius counts them, a change window holds the apply, and apply's footer
names the unassignment Telnyx is doing (outside review at 3,000 numbers: 15 sending numbers were pruned
outside every window while the plan said "this plan stops no sending number", and the footer promised
PENDING_ASSIGNMENT for about 2 h)."""

from __future__ import annotations

import datetime
import json
from typing import Any

from .test_continuity import _now_of, later_day, window_policy

P = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"
CB = "CB05XYZ"
KEEP = [f"+1312555{i:04d}" for i in range(5000, 5005)]
PRUNED = [f"+1312555{i:04d}" for i in range(5005, 5020)]  # sending today, deleted from the YAML
FAILED = [f"+1312555{i:04d}" for i in range(5020, 5022)]  # undeclared too, but not sending: pruned, no stop
PRUNE = ("--prune", "--campaign", CB, "--allow-unassign", "17")


def _seed() -> dict[str, Any]:
    return {"messaging_profiles": [{"id": P, "name": "retail"}],
            "phone_numbers": [{"phone_number": n, "messaging_profile_id": P} for n in KEEP + PRUNED + FAILED],
            "campaigns": [{"tcr_campaign_id": CB, "kind": "telnyx", "campaign_status": "MNO_PROVISIONED",
                           "number_pooling": True}],
            "assignments": [{"phone_number": n, "tcr_campaign_id": CB, "status": "ASSIGNED"} for n in KEEP + PRUNED]
            + [{"phone_number": n, "tcr_campaign_id": CB, "status": "FAILED_ASSIGNMENT",
                "failure_reasons": "carrier timeout"} for n in FAILED]}


def _env(make_env: Any, policy: Any) -> Any:
    # Telnyx's realistic timeline with its clock standing still: the removals stay PENDING_UNASSIGNMENT.
    env = make_env(seed=_seed(), desired=None, timing="realistic", time_scale=0)
    env.write_desired({"version": 1, "profiles": [{"id": P, "name": "retail", "campaigns": [
        {"tcr_campaign_id": CB, "numbers": KEEP}]}], "policy": policy(env)})
    return env


def _open_now(env: Any) -> dict[str, Any]:
    """A window every day from an hour before the sandbox's now to an hour after (across midnight if so)."""
    now = datetime.datetime.fromtimestamp(_now_of(env.state()), datetime.timezone.utc)
    at = lambda t: t.strftime("%H:%M")  # noqa: E731
    return {"change_windows": [{"start": at(now - datetime.timedelta(hours=1)),
                                "end": at(now + datetime.timedelta(hours=1)), "timezone": "UTC"}]}


def _pending_unassignment(env: Any) -> bool:
    a = env.assignments()
    return all(a[n] == (CB, "PENDING_UNASSIGNMENT") for n in PRUNED + FAILED) \
        and all(a[n] == (CB, "ASSIGNED") for n in KEEP)


def _footer_says_unassignments(out: str) -> None:
    assert "17 numbers wait on Telnyx: PENDING_UNASSIGNMENT about 1 h (being unassigned), sometimes days" in out, out
    assert "PENDING_ASSIGNMENT" not in out.replace("PENDING_UNASSIGNMENT", ""), out


def test_a_prune_of_sending_numbers_says_they_stop_and_waits_for_a_window(make_env):
    env = _env(make_env, lambda e: window_policy(later_day(e)[0]))
    text = env.run("plan", *PRUNE).out
    lines = text.splitlines()
    assert lines[0] == "Plan: 17 to unassign (prune) · 5 unchanged", text
    assert lines[1] == ("Messaging: 15 sending numbers stop for good (pruned): the prune removes their campaign "
                        "(PENDING_UNASSIGNMENT about 1 h, then no campaign)"), text
    assert "apply would be held (exit 3)" in text and "stops no sending number" not in text, text
    assert "Blast radius: 15 sending numbers to stop (or may)" in text, text
    md = env.run("plan", *PRUNE, "--format", "markdown").out
    assert "**Messaging:** 15 sending numbers stop for good (pruned)" in md, md
    assert "section 15 sending numbers pruned (stop for good)" in md, md  # the timeline picture draws them
    d = json.loads(env.run("plan", *PRUNE, "--format", "json").out)
    # the contract's `interrupted` keeps its meaning (declared numbers changed); `pruned` says these
    assert (d["messaging"]["interrupted"], d["messaging"]["pruned"]) == (0, 15)
    assert d["blast_radius"]["stop_sending"] == 15 and d["blast_radius"]["lose_campaign"] == 17
    assert d["change_windows"]["apply_held"] is True

    env.reset_counters()
    r = env.run("apply", *PRUNE, "--auto-approve")
    assert r.code == 3, r.out + r.err
    assert "outside every change window" in r.err and "15 sending numbers stop (or may)" in r.err, r.err
    assert env.counters()["writes"] == 0
    assert all(env.assignments()[n] == (CB, "ASSIGNED") for n in PRUNED)
    # a saved plan is held the same way, before any write
    assert env.run("plan", *PRUNE, "--out", "p.json").code == 0
    r = env.run("apply", "p.json")
    assert r.code == 3 and "outside every change window" in r.err, r.out + r.err
    assert env.counters()["writes"] == 0

    r = env.run("apply", *PRUNE, "--auto-approve", "--ignore-change-windows")
    assert r.code == 0, r.out + r.err
    assert "applied anyway (--ignore-change-windows)" in r.out, r.out
    assert _pending_unassignment(env)
    _footer_says_unassignments(r.out)


def test_inside_a_window_the_prune_applies_and_says_its_numbers_are_being_unassigned(make_env):
    env = _env(make_env, _open_now)
    plan = env.run("plan", *PRUNE).out
    assert "Messaging: 15 sending numbers stop for good (pruned)" in plan and "open now (" in plan, plan
    r = env.run("apply", *PRUNE, "--auto-approve", "--format", "markdown")
    assert r.code == 0, r.out + r.err
    assert _pending_unassignment(env)
    _footer_says_unassignments(r.out)
