"""The apply report: one outcome per number, grouped by campaign, with what to do next."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Mapping

from reconciler.plan import SCHEMA_VERSION, plural
from reconciler.model import PENDING_UNASSIGNMENT
from reconciler.planfile import NONE_KEY
from reconciler import durations

from .budget import Budget
from .common import by_reason, compact_numbers, md_fit, md_numbers, naming, paint, shown, value_of, wrapped
from .safe import free_text, md, plain


def apply_dict(report: Any) -> dict[str, Any]:
    by_campaign: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for o in report.outcomes:
        by_campaign[o.tcr_campaign_id or NONE_KEY][value_of(o.result)].append(
            {"number": o.number, "profile_id": o.profile_id, **({"detail": o.detail} if o.detail else {})})
    totals: dict[str, int] = defaultdict(int)
    for o in report.outcomes:
        totals[value_of(o.result)] += 1
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "apply",
        "exit_code": report.exit_code,
        "until": value_of(report.until),
        "rounds": report.rounds,
        "writes": report.writes,
        "timed_out": report.timed_out,
        "totals": dict(sorted(totals.items())),
        "next_phases": [{"write": w.id, "operation": w.op.value, "campaign": w.campaign, "profile": w.profile,
                         "numbers": len(w.numbers)} for w in getattr(report, "deferred", [])],
        "campaigns": {t: {r: v for r, v in sorted(rs.items())} for t, rs in sorted(by_campaign.items())},
        # Numbers no change names that its bulk tasks re-sent (mode bulk_same): PENDING_ASSIGNMENT again.
        "resent_pending": getattr(report, "resent_pending", 0),
    }


# Outcomes listed number by number (the others are counted only).
_LISTED = ("failed", "blocked", "stale", "not_accepted", "next_phase", "in_flight")


FOLLOW = ("`reconciler status` shows their progress; the scheduled `reconciler resume` and `drift` jobs "
          "follow them to the end")


def _unassigning(report: Any) -> int:
    """Numbers in flight that Telnyx is unassigning (a prune's removals, numbers being freed), by the status
    their outcome carries."""
    return sum(1 for o in report.outcomes if value_of(o.result) == "in_flight" and o.status == PENDING_UNASSIGNMENT)


def _apply_followup(d: dict[str, Any], freeing: int = 0) -> list[str]:
    """What the reader should know or do next, from the totals (`freeing`: of the numbers in flight, those
    PENDING_UNASSIGNMENT)."""
    t = d["totals"]
    lines = []
    waiting = t.get("in_flight", 0) + t.get("next_phase", 0)
    code = d.get("exit_code")
    if waiting:
        # The durations table the plan's timeline and messaging estimate use: freeing and assigning differ,
        # and a pruned number is PENDING_UNASSIGNMENT, not an assignment.
        parts = []
        if waiting > freeing:
            parts.append((f"{waiting - freeing} " if freeing else "")
                         + f"PENDING_ASSIGNMENT {durations.hours(durations.ASSIGNMENT)}" + (
                f", after PENDING_UNASSIGNMENT {durations.hours(durations.UNASSIGNMENT)} for those freed first"
                if t.get("next_phase") else ""))
        if freeing:
            parts.append((f"{freeing} " if waiting > freeing else "")
                         + f"PENDING_UNASSIGNMENT {durations.hours(durations.UNASSIGNMENT)} (being unassigned)")
        took = "; ".join(parts)
        # The two totals the first line counts apart, added up here: said, so the sum reads as theirs.
        split = (f", {t.get('in_flight', 0)} in flight and {t['next_phase']} next phase"
                 if t.get("in_flight") and t.get("next_phase") else "")
        lines.append(f"{plural(waiting, 'number waits', 'numbers wait')} on Telnyx{split}: {took}, sometimes days; "
                     + FOLLOW + ".")
    if d.get("resent_pending"):
        lines.append(f"{plural(d['resent_pending'], 'number', 'numbers')} re-sent by the bulk task "
                     f"{'is' if d['resent_pending'] == 1 else 'are'} PENDING_ASSIGNMENT again (not sending "
                     f"{durations.hours(durations.ASSIGNMENT)}): already on the campaign, Telnyx provisions "
                     f"{'it' if d['resent_pending'] == 1 else 'them'} again; " + FOLLOW + ".")
    if t.get("next_phase"):
        one = t["next_phase"] == 1
        lines.append(f"{plural(t['next_phase'], 'number was', 'numbers were')} freed from {'its' if one else 'their'} "
                     f"old campaign first; {'its' if one else 'their'} assignment is this apply's next phase, carried "
                     "out by `reconciler resume` once Telnyx finishes.")
    if t.get("not_accepted"):
        lines.append(f"{plural(t['not_accepted'], 'number', 'numbers')} not accepted: Telnyx had not processed the "
                     f"write when apply stopped waiting{' (exit 5)' if code == 5 else ''}. Nothing failed; the state folder remembers the task, "
                     "so the next run neither repeats nor loses it. Run `reconciler status` later.")
    if t.get("stale"):
        lines.append(f"{plural(t['stale'], 'change was', 'changes were')} skipped as stale: live state changed "
                     f"since the plan was made{' (exit 3)' if code == 3 else ''}. Run `reconciler plan` again and "
                     "review it.")
    if (t.get("failed") or t.get("blocked")) and code == 4:
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


# Outcomes that need nobody's action yet: counted per reason unless --verbose.
_COUNTED = ("next_phase", "in_flight")


def apply_text(report: Any, *, color: bool = False, names: Mapping[str, str] | None = None,
               verbose: bool = False) -> str:
    """Totals first, then per campaign. Without `verbose`, numbers in flight or waiting for their next
    phase are counted per reason, and failed, blocked, stale or not accepted numbers that share a
    reason are said once with the numbers listed compactly."""
    d = free_text(apply_dict(report), naming(plain, _apply_names(report, names)))
    lines = [paint("Apply: ", "1", color) + (", ".join(f"{v} {k.replace('_', ' ')}" for k, v in d["totals"].items())
                                         or "nothing to apply")
             + f" ({_requests(d)})"]
    for tcr, results in d["campaigns"].items():
        summary = ", ".join(f"{len(v)} {k.replace('_', ' ')}" for k, v in results.items())
        lines.append(f"  {'No campaign' if tcr == NONE_KEY else 'Campaign ' + tcr}: {summary}")
        for k, v in results.items():
            if k not in _LISTED:
                continue
            word = k.replace("_", " ")
            if verbose:
                for o in v:
                    lines.append(f"    {o['number']}  {word}" + (f": {o['detail']}" if o.get("detail") else ""))
                continue
            for text, group in by_reason(v, lambda o: word + (f": {o['detail']}" if o.get("detail") else "")):
                if len(group) < 3:
                    lines.extend(f"    {o['number']}  {text}" for o in group)
                    continue
                lines.append(f"    {len(group)} numbers {text}")
                if k not in _COUNTED:
                    lines += wrapped(compact_numbers(o["number"] for o in group), "      ")
    lines += _apply_followup(d, _unassigning(report))
    return "\n".join(lines) + "\n"


def apply_markdown(report: Any, names: Mapping[str, str] | None = None) -> str:
    d = free_text(apply_dict(report), naming(md, _apply_names(report, names)))
    out = ["## 10DLC apply", ""]
    totals = d["totals"]
    if not totals:
        out.append("**Nothing to apply.**")
    else:
        bad = sum(v for k, v in totals.items() if k in ("failed", "stale", "blocked"))
        lead = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in totals.items())
        out.append(f"**{lead}** ({_requests(d)})."
                   + (f" ⛔ {plural(bad, 'needs', 'need')} attention." if bad else ""))
    follow = _apply_followup(d, _unassigning(report))
    if follow:
        out += ["", "> [!NOTE]"] + [f"> {line}" for line in follow]
    keys = sorted({k for r in d["campaigns"].values() for k in r})
    if keys:
        out += ["", "| campaign | " + " | ".join(k.replace("_", " ") for k in keys) + " |",
                "| --- |" + " ---: |" * len(keys)]
        for tcr, results in d["campaigns"].items():
            out.append(f"| {shown(tcr, 'campaign')} | " + " | ".join(str(len(results.get(k, []))) for k in keys) + " |")
    budget = Budget.after(out, reserve=4_000)
    for tcr, results in d["campaigns"].items():
        for k, v in results.items():
            if k in _LISTED:
                rows = md_numbers([{"number": o["number"], "action": k, "reason": o.get("detail")} for o in v],
                                   budget)
                out += ["", f"### {shown(tcr, 'campaign')}: {k.replace('_', ' ')}"] + rows
    note = "_Summarised to stay under GitHub's 65,536-character limit; `apply --format json` and the journal have every number._"
    if budget.summarised:
        out += ["", note]
    return md_fit(out, note) + "\n"
