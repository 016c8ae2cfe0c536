"""Campaign health, one fact at a time: which campaigns cannot carry traffic (the one rule,
`diff.health.traffic_problem`), how many declared numbers each stops, that drift counts it and plans say it,
and the warnings ahead of a lapse: a campaign left empty (declared or not) and one about to expire."""

from __future__ import annotations

import pytest

from reconciler.diff.health import (ACTIVE_STATUSES, ASSIGNABLE_STATUSES, STATUS_MEANING, campaign_problem,
                                    carries_traffic, share_problem, traffic_problem)
from reconciler.drift import drift_report
from reconciler.model import LiveCampaign
from reconciler.planfile import plan_dict
from reconciler.render import drift_markdown, drift_text, plan_markdown, plan_text

from tests.test_plan_rules import PA, SH, TX, XX, Estate, plan

# Telnyx's campaignStatus enum (TelnyxCampaign_CSP / TelnyxDownstreamCampaign in the spec).
ENUM = ("TCR_PENDING", "TCR_SUSPENDED", "TCR_EXPIRED", "TCR_ACCEPTED", "TCR_FAILED", "TELNYX_ACCEPTED", "TELNYX_FAILED",
        "MNO_PENDING", "MNO_ACCEPTED", "MNO_REJECTED", "MNO_PROVISIONED", "MNO_PROVISIONING_FAILED")
DAY = 86400.0


def test_only_carrier_approved_statuses_carry_traffic_and_every_other_value_says_why():
    assert ACTIVE_STATUSES == {"MNO_PROVISIONED", "MNO_ACCEPTED"}
    assert ASSIGNABLE_STATUSES == ACTIVE_STATUSES | {"TCR_SUSPENDED"}  # dormant: assignable, not sending
    assert set(STATUS_MEANING) == set(ENUM) - ACTIVE_STATUSES  # every other value of the enum, in words
    for status in ENUM:
        c = LiveCampaign(TX, "telnyx", None, status)
        assert carries_traffic(c) is (status in ACTIVE_STATUSES), status
        if status not in ACTIVE_STATUSES:
            assert traffic_problem(c, TX) == (f"campaign {TX} is not active (campaignStatus {status}): "
                                              f"{STATUS_MEANING[status]}")
    odd = traffic_problem(LiveCampaign(TX, "telnyx", None, "NEW_VALUE"), TX)
    assert odd is not None and "NEW_VALUE" in odd and "does not know" in odd
    assert "does not say" in (traffic_problem(LiveCampaign(TX, "telnyx", None, None), TX) or "")
    assert traffic_problem(None, TX) == campaign_problem(None, TX)
    # Dormancy is 15 days without numbers: a suspended campaign that holds numbers is not called dormant.
    holding = traffic_problem(LiveCampaign(TX, "telnyx", None, "TCR_SUSPENDED", assigned_count=225), TX) or ""
    assert "holds 225 numbers, so it is not dormant" in holding and "15 days" not in holding


@pytest.mark.parametrize("sharing", ["DECLINED", "PENDING", "CONFLICTING", "OTHER_PARTNER", None])
def test_a_share_that_is_not_accepted_carries_no_traffic_and_blocks_the_same_way(sharing):
    c = LiveCampaign(SH, "shared", sharing, "MNO_PROVISIONED")
    assert not carries_traffic(c)
    assert traffic_problem(c, SH) == campaign_problem(c, SH)  # one rule for assigning and for sending
    assert carries_traffic(LiveCampaign(SH, "shared", "ACCEPTED", "MNO_PROVISIONED"))


SHARED_TO = f"campaign {SH} is shared to Telnyx but its sharing status is"


@pytest.mark.parametrize("sharing, says", [
    ("ACCEPTED", None),
    ("accepted", None),  # Telnyx's case is not ours to judge
    ("PENDING", f"{SHARED_TO} PENDING, not ACCEPTED: waiting for Telnyx to review and accept the share (no change to the files helps; Telnyx support can say where it stands)"),
    ("CONFLICTING", f"campaign {SH}: Telnyx's sharing answer lists several shares with different statuses and does "
                    "not say which one is to Telnyx; nothing is written for it until the answer is clear (check the "
                    "share at TCR)"),
    ("OTHER_PARTNER", f"campaign {SH} is shared, but every share Telnyx lists names another connectivity partner, "
                      "not Telnyx (CNP SS4XJ6D): share it to Telnyx at TCR"),
    ("DECLINED", f"{SHARED_TO} DECLINED, not ACCEPTED: ask the campaign's provider to share it again"),
    (None, f"{SHARED_TO} UNKNOWN, not ACCEPTED: ask the campaign's provider to share it again"),
])
def test_each_share_to_telnyx_that_is_not_accepted_says_why_and_what_to_do(sharing, says):
    assert share_problem(LiveCampaign(SH, "shared", sharing, "MNO_PROVISIONED"), SH) == says
    assert share_problem(LiveCampaign(TX, "telnyx", sharing, "MNO_PROVISIONED"), TX) is None  # not shared: no share


def test_a_campaign_status_telnyx_does_not_give_or_this_reconciler_does_not_know_is_said_so():
    assert campaign_problem(LiveCampaign(TX, "telnyx", None, None), TX) == \
        f"campaign {TX} is not active (campaignStatus unknown)"
    assert traffic_problem(LiveCampaign(TX, "telnyx", None, "NEW_VALUE"), TX) == (
        f"campaign {TX} is not active (campaignStatus NEW_VALUE): a status this reconciler does not know; it is not "
        "an active one")


def suspended_after_a_clean_apply(status: str = "TCR_SUSPENDED", sharing: str = "ACCEPTED") -> Estate:
    """Four declared numbers on SH, three of them ASSIGNED there, one still on another campaign."""
    e = (Estate().declare(PA, SH, 1, 2, 3, 4).on(PA, 1, 2, 3, 4).held(SH, "ASSIGNED", 1, 2, 3)
         .held(XX, "ASSIGNED", 4).declare(PA, TX))
    e.live.campaigns[SH] = LiveCampaign(SH, "shared", sharing, status, failure_reasons="carrier <b>audit</b>")
    return e


def test_the_plan_names_each_unhealthy_campaign_with_the_numbers_it_stops():
    p = plan(suspended_after_a_clean_apply())
    (h,) = p.unhealthy  # TX is healthy and holds nothing: not listed
    assert (h.tcr_campaign_id, h.campaign_status, h.sharing_status, h.numbers_declared, h.numbers_stopped) == (
        SH, "TCR_SUSPENDED", "ACCEPTED", 4, 3)
    assert h.telnyx_reason == "carrier <b>audit</b>" and h.problem.startswith(f"campaign {SH} is not active")
    assert plan_dict(p)["unhealthy_campaigns"][0]["numbers_stopped"] == 3
    # Not a change: the checksum (what apply would do) is the same as with a healthy campaign.
    healthy = suspended_after_a_clean_apply("MNO_PROVISIONED")
    assert plan(healthy).unhealthy == () and plan(healthy).checksum() == p.checksum()


def test_drift_counts_an_unhealthy_campaign_even_when_every_number_is_as_declared():
    e = Estate().declare(PA, SH, 1, 2).on(PA, 1, 2).held(SH, "ASSIGNED", 1, 2)
    assert not drift_report(plan(e)).drifted
    e.live.campaigns[SH] = LiveCampaign(SH, "shared", "DECLINED", None)
    report = drift_report(plan(e))
    assert report.drifted and report.counts == {k: 0 for k in report.counts}  # no number differs
    text = drift_text(report)
    assert text.startswith("Drift: 1 unhealthy campaign (2 numbers cannot send)\n")
    assert f"{SH} (shared, sharing DECLINED): stops 2 of 2 declared numbers" in text
    md = drift_markdown(report)
    assert md.index("> [!CAUTION]") < md.index("**Drift found: 1 unhealthy campaign (2 numbers cannot send).**")


def test_what_telnyx_says_of_a_campaign_is_escaped_like_every_free_text_value():
    p = plan(suspended_after_a_clean_apply())
    assert "Telnyx says: carrier &lt;b&gt;audit&lt;/b&gt;" in plan_markdown(p)
    assert "TCR\\_SUSPENDED" in plan_markdown(p)
    text = plan_text(p)
    assert [line for line in text.splitlines() if line.startswith("Cannot send: ")][0].startswith(
        "Cannot send: 1 unhealthy campaign (3 numbers cannot send); not a change")
    assert "Telnyx says: carrier <b>audit</b>" in text  # text is plain: no markup to escape, but one line


def test_a_campaign_none_of_whose_numbers_are_on_it_yet_says_so():
    e = Estate().declare(PA, SH, 1).on(PA, 1)
    e.live.campaigns[SH] = LiveCampaign(SH, "shared", "PENDING", None)
    p = plan(e)
    assert [(h.numbers_declared, h.numbers_stopped) for h in p.unhealthy] == [(1, 0)]
    assert f"{SH} (shared, sharing PENDING): none of its 1 declared number is assigned to it yet" in plan_text(p)
    # No number is stopped by it: not headed "Cannot send" (it sends nowhere today, whatever the campaign).
    assert "Campaign health: 1 unhealthy campaign; not a change" in plan_text(p)
    assert "Cannot send" not in plan_text(p) + plan_markdown(p)


def pending_share_over_sending_numbers(stopped: int = 0) -> Estate:
    """Two declared numbers for a share still PENDING, both still ASSIGNED (and sending) on another
    campaign; `stopped` more ASSIGNED on the share itself (the sandbox at scale: C9NM70K over CV6O9P5)."""
    held = tuple(range(3, 3 + stopped))
    e = Estate().declare(PA, SH, 1, 2, *held).on(PA, 1, 2, *held).held(XX, "ASSIGNED", 1, 2)
    if held:
        e = e.held(SH, "ASSIGNED", *held)
    e.live.campaigns[SH] = LiveCampaign(SH, "shared", "PENDING", "MNO_PROVISIONED")
    return e


def test_numbers_that_still_send_elsewhere_are_said_apart_and_never_counted_as_down():
    """Outside review: 2 numbers still ASSIGNED (sending) on another campaign, declared for a share still
    PENDING, were headed "Cannot send"; only the JSON said they send."""
    p = plan(pending_share_over_sending_numbers())
    (h,) = p.unhealthy
    assert (h.numbers_declared, h.numbers_stopped, h.numbers_elsewhere) == (2, 0, 2)
    assert plan_dict(p)["unhealthy_campaigns"][0]["numbers_elsewhere"] == 2
    text = plan_text(p)
    assert "Cannot send" not in text
    assert ("Campaign health: 1 unhealthy campaign (no number stops; 2 declared for it send today on another "
            "campaign); not a change") in text
    assert (f"{SH} (shared, MNO_PROVISIONED, sharing PENDING): stops none of its 2 declared numbers; 2 send today on another campaign "
            "and stay there (blocked) until it can carry traffic — ") in text
    md = plan_markdown(p)
    assert "Cannot send" not in md and "> [!CAUTION]" not in md.split("**Unhealthy")[0]
    assert "> **Campaign health: 1 unhealthy campaign (no number stops; 2 declared for it send today" in md
    drift = drift_text(drift_report(p))
    assert drift.startswith("Drift: 1 unhealthy campaign (no number stops; 2 declared for it send today on another "
                            "campaign)")


def test_numbers_that_cannot_send_are_counted_apart_from_those_that_send_elsewhere():
    p = plan(pending_share_over_sending_numbers(stopped=3))
    assert [(h.numbers_declared, h.numbers_stopped, h.numbers_elsewhere) for h in p.unhealthy] == [(5, 3, 2)]
    text = plan_text(p)
    assert ("Cannot send: 1 unhealthy campaign (3 numbers cannot send; 2 declared for it send today on another "
            "campaign); not a change") in text
    assert ("stops 3 of 5 declared numbers (assigned to it, they cannot send); 2 send today on another campaign and "
            "stay there (blocked) until it can carry traffic") in text
    assert "> [!CAUTION]" in plan_markdown(p)


def test_a_number_the_plan_moves_onto_an_unhealthy_campaign_is_not_said_to_stay_where_it_sends():
    # TCR_SUSPENDED (dormant) takes assignments: number 4 is reassigned to it, so it does not stay on XX.
    assert [h.numbers_elsewhere for h in plan(suspended_after_a_clean_apply()).unhealthy] == [0]


def test_a_saved_plan_keeps_the_numbers_that_send_elsewhere(tmp_path):
    import json

    from reconciler import planfile

    p = plan(pending_share_over_sending_numbers(stopped=1))
    back = planfile.from_dict(json.loads(json.dumps(planfile.dump(p))))
    assert back.unhealthy == p.unhealthy and back.unhealthy[0].numbers_elsewhere == 2
    old = planfile.dump(p)
    del old["unhealthy_campaigns"][0]["numbers_elsewhere"]  # a file saved before the key: none said
    assert planfile.from_dict(old).unhealthy[0].numbers_elsewhere == 0


def test_a_plan_that_empties_a_campaign_the_files_dropped_warns():
    """The 225 → 0 move: the numbers' old campaign is no longer in the files, so it had no campaign plan and
    no warning. Telnyx's assignedPhoneNumbersCount (the campaign lists) tells whether the plan empties it."""
    e = Estate().declare(PA, TX, 1, 2).on(PA, 1, 2).held(XX, "ASSIGNED", 1, 2)
    empty = (f"campaign {XX} (not in the files) will be left without numbers: the plan moves its last 2 numbers off "
             f"it; Telnyx suspends a campaign after 15 days with no numbers (dormancy)")
    e.live.campaign_counts[XX] = 2
    assert empty in plan(e).warnings
    e.live.campaign_counts[XX] = 3  # it keeps one number the files never declared
    assert not [w for w in plan(e).warnings if XX in w]
    del e.live.campaign_counts[XX]  # not listed with a count: only what this run read is known
    (w,) = [w for w in plan(e).warnings if XX in w]
    assert w.startswith(f"campaign {XX} (not in the files) may be left without numbers: the plan moves every number "
                        "this run saw on it (2) off it, and Telnyx did not say how many it holds")


def test_a_declared_campaign_left_empty_still_warns_once():
    e = Estate().declare(PA, TX, 1).declare(PA, XX).on(PA, 1).held(XX, "ASSIGNED", 1)
    e.live.campaign_counts[XX] = 1
    assert [w for w in plan(e).warnings if XX in w] == [
        f"campaign {XX} will be left without numbers; Telnyx suspends a campaign after 15 days with no numbers "
        f"(dormancy)"]


def expiring(days: float, auto: bool | None) -> Estate:
    e = Estate().declare(PA, TX, 1).on(PA, 1).held(TX, "ASSIGNED", 1)
    e.live.read_at = 1_800_000_000.0
    e.live.campaigns[TX] = LiveCampaign(TX, "telnyx", None, "MNO_PROVISIONED", telnyx_campaign_id="uuid-tx",
                                        renewal_at=e.live.read_at + days * DAY, auto_renewal=auto)
    return e


def test_a_campaign_that_lapses_soon_is_warned_ahead():
    (w,) = plan(expiring(12.5, False)).warnings
    assert w == (f"campaign {TX} expires on 2027-01-27 (in 12 days) and does not renew automatically: renew it in the "
                 "Telnyx portal, or its numbers stop sending (an expired campaign cannot be restored)")
    (w,) = plan(expiring(3, None)).warnings
    assert w.startswith(f"campaign {TX} is due for renewal or expiry on 2027-01-18 (in 3 days), and Telnyx does not "
                        "say whether it renews automatically")
    assert "already past" in plan(expiring(-1, False)).warnings[0]
    assert plan(expiring(3, True)).warnings == ()  # renews itself
    assert plan(expiring(31, False)).warnings == ()  # not soon
    unknown_now = expiring(3, False)
    unknown_now.live.read_at = None
    assert plan(unknown_now).warnings == ()
