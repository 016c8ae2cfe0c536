"""An unassignment Telnyx fails (issue 22 item 3, mode unassign_end=failed_first): the record stays on its
old campaign as FAILED_UNASSIGNMENT with failureReasons. A number freed first for a move is then not
free: its next phase must not be sent over it, the failure is said with Telnyx's reason, and the next
run frees it again and finishes the move. A prune's failed removal is retried the same way."""

from __future__ import annotations

import json

import pytest

from .test_routes import DESIRED, MOVED, OLD, SEED, STAYS, TARGET, plan_changes
from .test_timeline import advance


@pytest.mark.parametrize("value", ["gone", "failed_first"])
def test_a_failed_unassignment_holds_the_next_phase_back_and_the_next_run_frees_it_again(make_env, value):
    env = make_env(seed=SEED, desired=None, modes={"unassign_end": value}, timing="realistic", time_scale=120.0,
                   timing_jitter=0.0, late_failure_rate=0.0)
    env.write_desired(DESIRED)
    plan_changes(env)
    r = env.run("apply", "--auto-approve")
    assert r.code == 0, r.out + r.err
    log = [r.out + r.err]
    for _ in range(6):
        advance(env, 3600 * 1.5)
        r = env.run("resume")
        log.append(r.out + r.err)
        assert r.code in (0, 2, 4), r.out + r.err
        r = env.run("apply", "--auto-approve")
        log.append(r.out + r.err)
        assert r.code in (0, 4), r.out + r.err
    advance(env, 3 * 3600)
    final = env.assignments()
    if {n: final.get(n) for n in MOVED} != {n: (TARGET[n], "ASSIGNED") for n in MOVED}:
        print("\n----\n".join(log)); print(env.run("plan").out)
    assert {n: final.get(n) for n in MOVED} == {n: (TARGET[n], "ASSIGNED") for n in MOVED}, final
    assert final[STAYS] == (OLD, "ASSIGNED")
    assert env.run("plan", "--detailed-exitcode").code == 0
    print("\n----\n".join(log))


def test_the_hourly_resume_frees_again_what_telnyx_failed_to_free_then_finishes_the_move(make_env):
    """The approved plan freed these numbers; Telnyx failed the removals. The scheduled resume sends each
    removal again (nothing else: no assignment over a record that still holds the number), says why with
    Telnyx's reason, and an hour or two later carries out the next phases: one apply, then resume only."""
    env = make_env(seed=SEED, desired=None, modes={"unassign_end": "failed_first"}, timing="realistic",
                   time_scale=120.0, timing_jitter=0.0, late_failure_rate=0.0)
    env.write_desired(DESIRED)
    assert env.run("apply", "--auto-approve").code == 0
    advance(env, 3600 * 1.5)
    env.reset_counters()
    r = env.run("resume")
    # Exit 2: numbers failed (Telnyx said so), as the contract has it for resume and status; the same run
    # sends their removals again.
    assert r.code == 2, r.out + r.err
    assert "Telnyx failed to free" in r.out + r.err and "sent for removal again" in r.out + r.err, r.out + r.err
    ops = env.counters()["by_operation"]
    assert ops.get("DeletePhoneNumberCampaign") == len(MOVED), ops
    assert not any(ops.get(op) for op in ("CreatePhoneNumberCampaign", "PutPhoneNumberCampaign",
                                           "PostAssignMessagingProfileToCampaign")), ops
    assert env.run("status").code == 0  # being freed again: pending, not failed
    for _ in range(3):
        advance(env, 3600 * 1.5)
        r = env.run("resume")
        assert r.code == 0, r.out + r.err
    advance(env, 3 * 3600)
    final = env.assignments()
    assert {n: final.get(n) for n in MOVED} == {n: (TARGET[n], "ASSIGNED") for n in MOVED}, final
    assert env.counters()["redundant_writes"] == 0
    assert env.run("drift").code == 0


@pytest.mark.parametrize("value", ["gone", "failed_first"])
def test_a_prune_and_the_moves_of_one_apply_converge_when_telnyx_fails_each_first_removal(make_env, value):
    """On the instant timeline a failed removal shows within the same apply: its next round frees the
    number again (and a freed-first move's number too), so one `--until final` apply converges."""
    from .test_scenarios import DESIRED as ESTATE, ESTATE_SEED

    seed = json.loads(json.dumps(ESTATE_SEED))
    extra = "+13125550199"
    seed["phone_numbers"].append({"phone_number": extra,
                                  "messaging_profile_id": seed["phone_numbers"][0]["messaging_profile_id"]})
    tcr = next(c["tcr_campaign_id"] for c in seed["campaigns"] if c.get("kind", "telnyx") == "telnyx")
    seed["assignments"].append({"phone_number": extra, "tcr_campaign_id": tcr, "status": "ASSIGNED"})
    env = make_env(seed=seed, desired=None, modes={"unassign_end": value})
    doc = json.loads(json.dumps(ESTATE))
    doc["policy"] = {"prune": True, "max_unassign_percent": 100}
    env.write_desired(doc)
    r = env.run("apply", "--auto-approve", "--until", "final", "--timeout", "30")
    for _ in range(3):  # the freed-first moves' next phases
        if env.run("plan", "--detailed-exitcode").code == 0:
            break
        r = env.run("resume")
        assert r.code in (0, 2), r.out + r.err
        r = env.run("apply", "--auto-approve", "--until", "final", "--timeout", "30")
        assert r.code in (0, 4), r.out + r.err
    assert extra not in env.assignments()
    assert env.run("plan", "--detailed-exitcode").code == 0
    assert env.run("drift").code == 0


def test_phases_abandoned_for_one_cause_are_said_once_with_their_count(make_env):
    """Per-number phases that stop for the same cause (each naming its number) are one reason with its
    count and the numbers compacted, not one sentence per number on one line (review at 3,000 numbers)."""
    env = make_env(seed=SEED, desired=None, timing="realistic", time_scale=120.0, timing_jitter=0.0,
                   late_failure_rate=0.0)
    env.write_desired(DESIRED)
    assert env.run("apply", "--auto-approve").code == 0
    freed = [n for n, (c, s) in env.assignments().items() if s == "PENDING_UNASSIGNMENT" and TARGET.get(n) == "CTNEW01"]
    assert len(freed) >= 4, env.assignments()
    for n in freed:  # someone puts them back on their old campaign in the portal
        env.admin.put(f"/assignments/{n.replace('+', '%2B')}", json={"tcr_campaign_id": OLD, "status": "ASSIGNED"})
    r = env.run("resume")
    # Closed by this resume: said so, with why, never as a next phase still to come.
    line = next(x for x in r.out.splitlines() if "closed now as abandoned: " in x)
    assert f"a number is on {OLD} (ASSIGNED) now, not freed as the approved plan expected; re-plan (×{len(freed)}:" \
        in line, line
    assert len(line) < 600, line


def test_after_resume_carries_out_a_next_phase_numbers_have_not_sent_since_their_removal(make_env):
    """"For how long" runs from when the numbers were freed, not from the next phase's write (an outside
    review saw "not sending for 2 min" for numbers freed 1 h 17 min before)."""
    env = make_env(seed=SEED, desired=None, timing="realistic", time_scale=0.0, timing_jitter=0.0,
                   late_failure_rate=0.0)
    env.write_desired(DESIRED)
    r = env.run("apply", "--auto-approve", "--timeout", "1")
    assert r.code in (0, 5), r.out + r.err
    advance(env, 75 * 60)  # the removals are through: the next phases are ready
    assert env.run("resume").code == 0
    d = json.loads(env.run("status", "--format", "json").out)
    since = [sv["interrupted_seconds"] for c, sv in d["service"].items() if sv["not_sending"]]
    assert since and min(since) >= 75 * 60, d["service"]
