"""`status` keeps saying the numbers our own writes left failed (two outside reviews): once `resume`
has closed a failed write (exit 2), a later `status` still lists each number live state shows not
sending, with Telnyx's reason and since when, and exits 2, until a write or Telnyx assigns it; then
it drops off with no manual step. The journal remembers, live state decides. On the realistic
timeline, on a clock that stands still (`advance` moves it)."""

from __future__ import annotations

import json
from typing import Any

from .test_timeline import DESIRED, NUMBERS, SEED, advance

HOUR = 3600.0
SHARED = DESIRED["profiles"][0]["campaigns"][0]["tcr_campaign_id"]


def _env(make_env: Any) -> Any:
    # Telnyx's hours (assignments about 2 h), every assignment failing late; tasks processed at once.
    env = make_env(seed=SEED, desired=None, timing="realistic", time_scale=0, task_delay=0, order_delay=0,
                   late_failure_rate=1.0)
    env.write_desired(DESIRED)
    return env


def _json(env: Any, *args: str) -> tuple[int, dict[str, Any]]:
    r = env.run(*args, "--format", "json")
    return r.code, json.loads(r.out)


def _assign(env: Any, numbers: list[str]) -> None:
    """Telnyx (the sandbox's admin) shows these numbers ASSIGNED to the declared campaign."""
    for n in numbers:
        env.admin.put(f"/assignments/{n}", json={"tcr_campaign_id": SHARED, "status": "ASSIGNED"}).raise_for_status()


def test_status_keeps_saying_numbers_a_closed_write_left_failed_until_they_send(make_env):
    env = _env(make_env)
    r = env.run("apply", "--auto-approve")
    assert r.code == 0, r.out + r.err
    advance(env, 70 * 60)
    assert env.run("resume").code == 0  # still pending: nothing failed yet
    advance(env, 3 * HOUR)

    # resume closes the failed write and says so (exit 2): the run that closes the work.
    code, d = _json(env, "resume")
    assert code == 2 and d["failed_numbers"] == 6 and d["writes"][0]["closed_as"] == "failed", d
    submitted = d["writes"][0]["submitted_at"]
    assert d["still_failed"] == []  # resume says its own closed writes, as before

    # A later status still says them, first, with why and since when, and exits 2 (the reviews' bug: exit 0).
    code, d = _json(env, "status")
    assert code == 2 and d["exit_code"] == 2 and d["open_writes"] == 0 and d["failed_numbers"] == 6
    assert sorted(f["number"] for f in d["still_failed"]) == NUMBERS
    for f in d["still_failed"]:
        assert f["live_status"] == "FAILED_ASSIGNMENT" and f["campaign"] == SHARED and f["operation"] == "bulk_assign"
        assert f["reason"] and f["reason"] != "FAILED_ASSIGNMENT"  # Telnyx's words
        assert f["not_sending_since"] == submitted and f["not_sending_seconds"] == round(70 * 60 + 3 * HOUR)
    r = env.run("status")
    assert r.code == 2
    lines = r.out.splitlines()
    assert lines[0] == "Status: no work left open; 0 writes stuck, 6 numbers failed", r.out
    assert lines[1].startswith("  Cannot send: 6 numbers an earlier write left failed (live state still shows them "
                               "not sending"), r.out
    assert lines[2].startswith(f"    → {SHARED}: bulk task ") and "not sending for 4 h 10 min (since " in lines[2]
    assert "nothing in flight" not in r.out and all(n in r.out for n in NUMBERS)
    md = env.run("status", "--format", "markdown")
    assert md.code == 2 and "> [!CAUTION]\n> **Cannot send:** 6 numbers an earlier write left failed" in md.out
    assert "| what | Telnyx id |" not in md.out  # no open work: no table of writes
    journal = (env.workdir / ".reconciler" / "journal.jsonl").read_bytes()
    assert env.run("status").code == 2 and (env.workdir / ".reconciler" / "journal.jsonl").read_bytes() == journal

    # Telnyx assigns two of them (out of band): live state decides, they drop off at once.
    _assign(env, NUMBERS[:2])
    code, d = _json(env, "status")
    assert code == 2 and sorted(f["number"] for f in d["still_failed"]) == NUMBERS[2:] and d["failed_numbers"] == 4

    # A retry (apply) is a later write: its numbers are open work again, pending, not "failed".
    r = env.run("apply", "--auto-approve")
    assert r.code == 0, r.out + r.err
    code, d = _json(env, "status")
    assert code == 0 and d["still_failed"] == [] and d["failed_numbers"] == 0, d
    assert d["open_numbers"]["numbers"] >= 4 and d["service"][SHARED]["eta"] is not None

    # Telnyx finishes them: resume closes the retry as done, and status has nothing left to say.
    _assign(env, NUMBERS)
    assert env.run("resume").code == 0
    r = env.run("status")
    assert r.code == 0 and r.out.startswith("Status: nothing in flight.\n  Only this repository's writes"), r.out + r.err
    assert "`reconciler drift` checks every declared number and campaign" in r.out


def test_a_failure_a_later_retry_repeats_is_said_once_from_the_latest_write(make_env):
    """Only the latest write per number counts: a retry that fails again is what status says (its
    reasons, its since), not the first failure too."""
    env = _env(make_env)
    assert env.run("apply", "--auto-approve").code == 0
    advance(env, 3 * HOUR)
    assert env.run("resume").code == 2
    assert env.run("apply", "--auto-approve").code == 0  # the retry, failing late again
    advance(env, 3 * HOUR)
    code, d = _json(env, "resume")
    assert code == 2 and d["failed_numbers"] == 6
    retry = d["writes"][0]["write"]
    code, d = _json(env, "status")
    assert code == 2 and sorted(f["number"] for f in d["still_failed"]) == NUMBERS
    assert {f["write"] for f in d["still_failed"]} == {retry} and d["failed_numbers"] == 6
    assert {f["not_sending_seconds"] for f in d["still_failed"]} == {round(3 * HOUR)}

    # Their campaign suspended meanwhile: status says that too (the numbers will not send even once assigned).
    env.admin.patch(f"/campaigns/{SHARED}", json={"campaign_status": "TCR_SUSPENDED"}).raise_for_status()
    code, d = _json(env, "status")
    assert code == 2 and [h["tcr_campaign_id"] for h in d["unhealthy_campaigns"]] == [SHARED]
    assert d["unhealthy_campaigns"][0]["numbers"] == 6
    r = env.run("status")
    assert f"  Cannot send: {SHARED} (shared, TCR_SUSPENDED, sharing ACCEPTED) cannot carry traffic" in r.out, r.out
