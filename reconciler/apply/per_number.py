"""Writes to one number at a time: onto a campaign in place where Telnyx may take it, else freed from
the campaign that holds it, its assignment journalled as this apply's next phase (phases.py).

A number is never freed where it could have moved in place (it keeps sending meanwhile), and never
taken off a shared campaign by an undocumented per-number DELETE without --shared-per-number."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.diff import UNSEEN, Action, Finding, reported_under
from reconciler.errors import ApiError
from reconciler.journal import Op
from reconciler.model import FAILED_ASSIGNMENT, FAILED_UNASSIGNMENT, PENDING_UNASSIGNMENT, LiveCampaign, plural

from .submit import Answer, Submitter

_TELNYX_FAILED = frozenset({FAILED_ASSIGNMENT, FAILED_UNASSIGNMENT})


@dataclass
class PerNumber:
    """One run's per-number writes, through its submitter (journalled, sent, answered)."""

    sub: Submitter
    shared_per_number: bool = False  # the run opted in to per-number writes (DELETE too) on shared campaigns
    held: dict[str, str] = field(default_factory=dict)  # number -> why apply would not free it

    def in_place(self, campaign: LiveCampaign) -> bool:
        """May a per-number PUT move a number onto `campaign` in place? For a Telnyx-registered
        campaign, yes (whether Telnyx takes it is mode put_existing); for a shared one only under
        --shared-per-number (Telnyx documents no per-number writes to shared campaigns)."""
        return campaign.telnyx_campaign_id is not None or self.shared_per_number

    def assign_one(self, c: Finding, campaign: LiveCampaign, *, then: Op = Op.ASSIGN,
                    members: list[str] | None = None, allowed: int | None = None) -> None:
        """One number onto one campaign; where Telnyx refuses a PUT over another campaign, the
        number is freed and its assignment (`then`: per number, or the profile's bulk) becomes this
        apply's next phase. Every number is asked: a refusal may be the number's own (one PUT per
        number is the price of never freeing one that could have moved in place)."""
        # Over a FAILED record, PUT: whether a POST retries it or is refused as "already
        # assigned" is unconfirmed (mode failed_retry), and a PUT replaces it under both.
        held = c.live or UNSEEN
        op = Op.REPLACE if c.action is Action.REASSIGN or held.status == FAILED_ASSIGNMENT else Op.ASSIGN
        call = self.sub.writer.replace if op is Op.REPLACE else self.sub.writer.assign
        # Telnyx may refuse to move a number between campaigns in place (mode put_existing): by design,
        # the number is then freed first, so that refusal is progress, not an error.
        # A FAILED_UNASSIGNMENT record still holds the number on its campaign (Telnyx failed to free it):
        # in the way like any other; only a FAILED_ASSIGNMENT holds nothing.
        frees = op is Op.REPLACE and held.tcr_campaign_id is not None and held.status != FAILED_ASSIGNMENT
        sent = self.sub.write(op, [c.number], lambda: call(c.number, campaign), campaign=campaign,
                              accepted_on_success=True,
                              expected_refusal="freed from the campaign first instead, then assigned in a next phase"
                              if frees else None)
        if sent.answer is not Answer.REFUSED:
            return
        if held.tcr_campaign_id is None or held.status == FAILED_ASSIGNMENT:
            return  # refused with nothing in the way: the next round re-plans and reports it
        # Only a refused PUT gets here: a POST goes only to a number with no campaign (diff's
        # ASSIGN; over a FAILED_ASSIGNMENT record it is a PUT), which returned above.
        self.free_then([c], then, campaign, profile=reported_under(c)[0], members=members, allowed=allowed)

    def free_then(self, changes: list[Finding], op: Op, campaign: LiveCampaign, *, profile: str | None,
                   members: list[str] | None = None, allowed: int | None = None) -> None:
        """Unassign `changes` from the campaign that holds them and journal `op` as the next phase
        (a bulk with `allowed`: how many numbers already ASSIGNED the reviewed plan lets it re-send).

        Each number is read first: the plan's view may be old by now (leaving a profile can start
        an unassignment by itself), and a DELETE of what Telnyx is already removing is a repeat."""
        freed = []
        for c in changes:
            try:
                have = self.sub.writer.get_assignment(c.number)
            except ApiError as e:
                self.sub.progress(f"could not read {c.number}'s assignment ({e}); the next round re-plans it")
                continue
            if have is not None and have.tcr_campaign_id == campaign.tcr_campaign_id and have.status not in \
                    _TELNYX_FAILED:
                continue  # already there, or on its way: nothing to free
            if have is None or have.status in (FAILED_ASSIGNMENT, PENDING_UNASSIGNMENT):
                freed.append(c.number)
                continue
            # Else it is held: ASSIGNED or PENDING there, or FAILED_UNASSIGNMENT (Telnyx failed to free it
            # before: the record stays on that campaign until a DELETE goes through).
            if have.shared is not False and not self.shared_per_number:
                # Telnyx kept it on a shared campaign; a per-number DELETE there is undocumented
                # (mode shared_delete): not sent without the opt-in, and said so.
                self.held[c.number] = (
                    f"Telnyx kept it on shared campaign {have.tcr_campaign_id}; taking it off needs a per-number "
                    f"DELETE, which Telnyx does not document for shared campaigns: re-run with --shared-per-number "
                    f"if your account accepts per-number writes to shared campaigns, or remove it in the Telnyx portal")
                continue
            sent = self.sub.write(Op.UNASSIGN, [c.number], lambda c=c: self.sub.writer.unassign(c.number),
                                  campaign=have.tcr_campaign_id, accepted_on_success=True)
            if sent.ok:
                freed.append(c.number)
        if freed:
            self.sub.journal.defer(op, freed, at=self.sub.server_now(), profile=profile, campaign=campaign.tcr_campaign_id,
                               campaign_uuid=campaign.telnyx_campaign_id, after="free", members=members or (),
                               detail=f"{plural(len(freed), 'number', 'numbers')} freed from their old campaign first",
                               resends=allowed if op is Op.BULK_ASSIGN else None)
            self.sub.progress(f"{plural(len(freed), 'number', 'numbers')} freed; the assignment to {campaign.tcr_campaign_id} "
                          f"follows once Telnyx finishes the unassignment (`reconciler resume`)")
