"""A declared number whose live record names an id in no id's shape (the live reader reduces it to
`invalid-id`) is blocked with the API call and field that said it, never planned from or counted on
a campaign (issue 24). The sandbox keeps its ids plain, so a small loopback proxy in front of it
rewrites its answers; the CLI reads through it."""

from __future__ import annotations

import json
from typing import Any, Callable

import httpx

from tests.faults.proxy import HostileProxy, rewriting

from .conftest import EXAMPLE_SEED


def _env(make_env: Any) -> Any:
    # The example estate (`make demo`) on the realistic timeline, its clock running fast: apply waits on Telnyx.
    return make_env(seed=EXAMPLE_SEED, timing="realistic", time_scale=120.0, timing_jitter=0.0, late_failure_rate=0.0)


def _walk(node: Any, visit: Callable[[dict[str, Any]], None]) -> None:
    if isinstance(node, dict):
        visit(node)
        for v in node.values():
            _walk(v, visit)
    elif isinstance(node, list):
        for v in node:
            _walk(v, visit)


def _odd(rec: dict[str, Any]) -> None:
    if rec.get("phoneNumber") == "+13125550200" and "tcrCampaignId" in rec:
        rec["tcrCampaignId"] = "CNOTIF9/../x"  # no id has this shape: the reader says invalid-id
    if rec.get("phone_number") == "+13125550202" and "messaging_profile_id" in rec:
        rec["messaging_profile_id"] = "<script>"


def test_a_declared_number_whose_record_names_an_odd_id_is_blocked_and_counted_nowhere(make_env):
    env = _env(make_env)
    http = httpx.Client(timeout=10)
    try:
        with HostileProxy(env.sb.base_url, rule=rewriting(env.sb.base_url, http, lambda _req, b: _walk(b, _odd))) as proxy:
            served = {"TELNYX_API_BASE_URL": proxy.base_url}
            r = env.run("plan", "--detailed-exitcode", "--format", "json", env=served)
            assert r.code == 2, r.out + r.err
            p = json.loads(r.out)
            text = env.run("plan", env=served).out
            drift = json.loads(env.run("drift", "--format", "json", env=served).out)
            applied = env.run("apply", "--auto-approve", "--timeout", "60", env=served)
    finally:
        http.close()
    changes = {c["number"]: c for pr in p["profiles"] for cp in pr["campaigns"] for c in cp["changes"]}
    assert changes["+13125550200"]["action"] == "blocked", changes["+13125550200"]
    assert "GET /10dlc/phone_number_campaigns, field tcrCampaignId" in changes["+13125550200"]["reason"]
    assert changes["+13125550202"]["action"] == "blocked", changes["+13125550202"]
    assert "GET /phone_numbers/messaging, field messaging_profile_id" in changes["+13125550202"]["reason"]
    assert "invalid-id" not in json.dumps(p["campaign_counts"]) and "invalid-id" not in text, text
    assert "reassign from invalid-id" not in text and "moves from profile invalid-id" not in text
    assert {"+13125550200", "+13125550202"} <= {i["number"] for i in drift["items"]["blocked"]}
    # apply writes the others and exits 4 naming these two; neither is touched.
    assert applied.code == 4, applied.out + applied.err
    live = env.assignments()
    assert live["+13125550200"] == ("CNOTIF9", "ASSIGNED") and "+13125550202" not in live
    assert env.profiles_of_numbers()["+13125550202"] == "0c9a7f3e-2b1d-4e5f-8a6b-3c2d1e0f9a8b"
