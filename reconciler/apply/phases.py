"""Deferred phases: an assignment that must wait until Telnyx has freed its numbers (hours) is
journalled as the next phase of the approved apply; `resume` (the scheduled CI job, or a later
round) carries it out once its condition holds.

The journal is a memory, not an authority: before a phase is carried out, its numbers are planned
again from the desired-state files at hand against live state (`replan`), within the same
safety limits, and only what that plan would do is sent. A phase whose campaign, profile or
numbers the files no longer declare that way is closed as abandoned and reported, never written;
the campaign's Telnyx id is taken from live state, never from the journal."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Mapping

from reconciler.diff import ASSIGNING, Action, reported_under
from reconciler.journal import Op, State
from reconciler.model import PENDING_UNASSIGNMENT, SHARED, TELNYX, DesiredProfile, DesiredState, LiveState, plural
from reconciler.plan import BULK, Plan, PlanOptions, make_plan
from reconciler.tracking import InFlight, NumberState, PhaseState, Tracked
from reconciler.tracking.declared import not_declared

from .checks import profile_members, resends_allowed
from .ports import campaign_of
from .submit import Answer, Submitter


# How carry_out says a phase was refused (it would do more than the reviewed plan allowed): `resume`
# exits 3 on it, and apply reports the phase's numbers stale.
REFUSED = "refused: "


class PhaseOutcome(StrEnum):
    """What became of a deferred phase looked at by `carry_out`: what exit codes and rounds decide on."""

    DONE = "done"  # closed: every number is where the files want it
    SUBMITTED = "submitted"  # closed: its write was sent and taken
    ABANDONED = "abandoned"  # closed, never written (for some or all numbers): the files no longer declare it so, its campaign cannot carry traffic, or stuck
    REFUSED = "refused"  # closed, never sent: it would re-send more than the reviewed plan allowed (exit 3)
    HELD = "held"  # open, not carried out by this run (out of its scope, or no desired state to check it against)
    WAITING = "waiting"  # open: its condition does not hold yet
    RETRY = "retry"  # open: Telnyx refused its write; tried again later
    FREED_AGAIN = "freed_again"  # open: removals Telnyx failed were sent again


@dataclass(frozen=True)
class PhaseResult:
    """One phase's outcome, and the sentence that says it (status and resume print `said`)."""

    outcome: PhaseOutcome
    said: str

    def __str__(self) -> str:
        return self.said


@dataclass
class Replan:
    """What the files and live state let a ready phase do now."""

    numbers: list[str] = field(default_factory=list)  # to write now
    bulk: bool = False  # by a bulk task of the phase's profile (else one by one)
    members: tuple[str, ...] = ()  # bulk: the declared numbers on the profile it may touch
    uuid: str | None = None  # the campaign's Telnyx id (Telnyx-registered), from live state
    dropped: dict[str, str] = field(default_factory=dict)  # number -> why it is not written
    # Of `dropped`, the numbers the files still declare so, not written for another cause (its campaign
    # cannot carry traffic now): never said as "the files no longer declare it so".
    unchanged: set[str] = field(default_factory=set)
    hold: str | None = None  # not carried out now; the phase stays open (why)
    refused: str | None = None  # never carried out: it would do more than the reviewed plan allowed (why)

    @property
    def why(self) -> str:
        """The dropped numbers, said once per reason."""
        by: dict[str, list[str]] = {}
        for n, r in sorted(self.dropped.items()):
            by.setdefault(r, []).append(n)
        return "; ".join(f"{', '.join(ns[:3])}{' and %d more' % (len(ns) - 3) if len(ns) > 3 else ''}: {r}"
                         for r, ns in by.items())

    def dropped_words(self, files: str = "the files no longer declare it so: ") -> str:
        """Why the dropped numbers are not written, each cause as it is: `files` then the numbers whose
        declaration changed, and the others' own reasons (the files did not change: `unchanged`)."""
        changed = Replan(dropped={n: r for n, r in self.dropped.items() if n not in self.unchanged})
        other = Replan(dropped={n: r for n, r in self.dropped.items() if n in self.unchanged})
        return "; ".join(([files + changed.why] if changed.dropped else []) + ([other.why] if other.dropped else []))


def replan_phases(phases: list[Tracked], desired: DesiredState | None, live: LiveState,
                  options: PlanOptions | None, held: Mapping[str, str]) -> dict[str, Replan]:
    """Each ready phase's numbers planned again from `desired` against `live` (one plan for all of
    them): write id -> what may be sent. `held`: numbers in flight under writes that are not
    phases (never written again). Pure: reads nothing, writes nothing."""
    out: dict[str, Replan] = {}
    if desired is None:
        return {t.write.id: Replan(hold="not carried out: no desired state to check it against") for t in phases}
    kept: dict[str, list[str]] = {}
    for t in phases:
        w = t.write
        r = out[w.id] = Replan()
        if any(n in desired.out_of_scope for n in w.numbers):
            r.hold = "outside this run's --profile/--campaign scope: left for a run that covers it"
            continue
        whole = not_declared(w, desired, numbers=False)
        ready = [n for n, s in t.numbers.items() if s is not NumberState.DONE]
        if whole:
            r.dropped = {n: whole for n in ready}
            continue
        for n in ready:
            d = desired.numbers.get(n)
            if d is None:
                r.dropped[n] = "declared in no file"
            elif d.tcr_campaign_id != w.campaign or (w.profile is not None and d.profile_id != w.profile):
                r.dropped[n] = f"declared for campaign {d.tcr_campaign_id} on profile {d.profile_id} now"
            else:
                kept.setdefault(w.id, []).append(n)
    if not kept:
        return out
    by_id = {t.write.id: t for t in phases}
    wanted = {n for ns in kept.values() for n in ns}
    pairs = {(desired.numbers[n].profile_id, by_id[wid].write.campaign or "") for wid, ns in kept.items() for n in ns}
    sub = _files_for(desired, pairs, wanted, live)
    seen = {ln.profile_id: None for ln in live.numbers.values() if ln.profile_id}  # a number sits there: it exists
    view = LiveState(live.numbers, live.assignments, live.campaigns, {**seen, **live.profiles})
    opts = options or PlanOptions()
    plan = make_plan(sub, view, PlanOptions(prune=False, shared_per_number=opts.shared_per_number),
                     only=frozenset(wanted), in_flight=held)
    if not plan.safe:
        for wid, ns in kept.items():
            out[wid].dropped.update({n: "over a safety limit: " + "; ".join(plan.unsafe) for n in ns})
        return out
    findings = {f.number: f for f in plan.changes}
    claimed: set[str] = set()
    for wid, ns in kept.items():
        w, r = by_id[wid].write, out[wid]
        campaign = plan.campaigns.get(w.campaign or "")
        r.uuid = campaign.telnyx_campaign_id if campaign is not None and campaign.kind == TELNYX else None
        busy = []
        for n in ns:
            f = findings.get(n)
            if n in claimed:
                busy.append(n)  # another phase of this run writes it
            elif f is None:
                continue  # already where the files want it: nothing to write
            elif f.action is Action.IN_FLIGHT:
                busy.append(n)
            elif f.action in ASSIGNING and not f.move and reported_under(f)[1] == w.campaign:
                r.numbers.append(n)
            elif f.action is Action.BLOCKED and campaign is not None and campaign.problem:
                # The files did not change: the campaign cannot carry traffic now (a share back to
                # PENDING, a suspension). Its numbers stay free; the next apply assigns them once it can.
                r.dropped[n] = cannot_carry(w.campaign or "", campaign.problem)
                r.unchanged.add(n)
            elif f.action is Action.BLOCKED:
                r.dropped[n] = f.reason or "blocked"
            else:
                r.dropped[n] = f"the plan now {f.action.value}s it (the next apply plans it)"
        if busy:
            r.hold = f"waiting: {plural(len(busy), 'number is', 'numbers are')} under another write in flight"
            r.numbers = []
            continue
        pids = {desired.numbers[n].profile_id for n in r.numbers}
        strategy = plan.profiles.get(next(iter(pids))) if len(pids) == 1 else None
        r.bulk = (w.op is Op.BULK_ASSIGN and strategy is not None and strategy.strategy == BULK
                  and strategy.bulk_campaign == w.campaign)
        if r.numbers and not r.bulk and (campaign is None or campaign.kind == SHARED) and not opts.shared_per_number:
            # Not by the profile's bulk, and Telnyx documents no per-number writes to shared campaigns.
            why = (strategy.note if strategy is not None and strategy.note else
                   f"shared campaign {w.campaign} takes numbers by a bulk assignment of their profile: the next apply "
                   f"plans it (or --shared-per-number)")
            r.dropped.update({n: why for n in r.numbers})
            r.numbers = []
        if r.bulk and r.numbers:
            pid = next(iter(pids))
            r.members = tuple(sorted(n for n, d in sub.numbers.items() if d.profile_id == pid and n not in r.numbers))
            r.refused = over_allowance(w.resends, strategy.resends if strategy is not None else 0, pid, w.campaign)
            if r.refused:
                r.numbers = []
        claimed.update(r.numbers)
    return out


def cannot_carry(tcr: str, problem: str) -> str:
    """Why a next phase is not sent to a campaign that cannot carry traffic now, and what to do."""
    return (f"{tcr} cannot carry traffic now ({problem.removesuffix(' (no change to the files helps; Telnyx support can say where it stands)')}), so nothing was "
            f"assigned to it; the numbers stay free (not sending). Once it can carry traffic again (`reconciler "
            f"drift` says when), `reconciler apply` assigns them; until then a plan shows them blocked")


def over_allowance(allowed: int | None, now: int, pid: str, campaign: str | None) -> str | None:
    """Why a next phase's bulk must not be sent: its task would re-send more numbers already ASSIGNED than
    the reviewed plan counted for it (`allowed`, journalled with the phase). None where it may (or where
    the phase predates the count: then only the policy's max_reprovision, checked by the re-plan, holds)."""
    if allowed is None or now <= allowed:
        return None
    return (f"{REFUSED}its bulk assignment of profile {pid} would now re-send {plural(now, 'number', 'numbers')} "
            f"already ASSIGNED to {campaign}, more than the {allowed} the reviewed plan allowed; nothing was sent. "
            f"Run `reconciler plan`: it assigns the freed numbers again and counts every number the bulk re-sends, "
            f"for review")


def _files_for(desired: DesiredState, pairs: set[tuple[str, str]], wanted: set[str], live: LiveState) -> DesiredState:
    """The files cut down to what the phases touch: their numbers, and the numbers declared for the
    same profile and campaign that sit on that profile now (a bulk takes them too, so the scope rule
    needs them). Every other declared number is out of scope: never unmanaged, never swept in."""
    numbers = {n: desired.numbers[n] for n in wanted}
    pids = {p for p, _ in pairs}
    for ln in live.numbers.values():
        if ln.profile_id in pids and ln.number not in numbers:
            d = desired.numbers.get(ln.number)
            if d is not None and (d.profile_id, d.tcr_campaign_id) in pairs and d.profile_id == ln.profile_id:
                numbers[ln.number] = d
    profiles = {}
    for pid in sorted(pids):
        p = desired.profiles[pid]
        profiles[pid] = DesiredProfile(pid, p.name, tuple(c for c in p.campaigns if (pid, c) in pairs), p.where)
    rest = frozenset(desired.numbers.keys() - numbers.keys()) | desired.out_of_scope
    return DesiredState(profiles, numbers, desired.policy, rest)


def held_by_writes(inflight: InFlight) -> dict[str, str]:
    """Numbers in flight under open writes that are not phases: a phase never writes them again."""
    return InFlight([t for t in inflight.tracked if t.write.state is not State.DEFERRED], inflight.now).numbers()


def carry_out(sub: Submitter, inflight: InFlight, live: LiveState, desired: DesiredState | None,
              options: PlanOptions | None = None) -> list[tuple[Tracked, PhaseResult]]:
    """Carry out every deferred phase whose condition holds and that the files still declare
    (`replan_phases`); close the ones that no longer apply. Returns (phase, what happened) for
    each deferred write looked at (a phase partly abandoned is said twice)."""
    done: list[tuple[Tracked, PhaseResult]] = []
    pending: set[tuple[str | None, str | None]] | None = None  # read once, then kept up to date here
    ready = [t for t in inflight.tracked if t.write.state is State.DEFERRED and t.phase is PhaseState.READY]
    plans = replan_phases(ready, desired, live, options, held_by_writes(inflight)) if ready else {}
    for t in inflight.tracked:
        w = t.write
        if w.state is not State.DEFERRED:
            continue
        now = sub.server_now()
        if t.phase is PhaseState.DONE:
            sub.journal.update(w.id, State.DONE, at=now, detail="Telnyx put every number there itself")
            done.append((t, PhaseResult(PhaseOutcome.DONE, "done")))
        elif t.phase is PhaseState.ABANDONED:
            sub.journal.update(w.id, State.ABANDONED, at=now, detail=t.phase_reason)
            done.append((t, PhaseResult(PhaseOutcome.ABANDONED, f"abandoned: {t.phase_reason}")))
        elif t.phase is PhaseState.READY:
            r = plans[w.id]
            if r.refused:
                # Closed, never sent: its numbers are free, and the next plan assigns them, counting the
                # re-sends for review (held open, the phase would keep them from every plan).
                sub.journal.update(w.id, State.ABANDONED, at=now, detail=r.refused)
                done.append((t, PhaseResult(PhaseOutcome.REFUSED, r.refused)))
                continue
            if r.hold:
                done.append((t, PhaseResult(PhaseOutcome.HELD, r.hold)))
                continue
            if not r.numbers and not r.dropped:
                sub.journal.update(w.id, State.DONE, at=now, detail="every number is where the files want it")
                done.append((t, PhaseResult(PhaseOutcome.DONE, "done")))
                continue
            if not r.numbers:
                why = r.dropped_words()
                sub.journal.update(w.id, State.ABANDONED, at=now, detail=why)
                done.append((t, PhaseResult(PhaseOutcome.ABANDONED, f"abandoned: {why}")))
                continue
            campaign = campaign_of(w.campaign or "", r.uuid)
            ready_numbers = r.numbers
            if pending is None and r.bulk:
                pending = sub.pending_bulks()
            if r.bulk and w.profile and (w.profile, campaign.tcr_campaign_id) in (pending or ()):
                # An earlier task for this profile and campaign may still be unprocessed (or
                # its answer was lost): it takes these numbers too when it is; never repeat it.
                done.append((t, PhaseResult(PhaseOutcome.WAITING,
                                             "waiting: an earlier bulk task for the profile is not processed yet")))
                continue
            if r.bulk and w.profile:
                pid = w.profile
                sent = [sub.write(Op.BULK_ASSIGN, ready_numbers, lambda: sub.writer.bulk_assign(pid, campaign),
                                  profile=pid, campaign=campaign, note=w.note, members=r.members,
                                  stopped_at=w.stopped_at or w.submitted_at)]
                # Sent, or its answer lost (not refused): a second phase for the profile waits for it.
                if pending is not None and sent[0].answer is not Answer.REFUSED:
                    pending.add((pid, campaign.tcr_campaign_id))
            else:
                sent = [sub.write(Op.ASSIGN, [n], lambda n=n: sub.writer.assign(n, campaign), campaign=campaign,
                                  accepted_on_success=True, note=w.note, stopped_at=w.stopped_at or w.submitted_at)
                        for n in ready_numbers]
            # Closed once its last write was taken; a number refused before it is unassigned and
            # declared, so the next plan assigns it again.
            if sent and sent[-1].ok:
                detail = f"carried out as write {sent[-1].wid}"
                if r.dropped:
                    detail += f"; not for {plural(len(r.dropped), 'number', 'numbers')}" + (
                        r.dropped_words(" the files no longer declare so: ") if not r.unchanged else
                        ": " + r.dropped_words())
                sub.journal.update(w.id, State.DONE, at=sub.server_now(), detail=detail)
                done.append((t, PhaseResult(PhaseOutcome.SUBMITTED, f"submitted ({plural(len(ready_numbers), 'number', 'numbers')})")))
                if r.dropped:
                    done.append((t, PhaseResult(PhaseOutcome.ABANDONED,
                                                f"abandoned for {plural(len(r.dropped), 'number', 'numbers')}: "
                                                + r.dropped_words(f"the files no longer declare "
                                                                  f"{'it' if len(r.dropped) == 1 else 'them'} so: "))))
            else:
                done.append((t, PhaseResult(PhaseOutcome.RETRY, "refused by Telnyx; will be tried again")))
        elif t.stuck and refused_removals(t):
            why = f"{t.phase_reason}; stuck for longer than the stuck threshold: the next apply plans it afresh"
            sub.journal.update(w.id, State.ABANDONED, at=now, detail=why)
            done.append((t, PhaseResult(PhaseOutcome.ABANDONED, f"abandoned: {why}")))
        elif refused_removals(t):
            done.append((t, refree(sub, t, live, desired)))
        else:
            done.append((t, PhaseResult(PhaseOutcome.WAITING, t.phase_reason or "waiting")))
    return done


def actionable(t: Tracked) -> bool:
    """Does carry_out have something to do for this write: a phase ready to run, or one waiting on
    removals Telnyx failed (sent again)?"""
    return t.write.state is State.DEFERRED and (t.phase is PhaseState.READY or bool(refused_removals(t)))


def refused_removals(t: Tracked) -> list[str]:
    """The numbers of a waiting phase whose removal Telnyx failed (FAILED_UNASSIGNMENT: still on their old
    campaign; tracking says FAILED)."""
    return [n for n, s in t.numbers.items() if s is NumberState.FAILED]


def refree(sub: Submitter, t: Tracked, live: LiveState, desired: DesiredState | None) -> PhaseResult:
    """Send the approved removal again for the numbers Telnyx failed to free; the phase stays open and
    runs once Telnyx has freed them. Only while the files still declare each number for the phase's
    campaign (the journal never steers a write): a number they no longer declare so is left alone."""
    w = t.write
    numbers = refused_removals(t)
    if desired is None:
        return PhaseResult(PhaseOutcome.HELD, f"{t.phase_reason}: not freed again here (no desired state to check it "
                                              f"against)")
    keep = [n for n in numbers if (d := desired.numbers.get(n)) is not None and d.tcr_campaign_id == w.campaign
            and (w.profile is None or d.profile_id == w.profile)]
    freed = 0
    for n in keep:
        a = live.assignments.get(n)
        if a is None:
            continue
        sent = sub.write(Op.UNASSIGN, [n], lambda n=n: sub.writer.unassign(n), campaign=a.tcr_campaign_id,
                         accepted_on_success=True)
        freed += sent.ok
    left = len(numbers) - len(keep)
    said = f"{t.phase_reason}: {plural(freed, 'number', 'numbers')} sent for removal again"
    return PhaseResult(PhaseOutcome.FREED_AGAIN, said + (f"; {left} the files no longer declare so left alone" if left else ""))


def defer_freed(sub: Submitter, plan: Plan, current: Plan, inflight: InFlight) -> bool:
    """Declared numbers Telnyx is freeing (PENDING_UNASSIGNMENT: leaving a profile took their
    campaign, or a killed run freed them) get their assignment journalled as a next phase, so
    the scheduled `resume` finishes the approved change instead of leaving them without one."""
    deferred = {n for t in inflight.tracked if t.write.state is State.DEFERRED for n in t.numbers}
    freeing = [c for c in current.changes if c.action is Action.IN_FLIGHT and c.desired is not None
               and c.live is not None and c.live.status == PENDING_UNASSIGNMENT and c.desired.tcr_campaign_id
               and c.number not in deferred]
    if not freeing:
        return False
    campaigns = {t: campaign_of(t, cp.telnyx_campaign_id if cp.kind == TELNYX else None)
                 for t, cp in current.campaigns.items() if cp.kind and not cp.problem}
    groups: dict[tuple[str, str], list[str]] = {}
    for c in freeing:
        pid, tcr = reported_under(c)  # the declared ones
        if tcr in campaigns:
            groups.setdefault((pid or "", tcr or ""), []).append(c.number)
    for (pid, tcr), numbers in sorted(groups.items()):
        strategy = current.profiles.get(pid) or plan.profiles.get(pid)
        bulk = strategy is not None and strategy.bulk_campaign == tcr or campaigns[tcr].kind == SHARED
        sub.journal.defer(Op.BULK_ASSIGN if bulk else Op.ASSIGN, numbers, at=sub.server_now(),
                           profile=pid, campaign=tcr, campaign_uuid=campaigns[tcr].telnyx_campaign_id,
                           after="free", members=profile_members(plan, pid) if bulk else (),
                           detail=f"{plural(len(numbers), 'number', 'numbers')} Telnyx is freeing; assign them once it has",
                           resends=resends_allowed(plan, pid, tcr) if bulk else None)
    return bool(groups)
