"""A bulk task's re-sent members are its numbers until they send again (outside review, 3,000
numbers: 9 numbers FAILED_ASSIGNMENT on the shared campaign, 8 of them members that were sending
before the apply; `resume` and `status` said "1 number failed", later "0" and exit 0, and counts
shrank as Telnyx finished; `apply` said nothing of the numbers it re-sent). Telnyx assigns a shared
campaign's numbers only by a bulk task over the whole profile, and may provision again the numbers
already there (mode bulk_same=reprovision). On the realistic timeline, on a clock that stands still
(`advance` moves it), every assignment failing late."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .test_scenarios import PA, SHARED
from .test_timeline import advance

HOUR = 3600.0
SENDING = [f"+1312555060{i}" for i in range(6)]  # on the profile, ASSIGNED to the shared campaign
NEW = [f"+1312555061{i}" for i in range(3)]  # joining it: the bulk task is sent for these
SEED: dict[str, Any] = {
    "messaging_profiles": [{"id": PA, "name": "alpha"}],
    "phone_numbers": [{"phone_number": n, "messaging_profile_id": PA} for n in SENDING + NEW],
    "campaigns": [{"tcr_campaign_id": SHARED, "kind": "shared", "sharing_status": "ACCEPTED",
                   "campaign_status": "MNO_PROVISIONED"}],
    "assignments": [{"phone_number": n, "tcr_campaign_id": SHARED, "status": "ASSIGNED"} for n in SENDING],
}
DESIRED = {"version": 1, "profiles": [{"id": PA, "name": "alpha", "campaigns": [
    {"tcr_campaign_id": SHARED, "numbers": SENDING + NEW}]}]}


def _env(make_env: Any, bulk_same: str) -> Any:
    env = make_env(seed=SEED, desired=None, timing="realistic", time_scale=0, task_delay=0, order_delay=0,
                   late_failure_rate=1.0, modes={"bulk_same": bulk_same})
    env.write_desired(DESIRED)
    advance(env, 60)  # the members' records predate the task
    return env


def _json(env: Any, *args: str) -> tuple[int, dict[str, Any]]:
    r = env.run(*args, "--format", "json")
    return r.code, json.loads(r.out)


def _still_failed(d: dict[str, Any]) -> list[str]:
    return sorted(f["number"] for f in d["still_failed"])


def test_re_sent_members_that_fail_late_are_failed_and_stay_listed_until_they_send(make_env):
    env = _env(make_env, "reprovision")
    r = env.run("apply", "--auto-approve")
    assert r.code == 0, r.out + r.err
    # apply, status and the sandbox agree: the 6 sending members are PENDING_ASSIGNMENT again.
    pending = [n for n, (c, s) in env.assignments().items() if (c, s) == (SHARED, "PENDING_ASSIGNMENT")]
    assert sorted(pending) == sorted(SENDING + NEW)
    assert ("6 numbers re-sent by the bulk task are PENDING_ASSIGNMENT again (not sending about 2 h)"
            in r.out), r.out
    code, d = _json(env, "status")
    assert code == 0 and d["open_numbers"]["numbers"] == 9, d["open_numbers"]

    advance(env, 3 * HOUR)
    # resume closes the write: every number that cannot send, members included, with Telnyx's reasons.
    code, d = _json(env, "resume")
    assert code == 2 and d["failed_numbers"] == 9 and d["writes"][0]["closed_as"] == "failed", d
    assert sorted(d["writes"][0]["failed"]) == sorted(SENDING + NEW)
    assert all(why and why != "FAILED_ASSIGNMENT" for why in d["writes"][0]["failed"].values())
    r = env.run("resume")
    assert r.code == 0  # resume says its own closed writes once, as before

    # status afterwards keeps listing them (the review: "nothing in flight", exit 0), exit 2.
    code, d = _json(env, "status")
    assert code == 2 and d["failed_numbers"] == 9 and _still_failed(d) == sorted(SENDING + NEW), d
    assert {f["live_status"] for f in d["still_failed"]} == {"FAILED_ASSIGNMENT"}
    assert env.run("drift").code == 2

    # Telnyx assigns the members again (out of band): live state decides, they drop off.
    for n in SENDING:
        env.admin.put(f"/assignments/{n}", json={"tcr_campaign_id": SHARED, "status": "ASSIGNED"}).raise_for_status()
    code, d = _json(env, "status")
    assert code == 2 and _still_failed(d) == sorted(NEW) and d["failed_numbers"] == 3, d


@pytest.mark.parametrize("fmt", ["json"])
def test_members_telnyx_did_not_touch_are_not_counted(make_env, fmt):
    """bulk_same=noop: the members stay ASSIGNED, untouched since before the task: not re-sent, not
    the task's numbers, never failed."""
    env = _env(make_env, "noop")
    code, d = _json(env, "apply", "--auto-approve")
    assert code == 0 and d["resent_pending"] == 0, d
    code, d = _json(env, "status")
    assert code == 0 and d["open_numbers"]["numbers"] == 3, d["open_numbers"]
    advance(env, 3 * HOUR)
    code, d = _json(env, "resume")
    assert code == 2 and d["failed_numbers"] == 3, d
    code, d = _json(env, "status")
    assert code == 2 and _still_failed(d) == sorted(NEW)
    assert all(env.assignments()[n] == (SHARED, "ASSIGNED") for n in SENDING)
