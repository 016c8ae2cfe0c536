"""A list answer that names one number twice, differently, never steers a write (outside review): a
forged second record of a declared number that carried an undeclared number's id made apply PATCH
that undeclared number onto the declared profile; a second assignment record naming another
campaign made plan say "reassign from CNOTIF9" of a number already right, and apply re-provision it.

Now the reader asks for such a number on its own and believes that answer (live/unique.py); an
answer that still disagrees with itself stops the read (exit 1) before anything is written. The
sandbox never lists a record twice, so a small loopback proxy in front of it adds the copies."""

from __future__ import annotations

import json
from typing import Any, Callable
from urllib.parse import unquote

import httpx

from tests.faults.proxy import HostileProxy, Req, rewriting

from .conftest import EXAMPLE_SEED, KEY

DECLARED = "+13125550101"  # ASSIGNED to CWZTFH1 on acme-marketing, as the files want
UNDECLARED = "+13125550300"  # on legacy-default, in no file
LEGACY = "0c9a7f3e-2b1d-4e5f-8a6b-3c2d1e0f9a8b"
NUMBERS = "/v2/phone_numbers/messaging"
ASSIGNMENTS = "/v2/10dlc/phone_number_campaigns"
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _through(env: Any, rewrite: Callable[[Req, Any], None], *commands: tuple[str, ...]) -> tuple[list[Any], list[Req]]:
    """Run each command through a proxy that applies `rewrite` to the sandbox's answers; their results
    and every request the proxy saw."""
    http = httpx.Client(timeout=10)
    try:
        with HostileProxy(env.sb.base_url, rule=rewriting(env.sb.base_url, http, rewrite)) as proxy:
            served = {"TELNYX_API_BASE_URL": proxy.base_url}
            return [env.run(*c, env=served) for c in commands], list(proxy.seen)
    finally:
        http.close()


def _asked_for(seen: list[Req], path: str, number: str) -> bool:
    return any(r.method == "GET" and r.path.startswith(path) and number in unquote(r.path + "?" + r.query)
               for r in seen)


def _id_of(env: Any, number: str) -> str:
    r = httpx.get(env.sb.base_url + "/phone_numbers/messaging", params={"filter[phone_number]": number},
                  headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
    (rec,) = r.json()["data"]
    return str(rec["id"])


def _forged_number_copy(stolen_id: str, *, by_name_too: bool) -> Callable[[Req, Any], None]:
    """A second record of DECLARED after the real one: no profile, and UNDECLARED's id."""
    def rewrite(req: Req, body: Any) -> None:
        if req.path != NUMBERS or (not by_name_too and "filter" in unquote(req.query)
                                   and "filter[phone_number]" in unquote(req.query)):
            return
        data = body.get("data") or []
        for i, rec in enumerate(list(data)):
            if rec.get("phone_number") == DECLARED:
                data.insert(i + 1, {**rec, "id": stolen_id, "messaging_profile_id": None})
                body["meta"]["total_results"] = body["meta"].get("total_results", 0) + 1
                return
    return rewrite


def test_a_forged_copy_of_a_number_is_settled_by_asking_for_it_by_name(make_env):
    env = make_env(seed=EXAMPLE_SEED)
    stolen = _id_of(env, UNDECLARED)
    (plan, applied), seen = _through(env, _forged_number_copy(stolen, by_name_too=False),
                                     ("plan", "--format", "json"), ("apply", "--auto-approve", "--timeout", "60"))
    assert plan.code == 0, plan.out + plan.err
    changes = {c["number"]: c for pr in json.loads(plan.out)["profiles"] for cp in pr["campaigns"]
               for c in cp["changes"]}
    assert changes.get(DECLARED, {}).get("action", "ok") == "ok", changes.get(DECLARED)
    assert _asked_for(seen, NUMBERS, DECLARED), "the disagreement was settled by reading the number on its own"
    assert not any(r.method == "PATCH" and stolen in r.path for r in seen)
    assert applied.code in (0, 4), applied.out + applied.err
    assert env.profiles_of_numbers()[UNDECLARED] == LEGACY  # never moved
    assert env.assignments()[DECLARED] == ("CWZTFH1", "ASSIGNED")


def test_an_answer_that_disagrees_with_itself_stops_the_read_before_any_write(make_env):
    env = make_env(seed=EXAMPLE_SEED)
    stolen = _id_of(env, UNDECLARED)
    (plan, applied), seen = _through(env, _forged_number_copy(stolen, by_name_too=True),
                                     ("plan",), ("apply", "--auto-approve", "--timeout", "60"))
    for r in (plan, applied):
        assert r.code == 1, r.out + r.err
        assert f"{DECLARED} is listed twice with different contents" in r.err, r.err
        assert "GET /phone_numbers/messaging" in r.err and "Traceback" not in r.err
    assert [r for r in seen if r.method in WRITES] == []
    assert env.profiles_of_numbers()[UNDECLARED] == LEGACY


def _forged_assignment_copy(req: Req, body: Any) -> None:
    """A second assignment record of DECLARED, after the real one, naming CNOTIF9 (lists only: the
    number's own record stays true)."""
    if req.path != ASSIGNMENTS:
        return
    records = body.get("records") or []
    for i, rec in enumerate(list(records)):
        if rec.get("phoneNumber") == DECLARED:
            records.insert(i + 1, {**rec, "tcrCampaignId": "CNOTIF9"})
            return


def test_a_forged_assignment_copy_plans_no_reassignment_of_a_number_already_right(make_env):
    env = make_env(seed=EXAMPLE_SEED)
    (text, plan), seen = _through(env, _forged_assignment_copy, ("plan",), ("plan", "--format", "json"))
    assert plan.code == 0 and text.code == 0, plan.err + text.err
    changes = {c["number"]: c for pr in json.loads(plan.out)["profiles"] for cp in pr["campaigns"]
               for c in cp["changes"]}
    assert changes.get(DECLARED, {}).get("action", "ok") == "ok", changes.get(DECLARED)
    assert not any(DECLARED in line and "reassign" in line for line in text.out.splitlines()), text.out
    assert _asked_for(seen, ASSIGNMENTS + "/", DECLARED)
