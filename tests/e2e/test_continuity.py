"""Messaging continuity against the real loopback sandbox: what a plan says it does to numbers that
can send (issue 23 items 1-3; contract, "Messaging continuity"), and what a run then does.

The move scenario runs on the sandbox's realistic timeline with its clock standing still; the test
moves it on in steps, runs `resume` at each step as the scheduled job would (at once, so the
measure is Telnyx's own time), and counts the number-hours the moved numbers spend unable to send.
"""

from __future__ import annotations

import json
from typing import Any

from .test_timeline import advance

PA = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"
PB = "7b1e3c52-9a4f-4d8e-b6a2-1f0c9d8e7a65"
OLD = "CACME00"  # registered in the account; the numbers send on it today
NEW = "CMKT02"  # a shared campaign: Telnyx documents only bulk by profile for it
ADOPT = [f"+1312555{i:04d}" for i in range(1000, 1060)]
MOVE = [f"+1312555{i:04d}" for i in range(2000, 2030)]

CAMPAIGNS = [
    {"tcr_campaign_id": OLD, "kind": "telnyx", "campaign_status": "MNO_PROVISIONED", "number_pooling": True},
    {"tcr_campaign_id": NEW, "kind": "shared", "sharing_status": "ACCEPTED", "campaign_status": "MNO_PROVISIONED",
     "number_pooling": True},
]


def seed() -> dict[str, Any]:
    return {
        "messaging_profiles": [{"id": PA, "name": "adopt"}, {"id": PB, "name": "marketing"}],
        "phone_numbers": [{"phone_number": n, "messaging_profile_id": PA} for n in ADOPT]
        + [{"phone_number": n, "messaging_profile_id": PB} for n in MOVE],
        "campaigns": CAMPAIGNS,
        "assignments": [{"phone_number": n, "tcr_campaign_id": OLD, "status": "ASSIGNED"} for n in MOVE],
    }


def desired(*, adopt: bool = True, move: bool = False, policy: dict[str, Any] | None = None) -> dict[str, Any]:
    profiles = []
    if adopt:
        profiles.append({"id": PA, "name": "adopt", "campaigns": [{"tcr_campaign_id": NEW, "numbers": ADOPT}]})
    if move:
        profiles.append({"id": PB, "name": "marketing", "campaigns": [{"tcr_campaign_id": NEW, "numbers": MOVE}]})
    doc: dict[str, Any] = {"version": 1, "profiles": profiles}
    if policy:
        doc["policy"] = policy
    return doc


def plan_json(env: Any) -> dict[str, Any]:
    r = env.run("plan", "--format", "json")
    assert r.code == 0, r.out + r.err
    return json.loads(r.out)


def test_adopting_60_numbers_interrupts_none_and_starts_60(make_env):
    env = make_env(seed=seed(), desired=None)
    env.write_desired(desired())
    m = plan_json(env)["messaging"]
    assert (m["interrupted"], m["interrupted_certain"], m["resent"], m["started"]) == (0, 0, 0, 60)
    assert m["interrupted_number_hours"] == 0
    text = env.run("plan").out
    assert text.splitlines()[1] == ("Messaging: no number that sends today stops; 60 numbers start sending once "
                                    "they are assigned (about 2 h)")


def test_moving_30_sending_numbers_to_a_shared_campaign_says_they_stop_and_for_how_long(make_env):
    env = make_env(seed=seed(), desired=None, timing="realistic", time_scale=120.0, timing_jitter=0.0,
                   late_failure_rate=0.0)
    env.write_desired(desired(adopt=False, move=True))
    d = plan_json(env)
    m = d["messaging"]
    assert (m["interrupted"], m["interrupted_certain"], m["started"]) == (30, 30, 0)
    assert d["blast_radius"]["stop_sending"] == 30
    expected_hours = m["interrupted_number_hours"]
    assert 85 <= expected_hours <= 95  # 30 numbers, about 3 h each
    text = env.run("plan").out.splitlines()
    assert text[1] == "Messaging: 30 numbers that send today stop, about 90.5 number-hours without service"
    assert text[2] == "  - 30 numbers that send today stop for about 3 h: freed from CACME00, then assigned to CMKT02"
    assert "reassign from CACME00 [stops sending: freed first]" in "\n".join(text)
    by_number = {c["number"]: c for p in d["profiles"] for cp in p["campaigns"] for c in cp["changes"]}
    assert by_number[MOVE[0]]["interrupts"] == "certainly"
    assert "freed first" in by_number[MOVE[0]]["freed_first"]

    # The run: apply under the default mode (bulk skips numbers another campaign holds), on
    # Telnyx's timeline, with the scheduled job at every step.
    measured = run_and_measure(env, ["apply", "--auto-approve"])
    assert all(env.assignments()[n] == (NEW, "ASSIGNED") for n in MOVE)
    assert abs(measured - expected_hours) <= 0.25 * measured, (measured, expected_hours)


STEP = 600.0  # virtual seconds between the scheduled job's runs


def run_and_measure(env: Any, apply_args: list[str], hours: float = 8.0) -> float:
    """Apply (the sandbox's clock runs 120x while apply waits for its tasks), then move the clock
    on in steps, running `resume` at each; the number-hours the moved numbers spent not ASSIGNED to
    any campaign, integrated over the sandbox's own clock from the end of apply."""
    r = env.run(*apply_args)
    assert r.code == 0, r.out + r.err
    down, before = 0.0, None
    for _ in range(int(hours * 3600 / STEP)):
        state = env.state()
        now = _now_of(state)
        a = {x["phone_number"]: x["status"] for x in state["assignments"]}
        out = sum(1 for n in MOVE if a.get(n) != "ASSIGNED")
        if before is not None:
            down += before[1] * (now - before[0])
        before = (now, out)
        if not out:
            break
        advance(env, STEP)
        r = env.run("resume")
        assert r.code in (0, 2), r.out + r.err
    return down / 3600.0


def _now_of(state: dict[str, Any]) -> float:
    import datetime

    return datetime.datetime.fromisoformat(state["now"].replace("Z", "+00:00")).timestamp()


# ------------------------------------------------------------------ change windows

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def later_day(env: Any, days: int = 3) -> tuple[str, float]:
    """A window day `days` after the sandbox's today (UTC), and the seconds to noon of that day."""
    import datetime

    now = _now_of(env.state())
    today = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
    noon = (today + datetime.timedelta(days=days)).replace(hour=12, minute=0, second=0, microsecond=0)
    return DAYS[noon.weekday()], noon.timestamp() - now


def window_policy(day: str) -> dict[str, Any]:
    return {"change_windows": [{"days": [day], "start": "00:00", "end": "23:59", "timezone": "UTC"}]}


def test_outside_every_window_a_plan_that_stops_sending_is_refused_and_one_that_starts_applies(make_env):
    env = make_env(seed=seed(), desired=None)
    day, _ = later_day(env)
    env.write_desired(desired(adopt=False, move=True, policy=window_policy(day)))
    plan = env.run("plan")
    assert f"Change windows: outside every window now ({day} 00:00-23:59 UTC): apply would be held (exit 3) " \
           "until " in plan.out
    j = json.loads(env.run("plan", "--format", "json").out)["change_windows"]
    assert (j["open_now"], j["apply_held"]) == (False, True) and j["next_opening"].endswith("T00:00:00Z")
    env.reset_counters()
    before = env.assignments()
    r = env.run("apply", "--auto-approve")
    assert r.code == 3, r.out + r.err
    assert "outside every change window" in r.err and "the next window opens" in r.err
    assert f"{day.capitalize()} " in r.err  # names the day it opens
    assert env.counters()["writes"] == 0 and env.assignments() == before
    # a saved plan of it too, before any write
    assert env.run("plan", "--out", "p.json").code == 0
    r = env.run("apply", "p.json")
    assert r.code == 3 and "the next window opens" in r.err
    assert env.counters()["writes"] == 0
    j = json.loads(env.run("apply", "p.json", "--format", "json").out)
    assert j["kind"] == "error" and j["error"]["exit_code"] == 3

    # The adopt plan stops no sending number: it applies outside the window.
    env.write_desired(desired(adopt=True, move=False, policy=window_policy(day)))
    text = env.run("plan").out
    assert "but this plan stops no sending number: apply runs at any time" in text
    r = env.run("apply", "--auto-approve")
    assert r.code == 0, r.out + r.err
    assert all(env.assignments()[n][0] == NEW for n in ADOPT)


def test_ignore_change_windows_applies_and_resume_is_never_held(make_env):
    env = make_env(seed=seed(), desired=None, timing="realistic", time_scale=120.0, timing_jitter=0.0,
                   late_failure_rate=0.0)
    day, _ = later_day(env)
    env.write_desired(desired(adopt=False, move=True, policy=window_policy(day)))
    assert env.run("apply", "--auto-approve").code == 3
    # Allowed once: the bulk task leaves the numbers on their old campaign (mode bulk_existing=skip), so
    # apply frees them; their assignment is the next phase
    r = env.run("apply", "--auto-approve", "--ignore-change-windows")
    assert r.code == 0, r.out + r.err
    assert all(env.assignments()[n] == (OLD, "PENDING_UNASSIGNMENT") for n in MOVE)
    # Telnyx frees them: resume (outside every window) assigns them, which restores service
    advance(env, 2 * 3600)
    r = env.run("resume")
    assert r.code == 0, r.out + r.err
    advance(env, 3 * 3600)
    assert all(env.assignments()[n] == (NEW, "ASSIGNED") for n in MOVE)


def test_now_is_telnyx_clock(make_env):
    """The window is judged on the API's clock (its Date header), not this machine's: moving the
    sandbox's clock into the window lets the apply through."""
    env = make_env(seed=seed(), desired=None, time_scale=0.0)
    day, to_noon = later_day(env)
    env.write_desired(desired(adopt=False, move=True, policy=window_policy(day)))
    assert env.run("plan", "--out", "p.json").code == 0
    assert env.run("apply", "p.json").code == 3
    advance(env, to_noon)
    assert "Change windows: open now" in env.run("plan").out
    r = env.run("apply", "p.json")
    assert r.code == 0, r.out + r.err


def test_a_campaign_the_plan_empties_is_counted_and_the_timeline_agrees_with_messaging(make_env):
    """An outside review: the campaign counts left out the campaign a move empties (225 → 0), and the
    Timeline said "about 2 h per phase" beside a Messaging section whose unassignment takes 1 h."""
    env = make_env(seed=seed(), desired=None)
    env.write_desired(desired(adopt=False, move=True))
    d = plan_json(env)
    assert d["campaign_counts"] == {OLD: [30, 0], NEW: [0, 30]}
    text = env.run("plan").out
    assert f"Campaign counts: {OLD} 30 → 0 (left without numbers: see Warnings), {NEW} 0 → 30" in text, text
    assert f"campaign {OLD} (not in the files) may be left without numbers" in text
    md = env.run("plan", "--format", "markdown").out
    assert f"`{OLD}` 30 → 0 (left without numbers: see Warnings)" in md
    # A saved plan says the same.
    assert env.run("plan", "--out", "p.json").code == 0
    assert json.loads((env.workdir / "p.json").read_text(encoding="utf-8"))["campaign_counts"][OLD] == [30, 0]
    shown = env.run("apply", "p.json", "--format", "text", "--auto-approve")
    assert f"{OLD} 30 → 0 (left without numbers" in shown.out, shown.out + shown.err

    # One durations table: the messaging line's "about 3 h" is the timeline's freed-then-assigned total.
    env2 = make_env(seed=seed(), desired=None)
    env2.write_desired(desired(adopt=False, move=True))
    text = env2.run("plan").out
    assert "stop for about 3 h: freed from CACME00" in text
    assert ("(two phases: PENDING_UNASSIGNMENT about 1 h, then PENDING_ASSIGNMENT about 2 h; about 3 h in all, "
            "sometimes days)") in text, text
    assert "2 h at Telnyx, sometimes days each" not in text
