"""Campaign health: can a campaign take numbers now, and can it carry traffic? Pure.

`diff` blocks an assignment to a campaign that cannot take numbers (`campaign_problem`); plans,
drift and apply's recovery name the declared campaigns that cannot carry traffic
(`traffic_problem`). Both ask the same of a share to Telnyx (`share_problem`): one rule for
assigning and for sending.
"""

from __future__ import annotations

from reconciler.model import CONFLICTING, OTHER_PARTNER, SHARED, TELNYX_CNP_ID, LiveCampaign

# The one home of "which campaignStatus values mean what" (Telnyx's enum, 10dlc-domain.md §2.5):
# - ACTIVE_STATUSES carry traffic: carriers accepted the campaign (MNO_PROVISIONED; MNO_ACCEPTED is
#   their acceptance before provisioning ends). A number sends only on one of these, with an ACCEPTED
#   share for a shared campaign (contract, "Messaging continuity").
# - ASSIGNABLE_STATUSES accept assignments: the active ones, and TCR_SUSPENDED, which is dormancy:
#   Telnyx says the first assignment fails and wakes the campaign, so apply retries (support 10723378).
#   A dormant campaign is assignable but carries no traffic until it wakes.
# - Every other value (and one this reconciler does not know, kept verbatim) carries no traffic.
ACTIVE_STATUSES = frozenset({"MNO_PROVISIONED", "MNO_ACCEPTED"})
DORMANT = "TCR_SUSPENDED"
ASSIGNABLE_STATUSES = ACTIVE_STATUSES | {DORMANT}
# What a status that carries no traffic means, in words, and what fixes it.
STATUS_MEANING = {
    "TCR_SUSPENDED": "suspended: dormant (15 days without numbers; assigning a number wakes it) or suspended by a "
                     "carrier (ask the campaign's provider)",
    "TCR_EXPIRED": "expired: Telnyx cannot restore it; register a new campaign and move its numbers there",
    "TCR_FAILED": "rejected at TCR: fix the registration, or move its numbers to another campaign",
    "TELNYX_FAILED": "rejected in Telnyx's review: appeal it, or move its numbers to another campaign",
    "MNO_REJECTED": "rejected by carriers: resubmit it, or move its numbers to another campaign",
    "MNO_PROVISIONING_FAILED": "carriers failed to provision it: ask Telnyx support",
    "TCR_PENDING": "in review at TCR, not yet approved by carriers",
    "TCR_ACCEPTED": "in review, not yet approved by carriers",
    "TELNYX_ACCEPTED": "in review, not yet approved by carriers",
    "MNO_PENDING": "in review by carriers, not yet approved",
}


def share_problem(campaign: LiveCampaign, tcr_id: str) -> str | None:
    """Why a shared campaign's share to Telnyx does not let it carry traffic nor take numbers, or None."""
    if campaign.kind != SHARED:
        return None
    sharing = (campaign.sharing_status or "UNKNOWN").upper()
    if sharing == "ACCEPTED":
        return None
    if sharing == "PENDING":
        return (f"campaign {tcr_id} is shared to Telnyx but its sharing status is PENDING, not ACCEPTED: "
                "waiting for Telnyx to review and accept the share (no change to the files helps; Telnyx support "
                "can say where it stands)")
    if sharing == CONFLICTING:
        return (f"campaign {tcr_id}: Telnyx's sharing answer lists several shares with different statuses and "
                "does not say which one is to Telnyx; nothing is written for it until the answer is clear "
                "(check the share at TCR)")
    if sharing == OTHER_PARTNER:
        return (f"campaign {tcr_id} is shared, but every share Telnyx lists names another connectivity "
                f"partner, not Telnyx (CNP {TELNYX_CNP_ID}): share it to Telnyx at TCR")
    return (f"campaign {tcr_id} is shared to Telnyx but its sharing status is {sharing}, not ACCEPTED: "
            "ask the campaign's provider to share it again")


def campaign_problem(campaign: LiveCampaign | None, tcr_id: str) -> str | None:
    """Why numbers cannot be assigned to this campaign now, or None."""
    if campaign is None:
        return (f"campaign {tcr_id} is not known to this Telnyx account (not shared to Telnyx, or the share is not "
                "visible): check the id for a typo, or share it to Telnyx at TCR")
    shared = share_problem(campaign, tcr_id)
    if shared:
        return shared
    status = campaign.campaign_status
    if status not in ASSIGNABLE_STATUSES:
        return f"campaign {tcr_id} is not active (campaignStatus {status or 'unknown'})"
    return None


def traffic_problem(campaign: LiveCampaign | None, tcr_id: str) -> str | None:
    """Why this campaign cannot carry traffic now (its numbers cannot send), or None: unknown to the
    account, a share to Telnyx that is not ACCEPTED, or a campaignStatus that is not active."""
    if campaign is None:
        return campaign_problem(None, tcr_id)
    shared = share_problem(campaign, tcr_id)
    if shared:
        return shared
    status = campaign.campaign_status
    if status in ACTIVE_STATUSES:
        return None
    if status is None:
        return f"campaign {tcr_id}: Telnyx does not say its campaignStatus, so it cannot be known to carry traffic"
    meaning = STATUS_MEANING.get(status, "a status this reconciler does not know; it is not an active one")
    if status == DORMANT and campaign.assigned_count:
        # Dormancy comes of 15 days without numbers: one that holds numbers was suspended, not put to sleep.
        meaning = (f"suspended by a carrier or at TCR (it holds {campaign.assigned_count} numbers, so it is not "
                   "dormant): ask the campaign's provider")
    return f"campaign {tcr_id} is not active (campaignStatus {status}): {meaning}"


def carries_traffic(campaign: LiveCampaign | None) -> bool:
    """Can numbers ASSIGNED to this campaign send now?"""
    return campaign is not None and traffic_problem(campaign, campaign.tcr_campaign_id) is None
