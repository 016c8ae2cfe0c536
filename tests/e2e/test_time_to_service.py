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


def _journal_with_history(env: Any, count: int = 5) -> None:
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
    assert history["observed"]["assignment"] == [OBSERVED] * 5  # measured when apply compacted the journal
    advance(env, 600)
    d = _status(env)
    assert d["durations"]["assignment"] == {"seconds": OBSERVED, "source": "observed", "observations": 5}
    assert d["durations"]["eta_from"] == "this account's observed durations (5 assignments)"
    w = d["writes"][0]
    assert w["service"] == {"numbers": 6, "sending": 0, "not_sending": 6, "pending": 6, "failed": 0,
                           "interrupted_since": w["submitted_at"], "interrupted_seconds": 600,
                           "eta_seconds": OBSERVED - 600, "eta": w["service"]["eta"], "late": False,
                           "typical_seconds": OBSERVED, "cannot_send": None, "freeing_for": []}
    c = d["service"][w["campaign"]]
    assert (c["sending"], c["not_sending"], c["pending"], c["eta_seconds"]) == (0, 6, 6, OBSERVED - 600)
    text = env.run("status").out
    assert "6 numbers: 0 sending, 6 not sending for 10 min" in text and "(in 20 min)" in text
    assert "ETAs from this account's observed durations (5 assignments)" in text
    md = env.run("status", "--format", "markdown").out
    assert "**Time to service** (ETAs from this account's observed durations (5 assignments))" in md

    # Hours later the work is done: resume closes it, and its real duration joins the history.
    advance(env, 3 * 3600)
    r = env.run("resume", "--format", "json")
    assert r.code == 0, r.out + r.err
    done = json.loads(r.out)
    assert done["writes"][0]["closed_as"] == "done" and done["writes"][0]["service"]["sending"] == 6
    history = json.loads((env.workdir / ".reconciler" / "history.json").read_text(encoding="utf-8"))
    assert history["observed"]["assignment"] == [OBSERVED] * 5 + [600 + 3 * 3600]
    # The bulk task was processed at once (task_delay=0 here): under the floor, seen and not learned.
    assert "task" not in history["observed"] and len(history["seen"]) == 5 + 2


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
    # Work taking longer than the figures is later than usual, with the typical figure: never a time
    # in the past, nor a bare "overdue".
    advance(env, durations.ASSIGNMENT)
    d = _status(env)
    sv = d["writes"][0]["service"]
    assert (sv["eta_seconds"], sv["late"], sv["typical_seconds"], sv["not_sending"]) == (0, True, 7200, 6)
    text = env.run("status").out
    assert "later than usual (typical about 2 h; Telnyx sometimes takes days)" in text, text
    assert "overdue" not in text
    md = env.run("status", "--format", "markdown").out
    assert "later than usual (typical about 2 h" in md and "overdue" not in md


def test_durations_learned_on_fast_sandbox_runs_never_promise_minutes(make_env):
    """An outside review: a state folder that had run against the sandbox's instant timeline learned
    near-zero durations, and `status` then said "in 4 min" (and soon "overdue") for numbers that stayed
    PENDING_ASSIGNMENT two hours. Such figures are neither learned nor used."""
    fast = make_env(seed=SEED, desired=None)  # the instant timeline: everything done on the next look
    fast.write_desired(DESIRED)
    r = fast.run("apply", "--auto-approve", "--until", "final")
    assert r.code == 0, r.out + r.err
    learned = json.loads((fast.workdir / ".reconciler" / "history.json").read_text(encoding="utf-8"))
    assert "assignment" not in learned["observed"], learned  # measured (seen), not learned
    # A history written before the floor, full of instant figures: ignored where it is read.
    (fast.workdir / ".reconciler" / "history.json").write_text(json.dumps(
        {"format": 1, "observed": {"assignment": [0.0, 1.0, 0.0, 2.0, 0.0, 240.0], "task": [0.0] * 6}, "seen": []}),
        encoding="utf-8")
    fast.sb.stop()
    env = _env(make_env)  # the realistic timeline, same state folder
    r = env.run("apply", "--auto-approve")
    assert r.code == 0, r.out + r.err
    advance(env, 600)
    d = _status(env)
    assert d["durations"]["assignment"] == {"seconds": 7200, "source": "typical", "observations": 0,
                                            "ignored_under_floor": 6}
    assert d["durations"]["eta_from"] == "Telnyx's typical figures"
    assert d["writes"][0]["service"]["eta_seconds"] == durations.ASSIGNMENT - 600
    text = env.run("status").out
    assert "(in 1 h 50 min)" in text and "ETAs from Telnyx's typical figures" in text, text


def test_every_status_line_partitions_its_numbers_and_counts_numbers_before_writes(make_env):
    """An outside review: `250 pending; 0 sending, 5 not sending` and `500 writes open` for 250
    numbers. Sending + not sending = the numbers of every line; the work's states (pending…) are
    labelled as such; the headline counts numbers first, then writes."""
    from .test_continuity import MOVE, NEW, OLD, desired, seed

    env = make_env(seed=seed(), desired=None, timing="realistic", time_scale=120.0, timing_jitter=0.0,
                   late_failure_rate=0.0)
    env.write_desired(desired(adopt=True, move=True))
    r = env.run("apply", "--auto-approve")  # 60 assigned by bulk; 30 freed one by one, then a bulk
    assert r.code == 0, r.out + r.err
    d = _status(env)
    assert d["open_writes"] > 2 and d["open_numbers"] == {"numbers": 90, "sending": 0, "not_sending": 90}
    for sv in [w["service"] for w in d["writes"]] + list(d["service"].values()):
        assert sv["sending"] + sv["not_sending"] == sv["numbers"], sv
    for w in d["writes"]:
        assert sum(w["counts"].values()) == w["service"]["numbers"], w
    # The 30 moved are counted once, under the campaign they will send on (freed from OLD first).
    assert OLD not in d["service"] and d["service"][NEW]["numbers"] == 90
    assert d["service"][NEW]["freeing"][OLD]["numbers"] == len(MOVE)
    text = env.run("status").out.splitlines()
    assert text[0] == f"Status: 90 numbers in open work ({d['open_writes']} writes): 0 sending, 90 not sending; " \
                      "0 writes stuck, 0 numbers failed", text[0]
    assert text[1].startswith(f"  {NEW}: 90 numbers: 0 sending, 90 not sending for ") and \
        f"; work: 90 pending, 30 of them still being freed from {OLD}, free by " in text[1], text[1]
    md = env.run("status", "--format", "markdown").out
    assert f"| `{NEW}` | 90 | 0 | 90 | 90 | 0 |" in md, md


def test_drift_counts_in_flight_numbers_that_cannot_send_and_says_the_same_figures_as_status(make_env):
    env = _env(make_env)
    _journal_with_history(env)
    assert env.run("apply", "--auto-approve").code == 0
    advance(env, 600)
    r = env.run("drift")
    assert r.code == 0, r.out + r.err
    lines = r.out.splitlines()
    assert lines[0] == "Drift: none; not drift: 6 in flight (6 not sending)", lines[0]
    assert ("  Telnyx usually takes about 30 min to assign a number, about 1 h to free one (this account's "
            "observed durations (5 assignments); Telnyx's typical figures for unassignment); `reconciler status` "
            "gives each write's ETA") in lines, r.out
    assert "(in flight for 12 min)" in r.out or "(in flight for up to 12 min)" in r.out, r.out
    d = json.loads(env.run("drift", "--format", "json").out)
    assert d["in_flight_not_sending"] == 6 and d["durations"]["assignment"] == _status(env)["durations"]["assignment"]
    md = env.run("drift", "--format", "markdown").out
    assert "6 numbers are in flight at Telnyx (6 of them not sending now)" in md, md


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
    r = env.run("resume")
    assert r.code == 0
    # Every write closed now: no count of numbers "in open work" to add up.
    assert r.out.startswith("Resume: no work left open; 0 writes stuck, 0 numbers failed\n"), r.out
    history = json.loads((env.workdir / ".reconciler" / "history.json").read_text(encoding="utf-8"))
    assert history["observed"]["assignment"][-1] == 3 * 3600
    assert {n: s for n, (_, s) in env.assignments().items()} == {n: "ASSIGNED" for n in NUMBERS}
