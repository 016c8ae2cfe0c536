"""The live layer against the real sandbox on loopback: reads, pagination, modes, writes."""

from __future__ import annotations

import itertools
import json
import time
import urllib.request

import pytest

from reconciler.live import TelnyxClient, TelnyxWriter, read_live, read_profiles_for_import
from reconciler.model import ASSIGNED, FAILED_ASSIGNMENT, PENDING_ASSIGNMENT, SHARED, TELNYX

from .seed_data import DESIRED, P1, P2, P3, PBIG, SEED, desired_of, n

from reconciler.sandbox import start_sandbox  # never skipped: an import error is a failure, not a skip

MODE_MATRIX = [dict(zip(("total_records", "page_size_over_max", "phone_id", "list_page_max"), v)) for v in
               itertools.product(("pages", "records", "mixed"), ("error", "clamp"), ("numeric", "numeric_or_e164"),
                                 ("500", "250"))]


def client_for(sb, **kw) -> TelnyxClient:
    kw.setdefault("timeout", 10.0)
    kw.setdefault("deadline", 60.0)
    return TelnyxClient(base_url=sb.base_url, api_key="sandbox-key", **kw)


def admin(sb, method: str, path: str, body=None):
    data = None if body is None else json.dumps(body).encode()
    root = sb.admin_url.rstrip("/").removesuffix("/_admin")
    req = urllib.request.Request(root + path, data=data, method=method,
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        raw = r.read()
    return json.loads(raw) if raw else None


@pytest.fixture(scope="module")
def sb():
    with start_sandbox(seed=SEED) as s:
        yield s


@pytest.fixture
def fresh(sb):
    admin(sb, "POST", "/_admin/seed", SEED)
    admin(sb, "PUT", "/_admin/modes", {})
    yield sb


@pytest.fixture(scope="module")
def frozen():
    # Seeded PENDING_* records follow the life cycle: an hour's delay on a frozen clock keeps
    # n(101) PENDING_ASSIGNMENT for as long as this module runs.
    with start_sandbox(seed=SEED, assignment_delay=3600, time_scale=0) as s:
        yield s


@pytest.mark.parametrize("modes", MODE_MATRIX, ids=lambda m: ",".join(f"{k}={v}" for k, v in m.items()))
def test_read_live_on_seeded_state(frozen, modes):
    admin(frozen, "POST", "/_admin/seed", SEED)
    admin(frozen, "PUT", "/_admin/modes", modes)
    with client_for(frozen) as c:
        live = read_live(c, DESIRED)
    assert live.profiles == {P1: "acme-marketing", P2: "acme-alerts"}
    assert set(live.numbers) == {n(i) for i in (100, 101, 102, 103, 104, 140, 110, 111, 120, 130)} | {"+18005550100"}
    assert n(199) not in live.numbers  # declared, not owned
    assert live.numbers[n(120)].profile_id == P3 and live.numbers[n(130)].profile_id is None
    assert live.numbers["+18005550100"].type == "tollfree" and live.numbers[n(100)].type == "longcode"
    assert live.numbers[n(100)].id.isdigit()
    a = live.assignments
    assert set(a) == {n(i) for i in (100, 101, 102, 103, 110, 120, 140)}
    assert (a[n(100)].tcr_campaign_id, a[n(100)].status) == ("CSHARE1", ASSIGNED)
    assert a[n(101)].status == PENDING_ASSIGNMENT
    assert a[n(102)].tcr_campaign_id == "COTHER1"
    assert a[n(103)].status == FAILED_ASSIGNMENT and a[n(103)].failure_reasons == "carrier rejected"
    assert a[n(110)].tcr_campaign_id == "CTLNX01"
    cs = live.campaigns
    assert set(cs) == {"CSHARE1", "CPEND01", "CTLNX01"}
    assert (cs["CSHARE1"].kind, cs["CSHARE1"].sharing_status, cs["CSHARE1"].campaign_status) == (
        SHARED, "ACCEPTED", "MNO_PROVISIONED")
    assert cs["CPEND01"].kind == SHARED and cs["CPEND01"].sharing_status == "PENDING"
    assert cs["CTLNX01"].kind == TELNYX and cs["CTLNX01"].telnyx_campaign_id and cs["CTLNX01"].number_pooling


def test_read_live_request_count_is_small(fresh):
    with client_for(fresh) as c:
        read_live(c, DESIRED)
        total = c.total_requests()
        counters = dict(c.requests.by_call)
    # profiles 2, numbers ≤ 3+1, partner 1(+1 probe), brands+campaigns ≤ 3, sharing 2, assignments ≤ 4
    assert total <= 16, counters


def big_seed(count: int, campaigns: int) -> dict:
    seed = json.loads(json.dumps(SEED))
    seed["messaging_profiles"].append({"id": PBIG, "name": "big"})
    tcrs = [f"CBIG{i:03d}" for i in range(campaigns)]
    seed["campaigns"] += [{"tcr_campaign_id": t, "kind": "shared", "sharing_status": "ACCEPTED",
                           "campaign_status": "MNO_PROVISIONED", "number_pooling": True} for t in tcrs]
    seed["phone_numbers"] += [{"phone_number": f"+1415555{i:04d}", "messaging_profile_id": PBIG} for i in range(count)]
    seed["assignments"] += [{"phone_number": f"+1415555{i:04d}", "tcr_campaign_id": tcrs[i % campaigns],
                             "status": "ASSIGNED"} for i in range(count)]
    return seed


@pytest.mark.parametrize("modes", [m for m in MODE_MATRIX if m["phone_id"] == "numeric"],
                         ids=lambda m: f"{m['total_records']},{m['page_size_over_max']},max{m['list_page_max']}")
def test_pagination_across_1300_assignments(sb, modes):
    seed = big_seed(1300, 2)
    admin(sb, "POST", "/_admin/seed", seed)
    admin(sb, "PUT", "/_admin/modes", modes)
    desired = desired_of({PBIG: {"CBIG000": [f"+1415555{i:04d}" for i in range(0, 1300, 2)],
                                 "CBIG001": [f"+1415555{i:04d}" for i in range(1, 1300, 2)]}})
    with client_for(sb) as c:
        live = read_live(c, desired)
        counters = dict(c.requests.by_call)
    assert len([x for x in live.numbers.values() if x.profile_id == PBIG]) == 1300
    assert len(live.assignments) == 1300
    assert all(a.tcr_campaign_id == desired.numbers[num].tcr_campaign_id for num, a in live.assignments.items())
    # 1,300 assignments: 3 pages of 500 account-wide, +1 if the totalRecords reading had to be probed;
    # where the list refuses 500 a page: 1 refused request, then 6 pages of 250 (+1 probe)
    bound = 4 if modes["list_page_max"] == "500" else 8
    assert counters.get("GET /10dlc/phone_number_campaigns", 0) <= bound, counters
    # 1,300 numbers on one profile at 250 per page: 6 pages
    assert counters.get("GET /phone_numbers/messaging", 0) <= 7, counters
    assert "GET /10dlc/phone_number_campaigns/{phoneNumber}" not in counters


def test_read_live_matches_admin_state(sb):
    seed = big_seed(600, 3)
    admin(sb, "POST", "/_admin/seed", seed)
    admin(sb, "PUT", "/_admin/modes", {})
    desired = desired_of({PBIG: {"CBIG000": ["+14155550000"]}, P1: {"CSHARE1": [n(100)]}})
    with client_for(sb) as c:
        live = read_live(c, desired)
    state = admin(sb, "GET", "/_admin/state")
    want_numbers = {x["phone_number"] for x in state["phone_numbers"] if x.get("messaging_profile_id") in (PBIG, P1)}
    assert set(live.numbers) == want_numbers
    want_asg = {x["phone_number"]: x["tcr_campaign_id"] for x in state["assignments"]
                if x["tcr_campaign_id"] in ("CBIG000", "CSHARE1") or x["phone_number"] in desired.numbers}
    assert {k: v.tcr_campaign_id for k, v in live.assignments.items()} == want_asg


def test_import_reads_profiles_numbers_and_assignments(fresh):
    with client_for(fresh) as c:
        one = read_profiles_for_import(c, [P1])
        everything = read_profiles_for_import(c, None)
    assert one.profiles == {P1: "acme-marketing"}
    assert set(one.numbers) == {n(i) for i in (100, 101, 102, 103, 104, 140)}
    assert set(one.assignments) == {n(i) for i in (100, 101, 102, 103, 140)}
    assert set(everything.profiles) == {P1, P2, P3}
    assert n(130) not in everything.numbers and n(120) in everything.numbers
    assert everything.assignments[n(110)].tcr_campaign_id == "CTLNX01"


@pytest.mark.parametrize("phone_id", ["numeric", "numeric_or_e164"])
def test_writes_round_trip(fresh, phone_id):
    admin(fresh, "PUT", "/_admin/modes", {"phone_id": phone_id, "shared_per_number": "allow",
                                          "put_existing": "replace", "shared_delete": "allow"})
    with client_for(fresh) as c:
        w = TelnyxWriter(c)
        live = read_live(c, DESIRED)
        # PATCH by numeric id
        w.patch_profile(live.numbers[n(130)].id, P1)
        # bulk move and its order
        oid = w.bulk_move(P2, [n(120)])
        for _ in range(50):
            order = w.get_bulk_order(oid)
            if not order["pending"]:
                break
            time.sleep(0.05)
        assert n(120) in order["success"]
        # per-number writes
        cshare = live.campaigns["CSHARE1"]
        w.unassign(n(102))
        w.unassign(n(102))  # already gone (or going): no error
        w.assign(n(104), cshare)
        w.replace(n(140), live.campaigns["CTLNX01"])
        got = w.get_assignment(n(104))
        assert got is not None and got.tcr_campaign_id == "CSHARE1"
        assert w.get_assignment(n(199)) is None
        after = read_live(c, DESIRED)
    assert after.numbers[n(130)].profile_id == P1
    assert after.numbers[n(120)].profile_id == P2


def test_bulk_assign_task_life_cycle(fresh):
    with client_for(fresh) as c:
        w = TelnyxWriter(c)
        live = read_live(c, DESIRED)
        task = w.bulk_assign(P2, live.campaigns["CTLNX01"])
        status = "pending"
        for _ in range(100):
            status = w.get_task(task)
            if status in ("completed", "failed"):
                break
            time.sleep(0.05)
        assert status in ("completed", "failed")
        per_number = dict(w.task_numbers(task))
    assert n(110) in per_number and n(111) in per_number


def test_rate_limited_sandbox_reads_without_429_storm():
    seed = big_seed(300, 3)
    with start_sandbox(seed=seed, rate_limit=40) as s:
        desired = desired_of({PBIG: {f"CBIG00{i}": [f"+1415555{j:04d}" for j in range(i, 300, 3)] for i in range(3)}})
        with client_for(s) as c:
            t0 = time.monotonic()
            for _ in range(4):
                read_live(c, desired)
            elapsed = time.monotonic() - t0
            total = c.total_requests()
            n429 = c.requests.by_status.get(429, 0)
    assert n429 <= max(2, total // 20), (n429, total)
    assert elapsed < total / 40 * 1.6 + 2, (elapsed, total)


def test_key_not_in_debug_logs(fresh, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    admin(fresh, "PUT", "/_admin/modes", {"shared_delete": "allow"})
    with client_for(fresh) as c:
        read_live(c, DESIRED)
        TelnyxWriter(c).unassign(n(100))
    assert caplog.text and "sandbox-key" not in caplog.text

