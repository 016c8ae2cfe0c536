"""Seed and desired state shared by the sandbox and cassette tests."""

from __future__ import annotations

from reconciler.model import DesiredNumber, DesiredProfile, DesiredState

P1 = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"
P2 = "5001767e-ce0f-4cae-9d5f-0d5e636e7809"
P3 = "6001767e-ce0f-4cae-9d5f-0d5e636e7809"
PBIG = "7001767e-ce0f-4cae-9d5f-0d5e636e7809"


def n(i: int) -> str:
    return f"+1312555{i:04d}"


SEED = {
    "messaging_profiles": [{"id": P1, "name": "acme-marketing"}, {"id": P2, "name": "acme-alerts"},
                           {"id": P3, "name": "elsewhere"}],
    "phone_numbers": (
        [{"phone_number": n(i), "messaging_profile_id": P1} for i in (100, 101, 102, 103, 104, 140)]
        + [{"phone_number": n(i), "messaging_profile_id": P2} for i in (110, 111)]
        + [{"phone_number": "+18005550100", "messaging_profile_id": P2, "type": "tollfree"},
           {"phone_number": n(120), "messaging_profile_id": P3},
           {"phone_number": n(130), "messaging_profile_id": None}]
    ),
    "campaigns": [
        {"tcr_campaign_id": "CSHARE1", "kind": "shared", "sharing_status": "ACCEPTED",
         "campaign_status": "MNO_PROVISIONED", "number_pooling": False},
        {"tcr_campaign_id": "COTHER1", "kind": "shared", "sharing_status": "ACCEPTED",
         "campaign_status": "MNO_PROVISIONED"},
        {"tcr_campaign_id": "CPEND01", "kind": "shared", "sharing_status": "PENDING",
         "campaign_status": "TCR_ACCEPTED"},
        {"tcr_campaign_id": "CTLNX01", "kind": "telnyx", "campaign_status": "MNO_PROVISIONED",
         "number_pooling": True},
    ],
    "assignments": [
        {"phone_number": n(100), "tcr_campaign_id": "CSHARE1", "status": "ASSIGNED"},
        {"phone_number": n(101), "tcr_campaign_id": "CSHARE1", "status": "PENDING_ASSIGNMENT"},
        {"phone_number": n(102), "tcr_campaign_id": "COTHER1", "status": "ASSIGNED"},
        {"phone_number": n(103), "tcr_campaign_id": "CSHARE1", "status": "FAILED_ASSIGNMENT",
         "failure_reasons": "carrier rejected"},
        {"phone_number": n(110), "tcr_campaign_id": "CTLNX01", "status": "ASSIGNED"},
        {"phone_number": n(120), "tcr_campaign_id": "CSHARE1", "status": "ASSIGNED"},
        {"phone_number": n(140), "tcr_campaign_id": "CSHARE1", "status": "ASSIGNED"},
    ],
}


def desired_of(spec: dict[str, dict[str, list[str]]], names: dict[str, str] | None = None) -> DesiredState:
    profiles, numbers = {}, {}
    line = 1
    for pid, camps in spec.items():
        profiles[pid] = DesiredProfile(pid, (names or {}).get(pid), tuple(camps))
        for tcr, nums in camps.items():
            for num in nums:
                numbers[num] = DesiredNumber(num, pid, tcr, "desired-state/x.yaml", line, 7)
                line += 1
    return DesiredState(profiles=profiles, numbers=numbers)


DESIRED = desired_of({
    P1: {"CSHARE1": [n(i) for i in (100, 101, 102, 103, 120, 130, 199)], "CPEND01": [n(104)]},
    P2: {"CTLNX01": [n(110), n(111)], "CUNKNWN": []},
})
