"""Changes behind the reconciler's back, for the `/_admin` surface and the tests.

They deliberately skip the domain rules (they model what happens outside the API: a number
ported in, a record a support ticket changed, a campaign suspended), except that moving a
number off its profile follows `profile_leave`, and a record set PENDING_* still progresses.
Bad input is refused with the same `domain` exceptions as the API's.
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox import domain as D
from reconciler.sandbox.clock import Clock
from reconciler.sandbox.seed import E164_RE, is_timestamp
from reconciler.sandbox.state import CAMPAIGN_STATUSES, NUMBER_TYPES, SHARING_STATUSES, STATUS_CODES, Campaign, Store


MAX_MAPPING = 1000  # an admin-set carrier mapping status (tests send odd ones on purpose)


class OutOfBand:
    """Mixed into `World` (engine.py); `move_number` and `expect_resolution` are the world's."""

    store: Store
    clock: Clock

    def _known_number(self, e164: str) -> int:
        slot = self.store.by_e164.get(e164)
        if slot is None:
            raise D.NotFound(f"number {e164} is not in the sandbox")
        return slot

    def set_number(self, e164: str, *, profile_id: Any = None, move: bool = False,
                   number_type: str | None = None) -> int:
        """Create a number, or move it (`move`: to `profile_id`, None for none) and retype it."""
        s = self.store
        now = self.clock.now()
        if not E164_RE.match(e164):
            raise D.NotE164(f"{e164!r} is not a +E.164 number")
        profile_idx = -1
        if profile_id is not None:
            found = s.profile_by_id.get(str(profile_id).lower())
            if found is None:
                raise D.NotFound(f"messaging profile {profile_id} is not in the sandbox", pointer="/messaging_profile_id")
            profile_idx = found
        if number_type is not None and number_type not in NUMBER_TYPES:
            raise D.Invalid(f"type must be one of {'|'.join(NUMBER_TYPES)}", pointer="/type")
        slot = s.by_e164.get(e164)
        if slot is None:
            return s.add_number(e164, NUMBER_TYPES.index(number_type or "longcode"), profile_idx, now)
        if move:
            self.move_number(slot, profile_idx, now)  # type: ignore[attr-defined]
        if number_type is not None:
            s.ntype[slot] = NUMBER_TYPES.index(number_type)
            s.version += 1
        return slot

    def remove_number(self, e164: str) -> None:
        self.store.delete_number(self._known_number(e164))

    def set_record(self, e164: str, tcr_campaign_id: Any, status_name: Any, reason: Any, *,
                   tmobile_mapping: Any = None, others_mapping: Any = None) -> int:
        """Give a number's assignment record this campaign, status and failure reason, and the
        carriers' mapping statuses (any string, shown as given under mode carrier_mapping=present;
        None: what the status implies, and the record's carrier lag does not run)."""
        s = self.store
        now = self.clock.now()
        slot = self._known_number(e164)
        camp_idx = s.campaign_by_tcr.get(tcr_campaign_id)
        if camp_idx is None:
            raise D.NotFound(f"campaign {tcr_campaign_id!r} is not in the sandbox", pointer="/tcr_campaign_id")
        if status_name not in STATUS_CODES:
            raise D.Invalid(f"status must be one of {'|'.join(STATUS_CODES)}", pointer="/status")
        if reason is not None and not isinstance(reason, str):
            raise D.Invalid("failure_reasons must be a string or null", pointer="/failure_reasons")
        for name, value in (("tmobile_mapping_status", tmobile_mapping), ("non_tmobile_mapping_status", others_mapping)):
            if value is not None and (not isinstance(value, str) or len(value) > MAX_MAPPING):
                raise D.Invalid(f"{name} must be a string of at most {MAX_MAPPING} characters, or null",
                                pointer="/" + name)
        status = STATUS_CODES[status_name]
        if s.acamp[slot] == camp_idx:
            s.set_status(slot, status, reason, now)
        else:
            s.create_record(slot, camp_idx, status, reason, now)
        if tmobile_mapping is not None or others_mapping is not None:
            s.set_mapping(slot, tmobile_mapping, others_mapping)
        # Out-of-band pending states still progress, like any other.
        self.expect_resolution(slot, now)  # type: ignore[attr-defined]
        return slot

    def remove_record(self, e164: str) -> None:
        s = self.store
        slot = self._known_number(e164)
        if s.acamp[slot] < 0:
            raise D.NotFound(f"number {e164} has no assignment")
        s.drop_record(slot)

    def set_campaign(self, tcr_id: str, changes: dict[str, Any]) -> Campaign:
        """`sharing_status`, `campaign_status`, `number_pooling`, `failure_reasons`, and for a telnyx campaign
        `next_renewal_or_expiration_date` and `auto_renewal` (null clears them), each checked and applied in turn."""
        s = self.store
        idx = s.campaign_by_tcr.get(tcr_id)
        if idx is None:
            raise D.NotFound(f"campaign {tcr_id} is not in the sandbox")
        campaign = s.campaigns[idx]
        if "sharing_status" in changes:
            if campaign.kind != "shared" or changes["sharing_status"] not in SHARING_STATUSES:
                raise D.Invalid(f"only a shared campaign has one, and it is one of {'|'.join(SHARING_STATUSES)}",
                                pointer="/sharing_status")
            campaign.sharing_status = changes["sharing_status"]
            s.version += 1
        if "campaign_status" in changes:
            if changes["campaign_status"] not in CAMPAIGN_STATUSES:
                raise D.Invalid(f"campaign_status must be one of {', '.join(CAMPAIGN_STATUSES)}",
                                pointer="/campaign_status")
            campaign.campaign_status = changes["campaign_status"]
            s.version += 1
        if "number_pooling" in changes:
            if not isinstance(changes["number_pooling"], bool):
                raise D.Invalid("number_pooling must be a boolean", pointer="/number_pooling")
            campaign.number_pooling = changes["number_pooling"]
        if "failure_reasons" in changes:
            if changes["failure_reasons"] is not None and not isinstance(changes["failure_reasons"], str):
                raise D.Invalid("failure_reasons must be a string or null", pointer="/failure_reasons")
            campaign.failure_reasons = changes["failure_reasons"]
        if "next_renewal_or_expiration_date" in changes:
            when = changes["next_renewal_or_expiration_date"]
            if campaign.kind != "telnyx" or not (when is None or (isinstance(when, str) and is_timestamp(when))):
                raise D.Invalid("only a telnyx campaign has one: an ISO 8601 date or time, or null",
                                pointer="/next_renewal_or_expiration_date")
            campaign.renewal = when
        if "auto_renewal" in changes:
            renews = changes["auto_renewal"]
            if campaign.kind != "telnyx" or not (renews is None or isinstance(renews, bool)):
                raise D.Invalid("only a telnyx campaign has one: a boolean or null", pointer="/auto_renewal")
            campaign.auto_renewal = renews
        campaign.updated = self.clock.now()
        return campaign
