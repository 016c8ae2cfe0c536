"""Pure planning: findings → a `Plan` with a strategy per profile, safety, preconditions.

The one rule that shapes everything (contract, "Scope"): a bulk assignment by
profile assigns *every* number on that profile, so it may be used only where
every number on the profile, after the planned moves, is declared for that
same campaign. Elsewhere numbers are assigned one by one, which Telnyx does
not document for shared campaigns (10dlc-domain.md §3.4): those changes are
blocked with a suggestion, unless the run opts in (`shared_per_number`).
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from enum import StrEnum
from operator import attrgetter
from typing import Any, Iterable, Mapping

from reconciler.diff import (
    ACTION_VALUE,
    ASSIGNING_VALUES,
    COUNT_KEY,
    DORMANT,
    Action,
    Finding,
    campaign_problem,
    diff_changes,
    is_assigning,
)
from reconciler.model import (
    ASSIGNED,
    CAMPAIGN_CAP,
    PENDING_ASSIGNMENT,
    SHARED,
    CampaignKind,
    DesiredState,
    LiveState,
    Policy,
    plural,
)

SCHEMA_VERSION = 1

# Safety defaults, after octoDNS (30 % of a zone with at least 10 records),
# plus absolute caps because a campaign never holds more than a few dozen
# numbers but an estate holds tens of thousands.
DEFAULT_MAX_UNASSIGN = 25
DEFAULT_MAX_UNASSIGN_PERCENT = 30.0
DEFAULT_MAX_REASSIGN = 100
DEFAULT_MAX_REASSIGN_PERCENT = 30.0
PERCENT_MIN_EXISTING = 10

# Below this many assignments on a Telnyx-registered campaign, per-number calls
# are cheaper than a bulk task (1 POST + polls + the task's number list).
BULK_MIN_TELNYX = 3

class Strategy(StrEnum):
    """How a profile's assignments are made. Values appear in JSON output and saved plans."""

    BULK = "bulk"  # one bulk task by profile: every number on it gets the campaign
    PER_NUMBER = "per_number"  # one POST/PUT per number
    NONE = "none"  # nothing to assign on this profile (only moves, or nothing)


BULK, PER_NUMBER, NONE = Strategy.BULK, Strategy.PER_NUMBER, Strategy.NONE


@dataclass(frozen=True)
class PlanOptions:
    prune: bool | None = None  # None: policy.prune
    allow_unassign: int | None = None  # exactly this many unassigns may exceed the limits
    allow_reassign: int | None = None
    shared_per_number: bool = False  # the account accepts per-number writes to shared campaigns


@dataclass(frozen=True, slots=True)
class ProfilePlan:
    id: str
    name: str | None
    declared: bool
    exists: bool
    strategy: Strategy
    bulk_campaign: str | None = None
    note: str | None = None
    # Numbers already ASSIGNED to bulk_campaign that its task sends again: whether Telnyx leaves
    # them alone or provisions them again (PENDING_ASSIGNMENT for hours) is unconfirmed.
    resends: int = 0


@dataclass(frozen=True, slots=True)
class CampaignPlan:
    tcr_campaign_id: str
    kind: CampaignKind | None
    campaign_status: str | None
    sharing_status: str | None
    number_pooling: bool
    telnyx_campaign_id: str | None
    live_count: int  # ASSIGNED + PENDING_ASSIGNMENT now
    final_count: int  # after the plan
    problem: str | None = None


@dataclass
class Plan:
    desired: DesiredState
    changes: tuple[Finding, ...]  # every finding that is not OK, sorted by number
    counts: dict[str, int]
    profiles: dict[str, ProfilePlan]
    campaigns: dict[str, CampaignPlan]
    warnings: tuple[str, ...] = ()
    unsafe: tuple[str, ...] = ()
    prune: bool = False
    options: PlanOptions = field(default_factory=PlanOptions)
    timeline: tuple[str, ...] = ()  # how long the changes take at Telnyx, and which need two phases
    # Names of the profiles the plan mentions, where known (the files' name first, else Telnyx's): reports
    # show "name (id…)" instead of a bare id. Not part of the checksum: labels, not what apply does.
    profile_names: dict[str, str] = field(default_factory=dict, compare=False)
    _checksum: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def writes(self) -> tuple[Finding, ...]:
        return tuple(c for c in self.changes if c.writes)

    @property
    def has_changes(self) -> bool:
        return any(c.writes for c in self.changes)

    @property
    def blocked(self) -> tuple[Finding, ...]:
        """Declared numbers the plan cannot bring to their declared state (each with its reason)."""
        return tuple(c for c in self.changes if c.action is Action.BLOCKED and c.declared)

    @property
    def in_flight(self) -> tuple[Finding, ...]:
        return tuple(c for c in self.changes if c.action is Action.IN_FLIGHT)

    @property
    def being_freed(self) -> tuple[Finding, ...]:
        """Declared numbers Telnyx is unassigning: once it has, they need their campaign (a next phase)."""
        return tuple(c for c in self.changes if c.action is Action.IN_FLIGHT and c.declared
                     and c.live_status == "PENDING_UNASSIGNMENT")

    @property
    def safe(self) -> bool:
        return not self.unsafe

    def checksum(self) -> str:
        """sha256 over what apply would do and the state it expects; stable across runs.

        One positional JSON array per change, encoded in one call (a dict per change, or a
        `dumps` per change, costs 3x over 100k changes); computed once per plan."""
        if self._checksum is None:
            rows = [[c.number, c.action.value, c.profile_id, c.tcr_campaign_id, c.move, c.declared, c.reason,
                     c.live_profile_id, c.live_campaign, c.live_status] for c in self.changes if c.writes]
            strategies = {p.id: [p.strategy, p.bulk_campaign] for p in self.profiles.values()}
            raw = json.dumps([rows, strategies], sort_keys=True, separators=(",", ":")).encode()
            self._checksum = hashlib.sha256(raw).hexdigest()
        return self._checksum


def change_dict(c: Finding) -> dict[str, Any]:
    """One change as saved: target, action, and the live state it expects (precondition)."""
    return {
        "number": c.number,
        "action": c.action.value,
        "profile_id": c.profile_id,
        "tcr_campaign_id": c.tcr_campaign_id,
        "move": c.move,
        "declared": c.declared,
        "reason": c.reason,
        "expect": {"profile_id": c.live_profile_id, "tcr_campaign_id": c.live_campaign, "status": c.live_status},
    }


def make_plan(desired: DesiredState, live: LiveState, options: PlanOptions | None = None,
              *, only: frozenset[str] | None = None, in_flight: Mapping[str, str] | None = None) -> Plan:
    """Diff and plan in one call. `only` restricts writes to these numbers (apply's later rounds);
    `in_flight` names numbers under work Telnyx has not finished (the journal), never written again."""
    options = options or PlanOptions()
    prune = desired.policy.prune if options.prune is None else options.prune
    # Every object made here is acyclic: the cyclic GC would only walk both states, again
    # and again, as a million findings get allocated (the loader does the same).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        findings, ok = diff_changes(desired, live, prune, in_flight=in_flight)
        if only is not None:
            findings = [f if f.number in only or not f.writes else
                        replace(f, action=Action.UNMANAGED if not f.declared else Action.OK)
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
    now = _live_count(live)
    delta = _count_changes(relevant)
    campaigns = _campaigns(desired, live, relevant, now, delta)
    before = relevant
    relevant = _apply_caps(relevant, campaigns)
    relevant = _shared_removals(relevant, live, options)
    profiles, relevant = _strategies(desired, live, relevant, campaigns, options)
    if relevant is not before:  # some findings were blocked: recount only those (same order, same length)
        old = [a for a, b in zip(before, relevant) if a is not b]
        new = [b for a, b in zip(before, relevant) if a is not b]
        for k, v in _count_changes(old).items():
            delta[k] -= v
        for k, v in _count_changes(new).items():
            delta[k] += v
    campaigns = _campaigns(desired, live, relevant, now, delta)  # final counts after blocks
    # caps and strategies only ever block a change, never make it OK
    changes = tuple(relevant) if all_changes else tuple(f for f in relevant if f.action is not OK)
    counts = Counter(map(ACTION_VALUE, changes))
    counts[OK.value] = total - len(changes)
    counts_out = {a.value: counts.get(a.value, 0) for a in Action}
    counts_out["profile_moves"] = len(list(filter(None, map(_MOVE, relevant))))
    counts_out["numbers_declared"] = len(desired.numbers)
    warnings = _warnings(desired, live, relevant, campaigns, profiles)
    unsafe = _safety(desired.policy, relevant, campaigns, options) + _reprovision_limit(desired.policy, profiles)
    names = _profile_names(desired, live, changes)
    return Plan(desired, changes, counts_out, profiles, campaigns, tuple(warnings), tuple(unsafe),
                prune, options, _timeline(changes, profiles), names)


def profile_label(pid: str, names: Mapping[str, str]) -> str:
    """`acme-marketing (4001767e…)` where the name is known, else the whole id (to look it up)."""
    name = names.get(pid)
    return f"{name} ({pid[:8]}…)" if name else pid


def _profile_names(desired: DesiredState, live: LiveState, changes: Iterable[Finding]) -> dict[str, str]:
    """The known names of every profile a change mentions or the files declare."""
    mentioned = set(desired.profiles)
    for f in changes:
        mentioned.update(p for p in (f.profile_id, f.live_profile_id) if p)
    out = {}
    for pid in sorted(mentioned):
        d = desired.profiles.get(pid)
        name = (d.name if d else None) or live.profiles.get(pid)
        if name:
            out[pid] = name
    return out


def _live_count(live: LiveState) -> Counter[str]:
    live_statuses = (ASSIGNED, PENDING_ASSIGNMENT)
    return Counter(a.tcr_campaign_id for a in live.assignments.values() if a.status in live_statuses)


def _count_changes(findings: Iterable[Finding]) -> Counter[tuple[str, str | None, str | None, str | None]]:
    """Findings grouped by what moves campaign counts (attrgetter + Counter run in C)."""
    return Counter(map(COUNT_KEY, findings))


def _campaigns(desired: DesiredState, live: LiveState, findings: Iterable[Finding],
               now: Counter[str] | None = None,
               delta: Counter[tuple[str, str | None, str | None, str | None]] | None = None
               ) -> dict[str, CampaignPlan]:
    """`findings` needs only the ones that are not OK (OK changes no count); `delta`, if
    given, is `_count_changes(findings)`."""
    if now is None:
        now = _live_count(live)
    if delta is None:
        delta = _count_changes(findings)
    final = Counter(now)
    unassign = Action.UNASSIGN.value
    # once per distinct kind of change, not per finding
    for (value, tcr, live_campaign, live_status), k in delta.items():
        if not k:
            continue
        if value in ASSIGNING_VALUES:
            final[tcr or ""] += k
            if live_campaign and live_status in (ASSIGNED, PENDING_ASSIGNMENT):
                final[live_campaign] -= k
        elif value == unassign and live_campaign:
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


_MOVE = attrgetter("move")
_PROFILE_CAMPAIGN = attrgetter("profile_id", "tcr_campaign_id")
_NUMBER = attrgetter("number")


def _apply_caps(findings: list[Finding], campaigns: dict[str, CampaignPlan]) -> list[Finding]:
    """Block every addition to a campaign that would end over 49 numbers without pooling."""
    over = {t for t, c in campaigns.items()
            if not c.number_pooling and c.final_count > CAMPAIGN_CAP and c.final_count > c.live_count}
    if not over:
        return findings
    out = []
    for f in findings:
        if is_assigning(f) and f.tcr_campaign_id in over:
            c = campaigns[f.tcr_campaign_id or ""]
            f = replace(f, action=Action.BLOCKED, move=False, reason=(
                f"campaign {c.tcr_campaign_id} would hold {c.final_count} numbers; T-Mobile allows "
                f"{CAMPAIGN_CAP} per campaign without number pooling"))
        out.append(f)
    return out


def _on_shared(live: LiveState, f: Finding) -> bool:
    """Is the number's live assignment on a shared campaign? Unknown counts as shared."""
    c = live.campaigns.get(f.live_campaign or "")
    if c is not None:
        return c.kind == SHARED
    a = live.assignments.get(f.number)
    return a is None or a.shared is not False


def _shared_removals(findings: list[Finding], live: LiveState, options: PlanOptions) -> list[Finding]:
    """Block removing a number from a shared campaign, unless the run opts in.

    A removal (prune) is a per-number DELETE; Telnyx documents only bulk by profile for shared
    campaigns, and may refuse it (sandbox mode shared_delete). A move to another campaign is not
    blocked: leaving the profile, or the new campaign's bulk task, may take the number off (apply
    never falls back to a DELETE on a shared campaign without the opt-in, and says so). A FAILED
    record is replaced, never deleted one by one, so it is not blocked either."""
    if options.shared_per_number:
        return findings
    out = []
    for f in findings:
        if f.action is Action.UNASSIGN and f.live_campaign and f.live_status in (ASSIGNED, None) and \
                _on_shared(live, f):
            f = replace(f, action=Action.BLOCKED, move=False, reason=(
                f"on shared campaign {f.live_campaign}: removing it takes a per-number DELETE, which Telnyx does not "
                f"document for shared campaigns; re-run with --shared-per-number if your account accepts per-number "
                f"writes to shared campaigns, or remove it in the Telnyx portal"))
        out.append(f)
    return out


def _strategies(desired: DesiredState, live: LiveState, findings: list[Finding],
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
        findings = [replace(f, action=Action.BLOCKED, move=False, reason=blocked[id(f)]) if id(f) in blocked else f
                    for f in findings]
    # Profiles that only appear because an unmanaged number of a declared campaign sits there.
    for f in findings:
        if not f.declared and f.live_profile_id and f.live_profile_id not in profiles:
            profiles[f.live_profile_id] = ProfilePlan(f.live_profile_id, live.profiles.get(f.live_profile_id),
                                                      False, True, NONE)
    return profiles, findings


def _strategies_once(desired: DesiredState, live: LiveState, findings: list[Finding],
                     campaigns: dict[str, CampaignPlan], options: PlanOptions
                     ) -> tuple[dict[str, ProfilePlan], dict[int, str]]:
    declared = desired.numbers
    # Work per declared profile and campaign: numbers to assign, and numbers that only move
    # there (Telnyx does not say whether leaving a profile keeps the campaign, so a move may
    # need an assignment on the new profile: it must be possible there too).
    to_assign = [f for f in findings if f.profile_id and f.declared and (
        is_assigning(f) or f.action is Action.MOVE)]
    assigning: dict[str, dict[str, int]] = defaultdict(dict)  # real assignments: they set the strategy
    for (pid, tcr), k in Counter(map(_PROFILE_CAMPAIGN, (f for f in to_assign if f.action is not Action.MOVE))).items():
        assigning[pid][tcr or ""] = assigning[pid].get(tcr or "", 0) + k
    for f in to_assign:
        if f.action is Action.MOVE:
            assigning[f.profile_id or ""].setdefault(f.tcr_campaign_id or "", 0)
    # Who sits on each profile with work once the planned moves are done: the numbers
    # live there that do not move away, and the declared numbers that move in (each
    # declared for that profile, so its target is its campaign). Only numbers that will
    # really be written move: not blocked ones, nor work in flight.
    on_profile: dict[str, list[str]] = defaultdict(list)
    moved_in: dict[str, set[str]] = defaultdict(set)
    movers_in: dict[str, list[str]] = defaultdict(list)
    away: set[str] = set()
    if assigning:
        movers = [f for f in findings if f.move and f.declared and f.writes]
        away = set(map(_NUMBER, movers))
        for f in movers:
            moved_in[f.profile_id or ""].add(f.tcr_campaign_id)
            movers_in[f.profile_id or ""].append(f.number)
        for n in live.numbers.values():
            if n.profile_id in assigning:
                on_profile[n.profile_id].append(n.number)
    profiles: dict[str, ProfilePlan] = {}
    blocked_pairs: dict[tuple[str, str], str] = {}
    for pid in sorted(desired.profiles):
        p = desired.profiles[pid]
        exists = pid in live.profiles
        work = assigning.get(pid, {})
        if not work:
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
        if bulk_ok:
            over = _bulk_over_cap(pid, campaigns.get(bulk_campaign or ""), on_profile.get(pid, ()), away,
                                  movers_in.get(pid, ()), live)
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
                       f"which also holds {_describe_others(targets, tcr, undeclared)}; Telnyx documents only bulk "
                       f"assignment by profile for shared campaigns: {fix}"
                       + (f" (or give {tcr} its own messaging profile)" if strays else ""))
                notes.append(why)
                blocked_pairs[(pid, tcr)] = why
        if strategy == PER_NUMBER and not notes and not any(work.values()):
            strategy = NONE  # only moves, all possible
        resends = 0
        if strategy == BULK:
            for n in on_profile.get(pid, ()):
                a = live.assignments.get(n)
                if n not in away and a is not None and a.tcr_campaign_id == bulk_campaign and a.status == ASSIGNED:
                    resends += 1
        profiles[pid] = ProfilePlan(pid, p.name, True, exists, strategy,
                                    bulk_campaign if strategy == BULK else None,
                                    "; ".join(notes) or None, resends)
    blocked = {id(f): blocked_pairs[key] for f in to_assign
               if (key := (f.profile_id or "", f.tcr_campaign_id or "")) in blocked_pairs}
    return profiles, blocked


def _bulk_over_cap(pid: str, campaign: CampaignPlan | None, on_profile: Iterable[str], away: set[str],
                   moving_in: Iterable[str], live: LiveState) -> str | None:
    """A bulk task assigns *every* number of the profile, not only the plan's: when that would take
    a campaign without number pooling over T-Mobile's cap, the bulk must not be sent (and moves
    that would need it must not be made). The per-finding cap check cannot see this when the plan
    covers only some numbers (apply's later rounds), so it is counted here from the profile."""
    if campaign is None or campaign.number_pooling:
        return None
    members = {n for n in on_profile if n not in away} | set(moving_in)
    active = (ASSIGNED, PENDING_ASSIGNMENT)
    already = sum(1 for n in members if (a := live.assignments.get(n)) is not None
                  and a.tcr_campaign_id == campaign.tcr_campaign_id and a.status in active)
    final = campaign.live_count - already + len(members)
    if final <= CAMPAIGN_CAP or final <= campaign.live_count:
        return None
    return (f"campaign {campaign.tcr_campaign_id} would hold {final} numbers; T-Mobile allows {CAMPAIGN_CAP} per "
            f"campaign without number pooling (a bulk assignment takes every number of the profile)")


def _describe_others(targets: set[str | None], tcr: str, undeclared: int) -> str:
    others = sorted(t for t in targets if t and t != tcr)
    bits = []
    if others:
        bits.append("numbers of " + ", ".join(others))
    if undeclared:
        bits.append(plural(undeclared, "undeclared number", "undeclared numbers"))
    return " and ".join(bits) or "other numbers"


def _warnings(desired: DesiredState, live: LiveState, findings: list[Finding],
              campaigns: dict[str, CampaignPlan], profiles: dict[str, ProfilePlan]) -> list[str]:
    out = []
    for tcr, c in campaigns.items():
        if c.live_count > 0 and c.final_count <= 0:
            out.append(f"campaign {tcr} will be left without numbers; Telnyx suspends a campaign after 15 days "
                       f"with no numbers (dormancy)")
        if c.final_count > CAMPAIGN_CAP and not c.number_pooling:
            out.append(f"campaign {tcr} holds {c.final_count} numbers, over the {CAMPAIGN_CAP} T-Mobile allows "
                       f"without number pooling")
        if c.campaign_status == DORMANT and any(is_assigning(f) and f.tcr_campaign_id == tcr
                                                for f in findings):
            out.append(f"campaign {tcr} is dormant (TCR_SUSPENDED): its first assignment fails and wakes it; "
                       f"apply retries")
    for pid, p in profiles.items():
        if p.declared and not p.exists:
            out.append(f"messaging profile {pid} does not exist at Telnyx")
    left: dict[str, list[str]] = defaultdict(list)
    for f in findings:
        if f.action is Action.UNASSIGN and f.live_profile_id in desired.profiles:
            left[f.live_profile_id].append(f.number)
    for pid, numbers in sorted(left.items()):
        one = len(numbers) == 1
        named = ", ".join(numbers[:3]) + (f" and {len(numbers) - 3} more" if len(numbers) > 3 else "")
        out.append(f"after the prune, {plural(len(numbers), 'number stays', 'numbers stay')} on profile {pid} "
                   f"with no campaign ({named}): while there, {'it keeps' if one else 'they keep'} that profile from "
                   f"bulk assignment; move {'it' if one else 'them'} off the profile (to no profile) or declare "
                   f"{'it' if one else 'them'}")
    unmanaged_by_profile = Counter(f.live_profile_id for f in findings
                                   if not f.declared and f.live_profile_id in desired.profiles)
    for pid, n in sorted(unmanaged_by_profile.items(), key=lambda kv: str(kv[0])):
        out.append(f"profile {pid} holds {plural(n, 'undeclared number', 'undeclared numbers')}; bulk assignment "
                   f"by profile is not used there until {'it is' if n == 1 else 'they are'} declared or moved off "
                   f"the profile")
    return out


# Telnyx support: a number stays PENDING_ASSIGNMENT for about two hours, sometimes days.
PHASE = "about 2 h at Telnyx, sometimes days"


def _timeline(changes: Iterable[Finding], profiles: dict[str, ProfilePlan]) -> tuple[str, ...]:
    """What the plan will take on Telnyx's timeline, said before anyone approves it."""
    assigning = reassign_bulk = reassign_single = unassign = 0
    for f in changes:
        v = ACTION_VALUE(f)
        if v in ASSIGNING_VALUES:
            assigning += 1
            if v == Action.REASSIGN.value:
                p = profiles.get(f.profile_id or "")
                if p is not None and p.strategy == BULK:
                    reassign_bulk += 1
                else:
                    reassign_single += 1
        elif v == Action.UNASSIGN.value:
            unassign += 1
    out = []
    if assigning:
        out.append(f"{plural(assigning, 'number', 'numbers')} will be assigned: apply returns once Telnyx accepts "
                   f"the work; each "
                   f"number stays PENDING_ASSIGNMENT for {PHASE}")
    if reassign_bulk:
        out.append(f"{plural(reassign_bulk, 'number moves', 'numbers move')} from another campaign by bulk "
                   f"assignment: Telnyx may skip numbers "
                   f"another campaign holds; those are freed first and assigned in a second phase by "
                   f"`reconciler resume` (two phases: {PHASE} each)")
    if reassign_single:
        out.append(f"{plural(reassign_single, 'number moves', 'numbers move')} from another campaign one by one: if "
                   f"Telnyx refuses to move {'it' if reassign_single == 1 else 'them'} in place, "
                   f"{'it is' if reassign_single == 1 else 'they are'} freed first and assigned in a second phase "
                   f"(two phases: {PHASE} each)")
    if unassign:
        out.append(f"{plural(unassign, 'number loses its', 'numbers lose their')} campaign: PENDING_UNASSIGNMENT "
                   f"for {PHASE}")
    resends = sum(p.resends for p in profiles.values())
    if resends:
        one = resends == 1
        out.append(f"bulk assignment re-sends {plural(resends, 'number', 'numbers')} already ASSIGNED to "
                   f"{'its' if one else 'their'} campaign (a task takes every number of its profile): if Telnyx "
                   f"provisions {'it' if one else 'them'} again (unconfirmed), {'it is' if one else 'they are'} "
                   f"PENDING_ASSIGNMENT for {PHASE}; the policy's max_reprovision caps how many")
    return tuple(out)


def _reprovision_limit(policy: Policy, profiles: dict[str, ProfilePlan]) -> list[str]:
    cap = policy.max_reprovision
    resends = sum(p.resends for p in profiles.values())
    if cap is None or resends <= cap:
        return []
    busiest = max((p for p in profiles.values() if p.resends), key=lambda p: p.resends)
    return [f"bulk assignment would re-send {plural(resends, 'number', 'numbers')} already ASSIGNED, over "
            f"max_reprovision {cap} by "
            f"{resends - cap} (profile {busiest.id}: {busiest.resends}); raise max_reprovision, or "
            f"give the new numbers their own messaging profile"]


def _safety(policy: Policy, findings: list[Finding], campaigns: dict[str, CampaignPlan],
            options: PlanOptions) -> list[str]:
    problems: list[str] = []
    checks = (
        ("unassign", [f for f in findings if f.action is Action.UNASSIGN], policy.max_unassign,
         DEFAULT_MAX_UNASSIGN, policy.max_unassign_percent, DEFAULT_MAX_UNASSIGN_PERCENT, options.allow_unassign),
        ("reassign", [f for f in findings if f.action is Action.REASSIGN], policy.max_reassign,
         DEFAULT_MAX_REASSIGN, policy.max_reassign_percent, DEFAULT_MAX_REASSIGN_PERCENT, options.allow_reassign),
    )
    for verb, fs, cap, cap_default, pct, pct_default, allowed in checks:
        if not fs:
            continue
        cap = cap_default if cap is None else cap
        pct = pct_default if pct is None else pct
        over: list[str] = []
        if len(fs) > cap:
            over.append(f"{plural(len(fs), 'number', 'numbers')} would {verb}, over max_{verb} {cap} by "
                        f"{len(fs) - cap}")
        per_campaign = Counter(f.live_campaign for f in fs if f.live_campaign)
        for tcr, n in sorted(per_campaign.items()):
            c = campaigns.get(tcr)
            if c is None or c.live_count < PERCENT_MIN_EXISTING:
                continue
            share = 100.0 * n / c.live_count
            if share > pct:
                over.append(f"{n} of {c.live_count} numbers of campaign {tcr} would {verb} "
                            f"({share:.0f}%), over max_{verb}_percent {pct:g}%")
        if over and allowed != len(fs):
            these = "this one" if len(fs) == 1 else f"these {len(fs)}"
            hint = f"re-run with --allow-{verb} {len(fs)} to allow exactly {these}"
            problems.extend(f"{o}; {hint}" for o in over)
    return problems
