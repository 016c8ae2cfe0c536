"""The journal after a kill: cut-short lines, unfinished tasks, work in flight nobody journalled."""

from __future__ import annotations

import json

import httpx

from .harness import PA, SHARED, read_journal


def _bulk(env, profile: str, tcr: str) -> str:
    r = httpx.post(env.sb.base_url + "/10dlc/phoneNumberAssignmentByProfile",
                   json={"messagingProfileId": profile, "tcrCampaignId": tcr},
                   headers={"Authorization": "Bearer sandbox-key"}, timeout=10)
    r.raise_for_status()
    return r.json()["taskId"]


def _state_ok(env) -> None:
    a = env.assignments()
    p = env.profiles_of_numbers()
    wrong = {n: (p.get(n), a.get(n)) for n, (prof, c) in env.estate.declared.items()
             if p.get(n) != prof or a.get(n) != (c, "ASSIGNED")}
    assert not wrong, wrong


def test_a_cut_short_last_line_is_tolerated_and_the_next_run_starts_a_fresh_line(estate_env):
    env = estate_env(seed=21)
    whole = {"time": "2024-01-01T00:00:00Z", "run": "killed000001", "op": "assign", "numbers": ["+13125550000"],
             "result": "ok", "campaign": "CTLX001"}
    cut = json.dumps({"time": "2024-01-01T00:00:01Z", "run": "killed000001", "op": "bulk_assign",
                      "numbers": sorted(env.estate.declared), "result": "submitted"})[:97]
    env.journal.write_text(json.dumps(whole) + "\n" + cut, encoding="utf-8")  # SIGKILL mid-line
    r = env.run("apply", "--auto-approve", "--journal", str(env.journal), "--timeout", "30")
    assert r.code == 0, r.out + r.err
    assert "Traceback" not in r.err
    entries, bad = read_journal(env.journal)
    assert bad == [cut], "only the line the kill cut may be unreadable; the next run must start a new line"
    assert entries[0] == whole
    new = [e for e in entries if e["run"] != "killed000001"]
    assert new and len({e["run"] for e in new}) == 1
    assert all(e["op"] and isinstance(e["numbers"], list) and e["result"] for e in new)
    _state_ok(env)


def test_the_next_apply_waits_for_a_task_the_journal_shows_unfinished(estate_env):
    env = estate_env(seed=22, converged=True, assignment_delay=1.0)
    for n, (p, c) in env.estate.declared.items():
        if p == PA:
            env.admin.delete(f"/assignments/{n.replace('+', '%2B')}").raise_for_status()
    # A killed run submitted a bulk task for the shared campaign and died before seeing it finish.
    task = _bulk(env, PA, SHARED)
    env.journal.write_text(json.dumps({"time": "2024-01-01T00:00:00Z", "run": "killed000002", "op": "bulk_assign",
                                       "numbers": [], "result": "submitted", "task_id": task,
                                       "profile": PA, "campaign": SHARED}) + "\n", encoding="utf-8")
    r = env.run("apply", "--auto-approve", "--journal", str(env.journal), "--timeout", "60")
    assert r.code == 0, r.out + r.err
    assert f"waiting for task {task} left by run killed000002" in r.err
    entries, bad = read_journal(env.journal)
    assert not bad
    assert any(e.get("task_id") == task and e["result"] in ("completed", "failed") for e in entries)
    _state_ok(env)
    assert env.run("apply", "--auto-approve", "--journal", str(env.journal)).out.strip().endswith("Nothing to apply.")


def test_work_in_flight_that_no_journal_recorded_is_waited_for(estate_env):
    """A kill between Telnyx accepting a write and the journal line leaves work nobody recorded.

    The next `apply` must not call that done while it is still pending: it waits (it never
    re-issues in-flight work) and verifies, so exit 0 means the numbers are assigned.
    """
    env = estate_env(seed=23, converged=True, assignment_delay=2.0)
    pending = sorted(env.estate.declared)[:3]
    for n in pending:  # what the unrecorded write left behind
        env.admin.delete(f"/assignments/{n.replace('+', '%2B')}").raise_for_status()
        env.pending(n, env.estate.declared[n][1])
    r = env.run("apply", "--auto-approve", "--journal", str(env.journal), "--timeout", "60")
    assert r.code == 0, r.out + r.err
    a = env.assignments()
    assert {n: a.get(n) for n in pending} == {n: (env.estate.declared[n][1], "ASSIGNED") for n in pending}, \
        "apply exited 0 while the numbers were still in flight"


def test_a_number_left_pending_unassignment_by_a_killed_run_ends_on_its_campaign(estate_env):
    """Killed between DELETE (the old campaign) and POST (the new one) of a reassignment.

    Found by the fault matrix (seed 1003, put_existing=reject, kills=2): the next apply saw
    PENDING_UNASSIGNMENT as work in flight, wrote nothing, exited 0, and the number then fell
    off its old campaign with no new one.
    """
    env = estate_env(seed=24, converged=True, assignment_delay=1.0)
    number, (_, campaign) = sorted(env.estate.declared.items())[0]
    old = next(t for t in ("CTLX009", "CTLX001") if t != campaign)
    env.admin.put(f"/assignments/{number.replace('+', '%2B')}",
                  json={"tcr_campaign_id": old, "status": "PENDING_UNASSIGNMENT"}).raise_for_status()
    r = env.run("apply", "--auto-approve", "--journal", str(env.journal), "--timeout", "60")
    assert r.code == 0, r.out + r.err
    assert env.assignments().get(number) == (campaign, "ASSIGNED")
    assert env.run("plan", "--detailed-exitcode").code == 0


def test_a_refused_put_is_not_sent_twice_and_the_journal_says_so(estate_env):
    """put_existing=reject: PUT refused → DELETE → POST, each journalled once (no second PUT)."""
    env = estate_env(seed=25, converged=True, modes={"put_existing": "reject"})
    number, (profile, campaign) = next((n, pc) for n, pc in sorted(env.estate.declared.items()) if pc[0] != PA)
    other = next(t for t in ("CTLX009", "CTLX001", "CTLX002") if t != campaign)
    env.admin.put(f"/assignments/{number.replace('+', '%2B')}",
                  json={"tcr_campaign_id": other, "status": "ASSIGNED"}).raise_for_status()
    env.reset_counters()
    r = env.run("apply", "--auto-approve", "--journal", str(env.journal), "--timeout", "30")
    assert r.code == 0, r.out + r.err
    ops = [(e["op"], e["result"].split(":")[0]) for e in read_journal(env.journal)[0] if number in e["numbers"]]
    assert ops == [("replace", "refused"), ("unassign", "ok"), ("assign", "ok")], ops
    ops_sent = env.counters()["by_operation"]
    assert ops_sent.get("PutPhoneNumberCampaign") == 1, ops_sent
    assert env.assignments()[number] == (campaign, "ASSIGNED")
