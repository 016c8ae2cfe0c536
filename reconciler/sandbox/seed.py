"""Seed documents (YAML or JSON) → a fresh `Store`.

The format is the one in `../shared/design/contract.md` ("The sandbox"). Every problem in the
document is collected and reported at once, each prefixed with the file and the item's path,
so a user fixes a seed in one pass. The `/_admin/state` dump adds a few read-only keys (ids the
sandbox generates); they are accepted and ignored, so a dump can be fed back as a seed.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Iterator

import yaml

from reconciler.sandbox.state import (
    CAMPAIGN_STATUSES,
    NUMBER_TYPES,
    SHARING_STATUSES,
    STATUS_CODES,
    Store,
)
# One rule for a UUID in a seed and in a request (validation.py, the HTTP layer, reads it from here).
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
E164_RE = re.compile(r"^\+[1-9][0-9]{4,14}\Z")
US_E164_RE = re.compile(r"^\+1[0-9]{10}\Z")
TCR_CAMPAIGN_RE = re.compile(r"^C[A-Z0-9]{5,8}\Z")

TOP_KEYS = {"messaging_profiles", "phone_numbers", "campaigns", "assignments"}
# key: (required, allowed types); the trailing *_DUMP sets are what /_admin/state adds.
PROFILE_KEYS = {"id", "name"}
PROFILE_DUMP = {"phone_number_count"}
NUMBER_KEYS = {"phone_number", "messaging_profile_id", "type"}
NUMBER_DUMP = {"id"}
CAMPAIGN_KEYS = {"tcr_campaign_id", "kind", "sharing_status", "campaign_status", "number_pooling",
                 "failure_reasons", "next_renewal_or_expiration_date", "auto_renewal"}
CAMPAIGN_DUMP = {"telnyx_campaign_id", "brand_id", "tcr_brand_id", "assigned_count"}
ASSIGNMENT_KEYS = {"phone_number", "tcr_campaign_id", "status", "failure_reasons"}
ASSIGNMENT_DUMP = {"campaign_id", "created_at", "updated_at"}


class SeedError(ValueError):
    """Every problem found in a seed document, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_seed_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML or JSON seed file; raises SeedError (never a traceback-worthy exception)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise SeedError([f"{p}: cannot read seed file: {exc.strerror or exc}"]) from None
    try:
        if p.suffix.lower() == ".json":
            doc = json.loads(text)
        else:
            doc = yaml.safe_load(text)  # JSON is YAML too, so this also takes .json-ish files
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise SeedError([f"{p}: not valid YAML/JSON: {exc}"]) from None
    except RecursionError:
        raise SeedError([f"{p}: nested too deeply to read"]) from None
    return {"__source__": str(p), "doc": doc}


def is_timestamp(v: str) -> bool:
    """An ISO 8601 date or date-time (`Z` allowed), as Telnyx serves its campaign dates."""
    try:
        datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return False
    return len(v) <= 40


def _type_name(value: object) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def build_store(doc: Any, *, source: str, id_base: int, now: float, consume: bool = False) -> Store:
    """Validate a seed document and build the Store it describes; raises SeedError.

    `consume`: the document is ours (read from a file), so each item is dropped once it is
    in the store; a million-number seed then never sits in memory twice."""
    problems: list[str] = []

    def err(where: str, msg: str) -> None:
        problems.append(f"{source}: {where}: {msg}")

    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise SeedError([f"{source}: the seed must be a mapping, got {_type_name(doc)}"])
    for key in doc:
        if key not in TOP_KEYS:
            err(str(key), f"unknown key; expected one of {', '.join(sorted(TOP_KEYS))}")

    def items(key: str) -> Iterable[tuple[str, dict[str, Any]]]:
        value = doc.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            err(key, f"must be a list, got {_type_name(value)}")
            return []
        return _each(key, value)

    def _each(key: str, value: list[Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        for i in range(len(value)):
            item = value[i]
            if consume:
                value[i] = None
            where = f"{key}[{i}]"
            if not isinstance(item, dict):
                err(where, f"must be a mapping, got {_type_name(item)}")
                continue
            yield where, item

    def check_keys(where: str, item: dict[str, Any], allowed: set[str], dump: set[str]) -> None:
        for key in item:
            if key not in allowed and key not in dump:
                err(f"{where}.{key}", f"unknown key; expected one of {', '.join(sorted(allowed))}")

    def string(where: str, item: dict[str, Any], key: str, *, required: bool) -> str | None:
        if key not in item or item[key] is None:
            if required:
                err(where, f"missing required key {key!r}")
            return None
        value = item[key]
        if not isinstance(value, str):
            err(f"{where}.{key}", f"must be a string, got {_type_name(value)}")
            return None
        return value

    store = Store(id_base=id_base)

    # messaging profiles
    for where, item in items("messaging_profiles"):
        check_keys(where, item, PROFILE_KEYS, PROFILE_DUMP)
        pid = string(where, item, "id", required=True)
        name = string(where, item, "name", required=False)
        if pid is None:
            continue
        if not UUID_RE.match(pid):
            err(f"{where}.id", f"{pid!r} is not a UUID")
            continue
        pid = pid.lower()
        if pid in store.profile_by_id:
            err(f"{where}.id", f"duplicate messaging profile id {pid}")
            continue
        store.add_profile(pid, name if name is not None else f"profile-{pid[:8]}", now)

    # phone numbers (indexes are rebuilt once at the end: seeding a million must stay fast)
    for where, item in items("phone_numbers"):
        check_keys(where, item, NUMBER_KEYS, NUMBER_DUMP)
        number = string(where, item, "phone_number", required=True)
        ntype_name = string(where, item, "type", required=False) or "longcode"
        pid = string(where, item, "messaging_profile_id", required=False)
        if number is None:
            continue
        ok = True
        if ntype_name not in NUMBER_TYPES:
            err(f"{where}.type", f"must be one of {'|'.join(NUMBER_TYPES)}, got {ntype_name!r}")
            ok = False
        if not E164_RE.match(number) or (ntype_name != "shortcode" and not US_E164_RE.match(number)):
            err(f"{where}.phone_number", f"{number!r} is not a +E.164 US number (+1 and ten digits)")
            ok = False
        elif number in store.by_e164:
            err(f"{where}.phone_number", f"duplicate phone number {number}")
            ok = False
        profile_idx = -1
        if pid is not None:
            found = store.profile_by_id.get(pid.lower())
            if found is None:
                err(f"{where}.messaging_profile_id", f"{pid!r} is not a messaging profile of this seed")
                ok = False
            else:
                profile_idx = found
        if ok:
            store.add_number(number, NUMBER_TYPES.index(ntype_name), profile_idx, now, index=False)

    # campaigns
    for where, item in items("campaigns"):
        check_keys(where, item, CAMPAIGN_KEYS, CAMPAIGN_DUMP)
        tcr = string(where, item, "tcr_campaign_id", required=True)
        kind = string(where, item, "kind", required=False) or "shared"
        sharing = string(where, item, "sharing_status", required=False)
        status = string(where, item, "campaign_status", required=False) or "MNO_PROVISIONED"
        pooling = item.get("number_pooling", False)
        ok = tcr is not None
        if tcr is not None and not TCR_CAMPAIGN_RE.match(tcr):
            err(f"{where}.tcr_campaign_id", f"{tcr!r} is not a TCR campaign id (^C[A-Z0-9]{{5,8}}$)")
            ok = False
        elif tcr is not None and tcr in store.campaign_by_tcr:
            err(f"{where}.tcr_campaign_id", f"duplicate campaign {tcr}")
            ok = False
        if kind not in ("shared", "telnyx"):
            err(f"{where}.kind", f"must be shared|telnyx, got {kind!r}")
            ok = False
        if sharing is not None and kind == "telnyx":
            err(f"{where}.sharing_status", "only a shared campaign has a sharing status")
            ok = False
        if sharing is not None and sharing not in SHARING_STATUSES:
            err(f"{where}.sharing_status", f"must be one of {'|'.join(SHARING_STATUSES)}, got {sharing!r}")
            ok = False
        if status not in CAMPAIGN_STATUSES:
            err(f"{where}.campaign_status", f"must be a Telnyx campaignStatus ({', '.join(CAMPAIGN_STATUSES)}), got {status!r}")
            ok = False
        if pooling is None:
            pooling = False
        if not isinstance(pooling, bool):
            err(f"{where}.number_pooling", f"must be a boolean, got {_type_name(pooling)}")
            ok = False
        reasons = string(where, item, "failure_reasons", required=False)
        renewal = string(where, item, "next_renewal_or_expiration_date", required=False)
        if renewal is not None and (kind != "telnyx" or not is_timestamp(renewal)):
            err(f"{where}.next_renewal_or_expiration_date",
                f"only a telnyx campaign has one, an ISO 8601 date or time, got {renewal!r}")
            ok = False
        renews = item.get("auto_renewal")
        if renews is not None and (kind != "telnyx" or not isinstance(renews, bool)):
            err(f"{where}.auto_renewal", f"only a telnyx campaign has one, a boolean, got {_type_name(renews)}")
            ok = False
        if ok and tcr is not None:
            default_sharing = "ACCEPTED" if kind == "shared" else ""
            campaign = store.add_campaign(tcr, kind, sharing or default_sharing, status, pooling, now)
            campaign.failure_reasons, campaign.renewal, campaign.auto_renewal = reasons, renewal, renews

    # assignments
    for where, item in items("assignments"):
        check_keys(where, item, ASSIGNMENT_KEYS, ASSIGNMENT_DUMP)
        number = string(where, item, "phone_number", required=True)
        tcr = string(where, item, "tcr_campaign_id", required=True)
        status_name = string(where, item, "status", required=False) or "ASSIGNED"
        reason = string(where, item, "failure_reasons", required=False)
        if number is None or tcr is None:
            continue
        slot = store.by_e164.get(number)
        camp_idx = store.campaign_by_tcr.get(tcr)
        ok = True
        if slot is None:
            err(f"{where}.phone_number", f"{number} is not in phone_numbers")
            ok = False
        elif store.acamp[slot] >= 0:
            err(f"{where}.phone_number", f"{number} already has an assignment (one campaign per number)")
            ok = False
        if camp_idx is None:
            err(f"{where}.tcr_campaign_id", f"{tcr} is not in campaigns")
            ok = False
        if status_name not in STATUS_CODES:
            err(f"{where}.status", f"must be one of {'|'.join(STATUS_CODES)}, got {status_name!r}")
            ok = False
        if ok and slot is not None and camp_idx is not None:
            store.put_record_raw(slot, camp_idx, STATUS_CODES[status_name], reason, now)

    if problems:
        raise SeedError(problems)
    store.rebuild_indexes()
    return store


def resolve_seed(seed: Any) -> tuple[Any, str, bool]:
    """`seed` as start_sandbox takes it (dict, path or None) → (document, source label, ours).

    `ours`: read from a file here, so it may be consumed while the store is built."""
    if seed is None:
        return {}, "seed", True
    if isinstance(seed, (str, Path)):
        loaded = load_seed_file(seed)
        return loaded["doc"], loaded["__source__"], True
    return seed, "seed", False
