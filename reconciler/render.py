"""Plans, apply outcomes and drift reports → text, json, markdown.

One data shape (`plan_dict`, `drift_dict`, `apply_dict`) feeds all three
renderings, so `json` carries exactly what `text` shows. This is the only
module that formats for humans; it never prints (the CLI does).
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from typing import Any, Iterable

from reconciler.diff import Action, Finding
from reconciler.drift import KINDS, DriftReport
from reconciler.plan import SCHEMA_VERSION, Plan, change_dict

# GitHub refuses comments over 65,536 characters; leave room for the marker and headers.
MARKDOWN_LIMIT = 60_000
DETAILS_OVER = 10  # numbers listed inline before folding into <details>

SYMBOL = {
    Action.ASSIGN: "+", Action.REASSIGN: "~", Action.RETRY: "↻", Action.MOVE: ">",
    Action.UNASSIGN: "-", Action.IN_FLIGHT: "…", Action.UNMANAGED: "?", Action.BLOCKED: "!", Action.OK: "=",
}
COLOR = {
    Action.ASSIGN: "32", Action.REASSIGN: "33", Action.RETRY: "33", Action.MOVE: "36",
    Action.UNASSIGN: "31", Action.BLOCKED: "31;1", Action.UNMANAGED: "2", Action.IN_FLIGHT: "2",
}
NONE_KEY = "(none)"


def _c(text: str, code: str | None, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color and code else text


# --------------------------------------------------------------------------- data


def blast_radius(changes: Iterable[Finding]) -> dict[str, int]:
    out = {"change_campaign": 0, "gain_campaign": 0, "lose_campaign": 0, "change_profile": 0, "blocked": 0}
    for f in changes:
        if f.action is Action.REASSIGN:
            out["change_campaign"] += 1
        elif f.action in (Action.ASSIGN, Action.RETRY):
            out["gain_campaign"] += 1
        elif f.action is Action.UNASSIGN:
            out["lose_campaign"] += 1
        elif f.action is Action.BLOCKED:
            out["blocked"] += 1
        if f.move:
            out["change_profile"] += 1
    return out


def _entry(f: Finding) -> dict[str, Any]:
    d: dict[str, Any] = {"number": f.number, "action": f.action.value}
    if f.move:
        d["move_from_profile"] = f.live_profile_id
    if f.live_campaign and f.live_campaign != f.tcr_campaign_id:
        d["from_campaign"] = f.live_campaign
    if f.live_status:
        d["status"] = f.live_status
    if f.reason:
        d["reason"] = f.reason
    return d


def _grouped(plan: Plan, findings: Iterable[Finding]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for f in findings:
        pid = (f.profile_id if f.declared else f.live_profile_id) or NONE_KEY
        groups[pid][f.tcr_campaign_id or NONE_KEY].append(f)
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
                "changes": [_entry(f) for f in groups[pid][tcr]],
            })
        out.append({
            "id": pid,
            "name": pp.name if pp else None,
            "declared": bool(pp and pp.declared),
            "strategy": pp.strategy if pp else "none",
            "bulk_campaign": pp.bulk_campaign if pp else None,
            "note": pp.note if pp else None,
            "campaigns": camps,
        })
    return out


def plan_dict(plan: Plan) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "plan",
        "checksum": plan.checksum(),
        "has_changes": plan.has_changes,
        "safe": plan.safe,
        "unsafe": list(plan.unsafe),
        "warnings": list(plan.warnings),
        "counts": plan.counts,
        "blast_radius": blast_radius(plan.changes),
        "profiles": _grouped(plan, plan.changes),
    }


def saved_plan_dict(plan: Plan) -> dict[str, Any]:
    """`plan --out`: the JSON plan plus what apply needs to run it exactly."""
    d = plan_dict(plan)
    d["kind"] = "saved_plan"
    d["prune"] = plan.prune
    d["options"] = {"allow_unassign": plan.options.allow_unassign,
                    "allow_reassign": plan.options.allow_reassign,
                    "shared_per_number": plan.options.shared_per_number}
    d["preconditions"] = [change_dict(c) for c in plan.changes if c.writes]
    d["strategies"] = {p.id: {"name": p.name, "declared": p.declared, "exists": p.exists, "strategy": p.strategy,
                              "bulk_campaign": p.bulk_campaign, "note": p.note}
                       for p in plan.profiles.values()}
    d["campaigns"] = {t: dataclasses.asdict(c) for t, c in plan.campaigns.items()}
    d["desired"] = {
        "profiles": [{"id": p.id, "name": p.name, "campaigns": list(p.campaigns)}
                     for p in sorted(plan.desired.profiles.values(), key=lambda p: p.id)],
        "numbers": {n.number: [n.profile_id, n.tcr_campaign_id]
                    for n in sorted(plan.desired.numbers.values(), key=lambda n: n.number)},
        "policy": {"prune": plan.desired.policy.prune},
    }
    return d


def drift_dict(report: DriftReport) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "drift",
        "drifted": report.drifted,
        "counts": report.counts,
        "items": {k: [_entry(f) | {"profile_id": f.profile_id if f.declared else f.live_profile_id,
                                   "tcr_campaign_id": f.tcr_campaign_id}
                      for f in report.items[k]] for k in KINDS},
    }


# --------------------------------------------------------------------------- text


def _summary_line(counts: dict[str, int]) -> str:
    parts = []
    for key, label in (("assign", "to assign"), ("reassign", "to reassign"), ("retry", "to retry"),
                       ("profile_moves", "profile moves"), ("move", "profile-only moves"),
                       ("unassign", "to unassign (prune)")):
        if counts.get(key):
            parts.append(f"{counts[key]} {label}")
    head = ", ".join(parts) or "no changes"
    tail = []
    for key, label in (("in_flight", "in flight"), ("blocked", "blocked"), ("unmanaged", "unmanaged"),
                       ("ok", "unchanged")):
        if counts.get(key):
            tail.append(f"{counts[key]} {label}")
    return head + (" · " + ", ".join(tail) if tail else "")


def _describe(f: dict[str, Any]) -> str:
    action = f["action"]
    bits = [action.replace("_", " ")]
    if "from_campaign" in f and action in ("reassign",):
        bits.append(f"from {f['from_campaign']}")
    if "move_from_profile" in f:
        bits.append(f"(move from profile {f['move_from_profile'] or 'none'})")
    if action in ("in_flight", "unmanaged") and f.get("status"):
        bits.append(f"({f['status']})")
    if f.get("reason"):
        bits.append(f"— {f['reason']}")
    return " ".join(bits)


def plan_text(plan: Plan, *, color: bool = False) -> str:
    d = plan_dict(plan)
    lines = [_c("Plan: ", "1", color) + _summary_line(d["counts"]), f"Checksum: {d['checksum']}"]
    br = d["blast_radius"]
    if any(br.values()):
        lines.append(f"Blast radius: {br['change_campaign']} numbers change campaign, {br['lose_campaign']} lose "
                     f"their campaign, {br['gain_campaign']} gain one, {br['change_profile']} change profile, "
                     f"{br['blocked']} blocked")
    for p in d["profiles"]:
        if not p["campaigns"] and p["strategy"] == "none":
            continue
        label = f"{p['name']} ({p['id']})" if p["name"] else p["id"]
        how = {"bulk": f"bulk assignment by profile to {p['bulk_campaign']}",
               "per_number": "per-number assignment", "none": "no assignment calls"}[p["strategy"]]
        lines.append("")
        lines.append(_c(f"Profile {label}", "1", color) + ("" if p["declared"] else " [undeclared profile]")
                     + f": {how}")
        if p["note"]:
            lines.append(f"  note: {p['note']}")
        for c in p["campaigns"]:
            head = f"  Campaign {c['tcr_campaign_id']}"
            if c["declared"]:
                status = ", ".join(x for x in (c["kind"], c["campaign_status"],
                                               c["sharing_status"] and f"sharing {c['sharing_status']}") if x)
                head += f" ({status or 'unknown to Telnyx'}): {c['numbers_now']} → {c['numbers_after']} numbers"
            lines.append(head)
            for f in c["changes"]:
                act = Action(f["action"])
                lines.append("    " + _c(f"{SYMBOL[act]} {f['number']}", COLOR.get(act), color) + "  " + _describe(f))
    if d["warnings"]:
        lines.append("")
        lines.append(_c("Warnings:", "33;1", color))
        lines.extend(f"  - {w}" for w in d["warnings"])
    if d["unsafe"]:
        lines.append("")
        lines.append(_c("UNSAFE — apply will refuse (exit 3):", "31;1", color))
        lines.extend(f"  - {u}" for u in d["unsafe"])
    return "\n".join(lines) + "\n"


def drift_text(report: DriftReport, *, color: bool = False) -> str:
    d = drift_dict(report)
    counts = d["counts"]
    head = "Drift: " + (", ".join(f"{counts[k]} {k.replace('_', ' ')}" for k in KINDS if counts[k]) or "none")
    lines = [_c(head, "1", color)]
    for k in KINDS:
        if not d["items"][k]:
            continue
        lines.append("")
        lines.append(_c(k.replace("_", " ").capitalize() + ":", "1", color))
        for f in d["items"][k]:
            where = f"profile {f['profile_id'] or 'none'}, campaign {f['tcr_campaign_id'] or 'none'}"
            lines.append(f"  {f['number']}  {where}: {_describe(f)}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- markdown


def _md_numbers(changes: list[dict[str, Any]], budget: list[int]) -> list[str]:
    rows = [f"- `{f['number']}` {_describe(f)}" for f in changes]
    if len(rows) > DETAILS_OVER:
        rows = [f"<details><summary>{len(rows)} numbers</summary>", "", *rows, "", "</details>"]
    size = sum(len(r) + 1 for r in rows)
    if size > budget[0]:
        return [f"- {len(changes)} numbers (list omitted: the plan is too large for one comment; "
                "see the JSON artifact)"]
    budget[0] -= size
    return rows


def plan_markdown(plan: Plan) -> str:
    d = plan_dict(plan)
    br = d["blast_radius"]
    out = ["## 10DLC plan", ""]
    if not d["has_changes"]:
        out.append("**No changes.** Telnyx matches the desired state.")
    else:
        out.append(f"**{br['change_campaign']} numbers will change campaign, {br['lose_campaign']} will lose their "
                   f"campaign, {br['gain_campaign']} will gain one, {br['change_profile']} will change messaging "
                   f"profile.**")
    if d["unsafe"]:
        out += ["", "> [!CAUTION]", "> **Unsafe plan: apply will refuse (exit 3).**"]
        out += [f"> - {u}" for u in d["unsafe"]]
    if br["blocked"]:
        out += ["", "> [!WARNING]", f"> **{br['blocked']} numbers are blocked** and will not change (reasons below)."]
    out += ["", "| | count |", "| --- | ---: |"]
    out += [f"| {k.replace('_', ' ')} | {v} |" for k, v in d["counts"].items() if v]
    out += ["", "| profile | strategy | campaign | now | after | changes |", "| --- | --- | --- | ---: | ---: | ---: |"]
    for p in d["profiles"]:
        for c in p["campaigns"]:
            out.append(f"| {p['name'] or p['id']} | {p['strategy']} | {c['tcr_campaign_id']} | "
                       f"{c['numbers_now'] if c['numbers_now'] is not None else ''} | "
                       f"{c['numbers_after'] if c['numbers_after'] is not None else ''} | {len(c['changes'])} |")
    if d["warnings"]:
        out += ["", "**Warnings**", ""] + [f"- {w}" for w in d["warnings"]]
    budget = [MARKDOWN_LIMIT - sum(len(x) + 1 for x in out) - 2_000]
    summarised = False
    for p in d["profiles"]:
        for c in p["campaigns"]:
            out += ["", f"### {p['name'] or p['id']} / {c['tcr_campaign_id']}"]
            if p["note"]:
                out.append(f"_{p['note']}_")
            rows = _md_numbers(c["changes"], budget)
            summarised |= len(rows) == 1 and "list omitted" in rows[0]
            out += rows
    if summarised:
        out += ["", f"_This comment was summarised to stay under GitHub's comment size limit; "
                    f"the full plan is in the JSON artifact._"]
    out += ["", f"<sub>checksum `{d['checksum']}`</sub>", ""]
    return "\n".join(out)


def drift_markdown(report: DriftReport) -> str:
    d = drift_dict(report)
    out = ["## 10DLC drift", ""]
    out.append("**Drift found.**" if d["drifted"] else "**No drift.**")
    out += ["", "| kind | count |", "| --- | ---: |"] + [f"| {k.replace('_', ' ')} | {v} |" for k, v in d["counts"].items()]
    budget = [MARKDOWN_LIMIT - 4_000]
    for k in KINDS:
        if d["items"][k]:
            out += ["", f"### {k.replace('_', ' ')}"] + _md_numbers(d["items"][k], budget)
    return "\n".join(out) + "\n"


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


# --------------------------------------------------------------------------- apply


def apply_dict(report: Any) -> dict[str, Any]:
    by_campaign: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for o in report.outcomes:
        by_campaign[o.tcr_campaign_id or NONE_KEY][o.result].append(
            {"number": o.number, "profile_id": o.profile_id, **({"detail": o.detail} if o.detail else {})})
    totals: dict[str, int] = defaultdict(int)
    for o in report.outcomes:
        totals[o.result] += 1
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "apply",
        "exit_code": report.exit_code,
        "rounds": report.rounds,
        "writes": report.writes,
        "timed_out": report.timed_out,
        "totals": dict(sorted(totals.items())),
        "campaigns": {t: {r: v for r, v in sorted(rs.items())} for t, rs in sorted(by_campaign.items())},
    }


def apply_text(report: Any, *, color: bool = False) -> str:
    d = apply_dict(report)
    lines = [_c("Apply: ", "1", color) + (", ".join(f"{v} {k.replace('_', ' ')}" for k, v in d["totals"].items())
                                         or "nothing done")
             + f" ({d['writes']} write request(s), {d['rounds']} round(s))"]
    for tcr, results in d["campaigns"].items():
        summary = ", ".join(f"{len(v)} {k.replace('_', ' ')}" for k, v in results.items())
        lines.append(f"  Campaign {tcr}: {summary}")
        for k, v in results.items():
            if k in ("converged", "unassigned", "submitted"):
                continue
            for o in v:
                lines.append(f"    {o['number']}  {k}" + (f": {o['detail']}" if o.get("detail") else ""))
    if d["timed_out"]:
        lines.append("Timed out before Telnyx finished; run `reconciler drift` or `apply` again later.")
    return "\n".join(lines) + "\n"


def apply_markdown(report: Any) -> str:
    d = apply_dict(report)
    out = ["## 10DLC apply", "", "| campaign | " + " | ".join(sorted({k for r in d["campaigns"].values() for k in r}))
           + " |"]
    keys = sorted({k for r in d["campaigns"].values() for k in r})
    out.append("| --- |" + " ---: |" * len(keys))
    for tcr, results in d["campaigns"].items():
        out.append(f"| {tcr} | " + " | ".join(str(len(results.get(k, []))) for k in keys) + " |")
    budget = [MARKDOWN_LIMIT - 4_000]
    for tcr, results in d["campaigns"].items():
        for k, v in results.items():
            if k in ("failed", "stale", "in_flight", "blocked"):
                out += ["", f"### {tcr}: {k}"] + _md_numbers(
                    [{"number": o["number"], "action": k, "reason": o.get("detail")} for o in v], budget)
    return "\n".join(out) + "\n"
