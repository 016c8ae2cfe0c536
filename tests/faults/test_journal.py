"""The journal after a kill: cut-short lines, unfinished tasks, work in flight nobody journalled."""

from __future__ import annotations

import json

import httpx

from reconciler.journal import Journal, Op, State

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


def _writes(env):
    return list(Journal(env.state_dir).read().writes.values())


def test_a_cut_short_last_line_is_tolerated_and_the_next_run_starts_a_fresh_line(estate_env):
    env = estate_env(seed=21)
    env.state_dir.mkdir()
    whole = {"write": "w1", "op": "assign", "state": "intent", "run": "killed000001", "numbers": ["+13125550000"],
             "campaign": "CTLX001", "submitted_at": 1.0}
    closed = {"write": "w1", "state": "refused", "updated_at": 2.0}
    cut = json.dumps({"write": "w2", "op": "bulk_assign", "state": "intent", "run": "killed000001",
                      "numbers": sorted(env.estate.declared)})[:97]
    env.journal.write_text(json.dumps(whole) + "\n" + json.dumps(closed) + "\n" + cut, encoding="utf-8")
    r = env.run("apply", "--auto-approve", "--state-dir", str(env.state_dir), "--until", "final", "--timeout", "30")
    assert r.code == 0, r.out + r.err
    assert "Traceback" not in r.err and "journal.jsonl:3: cut short" in r.err  # reported, then skipped
    entries, bad = read_journal(env.journal)
    assert bad == [cut], "only the line the kill cut may be unreadable; the next run must start a new line"
    assert entries[:2] == [whole, closed]
    new = [e for e in entries if e.get("run") not in (None, "killed000001") and e.get("state") == "intent"]
    assert new and len({e["run"] for e in new}) == 1
    _state_ok(env)


def test_a_task_the_journal_shows_unfinished_is_followed_not_sent_again(estate_env):
    env = estate_env(seed=22, converged=True, assignment_delay=1.0)
    pa = sorted(n for n, (p, _) in env.estate.declared.items() if p == PA)
    for n in pa:
        env.admin.delete(f"/assignments/{n.replace('+', '%2B')}").raise_for_status()
    # A killed run submitted a bulk task for the shared campaign and died before seeing it processed.
    task = _bulk(env, PA, SHARED)
    j = Journal(env.state_dir, run_id="killed000002")
    wid = j.intent(Op.BULK_ASSIGN, pa, at=_now(env), profile=PA, campaign=SHARED)
    j.update(wid, State.SUBMITTED, at=_now(env), ref=task)
    env.reset_counters()
    plan = env.run("plan", "--state-dir", str(env.state_dir))
    assert f"task {task} of run killed000002" in plan.out
    r = env.run("apply", "--auto-approve", "--state-dir", str(env.state_dir), "--until", "final", "--timeout", "60")
    assert r.code == 0, r.out + r.err
    assert env.counters()["writes"] == 0  # followed, never sent again
    _state_ok(env)
    (w,) = [w for w in _writes(env) if w.id == wid]
    assert w.state is State.DONE
    assert "Nothing to apply" in env.run("apply", "--auto-approve", "--state-dir", str(env.state_dir)).out


def _now(env) -> float:
    import datetime

    return datetime.datetime.fromisoformat(env.state()["now"].replace("Z", "+00:00")).timestamp()


def test_work_in_flight_that_no_journal_recorded_is_waited_for(estate_env):
    """A kill between Telnyx accepting a write and the journal line leaves work nobody recorded.

    The next `apply` never re-issues in-flight work; with `--until final` it waits and verifies,
    so exit 0 means the numbers are assigned.
    """
    env = estate_env(seed=23, converged=True, assignment_delay=2.0)
    pending = sorted(env.estate.declared)[:3]
    for n in pending:  # what the unrecorded write left behind
        env.admin.delete(f"/assignments/{n.replace('+', '%2B')}").raise_for_status()
        env.pending(n, env.estate.declared[n][1])
    env.reset_counters()
    r = env.run("apply", "--auto-approve", "--state-dir", str(env.state_dir), "--until", "final", "--timeout", "60")
    assert r.code == 0, r.out + r.err
    a = env.assignments()
    assert {n: a.get(n) for n in pending} == {n: (env.estate.declared[n][1], "ASSIGNED") for n in pending}, \
        "apply exited 0 while the numbers were still in flight"
    assert env.counters()["writes"] == 0


def test_a_number_left_pending_unassignment_by_a_killed_run_ends_on_its_campaign(estate_env):
    """Killed between DELETE (the old campaign) and POST (the new one) of a reassignment.

    Found by the fault matrix (seed 1003, put_existing=reject, kills=2): the next apply saw
    PENDING_UNASSIGNMENT as work in flight, wrote nothing, exited 0, and the number then fell
    off its old campaign with no new one. Now: in flight while Telnyx frees it, then assigned
    by the first run after (here the same run, waiting with --until final).
    """
    env = estate_env(seed=24, converged=True, assignment_delay=1.0)
    number, (_, campaign) = sorted(env.estate.declared.items())[0]
    old = next(t for t in ("CTLX009", "CTLX001") if t != campaign)
    env.admin.put(f"/assignments/{number.replace('+', '%2B')}",
                  json={"tcr_campaign_id": old, "status": "PENDING_UNASSIGNMENT"}).raise_for_status()
    r = env.run("apply", "--auto-approve", "--state-dir", str(env.state_dir), "--until", "final", "--timeout", "60")
    assert r.code == 0, r.out + r.err
    assert env.assignments().get(number) == (campaign, "ASSIGNED")
    assert env.run("plan", "--detailed-exitcode").code == 0


def test_a_refused_put_is_not_sent_twice_and_the_journal_says_so(estate_env):
    """put_existing=reject: PUT refused → DELETE → POST (the next phase), each journalled once."""
    env = estate_env(seed=25, converged=True, modes={"put_existing": "reject"})
    number, (profile, campaign) = next((n, pc) for n, pc in sorted(env.estate.declared.items()) if pc[0] != PA)
    other = next(t for t in ("CTLX009", "CTLX001", "CTLX002") if t != campaign)
    env.admin.put(f"/assignments/{number.replace('+', '%2B')}",
                  json={"tcr_campaign_id": other, "status": "ASSIGNED"}).raise_for_status()
    env.reset_counters()
    r = env.run("apply", "--auto-approve", "--state-dir", str(env.state_dir), "--timeout", "30")
    assert r.code == 0, r.out + r.err
    ops = [(w.op.value, w.state.value) for w in _writes(env) if number in w.numbers]
    assert [op for op, _ in ops] == ["replace", "unassign", "assign", "assign"], ops
    assert ops[0] == ("replace", "refused") and ops[2] == ("assign", "done")  # the deferred phase, carried out
    ops_sent = env.counters()["by_operation"]
    assert ops_sent.get("PutPhoneNumberCampaign") == 1, ops_sent
    assert env.assignments()[number] == (campaign, "ASSIGNED")
