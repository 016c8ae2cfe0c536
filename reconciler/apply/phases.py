"""Deferred phases: an assignment that must wait until Telnyx has freed its numbers (hours) is
journalled as the next phase of the approved apply; `resume` (the scheduled CI job, or a later
round) carries it out once its condition holds."""

from __future__ import annotations

from reconciler.diff import Action, reported_under
from reconciler.journal import Op, State
from reconciler.model import PENDING_UNASSIGNMENT, SHARED, TELNYX
from reconciler.plan import Plan
from reconciler.tracking import InFlight, NumberState, PhaseState, Tracked

from .checks import profile_members
from .ports import campaign_of
from .submit import Answer, Submitter


def carry_out(sub: Submitter, inflight: InFlight) -> list[tuple[Tracked, str]]:
    """Carry out every deferred phase whose condition holds; close the ones that no longer
    apply. Returns (phase, what happened) for each deferred write looked at."""
    done: list[tuple[Tracked, str]] = []
    pending: set[tuple[str | None, str | None]] | None = None  # read once, then kept up to date here
    for t in inflight.tracked:
        w = t.write
        if w.state is not State.DEFERRED:
            continue
        now = sub.server_now()
        if t.phase is PhaseState.DONE:
            sub.journal.update(w.id, State.DONE, at=now, detail="Telnyx put every number there itself")
            done.append((t, "done"))
        elif t.phase is PhaseState.ABANDONED:
            sub.journal.update(w.id, State.ABANDONED, at=now, detail=t.phase_reason)
            done.append((t, f"abandoned: {t.phase_reason}"))
        elif t.phase is PhaseState.READY:
            campaign = campaign_of(w.campaign or "", w.campaign_uuid)
            ready = [n for n, s in t.numbers.items() if s is not NumberState.DONE]
            if pending is None and w.op is Op.BULK_ASSIGN:
                pending = sub.pending_bulks()
            if w.op is Op.BULK_ASSIGN and w.profile and (w.profile, campaign.tcr_campaign_id) in (pending or ()):
                # An earlier task for this profile and campaign may still be unprocessed (or
                # its answer was lost): it takes these numbers too when it is; never repeat it.
                done.append((t, "waiting: an earlier bulk task for the profile is not processed yet"))
                continue
            if w.op is Op.BULK_ASSIGN and w.profile:
                pid = w.profile
                sent = [sub.write(Op.BULK_ASSIGN, ready, lambda: sub.writer.bulk_assign(pid, campaign),
                                  profile=pid, campaign=campaign, note=w.note, members=w.members)]
                # Sent, or its answer lost (not refused): a second phase for the profile waits for it.
                if pending is not None and sent[0].answer is not Answer.REFUSED:
                    pending.add((pid, campaign.tcr_campaign_id))
            else:
                sent = [sub.write(Op.ASSIGN, [n], lambda n=n: sub.writer.assign(n, campaign), campaign=campaign,
                                  accepted_on_success=True, note=w.note) for n in ready]
            # Closed once its last write was taken; a number refused before it is unassigned and
            # declared, so the next plan assigns it again.
            if sent and sent[-1].ok:
                sub.journal.update(w.id, State.DONE, at=sub.server_now(), detail=f"carried out as write {sent[-1].wid}")
                done.append((t, f"submitted ({len(ready)} number(s))"))
            else:
                done.append((t, "refused by Telnyx; will be tried again"))
        else:
            done.append((t, t.phase_reason or "waiting"))
    return done


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
                           detail=f"{len(numbers)} number(s) Telnyx is freeing; assign them once it has")
    return bool(groups)
