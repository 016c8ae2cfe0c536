"""Telnyx's real timeline, in virtual time: tasks processed in about a minute, numbers PENDING for
about two hours, some failing after hours, fresh CI runners carrying only the state folder.

The sandbox runs the `realistic` timing preset. Its clock either runs fast (`time_scale`: a real
second is two virtual minutes, so apply sees a task processed in half a second) or stands still
(`time_scale=0`), and the tests move it forward through the admin surface: hours pass in
milliseconds. The reconciler measures ages on the API's clock (its `Date` header).
"""

from __future__ import annotations

import datetime
import json
import shutil
from typing import Any

import httpx
import pytest

from .conftest import MODE_SETS, short_settle_window
from .test_scenarios import DESIRED as SCENARIO_DESIRED
from .test_scenarios import ESTATE_SEED, PA, PX, SHARED
from .test_scenarios import EXPECTED as SCENARIO_EXPECTED

HOUR = 3600.0
BULK = "PostAssignMessagingProfileToCampaign"
CREATE = "CreatePhoneNumberCampaign"

NUMBERS = [f"+1312555070{i}" for i in range(6)]
SEED: dict[str, Any] = {
    "messaging_profiles": [{"id": PA, "name": "alpha"}, {"id": PX, "name": "x-ray"}],
    "phone_numbers": [{"phone_number": n, "messaging_profile_id": PA} for n in NUMBERS],
    "campaigns": [
        {"tcr_campaign_id": SHARED, "kind": "shared", "sharing_status": "ACCEPTED",
         "campaign_status": "MNO_PROVISIONED"},
        {"tcr_campaign_id": "CTLX009", "kind": "telnyx", "campaign_status": "MNO_PROVISIONED"},
    ],
    "assignments": [],
}
DESIRED = {"version": 1, "profiles": [{"id": PA, "name": "alpha", "campaigns": [
    {"tcr_campaign_id": SHARED, "numbers": NUMBERS}]}]}


def realistic(make_env: Any, seed: dict[str, Any] = SEED, **options: Any) -> Any:
    options = {"timing": "realistic", "time_scale": 120.0, "late_failure_rate": 0.0, **options}
    env = make_env(seed=seed, desired=None, **options)
    env.write_desired(DESIRED)
    return env


def advance(env: Any, seconds: float) -> None:
    env.admin.post("/advance", json={"seconds": seconds}).raise_for_status()


def posts(env: Any, op: str) -> int:
    return env.counters()["by_operation"].get(op, 0)


def _now(env: Any) -> float:
    """The sandbox's virtual now, as epoch seconds."""
    return datetime.datetime.fromisoformat(env.state()["now"].replace("Z", "+00:00")).timestamp()


def killed_runs_intent(env: Any) -> None:
    """What a run killed between journalling a bulk assignment's intent and its answer leaves."""
    state = env.workdir / ".reconciler"
    state.mkdir()
    (state / "journal.jsonl").write_text(json.dumps({
        "write": "killed0000000001", "op": "bulk_assign", "state": "intent", "run": "killed-run",
        "numbers": NUMBERS, "profile": PA, "campaign": SHARED, "submitted_at": _now(env)}) + "\n", encoding="utf-8")


def statuses(env: Any) -> dict[str, str]:
    return {n: s for n, (_, s) in env.assignments().items()}


def test_the_whole_life_of_a_change_on_the_realistic_preset(make_env):
    env = realistic(make_env)
    plan = env.run("plan", "--detailed-exitcode")
    assert plan.code == 2, plan.out + plan.err
    r = env.run("apply", "--auto-approve", "--format", "json")
    assert r.code == 0, r.out + r.err
    d = json.loads(r.out)
    assert d["totals"] == {"in_flight": 6}, d["totals"]  # accepted, not final: green, and says so
    assert set(statuses(env).values()) == {"PENDING_ASSIGNMENT"}
    text = env.run("apply", "--auto-approve")
    assert text.code == 0 and "6 numbers are in flight" in text.out and "reconciler status" in text.out
    for hour in range(1, 4):
        advance(env, HOUR)
        drift = env.run("drift", "--format", "json")
        assert drift.code == 0, f"hour {hour}: {drift.out}"
        st = env.run("status", "--format", "json")
        assert st.code == 0, st.out + st.err
    assert set(statuses(env).values()) == {"ASSIGNED"}
    s = json.loads(env.run("status", "--format", "json").out)
    assert s["writes"][0]["counts"] == {"done": 6} and s["writes"][0]["telnyx_status"] == "completed"
    r = env.run("resume", "--format", "json")
    assert r.code == 0, r.out + r.err
    assert json.loads(r.out)["writes"][0]["closed_as"] == "done"
    assert "nothing in flight" in env.run("status").out
    assert env.run("plan", "--detailed-exitcode").code == 0
    assert posts(env, BULK) == 1


def test_a_task_unprocessed_when_apply_stops_waiting_is_never_sent_again(make_env, tmp_path):
    env = realistic(make_env, time_scale=0.0)  # the clock stands still: the task stays pending
    r = env.run("apply", "--auto-approve", "--timeout", "2", "--format", "json")
    assert r.code == 5, r.out + r.err
    d = json.loads(r.out)
    assert d["totals"] == {"not_accepted": 6} and "failed" not in json.dumps(d["totals"])
    assert posts(env, BULK) == 1
    env.reset_counters()
    # The same runner: no write, nothing to apply, no drift.
    plan = env.run("plan", "--format", "json")
    assert json.loads(plan.out)["counts"]["in_flight"] == 6
    again = env.run("apply", "--auto-approve")
    assert again.code == 0 and "Nothing to apply" in again.out, again.out
    assert env.run("drift").code == 0
    # A fresh runner that carries the state folder: likewise.
    fresh = tmp_path / "other-runner-state"
    shutil.copytree(env.workdir / ".reconciler", fresh)
    assert env.run("apply", "--auto-approve", "--state-dir", str(fresh)).code == 0
    assert env.run("drift", "--state-dir", str(fresh)).code == 0
    assert env.counters()["writes"] == 0
    # A runner with no state folder: once Telnyx shows the numbers PENDING_*, likewise.
    advance(env, 120)
    assert set(statuses(env).values()) == {"PENDING_ASSIGNMENT"}
    assert env.run("apply", "--auto-approve", "--state-dir", str(tmp_path / "none")).code == 0
    assert env.run("drift", "--state-dir", str(tmp_path / "none")).code == 0
    assert env.counters()["writes"] == 0


def test_a_number_that_fails_hours_later_is_reported_and_retried_once(make_env):
    env = realistic(make_env, late_failure_rate=1.0)
    assert env.run("apply", "--auto-approve").code == 0
    advance(env, 3 * HOUR)
    assert set(statuses(env).values()) == {"FAILED_ASSIGNMENT"}
    drift = env.run("drift", "--format", "json")
    assert drift.code == 2
    failed = json.loads(drift.out)["items"]["failed"]
    assert len(failed) == 6 and all("rejected" in (f.get("reason") or "") or "timed out" in (f.get("reason") or "")
                                    for f in failed), failed  # Telnyx's reason, passed through
    st = env.run("status", "--format", "json")
    assert st.code == 2
    assert len(json.loads(st.out)["writes"][0]["failed"]) == 6
    env.reset_counters()
    r = env.run("apply", "--auto-approve", "--format", "json")
    assert r.code == 0, r.out + r.err  # retried and accepted: in flight again
    assert posts(env, BULK) == 1  # once, not in a loop
    assert json.loads(r.out)["totals"] == {"in_flight": 6}


def test_a_reassignment_to_a_shared_campaign_finishes_by_the_scheduled_resume(make_env):
    seed = json.loads(json.dumps(SEED))
    seed["assignments"] = [{"phone_number": n, "tcr_campaign_id": SHARED, "status": "ASSIGNED"} for n in NUMBERS[1:]]
    seed["assignments"].append({"phone_number": NUMBERS[0], "tcr_campaign_id": "CTLX009", "status": "ASSIGNED"})
    env = realistic(make_env, seed=seed)  # bulk_existing=skip: Telnyx leaves it on CTLX009
    plan = env.run("plan")
    assert "reassign from CTLX009" in plan.out
    r = env.run("apply", "--auto-approve", "--format", "json")
    assert r.code == 0, r.out + r.err
    d = json.loads(r.out)
    assert d["totals"] == {"next_phase": 1}, d
    assert d["next_phases"][0]["campaign"] == SHARED
    assert env.assignments()[NUMBERS[0]] == ("CTLX009", "PENDING_UNASSIGNMENT")
    env.reset_counters()
    # The scheduled job, before Telnyx has freed it: nothing to do yet.
    r = env.run("resume", "--format", "json")
    assert r.code == 0, r.out + r.err
    assert env.counters()["writes"] == 0
    assert env.run("drift").code == 0  # in flight: neither unapplied nor out of band
    advance(env, 2 * HOUR)
    assert NUMBERS[0] not in env.assignments()
    r = env.run("resume", "--format", "json")
    assert r.code == 0, r.out + r.err
    assert [c["result"].split(" ")[0] for c in json.loads(r.out)["carried_out"]] == ["submitted"]
    assert posts(env, BULK) == 1 and env.counters()["writes"] == 1  # that phase and nothing else
    advance(env, 3 * HOUR)
    assert env.assignments()[NUMBERS[0]] == (SHARED, "ASSIGNED")
    assert all(env.assignments()[n] == (SHARED, "ASSIGNED") for n in NUMBERS)
    assert env.run("drift").code == 0
    assert env.run("plan", "--detailed-exitcode").code == 0


def test_work_in_flight_past_72_hours_is_stuck(make_env):
    env = realistic(make_env, task_delay=60, order_delay=60, unassignment_delay=HOUR, assignment_delay=10 * 24 * HOUR)
    assert env.run("apply", "--auto-approve").code == 0
    advance(env, 48 * HOUR)
    assert env.run("drift").code == 0
    advance(env, 25 * HOUR)
    drift = env.run("drift", "--format", "json")
    assert drift.code == 2
    assert len(json.loads(drift.out)["items"]["stuck"]) == 6
    st = env.run("status")
    assert st.code == 2 and "STUCK" in st.out
    # Without the state folder, the records' own age tells the same.
    assert env.run("drift", "--state-dir", "nowhere").code == 2
    assert env.run("drift", "--stuck-after", "100h").code == 0


def test_a_write_sent_but_never_journalled_is_resolved_from_live_state(make_env):
    """A kill between Telnyx taking a bulk task and the journal's outcome line: only the intent
    line is there. The next run names the unknown write, waits, and repeats nothing."""
    env = realistic(make_env, time_scale=0.0)
    killed_runs_intent(env)
    httpx.post(env.sb.base_url + "/10dlc/phoneNumberAssignmentByProfile",
               json={"messagingProfileId": PA, "tcrCampaignId": SHARED},
               headers={"Authorization": "Bearer sandbox-key"}, timeout=10).raise_for_status()
    env.reset_counters()
    plan = env.run("plan")
    assert "killed before Telnyx's answer was journalled" in plan.out and "killed-run" in plan.out
    st = env.run("status", "--format", "json")
    assert json.loads(st.out)["writes"][0]["state"] == "intent"
    advance(env, 120)  # Telnyx processes it: the numbers show PENDING_ASSIGNMENT
    r = env.run("apply", "--auto-approve", "--format", "json")
    assert r.code == 0, r.out + r.err
    assert env.counters()["writes"] == 0
    advance(env, 3 * HOUR)
    assert env.run("resume").code == 0
    assert set(statuses(env).values()) == {"ASSIGNED"}
    assert env.counters()["writes"] == 0


def test_an_intent_a_killed_run_left_is_settled_by_the_next_apply(make_env):
    """Killed after journalling an intent, before the request reached Telnyx. Read-only commands
    (an apply might be sending it right now) hold the numbers for the grace period; the next
    apply holds the state folder's lock, so the intent is a dead run's: live state shows nothing,
    and once a task it had taken would show (a few minutes), the write is made."""
    env = realistic(make_env, time_scale=0.0)
    killed_runs_intent(env)
    plan = env.run("plan", "--format", "json")
    assert json.loads(plan.out)["counts"]["in_flight"] == 6
    assert env.run("drift").code == 0
    advance(env, 5 * 60)  # past the few minutes Telnyx needs to show a task it took
    assert env.run("drift").code == 0  # read-only: still within the grace period
    r = env.run("apply", "--auto-approve", "--timeout", "2")
    assert posts(env, BULK) == 1, r.out + r.err
    assert r.code == 5  # the frozen clock: Telnyx has not processed the new task; nothing failed
    advance(env, HOUR)  # past the grace period, the read-only commands agree
    assert env.run("resume").code == 0
    assert posts(env, BULK) == 1


@pytest.mark.slow
@pytest.mark.parametrize("modes", MODE_SETS)
def test_every_mode_converges_on_the_realistic_preset_with_one_apply_and_the_hourly_resume(make_env, modes,
                                                                                          monkeypatch):
    """The estate of test_scenarios (moves, reassignments, shared and Telnyx campaigns, an
    undeclared profile) on Telnyx's timeline, under each mode: one approved apply, then only the
    scheduled job (`resume`, hourly) until everything is final. No write Telnyx was already doing
    is sent again, nothing undeclared is touched, and drift never reports work in flight."""
    # The settle window is Telnyx (virtual) time: on this timeline a task starts 30 s after it is
    # sent, so the window must be the real one (3 min), not the 2 s the instant-timing tests use.
    short_settle_window(monkeypatch, 180.0)
    env = make_env(seed=ESTATE_SEED, desired=None, modes=modes, timing="realistic", time_scale=120.0,
                   late_failure_rate=0.0)
    env.write_desired(SCENARIO_DESIRED)
    before = env.state()
    r = env.run("apply", "--auto-approve", "--format", "json")
    # Exit 5 (not accepted) only where Telnyx's answer to a bulk task was lost (write_fault): the
    # next apply (not `resume`, which carries out approved phases only) judges it and finishes.
    assert r.code == 0 or (r.code == 5 and modes.get("write_fault") == "after"), r.out + r.err
    lost_answer = r.code == 5
    for hour in range(12):
        advance(env, HOUR)
        if lost_answer:
            lost_answer = False
            r = env.run("apply", "--auto-approve")
            assert r.code in (0, 5), r.out + r.err
        resume = env.run("resume")
        # Exit 2 only for removals Telnyx failed (mode unassign_end): said, and sent again in the same run.
        refreed = modes.get("unassign_end") == "failed_first" and "sent for removal again" in resume.out
        assert resume.code == 0 or (resume.code == 2 and refreed), f"hour {hour + 1}: {resume.out}{resume.err}"
        assert env.run("drift").code == 0, f"hour {hour + 1}: drift for work in flight"
        if env.assignments() == SCENARIO_EXPECTED:
            break
    assert env.assignments() == SCENARIO_EXPECTED
    assert env.counters()["redundant_writes"] == 0
    undeclared = {n["phone_number"]: n.get("messaging_profile_id") for n in before["phone_numbers"]
                  if n["phone_number"] in ("+13125550203", "+13125550901")}
    after = env.profiles_of_numbers()
    assert after["+13125550901"] == undeclared["+13125550901"]
    assert env.run("plan", "--detailed-exitcode").code == 0


@pytest.mark.parametrize("value", ["reprovision", "noop"])
def test_until_final_waits_for_the_numbers_a_bulk_task_re_sends(make_env, value):
    # Five numbers already ASSIGNED, one new: the task re-sends the five (mode bulk_same). With
    # jitter, Telnyx finishes them in any order over hours (a fast clock: 1 s is 30 min).
    seed = {**SEED, "assignments": [{"phone_number": n, "tcr_campaign_id": SHARED, "status": "ASSIGNED"}
                                    for n in NUMBERS[1:]]}
    env = realistic(make_env, seed=seed, time_scale=1800.0, timing_jitter=0.5, random_seed=7,
                    modes={"bulk_same": value})
    r = env.run("apply", "--auto-approve", "--until", "final", "--timeout", "120", "--format", "json")
    assert r.code == 0, r.out + r.err
    assert set(statuses(env).values()) == {"ASSIGNED"}  # the re-sent ones too: nothing left PENDING
    assert posts(env, BULK) == 1
    if value == "reprovision":
        # Waiting for the new number alone would not have been enough: a re-sent one finished later.
        done = {a["phone_number"]: a["updated_at"] for a in env.state()["assignments"]}
        assert max(done[n] for n in NUMBERS[1:]) > done[NUMBERS[0]], done


def test_until_final_assigns_a_number_telnyx_was_freeing_without_spending_rounds(make_env):
    # One declared number is on its way off another campaign (PENDING_UNASSIGNMENT: an earlier run
    # freed it, or leaving a profile did); the rest are right. --until final waits for Telnyx to
    # free it and then assigns it as this apply's next phase: no round is spent on waiting.
    seed = {**SEED, "assignments": [{"phone_number": n, "tcr_campaign_id": SHARED, "status": "ASSIGNED"}
                                    for n in NUMBERS[1:]]
            + [{"phone_number": NUMBERS[0], "tcr_campaign_id": "CTLX009", "status": "PENDING_UNASSIGNMENT"}]}
    env = realistic(make_env, seed=seed, time_scale=1800.0, timing_jitter=0.0, modes={"bulk_same": "noop"})
    r = env.run("apply", "--auto-approve", "--until", "final", "--timeout", "120", "--format", "json")
    assert r.code == 0, r.out + r.err
    d = json.loads(r.out)
    assert d["rounds"] == 0 and d["totals"] == {"converged": 1}, d
    assert statuses(env)[NUMBERS[0]] == "ASSIGNED" and env.assignments()[NUMBERS[0]][0] == SHARED
    assert posts(env, BULK) == 1


def test_resume_refuses_while_another_apply_or_resume_holds_the_state_folder(make_env):
    """Issue 26 #4: a `resume` without the folder's lock would interleave its journal lines (and
    its writes) with a running apply's or another resume's. Held: it refuses, writes nothing;
    released: it carries out the next phase once."""
    from reconciler.journal import Journal

    seed = json.loads(json.dumps(SEED))
    seed["assignments"] = [{"phone_number": n, "tcr_campaign_id": SHARED, "status": "ASSIGNED"} for n in NUMBERS[1:]]
    seed["assignments"].append({"phone_number": NUMBERS[0], "tcr_campaign_id": "CTLX009", "status": "ASSIGNED"})
    env = realistic(make_env, seed=seed)
    r = env.run("apply", "--auto-approve", "--format", "json")
    assert r.code == 0 and json.loads(r.out)["totals"] == {"next_phase": 1}, r.out + r.err
    advance(env, 2 * HOUR)  # Telnyx has freed the number: the next phase is ready
    env.reset_counters()
    with Journal(env.workdir / ".reconciler"):  # another apply or resume is running
        held = env.run("resume", "--format", "json")
        assert held.code == 1, held.out + held.err
        assert "another apply or resume" in held.out + held.err
        assert env.counters()["writes"] == 0
    r = env.run("resume", "--format", "json")
    assert r.code == 0, r.out + r.err
    assert posts(env, BULK) == 1 and env.counters()["writes"] == 1


def test_status_counts_each_number_once_per_campaign_and_run(make_env):
    # 10 numbers to a new campaign, 5 of them held by another: the bulk task skips those 5, apply frees
    # them (5 removals) and defers their assignment (a next phase). Three writes hold those 5 numbers;
    # status counts each number once, in the state of the latest write that holds it.
    profile = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"
    numbers = [f"+1312555{i:04d}" for i in range(8200, 8210)]
    seed = {"messaging_profiles": [{"id": profile, "name": "mkt"}],
            "phone_numbers": [{"phone_number": n, "messaging_profile_id": profile} for n in numbers],
            "campaigns": [{"tcr_campaign_id": c, "kind": "telnyx", "campaign_status": "MNO_PROVISIONED"}
                          for c in ("COLD001", "CMKTNEW")],
            "assignments": [{"phone_number": n, "tcr_campaign_id": "COLD001", "status": "ASSIGNED"}
                            for n in numbers[:5]]}
    env = make_env(seed=seed, desired=None, assignment_delay=2 * HOUR, unassignment_delay=2 * HOUR,
                   task_delay=0, order_delay=0)
    env.write_desired({"version": 1, "profiles": [
        {"id": profile, "campaigns": [{"tcr_campaign_id": "CMKTNEW", "numbers": numbers}]}]})
    applied = env.run("apply", "--auto-approve", "--state-dir", "s", "--timeout", "20", "--allow-reassign", "5")
    assert applied.code == 0, applied.out + applied.err
    text = env.run("status", "--state-dir", "s")
    assert text.code == 0, text.out + text.err
    # Each campaign's counts, then its time to service (none of these numbers sends while it moves). The 5
    # freed for the move are counted where they will send, not also under the campaign they leave.
    assert "  CMKTNEW: 10 numbers: 0 sending, 10 not sending for " in text.out, text.out
    assert "; work: 10 pending, 5 of them still being freed from COLD001, free by " in text.out.splitlines()[1], text.out
    assert "  COLD001: " not in text.out, text.out
    assert text.out.startswith("Status: 10 numbers in open work (11 writes): 0 sending, 10 not sending;"), text.out
    doc = json.loads(env.run("status", "--state-dir", "s", "--format", "json").out)
    assert doc["campaigns"] == {"CMKTNEW": {"pending": 10}}
    (run,) = doc["runs"]
    assert doc["runs"][run] == doc["campaigns"]
    # Every write still lists its own numbers (the bulk task's 5 skipped ones among them).
    assert sum(w["numbers"] for w in doc["writes"] if w["campaign"] == "CMKTNEW") == 15
