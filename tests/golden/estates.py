"""Deterministic plans for the golden-file tests: built from model values, no I/O."""

from __future__ import annotations

from reconciler.model import (
    DesiredNumber,
    DesiredProfile,
    DesiredState,
    LiveAssignment,
    LiveCampaign,
    LiveNumber,
    LiveState,
    Policy,
)
from reconciler.plan import Plan, PlanOptions, make_plan

P1 = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"
P2 = "7b1e3c52-9a4f-4d8e-b6a2-1f0c9d8e7a65"
PX = "0c9a7f3e-2b1d-4e5f-8a6b-3c2d1e0f9a8b"


def _state(profiles: dict[str, tuple[str, list[tuple[str, list[str]]]]], live_numbers: dict[str, str | None],
           assigned: dict[str, tuple[str, str]], campaigns: dict[str, LiveCampaign], policy: Policy
           ) -> tuple[DesiredState, LiveState]:
    dp, dn = {}, {}
    line = 1
    for pid, (name, camps) in profiles.items():
        dp[pid] = DesiredProfile(pid, name, tuple(c for c, _ in camps))
        for c, numbers in camps:
            for n in numbers:
                line += 1
                dn[n] = DesiredNumber(n, pid, c, "desired-state/estate.yaml", line, 11)
    live = LiveState(
        numbers={n: LiveNumber(n, str(10_000_000 + i), p, "longcode") for i, (n, p) in enumerate(sorted(live_numbers.items()))},
        assignments={n: LiveAssignment(n, c, s, "carrier rejected" if s.startswith("FAILED") else None)
                     for n, (c, s) in assigned.items()},
        campaigns=campaigns,
        profiles={PX: "legacy", **{pid: name for pid, (name, _) in profiles.items()}},
    )
    return DesiredState(dp, dn, policy), live


def small() -> Plan:
    """Every kind of change on a handful of numbers: assign, move, reassign, retry, blocked, unmanaged, prune."""
    n = lambda i: f"+1312555{i:04d}"  # noqa: E731
    campaigns = {
        "CWZTFH1": LiveCampaign("CWZTFH1", "shared", "ACCEPTED", "MNO_PROVISIONED"),
        "CALERT7": LiveCampaign("CALERT7", "telnyx", None, "MNO_PROVISIONED", telnyx_campaign_id="u-alert"),
        "CNOTIF9": LiveCampaign("CNOTIF9", "telnyx", None, "MNO_PROVISIONED", telnyx_campaign_id="u-notif"),
        "CPEND42": LiveCampaign("CPEND42", "shared", "PENDING", "TCR_ACCEPTED"),
    }
    desired, live = _state(
        {P1: ("acme-marketing", [("CWZTFH1", [n(100), n(101), n(102), n(103)])]),
         P2: ("acme-alerts", [("CALERT7", [n(200), n(201), n(204)]), ("CNOTIF9", [n(202)]),
                              ("CPEND42", [n(203)])])},
        {n(100): P1, n(101): P1, n(102): PX, n(103): None, n(200): P2, n(201): P2, n(202): PX, n(203): P2,
         n(204): P2, n(205): P2},
        {n(101): ("CWZTFH1", "ASSIGNED"), n(200): ("CNOTIF9", "ASSIGNED"), n(204): ("CALERT7", "FAILED_ASSIGNMENT"),
         n(205): ("CALERT7", "ASSIGNED")},
        campaigns, Policy(prune=True))
    return make_plan(desired, live, PlanOptions())


def big(count: int = 10_000) -> Plan:
    """`count` numbers over 20 profiles, each with its own campaign (number pooling on): a large adoption,
    a slice reassigned, plus a prune that is over the safety limit."""
    profiles: dict[str, tuple[str, list[tuple[str, list[str]]]]] = {}
    live_numbers: dict[str, str | None] = {}
    assigned: dict[str, tuple[str, str]] = {}
    campaigns: dict[str, LiveCampaign] = {}
    per = count // 20
    for g in range(20):
        pid = f"{g:08x}-0000-4000-8000-{g:012x}"
        tcr = f"CBIG{g:03d}"
        campaigns[tcr] = LiveCampaign(tcr, "telnyx", None, "MNO_PROVISIONED", number_pooling=True,
                                      telnyx_campaign_id=f"u-{g}")
        numbers = [f"+1{312 + g:03d}555{i:04d}" for i in range(per)]
        profiles[pid] = (f"group-{g:02d}", [(tcr, numbers)])
        for i, num in enumerate(numbers):
            live_numbers[num] = pid if i % 7 else None
            if i % 3 == 0:
                assigned[num] = (tcr, "ASSIGNED")
            elif i % 50 == 1:
                assigned[num] = (f"CBIG{(g + 1) % 20:03d}", "ASSIGNED")
        extra = f"+1{312 + g:03d}556{0:04d}"  # undeclared, on the profile, on the campaign: pruned
        live_numbers[extra] = pid
        assigned[extra] = (tcr, "ASSIGNED")
    desired, live = _state(profiles, live_numbers, assigned, campaigns, Policy(prune=True, max_unassign=5))
    return make_plan(desired, live, PlanOptions())
