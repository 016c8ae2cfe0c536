"""The state folder is a memory, not an authority (issue 24): a write it names may hold numbers back,
never steer one, and never keep drift green forever. Against the real sandbox on loopback, with the
example estate (`make demo`): a write dated in Telnyx's future holds nothing and is said; numbers only
a write the files do not declare holds are blocked (drift and `plan --detailed-exitcode` exit 2), and
stuck once held past `--stuck-after`."""

from __future__ import annotations

import json
import re
from typing import Any

from .conftest import EXAMPLE_SEED
from .test_timeline import HOUR, _now, advance

MARKETING = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"
ALERTS = "7b1e3c52-9a4f-4d8e-b6a2-1f0c9d8e7a65"
# The example's numbers declared on CWZTFH1 that need a change (+13125550101 is already there).
ON_SHARED = ["+13125550100", "+13125550102", "+13125550103", "+13125550104"]
# Every declared number that needs a change: the four, CALERT7's two and CNOTIF9's one.
CHANGING = ON_SHARED + ["+13125550200", "+13125550201", "+13125550202"]
YEAR_9999 = 253402000000.0


def _env(make_env: Any, scale: float = 0.0) -> Any:
    # The realistic timeline, its clock standing still (hours pass only by `advance`), or running
    # fast (`scale`: virtual seconds per real second) where an apply waits on Telnyx's work.
    return make_env(seed=EXAMPLE_SEED, timing="realistic", time_scale=scale, timing_jitter=0.0, late_failure_rate=0.0)


def _journal(env: Any, **fields: Any) -> None:
    state = env.workdir / ".reconciler"
    state.mkdir(exist_ok=True)
    line = {"write": "0123456789abcdef", "op": "assign", "state": "intent", "run": "abc123", **fields}
    with open(state / "journal.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")


def _drift(env: Any) -> tuple[int, dict[str, Any], str]:
    r = env.run("drift", "--format", "json")
    return r.code, json.loads(r.out), r.err


def _numbers(items: list[dict[str, Any]]) -> list[str]:
    return sorted(i["number"] for i in items)


def _declared_write(env: Any, at: float, **extra: Any) -> None:
    """A write the files declare: CWZTFH1's four numbers on their profile."""
    _journal(env, profile=MARKETING, campaign="CWZTFH1", numbers=ON_SHARED, submitted_at=at, **extra)


def test_a_declared_write_dated_now_holds_its_numbers(make_env):
    """The control: the same write dated now holds its numbers in flight, until its grace ends."""
    env = _env(make_env)
    _declared_write(env, _now(env))
    _, d, _ = _drift(env)
    assert _numbers(d["items"]["in_flight"]) == ON_SHARED, d["counts"]
    advance(env, 31 * 60)  # past UNKNOWN_GRACE: a killed run's intent Telnyx shows no sign of
    code, d, _ = _drift(env)
    assert code == 2 and not d["items"]["in_flight"], d["counts"]
    assert _numbers(d["items"]["unapplied"] + d["items"]["out_of_band"]) == CHANGING


def _no_negative_or_far_durations(text: str) -> None:
    assert not re.search(r"-\d+ min|-\d+(\.\d+)? [hd]\b", text), text
    assert "9999-" not in text.replace("9999-12-28T12:26:40Z", ""), text  # only the line's own date, quoted


def test_a_write_dated_in_telnyxs_future_holds_nothing_and_is_said(make_env):
    env = _env(make_env, scale=120.0)
    _declared_write(env, YEAR_9999)
    advance(env, 3 * HOUR)
    code, d, err = _drift(env)
    assert code == 2 and not d["items"]["in_flight"], d["counts"]
    assert _numbers(d["items"]["unapplied"] + d["items"]["out_of_band"]) == CHANGING
    assert "write 0123456789abcdef of run abc123: journalled after Telnyx's now" in err, err
    assert "holds nothing here" in err
    plan = env.run("plan", "--detailed-exitcode")
    assert plan.code == 2 and "in flight" not in plan.out.split("Campaign counts")[0], plan.out
    for cmd in ("status", "resume"):
        r = env.run(cmd)
        assert r.code == 0 and "nothing in flight" in r.out, r.out + r.err
        assert "journalled after Telnyx's now: its submitted_at 9999-12-28T12:26:40Z" in r.out, r.out
        assert "ETA" not in r.out and "stuck" not in r.out
        _no_negative_or_far_durations(r.out)
    st = json.loads(env.run("status", "--format", "json").out)
    assert st["writes"] == [] and st["ignored"] == [] and len(st["journal_problems"]) == 1, st
    # apply writes what the files declare, at once: the line neither holds it nor makes it wait.
    r = env.run("apply", "--auto-approve", "--timeout", "60")
    assert r.code == 0, r.out + r.err
    assert env.counters()["writes"] > 0
    assert {n for n, (c, _) in env.assignments().items() if n in ON_SHARED} == set(ON_SHARED)


def test_any_time_a_write_carries_in_telnyxs_future_makes_it_not_believed(make_env):
    env = _env(make_env)
    now = _now(env)
    _declared_write(env, now - 60, updated_at=now + 3600)  # a state line "from the future"
    code, d, err = _drift(env)
    assert code == 2 and not d["items"]["in_flight"] and "its updated_at" in err, (d["counts"], err)
    (env.workdir / ".reconciler" / "journal.jsonl").unlink()
    _declared_write(env, now - 60, stopped_at=YEAR_9999)
    code, d, err = _drift(env)
    assert code == 2 and not d["items"]["in_flight"] and "its stopped_at" in err, (d["counts"], err)
    # Within the skew a runner's clock may have (a few minutes): believed, an age of 0, never below.
    (env.workdir / ".reconciler" / "journal.jsonl").unlink()
    _declared_write(env, now + 120)
    _, d, _ = _drift(env)
    assert _numbers(d["items"]["in_flight"]) == ON_SHARED, d["counts"]
    st = json.loads(env.run("status", "--format", "json").out)
    (w,) = st["writes"]
    assert w["age_seconds"] == 0 and all(
        (s["interrupted_seconds"] or 0) >= 0 for s in st["service"].values()), st


def _forged(env: Any, at: float) -> None:
    """The review's forged write: campaign CWZTFH1 under profile acme-alerts (declared nowhere so),
    holding the numbers the files declare for CALERT7, CNOTIF9 and CWZTFH1. Sent, with an id
    Telnyx never gave (no task to see it finish)."""
    _journal(env, state="submitted", ref="zzz", campaign="CWZTFH1", profile=ALERTS,
             numbers=CHANGING + ["+13125550101"], submitted_at=at)


def test_numbers_held_by_a_write_the_files_do_not_declare_are_blocked_not_in_flight(make_env):
    env = _env(make_env)
    _forged(env, _now(env))
    code, d, _ = _drift(env)
    assert code == 2 and not d["items"]["in_flight"], d["counts"]
    assert _numbers(d["items"]["blocked"]) == CHANGING
    why = {i["number"]: i["reason"] for i in d["items"]["blocked"]}["+13125550200"]
    assert why.startswith("held back by an open write the files do not declare (campaign CWZTFH1 is not "
                          f"declared under profile {ALERTS})"), why
    plan = env.run("plan", "--detailed-exitcode", "--format", "json")
    p = json.loads(plan.out)
    assert plan.code == 2 and p["counts"].get("blocked") == len(CHANGING) and not p["counts"].get("in_flight"), p["counts"]
    st = env.run("status", "--format", "json")
    assert st.code == 0 and [i["write"] for i in json.loads(st.out)["ignored"]] == ["0123456789abcdef"]
    r = env.run("apply", "--auto-approve", "--timeout", "30")
    assert r.code == 4 and env.counters()["writes"] == 0, r.out + r.err  # held back: nothing written
    # Held past --stuck-after (72 h): stuck, in drift and in status alike.
    advance(env, 73 * HOUR)
    code, d, _ = _drift(env)
    assert code == 2 and _numbers(d["items"]["stuck"]) == CHANGING and not d["items"]["blocked"], d["counts"]
    st = env.run("status", "--format", "json")
    assert st.code == 2 and json.loads(st.out)["writes"][0]["stuck"], st.out
    assert env.counters()["writes"] == 0


def test_a_declared_write_and_an_undeclared_one_on_the_same_number_keep_it_in_flight(make_env):
    """Work toward the files holds a number in flight whatever else holds it."""
    env = _env(make_env)
    now = _now(env)
    _forged(env, now)
    _journal(env, write="fedcba9876543210", profile=MARKETING, campaign="CWZTFH1", numbers=ON_SHARED,
             submitted_at=now)
    code, d, _ = _drift(env)
    assert code == 2 and _numbers(d["items"]["in_flight"]) == ON_SHARED, d["counts"]
    assert _numbers(d["items"]["blocked"]) == sorted(set(CHANGING) - set(ON_SHARED))
