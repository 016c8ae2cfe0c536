"""How long Telnyx typically takes, in one place: every estimate the reconciler prints (a plan's
timeline, the hours of service a plan interrupts) is made from these figures.

Telnyx support's figures (../shared/research/10dlc-domain.md §1.3 and §8), the same the sandbox's
`realistic` timing preset uses (tests check that the two agree): a bulk task is processed in about a
minute, a number stays PENDING_ASSIGNMENT for about two hours (sometimes days), PENDING_UNASSIGNMENT
about an hour, and a messaging-profile move order takes about a minute.
"""

from __future__ import annotations

TASK = 60.0  # a bulk assignment task: created → processed
ORDER = 60.0  # a messaging-profile bulk update order: created → done
ASSIGNMENT = 7200.0  # PENDING_ASSIGNMENT → ASSIGNED
UNASSIGNMENT = 3600.0  # PENDING_UNASSIGNMENT → the record is gone

# A number freed from its old campaign and then assigned to its new one: without a campaign while
# Telnyx frees it, then PENDING_ASSIGNMENT (the task or request in between is about a minute).
FREE_THEN_ASSIGN = UNASSIGNMENT + TASK + ASSIGNMENT
# A number moved in place (bulk task or PUT): PENDING_ASSIGNMENT on its new campaign.
IN_PLACE = TASK + ASSIGNMENT


def hours(seconds: float) -> str:
    """`about 3 h`, `about 45 min`: how a duration is said in reports."""
    if seconds < 3600 - 1:
        return f"about {max(1, round(seconds / 60))} min"
    return f"about {round(seconds / 3600):g} h"
