"""The routing table: every `/v2` operation of the spec subset, once, and the router over it.

Each row names the method, the path template, the operationId (the counters key on it), the
handler, and what the operation accepts (query parameters, body fields: declared beside the
handler in its resource's module). `family` picks the error envelope and pagination: "10dlc"
or "classic".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from reconciler.sandbox.api import assignment_tasks as tasks
from reconciler.sandbox.api import brands, bulk_updates, campaigns
from reconciler.sandbox.api import messaging_profiles as profiles
from reconciler.sandbox.api import number_campaigns as pnc
from reconciler.sandbox.api import phone_numbers as numbers
from reconciler.sandbox.api import shared_campaigns as shared
from reconciler.sandbox.api.base import Handler
from reconciler.sandbox.validation import Field, Param

CLASSIC = "classic"


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    op_id: str
    handler: Handler
    query: tuple[Param, ...] = ()
    body: dict[str, Field] | None = None
    family: str = "10dlc"  # "10dlc" | "classic": which error envelope and pagination

    @property
    def segments(self) -> list[str]:
        return self.template.strip("/").split("/")


OPERATIONS: tuple[Operation, ...] = (
    # 10DLC: one number's campaign assignment
    Operation("GET", "/10dlc/phone_number_campaigns", "GetAllPhoneNumberCampaigns", pnc.list_pnc, query=pnc.LIST_QUERY),
    Operation("POST", "/10dlc/phone_number_campaigns", "CreatePhoneNumberCampaign", pnc.create_pnc, body=pnc.BODY),
    Operation("GET", "/10dlc/phone_number_campaigns/{phoneNumber}", "GetSinglePhoneNumberCampaign", pnc.get_pnc),
    Operation("PUT", "/10dlc/phone_number_campaigns/{phoneNumber}", "PutPhoneNumberCampaign", pnc.put_pnc, body=pnc.BODY),
    Operation("DELETE", "/10dlc/phone_number_campaigns/{phoneNumber}", "DeletePhoneNumberCampaign", pnc.delete_pnc),
    # 10DLC: bulk assignment by messaging profile
    Operation("POST", "/10dlc/phoneNumberAssignmentByProfile", "PostAssignMessagingProfileToCampaign", tasks.create_task, body=tasks.CREATE_BODY),
    Operation("GET", "/10dlc/phoneNumberAssignmentByProfile/{taskId}", "GetAssignmentTaskStatus", tasks.get_task),
    Operation("GET", "/10dlc/phoneNumberAssignmentByProfile/{taskId}/phoneNumbers", "GetPhoneNumberStatus", tasks.get_task_numbers, query=tasks.NUMBERS_QUERY),
    # 10DLC: shared (partner) campaigns
    Operation("GET", "/10dlc/partner_campaigns", "GetSharedCampaigns", shared.list_partner, query=shared.LIST_QUERY),
    Operation("GET", "/10dlc/partner_campaigns/{campaignId}", "GetSharedCampaign", shared.get_partner),
    Operation("PATCH", "/10dlc/partner_campaigns/{campaignId}", "UpdateSharedCampaign", shared.patch_partner, body=shared.PATCH_BODY),
    Operation("GET", "/10dlc/partnerCampaign/sharedByMe", "GetPartnerCampaignsSharedByUser", shared.shared_by_me, query=shared.SHARED_BY_ME_QUERY),
    Operation("GET", "/10dlc/partnerCampaign/{campaignId}/sharing", "GetPartnerCampaignSharingStatus", shared.partner_sharing),
    # 10DLC: the account's own brands and campaigns
    Operation("GET", "/10dlc/brand", "GetBrands", brands.list_brands, query=brands.LIST_QUERY),
    Operation("GET", "/10dlc/campaign", "GetCampaigns", campaigns.list_campaigns, query=campaigns.LIST_QUERY),
    Operation("GET", "/10dlc/campaign/{campaignId}", "GetCampaign", campaigns.get_campaign),
    Operation("GET", "/10dlc/campaign/{campaignId}/sharing", "GetCampaignSharingStatus", campaigns.campaign_sharing),
    Operation("GET", "/10dlc/campaign/{campaignId}/operationStatus", "GetCampaignOperationStatus", campaigns.campaign_operation_status),
    Operation("POST", "/10dlc/campaign/acceptSharing/{campaignId}", "AcceptCampaign", campaigns.accept_sharing),
    # classic: messaging profiles
    Operation("GET", "/messaging_profiles", "ListMessagingProfiles", profiles.list_profiles, query=profiles.LIST_QUERY, family=CLASSIC),
    Operation("GET", "/messaging_profiles/{id}", "RetrieveMessagingProfile", profiles.get_profile, family=CLASSIC),
    Operation("GET", "/messaging_profiles/{id}/phone_numbers", "ListProfilePhoneNumbers", profiles.list_profile_numbers, query=profiles.NUMBERS_QUERY, family=CLASSIC),
    # classic: the numbers' messaging settings
    Operation("GET", "/phone_numbers/messaging", "ListPhoneNumbersWithMessagingSettings", numbers.list_numbers, query=numbers.LIST_QUERY, family=CLASSIC),
    Operation("GET", "/phone_numbers/{id}/messaging", "GetPhoneNumberMessagingSettings", numbers.get_number, family=CLASSIC),
    Operation("PATCH", "/phone_numbers/{id}/messaging", "UpdatePhoneNumberMessagingSettings", numbers.patch_number, body=numbers.PATCH_BODY, family=CLASSIC),
    # classic: messaging-profile orders
    Operation("POST", "/messaging_numbers_bulk_updates", "BulkUpdateMessagingSettingsOnPhoneNumbers", bulk_updates.create_order, body=bulk_updates.CREATE_BODY, family=CLASSIC),
    Operation("GET", "/messaging_numbers_bulk_updates/{order_id}", "GetBulkUpdateMessagingSettingsOnPhoneNumbersStatus", bulk_updates.get_order, family=CLASSIC),
)


class Router:
    """Matches `/v2`-relative paths to operations; literal segments beat parameters."""

    def __init__(self, operations: Sequence[Operation]) -> None:
        self.by_len: dict[int, list[tuple[list[str], Operation]]] = {}
        for operation in operations:
            segs = operation.segments
            self.by_len.setdefault(len(segs), []).append((segs, operation))
        for routes in self.by_len.values():
            routes.sort(key=lambda r: -sum(1 for seg in r[0] if not seg.startswith("{")))

    def match(self, method: str, path: str) -> tuple[Operation | None, dict[str, str], bool]:
        """→ (operation, path params, path_exists)."""
        parts = path.strip("/").split("/")
        path_exists = False
        found_params: dict[str, str] = {}
        for segs, operation in self.by_len.get(len(parts), ()):
            params: dict[str, str] = {}
            for seg, part in zip(segs, parts):
                if seg.startswith("{"):
                    if not part:
                        break
                    params[seg[1:-1]] = unquote(part)
                elif seg != part:
                    break
            else:
                if operation.method == method:
                    return operation, params, True
                if not path_exists:
                    path_exists, found_params = True, params
        return None, found_params, path_exists


ROUTER = Router(OPERATIONS)
