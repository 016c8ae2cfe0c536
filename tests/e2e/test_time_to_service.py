"""Time to service (issue 23 item 6): `status` says, per open write and per campaign, how many numbers
send, do not, are pending or failed, for how long they have not sent, and when the work should be
over: from this account's observed durations when the state folder's history has them, else from
Telnyx's typical figures, saying which. The sandbox's clock stands still and the tests move it
(`advance`), so every age and ETA is exact on Telnyx's clock."""

from __future__ import annotations

import json
from typing import Any

from reconciler import durations

from .test_timeline import DESIRED, NUMBERS, SEED, _now, advance

OBSERVED = 1800.0  # the history's assignments took 30 min each


def _env(make_env: Any, assignment_delay: float = 7200) -> Any:
    env = make_env(seed=SEED, desired=None, time_scale=0, assignment_delay=assignment_delay, task_delay=0,
                   order_delay=0, late_failure_rate=0.0)
    env.write_desired(DESIRED)
    return env


def _journal_with_history(env: Any, count: int = 3) -> None:
    """A state folder whose journal holds `count` finished assignments of earlier runs, each 30 min."""
    state = env.workdir / ".reconciler"
    state.mkdir(exist_ok=True)
    t0 = _now(env) - 86400
    lines = []
    for i in range(count):
        wid = f"earlier{i:09d}"
        at = t0 + i * 3600
        lines.append({"write": wid, "op": "assign", "state": "intent", "run": "earlier", "numbers": [f"+1312555099{i}"],
                      "campaign": "CTLX009", "submitted_at": at})
        lines.append({"write": wid, "state": "submitted", "updated_at": at + 1})
        lines.append({"write": wid, "state": "done", "updated_at": at + OBSERVED})
    (state / "journal.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")


def _status(env: Any) -> dict[str, Any]:
    r = env.run("status", "--format", "json")
    assert r.code == 0, r.out + r.err
    return json.loads(r.out)


def test_status_eta_from_the_accounts_observed_durations(make_env):
    env = _env(make_env)
    _journal_with_history(env)
    r = env.run("apply", "--auto-approve")
    assert r.code == 0, r.out + r.err
    history = json.loads((env.workdir / ".reconciler" / "history.json").read_text(encoding="utf-8"))
    assert history["observed"]["assignment"] == [OBSERVED] * 3  # measured when apply compacted the journal
    advance(env, 600)
    d = _status(env)
    assert d["durations"]["assignment"] == {"seconds": OBSERVED, "source": "observed", "observations": 3}
    assert d["durations"]["eta_from"] == "this account's observed durations (3 assignments)"
    w = d["writes"][0]
    assert w["service"] == {"sending": 0, "not_sending": 6, "pending": 6, "failed": 0,
                           "interrupted_since": w["submitted_at"], "interrupted_seconds": 600,
                           "eta_seconds": OBSERVED - 600, "eta": w["service"]["eta"]}
    c = d["service"][w["campaign"]]
    assert (c["sending"], c["not_sending"], c["pending"], c["eta_seconds"]) == (0, 6, 6, OBSERVED - 600)
    text = env.run("status").out
    assert "0 sending, 6 not sending for 10 min" in text and "(in 20 min)" in text
    assert "ETAs from this account's observed durations (3 assignments)" in text
    md = env.run("status", "--format", "markdown").out
    assert "**Time to service** (ETAs from this account's observed durations (3 assignments))" in md

    # Hours later the work is done: resume closes it, and its real duration joins the history.
    advance(env, 3 * 3600)
    r = env.run("resume", "--format", "json")
    assert r.code == 0, r.out + r.err
    done = json.loads(r.out)
    assert done["writes"][0]["closed_as"] == "done" and done["writes"][0]["service"]["sending"] == 6
    history = json.loads((env.workdir / ".reconciler" / "history.json").read_text(encoding="utf-8"))
    assert history["observed"]["assignment"] == [OBSERVED] * 3 + [600 + 3 * 3600]
    assert len(history["observed"]["task"]) == 1  # the bulk task, seen processed during apply


def test_status_eta_falls_back_to_telnyx_typical_figures(make_env):
    env = _env(make_env, assignment_delay=5 * 3600)  # slower than Telnyx's typical two hours
    r = env.run("apply", "--auto-approve")
    assert r.code == 0, r.out + r.err
    advance(env, 600)
    d = _status(env)
    assert d["durations"]["assignment"]["source"] == "typical"
    assert d["durations"]["eta_from"] == "Telnyx's typical figures"
    assert d["writes"][0]["service"]["eta_seconds"] == durations.ASSIGNMENT - 600
    text = env.run("status").out
    assert "ETAs from Telnyx's typical figures" in text and "(in 1 h 50 min)" in text
    # Work taking longer than the figures says so, instead of a time in the past.
    advance(env, durations.ASSIGNMENT)
    d = _status(env)
    assert d["writes"][0]["service"]["eta_seconds"] == 0 and d["writes"][0]["service"]["not_sending"] == 6
    assert "ETA overdue: longer than the figures" in env.run("status").out


def test_a_corrupt_history_is_reported_and_ignored(make_env):
    env = _env(make_env)
    _journal_with_history(env)
    r = env.run("apply", "--auto-approve")
    assert r.code == 0, r.out + r.err
    (env.workdir / ".reconciler" / "history.json").write_text('{"format": 1, "observed": {"assignment": [-5]}}',
                                                              encoding="utf-8")
    d = _status(env)
    assert d["durations"]["history_problem"] == "history.json: a figure is not a duration; ignored"
    assert d["durations"]["eta_from"] == "Telnyx's typical figures"
    assert "State folder: history.json: a figure is not a duration; ignored" in env.run("status").out
    # The next record replaces it with what the journal shows.
    advance(env, 3 * 3600)
    assert env.run("resume").code == 0
    history = json.loads((env.workdir / ".reconciler" / "history.json").read_text(encoding="utf-8"))
    assert history["observed"]["assignment"][-1] == 3 * 3600
    assert {n: s for n, (_, s) in env.assignments().items()} == {n: "ASSIGNED" for n in NUMBERS}
