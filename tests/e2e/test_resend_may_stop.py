"""A retry of a few numbers on a shared campaign is a bulk task of their profile, which re-sends every
number already sending there: Telnyx may provision them again (PENDING_ASSIGNMENT for hours, a few
failing late). The plan says they may stop, the blast radius counts them, and a change window holds
the apply (outside review, 3,000 numbers: a 5-number retry took 250 numbers off service while the plan
said nothing stops and the window let it through)."""

from __future__ import annotations

import json

from .test_continuity import later_day, window_policy

P = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"
SH = "CSHRT01"
SENDING = [f"+1312555{i:04d}" for i in range(4000, 4020)]
FAILED = [f"+1312555{i:04d}" for i in range(4020, 4022)]


def _seed() -> dict:
    return {"messaging_profiles": [{"id": P, "name": "retail"}],
            "phone_numbers": [{"phone_number": n, "messaging_profile_id": P} for n in SENDING + FAILED],
            "campaigns": [{"tcr_campaign_id": SH, "kind": "shared", "sharing_status": "ACCEPTED",
                           "campaign_status": "MNO_PROVISIONED", "number_pooling": True}],
            "assignments": [{"phone_number": n, "tcr_campaign_id": SH, "status": "ASSIGNED"} for n in SENDING]
            + [{"phone_number": n, "tcr_campaign_id": SH, "status": "FAILED_ASSIGNMENT",
                "failure_reasons": "carrier timeout"} for n in FAILED]}


def test_a_retry_that_re_sends_a_profile_says_its_numbers_may_stop_and_waits_for_a_window(make_env):
    env = make_env(seed=_seed(), desired=None)
    day, _ = later_day(env)
    env.write_desired({"version": 1, "profiles": [{"id": P, "name": "retail", "campaigns": [
        {"tcr_campaign_id": SH, "numbers": SENDING + FAILED}]}], "policy": window_policy(day)})
    text = env.run("plan").out
    assert "Messaging: no number's campaign changes, but 20 sending numbers may stop for up to about 2 h: a bulk " \
           "task re-sends them" in text, text
    assert "apply would be held (exit 3)" in text and "stops no sending number" not in text, text
    d = json.loads(env.run("plan", "--format", "json").out)
    assert (d["messaging"]["interrupted"], d["messaging"]["resent"]) == (0, 20)  # the contract's fields, as defined
    assert d["blast_radius"]["stop_sending"] == 20 and d["change_windows"]["apply_held"] is True
    env.reset_counters()
    r = env.run("apply", "--auto-approve")
    assert r.code == 3 and "20 sending numbers stop (or may)" in r.err, r.out + r.err
    assert env.counters()["writes"] == 0
    r = env.run("apply", "--auto-approve", "--ignore-change-windows")
    assert r.code == 0, r.out + r.err
    assert "applied anyway (--ignore-change-windows)" in r.out and "would be held" not in r.out, r.out
    assert env.counters()["writes"] == 1  # one bulk task: what the plan said
