"""Plans, apply outcomes and drift reports → text, json, markdown.

One data shape (`plan_dict`, `drift_dict`, `apply_dict`) feeds all three
renderings, so `json` carries exactly what `text` shows. This is the only
module that formats for humans; it never prints (the CLI does).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import defaultdict
from typing import Any, Callable, Iterable, Mapping

from reconciler.diff import Action, Finding
from reconciler.drift import KINDS, DriftReport
from reconciler.plan import SCHEMA_VERSION, Plan, change_dict, plural, profile_label
from reconciler.tracking import PHASE_HOURS

from .safe import free_text, md, plain

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
NONE_KEY = "(none)"  # the group of numbers on no profile / with no campaign (a key in JSON)


def _shown(key: str, what: str) -> str:
    """A profile or campaign key as a reader sees it: `no profile` / `no campaign` for NONE_KEY."""
    return f"no {what}" if key == NONE_KEY else key


def _c(text: str, code: str | None, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color and code else text


_PROFILE_ID = re.compile(r"\bprofile ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b")


def _cleaner(clean: Callable[[str], str], names: Mapping[str, str]) -> Callable[[str], str]:
    """`clean`, after naming the profiles that prose mentions by id ("profile <uuid>" →
    "profile acme-marketing (4001767e…)"), for text and markdown; JSON keeps the prose as it is."""
    if not names:
        return clean
    return lambda s: clean(_PROFILE_ID.sub(lambda m: "profile " + profile_label(m[1], names), s))


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


def _entry(f: Finding, names: Mapping[str, str]) -> dict[str, Any]:
    d: dict[str, Any] = {"number": f.number, "action": f.action.value}
    if f.move:
        d["move_from_profile"] = f.live_profile_id
        if f.live_profile_id in names:
            d["move_from_profile_name"] = names[f.live_profile_id]
    if f.live_campaign and f.live_campaign != f.tcr_campaign_id:
        d["from_campaign"] = f.live_campaign
    if f.live_status:
        d["status"] = f.live_status
    if f.reason:
        d["reason"] = f.reason
    elif f.action is Action.UNMANAGED and not f.live_campaign and f.live_profile_id:
        # Left on a declared profile with no campaign (e.g. after a prune): nothing removes it, and it keeps
        # the profile from bulk assignment; say how to clear it.
        d["reason"] = "declare it, or move it off the profile (there it keeps the profile from bulk assignment)"
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
                "changes": [_entry(f, plan.profile_names) for f in groups[pid][tcr]],
            })
        out.append({
            "id": pid,
            "name": pp.name if pp else None,
            "declared": bool(pp and pp.declared),
            "strategy": pp.strategy if pp else "none",
            "bulk_campaign": pp.bulk_campaign if pp else None,
            "note": pp.note if pp else None,
            "resends": pp.resends if pp else 0,
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
        "timeline": list(plan.timeline),
        "counts": plan.counts,
        "blast_radius": blast_radius(plan.changes),
        # Every declared campaign whose count changes, both sides of each move: {tcr: [now, after]}.
        "campaign_counts": {t: [c.live_count, c.final_count] for t, c in sorted(plan.campaigns.items())
                            if c.live_count != c.final_count},
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
                              "bulk_campaign": p.bulk_campaign, "note": p.note, "resends": p.resends}
                       for p in plan.profiles.values()}
    d["campaigns"] = {t: dataclasses.asdict(c) for t, c in plan.campaigns.items()}
    d["profile_names"] = dict(plan.profile_names)
    d["desired"] = {
        "profiles": [{"id": p.id, "name": p.name, "campaigns": list(p.campaigns)}
                     for p in sorted(plan.desired.profiles.values(), key=lambda p: p.id)],
        "numbers": {n.number: [n.profile_id, n.tcr_campaign_id]
                    for n in sorted(plan.desired.numbers.values(), key=lambda n: n.number)},
        "policy": {"prune": plan.desired.policy.prune},
    }
    return d


def drift_dict(report: DriftReport) -> dict[str, Any]:
    names = report.plan.profile_names

    def where(f: Finding) -> dict[str, Any]:
        pid = f.profile_id if f.declared else f.live_profile_id
        return {"profile_id": pid, **({"profile_name": names[pid]} if pid in names else {}),
                "tcr_campaign_id": f.tcr_campaign_id}

    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "drift",
        "drifted": report.drifted,
        "prune": report.prune,
        "stuck_after_hours": round(report.stuck_after / 3600, 2),
        "counts": report.counts,
        "counted_as_drift": [k for k in KINDS if report.counts_as_drift(k)],
        "items": {k: [_entry(f, names) | where(f)
                      | ({"in_flight_hours": round(report.ages[f.number] / 3600, 1)}
                         if report.ages and f.number in report.ages else {})
                      for f in report.items[k]] for k in KINDS},
    }


# --------------------------------------------------------------------------- text


def _summary_line(counts: dict[str, int]) -> str:
    parts = []
    for key, label in (("assign", "to assign"), ("reassign", "to reassign"), ("retry", "to retry")):
        if counts.get(key):
            parts.append(f"{counts[key]} {label}")
    moves, only = counts.get("profile_moves", 0), counts.get("move", 0)
    if moves:
        # One number counted once: every profile move, and how many of them change nothing else.
        parts.append(f"{moves} to change profile" + (f" ({only} of them only that)" if only else ""))
    if counts.get("unassign"):
        parts.append(f"{counts['unassign']} to unassign (prune)")
    head = ", ".join(parts) or "no changes"
    tail = []
    for key, label in (("in_flight", "in flight"), ("blocked", "blocked"), ("unmanaged", "unmanaged"),
                       ("ok", "unchanged")):
        if counts.get(key):
            tail.append(f"{counts[key]} {label}")
    return head + (" · " + ", ".join(tail) if tail else "")


def _profile(pid: str | None, name: str | None) -> str:
    """How a profile is named in a sentence: `profile acme-marketing (4001767e…)`, `profile <id>`, `no profile`."""
    if not pid:
        return "no profile"
    return "profile " + profile_label(pid, {pid: name} if name else {})


def _describe(f: dict[str, Any]) -> str:
    action = f["action"]
    bits = [action.replace("_", " ")]
    if "from_campaign" in f and action in ("reassign",):
        bits.append(f"from {f['from_campaign']}")
    if "move_from_profile" in f:
        where = _profile(f["move_from_profile"], f.get("move_from_profile_name"))
        if action == "move":
            bits = [f"move from {where}"]
        else:
            bits.append(f"(moves from {where})")
    if action in ("in_flight", "unmanaged") and f.get("status"):
        bits.append(f"({f['status']})")
    if f.get("reason"):
        bits.append(f"— {f['reason']}")
    return " ".join(bits)


def plan_text(plan: Plan, *, color: bool = False) -> str:
    d = free_text(plan_dict(plan), _cleaner(plain, plan.profile_names))
    lines = [_c("Plan: ", "1", color) + _summary_line(d["counts"]), f"Checksum: {d['checksum']}"]
    br = d["blast_radius"]
    if any(br.values()):
        lines.append(f"Blast radius: {plural(br['change_campaign'], 'number', 'numbers')} to change campaign, "
                     f"{br['lose_campaign']} to lose {'its' if br['lose_campaign'] == 1 else 'their'} campaign, {br['gain_campaign']} to gain one, "
                     f"{br['change_profile']} to change profile, {br['blocked']} blocked")
    for p in d["profiles"]:
        if not p["campaigns"] and p["strategy"] == "none":
            continue
        label = f"{p['name']} ({p['id']})" if p["name"] else p["id"]
        how = {"bulk": f"bulk assignment by profile to {p['bulk_campaign']}",
               "per_number": "per-number assignment", "none": "no assignment calls"}[p["strategy"]]
        lines.append("")
        title = "No profile" if p["id"] == NONE_KEY else (
            f"Profile {label}" + ("" if p["declared"] else " [undeclared profile]"))
        lines.append(_c(title, "1", color) + f": {how}")
        if p["note"]:
            lines.append(f"  note: {p['note']}")
        for c in p["campaigns"]:
            head = "  No campaign" if c["tcr_campaign_id"] == NONE_KEY else f"  Campaign {c['tcr_campaign_id']}"
            if c["declared"]:
                status = ", ".join(x for x in (c["kind"], c["campaign_status"],
                                               c["sharing_status"] and f"sharing {c['sharing_status']}") if x)
                after = plural(c["numbers_after"], "number", "numbers")
                head += f" ({status or 'unknown to Telnyx'}): {c['numbers_now']} → {after}"
            lines.append(head)
            for f in c["changes"]:
                act = Action(f["action"])
                lines.append("    " + _c(f"{SYMBOL[act]} {f['number']}", COLOR.get(act), color) + "  " + _describe(f))
    if d["campaign_counts"]:
        lines.append("")
        lines.append("Campaign counts: " + ", ".join(f"{t} {a} → {b}" for t, (a, b) in d["campaign_counts"].items()))
    if d["timeline"]:
        lines.append("")
        lines.append(_c("Timeline:", "1", color))
        lines.extend(f"  - {t}" for t in d["timeline"])
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
    d = free_text(drift_dict(report), _cleaner(plain, report.plan.profile_names))
    counts = d["counts"]
    head = "Drift: " + (", ".join(f"{counts[k]} {k.replace('_', ' ')}" for k in KINDS if counts[k]) or "none")
    lines = [_c(head, "1", color)]
    for k in KINDS:
        if not d["items"][k]:
            continue
        lines.append("")
        note = "" if k in d["counted_as_drift"] else (
            " (not drift: work in progress)" if k == "in_flight" else " (listed only: prune is off)")
        lines.append(_c(k.replace("_", " ").capitalize() + note + ":", "1", color))
        for f in d["items"][k]:
            where = _profile(f["profile_id"], f.get("profile_name")) + ", " + (
                f"campaign {f['tcr_campaign_id']}" if f["tcr_campaign_id"] else "no campaign")
            age = f" ({f['in_flight_hours']:g} h)" if "in_flight_hours" in f else ""
            lines.append(f"  {f['number']}  {where}: {_describe(f)}{age}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- markdown


def _md_numbers(changes: list[dict[str, Any]], budget: list[int]) -> list[str]:
    """One bullet per number; over DETAILS_OVER folded into <details>. When the rows do not fit what is
    left of `budget[0]` (characters), a one-line count replaces them ("list omitted")."""
    def row(f: dict[str, Any]) -> str:
        flag = "⛔ " if f["action"] in ("blocked", "failed", "stale") else ""
        return f"- {flag}`{f['number']}` {_describe(f)}"

    rows = [row(f) for f in sorted(changes, key=lambda f: (f["action"] not in ("blocked", "failed"), f["number"]))]
    if len(rows) > DETAILS_OVER:
        acts = defaultdict(int)
        for f in changes:
            acts[f["action"]] += 1
        what = ", ".join(f"{n} {a.replace('_', ' ')}" for a, n in sorted(acts.items()))
        rows = [f"<details><summary>{len(rows)} numbers: {what}</summary>", "", *rows, "", "</details>"]
    size = sum(len(r) + 1 for r in rows)
    if size > budget[0]:
        return [f"- {len(changes)} numbers (list omitted: the plan is too large for one comment; "
                "see the JSON artifact)"]
    budget[0] -= size
    return rows


def _md_fit(out: list[str], note: str) -> str:
    """Join, and as a last resort cut to MARKDOWN_LIMIT, saying so (the budgets above normally prevent it)."""
    text = "\n".join(out)
    if len(text) <= MARKDOWN_LIMIT:
        return text
    cut = text[: MARKDOWN_LIMIT - len(note) - 200].rsplit("\n", 1)[0]
    if cut.count("<details>") > cut.count("</details>"):
        cut += "\n\n</details>"
    return cut + "\n\n" + note + "\n"


def plan_markdown(plan: Plan) -> str:
    d = free_text(plan_dict(plan), _cleaner(md, plan.profile_names))
    br = d["blast_radius"]
    counts = d["counts"]
    artifact = "the full plan is in the JSON plan (`plan --out`, the workflow's artifact)"
    out = ["## 10DLC plan", ""]
    # Blast radius first: what stops or changes sending, before anything else.
    if not d["has_changes"] and not br["blocked"]:
        out.append("**No changes.** Telnyx matches the desired state.")
    else:
        head = (f"**{plural(br['change_campaign'], 'number', 'numbers')} will change campaign, "
                f"{br['lose_campaign']} will lose {'its' if br['lose_campaign'] == 1 else 'their'} campaign**, "
                f"{br['gain_campaign']} will gain one, {br['change_profile']} will change profile")
        if br["blocked"]:
            head += f"; **{br['blocked']} blocked**"
        out.append(head + ".")
    if d["unsafe"]:
        out += ["", "> [!CAUTION]", "> **Unsafe plan: apply will refuse it (exit 3).**"]
        out += [f"> - {u}" for u in d["unsafe"][:20]]
        if len(d["unsafe"]) > 20:
            out.append(f"> - …and {len(d['unsafe']) - 20} more in the JSON plan")
    if br["blocked"]:
        out += ["", "> [!WARNING]",
                f"> **{plural(br['blocked'], 'number is', 'numbers are')} blocked** and will not change; "
                "the reasons are listed below (⛔)."]
    if counts.get("in_flight"):
        out += ["", f"_{plural(counts['in_flight'], 'number is', 'numbers are')} still in flight at Telnyx "
                    "(pending); not changed._"]
    # Per profile and campaign: the counts reviewers scan.
    table = ["", "| profile | campaign | strategy | numbers now → after | + assign | ~ reassign | − unassign "
                 "| ⛔ blocked | other |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    rows = []
    for p in d["profiles"]:
        for c in p["campaigns"]:
            acts: dict[str, int] = defaultdict(int)
            for f in c["changes"]:
                acts[f["action"]] += 1
            gain = acts.pop("assign", 0) + acts.pop("retry", 0)
            change, lose, blocked = acts.pop("reassign", 0), acts.pop("unassign", 0), acts.pop("blocked", 0)
            other = sum(acts.values())
            name = (p["name"] or _shown(p["id"], "profile")) + ("" if p["declared"] else " _(undeclared)_")
            now = "" if c["numbers_now"] is None else f"{c['numbers_now']} → {c['numbers_after']}"
            flag = " ⛔" if blocked or c["problem"] else ""
            rows.append((len(c["changes"]),
                         f"| {name} | {_shown(c['tcr_campaign_id'], 'campaign')}{flag} | "
                         f"{p['strategy'].replace('_', '-')} | {now} | "
                         f"{gain or ''} | {change or ''} | {lose or ''} | {blocked or ''} | {other or ''} |"))
    table_budget = MARKDOWN_LIMIT // 3
    shown = [r for _, r in rows]
    if sum(len(r) + 1 for r in shown) > table_budget:
        ranked = sorted(rows, key=lambda r: -r[0])
        shown, used = [], 0
        for n, r in ranked:
            if used + len(r) + 1 > table_budget:
                break
            shown.append(r)
            used += len(r) + 1
        rest = ranked[len(shown):]
        shown.append(f"| _…{len(rest)} more rows with {sum(n for n, _ in rest)} changes, in the JSON plan_ "
                     "| | | | | | | | |")
    if shown:  # no header over an empty table when nothing differs
        out += table + shown
    total = {k: counts.get(k, 0) for k in ("assign", "reassign", "retry", "unassign", "blocked", "unmanaged", "ok")}
    out += ["", (f"Totals: {total['assign'] + total['retry']} to assign, {total['reassign']} to reassign, "
                 f"{total['unassign']} to unassign, {total['blocked']} blocked, {counts.get('profile_moves', 0)} "
                 f"to change profile, {total['unmanaged']} unmanaged, {total['ok']} unchanged "
                 f"(of {counts.get('numbers_declared', 0)} declared).")]
    if d["timeline"]:
        out += ["", "**Timeline**", ""] + [f"- {t}" for t in d["timeline"]]
    if d["campaign_counts"]:
        counted = list(d["campaign_counts"].items())
        more = f" and {len(counted) - 50} more (in the JSON plan)" if len(counted) > 50 else ""
        out += ["", "**Campaign counts**: " + ", ".join(f"`{t}` {a} → {b}" for t, (a, b) in counted[:50]) + more]
    if d["warnings"]:
        warn = [f"- {w}" for w in d["warnings"]]
        if len(warn) > DETAILS_OVER:
            warn = [f"<details><summary>{len(warn)} warnings</summary>", "", *warn[:200], "", "</details>"]
            if len(d["warnings"]) > 200:
                warn.insert(-2, f"- …and {len(d['warnings']) - 200} more in the JSON plan")
        out += ["", "**Warnings**", ""] + warn
    budget = [MARKDOWN_LIMIT - sum(len(x) + 1 for x in out) - 2_000]
    summarised = False
    skipped_sections = skipped_changes = 0
    for p in d["profiles"]:
        for c in p["campaigns"]:
            if not c["changes"]:
                continue
            if budget[0] < 400:  # not even room for headings: count what is left
                skipped_sections += 1
                skipped_changes += len(c["changes"])
                continue
            section = ["", f"### {p['name'] or _shown(p['id'], 'profile')} / {_shown(c['tcr_campaign_id'], 'campaign')}"]
            if p["note"]:
                section.append(f"_{p['note']}_")
            if c["problem"]:
                section.append(f"⛔ _{c['problem']}_")
            budget[0] -= sum(len(x) + 1 for x in section)
            rows_md = _md_numbers(c["changes"], budget)
            summarised |= len(rows_md) == 1 and "list omitted" in rows_md[0]
            out += section + rows_md
    if skipped_sections:
        summarised = True
        out += ["", f"_…{skipped_sections} more campaign sections with {skipped_changes} changes are not listed._"]
    if summarised:
        out += ["", f"_This plan was summarised to stay under GitHub's 65,536-character comment limit; {artifact}._"]
    out += ["", f"<sub>checksum `{d['checksum']}`</sub>", ""]
    return _md_fit(out, f"_Cut to stay under GitHub's comment limit; {artifact}._")


def drift_markdown(report: DriftReport) -> str:
    d = free_text(drift_dict(report), _cleaner(md, report.plan.profile_names))
    counts = d["counts"]
    out = ["## 10DLC drift", ""]
    if d["drifted"]:
        found = ", ".join(f"{counts[k]} {k.replace('_', ' ')}" for k in KINDS if counts[k]
                          and k in d["counted_as_drift"])
        out.append(f"**Drift found: {found}.**")
    else:
        out.append("**No drift.** Telnyx matches the desired state.")
    if counts.get("in_flight"):
        out += ["", f"_{plural(counts['in_flight'], 'number is', 'numbers are')} in flight at Telnyx "
                    "(pending): work in progress, not drift._"]
    out += ["", "| kind | count | what it means |", "| --- | ---: | --- |"]
    meaning = {
        "unapplied": "declared, not yet applied: merge or run apply",
        "out_of_band": "changed at Telnyx outside this repository",
        "unmanaged": "on a declared profile or campaign, but in no file" + (
            "; prune is on, so it counts" if d["prune"] else "; listed only (prune is off)"),
        "in_flight": "pending at Telnyx, or under work the state folder holds open: not drift",
        "stuck": f"in flight longer than {d['stuck_after_hours']:g} h: ask Telnyx support",
        "failed": "Telnyx reports a failed assignment",
        "blocked": "declared but impossible now (see reasons)",
    }
    out += [f"| {k.replace('_', ' ')} | {counts[k]} | {meaning.get(k, '')} |" for k in KINDS]
    budget = [MARKDOWN_LIMIT - sum(len(x) + 1 for x in out) - 2_000]
    summarised = False
    for k in KINDS:
        if d["items"][k]:
            out += ["", f"### {k.replace('_', ' ')}"]
            # Grouped by where the numbers belong, so a row need not repeat two ids.
            groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
            for item in d["items"][k]:
                groups[(item.get("profile_id") or "", item.get("profile_name") or "",
                        item.get("tcr_campaign_id") or "")].append(item)
            for (pid, name, tcr), items in sorted(groups.items()):
                where = _profile(pid, name) + ", " + (f"campaign `{tcr}`" if tcr else "no campaign")
                out += ["", f"{where[0].upper()}{where[1:]}:", ""]
                rows = _md_numbers(items, budget)
                summarised |= len(rows) == 1 and "list omitted" in rows[0]
                out += rows
    note = "_This report was summarised to stay under GitHub's 65,536-character limit; `drift --format json` has every number._"
    if summarised:
        out += ["", note]
    return _md_fit(out, note) + "\n"


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


# --------------------------------------------------------------------------- apply


def _value(x: Any) -> str:
    return x.value if hasattr(x, "value") else str(x)


def apply_dict(report: Any) -> dict[str, Any]:
    by_campaign: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for o in report.outcomes:
        by_campaign[o.tcr_campaign_id or NONE_KEY][_value(o.result)].append(
            {"number": o.number, "profile_id": o.profile_id, **({"detail": o.detail} if o.detail else {})})
    totals: dict[str, int] = defaultdict(int)
    for o in report.outcomes:
        totals[_value(o.result)] += 1
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "apply",
        "exit_code": report.exit_code,
        "until": _value(report.until),
        "rounds": report.rounds,
        "writes": report.writes,
        "timed_out": report.timed_out,
        "totals": dict(sorted(totals.items())),
        "next_phases": [{"write": w.id, "operation": w.op.value, "campaign": w.campaign, "profile": w.profile,
                         "numbers": len(w.numbers)} for w in getattr(report, "deferred", [])],
        "campaigns": {t: {r: v for r, v in sorted(rs.items())} for t, rs in sorted(by_campaign.items())},
    }


# Outcomes listed number by number (the others are counted only).
_LISTED = ("failed", "blocked", "stale", "not_accepted", "next_phase", "in_flight")
FOLLOW = ("`reconciler status` shows their progress; the scheduled `reconciler resume` and `drift` jobs "
          "follow them to the end")


def _apply_followup(d: dict[str, Any]) -> list[str]:
    """What the reader should know or do next, from the totals."""
    t = d["totals"]
    lines = []
    waiting = t.get("in_flight", 0) + t.get("next_phase", 0)
    if waiting:
        lines.append(f"{plural(waiting, 'number is', 'numbers are')} in flight at Telnyx (about {PHASE_HOURS} h "
                     "per phase, sometimes days): " + FOLLOW + ".")
    if t.get("next_phase"):
        one = t["next_phase"] == 1
        lines.append(f"{plural(t['next_phase'], 'number was', 'numbers were')} freed from {'its' if one else 'their'} "
                     f"old campaign first; {'its' if one else 'their'} assignment is this apply's next phase, carried "
                     "out by `reconciler resume` once Telnyx finishes.")
    if t.get("not_accepted"):
        lines.append(f"{plural(t['not_accepted'], 'number', 'numbers')} not accepted: Telnyx had not processed the "
                     "write when apply stopped waiting (exit 5). Nothing failed; the state folder remembers the task, "
                     "so the next run neither repeats nor loses it. Run `reconciler status` later.")
    if t.get("stale"):
        lines.append(f"{plural(t['stale'], 'change was', 'changes were')} skipped as stale: live state changed "
                     "since the plan was made (exit 3). Run `reconciler plan` again and review it.")
    if (t.get("failed") or t.get("blocked")) and d.get("exit_code") == 4:
        lines.append("Failed or blocked numbers need a fix (see each reason); apply exits 4.")
    elif t.get("blocked"):
        lines.append("Blocked removals of undeclared numbers (see each reason) did not happen; the declared "
                     "numbers are not affected.")
    if d["until"] == "submitted":
        lines.append("Submitted without waiting (--no-wait): " + FOLLOW + ".")
    return lines


def _requests(d: dict[str, Any]) -> str:
    return f"{plural(d['writes'], 'write request', 'write requests')}, {plural(d['rounds'], 'round', 'rounds')}"


def _apply_names(report: Any, names: Mapping[str, str] | None) -> Mapping[str, str]:
    """Profile names for an apply report's prose: given, or carried by the report (the CLI's plan has them)."""
    return names if names is not None else getattr(report, "profile_names", None) or {}


def apply_text(report: Any, *, color: bool = False, names: Mapping[str, str] | None = None) -> str:
    d = free_text(apply_dict(report), _cleaner(plain, _apply_names(report, names)))
    lines = [_c("Apply: ", "1", color) + (", ".join(f"{v} {k.replace('_', ' ')}" for k, v in d["totals"].items())
                                         or "nothing to apply")
             + f" ({_requests(d)})"]
    for tcr, results in d["campaigns"].items():
        summary = ", ".join(f"{len(v)} {k.replace('_', ' ')}" for k, v in results.items())
        lines.append(f"  {'No campaign' if tcr == NONE_KEY else 'Campaign ' + tcr}: {summary}")
        for k, v in results.items():
            if k not in _LISTED:
                continue
            for o in v:
                lines.append(f"    {o['number']}  {k.replace('_', ' ')}" + (f": {o['detail']}" if o.get("detail") else ""))
    lines += _apply_followup(d)
    return "\n".join(lines) + "\n"


def apply_markdown(report: Any, names: Mapping[str, str] | None = None) -> str:
    d = free_text(apply_dict(report), _cleaner(md, _apply_names(report, names)))
    out = ["## 10DLC apply", ""]
    totals = d["totals"]
    if not totals:
        out.append("**Nothing to apply.**")
    else:
        bad = sum(v for k, v in totals.items() if k in ("failed", "stale", "blocked"))
        lead = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in totals.items())
        out.append(f"**{lead}** ({_requests(d)})."
                   + (f" ⛔ {plural(bad, 'needs', 'need')} attention." if bad else ""))
    follow = _apply_followup(d)
    if follow:
        out += ["", "> [!NOTE]"] + [f"> {line}" for line in follow]
    keys = sorted({k for r in d["campaigns"].values() for k in r})
    if keys:
        out += ["", "| campaign | " + " | ".join(k.replace("_", " ") for k in keys) + " |",
                "| --- |" + " ---: |" * len(keys)]
        for tcr, results in d["campaigns"].items():
            out.append(f"| {_shown(tcr, 'campaign')} | " + " | ".join(str(len(results.get(k, []))) for k in keys) + " |")
    budget = [MARKDOWN_LIMIT - sum(len(x) + 1 for x in out) - 4_000]
    summarised = False
    for tcr, results in d["campaigns"].items():
        for k, v in results.items():
            if k in _LISTED:
                rows = _md_numbers([{"number": o["number"], "action": k, "reason": o.get("detail")} for o in v],
                                   budget)
                summarised |= len(rows) == 1 and "list omitted" in rows[0]
                out += ["", f"### {_shown(tcr, 'campaign')}: {k.replace('_', ' ')}"] + rows
    note = "_Summarised to stay under GitHub's 65,536-character limit; `apply --format json` and the journal have every number._"
    if summarised:
        out += ["", note]
    return _md_fit(out, note) + "\n"
