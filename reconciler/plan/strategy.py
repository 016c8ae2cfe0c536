"""Bulk or per number, per profile: the scope rule (a bulk takes every number of the profile), the
49 cap over what a bulk would sweep in, and the shared campaigns Telnyx documents only bulk for."""

from __future__ import annotations

from operator import attrgetter
from collections import Counter, defaultdict
from dataclasses import replace
from typing import Callable, Iterable

from reconciler.diff import (
    UNSEEN,
    Action,
    Finding,
    assigning_or_moving,
    moving_writes,
)
from reconciler.model import (
    ASSIGNED,
    CAMPAIGN_CAP,
    PENDING_ASSIGNMENT,
    SHARED,
    DesiredState,
    LiveState,
    plural,
)

from .model import BULK, BULK_MIN_TELNYX, NONE, PER_NUMBER, CampaignPlan, PlanOptions, ProfilePlan


PROFILE_CAMPAIGN = attrgetter("desired.profile_id", "desired.tcr_campaign_id")  # declared findings only
NUMBER = attrgetter("number")


def _on_shared(live: LiveState, f: Finding) -> bool:
    """Is the number's live assignment on a shared campaign? Unknown counts as shared."""
    c = live.campaigns.get((f.live or UNSEEN).tcr_campaign_id or "")
    if c is not None:
        return c.kind == SHARED
    a = live.assignments.get(f.number)
    return a is None or a.shared is not False


def shared_removals(findings: list[Finding], live: LiveState, options: PlanOptions, *,
                    removals: int | None = None, reassigns: int | None = None) -> list[Finding]:
    """Block what only a per-number DELETE on a shared campaign could do, unless the run opts in.

    A removal (prune) is a per-number DELETE; Telnyx documents only bulk by profile for shared
    campaigns, and may refuse it (sandbox mode shared_delete). So is a move from one shared campaign
    to another on the same profile: a bulk task does not take a number another campaign holds (mode
    bulk_existing, unknown until a write shows it), and no per-number route to a shared campaign is
    documented, so the number would have to be freed first: apply would send a bulk that cannot move
    it and then stop at the DELETE. A move to a Telnyx-registered campaign is not blocked (a PUT may
    move it in place), nor one that also leaves its profile (leaving may take the number off). A
    FAILED record is replaced, never deleted one by one, so it is not blocked either.
    `removals`/`reassigns`: how many UNASSIGN/REASSIGN findings there are, if known (none: no pass)."""
    if options.shared_per_number or (removals == 0 and reassigns == 0):
        return findings
    UNASSIGN, REASSIGN = Action.UNASSIGN, Action.REASSIGN
    out = []
    for f in findings:
        if f.action is not UNASSIGN and f.action is not REASSIGN:
            out.append(f)
            continue
        held = f.live or UNSEEN
        if not (held.tcr_campaign_id and held.status in (ASSIGNED, None) and _on_shared(live, f)):
            out.append(f)
            continue
        if f.action is UNASSIGN:
            f = replace(f, action=Action.BLOCKED, reason=(
                f"on shared campaign {held.tcr_campaign_id}: removing it takes a per-number DELETE, which Telnyx does not "
                f"document for shared campaigns; re-run with --shared-per-number if your account accepts per-number "
                f"writes to shared campaigns, or remove it in the Telnyx portal"))
        elif not f.move and f.desired is not None and _shared_target(live, f.desired.tcr_campaign_id):
            f = replace(f, action=Action.BLOCKED, reason=shared_to_shared(held.tcr_campaign_id, f.desired.tcr_campaign_id))
        out.append(f)
    return out


def _shared_target(live: LiveState, tcr: str | None) -> bool:
    c = live.campaigns.get(tcr or "")
    return c is not None and c.kind == SHARED


def shared_to_shared(old: str, new: str | None) -> str:
    """Why a number on one shared campaign cannot be moved to another without the opt-in, and the fixes."""
    return (f"on shared campaign {old}: moving it to shared campaign {new} needs it freed first (a bulk assignment "
            f"does not take a number another campaign holds), and that is a per-number DELETE, which Telnyx does not "
            f"document for shared campaigns; re-run with --shared-per-number if your account accepts per-number writes "
            f"to shared campaigns, or move it to another messaging profile declared for {new}")


def strategies(desired: DesiredState, live: LiveState, findings: list[Finding],
                campaigns: dict[str, CampaignPlan], options: PlanOptions
                ) -> tuple[dict[str, ProfilePlan], list[Finding]]:
    """Strategy per profile; blocks what cannot be done. Repeated until nothing new is blocked:
    a blocked number no longer moves, which can take bulk eligibility from the profile it stays on."""
    earlier: dict[str, ProfilePlan] = {}
    while True:
        profiles, blocked = _strategies_once(desired, live, findings, campaigns, options)
        # A profile whose only work was blocked keeps the strategy and note that explain why.
        for pid, pp in earlier.items():
            if profiles[pid].strategy == NONE and pp.strategy != NONE:
                profiles[pid] = pp
        earlier = profiles
        if not blocked:
            break
        findings = [replace(f, action=Action.BLOCKED, reason=blocked[id(f)]) if id(f) in blocked else f
                    for f in findings]
    # Profiles that only appear because an unmanaged number of a declared campaign sits there.
    for f in findings:
        if f.desired is None and f.live is not None:
            pid = f.live.profile_id
            if pid and pid not in profiles:
                profiles[pid] = ProfilePlan(pid, live.profiles.get(pid), False, True, NONE)
    return profiles, findings


def _strategies_once(desired: DesiredState, live: LiveState, findings: list[Finding],
                     campaigns: dict[str, CampaignPlan], options: PlanOptions
                     ) -> tuple[dict[str, ProfilePlan], dict[int, str]]:
    declared = desired.numbers
    # Work per declared profile and campaign: numbers to assign, and numbers that only move
    # there (Telnyx does not say whether leaving a profile keeps the campaign, so a move may
    # need an assignment on the new profile: it must be possible there too).
    to_assign = assigning_or_moving(findings)
    MOVE = Action.MOVE
    only_moves = [f for f in to_assign if f.action is MOVE]
    assigning: dict[str, dict[str, int]] = defaultdict(dict)  # real assignments: they set the strategy
    real = (f for f in to_assign if f.action is not MOVE) if only_moves else to_assign
    for (pid, tcr), k in Counter(map(PROFILE_CAMPAIGN, real)).items():
        assigning[pid][tcr or ""] = assigning[pid].get(tcr or "", 0) + k
    for f in only_moves:
        d = f.desired
        assigning[d.profile_id].setdefault(d.tcr_campaign_id or "", 0)
    # Who sits on each profile with work once the planned moves are done: the numbers
    # live there that do not move away, and the declared numbers that move in (each
    # declared for that profile, so its target is its campaign). Only numbers that will
    # really be written move: not blocked ones, nor work in flight.
    on_profile: dict[str, list[str]] = defaultdict(list)
    moved_in: dict[str, set[str]] = defaultdict(set)
    movers: list[Finding] = []
    movers_in: dict[str, list[str]] | None = None  # who moves into each profile: built only if a cap needs it

    def moving_into(pid: str) -> list[str]:
        nonlocal movers_in
        if movers_in is None:
            movers_in = defaultdict(list)
            for f in movers:
                movers_in[f.desired.profile_id or ""].append(f.number)
        return movers_in.get(pid, [])
    away: set[str] = set()
    phase = _phase_pairs(findings, campaigns)
    if assigning or phase:
        # A move is always of a declared number whose work is assignment or the move itself.
        movers = moving_writes(to_assign)
        away = set(map(NUMBER, movers))
        # Distinct (profile, campaign) pairs in C: a million movers are a few thousand pairs.
        for pid, tcr in set(map(PROFILE_CAMPAIGN, movers)):
            moved_in[pid or ""].add(tcr)
        for n in live.numbers.values():
            if n.profile_id in assigning or n.profile_id in phase:
                on_profile[n.profile_id].append(n.number)
    profiles: dict[str, ProfilePlan] = {}
    blocked_pairs: dict[tuple[str, str], str] = {}
    for pid in sorted(desired.profiles):
        p = desired.profiles[pid]
        exists = pid in live.profiles
        work = assigning.get(pid, {})
        if not work and pid not in phase:
            profiles[pid] = ProfilePlan(pid, p.name, True, exists, NONE)
            continue
        targets: set[str | None] = set(moved_in.get(pid, ()))
        undeclared = 0
        for n in on_profile.get(pid, ()):
            if n in away:
                continue
            d = declared.get(n)
            if d is not None and d.profile_id == pid:
                targets.add(d.tcr_campaign_id)
            else:
                targets.add(None)
                undeclared += 1
        bulk_ok = len(targets) == 1 and None not in targets
        bulk_campaign = next(iter(targets)) if bulk_ok else None
        notes: list[str] = []
        if bulk_ok and work:
            over = _bulk_over_cap(pid, campaigns.get(bulk_campaign or ""), on_profile.get(pid, ()), away,
                                  moving_into, live)
            if over is not None:
                notes.append(over)
                blocked_pairs[(pid, bulk_campaign or "")] = over
        strategy = PER_NUMBER
        for tcr, count in sorted(work.items()):
            c = campaigns.get(tcr)
            shared = c is not None and c.kind == SHARED
            if (pid, tcr) in blocked_pairs:
                continue  # over the cap: neither bulk nor per number
            if bulk_ok and tcr == bulk_campaign and (shared or count >= BULK_MIN_TELNYX):
                if count:  # moves alone need no bulk now; the next round bulks if a move drops a campaign
                    strategy = BULK
            elif shared and not options.shared_per_number:
                strays = sorted(n for n in on_profile.get(pid, ()) if n not in away and (
                    declared.get(n) is None or declared[n].profile_id != pid))
                named = ", ".join(strays[:3]) + (f" and {len(strays) - 3} more" if len(strays) > 3 else "")
                fix = (f"declare {named} in the files, or move {'it' if len(strays) == 1 else 'them'} off the "
                       "profile" if strays else f"give {tcr} its own messaging profile")
                why = (f"shared campaign {tcr} would need per-number assignment on profile {pid}, "
                       f"which also holds {describe_others(targets, tcr, undeclared)}; Telnyx documents only bulk "
                       f"assignment by profile for shared campaigns: {fix}"
                       + (f" (or give {tcr} its own messaging profile)" if strays else ""))
                notes.append(why)
                blocked_pairs[(pid, tcr)] = why
        if strategy == PER_NUMBER and not notes and not any(work.values()):
            strategy = NONE  # only moves, all possible
        resends = 0
        phase_campaign = None
        if strategy != BULK and bulk_ok and bulk_campaign in phase.get(pid, ()) \
                and (pid, bulk_campaign or "") not in blocked_pairs:
            phase_campaign = bulk_campaign  # no bulk now; a next phase's bulk may re-send them all the same
        if strategy == BULK or phase_campaign:
            # Numbers the task would provision again (mode bulk_same): only profiles with a bulk pay this.
            get = live.assignments.get
            for n in on_profile.get(pid, ()):
                a = get(n)
                if a is not None and a.tcr_campaign_id == bulk_campaign and a.status == ASSIGNED and n not in away:
                    resends += 1
        profiles[pid] = ProfilePlan(pid, p.name, True, exists, strategy,
                                    bulk_campaign if strategy == BULK else None,
                                    "; ".join(notes) or None, resends, phase_campaign)
    if not blocked_pairs:
        return profiles, {}
    blocked = {id(f): blocked_pairs[key] for f in to_assign
               if (key := (f.desired.profile_id, f.desired.tcr_campaign_id or "")) in blocked_pairs}
    return profiles, blocked


def _phase_pairs(findings: list[Finding], campaigns: dict[str, CampaignPlan]) -> dict[str, set[str]]:
    """Profile -> shared campaigns a next phase may bulk-assign on it although the plan sends no bulk there
    now: a number that only moves in may lose its campaign on the way (mode profile_leave), and a declared
    number in flight while it is not on its campaign (being freed, freed under a next phase, or under a task
    that may skip it) gets its campaign once Telnyx has freed it. For a shared campaign that is a bulk
    assignment of the whole profile (apply.phases.defer_freed, or a later round of an apply that waits), and
    its task re-sends the profile's sending numbers exactly as one sent now would: the plan counts them, and
    the limits apply."""
    MOVE, IN_FLIGHT = Action.MOVE, Action.IN_FLIGHT
    out: dict[str, set[str]] = defaultdict(set)
    for f in findings:
        d = f.desired
        if d is None or not d.profile_id or not d.tcr_campaign_id:
            continue
        if f.action is MOVE or (f.action is IN_FLIGHT and (f.live or UNSEEN).tcr_campaign_id != d.tcr_campaign_id):
            c = campaigns.get(d.tcr_campaign_id)
            if c is not None and c.kind == SHARED:
                out[d.profile_id].add(d.tcr_campaign_id)
    return out


def _bulk_over_cap(pid: str, campaign: CampaignPlan | None, on_profile: Iterable[str], away: set[str],
                   moving_into: Callable[[str], list[str]], live: LiveState) -> str | None:
    """A bulk task assigns *every* number of the profile, not only the plan's: when that would take
    a campaign without number pooling over T-Mobile's cap, the bulk must not be sent (and moves
    that would need it must not be made). The per-finding cap check cannot see this when the plan
    covers only some numbers (apply's later rounds), so it is counted here from the profile."""
    if campaign is None or campaign.number_pooling:
        return None
    members = {n for n in on_profile if n not in away} | set(moving_into(pid))
    active = (ASSIGNED, PENDING_ASSIGNMENT)
    already = sum(1 for n in members if (a := live.assignments.get(n)) is not None
                  and a.tcr_campaign_id == campaign.tcr_campaign_id and a.status in active)
    final = campaign.live_count - already + len(members)
    if final <= CAMPAIGN_CAP or final <= campaign.live_count:
        return None
    return (f"campaign {campaign.tcr_campaign_id} would hold {final} numbers; T-Mobile allows {CAMPAIGN_CAP} per "
            f"campaign without number pooling (a bulk assignment takes every number of the profile)")


def describe_others(targets: set[str | None], tcr: str, undeclared: int) -> str:
    others = sorted(t for t in targets if t and t != tcr)
    bits = []
    if others:
        bits.append("numbers of " + ", ".join(others))
    if undeclared:
        bits.append(plural(undeclared, "undeclared number", "undeclared numbers"))
    return " and ".join(bits) or "other numbers"
