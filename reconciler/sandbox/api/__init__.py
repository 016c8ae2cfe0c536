"""The `/v2` operations of the spec subset: one module per resource, one routing table.

`routes.py` is the table: each operation once, with its operationId (the counters key on it),
its handler, and the query parameters and body fields it accepts (declared beside the handler).
`app.py` does auth, rate limiting, faults and counting, then calls `dispatch` (dispatch.py).
Handlers return `(status, payload)` where payload is either ready JSON text (hot list pages)
or a JSON-able object.

Handlers are HTTP only: they validate what the spec says about the request, ask the world
(its queries and commands, never the store's arrays), and render. The world's refusals are
domain exceptions; `dispatch` answers each with its Telnyx error body (`errors.from_domain`).

The resources: `number_campaigns` (/10dlc/phone_number_campaigns), `assignment_tasks`
(/10dlc/phoneNumberAssignmentByProfile), `shared_campaigns` (/10dlc/partner_campaigns,
/10dlc/partnerCampaign), `brands` (/10dlc/brand), `campaigns` (/10dlc/campaign),
`messaging_profiles`, `phone_numbers` (/phone_numbers/…/messaging) and `bulk_updates`
(/messaging_numbers_bulk_updates); `paging` holds the two list envelopes.
"""

from reconciler.sandbox.api.dispatch import dispatch
from reconciler.sandbox.api.routes import ROUTER

__all__ = ["ROUTER", "dispatch"]
