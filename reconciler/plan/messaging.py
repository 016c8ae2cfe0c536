"""Messaging impact: which declared numbers can send now, and what the plan's route does to that.

A number can send US A2P traffic only while it is ASSIGNED to a campaign carriers accept (campaign
active, a shared campaign's share ACCEPTED) and sits on a messaging profile (contract, "Messaging
continuity"; 10dlc-domain.md §8). For each declared number a plan writes, its route either

- *interrupts* it: certainly where the route frees it from its old campaign before the new one
  takes it (a bulk task to a shared campaign leaves numbers another campaign holds, and Telnyx
  documents no per-number move to a shared campaign: apply frees them, and `resume` assigns them);
  possibly where it is moved in place (a PUT or a bulk task: whether the number keeps sending while
  PENDING_ASSIGNMENT, and whether Telnyx takes the move at all, is unconfirmed) or leaves its
  profile (whether that takes its campaign is unconfirmed, §1.6);
- *starts* it: a number that cannot send now (no campaign, a failed one, no profile, a campaign
  that cannot carry traffic) and will once the plan lands;
- *re-sends* it: a sending number the plan leaves alone, but a bulk task of its profile sends again
  (Telnyx may provision it again: sandbox mode `bulk_same`), whether the task is sent now or is a next
  phase (a number moving in or being freed is assigned by the profile's bulk once Telnyx has freed it);
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

    @property
    def resend_campaign(self) -> str | None: ...

# campaignStatus values under which carriers carry a campaign's traffic. TCR_SUSPENDED (dormant)
# accepts an assignment that wakes it, but sends nothing until then.
SENDING_STATUSES = frozenset({"MNO_PROVISIONED", "MNO_ACCEPTED"})

# Routes, as saved in JSON (`messaging.routes[].route`) and said in words.
FREED = "freed"  # certain: freed from the old campaign, then assigned to the new one
IN_PLACE = "in_place"  # possible: moved in place (bulk task or PUT); freed first only if Telnyx refuses
PROFILE = "profile"  # possible: leaving its profile may take its campaign; assigned again if it does

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

    def as_dict(self) -> dict[str, Any]:
        return {"interrupted": self.interrupted, "interrupted_certain": self.interrupted_certain,
                "resent": self.resent, "pruned": self.pruned, "started": self.started,
                "interrupted_number_hours": self.interrupted_number_hours,
                "routes": [{"route": r.route, "certain": r.certain, "from_campaign": r.from_campaign,
                            "to_campaign": r.to_campaign, "numbers": r.numbers, "hours_each": round(r.hours_each / 3600, 2)}
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


def route_of(f: Finding, profiles: Mapping[str, ProfilePlan], campaigns: Mapping[str, CampaignPlan],
             shared_per_number: bool, sends: Mapping[str | None, bool] | None = None) -> str | None:
    """The interrupting route of one declared change whose number sends now, or None (it does not
    interrupt: it starts, or changes nothing that sends)."""
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
        return FREED
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
    sends: dict[str | None, bool] = {None: True}
    for t, c in campaigns.items():
        sends[t] = campaign_sends(c)
    started = pruned = 0
    groups: Counter[tuple[str, str | None, str | None]] = Counter()
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
            groups[(route, live.tcr_campaign_id, d.tcr_campaign_id)] += 1
    # Re-sent by a bulk task now, or by a next phase's bulk of the same profile (ProfilePlan.phase_campaign).
    resent = sum(p.resends for p in profiles.values()
                 if p.resends and sends.get(p.resend_campaign, True))
    routes = tuple(Route(r, a, b, n, hours[r]) for (r, a, b), n in
                   sorted(groups.items(), key=lambda kv: (-kv[1], kv[0][0], str(kv[0][1]), str(kv[0][2]))))
    interrupted = sum(r.numbers for r in routes)
    certain = sum(r.numbers for r in routes if r.certain)
    number_hours = round(sum(r.numbers * r.hours_each for r in routes) / 3600, 1)
    return Messaging(interrupted, certain, resent, started, number_hours, routes, pruned)


# ------------------------------------------------------------------ words

SHOWN_ROUTES = 3  # routes said one by one; the rest are counted


def _route_words(r: Route) -> str:
    n = r.numbers
    one = n == 1
    that = plural(n, "number that sends", "numbers that send")
    span = durations.hours(r.hours_each)
    if r.route == FREED:
        return f"{that} today stop{'s' if one else ''} for {span}: freed from {r.from_campaign}, then assigned to {r.to_campaign}"
    if r.route == IN_PLACE:
        return (f"{that} today may stop for up to {span}: moved from {r.from_campaign} to {r.to_campaign} in place "
                f"(whether {'it sends' if one else 'they send'} while PENDING_ASSIGNMENT is unconfirmed), or freed "
                f"first if Telnyx refuses the move")
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
    if m.resent:
        one = m.resent == 1
        lead = "" if m.interrupted or m.pruned else "no number's campaign changes, but "
        parts.append(f"{lead}{plural(m.resent, 'sending number', 'sending numbers')} may stop for up to "
                     f"{durations.hours(durations.IN_PLACE)}: a bulk task re-sends {'it' if one else 'them'} (if Telnyx "
                     f"provisions {'it' if one else 'them'} again, {'it is' if one else 'they are'} "
                     f"PENDING_ASSIGNMENT, and a few may fail)")
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
