"""`status` answers "which numbers cannot send, for how long, and when is it over" once per number (issue 24
follow-up, an outside review at 3,000 numbers): 30 numbers moved between campaigns were counted under both
campaigns (the rows added up to more than the header), the campaign they left said an ETA that was only
when they would be freed, and after the removal "work: 30 done" with no ETA. Each number is counted under
the campaign where it will send, with the ETA of its service coming back (removal left + assignment); a
bulk task's re-sent members that Telnyx shows PENDING_ASSIGNMENT are counted as drift counts them.

The sandbox runs Telnyx's realistic timeline at 120x; the tests move its clock on (`advance`)."""

from __future__ import annotations

import json
from typing import Any

from reconciler import durations

from .test_continuity import MOVE, NEW, OLD, desired, seed
from .test_timeline import advance

SLACK = 120  # seconds of virtual time the 120x clock runs on between two reads of one test


def _status(env: Any) -> tuple[dict[str, Any], list[str]]:
    r = env.run("status", "--format", "json")
    assert r.code == 0, r.out + r.err
    text = env.run("status")
    assert text.code == 0, text.out + text.err
    return json.loads(r.out), text.out.splitlines()


def _adds_up(d: dict[str, Any], lines: list[str]) -> None:
    """The per-campaign rows partition the header's numbers: each number once, under one campaign."""
    head = d["open_numbers"]
    for key in ("numbers", "sending", "not_sending"):
        assert sum(sv[key] for sv in d["service"].values()) == head[key], (key, d["service"], head)
    assert sum(sum(c.values()) for c in d["campaigns"].values()) == head["numbers"], d["campaigns"]
    # Here no number is in the work of two runs: the runs' rows partition them too.
    assert sum(sum(c.values()) for run in d["runs"].values() for c in run.values()) == head["numbers"], d["runs"]
    assert lines[0].startswith(f"Status: {head['numbers']} numbers in open work"), lines[0]
    rows = [x for x in lines[1:] if any(x.startswith(f"  {c}: ") for c in d["service"])]
    assert len(rows) == len(d["service"]), lines
    assert sum(int(x.split(": ", 1)[1].split(" ", 1)[0]) for x in rows) == head["numbers"], lines


def _env(make_env: Any) -> Any:
    env = make_env(seed=seed(), desired=None, timing="realistic", time_scale=120.0, timing_jitter=0.0,
                   late_failure_rate=0.0)
    env.write_desired(desired(adopt=True, move=True))  # 60 numbers adopted; 30 moved from OLD, freed first
    r = env.run("apply", "--auto-approve")
    assert r.code == 0, r.out + r.err
    return env


def test_a_move_is_counted_once_under_its_destination_with_the_eta_of_its_service(make_env):
    env = _env(make_env)
    d, lines = _status(env)
    assert d["open_numbers"] == {"numbers": 90, "sending": 0, "not_sending": 90}
    # Not a row of their own under the campaign they leave: under the one they will send on.
    assert set(d["service"]) == set(d["campaigns"]) == {NEW}, d["service"]
    assert d["campaigns"] == {NEW: {"pending": 90}}
    _adds_up(d, lines)
    assert not any(x.startswith(f"  {OLD}:") for x in lines), lines
    sv = d["service"][NEW]
    freeing = sv["freeing"][OLD]
    assert freeing["numbers"] == len(MOVE) and not freeing["late"]
    assert durations.UNASSIGNMENT - SLACK <= freeing["eta_seconds"] <= durations.UNASSIGNMENT
    # When they send again: the removal left, then the assignment (about 3 h), not when they are free (1 h).
    assert abs(sv["eta_seconds"] - (freeing["eta_seconds"] + durations.ASSIGNMENT)) <= SLACK, sv
    removal = [w for w in d["writes"] if w["operation"] == "unassign"]
    assert len(removal) == len(MOVE) and all(w["service"]["freeing_for"] == [NEW] for w in removal)
    assert all(w["service"]["freeing_for"] == [] for w in d["writes"] if w["operation"] != "unassign")
    row = next(x for x in lines if x.startswith(f"  {NEW}: "))
    assert row.startswith(f"  {NEW}: 90 numbers: 0 sending, 90 not sending for "), row
    assert f"; work: 90 pending, 30 of them still being freed from {OLD}, free by " in row, row
    assert "(in 2 h 5" in row.split("; ETA ")[1], row  # about 3 h from the start: removal + assignment
    work = next(x for x in lines if f"30 removals → {OLD}: " in x)
    assert f"then assigned to {NEW} (its line has when they send)" in work and "; ETA " not in work, work

    # The removal is over, the next phase not yet carried out: still not sending, ETA the assignment.
    advance(env, 70 * 60)
    d, lines = _status(env)
    _adds_up(d, lines)
    assert set(d["service"]) == {NEW} and not any(x.startswith(f"  {OLD}:") for x in lines), lines
    sv = d["service"][NEW]
    assert (sv["numbers"], sv["not_sending"], sv["freeing"]) == (90, 90, {}), sv
    assert durations.ASSIGNMENT - SLACK <= sv["eta_seconds"] <= durations.ASSIGNMENT, sv
    row = next(x for x in lines if x.startswith(f"  {NEW}: "))
    assert "not sending" in row and "; ETA " in row and "still being freed" not in row, row

    # Resume carries the next phase out: the moved numbers still do not send until their assignment is done.
    assert env.run("resume").code == 0
    d, lines = _status(env)
    _adds_up(d, lines)
    sv = d["service"][NEW]
    assert (sv["numbers"], sv["not_sending"], sv["pending"]) == (90, 90, 90), sv
    assert sv["eta_seconds"] > 0 and sv["interrupted_seconds"] >= 70 * 60, sv
    advance(env, durations.ASSIGNMENT + 600)
    d, lines = _status(env)
    assert d["service"][NEW]["sending"] == 90 and d["service"][NEW]["eta_seconds"] is None, d["service"]
    assert env.run("resume").code == 0
    assert env.run("drift").code == 0


def test_a_prune_from_the_campaign_a_move_leaves_keeps_its_own_row_and_eta(make_env):
    """A removal with nothing after it (prune) keeps its number under the campaign it leaves, with the
    removal's ETA (it will not send again); the numbers freed for the move are the destination's."""
    s = seed()
    gone, other = "+13125559999", "0e6f1c2a-5b7d-4c3e-9f8a-2d1b0c9e8f70"
    s["messaging_profiles"].append({"id": other, "name": "other"})
    s["phone_numbers"].append({"phone_number": gone, "messaging_profile_id": other})
    s["assignments"].append({"phone_number": gone, "tcr_campaign_id": OLD, "status": "ASSIGNED"})
    env = make_env(seed=s, desired=None, timing="realistic", time_scale=120.0, timing_jitter=0.0,
                   late_failure_rate=0.0)
    doc = desired(adopt=False, move=True, policy={"prune": True, "max_unassign_percent": 100})
    doc["profiles"].append({"id": other, "name": "other", "campaigns": [{"tcr_campaign_id": OLD, "numbers": []}]})
    env.write_desired(doc)
    r = env.run("apply", "--auto-approve", "--allow-reassign", "30")
    assert r.code == 0, r.out + r.err
    d, lines = _status(env)
    _adds_up(d, lines)
    assert d["open_numbers"]["numbers"] == len(MOVE) + 1
    assert d["service"][OLD]["numbers"] == 1 and d["service"][NEW]["numbers"] == len(MOVE), d["service"]
    assert durations.UNASSIGNMENT - SLACK <= d["service"][OLD]["eta_seconds"] <= durations.UNASSIGNMENT
    assert d["service"][NEW]["freeing"][OLD]["numbers"] == len(MOVE)
    pruned = next(w for w in d["writes"] if w["operation"] == "unassign" and w["service"]["freeing_for"] == [])
    assert pruned["numbers"] == 1
    assert any(x.startswith(f"  {OLD}: 1 number: 0 sending, 1 not sending") and "; ETA " in x for x in lines), lines


def test_a_bulk_tasks_re_sent_member_is_not_sending_in_status_as_in_drift(make_env):
    """`make demo`: the bulk task assigns every number of its profile; +13125550101 was already there and
    Telnyx provisions it again (PENDING_ASSIGNMENT). Drift counted it in flight, status did not."""
    env = make_env(timing="realistic", time_scale=120.0, late_failure_rate=0.0)
    r = env.run("apply", "--auto-approve")
    assert r.code == 0, r.out + r.err
    resent = "+13125550101"
    assert env.assignments()[resent][1] == "PENDING_ASSIGNMENT", env.assignments()
    d, lines = _status(env)
    _adds_up(d, lines)
    bulk = next(w for w in d["writes"] if w["operation"] == "bulk_assign")
    assert resent not in json.loads((env.workdir / ".reconciler" / "journal.jsonl").read_text().splitlines()[0])["numbers"]
    assert (bulk["service"]["numbers"], bulk["service"]["not_sending"], bulk["counts"]) == (5, 5, {"pending": 5}), bulk
    drift = json.loads(env.run("drift", "--format", "json").out)
    assert d["open_numbers"]["not_sending"] == drift["in_flight_not_sending"] == 8, (d["open_numbers"], drift)
    assert any(x.startswith("  bulk task ") and ": 5 numbers: 0 sending, 5 not sending" in x for x in lines), lines
