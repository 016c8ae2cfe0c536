"""Campaign health against the real sandbox: after a clean apply, a campaign Telnyx suspends (or whose
share it declines) behind the reconciler's back is drift, named with the numbers it stops; plan and
status say it too; a plan that moves every number off a campaign warns that Telnyx will suspend it."""

from __future__ import annotations

import json
from datetime import timedelta
from email.utils import parsedate_to_datetime

import httpx
import pytest

P = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"


@pytest.mark.parametrize("change, said", [
    ({"campaign_status": "TCR_SUSPENDED"}, "not active (campaignStatus TCR_SUSPENDED)"),
    ({"sharing_status": "DECLINED"}, "its sharing status is DECLINED, not ACCEPTED"),
], ids=["suspended", "share-declined"])
def test_a_campaign_that_stops_carrying_traffic_after_a_clean_apply_is_drift(make_env, change, said):
    env = make_env()
    assert env.run("apply", "--auto-approve").code == 0
    assert env.run("drift").code == 0
    env.admin.patch("/campaigns/CWZTFH1", json=change).raise_for_status()

    r = env.run("drift")
    assert r.code == 2, r.out + r.err
    lines = r.out.splitlines()
    assert lines[0] == "Drift: 1 unhealthy campaign (5 numbers cannot send)"
    assert lines[3].startswith("  CWZTFH1 (shared") and "stops 5 of 5 declared numbers" in lines[3] and said in lines[3]

    d = json.loads(env.run("drift", "--format", "json").out)
    assert d["drifted"] is True and all(v == 0 for v in d["counts"].values())  # every record is as declared
    (h,) = d["unhealthy_campaigns"]
    assert (h["tcr_campaign_id"], h["numbers_declared"], h["numbers_stopped"]) == ("CWZTFH1", 5, 5)
    assert h["campaign_status" if "campaign_status" in change else "sharing_status"] == next(iter(change.values()))

    md = env.run("drift", "--format", "markdown")
    assert md.code == 2 and md.out.startswith("## 10DLC drift\n\n> [!CAUTION]\n> **1 unhealthy campaign (5 numbers "
                                              "cannot send):**")
    assert "`CWZTFH1`" in md.out.split("\n\n")[1]

    # Not a change: the plan says it first, and --detailed-exitcode stays 0 (drift is the check that fails).
    p = env.run("plan", "--detailed-exitcode")
    assert p.code == 0, p.out + p.err
    assert p.out.splitlines()[1].startswith("Cannot send: 1 unhealthy campaign (5 numbers cannot send)")  # first
    assert json.loads(env.run("plan", "--format", "json").out)["unhealthy_campaigns"][0]["numbers_stopped"] == 5

    env.admin.patch("/campaigns/CWZTFH1", json={"campaign_status": "MNO_PROVISIONED", "sharing_status": "ACCEPTED"}
                    ).raise_for_status()
    assert env.run("drift").code == 0


def test_status_says_when_work_in_flight_targets_a_campaign_that_cannot_carry_traffic(make_env):
    # Numbers stay PENDING_ASSIGNMENT on the still clock; tasks and orders are processed at once.
    env = make_env(assignment_delay=7200.0, task_delay=0, order_delay=0, time_scale=0)
    assert env.run("apply", "--auto-approve").code == 0
    assert "Cannot send" not in env.run("status").out
    env.admin.patch("/campaigns/CWZTFH1", json={"campaign_status": "MNO_REJECTED", "failure_reasons": "no opt-in"}
                    ).raise_for_status()
    r = env.run("status")
    assert r.code == 0, r.out + r.err  # nothing failed or stuck: the lead says it, drift is the check
    (lead,) = [line for line in r.out.splitlines() if "Cannot send" in line]
    assert lead.startswith("  Cannot send: CWZTFH1 (shared, MNO_REJECTED, sharing ACCEPTED) cannot carry traffic")
    assert "rejected by carriers" in lead and lead.endswith("Telnyx says: no opt-in")
    d = json.loads(env.run("status", "--format", "json").out)
    (h,) = d["unhealthy_campaigns"]
    assert h["tcr_campaign_id"] == "CWZTFH1" and h["numbers"] >= 4 and h["telnyx_reason"] == "no opt-in"
    # No ETA is promised for numbers going where they will not send: why instead.
    sv = d["service"]["CWZTFH1"]
    assert (sv["eta"], sv["eta_seconds"]) == (None, None) and "rejected by carriers" in sv["cannot_send"]
    assert all(w["service"]["eta"] is None for w in d["writes"] if w["campaign"] == "CWZTFH1")
    (line,) = [x for x in r.out.splitlines() if x.startswith("  CWZTFH1: ")]
    assert "; no ETA: their campaign cannot carry traffic (" in line and "ETA 20" not in line
    md = env.run("status", "--format", "markdown").out
    assert "| `CWZTFH1` |" in md and "none: the campaign cannot carry traffic |" in md
    assert env.run("drift").code == 2


def test_a_plan_that_moves_every_number_off_a_campaign_warns_it_will_be_suspended(make_env):
    numbers = [f"+1312555{i:04d}" for i in range(400, 406)]
    seed = {
        "messaging_profiles": [{"id": P, "name": "acme-marketing"}],
        "phone_numbers": [{"phone_number": n, "messaging_profile_id": P} for n in numbers],
        "campaigns": [{"tcr_campaign_id": c, "kind": "shared", "number_pooling": True} for c in ("CACME00", "CMKT02")],
        "assignments": [{"phone_number": n, "tcr_campaign_id": "CACME00"} for n in numbers],
    }
    env = make_env(seed=seed, desired=None)
    empty = ("campaign CACME00 (not in the files) will be left without numbers: the plan moves its last 6 numbers off "
             "it; Telnyx suspends a campaign after 15 days with no numbers (dormancy)")
    # The files name only the new campaign: the one the numbers leave is in no file (the 225 -> 0 case).
    # From one shared campaign to another on the same profile only per-number writes can move them
    # (without the opt-in the plan blocks them, and nothing leaves CACME00).
    env.write_desired({"version": 1, "profiles": [{"id": P, "campaigns": [
        {"tcr_campaign_id": "CMKT02", "numbers": numbers}]}]})
    spn = "--shared-per-number"
    r = env.run("plan", "--allow-reassign", "6", spn)
    assert r.code == 0 and f"  - {empty}" in r.out, r.out + r.err
    assert empty in json.loads(env.run("plan", "--format", "json", "--allow-reassign", "6", spn).out)["warnings"]
    assert "left without numbers" not in env.run("plan", "--allow-reassign", "6").out
    # Still declared (with no numbers): the campaign's own count says it.
    env.write_desired({"version": 1, "profiles": [{"id": P, "campaigns": [
        {"tcr_campaign_id": "CMKT02", "numbers": numbers}, {"tcr_campaign_id": "CACME00", "numbers": []}]}]})
    r = env.run("plan", "--allow-reassign", "6", spn)
    assert "  - campaign CACME00 will be left without numbers; Telnyx suspends" in r.out, r.out
    assert "Campaign counts: CACME00 6 → 0 (left without numbers: see Warnings), CMKT02 0 → 6" in r.out
    # Moving all but one: no warning.
    env.write_desired({"version": 1, "profiles": [{"id": P, "campaigns": [
        {"tcr_campaign_id": "CMKT02", "numbers": numbers[1:]}, {"tcr_campaign_id": "CACME00", "numbers": numbers[:1]}]}]})
    assert "left without numbers" not in env.run("plan", "--allow-reassign", "5", spn).out


def test_a_campaign_that_expires_soon_is_warned_ahead(make_env):
    env = make_env()
    # Ten days ahead on the sandbox's clock (Telnyx's clock: every answer's Date header).
    date = httpx.get(env.sb.base_url + "/messaging_profiles", headers={"Authorization": "Bearer sandbox-key"}
                     ).headers["date"]
    soon = (parsedate_to_datetime(date) + timedelta(days=10, hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    env.admin.patch("/campaigns/CALERT7", json={"next_renewal_or_expiration_date": soon, "auto_renewal": False}
                    ).raise_for_status()
    r = env.run("plan")
    assert f"  - campaign CALERT7 expires on {soon[:10]} (in 10 days) and does not renew automatically" in r.out, r.out
    env.admin.patch("/campaigns/CALERT7", json={"auto_renewal": True}).raise_for_status()
    assert "CALERT7 expires" not in env.run("plan").out


def test_numbers_declared_for_a_pending_share_that_still_send_elsewhere_are_not_said_to_be_down(make_env):
    """Outside review (sandbox at scale): numbers still ASSIGNED on their campaign, declared for a partner
    share still PENDING, were headed "Cannot send" in the plan and drift; they send, and stay (blocked)."""
    env = make_env()
    assert env.run("apply", "--auto-approve").code == 0
    text = (env.desired / "acme.yaml").read_text(encoding="utf-8")
    # The alerts numbers, ASSIGNED to CALERT7 by the apply, declared for CPEND42 (shared, PENDING).
    (env.desired / "acme.yaml").write_text(text.replace("tcr_campaign_id: CALERT7", "tcr_campaign_id: CPEND42"),
                                           encoding="utf-8")
    assert env.assignments()["+13125550200"] == ("CALERT7", "ASSIGNED")

    p = env.run("plan")
    assert p.code == 0, p.out + p.err
    assert "Cannot send" not in p.out
    assert p.out.splitlines()[1].startswith("Campaign health: 1 unhealthy campaign (no number stops; 2 declared for "
                                            "it send today on another campaign)")
    assert ("stops none of its 2 declared numbers; 2 send today on another campaign and stay there (blocked) until it "
            "can carry traffic") in p.out
    md = env.run("plan", "--format", "markdown").out
    assert "Cannot send" not in md and "**Campaign health: 1 unhealthy campaign (no number stops" in md
    (h,) = json.loads(env.run("plan", "--format", "json").out)["unhealthy_campaigns"]
    assert (h["tcr_campaign_id"], h["numbers_declared"], h["numbers_stopped"], h["numbers_elsewhere"]) == (
        "CPEND42", 2, 0, 2)
    d = env.run("drift")
    assert d.code == 2 and d.out.startswith("Drift: 1 unhealthy campaign (no number stops; 2 declared for it send "
                                            "today on another campaign)")
    assert env.assignments()["+13125550200"] == ("CALERT7", "ASSIGNED")  # nothing was written
