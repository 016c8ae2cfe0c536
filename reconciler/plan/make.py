"""make_plan: diff, count, cap, choose strategies, judge safety; the order the rest is called in."""

from __future__ import annotations

import gc
from collections import Counter
from dataclasses import replace
from typing import Iterable, Mapping

from reconciler.diff import (
    ACTION_VALUE,
    ASSIGNING_VALUES,
    Action,
    Finding,
    count_key,
    diff_changes,
    is_assigning,
    moving_writes,
)
from reconciler.diff.health import campaign_problem, traffic_problem
from reconciler.model import (
    ASSIGNED,
    CAMPAIGN_CAP,
    INVALID_ID,
    PENDING_ASSIGNMENT,
    DesiredState,
    LiveState,
)

from .model import CampaignHealth, CampaignPlan, Plan, PlanOptions
from .report import (emptied_elsewhere, kept_undeclared, lapsing, leaving_undeclared, reprovision_limit, safety,
                     safety_overridden, timeline_for, warnings_for)
from .strategy import shared_removals, strategies


def make_plan(desired: DesiredState, live: LiveState, options: PlanOptions | None = None,
              *, only: frozenset[str] | None = None, in_flight: Mapping[str, str] | None = None,
              held: Mapping[str, str] | None = None) -> Plan:
    """Diff and plan in one call. `only` restricts writes to these numbers (apply's later rounds);
    `in_flight` names numbers under work Telnyx has not finished (the journal), never written again;
    `held` those of them only writes the files do not declare hold: blocked, with why."""
    options = options or PlanOptions()
    prune = desired.policy.prune if options.prune is None else options.prune
    # Every object made here is acyclic: the cyclic GC would only walk both states, again
    # and again, as a million findings get allocated (the loader does the same).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        findings, ok = diff_changes(desired, live, prune, in_flight=in_flight, held=held)
        if only is not None:
            findings = [f if f.number in only or not f.writes else
                        replace(f, action=Action.UNMANAGED if f.desired is None else Action.OK)
                        for f in findings]
            return _plan(desired, live, findings, len(findings) + ok, options, prune)
        # diff_changes left every OK finding out: all that is left changes something
        return _plan(desired, live, findings, len(findings) + ok, options, prune, all_changes=True)
    finally:
        if gc_was_enabled:
            gc.enable()


def _plan(desired: DesiredState, live: LiveState, findings: list[Finding], total: int,
          options: PlanOptions, prune: bool, *, all_changes: bool = False) -> Plan:
    """`findings` may leave OK findings out (`total` counts them): every step below looks
    only at the findings that change something, or carry a move, in their order.
    `all_changes`: the caller knows none of `findings` is OK."""
    OK = Action.OK
    relevant = findings if all_changes else [f for f in findings if f.action is not OK or f.move]
    now = live_count(live)
    delta = count_changes(relevant)
    campaigns = campaign_plans(desired, live, relevant, now, delta)
    kinds = Counter[str]()  # findings per action value, from the grouped counts (no pass over them)
    for key, k in delta.items():
        kinds[key[0]] += k
    before = relevant
    relevant = apply_caps(relevant, campaigns)
    relevant = shared_removals(relevant, live, options, removals=kinds[Action.UNASSIGN.value],
                               reassigns=kinds[Action.REASSIGN.value])
    profiles, relevant = strategies(desired, live, relevant, campaigns, options)
    if relevant is not before:  # some findings were blocked: recount only those (same order, same length)
        old = [a for a, b in zip(before, relevant) if a is not b]
        new = [b for a, b in zip(before, relevant) if a is not b]
        for k, v in count_changes(old).items():
            delta[k] -= v
        for k, v in count_changes(new).items():
            delta[k] += v
    campaigns = campaign_plans(desired, live, relevant, now, delta)  # final counts after blocks
    # caps and strategies only ever block a change, never make it OK
    changes = tuple(relevant) if all_changes else tuple(f for f in relevant if f.action is not OK)
    counts = Counter(map(ACTION_VALUE, changes))
    counts[OK.value] = total - len(changes)
    counts_out = {a.value: counts.get(a.value, 0) for a in Action}
    # Moves the plan makes: a move already in flight (an order Telnyx is still processing) is counted
    # in flight, never "to change profile" (has_changes, the blast radius and the header agree).
    counts_out["profile_moves"] = len(moving_writes(relevant))
    counts_out["numbers_declared"] = len(desired.numbers)
    warnings = (warnings_for(desired, live, relevant, campaigns, profiles, counts)
                + emptied_elsewhere(desired, live, delta) + lapsing(desired, live)
                + (kept_undeclared(desired, changes) if not prune and counts.get(Action.UNMANAGED.value) else []))
    unsafe = safety(desired.policy, relevant, campaigns, options, counts) + reprovision_limit(desired.policy, profiles)
    names = _profile_names(desired, live, changes)
    return Plan(desired, changes, counts_out, profiles, campaigns, tuple(warnings), tuple(unsafe),
                prune, options, timeline_for(changes, profiles, counts, campaigns=campaigns,
                                                 shared_per_number=options.shared_per_number), names,
                unhealthy=campaign_health(desired, live, changes),
                safety_overridden=tuple(safety_overridden(desired.policy, relevant, campaigns, options, counts)),
                undeclared_counts={t: (before, max(0, before - k))
                                   for t, (before, k, _) in leaving_undeclared(desired, live, delta).items()})


def campaign_health(desired: DesiredState, live: LiveState,
                    changes: Iterable[Finding] = ()) -> tuple[CampaignHealth, ...]:
    """Every declared campaign that cannot carry traffic (`traffic_problem`), with how many declared
    numbers it holds and stops, and how many still send on another campaign that the plan leaves them
    on (`changes`: the plan's; one it writes is not left there). The numbers are counted only when
    some campaign is unhealthy."""
    problems = {tcr: why for tcr in sorted(desired.campaigns())
                if (why := traffic_problem(live.campaigns.get(tcr), tcr)) is not None}
    if not problems:
        return ()
    declared: Counter[str] = Counter()
    stopped: Counter[str] = Counter()
    elsewhere: Counter[str] = Counter()
    written = {f.number for f in changes if f.writes}
    assignment_of = live.assignments.get
    for number, d in desired.numbers.items():
        tcr = d.tcr_campaign_id
        if tcr in problems:
            declared[tcr] += 1
            a = assignment_of(number)
            if a is None or a.status != ASSIGNED or not a.tcr_campaign_id:
                continue
            if a.tcr_campaign_id == tcr:
                stopped[tcr] += 1
            elif (a.tcr_campaign_id not in problems and a.tcr_campaign_id != INVALID_ID
                  and number not in written):
                # Sends today on a campaign that can carry traffic (one the files do not declare is not
                # read: counted as sending, as the plan's messaging does); the plan leaves it there.
                elsewhere[tcr] += 1
    out = []
    for tcr, why in problems.items():
        c = live.campaigns.get(tcr)
        out.append(CampaignHealth(tcr, c.kind if c else None, c.campaign_status if c else None,
                                  c.sharing_status if c else None, why, c.failure_reasons if c else None,
                                  declared[tcr], stopped[tcr], elsewhere[tcr]))
    return tuple(out)


def _profile_names(desired: DesiredState, live: LiveState, changes: Iterable[Finding]) -> dict[str, str]:
    """The known names of every profile a change mentions or the files declare."""
    mentioned = set(desired.profiles)
    for f in changes:
        d, seen = f.desired, f.live
        if d is not None and d.profile_id:
            mentioned.add(d.profile_id)
        if seen is not None and seen.profile_id:
            mentioned.add(seen.profile_id)
    out = {}
    for pid in sorted(mentioned):
        d = desired.profiles.get(pid)
        name = (d.name if d else None) or live.profiles.get(pid)
        if name:
            out[pid] = name
    return out


def live_count(live: LiveState) -> Counter[str]:
    live_statuses = (ASSIGNED, PENDING_ASSIGNMENT)
    return Counter(a.tcr_campaign_id for a in live.assignments.values() if a.status in live_statuses)


def count_changes(findings: Iterable[Finding]) -> Counter[tuple[str, str | None, str | None, str | None]]:
    """Findings grouped by what moves campaign counts (`count_key`; Counter counts in C)."""
    return Counter(map(count_key, findings))


def campaign_plans(desired: DesiredState, live: LiveState, findings: Iterable[Finding],
               now: Counter[str] | None = None,
               delta: Counter[tuple[str, str | None, str | None, str | None]] | None = None
               ) -> dict[str, CampaignPlan]:
    """`findings` needs only the ones that are not OK (OK changes no count); `delta`, if
    given, is `count_changes(findings)`."""
    if now is None:
        now = live_count(live)
    if delta is None:
        delta = count_changes(findings)
    final = Counter(now)
    unassign = Action.UNASSIGN.value
    active = (ASSIGNED, PENDING_ASSIGNMENT)
    # once per distinct kind of change, not per finding
    for (value, tcr, live_campaign, live_status), k in delta.items():
        if not k:
            continue
        if value in ASSIGNING_VALUES:
            final[tcr or ""] += k
            if live_campaign and live_status in active:
                final[live_campaign] -= k
        # Only a record `now` counted leaves the count: removing a FAILED one takes nothing off the
        # campaign (it warned "left without numbers" while its ASSIGNED numbers stayed).
        elif value == unassign and live_campaign and live_status in active:
            final[live_campaign] -= k
    out: dict[str, CampaignPlan] = {}
    for tcr in sorted(desired.campaigns()):
        c = live.campaigns.get(tcr)
        out[tcr] = CampaignPlan(
            tcr, c.kind if c else None, c.campaign_status if c else None,
            c.sharing_status if c else None, bool(c and c.number_pooling),
            c.telnyx_campaign_id if c else None, now.get(tcr, 0), final.get(tcr, 0),
            campaign_problem(c, tcr),
        )
    return out


def apply_caps(findings: list[Finding], campaigns: dict[str, CampaignPlan]) -> list[Finding]:
    """Block every addition to a campaign that would end over 49 numbers without pooling."""
    over = {t for t, c in campaigns.items()
            if not c.number_pooling and c.final_count > CAMPAIGN_CAP and c.final_count > c.live_count}
    if not over:
        return findings
    out = []
    for f in findings:
        if is_assigning(f) and f.desired is not None and f.desired.tcr_campaign_id in over:
            c = campaigns[f.desired.tcr_campaign_id]
            f = replace(f, action=Action.BLOCKED, reason=(
                f"campaign {c.tcr_campaign_id} would hold {c.final_count} numbers; T-Mobile allows "
                f"{CAMPAIGN_CAP} per campaign without number pooling"))
        out.append(f)
    return out
