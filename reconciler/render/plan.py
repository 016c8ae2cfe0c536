"""The plan report: text (grouped by profile, then campaign, counts first) and markdown (for a pull
request comment, within GitHub's size limit). Its JSON is the plan's own shape (`planfile.plan_dict`)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from reconciler.plan import Plan, plural
from reconciler.plan.messaging import headline, route_lines
from reconciler.plan.report import saved_unsafe
from reconciler.planfile import plan_dict
from reconciler.windows import describe as describe_windows

from . import mermaid
from .budget import MARKDOWN_LIMIT, Budget, size
from .common import (DETAILS_OVER, by_reason, compact_numbers, health_headline, health_sentence, health_stopped,
                     md_fit, md_numbers, naming, paint, shown)
from .plan_profiles import profiles_summarised, profiles_verbose
from .safe import free_text, md, plain

# The command our own words name, a code span in markdown (`md(..., code=...)`; data stays escaped).
OUR_COMMANDS = ("reconciler resume",)
FIGURES_USED = ("task", "assignment", "unassignment")  # what a route's hours are made of
QUIET = ("unmanaged", "in_flight")  # listed after every change, one line per reason
UNHEALTHY_NOTE = "not a change a plan can make; `reconciler drift` reports it (exit 2)"


def _health_label(unhealthy: list[dict[str, Any]]) -> str:
    """"Cannot send" only where some declared number cannot (assigned to an unhealthy campaign); numbers
    that send elsewhere meanwhile are not down (outside review: 2 sending numbers read as down)."""
    return "Cannot send" if health_stopped(unhealthy) else "Campaign health"


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


def _emptied(tcr: str, before: int, after: int, d: dict[str, Any]) -> str:
    """After a campaign's count: that the plan empties it (its warning says more)."""
    if before <= 0 or after > 0:
        return ""
    if any(w.startswith(f"campaign {tcr} ") and "without numbers" in w for w in d["warnings"]):
        return " (left without numbers: see Warnings)"
    return " (left without numbers: Telnyx suspends a campaign after 15 days with none)"


def window_words(plan: Plan) -> str:
    """Would apply be held now (outside every change window, with a plan that stops sending), and until when."""
    windows = plan.desired.policy.change_windows
    v = plan.window
    declared = describe_windows(windows)
    if v is None:
        return f"{declared} (not judged: no clock)"
    if v.open:
        return f"open now ({declared}), until {v.when()}: apply runs now"
    if not plan.messaging.may_stop:
        return (f"outside every window now ({declared}), but this plan stops no sending number: "
                f"apply runs at any time")
    if plan.window_ignored:
        return f"outside every window now ({declared}): applied anyway (--ignore-change-windows)"
    return f"outside every window now ({declared}): apply would be held (exit 3) until {v.when()}"


def _sending(br: dict[str, int], markdown: bool = False) -> str:
    """The blast radius counted as sending: numbers that stop (or may), numbers that start."""
    if not br.get("stop_sending") and not br.get("start_sending"):
        return ""
    if markdown:
        return (f"**{plural(br['stop_sending'], 'sending number', 'sending numbers')} will or may stop**, "
                f"{br['start_sending']} will start sending; ")
    return (f"{plural(br['stop_sending'], 'sending number', 'sending numbers')} to stop (or may), "
            f"{br['start_sending']} to start sending; ")


def _unsafe(unsafe: list[str], saved: bool) -> tuple[list[str], str | None]:
    """The unsafe reasons as shown, and for a saved plan the one advice that works for it (its reasons'
    `re-run with --allow-…` would be refused: no option changes a saved plan)."""
    return saved_unsafe(unsafe) if saved else (unsafe, None)


def plan_text(plan: Plan, *, color: bool = False, verbose: bool = False, saved: bool = False) -> str:
    """Summary first; every change listed. Without `verbose`, blocked numbers are grouped by reason
    (said once, the numbers compactly), and what does not change (in flight, unmanaged, unchanged) is
    counted per profile and campaign, each distinct reason once with its count. `saved`: the plan is
    a saved one being applied (`apply PLAN`), so an unsafe one is told how to be made again."""
    d = free_text(plan_dict(plan), naming(plain, plan.profile_names))
    lines = [paint("Plan: ", "1", color) + _summary_line(d["counts"])]
    # Which numbers cannot send whatever the plan does, first (docs/drift.md: the plan leads with it).
    if d["unhealthy_campaigns"]:
        lines.append(paint(_health_label(d["unhealthy_campaigns"]) + ": ", "31;1", color)
                     + health_headline(d["unhealthy_campaigns"]) + "; " + UNHEALTHY_NOTE)
        lines.extend(f"  - {health_sentence(h)}" for h in d["unhealthy_campaigns"])
    unsafe, advice = _unsafe(d["unsafe"], saved)
    if unsafe:  # said at once (a reader of `| head` must not miss it); every reason at the end
        # "reasons": "(and 1 more)" after a count of numbers read as one more number (outside review).
        more = (f" (and {plural(len(unsafe) - 1, 'more reason', 'more reasons')}, listed at the end)"
                if len(unsafe) > 1 else "")
        lines.append(paint("UNSAFE — apply will refuse (exit 3): ", "31;1", color) + unsafe[0] + more)
    if plan.messaging:
        # What stops and what starts sending, first, in words.
        lines.append(paint("Messaging: ", "1", color) + plain(headline(plan.messaging)))
        lines.extend(f"  - {plain(r)}" for r in route_lines(plan.messaging))
        if plan.figures is not None and plan.messaging.interrupted:
            lines.append(f"  - hours estimated from {plan.figures.words(FIGURES_USED)}")
    if plan.desired.policy.change_windows:
        lines.append(paint("Change windows: ", "1", color) + plain(window_words(plan)))
    if d["safety_overridden"]:  # after what the plan does to sending numbers, before its blast radius
        lines.append(paint("Safety: ", "1", color) + "; ".join(d["safety_overridden"]))
    br = d["blast_radius"]
    if any(br.values()):
        lines.append(f"Blast radius: {_sending(br)}{plural(br['change_campaign'], 'number', 'numbers')} to change campaign, "
                     f"{br['lose_campaign']} to lose {'its' if br['lose_campaign'] == 1 else 'their'} campaign, {br['gain_campaign']} to gain one, "
                     f"{br['change_profile']} to change profile, {br['blocked']} blocked"
                     + (f" ({plan.messaging.may_block} more may be: see Messaging)" if plan.messaging.may_block else ""))
    lines.append(f"Checksum: {d['checksum']}")
    if verbose:
        lines += profiles_verbose(d, color)
    else:
        lines += profiles_summarised(d, plan, color)
    if d["campaign_counts"]:
        lines.append("")
        lines.append("Campaign counts: " + ", ".join(f"{t} {a} → {b}{_emptied(t, a, b, d)}"
                                                      for t, (a, b) in d["campaign_counts"].items()))
    if d["timeline"]:
        lines.append("")
        lines.append(paint("Timeline:", "1", color))
        lines.extend(f"  - {t}" for t in d["timeline"])
    if d["warnings"]:
        lines.append("")
        lines.append(paint("Warnings:", "33;1", color))
        lines.extend(f"  - {w}" for w in d["warnings"])
    if unsafe:
        lines.append("")
        lines.append(paint("UNSAFE — apply will refuse (exit 3):", "31;1", color))
        lines.extend(f"  - {u}" for u in unsafe)
        if advice:
            lines.append(f"  {advice}")
    return "\n".join(lines) + "\n"


def plan_markdown(plan: Plan) -> str:
    d = free_text(plan_dict(plan), naming(md, plan.profile_names))
    br = d["blast_radius"]
    counts = d["counts"]
    artifact = "the full plan is in the JSON plan (`plan --out`, the workflow's artifact)"
    out = ["## 10DLC plan", ""]
    # What stops or starts sending first, then the blast radius, before anything else.
    if plan.messaging:
        out.append(f"**Messaging:** {md(headline(plan.messaging))}.")
        out += [f"- {md(r, code=OUR_COMMANDS)}" for r in route_lines(plan.messaging)]
        if plan.figures is not None and plan.messaging.interrupted:
            out.append(f"- hours estimated from {md(plan.figures.words(FIGURES_USED))}")
        out.append("")
        picture = mermaid.details("Timeline picture", mermaid.plan_gantt(plan.messaging, plan.figures))
        out += picture + ([""] if picture else [])
    if plan.desired.policy.change_windows:
        out += [f"**Change windows:** {md(window_words(plan))}.", ""]
    if not d["has_changes"] and not br["blocked"]:
        out.append("**No changes.** Telnyx's records match the desired state." if d["unhealthy_campaigns"] else
                   "**No changes.** Telnyx matches the desired state.")
    else:
        head = (_sending(br, markdown=True) + f"**{plural(br['change_campaign'], 'number', 'numbers')} will change campaign, "
                f"{br['lose_campaign']} will lose {'its' if br['lose_campaign'] == 1 else 'their'} campaign**, "
                f"{br['gain_campaign']} will gain one, {br['change_profile']} will change profile")
        if br["blocked"]:
            head += f"; **{br['blocked']} blocked**"
        if plan.messaging.may_block:
            head += f"; {plan.messaging.may_block} more may be blocked (see Messaging)"
        out.append(head + ".")
    if d["unhealthy_campaigns"]:
        unhealthy = d["unhealthy_campaigns"]
        out += ["", "> [!CAUTION]" if health_stopped(unhealthy) else "> [!WARNING]",
                f"> **{_health_label(unhealthy)}: {health_headline(unhealthy)}**; {UNHEALTHY_NOTE}."]
        out += [f"> - {health_sentence(h, lambda t: f'`{t}`')}" for h in unhealthy[:20]]
        if len(unhealthy) > 20:
            out.append(f"> - …and {len(unhealthy) - 20} more in the JSON plan")
    if d["unsafe"]:
        out += ["", "> [!CAUTION]", "> **Unsafe plan: apply will refuse it (exit 3).**"]
        out += [f"> - {u}" for u in d["unsafe"][:20]]
        if len(d["unsafe"]) > 20:
            out.append(f"> - …and {len(d['unsafe']) - 20} more in the JSON plan")
    if d["safety_overridden"]:
        out += ["", "> [!IMPORTANT]", "> **Safety limits overridden** (the plan is safe only by this run's allowance):"]
        out += [f"> - {o}" for o in d["safety_overridden"]]
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
            name = (p["name"] or shown(p["id"], "profile")) + ("" if p["declared"] else " _(undeclared)_")
            now = "" if c["numbers_now"] is None else f"{c['numbers_now']} → {c['numbers_after']}"
            flag = " ⛔" if blocked or c["problem"] else ""
            rows.append((len(c["changes"]),
                         f"| {name} | {shown(c['tcr_campaign_id'], 'campaign')}{flag} | "
                         f"{p['strategy'].replace('_', '-')} | {now} | "
                         f"{gain or ''} | {change or ''} | {lose or ''} | {blocked or ''} | {other or ''} |"))
    table_budget = Budget(MARKDOWN_LIMIT // 3)  # the table may take a third; the busiest rows first
    visible = [r for _, r in rows]
    if size(visible) > table_budget.left:
        ranked = sorted(rows, key=lambda r: -r[0])
        visible = []
        for n, r in ranked:
            if size([r]) > table_budget.left:
                break
            visible.append(r)
            table_budget.spend([r])
        rest = ranked[len(visible):]
        visible.append(f"| _…{len(rest)} more rows with {sum(n for n, _ in rest)} changes, in the JSON plan_ "
                     "| | | | | | | | |")
    if visible:  # no header over an empty table when nothing differs
        out += table + visible
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
        out += ["", "**Campaign counts**: " + ", ".join(f"`{t}` {a} → {b}{_emptied(t, a, b, d)}"
                                                        for t, (a, b) in counted[:50]) + more]
    if d["warnings"]:
        warn = [f"- {w}" for w in d["warnings"]]
        if len(warn) > DETAILS_OVER:
            warn = [f"<details><summary>{len(warn)} warnings</summary>", "", *warn[:200], "", "</details>"]
            if len(d["warnings"]) > 200:
                warn.insert(-2, f"- …and {len(d['warnings']) - 200} more in the JSON plan")
        out += ["", "**Warnings**", ""] + warn
    budget = Budget.after(out, reserve=2_000)
    skipped_sections = skipped_changes = 0
    # Every change first (a budget spent on numbers that do not change must never push a change out of
    # the comment), then what does not change, one line per distinct reason, while room is left.
    quiet_rows: list[str] = []
    for p in d["profiles"]:
        for c in p["campaigns"]:
            changes = [f for f in c["changes"] if f["action"] not in QUIET]
            quiet = [f for f in c["changes"] if f["action"] in QUIET]
            where = f"{p['name'] or shown(p['id'], 'profile')} / {shown(c['tcr_campaign_id'], 'campaign')}"
            for text, group in by_reason(quiet):
                quiet_rows.append(f"- {where}: {plural(len(group), 'number', 'numbers')} {text} "
                                  f"({_md_list(compact_numbers(f['number'] for f in group))})")
            if not changes:
                continue
            if budget.left < 400:  # not even room for headings: count what is left
                skipped_sections += 1
                skipped_changes += len(changes)
                continue
            section = ["", f"### {where}"]
            if p["note"]:
                section.append(f"_{p['note']}_")
            if c["problem"]:
                section.append(f"⛔ _{c['problem']}_")
            budget.spend(section)
            out += section + md_numbers(changes, budget, p["note"])
    if quiet_rows and budget.left > 400:
        head = ["", "**Not changed** (in flight, or on a declared profile or campaign but declared nowhere)", ""]
        budget.spend(head)
        rows = quiet_rows if len(quiet_rows) <= DETAILS_OVER else [
            f"<details><summary>{len(quiet_rows)} groups of numbers not changed</summary>", "", *quiet_rows, "",
            "</details>"]
        out += head + budget.fit(rows, f"- {len(quiet_rows)} groups of numbers not changed (in the JSON plan)")
    if skipped_sections:
        budget.summarised = True
        out += ["", f"_…{skipped_sections} more campaign sections with {skipped_changes} changes are not listed._"]
    if budget.summarised:
        out += ["", f"_This plan was summarised to stay under GitHub's 65,536-character comment limit; {artifact}._"]
    out += ["", f"<sub>checksum `{d['checksum']}`</sub>", ""]
    return md_fit(out, f"_Cut to stay under GitHub's comment limit; {artifact}._")


def _md_list(items: list[str], shown_at_most: int = 12) -> str:
    """Numbers (or `first–last (n)` runs) as code spans, bounded; a backtick from data cannot end a span."""
    said = ", ".join(f"`{x.replace('`', chr(39))}`" for x in items[:shown_at_most])
    return said + (f" and {len(items) - shown_at_most} more" if len(items) > shown_at_most else "")
