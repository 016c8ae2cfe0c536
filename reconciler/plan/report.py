"""What a plan tells its reviewers before anything is written: warnings, the timeline on Telnyx's
clock, and the safety limits it is over."""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from typing import Iterable, Mapping

from reconciler import durations
from reconciler.diff import (
    ACTION_VALUE,
    ASSIGNING_VALUES,
    Action,
    Finding,
    is_assigning,
    reported_under,
)
from reconciler.diff.health import DORMANT
from reconciler.model import (
    ASSIGNED,
    CAMPAIGN_CAP,
    INVALID_ID,
    PENDING_ASSIGNMENT,
    DesiredState,
    LiveState,
    Policy,
    plural,
)

from .messaging import held_on_shared
from .model import (
    BULK,
    DEFAULT_MAX_REASSIGN,
    DEFAULT_MAX_REASSIGN_PERCENT,
    DEFAULT_MAX_UNASSIGN,
    DEFAULT_MAX_UNASSIGN_PERCENT,
    PERCENT_MIN_EXISTING,
    CampaignPlan,
    PlanOptions,
    ProfilePlan,
)


def warnings_for(desired: DesiredState, live: LiveState, findings: list[Finding],
                 campaigns: dict[str, CampaignPlan], profiles: dict[str, ProfilePlan],
                 counts: Mapping[str, int] | None = None) -> list[str]:
    """`counts`: findings per action value, if known (undeclared numbers are looked for only
    when there are some)."""
    out = []
    for tcr, c in campaigns.items():
        if c.live_count > 0 and c.final_count <= 0:
            out.append(f"campaign {tcr} will be left without numbers; Telnyx suspends a campaign after 15 days "
                       f"with no numbers (dormancy)")
        if c.final_count > CAMPAIGN_CAP and not c.number_pooling:
            out.append(f"campaign {tcr} holds {c.final_count} numbers, over the {CAMPAIGN_CAP} T-Mobile allows "
                       f"without number pooling")
        if c.campaign_status == DORMANT and any(is_assigning(f) and f.desired is not None
                                                and f.desired.tcr_campaign_id == tcr for f in findings):
            out.append(f"campaign {tcr} is dormant (TCR_SUSPENDED): its first assignment fails and wakes it; "
                       f"apply retries")
    for pid, p in profiles.items():
        if p.declared and not p.exists:
            out.append(f"messaging profile {pid} does not exist at Telnyx")
    # An undeclared number is unmanaged, to unassign, or blocked (a prune Telnyx cannot do per number).
    undeclared = [f for f in findings if f.desired is None] if counts is None or counts.get(
        Action.UNASSIGN.value, 0) or counts.get(Action.UNMANAGED.value, 0) or counts.get(
        Action.BLOCKED.value, 0) else []
    left: dict[str, list[str]] = defaultdict(list)
    for f in undeclared:
        if f.action is Action.UNASSIGN and f.live is not None and f.live.profile_id in desired.profiles:
            left[f.live.profile_id].append(f.number)
    for pid, numbers in sorted(left.items()):
        one = len(numbers) == 1
        named = ", ".join(numbers[:3]) + (f" and {len(numbers) - 3} more" if len(numbers) > 3 else "")
        out.append(f"after the prune, {plural(len(numbers), 'number stays', 'numbers stay')} on profile {pid} "
                   f"with no campaign ({named}): while there, {'it keeps' if one else 'they keep'} that profile from "
                   f"bulk assignment; move {'it' if one else 'them'} off the profile (to no profile) or declare "
                   f"{'it' if one else 'them'}")
    unmanaged_by_profile = Counter(f.live.profile_id for f in undeclared
                                   if f.live is not None and f.live.profile_id in desired.profiles)
    holding = sorted(unmanaged_by_profile.items(), key=lambda kv: str(kv[0]))
    if len(holding) == 1:
        (pid, n), = holding
        out.append(f"profile {pid} holds {plural(n, 'undeclared number', 'undeclared numbers')}; bulk assignment "
                   f"by profile is not used there until {'it is' if n == 1 else 'they are'} declared or moved off "
                   f"the profile")
    elif holding:
        # One warning naming every profile, not one identical warning per profile.
        total = sum(n for _, n in holding)
        # What to do first, then the profiles, bounded: a report caps a line's length, and the advice must
        # never be what is cut off.
        shown_here = ", ".join(f"{n} on profile {pid}" for pid, n in holding[:HOLDING_SHOWN])
        # Not "(in the JSON plan)": this sentence is in the JSON plan too. Each profile's list says them.
        more = (f" and {len(holding) - HOLDING_SHOWN} more profiles (each listed with its profile's unmanaged numbers)"
                if len(holding) > HOLDING_SHOWN else "")
        out.append(f"{len(holding)} profiles hold undeclared numbers ({total} in all); bulk assignment by profile is "
                   f"not used on them until those numbers are declared or moved off the profile: {shown_here}{more}")
    return out


def kept_undeclared(desired: DesiredState, findings: list[Finding]) -> list[str]:
    """Prune off: numbers assigned to a declared campaign that no file declares stay there, and send.
    Said, because taking a number out of a file is how a user expects to remove it (outside review:
    15 numbers deleted from a file were only counted as unmanaged)."""
    campaigns = desired.campaigns()
    kept = sum(1 for f in findings if f.action is Action.UNMANAGED and f.live is not None
               and f.live.status == ASSIGNED and f.live.tcr_campaign_id in campaigns)
    if not kept:
        return []
    one = kept == 1
    return [f"{plural(kept, 'number', 'numbers')} ASSIGNED to declared campaigns {'is' if one else 'are'} in no file: "
            f"prune is off, so {'it stays' if one else 'they stay'} assigned (and {'sends' if one else 'send'}); to "
            f"unassign {'it' if one else 'them'}, set `prune: true` under `policy:` or pass `--prune`"]


EMPTY = "Telnyx suspends a campaign after 15 days with no numbers (dormancy)"
HOLDING_SHOWN = 4  # profiles a warning names one by one


def leaving_undeclared(desired: DesiredState, live: LiveState,
                       delta: Mapping[tuple[str, str | None, str | None, str | None], int]
                       ) -> dict[str, tuple[int, int, bool]]:
    """Campaigns the files do not declare (any more) that the plan takes numbers off:
    {tcr: (numbers before, numbers taken off, whether Telnyx said the count)}. Before is Telnyx's
    `assignedPhoneNumbersCount` where a campaign list showed it, else the numbers this run read on it.
    `delta`: the plan's changes grouped by `diff.count_key` (a few kinds of change, never every number)."""
    declared = desired.campaigns()
    active = (ASSIGNED, PENDING_ASSIGNMENT)
    leaving: Counter[str] = Counter()
    for (value, _tcr, live_campaign, live_status), k in delta.items():
        # INVALID_ID is no campaign: what Telnyx named is unknown, so no count of it is said.
        if (k > 0 and live_campaign and live_campaign not in declared and live_campaign != INVALID_ID
                and live_status in active
                and (value in ASSIGNING_VALUES or value == Action.UNASSIGN.value)):
            leaving[live_campaign] += k
    out = {}
    for tcr, k in sorted(leaving.items()):
        total = live.campaign_counts.get(tcr)
        known = total is not None
        if total is None:
            total = sum(1 for a in live.assignments.values() if a.tcr_campaign_id == tcr and a.status in active)
        out[tcr] = (total, k, known)
    return out


def emptied_elsewhere(desired: DesiredState, live: LiveState,
                      delta: Mapping[tuple[str, str | None, str | None, str | None], int]) -> list[str]:
    """Campaigns the files do not declare (any more) that the plan takes numbers off, and leaves empty.

    A declared campaign's count is known (`warnings_for`); one the files dropped is counted by
    Telnyx's `assignedPhoneNumbersCount` where a campaign list showed it, else only the numbers this
    run read on it are known, and the warning says so."""
    out = []
    for tcr, (before, k, known) in leaving_undeclared(desired, live, delta).items():
        if before - k > 0:
            continue
        if known:
            out.append(f"campaign {tcr} (not in the files) will be left without numbers: the plan moves its last "
                       f"{plural(k, 'number', 'numbers')} off it; {EMPTY}")
        else:
            out.append(f"campaign {tcr} (not in the files) may be left without numbers: the plan moves every number "
                       f"this run saw on it ({k}) off it, and Telnyx did not say how many it holds; if none are left, "
                       f"{EMPTY}")
    return out


# Warn this long before Telnyx's nextRenewalOrExpirationDate of a campaign that does not renew itself.
LAPSE_WARNING = 30 * 86400.0


def lapsing(desired: DesiredState, live: LiveState) -> list[str]:
    """Declared campaigns Telnyx says are due to expire (or renew, if it does not say whether it
    renews automatically) within LAPSE_WARNING of the read. Said ahead, before traffic stops."""
    now = live.read_at
    if now is None:
        return []
    out = []
    for tcr in sorted(desired.campaigns()):
        c = live.campaigns.get(tcr)
        if c is None or c.renewal_at is None or c.auto_renewal is True or c.renewal_at - now > LAPSE_WARNING:
            continue
        days = int((c.renewal_at - now) // 86400)
        when = time.strftime("%Y-%m-%d", time.gmtime(c.renewal_at))
        due = "already past" if c.renewal_at < now else "today" if days == 0 else f"in {plural(days, 'day', 'days')}"
        if c.auto_renewal is False:
            out.append(f"campaign {tcr} expires on {when} ({due}) and does not renew automatically: renew it in the "
                       f"Telnyx portal, or its numbers stop sending (an expired campaign cannot be restored)")
        else:
            out.append(f"campaign {tcr} is due for renewal or expiry on {when} ({due}), and Telnyx does not say "
                       f"whether it renews automatically: check it in the Telnyx portal")
    return out


# Telnyx support: a number stays PENDING_ASSIGNMENT for about two hours, sometimes days.
PHASE = f"{durations.hours(durations.ASSIGNMENT)} at Telnyx, sometimes days"


def _phases(figures: durations.Figures | None) -> tuple[str, str, str]:
    """How long each phase takes, said from the one durations table the messaging estimate uses too
    (this account's observed figures where the plan has them, else Telnyx's typical ones): assigning,
    freeing, and freeing then assigning (a task or request between them)."""
    f = figures or durations.Figures()
    assign = f"{durations.hours(f['assignment'])} at Telnyx, sometimes days"
    free = f"{durations.hours(f['unassignment'])} at Telnyx, sometimes days"
    both = (f"two phases: PENDING_UNASSIGNMENT {durations.hours(f['unassignment'])}, then PENDING_ASSIGNMENT "
            f"{durations.hours(f['assignment'])}; "
            f"{durations.hours(f['unassignment'] + f['task'] + f['assignment'])} in all, sometimes days")
    return assign, free, both


def timeline_for(changes: Iterable[Finding], profiles: dict[str, ProfilePlan],
                 counts: Mapping[str, int] | None = None,
                 figures: durations.Figures | None = None, *, campaigns: Mapping[str, CampaignPlan] | None = None,
                 shared_per_number: bool = False) -> tuple[str, ...]:
    """What the plan will take on Telnyx's timeline, said before anyone approves it. `counts`:
    the changes per action value, if known (then only reassignments are looked at one by one);
    `figures`: the durations the plan's messaging estimate uses (None: Telnyx's typical ones);
    `campaigns`: the plan's, to tell a number apply would not free (off a shared campaign, or one the files
    do not declare, without --shared-per-number: messaging.held_on_shared) from one it frees first."""
    if counts is None:
        counts = Counter(map(ACTION_VALUE, changes))
    PHASE, FREE, BOTH = _phases(figures)
    assigning = sum(counts.get(v, 0) for v in ASSIGNING_VALUES)
    unassign = counts.get(Action.UNASSIGN.value, 0)
    reassign_bulk = reassign_single = held_bulk = held_single = leaving = 0
    if counts.get(Action.REASSIGN.value, 0):
        REASSIGN = Action.REASSIGN
        for f in changes:
            if f.action is REASSIGN:
                p = profiles.get(reported_under(f)[0] or "")
                held = campaigns is not None and held_on_shared(f, campaigns, shared_per_number)
                if p is not None and p.strategy == BULK:
                    held_bulk += held
                    leaving += held and f.move
                    reassign_bulk += not held
                else:
                    held_single += held
                    reassign_single += not held
    out = []
    sub = "of them, " if assigning else ""  # moves are among the numbers assigned, not as many more
    if assigning:
        out.append(f"{plural(assigning, 'number', 'numbers')} will be assigned: apply returns once Telnyx accepts "
                   f"the work; each number stays PENDING_ASSIGNMENT for {PHASE}")
    if reassign_bulk:
        out.append(f"{sub}{plural(reassign_bulk, 'number moves', 'numbers move')} from another campaign by bulk "
                   f"assignment: Telnyx may skip numbers "
                   f"another campaign holds; those are moved one by one where their campaign takes a move in place "
                   f"(Telnyx-registered), else freed first and assigned in a second phase by "
                   f"`reconciler resume` ({BOTH})")
    if reassign_single:
        out.append(f"{sub}{plural(reassign_single, 'number moves', 'numbers move')} from another campaign one by one: if "
                   f"Telnyx refuses to move {'it' if reassign_single == 1 else 'them'} in place, "
                   f"{'it is' if reassign_single == 1 else 'they are'} freed first and assigned in a second phase "
                   f"({BOTH})")
    if held_bulk:
        freed = ("it" if leaving == 1 else "them") if leaving == held_bulk else plural(leaving, "of them", "of them")
        free = (f"leaving {'its' if leaving == 1 else 'their'} profile may free {freed} "
                f"(then a next phase's bulk assigns {'it' if leaving == 1 else 'them'}: {BOTH}); " if leaving else "")
        out.append(f"{sub}{plural(held_bulk, 'number moves', 'numbers move')} off a shared campaign by bulk assignment: "
                   f"{free}Telnyx may skip numbers another campaign holds, and one it skips is moved in place only "
                   f"if Telnyx takes the move, else it stays on its shared campaign, still sending, blocked unless "
                   f"--shared-per-number")
    if held_single:
        one = held_single == 1
        out.append(f"{sub}{plural(held_single, 'number moves', 'numbers move')} off a shared campaign one by one: if Telnyx "
                   f"refuses to move {'it' if one else 'them'} in place, {'it stays' if one else 'they stay'} there, "
                   f"still sending, blocked unless --shared-per-number (apply does not free a number from a shared "
                   f"campaign without it)")
    if unassign:
        out.append(f"{plural(unassign, 'number loses its', 'numbers lose their')} campaign: PENDING_UNASSIGNMENT "
                   f"for {FREE}")
    resends = sum(p.resends for p in profiles.values() if not p.phase_campaign)
    later = sum(p.resends for p in profiles.values() if p.phase_campaign)
    if resends:
        one = resends == 1
        out.append(f"bulk assignment re-sends {plural(resends, 'number', 'numbers')} already ASSIGNED to "
                   f"{'its' if one else 'their'} campaign (a task takes every number of its profile): if Telnyx "
                   f"provisions {'it' if one else 'them'} again (unconfirmed), {'it is' if one else 'they are'} "
                   f"PENDING_ASSIGNMENT for {PHASE}; the policy's max_reprovision caps how many")
    if later:
        one = later == 1
        out.append(f"a number that loses its campaign on the way to its profile (unconfirmed), or is being freed, "
                   f"is assigned by a next phase's bulk assignment of the profile once Telnyx has freed it (a task "
                   f"takes every number of its profile): it re-sends {plural(later, 'number', 'numbers')} already "
                   f"ASSIGNED to {'its' if one else 'their'} campaign; if Telnyx provisions {'it' if one else 'them'} "
                   f"again (unconfirmed), {'it is' if one else 'they are'} PENDING_ASSIGNMENT for {PHASE}; the "
                   f"policy's max_reprovision caps how many, and the phase is refused if it would re-send more than "
                   f"this plan counts")
    return tuple(out)


def reprovision_limit(policy: Policy, profiles: dict[str, ProfilePlan]) -> list[str]:
    cap = policy.max_reprovision
    resends = sum(p.resends for p in profiles.values())
    if cap is None or resends <= cap:
        return []
    busiest = max((p for p in profiles.values() if p.resends), key=lambda p: p.resends)
    # A next phase's bulk counts as one sent now (strategy._phase_pairs).
    return [f"bulk assignment would re-send {plural(resends, 'number', 'numbers')} already ASSIGNED, over "
            f"max_reprovision {cap} by "
            f"{resends - cap} (profile {busiest.id}: {busiest.resends}); raise max_reprovision, or "
            f"give the new numbers their own messaging profile"]


def _over_limits(policy: Policy, findings: list[Finding], campaigns: dict[str, CampaignPlan],
                 options: PlanOptions, counts: Mapping[str, int] | None = None
                 ) -> list[tuple[str, int, list[str], int | None]]:
    """Per verb (unassign, reassign) the plan goes over a limit with: (verb, how many, each limit it is
    over, the count the run allows). `counts`: findings per action value, if known (an action with
    none is not looked for)."""
    def of(action: Action) -> list[Finding]:
        if counts is not None and not counts.get(action.value, 0):
            return []
        return [f for f in findings if f.action is action]

    checks = (
        ("unassign", of(Action.UNASSIGN), policy.max_unassign,
         DEFAULT_MAX_UNASSIGN, policy.max_unassign_percent, DEFAULT_MAX_UNASSIGN_PERCENT, options.allow_unassign),
        ("reassign", of(Action.REASSIGN), policy.max_reassign,
         DEFAULT_MAX_REASSIGN, policy.max_reassign_percent, DEFAULT_MAX_REASSIGN_PERCENT, options.allow_reassign),
    )
    out = []
    for verb, fs, cap, cap_default, pct, pct_default, allowed in checks:
        if not fs:
            continue
        cap = cap_default if cap is None else cap
        pct = pct_default if pct is None else pct
        over: list[str] = []
        if len(fs) > cap:
            over.append(f"{plural(len(fs), 'number', 'numbers')} would {verb}, over max_{verb} {cap} by "
                        f"{len(fs) - cap}")
        per_campaign = Counter(f.live.tcr_campaign_id for f in fs if f.live is not None and f.live.tcr_campaign_id)
        for tcr, n in sorted(per_campaign.items()):
            c = campaigns.get(tcr)
            if c is None or c.live_count < PERCENT_MIN_EXISTING:
                continue
            share = 100.0 * n / c.live_count
            if share > pct:
                over.append(f"{n} of {c.live_count} numbers of campaign {tcr} would {verb} "
                            f"({share:.0f}%), over max_{verb}_percent {pct:g}%")
        if over:
            out.append((verb, len(fs), over, allowed))
    return out


def allow_hint(verb: str, n: int) -> str:
    """The fix an unsafe reason ends with: the exact count a run may allow (never a blanket force)."""
    these = "this one" if n == 1 else f"these {n}"
    return f"; re-run with --allow-{verb} {n} to allow exactly {these}"


_ALLOW_HINT = re.compile(r"; re-run with (--allow-(?:unassign|reassign) \d+) to allow exactly (?:this one|these \d+)$")


def saved_unsafe(unsafe: Iterable[str]) -> tuple[list[str], str | None]:
    """A saved plan's unsafe reasons without their `re-run with --allow-…` hint (no option changes a saved
    plan: `apply PLAN --allow-reassign N` is refused), and the one advice that works for it: make the plan
    again with the allowance, review it, apply that file (outside review: the advice led to an error)."""
    reasons, flags = [], []
    for u in unsafe:
        m = _ALLOW_HINT.search(u)
        reasons.append(u[:m.start()] if m else u)
        if m and m.group(1) not in flags:
            flags.append(m.group(1))
    if not flags:
        return reasons, None
    return reasons, (f"a saved plan is applied exactly as reviewed, so no option can allow it here: make it again "
                     f"with `reconciler plan {' '.join(flags)} --out FILE` (and the --desired, --profile, … it was "
                     f"made with), review it, then `reconciler apply FILE`")


def safety(policy: Policy, findings: list[Finding], campaigns: dict[str, CampaignPlan],
           options: PlanOptions, counts: Mapping[str, int] | None = None) -> list[str]:
    """The safety limits the plan is over, each with its fix. `counts`: findings per action
    value, if known (an action with none is not looked for)."""
    return [f"{o}{allow_hint(verb, n)}" for verb, n, over, allowed in _over_limits(policy, findings, campaigns,
                                                                                   options, counts)
            if allowed != n for o in over]


def safety_overridden(policy: Policy, findings: list[Finding], campaigns: dict[str, CampaignPlan],
                      options: PlanOptions, counts: Mapping[str, int] | None = None) -> list[str]:
    """The safety limits the plan is over that this run allowed (`--allow-reassign N`, exactly its
    count): said, so a reviewer sees that a limit was overridden (outside review: nothing said it)."""
    out = []
    for verb, n, over, allowed in _over_limits(policy, findings, campaigns, options, counts):
        if allowed != n:
            continue
        limits = []
        if any(f"over max_{verb} " in o for o in over):
            limits.append(f"max_{verb}")
        percent = sum(1 for o in over if f"over max_{verb}_percent " in o)
        if percent:
            limits.append(f"max_{verb}_percent on {plural(percent, 'campaign', 'campaigns')}")
        out.append(f"{plural(n, 'number', 'numbers')} {verb + 's' if n == 1 else verb}, over {' and '.join(limits)}, "
                   f"allowed by --allow-{verb} {n}")
    return out
