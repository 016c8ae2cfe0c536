"""The drift report: every difference classified (`drift.Kind`), in JSON, text and markdown."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from reconciler.diff import Finding, reported_under
from reconciler.drift import KINDS, DriftReport
from reconciler.durations import hours
from reconciler.plan import SCHEMA_VERSION, plural
from reconciler.planfile import change_entry, health_entry

from .budget import Budget
from .common import (by_reason, compact_numbers, describe, elapsed, health_headline, health_sentence, md_fit, md_numbers, naming,
                     paint, profile_phrase, wrapped)
from .safe import free_text, md, plain


def drift_dict(report: DriftReport) -> dict[str, Any]:
    names = report.plan.profile_names

    def where(f: Finding) -> dict[str, Any]:
        pid, tcr = reported_under(f)
        return {"profile_id": pid, **({"profile_name": names[pid]} if pid in names else {}),
                "tcr_campaign_id": tcr}

    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "drift",
        "drifted": report.drifted,
        "prune": report.prune,
        "stuck_after_hours": round(report.stuck_after / 3600, 2),
        # Declared campaigns that cannot carry traffic: drift of their own, before the numbers' classes.
        "unhealthy_campaigns": [health_entry(h) for h in report.unhealthy],
        "counts": report.counts,
        # Of the numbers in flight, those that cannot send now (the headline says them).
        "in_flight_not_sending": report.in_flight_not_sending,
        # How long in-flight work usually takes: the figures status's ETAs and the plan's hours use.
        "durations": {**(report.figures.as_dict() if report.figures else {}),
                      "from": report.figures.words(("assignment", "unassignment")) if report.figures else None},
        "counted_as_drift": [k for k in KINDS if report.counts_as_drift(k)],
        "items": {k: [change_entry(f, names) | where(f)
                      | ({"in_flight_hours": round(report.ages[f.number] / 3600, 1)}
                         if report.ages and f.number in report.ages else {})
                      for f in report.items[k]] for k in KINDS},
    }


def _where(f: dict[str, Any]) -> str:
    return profile_phrase(f["profile_id"], f.get("profile_name")) + ", " + (
        f"campaign {f['tcr_campaign_id']}" if f["tcr_campaign_id"] else "no campaign")


def _age(group: list[dict[str, Any]]) -> str:
    ages = [f["in_flight_hours"] for f in group if "in_flight_hours" in f]
    if not ages:
        return ""
    return f" (in flight for {_span(ages[0])})" if len(group) == 1 else f" (in flight for up to {_span(max(ages))})"


def _span(hours: float) -> str:
    """`12 min`, `1 h 13 min`, as status says it: never `0 min` for work that started moments ago."""
    return elapsed(max(60.0, hours * 3600))


# How a kind is said where its key alone would not say enough.
WORDS = {"pruned": "with no campaign (undeclared, as prune leaves them)"}
# Why a kind that is not drift is not: in flight; unmanaged while prune is off; pruned.
NOT_DRIFT = {"in_flight": "not drift: work in progress", "unmanaged": "listed only: prune is off",
             "pruned": "not drift: undeclared, on a declared profile, with no campaign: nothing for prune to do"}


def _headline_counts(d: dict[str, Any], kinds: Any) -> list[str]:
    """`30 out of band`, `60 in flight (60 not sending)`: in-flight numbers that cannot send are said."""
    out = []
    for k in kinds:
        if not d["counts"][k]:
            continue
        words = f"{d['counts'][k]} {WORDS.get(k, k.replace('_', ' '))}"
        if k == "in_flight" and d.get("in_flight_not_sending"):
            words += f" ({d['in_flight_not_sending']} not sending)"
        out.append(words)
    return out


def _usually(d: dict[str, Any]) -> str | None:
    """`Telnyx usually takes about 2 h to assign a number, about 1 h to free one (Telnyx's typical figures)`."""
    f = d.get("durations") or {}
    if "assignment" not in f:
        return None
    return (f"Telnyx usually takes {hours(f['assignment']['seconds'])} to assign a number, "
            f"{hours(f['unassignment']['seconds'])} to free one ({f['from']}); `reconciler status` gives each "
            f"write's ETA")


def drift_text(report: DriftReport, *, color: bool = False, verbose: bool = False) -> str:
    """Drift first (unhealthy campaigns, then each class). Without `verbose`, what is not drift (in
    flight; unmanaged while prune is off; pruned) is counted per profile and campaign, and numbers sharing a
    reason are said once with the numbers listed compactly."""
    d = free_text(drift_dict(report), naming(plain, report.plan.profile_names))
    unhealthy = d["unhealthy_campaigns"]
    drifting = [k for k in KINDS if k in d["counted_as_drift"]]
    found = ([health_headline(unhealthy)] if unhealthy else []) + _headline_counts(d, drifting)
    # Counted, not drift (in flight; unmanaged while prune is off; pruned): said apart, so a headline of numbers
    # that need nothing is not read as drift.
    besides = _headline_counts(d, [k for k in KINDS if k not in drifting])
    head = "Drift: " + (", ".join(found) or "none") + (f"; not drift: {', '.join(besides)}" if besides else "")
    lines = [paint(head, "1", color)]
    if unhealthy:
        lines.append("")
        lines.append(paint("Unhealthy campaigns (cannot carry traffic):", "31;1", color))
        lines.extend(f"  {health_sentence(h)}" for h in unhealthy)
    # What is drift first, then what is only counted (in flight; unmanaged while prune is off; pruned).
    for k in sorted(KINDS, key=lambda k: k not in d["counted_as_drift"]):
        if not d["items"][k]:
            continue
        lines.append("")
        note = "" if k in d["counted_as_drift"] else f" ({NOT_DRIFT.get(k, 'not drift')})"
        if not verbose and k not in d["counted_as_drift"]:
            note = note.replace("listed only", "counted only")
        title = "No campaign" if k == "pruned" else k.replace("_", " ").capitalize()
        lines.append(paint(title + note + ":", "1", color))
        if k == "in_flight" and _usually(d):
            lines.append(f"  {_usually(d)}")
        if verbose:
            for f in d["items"][k]:
                lines.append(f"  {f['number']}  {_where(f)}: {describe(f)}{_age([f])}")
            continue
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for f in d["items"][k]:
            groups[_where(f)].append(f)
        counted = k not in d["counted_as_drift"]
        if counted:
            lines += _counted_lines(groups)
            continue
        for where, items in groups.items():
            for text, group in by_reason(items):
                if len(group) < 3:
                    lines.extend(f"  {f['number']}  {where}: {text}{_age([f])}" for f in group)
                    continue
                lines.append(f"  {len(group)} numbers on {where}: {text}{_age(group)}")
                lines += wrapped(compact_numbers(f["number"] for f in group), "      ")
    return "\n".join(lines) + "\n"


def _counted_lines(groups: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Not drift: counted per profile and campaign, each reason said once. A reason shared by several
    places heads their lines (an outside review saw one long reason said 11 times, once per profile)."""
    by_text: dict[str, list[tuple[str, list[dict[str, Any]]]]] = defaultdict(list)
    for where, items in groups.items():
        for text, group in by_reason(items):
            by_text[text].append((where, group))
    lines = []
    for text, places in by_text.items():
        if len(places) == 1:
            (where, group), = places
            lines.append(f"  {group[0]['number']}  {where}: {text}{_age(group)}" if len(group) == 1 else
                         f"  {len(group)} numbers on {where}: {text}{_age(group)}")
            continue
        lines.append(f"  {sum(len(g) for _, g in places)} numbers on {len(places)} profiles and campaigns: {text}")
        lines += [f"    {len(g)} on {where}{_age(g)}" for where, g in places]
    return lines


def drift_markdown(report: DriftReport) -> str:
    d = free_text(drift_dict(report), naming(md, report.plan.profile_names))
    counts = d["counts"]
    out = ["## 10DLC drift", ""]
    unhealthy = d["unhealthy_campaigns"]
    if unhealthy:
        # First: numbers that cannot send, whatever their records show (the CI drift issue leads with it).
        out += ["> [!CAUTION]", f"> **{health_headline(unhealthy)}:** "
                "declared campaigns that cannot carry traffic."]
        out += [f"> - {health_sentence(h, lambda t: f'`{t}`')}" for h in unhealthy[:20]]
        if len(unhealthy) > 20:
            out.append(f"> - …and {len(unhealthy) - 20} more in `drift --format json`")
        out.append("")
    if d["drifted"]:
        found = ", ".join(([health_headline(unhealthy)] if unhealthy else []) + [
            f"{counts[k]} {k.replace('_', ' ')}" for k in KINDS if counts[k] and k in d["counted_as_drift"]])
        out.append(f"**Drift found: {found}.**")
    else:
        out.append("**No drift.** " + ("Telnyx matches the desired state, or is working on it (in flight, below)."
                                       if counts.get("in_flight") else "Telnyx matches the desired state."))
    if counts.get("in_flight"):
        off = d.get("in_flight_not_sending") or 0
        out += ["", f"_{plural(counts['in_flight'], 'number is', 'numbers are')} in flight at Telnyx "
                    f"({off} of them not sending now): work in progress, not drift"
                + (f". {_usually(d)}" if _usually(d) else "") + "._"]
    out += ["", "| kind | count | what it means |", "| --- | ---: | --- |"]
    meaning = {
        "unapplied": "declared, not yet applied: merge or run apply",
        "out_of_band": "changed at Telnyx outside this repository",
        "unmanaged": "on a declared profile or campaign, but in no file" + (
            "; prune is on, so it counts while it holds a campaign" if d["prune"] else "; listed only (prune is off)"),
        "in_flight": "pending at Telnyx, or under work the state folder holds open: not drift" + (
            "; a prune's unassignments too" if d["prune"] else ""),
        "stuck": f"in flight longer than {d['stuck_after_hours']:g} h: ask Telnyx support",
        "failed": "Telnyx reports a failed assignment",
        "blocked": "declared but impossible now (see reasons)",
        "pruned": "undeclared, on a declared profile with no campaign: what prune asks for, not drift",
    }
    # The pruned row only where prune is on (without it, such a number is unmanaged).
    out += [f"| {k.replace('_', ' ')} | {counts[k]} | {meaning.get(k, '')} |" for k in KINDS
            if k != "pruned" or d["prune"] or counts[k]]
    budget = Budget.after(out, reserve=2_000)
    for k in sorted(KINDS, key=lambda k: k not in d["counted_as_drift"]):  # drift first, as in the text
        if d["items"][k]:
            out += ["", f"### {k.replace('_', ' ')}"]
            # Grouped by where the numbers belong, so a row need not repeat two ids.
            groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
            for item in d["items"][k]:
                groups[(item.get("profile_id") or "", item.get("profile_name") or "",
                        item.get("tcr_campaign_id") or "")].append(item)
            for (pid, name, tcr), items in sorted(groups.items()):
                where = profile_phrase(pid, name) + ", " + (f"campaign `{tcr}`" if tcr else "no campaign")
                out += ["", f"{where[0].upper()}{where[1:]}:", ""]
                rows = md_numbers(items, budget)
                out += rows
    note = "_This report was summarised to stay under GitHub's 65,536-character limit; `drift --format json` has every number._"
    if budget.summarised:
        out += ["", note]
    return md_fit(out, note) + "\n"
