"""Pure planning: findings → a `Plan` with a strategy per profile, safety, preconditions.

The one rule that shapes everything (contract, "Scope"): a bulk assignment by
profile assigns *every* number on that profile, so it may be used only where
every number on the profile, after the planned moves, is declared for that
same campaign. Elsewhere numbers are assigned one by one, which Telnyx does
not document for shared campaigns (10dlc-domain.md §3.4): those changes are
blocked with a suggestion, unless the run opts in (`shared_per_number`).

`model` holds the types, `make` the order of the work (`make_plan`), `strategy` bulk or per
number, `report` the warnings, timeline and safety limits reviewers read.
"""

from reconciler.model import plural

from .make import make_plan
from .model import (
    BULK,
    BULK_MIN_TELNYX,
    DEFAULT_MAX_REASSIGN,
    DEFAULT_MAX_REASSIGN_PERCENT,
    DEFAULT_MAX_UNASSIGN,
    DEFAULT_MAX_UNASSIGN_PERCENT,
    NONE,
    PER_NUMBER,
    PERCENT_MIN_EXISTING,
    SCHEMA_VERSION,
    CampaignHealth,
    CampaignPlan,
    Plan,
    PlanOptions,
    ProfilePlan,
    Strategy,
    change_dict,
    profile_label,
)
from .report import PHASE

__all__ = ["BULK", "BULK_MIN_TELNYX", "DEFAULT_MAX_REASSIGN", "DEFAULT_MAX_REASSIGN_PERCENT", "DEFAULT_MAX_UNASSIGN",
           "DEFAULT_MAX_UNASSIGN_PERCENT", "NONE", "PER_NUMBER", "PERCENT_MIN_EXISTING", "PHASE", "SCHEMA_VERSION",
           "CampaignHealth", "CampaignPlan", "Plan", "PlanOptions", "ProfilePlan", "Strategy", "change_dict", "make_plan", "plural",
           "profile_label"]
