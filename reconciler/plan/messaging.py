"""Messaging impact: which declared numbers can send now, and what the plan's route does to that.

A number can send US A2P traffic only while it is ASSIGNED to a campaign carriers accept (campaign
active, a shared campaign's share ACCEPTED) and sits on a messaging profile (contract, "Messaging
continuity"; 10dlc-domain.md §8). For each declared number a plan writes, its route either

- *interrupts* it: certainly where the route frees it from its old campaign before the new one
  takes it (a bulk task to a shared campaign leaves numbers another campaign holds, and Telnyx
  documents no per-number move to a shared campaign: apply frees them, and `resume` assigns them);
  possibly where it is moved in place (a PUT or a bulk task: whether the number keeps sending while
  PENDING_ASSIGNMENT, and whether Telnyx takes the move at all, is unconfirmed) or leaves its
  profile (whether that takes its campaign is unconfirmed, §1.6: a number that leaves its profile
  for a shared campaign's bulk is freed by the move, or kept on its old campaign);
  a route off a declared shared campaign *may block* instead, without
  --shared-per-number: if Telnyx refuses the move in place (or keeps the number on its old campaign
  when it leaves its profile), apply will not take it off a shared campaign by a per-number DELETE,
  so it keeps sending there and apply reports it blocked;
- *starts* it: a number that cannot send now (no campaign, a failed one, no profile, a campaign
  that cannot carry traffic) and will once the plan lands;
- *re-sends* it: a sending number the plan leaves alone, but a bulk task of its profile sends again
  (Telnyx may provision it again: sandbox mode `bulk_same`), whether the task is sent now or is a next
  phase (a number moving in or being freed is assigned by the profile's bulk once Telnyx has freed it);
  where a profile gets both (a bulk now, and a next phase's bulk for numbers freed meanwhile), its
  sending numbers may be provisioned twice: *re-sent twice*, up to the same hours each time;
- *prunes* it: an undeclared sending number the plan unassigns (`--prune`): it stops for good, a
  deliberate stop but a stop, so it is counted with those that may stop (the blast radius, the change
  windows) though the contract's `interrupted` counts declared numbers only.

Number-hours are estimated on the hardest reading of the route (freed, then assigned) from
Telnyx's typical durations (`reconciler.durations`). One pass over the changes, grouped by route:
a million findings make a handful of routes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Protocol

from reconciler import durations
from reconciler.diff import Finding
from reconciler.model import ASSIGNED, SHARED, plural



class CampaignPlan(Protocol):
    """What messaging reads of a plan's campaign (plan.model.CampaignPlan). A protocol: the plan's
    model uses this module, never the other way round."""

    kind: str | None
    campaign_status: str | None
    sharing_status: str | None


class ProfilePlan(Protocol):
    """What messaging reads of a plan's profile (plan.model.ProfilePlan)."""

    strategy: str
    resends: int
    bulk_campaign: str | None

    @property
    def resend_campaign(self) -> str | None: ...

# campaignStatus values under which carriers carry a campaign's traffic. TCR_SUSPENDED (dormant)
# accepts an assignment that wakes it, but sends nothing until then.
SENDING_STATUSES = frozenset({"MNO_PROVISIONED", "MNO_ACCEPTED"})

# Routes, as saved in JSON (`messaging.routes[].route`) and said in words.
FREED = "freed"  # certain: freed from the old campaign, then assigned to the new one
IN_PLACE = "in_place"  # possible: moved in place (bulk task or PUT); freed first only if Telnyx refuses
PROFILE = "profile"  # possible: leaving its profile may take its campaign; assigned (again) if it does

HOURS = {FREED: durations.FREE_THEN_ASSIGN, IN_PLACE: durations.FREE_THEN_ASSIGN,
         PROFILE: durations.FREE_THEN_ASSIGN}

WHY_FREED = ("a bulk task does not take a number another campaign holds, and Telnyx documents no per-number "
             "move to a shared campaign: it is freed first, then assigned (`reconciler resume`)")


def campaign_sends(c: CampaignPlan | None) -> bool:
    """Can a campaign carry traffic? A campaign the files do not declare (its status is not read)
    and a status Telnyx does not give count as sending: an interruption is never hidden."""
    if c is None:
        return True
    if c.kind == SHARED and c.sharing_status is not None and c.sharing_status.upper() != "ACCEPTED":
        return False
    return c.campaign_status is None or c.campaign_status in SENDING_STATUSES


@dataclass(frozen=True)
class Route:
    route: str  # FREED, IN_PLACE, PROFILE
    from_campaign: str | None
    to_campaign: str | None
    numbers: int
    hours_each: float
    # Off a shared campaign without --shared-per-number: if Telnyx refuses the move (or keeps the number
    # when it leaves its profile), it stays there, still sending, and apply reports it blocked.
    may_block: bool = False

    @property
    def certain(self) -> bool:
        return self.route == FREED


@dataclass(frozen=True)
class Messaging:
    interrupted: int = 0
    interrupted_certain: int = 0
    resent: int = 0
    started: int = 0
    interrupted_number_hours: float = 0.0
    routes: tuple[Route, ...] = field(default=())  # the interrupting routes, most numbers first
    pruned: int = 0  # undeclared sending numbers the prune unassigns: they stop for good
    # Of `resent`: those on a profile that gets a bulk now and may get a next phase's bulk too (numbers
    # freed meanwhile are assigned by it): each may provision them again, so they may stop twice.
    resent_twice: int = 0
    resent_number_hours: float = 0.0  # the re-sends' hardest reading: every stop, for the hours of each
    # Of `interrupted`: those on a route that may end blocked instead (still sending: Route.may_block).
    may_block: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"interrupted": self.interrupted, "interrupted_certain": self.interrupted_certain,
                "resent": self.resent, "pruned": self.pruned, "started": self.started,
                "interrupted_number_hours": self.interrupted_number_hours,
                "resent_twice": self.resent_twice, "resent_number_hours": self.resent_number_hours,
                "may_block": self.may_block,
                "routes": [{"route": r.route, "certain": r.certain, "from_campaign": r.from_campaign,
                            "to_campaign": r.to_campaign, "numbers": r.numbers, "hours_each": round(r.hours_each / 3600, 2),
                            "may_block": r.may_block}
                           for r in self.routes]}

    def __bool__(self) -> bool:
        return bool(self.interrupted or self.resent or self.started or self.pruned)

    @property
    def may_stop(self) -> int:
        """Sending numbers this plan stops or may stop: those whose campaign or profile it changes, those a
        bulk task re-sends (Telnyx may provision them again: PENDING_ASSIGNMENT for hours, and a few fail
        late), and those the prune unassigns (for good). What the blast radius and the change windows count;
        the contract's `interrupted` keeps the first."""
        return self.interrupted + self.resent + self.pruned


def held_on_shared(f: Finding, campaigns: Mapping[str, CampaignPlan], shared_per_number: bool) -> bool:
    """Might apply be unable to take this number off its campaign? Its live campaign is a shared one the
    files declare, and the run has no opt-in: a per-number DELETE there is undocumented, and apply does not
    send one (apply.per_number.free_then). A campaign the files do not declare has no kind in the plan (a
    saved plan keeps only the declared ones): it is not counted here (strategy.shared_removals blocks a move
    off one that live state shows shared to a shared campaign on the same profile, the common case)."""
    if shared_per_number or f.live is None or not f.live.tcr_campaign_id:
        return False
    c = campaigns.get(f.live.tcr_campaign_id)
    return c is not None and c.kind == SHARED


def may_block(f: Finding, route: str | None, campaigns: Mapping[str, CampaignPlan], shared_per_number: bool) -> bool:
    """May this change end blocked instead (still sending on its old, shared campaign)? A campaign change
    off a shared campaign without the opt-in, on a possible route: if Telnyx refuses the move in place, or
    keeps the number on its campaign when it leaves its profile, apply will not free it."""
    return (route in (IN_PLACE, PROFILE) and f.desired is not None and f.live is not None
            and f.desired.tcr_campaign_id != f.live.tcr_campaign_id and held_on_shared(f, campaigns, shared_per_number))


def route_of(f: Finding, profiles: Mapping[str, ProfilePlan], campaigns: Mapping[str, CampaignPlan],
             shared_per_number: bool, sends: Mapping[str | None, bool] | None = None) -> str | None:
    """The interrupting route of one declared change whose number sends now, or None (it does not
    interrupt: it starts, or changes nothing that sends).

    A number that leaves its profile for a shared campaign's bulk, from a shared campaign (or one the
    files do not declare), is not certainly freed: whether leaving the profile frees it is unconfirmed
    (sandbox mode profile_leave); if Telnyx keeps it there, the bulk may move it in place (bulk_existing)
    or skip it, and apply will not take it off a shared campaign without --shared-per-number: PROFILE."""
    d, live = f.desired, f.live
    if d is None or live is None or not f.writes or live.status != ASSIGNED or live.profile_id is None:
        return None
    ok = sends.get(live.tcr_campaign_id) if sends is not None else None
    if ok is None:
        ok = campaign_sends(campaigns.get(live.tcr_campaign_id or ""))
    if not ok:
        return None
    value = f.action._value_
    if value == "move":
        return PROFILE
    if value != "reassign":
        return None
    p = profiles.get(d.profile_id)
    target = campaigns.get(d.tcr_campaign_id)
    if p is not None and p.strategy == "bulk" and target is not None and target.kind == SHARED \
            and not shared_per_number:
        return PROFILE if f.move and held_on_shared(f, campaigns, shared_per_number) else FREED
    return IN_PLACE


def prunes_sending(f: Finding, sends: Mapping[str | None, bool]) -> bool:
    """Does this change unassign (prune) a number that sends now? `sends`: by campaign, as `impact` keeps it."""
    live = f.live
    return (f.action._value_ == "unassign" and live is not None and live.status == ASSIGNED
            and live.profile_id is not None and sends.get(live.tcr_campaign_id, True))


def impact(changes: Iterable[Finding], profiles: Mapping[str, ProfilePlan], campaigns: Mapping[str, CampaignPlan],
           shared_per_number: bool = False, counts: Mapping[str, int] | None = None,
           figures: durations.Figures | None = None) -> Messaging:
    """The plan's messaging impact, in at most one pass over its changes (writes by declared numbers,
    and the prune's removals). `counts`: the changes per action value, if known: assignments and retries
    always start their number, so only reassignments, moves and removals are looked at one by one (none:
    no pass).
    `figures`: this account's durations (status's history), else Telnyx's typical ones."""
    hours = HOURS if figures is None else {
        r: figures["unassignment"] + figures["task"] + figures["assignment"] for r in HOURS}
    resend_hours = durations.IN_PLACE if figures is None else figures["task"] + figures["assignment"]
    sends: dict[str | None, bool] = {None: True}
    for t, c in campaigns.items():
        sends[t] = campaign_sends(c)
    started = pruned = 0
    groups: Counter[tuple[str, str | None, str | None, bool]] = Counter()
    # (profile, shared campaign) a next phase's bulk may assign: a declared number that changes campaign or
    # profile there may be freed first (by apply, or by leaving its profile), then taken by the profile's bulk.
    phased: set[tuple[str, str]] = set()
    if counts is not None:
        started = counts.get("assign", 0) + counts.get("retry", 0)
        look = {v for v in ("reassign", "move", "unassign") if counts.get(v, 0)}
        todo: Iterable[Finding] = changes if look else ()
    else:
        look, todo = {"assign", "reassign", "retry", "move", "unassign"}, changes
    for f in todo:
        value = f.action._value_
        if value not in look:
            continue
        if value == "unassign":  # undeclared: a prune stops it for good if it sends now
            pruned += prunes_sending(f, sends)
            continue
        d, live = f.desired, f.live
        if d is None:
            continue
        if value == "assign" or value == "retry":
            started += 1
            continue
        # reassign or move
        if d.profile_id and d.tcr_campaign_id and (d.profile_id, d.tcr_campaign_id) not in phased:
            target = campaigns.get(d.tcr_campaign_id)
            if target is not None and target.kind == SHARED:
                phased.add((d.profile_id, d.tcr_campaign_id))
        if live is None or live.status != ASSIGNED or live.profile_id is None:
            started += 1
            continue
        ok = sends.get(live.tcr_campaign_id)
        if ok is None:
            ok = sends[live.tcr_campaign_id] = campaign_sends(campaigns.get(live.tcr_campaign_id or ""))
        if not ok:
            # cannot send now: a reassignment to a campaign that can starts it; a move does not
            if value == "reassign" and sends.get(d.tcr_campaign_id, True):
                started += 1
            continue
        route = route_of(f, profiles, campaigns, shared_per_number, sends)
        if route is not None:
            groups[(route, live.tcr_campaign_id, d.tcr_campaign_id,
                    may_block(f, route, campaigns, shared_per_number))] += 1
    # Re-sent by a bulk task now, or by a next phase's bulk of the same profile (ProfilePlan.phase_campaign);
    # by both where the profile gets a bulk now and numbers freed meanwhile are assigned by a next one.
    resent = twice = 0
    for pid, p in profiles.items():
        if p.resends and sends.get(p.resend_campaign, True):
            resent += p.resends
            if p.bulk_campaign is not None and (pid, p.bulk_campaign) in phased:
                twice += p.resends
    routes = tuple(Route(r, a, b, n, hours[r], blocks) for (r, a, b, blocks), n in
                   sorted(groups.items(), key=lambda kv: (-kv[1], kv[0][0], str(kv[0][1]), str(kv[0][2]), kv[0][3])))
    interrupted = sum(r.numbers for r in routes)
    certain = sum(r.numbers for r in routes if r.certain)
    number_hours = round(sum(r.numbers * r.hours_each for r in routes) / 3600, 1)
    return Messaging(interrupted, certain, resent, started, number_hours, routes, pruned, twice,
                     round((resent + twice) * resend_hours / 3600, 1), sum(r.numbers for r in routes if r.may_block))


# ------------------------------------------------------------------ words

SHOWN_ROUTES = 3  # routes said one by one; the rest are counted


def _blocked_words(r: Route, one: bool) -> str:
    """What a route that may block says happens then: the number keeps sending on its old campaign."""
    it, they = ("it", "it stays") if one else ("them", "they stay")
    return (f"{they} on {r.from_campaign}, still sending, and {'is' if one else 'are'} blocked unless "
            f"--shared-per-number (apply does not take {it} off a shared campaign without it)")


def _route_words(r: Route) -> str:
    n = r.numbers
    one = n == 1
    that = plural(n, "number that sends", "numbers that send")
    span = durations.hours(r.hours_each)
    if r.route == FREED:
        return f"{that} today stop{'s' if one else ''} for {span}: freed from {r.from_campaign}, then assigned to {r.to_campaign}"
    if r.route == IN_PLACE:
        head = (f"{that} today may stop for up to {span}: moved from {r.from_campaign} to {r.to_campaign} in place "
                f"(whether {'it sends' if one else 'they send'} while PENDING_ASSIGNMENT is unconfirmed)")
        if r.may_block:
            return f"{head}; if Telnyx refuses the move, {_blocked_words(r, one)}"
        return f"{head}, or freed first if Telnyx refuses the move"
    if r.from_campaign != r.to_campaign:  # leaves its profile and changes campaign
        head = (f"{that} today may stop for up to {span}: leaving {'its' if one else 'their'} messaging profile may "
                f"free {'it' if one else 'them'} from {r.from_campaign} (Telnyx does not say); then "
                f"{'it is' if one else 'they are'} assigned to {r.to_campaign}")
        if r.may_block:
            return (f"{head}; if Telnyx keeps {'it' if one else 'them'} on {r.from_campaign}, "
                    f"{'it is' if one else 'they are'} moved in place if Telnyx takes the move, else "
                    f"{_blocked_words(r, one)}")
        return head
    return (f"{that} today may stop for up to {span}: leaving {'its' if one else 'their'} messaging profile may "
            f"take campaign {r.from_campaign} (Telnyx does not say); then {'it is' if one else 'they are'} "
            f"assigned to it again")


def headline(m: Messaging) -> str:
    """One sentence: what the plan does to sending (the first line after the plan's counts)."""
    if not m:
        return "no number that sends today stops, none starts"
    parts = []
    if m.pruned:  # said first: a deliberate stop, but for good
        one = m.pruned == 1
        parts.append(f"{plural(m.pruned, 'sending number stops', 'sending numbers stop')} for good (pruned): "
                     f"the prune removes {'its' if one else 'their'} campaign (PENDING_UNASSIGNMENT "
                     f"{durations.hours(durations.UNASSIGNMENT)}, then no campaign)")
    if m.interrupted:
        n, c = m.interrupted, m.interrupted_certain
        if c == n:
            verb, about = ("number that sends today stops", "numbers that send today stop"), "about"
        elif c == 0:
            verb, about = ("number that sends today may stop", "numbers that send today may stop"), "up to about"
        else:
            verb = ("", f"numbers that send today stop or may stop ({c} certainly)")
            about = "up to about"
        parts.append(f"{plural(n, *verb)}, {about} {m.interrupted_number_hours:g} number-hours without service")
    elif not m.resent and not m.pruned:
        parts.append("no number that sends today stops")
    if m.may_block:
        who = "it" if m.interrupted == 1 else f"{m.may_block} of them"
        parts.append(f"{who} may instead be blocked, still sending on a shared campaign (see below)")
    if m.resent:
        one = m.resent == 1
        lead = "" if m.interrupted or m.pruned else "no number's campaign changes, but "
        span = durations.hours(durations.IN_PLACE)
        if m.resent_twice == m.resent:
            stop, sends = f"may stop twice, for up to {span} each", "a bulk task now and a next phase's bulk re-send"
        elif m.resent_twice:
            stop = f"may stop for up to {span} ({m.resent_twice} of them twice)"
            sends = "a bulk task re-sends"
        else:
            stop, sends = f"may stop for up to {span}", "a bulk task re-sends"
        parts.append(f"{lead}{plural(m.resent, 'sending number', 'sending numbers')} {stop}: {sends} "
                     f"{'it' if one else 'them'} (if Telnyx provisions {'it' if one else 'them'} again, "
                     f"{'it is' if one else 'they are'} PENDING_ASSIGNMENT, and a few may fail)")
    if m.started:
        parts.append(f"{plural(m.started, 'number starts', 'numbers start')} sending once "
                     f"{'it is' if m.started == 1 else 'they are'} assigned ({durations.hours(durations.IN_PLACE)})")
    return "; ".join(parts)


def route_lines(m: Messaging) -> list[str]:
    """One line per interrupting route, the busiest first; past SHOWN_ROUTES, one line counts the rest."""
    out = [_route_words(r) for r in m.routes[:SHOWN_ROUTES]]
    rest = m.routes[SHOWN_ROUTES:]
    if rest:
        out.append(f"…and {plural(sum(r.numbers for r in rest), 'number', 'numbers')} on "
                   f"{plural(len(rest), 'other route', 'other routes')} (in the JSON plan)")
    if any(r.certain for r in m.routes):
        out.append(f"why freed first: {WHY_FREED}")
    return out
