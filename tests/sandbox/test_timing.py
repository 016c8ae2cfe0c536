"""Telnyx's real timeline on the virtual clock: separate delays, the `realistic` preset, jitter,
late failures, time scale, the virtual `Date` header, and `POST /_admin/advance` validation.

Every test freezes the clock (`time_scale=0`) where it counts seconds, so hours pass in
milliseconds through `POST /_admin/advance` and nothing depends on real time.
"""

from __future__ import annotations

import time
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import pytest

from reconciler.sandbox import start_sandbox
from reconciler.sandbox.timing import LATE_FAILURE_REASONS, PRESETS, resolve_timing

from .helpers import DORMANT, PROFILE_A, PROFILE_B, SHARED, TELNYX, Api, base_seed

TASKS = "/10dlc/phoneNumberAssignmentByProfile"


def advance(api: Api, seconds: float) -> None:
    api.admin("POST", "/advance", {"seconds": seconds})


def task_status(api: Api, task: str) -> str:
    return api.get(f"{TASKS}/{task}").json()["status"]  # type: ignore[no-any-return]


def task_numbers(api: Api, task: str) -> dict[str, str]:
    records = api.get(f"{TASKS}/{task}/phoneNumbers").json()["records"]
    return {r["phoneNumber"]: r["status"] for r in records}


def status(api: Api, number: str) -> str | None:
    r = api.record(number)
    return None if r.status_code == 404 else r.json()["assignmentStatus"]


def bulk(api: Api, profile: str = PROFILE_A, tcr: str = SHARED) -> str:
    r = api.post(TASKS, json={"messagingProfileId": profile, "tcrCampaignId": tcr})
    assert r.status_code == 202, r.text
    return r.json()["taskId"]  # type: ignore[no-any-return]


def pending_seconds(api: Api, number: str) -> float:
    """How long a resolved record was pending: its updatedAt - createdAt."""
    rec = api.record(number).json()
    return (datetime.fromisoformat(rec["updatedAt"]) - datetime.fromisoformat(rec["createdAt"])).total_seconds()


# ---- the realistic preset ---------------------------------------------------------------------


def test_realistic_without_jitter_is_exact(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(timing="realistic", time_scale=0, timing_jitter=0, late_failure_rate=0)
    task = bulk(api)
    assert task_status(api, task) == "pending"
    advance(api, 29)
    assert task_status(api, task) == "pending" and status(api, "+13125550101") is None
    advance(api, 1)  # t = 30: processing, the numbers submitted
    assert task_status(api, task) == "processing"
    assert task_numbers(api, task) == {"+13125550100": "completed", "+13125550101": "pending", "+13125550102": "pending"}
    assert status(api, "+13125550101") == status(api, "+13125550102") == "PENDING_ASSIGNMENT"
    advance(api, 30)  # t = 60: the task is done, its records are not
    assert task_status(api, task) == "completed"
    assert set(task_numbers(api, task).values()) == {"completed"}
    assert status(api, "+13125550101") == status(api, "+13125550102") == "PENDING_ASSIGNMENT"
    advance(api, 7169)  # t = 7229: 1 s short of two hours after they went pending (t = 30)
    assert status(api, "+13125550101") == "PENDING_ASSIGNMENT"
    advance(api, 1)
    assert status(api, "+13125550101") == status(api, "+13125550102") == "ASSIGNED"
    assert pending_seconds(api, "+13125550101") == 7200


def test_realistic_preset_with_jitter(make_api) -> None:  # type: ignore[no-untyped-def]
    # Jitter 0.2: the task takes 48..72 s (processing halfway, 24..36 s), the records 5760..8640 s.
    api = make_api(timing="realistic", time_scale=0, late_failure_rate=0)
    task = bulk(api)
    advance(api, 23.9)
    assert task_status(api, task) == "pending"
    advance(api, 36.1 - 23.9)
    assert task_status(api, task) == "processing"
    advance(api, 72.1 - 36.1)
    assert task_status(api, task) == "completed"
    assert status(api, "+13125550101") == "PENDING_ASSIGNMENT"
    advance(api, 24 + 5759 - 72.1)
    assert status(api, "+13125550101") == status(api, "+13125550102") == "PENDING_ASSIGNMENT"
    advance(api, 36 + 8641 - (24 + 5759))
    assert status(api, "+13125550101") == status(api, "+13125550102") == "ASSIGNED"
    waits = [pending_seconds(api, n) for n in ("+13125550101", "+13125550102")]
    assert all(5760 <= w <= 8640 for w in waits)
    assert waits[0] != waits[1]  # each record has its own delay


def test_jitter_is_reproducible(make_api) -> None:  # type: ignore[no-untyped-def]
    def waits(random_seed: int) -> list[float]:
        api = make_api(assignment_delay=1000, timing_jitter=0.5, time_scale=0, random_seed=random_seed)
        uuid = api.campaign_uuid(TELNYX)
        for n in ("+13125550101", "+13125550102"):
            api.post("/10dlc/phone_number_campaigns", json={"phoneNumber": n, "campaignId": uuid})
        advance(api, 1500)
        return [pending_seconds(api, n) for n in ("+13125550101", "+13125550102")]

    first = waits(1)
    # (to the millisecond: timestamps are absolute, so the last microsecond can round apart)
    assert waits(1) == pytest.approx(first, abs=1e-3)
    assert waits(2) != pytest.approx(first, abs=1)
    assert all(500 <= w <= 1500 for w in first)


def test_realistic_preset_values_in_state(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(timing="realistic", time_scale=0)
    assert api.state()["timing"] == {
        "task_delay": 60.0,
        "order_delay": 60.0,
        "assignment_delay": 7200.0,
        "unassignment_delay": 3600.0,
        "jitter": 0.2,
        "late_failure_rate": 0.02,
        "carrier_mapping_delay": 86400.0,
        "carrier_failure_rate": 0.02,
        "time_scale": 0.0,
    }
    # explicit values win over the preset, one by one
    api = make_api(timing="realistic", task_delay=5, late_failure_rate=0)
    timing = api.state()["timing"]
    assert timing["task_delay"] == 5 and timing["late_failure_rate"] == 0 and timing["assignment_delay"] == 7200


def test_preset_precedence() -> None:
    assert resolve_timing() == PRESETS["instant"]
    # the legacy single delay times every step (a task has two), as it always did
    legacy = resolve_timing(assignment_delay=10)
    assert (legacy.task_delay, legacy.order_delay, legacy.assignment_delay, legacy.unassignment_delay) == (20, 10, 10, 10)
    mixed = resolve_timing("realistic", assignment_delay=10, order_delay=3)
    assert (mixed.task_delay, mixed.order_delay, mixed.unassignment_delay) == (20, 3, 10)
    assert (mixed.jitter, mixed.late_failure_rate) == (0.2, 0.02)  # not delays: still the preset's


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"timing": "slow"}, "timing must be one of instant|realistic"),
        ({"task_delay": -1}, "task_delay must be >= 0"),
        ({"order_delay": float("nan")}, "order_delay must be a finite number"),
        ({"unassignment_delay": float("inf")}, "unassignment_delay must be a finite number"),
        ({"assignment_delay": -5}, "assignment_delay must be >= 0"),
        ({"timing_jitter": 1.5}, "timing_jitter must be between 0 and 1"),
        ({"late_failure_rate": -0.1}, "late_failure_rate must be between 0 and 1"),
        ({"carrier_mapping_delay": -1}, "carrier_mapping_delay must be >= 0"),
        ({"carrier_failure_rate": 2}, "carrier_failure_rate must be between 0 and 1"),
        ({"time_scale": -1}, "time_scale must be >= 0"),
    ],
)
def test_bad_timing_values(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        start_sandbox(**kwargs)
    assert fragment in str(info.value)


# ---- separate delays ------------------------------------------------------------------------


def test_task_delay_is_separate_from_the_records(make_api) -> None:  # type: ignore[no-untyped-def]
    # The task takes 100 s; its records resolve the moment they are submitted (instant preset).
    api = make_api(task_delay=100, time_scale=0)
    task = bulk(api)
    advance(api, 50)
    assert task_status(api, task) == "processing"
    assert status(api, "+13125550101") == "ASSIGNED"
    advance(api, 50)
    assert task_status(api, task) == "completed"


def test_task_completion_does_not_resolve_records(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(assignment_delay=600, task_delay=0, time_scale=0)
    task = bulk(api)
    assert task_status(api, task) == "completed"
    assert status(api, "+13125550101") == "PENDING_ASSIGNMENT"
    advance(api, 600)
    assert status(api, "+13125550101") == "ASSIGNED"


def test_unassignment_delay(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(unassignment_delay=600, time_scale=0)
    uuid = api.campaign_uuid(TELNYX)
    api.post("/10dlc/phone_number_campaigns", json={"phoneNumber": "+13125550101", "campaignId": uuid})
    assert status(api, "+13125550101") == "ASSIGNED"  # the assignment delay is still 0
    r = api.delete("/10dlc/phone_number_campaigns/+13125550101")
    assert r.status_code == 200 and r.json()["assignmentStatus"] == "PENDING_UNASSIGNMENT"
    advance(api, 599)
    assert status(api, "+13125550101") == "PENDING_UNASSIGNMENT"
    advance(api, 1)
    assert status(api, "+13125550101") is None


def test_order_delay(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(order_delay=120, time_scale=0, modes={"profile_leave": "keep"})
    r = api.post("/messaging_numbers_bulk_updates", json={"messaging_profile_id": PROFILE_B, "numbers": ["+13125550300"]})
    order = r.json()["data"]["order_id"]
    advance(api, 119)
    assert api.get(f"/messaging_numbers_bulk_updates/{order}").json()["data"]["pending"] == ["+13125550300"]
    advance(api, 1)
    done = api.get(f"/messaging_numbers_bulk_updates/{order}").json()["data"]
    assert done["pending"] == [] and done["success"] == ["+13125550300"]


# ---- late failures ----------------------------------------------------------------------------


def test_late_failure_rate_one(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(late_failure_rate=1.0, assignment_delay=60, task_delay=0, time_scale=0,
                   modes={"failed_retry": "retry", "bulk_same": "noop"})
    uuid = api.campaign_uuid(TELNYX)
    r = api.post("/10dlc/phone_number_campaigns", json={"phoneNumber": "+13125550201", "campaignId": uuid})
    assert r.status_code == 200 and r.json()["assignmentStatus"] == "PENDING_ASSIGNMENT"
    task = bulk(api)
    assert task_status(api, task) == "completed"  # the task only submitted them
    advance(api, 60)
    for number in ("+13125550101", "+13125550102", "+13125550201"):
        rec = api.record(number).json()
        assert rec["assignmentStatus"] == "FAILED_ASSIGNMENT"
        assert rec["failureReasons"] in LATE_FAILURE_REASONS
    assert set(task_numbers(api, task).values()) == {"completed"}
    # a late failure is retryable like any FAILED_ASSIGNMENT (and fails again at rate 1)
    assert api.post("/10dlc/phone_number_campaigns", json={"phoneNumber": "+13125550201", "campaignId": uuid}).status_code == 200


def test_late_failures_keep_the_dormant_rule(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(late_failure_rate=1.0)
    uuid = api.campaign_uuid(DORMANT)
    api.post("/10dlc/phone_number_campaigns", json={"phoneNumber": "+13125550101", "campaignId": uuid})
    rec = api.record("+13125550101").json()
    assert rec["assignmentStatus"] == "FAILED_ASSIGNMENT" and "dormant" in rec["failureReasons"]
    assert api.get(f"/10dlc/campaign/{uuid}").json()["campaignStatus"] == "MNO_PROVISIONED"


def test_late_failures_are_a_reproducible_share(make_api) -> None:  # type: ignore[no-untyped-def]
    seed = base_seed()
    seed["phone_numbers"] += [{"phone_number": f"+1415555{i:04d}", "messaging_profile_id": PROFILE_A} for i in range(200)]
    seed["campaigns"].append({"tcr_campaign_id": "CPOOL01", "kind": "shared", "number_pooling": True})

    def outcome(random_seed: int) -> list[str]:
        api = make_api(seed=seed, late_failure_rate=0.25, random_seed=random_seed)
        bulk(api, tcr="CPOOL01")
        state = api.state()["assignments"]
        return [a["status"] for a in state if a["tcr_campaign_id"] == "CPOOL01"]

    first = outcome(5)
    assert len(first) == 202 and first == outcome(5)
    assert 20 <= first.count("FAILED_ASSIGNMENT") <= 90 and first.count("PENDING_ASSIGNMENT") == 0


# ---- seeded pending records -------------------------------------------------------------------


def _pending_seed() -> dict[str, Any]:
    seed = base_seed()
    seed["assignments"] = [
        {"phone_number": "+13125550100", "tcr_campaign_id": SHARED, "status": "PENDING_UNASSIGNMENT"},
        {"phone_number": "+13125550101", "tcr_campaign_id": SHARED, "status": "PENDING_ASSIGNMENT"},
    ]
    return seed


def test_seeded_pending_records_resolve(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(seed=_pending_seed(), assignment_delay=50, unassignment_delay=100, time_scale=0)
    assert status(api, "+13125550101") == "PENDING_ASSIGNMENT"
    assert status(api, "+13125550100") == "PENDING_UNASSIGNMENT"
    advance(api, 50)
    assert status(api, "+13125550101") == "ASSIGNED"
    assert status(api, "+13125550100") == "PENDING_UNASSIGNMENT"
    advance(api, 50)
    assert status(api, "+13125550100") is None


def test_seeded_pending_records_resolve_at_once_when_instant(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(seed=_pending_seed())
    assert status(api, "+13125550101") == "ASSIGNED" and status(api, "+13125550100") is None
    # the same for a seed loaded through the admin surface, with jitter
    api = make_api(assignment_delay=100, timing_jitter=0.5, time_scale=0)
    api.admin("POST", "/seed", _pending_seed())
    assert status(api, "+13125550101") == "PENDING_ASSIGNMENT"
    advance(api, 150)
    assert status(api, "+13125550101") == "ASSIGNED" and status(api, "+13125550100") is None


# ---- the clock: Date header, time scale, advance ----------------------------------------------


def date_of(api: Api) -> datetime:
    r = api.get("/messaging_profiles")
    assert r.headers.get_list("date") == [r.headers["date"]]  # exactly one Date header
    assert r.headers["date"].endswith(" GMT")
    return parsedate_to_datetime(r.headers["date"])


def test_date_header_follows_the_virtual_clock(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(time_scale=0)
    first = date_of(api)
    now = datetime.fromisoformat(api.state()["now"].replace("Z", "+00:00"))
    assert abs((now - first).total_seconds()) < 1
    advance(api, 7200)
    assert (date_of(api) - first).total_seconds() == 7200
    advance(api, 3 * 86400)
    assert (date_of(api) - first).total_seconds() == 7200 + 3 * 86400
    # errors carry it too (401 here), and so does the admin surface
    assert api.admin_http.get(api.sb.base_url + "/messaging_profiles").headers["date"] == api.get("/messaging_profiles").headers["date"]
    assert "date" in api.admin_http.get("/counters").headers


def test_time_scale(make_api) -> None:  # type: ignore[no-untyped-def]
    def now(api: Api) -> datetime:
        return datetime.fromisoformat(api.state()["now"].replace("Z", "+00:00"))

    frozen = make_api(time_scale=0)
    before = now(frozen)
    time.sleep(0.05)
    assert now(frozen) == before
    fast = make_api(time_scale=3600, assignment_delay=60)  # an hour a second
    uuid = fast.campaign_uuid(TELNYX)
    before = now(fast)
    fast.post("/10dlc/phone_number_campaigns", json={"phoneNumber": "+13125550101", "campaignId": uuid})
    time.sleep(0.1)
    assert (now(fast) - before).total_seconds() >= 360
    assert status(fast, "+13125550101") == "ASSIGNED"  # its 60 s passed in ~17 ms


# Bad `seconds` (NaN, 1e300, ...) are refused: tests/faults/hostile_cases.py (ADVANCE_SECONDS), run by
# tests/sandbox/test_hardening.py and `make faults`.


def test_advance_accepts_up_to_ten_years(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(time_scale=0)
    first = date_of(api)
    advance(api, 315576000)
    advance(api, 0)
    assert (date_of(api) - first).days == 3652
    assert api.record("+13125550100").json()["assignmentStatus"] == "ASSIGNED"


def test_the_clock_never_passes_what_timestamps_can_render() -> None:
    from reconciler.sandbox.clock import MAX_VIRTUAL_TIME, Clock

    clock = Clock(scale=0)
    clock.offset = MAX_VIRTUAL_TIME - clock.now() - 5
    with pytest.raises(ValueError, match="past 9000-01-01"):
        clock.advance(10)
    clock.advance(5)
    fast = Clock(scale=1e15)  # would pass year 9999 within a millisecond; it stops at the cap
    time.sleep(0.01)
    assert fast.now() == MAX_VIRTUAL_TIME


# ---- carrier mapping (mode carrier_mapping=present) ----------------------------------------------

MAPPING = ("tmobileNumberMappingStatus", "nonTmobileNumberMappingStatus")


def mapping(api: Api, number: str) -> tuple[str | None, ...]:
    rec = api.record(number).json()
    return tuple(rec.get(k) for k in MAPPING)


def test_carrier_mapping_lags_the_assignment(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(timing="realistic", time_scale=0, timing_jitter=0, late_failure_rate=0, carrier_failure_rate=0,
                   modes={"carrier_mapping": "present"})
    bulk(api)
    advance(api, 30)
    assert mapping(api, "+13125550101") == ("PENDING", "PENDING")
    advance(api, 7200)  # ASSIGNED at Telnyx; the carriers have not mapped it yet
    assert status(api, "+13125550101") == "ASSIGNED"
    assert mapping(api, "+13125550101") == ("PENDING", "PENDING")
    advance(api, 86399)
    assert mapping(api, "+13125550101") == ("PENDING", "PENDING")
    advance(api, 1)  # 24 h after the assignment
    assert mapping(api, "+13125550101") == mapping(api, "+13125550102") == ("ADDED", "ADDED")


def test_carrier_mapping_failures_are_a_reproducible_share(make_api) -> None:  # type: ignore[no-untyped-def]
    seed = base_seed()
    seed["phone_numbers"] += [{"phone_number": f"+1312555{i:04d}", "messaging_profile_id": PROFILE_B}
                              for i in range(1000, 1200)]

    def run() -> dict[str, tuple[str | None, ...]]:
        api = make_api(seed=seed, timing="realistic", time_scale=0, late_failure_rate=0, carrier_failure_rate=0.25,
                       modes={"carrier_mapping": "present", "campaign_cap": "off"}, random_seed=7)
        bulk(api, PROFILE_B)
        advance(api, 3 * 86400)
        records = api.get("/10dlc/phone_number_campaigns", params={"recordsPerPage": 250}).json()["records"]
        return {r["phoneNumber"]: tuple(r.get(k) for k in MAPPING) for r in records}

    first = run()
    assert first == run()
    failed = [m for m in first.values() if "FAILED" in m]
    assert 25 <= len(failed) <= 80  # about a quarter of 202
    assert all(m in (("FAILED", "ADDED"), ("ADDED", "FAILED")) for m in failed)  # one carrier at a time
    # the rest mapped; the toll-free number's assignment failed, so the carriers were never asked
    assert {m for m in first.values() if "FAILED" not in m} == {("ADDED", "ADDED"), (None, None)}


def test_carrier_mapping_can_be_forced_and_stays(make_api) -> None:  # type: ignore[no-untyped-def]
    """The admin sets the outcome (any value); the lag of a record so set does not overwrite it."""
    api = make_api(timing="realistic", time_scale=0, late_failure_rate=0, carrier_failure_rate=0,
                   modes={"carrier_mapping": "present"})
    bulk(api)
    advance(api, 3 * 3600)
    assert mapping(api, "+13125550101") == ("PENDING", "PENDING")
    api.admin("PUT", "/assignments/+13125550101", {"tcr_campaign_id": SHARED, "tmobile_mapping_status": "FAILED",
                                                    "non_tmobile_mapping_status": "PENDING"})
    advance(api, 3 * 86400)
    assert mapping(api, "+13125550101") == ("FAILED", "PENDING")
    assert mapping(api, "+13125550102") == ("ADDED", "ADDED")
