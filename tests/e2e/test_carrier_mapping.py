"""Carrier readiness (`tmobileNumberMappingStatus` / `nonTmobileNumberMappingStatus`) through the real
loopback sandbox, under both values of its mode `carrier_mapping`, on the realistic timeline.

An ASSIGNED number whose carrier mapping is pending is in flight at carriers: not drift, not
converged for `apply --until final`, pending in `status`. One whose mapping failed is failed, with
the value. Unknown values are shown as sent (escaped, bounded), never fatal. Without the fields
(mode `absent`), ASSIGNED is the end, as before.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .test_scenarios import SHARED
from .test_timeline import BULK, HOUR, NUMBERS, advance, posts, realistic

CARRIERS = ("tmobile_mapping_status", "non_tmobile_mapping_status")


def present(make_env: Any, **options: Any) -> Any:
    return realistic(make_env, modes={"carrier_mapping": "present"}, carrier_failure_rate=0.0, **options)


def mappings(env: Any) -> dict[str, tuple[str | None, ...]]:
    return {a["phone_number"]: tuple(a.get(k) for k in CARRIERS) for a in env.state()["assignments"]}


def statuses(env: Any) -> set[str]:
    return {a["status"] for a in env.state()["assignments"]}


def test_pending_at_carriers_is_in_flight_then_done(make_env):
    env = present(make_env)
    assert env.run("apply", "--auto-approve").code == 0
    advance(env, 3 * HOUR)  # ASSIGNED at Telnyx; the carriers map it 24 h later
    assert statuses(env) == {"ASSIGNED"}
    assert set(mappings(env).values()) == {("PENDING", "PENDING")}
    drift = env.run("drift", "--format", "json")
    assert drift.code == 0, drift.out  # work in flight, not drift
    items = json.loads(drift.out)["items"]
    assert len(items["in_flight"]) == 6 and not items["failed"]
    text = env.run("drift")
    assert text.code == 0 and "in flight at carriers" in text.out, text.out
    st = env.run("status", "--format", "json")
    assert st.code == 0, st.out
    write = json.loads(st.out)["writes"][0]
    assert write["counts"] == {"pending": 6}, write
    env.reset_counters()
    plan = env.run("plan", "--format", "json")
    assert json.loads(plan.out)["counts"]["in_flight"] == 6
    assert env.run("apply", "--auto-approve").code == 0
    assert env.counters()["writes"] == 0  # nothing re-sent while the carriers work
    r = env.run("resume", "--format", "json")
    assert r.code == 0 and json.loads(r.out)["writes"][0]["closed_as"] is None, r.out  # still open
    advance(env, 30 * HOUR)  # 24 h ± 20 % jitter
    assert set(mappings(env).values()) == {("ADDED", "ADDED")}
    assert env.run("drift").code == 0
    r = env.run("resume", "--format", "json")
    assert r.code == 0 and json.loads(r.out)["writes"][0]["closed_as"] == "done", r.out
    assert "nothing in flight" in env.run("status").out
    assert env.run("plan", "--detailed-exitcode").code == 0
    assert env.counters()["writes"] == 0  # the one bulk task of the first apply was all it took


def test_a_failed_carrier_mapping_is_failed_with_its_value(make_env):
    env = realistic(make_env, modes={"carrier_mapping": "present"}, carrier_failure_rate=1.0)
    assert env.run("apply", "--auto-approve").code == 0
    advance(env, 33 * HOUR)
    assert statuses(env) == {"ASSIGNED"}
    assert all("FAILED" in m for m in mappings(env).values())
    drift = env.run("drift", "--format", "json")
    assert drift.code == 2, drift.out
    failed = json.loads(drift.out)["items"]["failed"]
    assert len(failed) == 6 and all("FAILED" in f["reason"] and "carrier" in f["reason"] for f in failed), failed
    st = env.run("status", "--format", "json")
    assert st.code == 2, st.out
    assert len(json.loads(st.out)["writes"][0]["failed"]) == 6
    env.reset_counters()
    r = env.run("apply", "--auto-approve", "--format", "json")
    assert r.code == 4, r.out + r.err  # Telnyx (its carriers) said no
    assert json.loads(r.out)["totals"] == {"failed": 6}
    assert env.counters()["writes"] == 0  # never re-sent blind
    assert env.run("plan", "--detailed-exitcode").code == 2


def test_without_the_fields_assigned_is_the_end(make_env):
    """Mode absent (the default): the same timeline, a carrier failure rate of 1 the world cannot show."""
    env = realistic(make_env, carrier_failure_rate=1.0)
    assert env.run("apply", "--auto-approve").code == 0
    advance(env, 3 * HOUR)
    assert statuses(env) == {"ASSIGNED"} and set(mappings(env).values()) == {(None, None)}
    drift = env.run("drift", "--format", "json")
    assert drift.code == 0 and not json.loads(drift.out)["items"]["in_flight"], drift.out
    r = env.run("resume", "--format", "json")
    assert r.code == 0 and json.loads(r.out)["writes"][0]["closed_as"] == "done", r.out
    advance(env, 28 * HOUR)
    assert env.run("drift").code == 0
    assert env.run("plan", "--detailed-exitcode").code == 0


@pytest.mark.parametrize(("mode", "rate", "code", "totals"), [
    ("present", 0.0, 0, {"converged": 6}),
    ("present", 1.0, 4, {"failed": 6}),
    ("absent", 1.0, 0, {"converged": 6}),
])
def test_until_final_waits_for_the_carriers(make_env, mode, rate, code, totals):
    env = realistic(make_env, modes={"carrier_mapping": mode}, time_scale=600.0, assignment_delay=60,
                    carrier_mapping_delay=1200, carrier_failure_rate=rate)
    r = env.run("apply", "--auto-approve", "--until", "final", "--timeout", "120", "--format", "json")
    assert r.code == code, r.out + r.err
    assert json.loads(r.out)["totals"] == totals
    assert statuses(env) == {"ASSIGNED"}
    if mode == "present":
        assert all("PENDING" not in m for m in mappings(env).values())  # it waited for the carriers
    assert posts(env, BULK) == 1


def test_values_it_does_not_know_are_shown_as_sent_never_fatal(make_env):
    env = present(make_env)
    assert env.run("apply", "--auto-approve").code == 0
    advance(env, 33 * HOUR)
    odd = "MAPPED\u202e\x1b[31m<b>" + "z" * 200
    env.admin.put(f"/assignments/{NUMBERS[0]}",
                  json={"tcr_campaign_id": SHARED, "tmobile_mapping_status": odd}).raise_for_status()
    for fmt in ("text", "json", "markdown"):
        drift = env.run("drift", "--format", fmt)
        assert drift.code == 0, drift.out + drift.err  # in flight at carriers: never fatal, never drift
        assert "MAPPED" in drift.out and "\u202e" not in drift.out and "\x1b" not in drift.out, drift.out
        assert "z" * 60 not in drift.out  # bounded
    st = env.run("status")
    assert st.code == 0 and "\u202e" not in st.out
