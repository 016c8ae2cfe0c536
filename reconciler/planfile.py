"""The plan as JSON: its public shape (`plan --format json`) and the saved plan file (`plan --out`).

The one owner of the file: `dump`/`save` write it, `load` rebuilds a `Plan` that apply can run
exactly (checksum checked), `read_summary` gives CI what it needs without rebuilding. The file is
the JSON plan plus the preconditions of every change, the chosen strategies and the desired state
it was built from; `schema_version` versions it.
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from reconciler.diff import UNSEEN, Action, Finding, LiveHalf, reported_under
from reconciler.errors import PlanFileError, TamperedPlanError
from reconciler.jsonbounds import deeper_than
from reconciler.model import ChangeWindow, CampaignKind, DesiredNumber, DesiredProfile, DesiredState, Policy
from reconciler.plan import (SCHEMA_VERSION, CampaignHealth, CampaignPlan, Plan, PlanOptions, ProfilePlan, Strategy,
                             change_dict)
from reconciler.plan.messaging import FREED, WHY_FREED, campaign_sends, prunes_sending, route_of
from reconciler.windows import problems as window_problems


# A saved plan of a million numbers is a few hundred MB; anything past this is not one of ours (`apply
# /dev/zero` must not read forever). JSON nests at most five deep in a saved plan.
MAX_PLAN_BYTES = 1024 ** 3
MAX_PLAN_DEPTH = 32


def _read_json(path: str) -> Any:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_PLAN_BYTES + 1)
    except OSError as e:
        raise PlanFileError(f"{path}: cannot read plan file: {e.strerror}") from None
    if len(raw) > MAX_PLAN_BYTES:
        raise PlanFileError(f"{path}: not a saved plan: larger than {MAX_PLAN_BYTES // 1024 ** 2} MB")
    if deeper_than(raw, MAX_PLAN_DEPTH):
        raise PlanFileError(f"{path}: not a saved plan: JSON nested deeper than {MAX_PLAN_DEPTH} levels")
    try:
        return json.loads(raw.decode())  # UTF-8, strictly
    except ValueError as e:  # UnicodeDecodeError is a ValueError
        raise PlanFileError(f"{path}: not a JSON plan file: {e}") from None


# --------------------------------------------------------------------------- the plan as JSON


NONE_KEY = "(none)"  # the group of numbers on no profile / with no campaign (a key in JSON)


def blast_radius(changes: Iterable[Finding], plan: Plan | None = None) -> dict[str, int]:
    """What the plan changes, number by number; with `plan`, also what it does to sending numbers
    (`stop_sending`, `start_sending`: the counts of its `messaging`)."""
    out = {"change_campaign": 0, "gain_campaign": 0, "lose_campaign": 0, "change_profile": 0, "blocked": 0}
    if plan is not None:
        out = {"stop_sending": plan.messaging.may_stop, "start_sending": plan.messaging.started, **out}
    for f in changes:
        if f.action is Action.REASSIGN:
            out["change_campaign"] += 1
        elif f.action in (Action.ASSIGN, Action.RETRY):
            out["gain_campaign"] += 1
        elif f.action is Action.UNASSIGN:
            out["lose_campaign"] += 1
        elif f.action is Action.BLOCKED:
            out["blocked"] += 1
        if f.move and f.writes:  # a move in flight is not one this plan makes
            out["change_profile"] += 1
    return out


def change_entry(f: Finding, names: Mapping[str, str], plan: Plan | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {"number": f.number, "action": f.action.value}
    if plan is not None and f.action in _MAY_INTERRUPT:
        route = route_of(f, plan.profiles, plan.campaigns, plan.options.shared_per_number)
        if route is not None:
            # A sending number this change stops: certainly (freed first: why) or possibly.
            d["interrupts"] = "certainly" if route == FREED else "possibly"
            if route == FREED:
                d["freed_first"] = WHY_FREED
    elif plan is not None and f.action is Action.UNASSIGN and f.live is not None:
        # A prune of a number that sends now stops it for good (the Messaging line counts them).
        if prunes_sending(f, {f.live.tcr_campaign_id: campaign_sends(plan.campaigns.get(f.live.tcr_campaign_id or ""))}):
            d["interrupts"] = "pruned"
    live = f.live or UNSEEN
    if f.move:
        d["move_from_profile"] = live.profile_id
        if live.profile_id in names:
            d["move_from_profile_name"] = names[live.profile_id]
    if live.tcr_campaign_id and live.tcr_campaign_id != reported_under(f)[1]:
        d["from_campaign"] = live.tcr_campaign_id
    if live.status:
        d["status"] = live.status
    if f.reason:
        d["reason"] = f.reason
    elif f.action is Action.UNMANAGED and not live.tcr_campaign_id and live.profile_id:
        # Left on a declared profile with no campaign (e.g. after a prune): nothing removes it, and it keeps
        # the profile from bulk assignment; say how to clear it.
        d["reason"] = ("on a declared profile with no campaign: declare, or move off the profile (numbers without a "
                       "campaign keep a profile from bulk assignment)")
    return d


_MAY_INTERRUPT = (Action.REASSIGN, Action.MOVE)


def grouped(plan: Plan, findings: Iterable[Finding]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for f in findings:
        pid, tcr = reported_under(f)
        groups[pid or NONE_KEY][tcr or NONE_KEY].append(f)
    out = []
    pids = sorted(set(groups) | {p for p, pp in plan.profiles.items() if pp.declared},
                  key=lambda p: (p == NONE_KEY, p))
    for pid in pids:
        pp = plan.profiles.get(pid)
        camps = []
        for tcr in sorted(groups.get(pid, {})):
            cp = plan.campaigns.get(tcr)
            camps.append({
                "tcr_campaign_id": tcr,
                "declared": cp is not None,
                "kind": cp.kind if cp else None,
                "campaign_status": cp.campaign_status if cp else None,
                "sharing_status": cp.sharing_status if cp else None,
                "numbers_now": cp.live_count if cp else None,
                "numbers_after": cp.final_count if cp else None,
                "problem": cp.problem if cp else None,
                "changes": [change_entry(f, plan.profile_names, plan) for f in groups[pid][tcr]],
            })
        out.append({
            "id": pid,
            "name": pp.name if pp else None,
            "declared": bool(pp and pp.declared),
            "strategy": pp.strategy if pp else "none",
            "bulk_campaign": pp.bulk_campaign if pp else None,
            "note": pp.note if pp else None,
            "resends": pp.resends if pp else 0,
            # A next phase's bulk that re-sends them (no bulk now): said only where there is one.
            **({"phase_campaign": pp.phase_campaign} if pp and pp.phase_campaign else {}),
            "campaigns": camps,
        })
    return out


def health_entry(h: CampaignHealth) -> dict[str, Any]:
    """A declared campaign that cannot carry traffic, as plans, drift and the saved plan say it."""
    return {"tcr_campaign_id": h.tcr_campaign_id, "kind": str(h.kind) if h.kind else None,
            "campaign_status": h.campaign_status, "sharing_status": h.sharing_status, "problem": h.problem,
            "telnyx_reason": h.telnyx_reason, "numbers_declared": h.numbers_declared,
            "numbers_stopped": h.numbers_stopped, "numbers_elsewhere": h.numbers_elsewhere}


def plan_dict(plan: Plan) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "plan",
        "checksum": plan.checksum(),
        "has_changes": plan.has_changes,
        "safe": plan.safe,
        "unsafe": list(plan.unsafe),
        # Limits the plan is over that the run allowed by exact count (`--allow-reassign N`): safe, and said.
        "safety_overridden": list(plan.safety_overridden),
        "warnings": list(plan.warnings),
        "timeline": list(plan.timeline),
        # Declared campaigns that cannot carry traffic: not a change (drift exits 2 on them).
        "unhealthy_campaigns": [health_entry(h) for h in plan.unhealthy],
        "counts": plan.counts,
        # What the plan does to the declared numbers that can send now (contract, "Messaging continuity").
        "messaging": plan.messaging.as_dict() | ({"hours_from": plan.figures.words(("task", "assignment",
                                                                                       "unassignment"))}
                                                 if plan.figures is not None and plan.messaging.interrupted
                                                 else {}),
        "blast_radius": blast_radius(plan.changes, plan),
        # Every declared campaign whose count changes, both sides of each move: {tcr: [now, after]}.
        # Campaigns the files do not declare that the plan takes numbers off are counted too (30 → 0).
        "campaign_counts": dict(sorted({**{t: [a, b] for t, (a, b) in plan.undeclared_counts.items()},
                                        **{t: [c.live_count, c.final_count] for t, c in plan.campaigns.items()
                                           if c.live_count != c.final_count}}.items())),
        "profiles": grouped(plan, plan.changes),
        # Only where the files declare change windows: whether apply would be held now, and until when.
        **({"change_windows": plan.window_state()} if plan.desired.policy.change_windows else {}),
    }


def dump(plan: Plan) -> dict[str, Any]:
    """`plan --out`: the JSON plan plus what apply needs to run it exactly."""
    d = plan_dict(plan)
    d["kind"] = "saved_plan"
    d["prune"] = plan.prune
    d["options"] = {"allow_unassign": plan.options.allow_unassign,
                    "allow_reassign": plan.options.allow_reassign,
                    "shared_per_number": plan.options.shared_per_number}
    d["preconditions"] = [change_dict(c) for c in plan.changes if c.writes]
    # What the plan reports but does not write (blocked, in flight, unmanaged): apply of the saved
    # plan reports them as a fresh apply does (a blocked declared number exits 4).
    d["not_written"] = [change_dict(c) for c in plan.changes if not c.writes]
    d["strategies"] = {p.id: {"name": p.name, "declared": p.declared, "exists": p.exists, "strategy": p.strategy,
                              "bulk_campaign": p.bulk_campaign, "note": p.note, "resends": p.resends,
                              **({"phase_campaign": p.phase_campaign} if p.phase_campaign else {})}
                       for p in plan.profiles.values()}
    d["campaigns"] = {t: dataclasses.asdict(c) for t, c in plan.campaigns.items()}
    d["profile_names"] = dict(plan.profile_names)
    d["desired"] = {
        "profiles": [{"id": p.id, "name": p.name, "campaigns": list(p.campaigns)}
                     for p in sorted(plan.desired.profiles.values(), key=lambda p: p.id)],
        "numbers": {n.number: [n.profile_id, n.tcr_campaign_id]
                    for n in sorted(plan.desired.numbers.values(), key=lambda n: n.number)},
        "policy": {"prune": plan.desired.policy.prune,
                   **({"change_windows": [w.as_dict() for w in plan.desired.policy.change_windows]}
                      if plan.desired.policy.change_windows else {})},
    }
    return d


def save(plan: Plan, path: str) -> None:
    """Write the saved plan (`plan --out`): what apply needs to run it exactly, and what CI reads."""
    with open(path, "wb") as fh:  # ASCII: json.dumps escapes every other character
        fh.write((json.dumps(dump(plan), indent=2) + "\n").encode())


# --------------------------------------------------------------------------- reading


def load(path: str) -> Plan:
    data = _read_json(path)
    try:
        if not isinstance(data, dict):
            raise ValueError("the file holds no plan object")
        return from_dict(data)
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
    rebuilds the plan (`load`); this only reads, and refuses anything that is not a saved plan."""
    data = _read_json(path)
    if not isinstance(data, dict) or data.get("kind") != "saved_plan":
        raise PlanFileError(f"{path}: not a saved plan (use `reconciler plan --out FILE`)")
    checksum, unsafe = data.get("checksum"), data.get("unsafe")
    if not isinstance(checksum, str) or not isinstance(unsafe, list) or not all(isinstance(u, str) for u in unsafe):
        raise PlanFileError(f"{path}: malformed saved plan (checksum, unsafe); re-run `reconciler plan --out`")
    # Safe only when the file says so and names no limit it is over (the list is what its checksum covers).
    return PlanSummary(checksum, data.get("safe") is True and not unsafe, data.get("has_changes") is True, tuple(unsafe))


class Tampered(ValueError):
    """The file's contents do not match its checksum: not the plan that was reviewed."""


def _change(c: dict[str, Any], numbers: Mapping[str, DesiredNumber],
            halves: dict[tuple[str | None, str | None, str | None], LiveHalf]) -> Finding:
    """One saved change (`change_dict`) as the Finding it was made from.

    The desired half is the saved desired state's number (a change naming another target was
    edited, and is refused); the live half is its `expect` (all None for a blocked number the
    account does not own). `move` and `declared` are derived from the two halves,
    and an undeclared change is reported under its live profile and campaign: a file that says
    otherwise was not written by `dump` (or was edited), so it is refused like a wrong checksum."""
    number, pid, tcr = c["number"], c["profile_id"], c["tcr_campaign_id"]
    expect = c["expect"]
    key = (expect["profile_id"], expect["tcr_campaign_id"], expect["status"])
    live = halves.setdefault(key, LiveHalf(*key))  # one LiveHalf per expected state, not per number
    desired: DesiredNumber | None = None
    if bool(c["declared"]):
        desired = numbers.get(number)
        if desired is None or (desired.profile_id, desired.tcr_campaign_id) != (pid, tcr):
            # `dump` takes both from the same desired number: only an edited file disagrees.
            raise Tampered(f"change {number}: its target is not what the saved desired state declares")
    f = Finding(number, Action(c["action"]), desired, live, c.get("reason"))
    if (f.move, reported_under(f)) != (bool(c["move"]), (pid, tcr)):
        raise Tampered(f"change {number}: its move/profile/campaign do not follow from its target and expected state")
    return f


def _health(h: dict[str, Any]) -> CampaignHealth:
    return CampaignHealth(str(h["tcr_campaign_id"]), CampaignKind(h["kind"]) if h.get("kind") else None,
                          h.get("campaign_status"), h.get("sharing_status"), str(h["problem"]), h.get("telnyx_reason"),
                          int(h["numbers_declared"]), int(h["numbers_stopped"]),
                          int(h.get("numbers_elsewhere") or 0))  # absent before 0.2.0's last fixes


def from_dict(data: dict[str, Any]) -> Plan:
    if data.get("kind") != "saved_plan":
        raise ValueError("not a saved plan (use `reconciler plan --out FILE`)")
    version = data.get("schema_version")
    if type(version) is not int or version != SCHEMA_VERSION:  # `true` == 1 in Python: not a version
        raise ValueError(f"schema_version {str(version)[:40]!r}, this reconciler reads {SCHEMA_VERSION}")
    d = data["desired"]
    profiles = {p["id"]: DesiredProfile(p["id"], p.get("name"), tuple(p["campaigns"])) for p in d["profiles"]}
    numbers = {n: DesiredNumber(n, v[0], v[1], "<saved plan>", 0, 0) for n, v in d["numbers"].items()}
    # `dump` writes all four fields of a window (ChangeWindow.as_dict); 0.1.0 had no windows.
    windows = tuple(ChangeWindow(tuple(w["days"]), w["start"], w["end"], w["timezone"])
                    for w in d["policy"].get("change_windows") or ())
    for w in windows:
        for problem in window_problems(w):
            raise ValueError(f"change window: {problem}")
    desired = DesiredState(profiles, numbers, Policy(prune=bool(d["policy"]["prune"]), change_windows=windows))
    halves: dict[tuple[str | None, str | None, str | None], LiveHalf] = {}
    not_written = data.get("not_written") or []  # absent from files saved before it was kept
    if not isinstance(not_written, list):
        raise ValueError("not_written is not a list")
    writes = [_change(c, numbers, halves) for c in data["preconditions"]]
    others = [_change(c, numbers, halves) for c in not_written]
    if not all(f.writes for f in writes) or any(f.writes for f in others):
        raise Tampered("a change listed as not written would write, or a precondition would not")
    changes = tuple(sorted([*writes, *others], key=lambda f: f.number))
    # Every field `dump` writes is read as written: 0.1.0 wrote each strategy's (tests/compat), so a
    # missing one is a malformed file, not an old one. Absent before 0.2.0: not_written, unhealthy_campaigns, safety_overridden,
    # a strategy's phase_campaign.
    strategies = {pid: ProfilePlan(pid, s["name"], bool(s["declared"]), bool(s["exists"]), Strategy(s["strategy"]),
                                   s["bulk_campaign"], s["note"], int(s["resends"]), s.get("phase_campaign") or None)
                  for pid, s in data["strategies"].items()}
    campaigns = {t: CampaignPlan(**{**c, "kind": CampaignKind(c["kind"]) if c.get("kind") else None})
                 for t, c in data["campaigns"].items()}
    o = data["options"]
    options = PlanOptions(prune=bool(data["prune"]), allow_unassign=o.get("allow_unassign"),
                          allow_reassign=o.get("allow_reassign"), shared_per_number=bool(o.get("shared_per_number")))
    plan = Plan(desired, changes, dict(data["counts"]), strategies, campaigns, tuple(data["warnings"]),
                tuple(data["unsafe"]), bool(data["prune"]), options, tuple(data.get("timeline") or ()),
                {str(k): str(v) for k, v in (data.get("profile_names") or {}).items()},
                unhealthy=tuple(_health(h) for h in data.get("unhealthy_campaigns") or ()),
                safety_overridden=tuple(str(o) for o in data.get("safety_overridden") or ()),
                undeclared_counts={str(t): (int(v[0]), int(v[1])) for t, v in (data.get("campaign_counts") or {}).items()
                                   if t not in data["campaigns"] and isinstance(v, list) and len(v) == 2})
    if plan.checksum() != data["checksum"]:
        raise Tampered("its contents do not match its checksum (was the file edited after review?)")
    return plan
