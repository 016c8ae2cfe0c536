"""Saved plans (`plan --out`) back into a `Plan` that apply can run exactly.

The file is the JSON plan plus the preconditions of every change, the chosen
strategies and the desired state it was built from. Only this module reads it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from reconciler.diff import Action, Finding
from reconciler.errors import PlanFileError, TamperedPlanError
from reconciler.model import CampaignKind, DesiredNumber, DesiredProfile, DesiredState, Policy
from reconciler.plan import SCHEMA_VERSION, CampaignPlan, Plan, PlanOptions, ProfilePlan, Strategy


def _read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except OSError as e:
        raise PlanFileError(f"{path}: cannot read plan file: {e.strerror}") from None
    except ValueError as e:
        raise PlanFileError(f"{path}: not a JSON plan file: {e}") from None


def load_plan(path: str) -> Plan:
    data = _read_json(path)
    try:
        if not isinstance(data, dict):
            raise ValueError("the file holds no plan object")
        return plan_from_dict(data)
    except Tampered as e:
        raise TamperedPlanError(f"{path}: refused: {e}; re-run `reconciler plan --out` and review it again") from None
    except KeyError as e:
        raise PlanFileError(f"{path}: malformed saved plan (no field {e}); re-run `reconciler plan --out`") from None
    except (TypeError, ValueError, AttributeError, IndexError) as e:
        raise PlanFileError(f"{path}: malformed saved plan ({e}); re-run `reconciler plan --out`") from None


@dataclass(frozen=True)
class PlanSummary:
    """What a CI step needs from a saved plan without rebuilding it: its checksum and verdicts."""

    checksum: str
    safe: bool
    has_changes: bool
    unsafe: tuple[str, ...]


def read_summary(path: str) -> PlanSummary:
    """The summary fields of a saved plan (`plan --out`). Its checksum is checked by `apply`, which
    rebuilds the plan (`load_plan`); this only reads, and refuses anything that is not a saved plan."""
    data = _read_json(path)
    if not isinstance(data, dict) or data.get("kind") != "saved_plan":
        raise PlanFileError(f"{path}: not a saved plan (use `reconciler plan --out FILE`)")
    checksum, unsafe = data.get("checksum"), data.get("unsafe")
    if not isinstance(checksum, str) or not isinstance(unsafe, list) or not all(isinstance(u, str) for u in unsafe):
        raise PlanFileError(f"{path}: malformed saved plan (checksum, unsafe); re-run `reconciler plan --out`")
    return PlanSummary(checksum, data.get("safe") is True, data.get("has_changes") is True, tuple(unsafe))


class Tampered(ValueError):
    """The file's contents do not match its checksum: not the plan that was reviewed."""


def plan_from_dict(data: dict[str, Any]) -> Plan:
    if data.get("kind") != "saved_plan":
        raise ValueError("not a saved plan (use `reconciler plan --out FILE`)")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"schema_version {data.get('schema_version')!r}, this reconciler reads {SCHEMA_VERSION}")
    d = data["desired"]
    profiles = {p["id"]: DesiredProfile(p["id"], p.get("name"), tuple(p["campaigns"])) for p in d["profiles"]}
    numbers = {n: DesiredNumber(n, v[0], v[1], "<saved plan>", 0, 0) for n, v in d["numbers"].items()}
    desired = DesiredState(profiles, numbers, Policy(prune=bool(d["policy"]["prune"])))
    changes = tuple(
        Finding(c["number"], Action(c["action"]), c["profile_id"], c["tcr_campaign_id"],
                c["expect"]["profile_id"], c["expect"]["tcr_campaign_id"], c["expect"]["status"],
                bool(c["move"]), c.get("reason"), bool(c["declared"]))
        for c in data["preconditions"]
    )
    strategies = {pid: ProfilePlan(pid, s.get("name"), bool(s.get("declared", True)), bool(s.get("exists", True)),
                                   Strategy(s["strategy"]), s.get("bulk_campaign"), s.get("note"), int(s.get("resends") or 0))
                  for pid, s in data["strategies"].items()}
    campaigns = {t: CampaignPlan(**{**c, "kind": CampaignKind(c["kind"]) if c.get("kind") else None})
                 for t, c in data["campaigns"].items()}
    o = data["options"]
    options = PlanOptions(prune=bool(data["prune"]), allow_unassign=o.get("allow_unassign"),
                          allow_reassign=o.get("allow_reassign"), shared_per_number=bool(o.get("shared_per_number")))
    plan = Plan(desired, changes, dict(data["counts"]), strategies, campaigns, tuple(data["warnings"]),
                tuple(data["unsafe"]), bool(data["prune"]), options, tuple(data.get("timeline") or ()),
                {str(k): str(v) for k, v in (data.get("profile_names") or {}).items()})
    if plan.checksum() != data["checksum"]:
        raise Tampered("its contents do not match its checksum (was the file edited after review?)")
    return plan
