"""Deterministic ids for the campaigns and brands the sandbox generates.

A seed names a campaign by its TCR id only; its Telnyx UUID, its brand's UUID and its brand's
TCR id are derived from it (uuid5 in one fixed namespace), so that a seed always yields the
same ids and tests and demos can rely on them across restarts.
"""

from __future__ import annotations

import uuid

_NAMESPACE = uuid.UUID("6f1c2a4e-8d0b-4c47-9a51-3e2b7d9c1f00")


def campaign_uuid(tcr_id: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "campaign:" + tcr_id))


def brand_uuid(tcr_id: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "brand:" + tcr_id))


def tcr_brand_id(tcr_id: str) -> str:
    digest = uuid.uuid5(_NAMESPACE, "tcr-brand:" + tcr_id).int
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    chars = []
    for _ in range(6):
        digest, rem = divmod(digest, 36)
        chars.append(alphabet[rem])
    return "B" + "".join(chars)
