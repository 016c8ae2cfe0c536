"""`status` and `resume` reports → text, json, markdown: work in flight per write and per campaign."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from reconciler.plan import SCHEMA_VERSION, plural

from .common import md_fit, paint
from .safe import free_text, md, plain

KINDS = {"bulk_assign": "bulk task", "bulk_move": "profile order", "patch_profile": "profile update",
         "assign": "assignment", "replace": "reassignment", "unassign": "removal"}


def _iso(t: float | None) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)) if t is not None else None


def _hours(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    h, m = divmod(int(seconds // 60), 60)
    return f"{h} h {m:02d} min" if h < 48 else f"{h / 24:.1f} d"


def _headline(d: dict[str, Any]) -> str:
    return (f"{plural(d['open_writes'], 'write', 'writes')} open, {d['stuck']} stuck, "
            f"{plural(d['failed_numbers'], 'number', 'numbers')} failed")


def status_dict(report: Any, kind: str = "status") -> dict[str, Any]:
    writes = []
    per_campaign: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for ws in report.writes:
        w, t = ws.write, ws.tracked
        counts = ws.counts
        target = w.campaign or (f"profile {w.profile}" if w.profile else "no profile")
        for k, v in counts.items():
            per_campaign[target][k] += v
        writes.append({
            "write": w.id,
            "operation": w.op.value,
            "what": KINDS.get(w.op.value, w.op.value),
            "state": w.state.value,
            "closed_as": ws.closed_as.value if ws.closed_as else None,
            "telnyx_id": w.ref,
            "telnyx_status": ws.telnyx_status,
            "campaign": w.campaign,
            "profile": w.profile,
            "run": w.run,
            "note": w.note,
            "submitted_at": _iso(w.submitted_at),
            "age_seconds": round(t.age) if t and t.age is not None else None,
            "stuck": bool(t and t.stuck),
            "phase": t.phase.value if t and t.phase else None,
            "phase_reason": t.phase_reason if t else None,
            "numbers": len(w.numbers),
            "counts": counts,
            "failed": {n: t.reasons.get(n, "") for n in (t.numbers if t else {})
                       if t and t.numbers[n].value == "failed"},
        })
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": kind,
        "exit_code": report.exit_code,
        "now": _iso(report.now),
        "stuck_after_hours": round(report.stuck_after / 3600, 2),
        "open_writes": sum(1 for w in writes if not w["closed_as"]),
        "stuck": sum(1 for w in writes if w["stuck"]),
        "failed_numbers": sum(len(w["failed"]) for w in writes),
        "writes": writes,
        "campaigns": {c: dict(sorted(v.items())) for c, v in sorted(per_campaign.items())},
        # Campaigns this work assigns numbers to that cannot carry traffic (drift judges every declared one).
        "unhealthy_campaigns": [{"tcr_campaign_id": h.tcr_campaign_id, "kind": str(h.kind) if h.kind else None,
                                 "campaign_status": h.campaign_status, "sharing_status": h.sharing_status,
                                 "problem": h.problem, "telnyx_reason": h.telnyx_reason,
                                 "numbers": h.numbers_declared, "numbers_assigned": h.numbers_stopped}
                                for h in report.unhealthy],
        "carried_out": [{"write": w.id, "operation": w.op.value, "campaign": w.campaign, "profile": w.profile,
                         "numbers": len(w.numbers), "result": what, "note": w.note}
                        for w, what in report.carried_out],
        "journal_problems": list(report.problems),
    }


def _unhealthy_lines(d: dict[str, Any], code=str) -> list[str]:
    """What the open work cannot fix: its target campaigns that cannot carry traffic."""
    out = []
    for h in d["unhealthy_campaigns"]:
        what = ", ".join(x for x in (h["kind"], h["campaign_status"], h["sharing_status"] and
                                     f"sharing {h['sharing_status']}") if x) or "unknown to Telnyx"
        line = (f"{code(h['tcr_campaign_id'])} ({what}) cannot carry traffic: the {plural(h['numbers'], 'number', 'numbers')}"
                f" this work assigns to it will not send ({h['numbers_assigned']} already assigned) — {h['problem']}")
        if h.get("telnyx_reason"):
            line += f"; Telnyx says: {h['telnyx_reason']}"
        out.append(line)
    return out


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()) or "no numbers"


def status_text(report: Any, *, color: bool = False, kind: str = "status") -> str:
    d = free_text(status_dict(report, kind), plain)
    title = "Resume" if kind == "resume" else "Status"
    if not d["writes"] and not d["carried_out"]:
        return paint(f"{title}: ", "1", color) + "nothing in flight.\n"
    lines = [paint(f"{title}: ", "1", color) + _headline(d)]
    lines.extend(paint("  Cannot send: ", "31;1", color) + u for u in _unhealthy_lines(d))
    for c, counts in d["campaigns"].items():
        lines.append(f"  {c}: {_counts_text(counts)}")
    for w in d["writes"]:
        head = f"{w['what']} {w['telnyx_id'] or w['write']}"
        bits = [f"run {w['run']}"] + [f"{k} {v}" for k, v in w["note"].items()]
        lines.append("")
        lines.append(paint(head, "1", color) + f" → {w['campaign'] or w['profile'] or 'no profile'} ({', '.join(bits)})")
        lines.append(f"  submitted {w['submitted_at']}, {_hours(w['age_seconds'])} ago; state {w['state']}"
                     + (f", Telnyx says {w['telnyx_status']}" if w["telnyx_status"] else "")
                     + (f"; closed now as {w['closed_as']}" if w["closed_as"] else ""))
        lines.append(f"  numbers: {_counts_text(w['counts'])}")
        if w["phase"]:
            lines.append(f"  next phase: {w['phase']}" + (f" ({w['phase_reason']})" if w["phase_reason"] else ""))
        if w["stuck"]:
            lines.append(paint(f"  STUCK: in flight longer than {d['stuck_after_hours']:g} h; ask Telnyx support "
                            f"about {w['telnyx_id'] or 'these numbers'}", "31;1", color))
        for n, why in sorted(w["failed"].items())[:50]:
            lines.append(f"    {n}  failed: {why}")
    for c in d["carried_out"]:
        lines.append(f"phase {c['write']} ({c['operation']} → {c['campaign']}): {c['result']}")
    return "\n".join(lines) + "\n"


def status_markdown(report: Any, kind: str = "status") -> str:
    d = free_text(status_dict(report, kind), md)
    out = [f"## 10DLC {kind}", ""]
    if not d["writes"] and not d["carried_out"]:
        out.append("**Nothing in flight.**")
        return "\n".join(out) + "\n"
    out.append(f"**{_headline(d)}.**")
    unhealthy = _unhealthy_lines(d, lambda t: f"`{t}`")
    if unhealthy:
        out += ["", "> [!CAUTION]", "> **Cannot send:** campaigns this work assigns numbers to cannot carry traffic."]
        out += [f"> - {u}" for u in unhealthy[:20]]
    out += ["", "| what | Telnyx id | target | submitted | age | pending | done | failed | stuck |",
            "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for w in d["writes"]:
        c = w["counts"]
        out.append(f"| {w['what']} | `{w['telnyx_id'] or w['write']}` | `{w['campaign'] or w['profile'] or '-'}` | "
                   f"{w['submitted_at']} | {_hours(w['age_seconds'])} | {c.get('pending', 0) + c.get('unseen', 0)} | "
                   f"{c.get('done', 0)} | {c.get('failed', 0)} | {'⛔ yes' if w['stuck'] else 'no'} |")
    failed = [(n, why) for w in d["writes"] for n, why in sorted(w["failed"].items())]
    if failed:
        out += ["", "### failed", ""] + [f"- `{n}`: {why}" for n, why in failed[:200]]
    return md_fit(out, "_Cut to stay under GitHub's comment limit; `status --format json` has every write._") + "\n"
