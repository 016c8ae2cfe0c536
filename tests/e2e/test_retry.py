"""Retry only what a retry can fix (issue 23 item 7), against the real sandbox: a number whose
assignment failed because it is gone (ported out, disconnected) is blocked with Telnyx's words and
never re-sent; one that failed for a reason a retry can fix is retried."""

from __future__ import annotations

import json

P = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"
GONE, FLAKY = "+13125550841", "+13125550842"
SEED = {
    "messaging_profiles": [{"id": P, "name": "alpha"}],
    "phone_numbers": [{"phone_number": n, "messaging_profile_id": P} for n in (GONE, FLAKY)],
    "campaigns": [{"tcr_campaign_id": "CTLX009", "kind": "telnyx", "campaign_status": "MNO_PROVISIONED"}],
    "assignments": [
        {"phone_number": GONE, "tcr_campaign_id": "CTLX009", "status": "FAILED_ASSIGNMENT",
         "failure_reasons": "Verizon rejected the assignment: number ported out to another carrier (MNO error 2201)"},
        {"phone_number": FLAKY, "tcr_campaign_id": "CTLX009", "status": "FAILED_ASSIGNMENT",
         "failure_reasons": "Assignment timed out at the Campaign Registry (TCR); retry the assignment"},
    ],
}
DESIRED = {"version": 1, "profiles": [{"id": P, "campaigns": [{"tcr_campaign_id": "CTLX009",
                                                               "numbers": [GONE, FLAKY]}]}]}


def test_a_number_that_is_gone_is_blocked_with_telnyx_words_and_never_retried(make_env):
    env = make_env(seed=SEED, desired=None)
    env.write_desired(DESIRED)
    plan = env.run("plan", "--format", "json", "--detailed-exitcode")
    assert plan.code == 2, plan.out + plan.err
    changes = {c["number"]: c for p in json.loads(plan.out)["profiles"] for cp in p["campaigns"]
               for c in cp["changes"]}
    assert changes[FLAKY]["action"] == "retry"
    assert changes[GONE]["action"] == "blocked"
    assert "ported out to another carrier" in changes[GONE]["reason"] and "a retry cannot fix that" in \
        changes[GONE]["reason"]
    text = env.run("plan").out
    assert "a retry cannot fix that" in text
    env.reset_counters()
    r = env.run("apply", "--auto-approve")
    assert r.code == 4, r.out + r.err  # a declared number cannot converge: said, not retried
    assert GONE in r.out and "ported out" in r.out
    writes = env.counters()["writes"]
    assert writes == 1  # the retry of the number a retry can fix, and nothing for the one that is gone
    assert env.assignments()[GONE] == ("CTLX009", "FAILED_ASSIGNMENT")
    assert env.assignments()[FLAKY][1] in ("PENDING_ASSIGNMENT", "ASSIGNED")
