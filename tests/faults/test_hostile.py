"""A hostile or broken API, end to end through the CLI.

A stdlib proxy (tests/faults/proxy.py) sits in front of the sandbox and breaks one operation:
an HTML error page from a proxy, non-JSON bodies, missing fields, wrong types, a pagination
loop that never ends, a task that never finishes, a connection that hangs or drops. Each must
give a clear error (exit 1 — exit 4 for the task, per the contract — no traceback, naming the
API call) within a global deadline, and nothing may be written from a plan built on bad data.

The CLI has no flag for per-request timeouts or a global deadline for reads (see the report
to the lead), so these tests run the CLI in-process with the client's own knobs turned down:
1 s per attempt, 2 retries, 8 s global deadline. One test runs a real subprocess with the
defaults, for a failure that is not retried.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import pytest

from reconciler.live import client as live_client

from reconciler.journal import Journal, Op

from .harness import PA, cli_env
from .proxy import HANG, HostileProxy, Reply

DEADLINE = 8.0
NGINX_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
             b"</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
PORTAL = b"<!DOCTYPE html><html><body><form action='/login'>Please sign in to the guest Wi-Fi</form></body></html>"

ASSIGNMENTS = "/v2/10dlc/phone_number_campaigns"
NUMBERS = "/v2/phone_numbers/messaging"
PROFILES = "/v2/messaging_profiles"
CAMPAIGNS = "/v2/10dlc/campaign"
TASK = "/v2/10dlc/phoneNumberAssignmentByProfile/"


@pytest.fixture
def fast_client(monkeypatch):
    """The real client, with small timeouts and a global deadline (what a CLI option would set)."""
    real = live_client.TelnyxClient

    class Fast(real):  # type: ignore[misc, valid-type]
        def __init__(self, **kw: Any) -> None:
            kw.update(timeout=1.0, max_retries=2, backoff_base=0.05, backoff_cap=0.2)
            kw["deadline"] = kw.get("deadline") or DEADLINE
            super().__init__(**kw)

    monkeypatch.setattr("reconciler.live.TelnyxClient", Fast)
    return Fast


def _page_of(upstream_path_part: str):
    """Rule helper: match GETs of one list (not its /{id} children)."""
    def match(req) -> bool:
        return req.method == "GET" and req.path == upstream_path_part
    return match


def _endless_10dlc(req):
    # Every page is new records, and the total keeps growing: only the stop rules end it.
    page = int(dict(p.split("=", 1) for p in req.query.split("&") if "=" in p).get("page", "1"))
    recs = [{"phoneNumber": f"+1312555{(page * 7 + i) % 10000:04d}", "tcrCampaignId": "CTLX001",
             "campaignId": "CTLX001", "assignmentStatus": "ASSIGNED", "telnyxCampaignId": "", "brandId": "",
             "tcrBrandId": "B000001", "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z",
             "failureReasons": None} for i in range(3)]
    return Reply(200, json.dumps({"records": recs, "page": page, "totalRecords": page + 5}).encode())


def _same_page_classic(sb_base: str):
    import httpx

    first = httpx.get(sb_base + "/phone_numbers/messaging", params={"page[number]": 1, "page[size]": 250},
                      headers={"Authorization": "Bearer sandbox-key"}).json()

    def rule(req):
        if req.method == "GET" and req.path == NUMBERS:
            body = dict(first)
            body["meta"] = {**first["meta"], "total_pages": 10 ** 6, "total_results": 10 ** 8}
            return Reply(200, json.dumps(body).encode())
        return None
    return rule


CASES: dict[str, tuple[Any, str, list[str]]] = {
    # name: (rule, the call the message must name, other words it must contain)
    "html-502-from-a-proxy": (lambda r: Reply(502, NGINX_502, "text/html") if _page_of(ASSIGNMENTS)(r) else None,
                              "GET /10dlc/phone_number_campaigns", ["502", "Bad Gateway"]),
    "html-200-captive-portal": (lambda r: Reply(200, PORTAL, "text/html") if _page_of(NUMBERS)(r) else None,
                                "GET /phone_numbers/messaging", ["not JSON", "text/html"]),
    "plain-text-body": (lambda r: Reply(200, b"OK", "text/plain") if _page_of(PROFILES)(r) else None,
                        "GET /messaging_profiles", ["not JSON"]),
    "truncated-json": (lambda r: Reply(200, b'{"records": [{"phoneNumber": "+1312', "application/json")
                       if _page_of(ASSIGNMENTS)(r) else None, "GET /10dlc/phone_number_campaigns", ["not JSON"]),
    "missing-records-field": (lambda r: Reply(200, b'{"page": 1, "totalRecords": 0}') if _page_of(ASSIGNMENTS)(r)
                              else None, "GET /10dlc/phone_number_campaigns", ["records", "missing"]),
    "wrong-type-total": (lambda r: Reply(200, b'{"records": [], "page": 1, "totalRecords": "many"}')
                         if _page_of(ASSIGNMENTS)(r) else None, "GET /10dlc/phone_number_campaigns", ["totalRecords"]),
    "wrong-type-record": (lambda r: Reply(200, b'{"records": ["+13125550100"], "page": 1, "totalRecords": 1}')
                          if _page_of(ASSIGNMENTS)(r) else None, "GET /10dlc/phone_number_campaigns", ["records[0]"]),
    "json-array-not-object": (lambda r: Reply(200, b"[]") if _page_of(CAMPAIGNS)(r) else None,
                              "GET /10dlc/campaign", ["not an object"]),
    "endless-pagination": (lambda r: _endless_10dlc(r) if _page_of(ASSIGNMENTS)(r) else None,
                           "GET /10dlc/phone_number_campaigns", ["pagination does not end"]),
    "hanging-connection": (lambda r: HANG if _page_of(PROFILES)(r) else None,
                           "GET /messaging_profiles", ["timed out"]),
    "dropped-connection": (lambda r: Reply(200, b'{"data": [', drop_after_headers=True) if _page_of(PROFILES)(r)
                           else None, "GET /messaging_profiles", []),
}


def _state(env) -> Any:
    s = env.state()
    return s["phone_numbers"], s["assignments"]


@pytest.mark.parametrize("name", list(CASES))
def test_broken_read_fails_clearly_within_the_deadline_and_nothing_is_written(name, estate_env, fast_client):
    rule, call, words = CASES[name]
    env = estate_env(seed=41)
    before = _state(env)
    env.reset_counters()
    with HostileProxy(env.sb.base_url, rule=rule) as proxy:
        commands = [["plan"], ["apply", "--auto-approve", "--state-dir", str(env.state_dir)], ["drift"]]
        if name == "hanging-connection":
            commands = commands[1:2]  # 3 s per command: apply is the one that matters
        for args in commands:
            t0 = time.monotonic()
            r = env.run(*args, env={"TELNYX_API_BASE_URL": proxy.base_url})
            took = time.monotonic() - t0
            assert r.code == 1, f"{args[0]}: exit {r.code}\n{r.out}\n{r.err}"
            assert "Traceback" not in r.err and "internal error" not in r.err, r.err
            assert r.err.startswith("error: ") or "\nerror: " in r.err, r.err
            assert call in r.err, f"the message must name the API call {call!r}: {r.err}"
            for w in words:
                assert w in r.err, f"{w!r} missing from: {r.err}"
            assert took < DEADLINE + 3, f"{args[0]} took {took:.1f}s (deadline {DEADLINE}s)"
            assert "sandbox-key" not in r.err + r.out
            assert len(r.err) < 2000, "one clear message, not a dump"
    assert env.counters()["writes"] == 0, "something was written from a plan built on bad data"
    assert _state(env) == before
    assert not env.journal.exists() or not env.journal.read_text().strip()


def test_a_classic_list_that_repeats_its_page_forever(estate_env, fast_client, monkeypatch):
    """page[number]=N answers page 1 again with total_pages=10**6: must fail as a loop, at once."""
    monkeypatch.setattr(sys.modules[__name__], "DEADLINE", 3.0)  # a loop must be caught at once
    env = estate_env(seed=45)
    env.reset_counters()
    with HostileProxy(env.sb.base_url, rule=_same_page_classic(env.sb.base_url)) as proxy:
        t0 = time.monotonic()
        r = env.run("apply", "--auto-approve", "--state-dir", str(env.state_dir),
                    env={"TELNYX_API_BASE_URL": proxy.base_url})
        took = time.monotonic() - t0
    assert r.code == 1, r.out + r.err
    assert "Traceback" not in r.err
    assert "GET /phone_numbers/messaging" in r.err and "pagination does not end" in r.err, r.err
    assert took < DEADLINE
    assert env.counters()["writes"] == 0


def _history(env: Any) -> dict[str, list[str]]:
    """Each write's states in journal order (intent first): what happened, not only how it ended."""
    out: dict[str, list[str]] = {}
    for line in env.journal.read_text().splitlines():
        e = json.loads(line)
        if "write" in e:
            out.setdefault(e["write"], []).append(e["state"])
    return out


def test_a_task_never_seen_processed_ends_at_the_timeout_with_exit_5(estate_env, fast_client):
    env = estate_env(seed=42)
    import httpx

    def never_done(req):
        if req.method == "GET" and req.path.startswith(TASK) and not req.path.endswith("/phoneNumbers"):
            task_id = req.path[len(TASK):]
            real = httpx.get(env.sb.base_url + "/10dlc/phoneNumberAssignmentByProfile/" + task_id,
                             headers={"Authorization": "Bearer sandbox-key"}).json()
            return Reply(200, json.dumps({**real, "status": "pending"}).encode())
        return None

    with HostileProxy(env.sb.base_url, rule=never_done) as proxy:
        t0 = time.monotonic()
        r = env.run("apply", "--auto-approve", "--state-dir", str(env.state_dir), "--timeout", "3",
                    env={"TELNYX_API_BASE_URL": proxy.base_url})
        took = time.monotonic() - t0
    assert r.code == 5, r.out + r.err  # stopped waiting; nothing failed (contract)
    assert "Traceback" not in r.err
    assert "failed" not in r.out.split("Apply:", 1)[1].splitlines()[0], r.out  # Telnyx said nothing of the kind
    assert "exit 5" in r.out
    assert took < 3 + DEADLINE, took
    bulk = [w for w in Journal(env.state_dir).read().writes.values() if w.op is Op.BULK_ASSIGN]
    assert bulk and all(w.ref for w in bulk), "the journal must keep each task's id for the next run"
    # The next apply (without the proxy) finishes the job: nothing was half-done.
    r = env.run("apply", "--auto-approve", "--state-dir", str(env.state_dir), "--until", "final", "--timeout", "30")
    assert r.code == 0, r.out + r.err


def test_a_real_process_reports_a_proxy_page_without_a_traceback(estate_env):
    """Subprocess, default client settings: a 200 HTML page is not retried, so it fails at once."""
    env = estate_env(seed=43)
    rule, call, _ = CASES["html-200-captive-portal"]
    with HostileProxy(env.sb.base_url, rule=rule) as proxy:
        t0 = time.monotonic()
        p = subprocess.run([sys.executable, "-m", "reconciler", "apply", "--auto-approve",
                            "--desired", str(env.desired), "--state-dir", str(env.state_dir)],
                           env=cli_env(proxy.base_url), capture_output=True, text=True, timeout=60)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "Traceback" not in p.stderr
    assert call in p.stderr and "Please sign in" in p.stderr, p.stderr
    assert time.monotonic() - t0 < 10
    assert env.counters()["writes"] == 0


def test_an_ambiguous_bulk_write_is_journalled_and_apply_converges(estate_env, fast_client):
    """The bulk POST reaches Telnyx, then the connection drops: the task exists, its id is lost.

    The journal records the unknown outcome; the lost task holds its profile for the settle
    window (tracking._lost: never re-sent blind while Telnyx may be working on it), after which
    apply verifies from live state and converges. Nothing outside the profile is touched.
    """
    env = estate_env(seed=44)
    dropped = []

    def rule(req):
        if req.method == "POST" and req.path.endswith("/phoneNumberAssignmentByProfile") and not dropped:
            dropped.append(req)
            # forward it for real, then lose the answer
            import httpx

            httpx.post(env.sb.base_url + "/10dlc/phoneNumberAssignmentByProfile", content=req.body,
                       headers={"Authorization": req.headers["authorization"],
                                "Content-Type": "application/json"}).raise_for_status()
            return Reply(200, b'{"taskId": "', drop_after_headers=True)
        return None

    with HostileProxy(env.sb.base_url, rule=rule) as proxy:
        r = env.run("apply", "--auto-approve", "--state-dir", str(env.state_dir), "--timeout", "30",
                    env={"TELNYX_API_BASE_URL": proxy.base_url})
        bulk_posts = proxy.calls("POST", "/phoneNumberAssignmentByProfile")
    assert "Traceback" not in r.err
    assert dropped, "the test did not hit a bulk assignment"
    writes = list(Journal(env.state_dir).read().writes.values())
    history = _history(env)
    assert any(w.op is Op.BULK_ASSIGN and "unknown" in history[w.id] for w in writes), history
    # The lost answer holds its profile for the settle window; the next apply, waiting for the
    # numbers to be final (a bulk task may provision the ones already there again), finishes it.
    r = env.run("apply", "--auto-approve", "--until", "final", "--state-dir", str(env.state_dir), "--timeout", "30")
    assert r.code == 0, r.out + r.err
    a, p = env.assignments(), env.profiles_of_numbers()
    assert all(p[n] == prof and a.get(n) == (c, "ASSIGNED") for n, (prof, c) in env.estate.declared.items())
    per_profile: dict[str, int] = {}
    for q in bulk_posts:
        pid = json.loads(q.body)["messagingProfileId"]
        per_profile[pid] = per_profile.get(pid, 0) + 1
    # the lost one, its repeat, and round 2's (bulk_existing=skip leaves reassigned numbers)
    assert per_profile.get(PA, 0) <= 3, per_profile
    pa = [history[w.id][1] for w in writes if w.op is Op.BULK_ASSIGN and w.profile == PA
          and history[w.id][0] != "deferred"]
    assert pa[0] == "unknown", pa
    # Never repeated while Telnyx was working on it (the sandbox counts such writes).
    assert env.admin.get("/counters").json()["redundant_writes"] == 0


def test_server_errors_on_the_bulk_assignment_post_are_never_repeated_blindly(estate_env, fast_client):
    """A 500 to the bulk POST may come after Telnyx created the task (mode write_fault): no read
    shows that until Telnyx starts on it. So the task is sent again only after the settle window,
    when live state would show a task that exists, never at once. Two 500s in a row: an apply
    that waits for the numbers to be final still converges, and nothing was sent twice for work
    Telnyx was doing."""
    env = estate_env(seed=46)
    failed: list[int] = []

    def flaky(req):
        if req.method == "POST" and req.path.endswith("/phoneNumberAssignmentByProfile") and len(failed) < 2 \
                and json.loads(req.body)["messagingProfileId"] == PA:
            failed.append(1)
            return Reply(500, json.dumps({"errors": [{"code": "10007", "title": "Unexpected error"}],
                                          "message": "Error searching for phone numbers"}).encode())
        return None

    codes = []
    with HostileProxy(env.sb.base_url, rule=flaky) as proxy:
        for _ in range(4):
            r = env.run("apply", "--auto-approve", "--until", "final", "--state-dir", str(env.state_dir),
                        "--timeout", "30", env={"TELNYX_API_BASE_URL": proxy.base_url})
            codes.append(r.code)
            if r.code == 0:
                break
            assert r.code == 5 and "not accepted" in r.out, r.out + r.err
            time.sleep(2.5)  # the next scheduled run comes after the settle window (2 s here)
    assert len(failed) == 2 and codes[-1] == 0, codes
    writes, history = Journal(env.state_dir).read().writes.values(), _history(env)
    pa = sorted((w for w in writes if w.op is Op.BULK_ASSIGN and w.profile == PA and history[w.id][0] != "deferred"),
                key=lambda w: w.submitted_at or 0)
    assert [history[w.id][1] for w in pa][:2] == ["unknown", "unknown"]
    assert env.admin.get("/counters").json()["redundant_writes"] == 0
    gaps = [(b.submitted_at or 0) - (a.submitted_at or 0) for a, b in zip(pa, pa[1:])]
    assert all(g >= 1.5 for g in gaps), gaps  # the settle window (2 s here, clocks read a little apart), never at once
    a, p = env.assignments(), env.profiles_of_numbers()
    assert all(p[n] == prof and a.get(n) == (c, "ASSIGNED") for n, (prof, c) in env.estate.declared.items())
