"""A generated estate at real size for the sandbox: 12 messaging profiles of 250 declared numbers
(3,000), each also holding 25 numbers no file declares (300 unmanaged, with no campaign), as an
account looks right after `import`. Each profile has its own Telnyx campaign (number pooling on);
`shared_profile` gives profile 0 a shared campaign instead (Telnyx: bulk by profile only).

The line budgets of issue 20 (item 3) are counted on the real CLI's output against it.
"""

from __future__ import annotations

from typing import Any, Callable

PROFILES = 12
PER_PROFILE = 250
UNMANAGED_PER_PROFILE = 25
SHARED = "CSHARE0"


def number(i: int) -> str:
    """The i-th number: +1 312 NXX XXXX, a valid US long code."""
    return f"+1312{200 + i // 10000:03d}{i % 10000:04d}"


def profile(g: int) -> str:
    return f"00000000-0000-4000-8000-{g:012d}"


def campaign(g: int, *, shared_profile: bool = False) -> str:
    return SHARED if shared_profile and g == 0 else f"CSIZE{g:02d}"


def declared(g: int) -> list[str]:
    return [number(g * 1000 + i) for i in range(PER_PROFILE)]


def unmanaged(g: int) -> list[str]:
    return [number(g * 1000 + 500 + i) for i in range(UNMANAGED_PER_PROFILE)]


def seed(*, assigned: Callable[[int, str], bool] = lambda g, n: True, shared_profile: bool = False,
         extra_campaigns: tuple[str, ...] = ()) -> dict[str, Any]:
    """The account: every number on its profile; declared numbers for which `assigned(g, n)` holds
    ASSIGNED to their campaign; the unmanaged ones with no campaign."""
    campaigns = [{"tcr_campaign_id": campaign(g, shared_profile=shared_profile), "kind": "telnyx",
                  "campaign_status": "MNO_PROVISIONED", "number_pooling": True} for g in range(PROFILES)]
    if shared_profile:
        campaigns[0] = {"tcr_campaign_id": SHARED, "kind": "shared", "sharing_status": "ACCEPTED",
                        "campaign_status": "MNO_PROVISIONED", "number_pooling": True}
    campaigns += [{"tcr_campaign_id": c, "kind": "telnyx", "campaign_status": "MNO_PROVISIONED",
                   "number_pooling": True} for c in extra_campaigns]
    return {
        "messaging_profiles": [{"id": profile(g), "name": f"team-{g:02d}"} for g in range(PROFILES)],
        "phone_numbers": [{"phone_number": n, "messaging_profile_id": profile(g)}
                          for g in range(PROFILES) for n in declared(g) + unmanaged(g)],
        "campaigns": campaigns,
        "assignments": [{"phone_number": n, "tcr_campaign_id": campaign(g, shared_profile=shared_profile),
                         "status": "ASSIGNED"}
                        for g in range(PROFILES) for n in declared(g) if assigned(g, n)],
    }


def desired(*, shared_profile: bool = False, campaign_of: Callable[[int], str] | None = None) -> dict[str, Any]:
    """The files: every profile's 250 numbers on its campaign (`campaign_of(g)` to redeclare one)."""
    pick = campaign_of or (lambda g: campaign(g, shared_profile=shared_profile))
    return {"version": 1, "profiles": [
        {"id": profile(g), "name": f"team-{g:02d}", "campaigns": [{"tcr_campaign_id": pick(g), "numbers": declared(g)}]}
        for g in range(PROFILES)]}
