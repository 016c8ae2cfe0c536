"""How apply follows its bulk tasks: the newest is polled, the read after it confirms the others by
their numbers, and only a task whose numbers do not all show its campaign is asked about (one
request per task would be a thousand at 100,000 numbers; bench/README.md's lower bound counts one)."""

from __future__ import annotations

from typing import Any

from reconciler.journal import Journal, Op

CAMPAIGN = "CHR0001"
PROFILES = [f"5{i}0e8400-e29b-41d4-a716-44665544000{i}" for i in range(8)]
NUMBERS = {p: [f"+1312556{i}{j:03d}" for j in range(5)] for i, p in enumerate(PROFILES)}


def _seed() -> dict[str, Any]:
    return {
        "messaging_profiles": [{"id": p, "name": f"team-{i}"} for i, p in enumerate(PROFILES)],
        "phone_numbers": [{"phone_number": n, "messaging_profile_id": p} for p, ns in NUMBERS.items() for n in ns],
        "campaigns": [{"tcr_campaign_id": CAMPAIGN, "kind": "shared", "sharing_status": "ACCEPTED",
                       "campaign_status": "MNO_PROVISIONED"}],
        "assignments": [],
    }


def _desired() -> dict[str, Any]:
    return {"version": 1, "profiles": [
        {"id": p, "name": f"team-{i}", "campaigns": [{"tcr_campaign_id": CAMPAIGN, "numbers": NUMBERS[p]}]}
        for i, p in enumerate(PROFILES)]}


def _task_polls(env) -> int:
    return int(env.counters()["by_operation"].get("GetAssignmentTaskStatus", 0))


def _bulk_writes(env) -> list[Any]:
    return [w for w in Journal(env.workdir / ".reconciler").read().writes.values() if w.op is Op.BULK_ASSIGN]


def test_the_read_after_the_newest_task_confirms_the_others_without_asking(make_env):
    env = make_env(seed=_seed(), desired=None)
    env.write_desired(_desired())
    env.reset_counters()
    r = env.run("apply", "--auto-approve", "--format", "json", "--state-dir", ".reconciler")
    assert r.code == 0, r.out + r.err
    assert env.counters()["by_operation"]["PostAssignMessagingProfileToCampaign"] == len(PROFILES)
    assert _task_polls(env) == 1  # the newest task only; eight tasks, one question
    bulks = _bulk_writes(env)
    assert len(bulks) == len(PROFILES) and all(w.processed for w in bulks)  # the next run asks nothing
    env.reset_counters()
    again = env.run("apply", "--auto-approve", "--state-dir", ".reconciler")
    assert again.code == 0 and _task_polls(env) == 0, again.out + again.err


def test_on_telnyx_timing_every_number_pending_confirms_its_task(make_env):
    # Tasks take about a minute and numbers stay pending for hours: the newest task is polled until
    # processed, then the read shows every number PENDING_ASSIGNMENT on its campaign.
    env = make_env(seed=_seed(), desired=None, timing="realistic", timing_jitter=0.0, late_failure_rate=0.0,
                   time_scale=120.0)
    env.write_desired(_desired())
    env.reset_counters()
    r = env.run("apply", "--auto-approve", "--state-dir", ".reconciler", "--timeout", "3600")
    assert r.code == 0, r.out + r.err
    polls = _task_polls(env)
    # The newest task's polls (backing off over its minute), none for the others: fewer questions
    # than tasks (one per task would be at least 8 + the newest's waits).
    assert 1 <= polls < len(PROFILES)
    statuses = {s for n, (_, s) in env.assignments().items()}
    assert statuses == {"PENDING_ASSIGNMENT"}


def test_a_task_whose_numbers_do_not_all_show_it_is_asked_about_and_read_again(make_env):
    # A number another team holds on a second campaign is skipped by the task (Telnyx's bulk does
    # not move an assigned number): the read cannot confirm that task, so apply asks about it, and
    # judges the skipped number only from a read made after Telnyx said the task was processed.
    seed = _seed()
    seed["campaigns"].append({"tcr_campaign_id": "CTLX009", "kind": "telnyx", "campaign_status": "MNO_PROVISIONED"})
    skipped = NUMBERS[PROFILES[0]][0]
    seed["assignments"].append({"phone_number": skipped, "tcr_campaign_id": "CTLX009", "status": "ASSIGNED"})
    env = make_env(seed=seed, desired=None)
    env.write_desired(_desired())
    env.reset_counters()
    r = env.run("apply", "--auto-approve", "--state-dir", ".reconciler")
    assert r.code == 0 and "40 converged" in r.out, r.out + r.err
    # Round 1: the newest task polled, team-0's asked (its read showed a number off the campaign);
    # round 2 frees that number and assigns it: its own task polled. Three questions for nine tasks.
    assert _task_polls(env) == 3
    assert env.assignments()[skipped][0] == CAMPAIGN
    assert len(env.state()["tasks"]) == len(PROFILES) + 1  # nothing re-sent blind
