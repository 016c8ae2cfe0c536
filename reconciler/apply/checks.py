"""Pure checks and selections over a plan: what a saved plan may still do, what later rounds plan with."""

from __future__ import annotations

from reconciler.diff import UNSEEN, Action, Finding
from reconciler.model import LiveState
from reconciler.plan import Plan, PlanOptions, make_plan


def resent_numbers(plan: Plan) -> frozenset[str]:
    """Declared numbers of the plan's bulk campaigns on profiles whose task re-sends some."""
    pairs = {(p.id, p.resend_campaign) for p in plan.profiles.values() if p.resends}
    if not pairs:
        return frozenset()
    return frozenset(n for n, d in plan.desired.numbers.items() if (d.profile_id, d.tcr_campaign_id) in pairs)


def resends_allowed(plan: Plan, pid: str | None, campaign: str | None) -> int:
    """How many numbers already ASSIGNED a next phase's bulk of `pid` to `campaign` may re-send: those the
    reviewed plan counted as re-sent (`ProfilePlan.resends`, by a bulk now or by that phase), and the
    declared numbers it puts there itself or showed on their way there (in flight: an earlier approved
    apply's work); either may be ASSIGNED by the time the phase runs. Anything else that sends there by
    then (a number the plan blocked, assigned out of band) was never reviewed. Journalled with the phase;
    before it is sent, live state is held to it (phases.over_allowance)."""
    p = plan.profiles.get(pid or "")
    counted = p.resends if p is not None and p.resend_campaign == campaign else 0
    IN_FLIGHT = Action.IN_FLIGHT
    own = sum(1 for c in plan.changes if (c.writes or c.action is IN_FLIGHT) and c.desired is not None
              and c.desired.profile_id == pid and c.desired.tcr_campaign_id == campaign)
    return counted + own


def members_by_profile(plan: Plan) -> dict[str, list[str]]:
    """Numbers the approved plan lets sit on each profile when its bulk runs: those declared there
    (live state adds nothing the files do not declare there), in one pass over the declared numbers."""
    out: dict[str, set[str]] = {}
    for n, d in plan.desired.numbers.items():
        if d.profile_id is not None:
            out.setdefault(d.profile_id, set()).add(n)
    return {pid: sorted(ns) for pid, ns in out.items()}


def profile_members(plan: Plan, pid: str) -> list[str]:
    """`members_by_profile` for one profile."""
    return sorted(n for n, d in plan.desired.numbers.items() if d.profile_id == pid)


def round_options(plan: Plan) -> PlanOptions:
    # Later rounds finish the reviewed plan; its allowances were already granted.
    return PlanOptions(prune=plan.prune, allow_unassign=None, allow_reassign=None,
                       shared_per_number=plan.options.shared_per_number)


def check_against_fresh(changes: list[Finding], plan: Plan, live: LiveState,
                        in_flight: dict[str, str] | None = None) -> tuple[list[Finding], list[Finding]]:
    """A saved change whose precondition holds may still be wrong now: the plan made from the
    same files and fresh state must agree on it. This catches what a per-number precondition
    cannot see, e.g. an undeclared number that joined a profile planned for a bulk assignment
    (the bulk would sweep it in), or a move to a profile that can no longer take the number."""
    fresh = {f.number: f for f in make_plan(plan.desired, live, plan.options, in_flight=in_flight).changes}
    ok, stale = [], []
    for c in changes:
        f = fresh.get(c.number)
        (ok if f is not None and (f.action, f.move) == (c.action, c.move) else stale).append(c)
    return ok, stale


def check_preconditions(changes: list[Finding], live: LiveState) -> tuple[list[Finding], list[Finding]]:
    """Split saved changes into those whose expected live state still holds and the stale rest."""
    ok, stale = [], []
    for c in changes:
        n = live.numbers.get(c.number)
        a = live.assignments.get(c.number)
        now = (n.profile_id if n else None, a.tcr_campaign_id if a else None, a.status if a else None)
        then = c.live or UNSEEN
        (ok if now == (then.profile_id, then.tcr_campaign_id, then.status) else stale).append(c)
    return ok, stale
