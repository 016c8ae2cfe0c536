"""`status` and `resume` reports → text, json, markdown: work in flight per write and per campaign."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from reconciler.plan import SCHEMA_VERSION, plural

from . import mermaid
from .common import by_reason, compact_numbers, elapsed, md_fit, paint, wrapped
from .safe import free_text, md, plain
from .status_counts import iso, number_counts, open_numbers, phase_numbers, time_to_service
from .status_words import (campaign_counts, eta_words, free_words, numbers_words, said_once,
                           work_counts, summed)

# Said where status has nothing to show: it follows this repository's writes, not every number (a campaign
# suspended with no work in flight is drift's to say; outside review: "status said nothing about it").
NOT_ALL = ("Only this repository's writes are followed here; `reconciler drift` checks every declared number and "
           "campaign (a suspended campaign, a share not accepted, a number failed outside this work).")

KINDS = {"bulk_assign": "bulk task", "bulk_move": "profile order", "patch_profile": "profile update",
         "assign": "assignment", "replace": "reassignment", "unassign": "removal"}


def _headline(d: dict[str, Any]) -> str:
    """Numbers first, then writes (a number freed and then assigned is one number, two writes):
    `250 numbers in open work (500 writes): 0 sending, 250 not sending; 0 writes stuck, 3 numbers failed`;
    after a `resume` that sent work, `…in open work, 200 of them sent just now (…`."""
    n = d["open_numbers"]
    if not n["numbers"] and not d["open_writes"]:
        return (f"no work left open; {plural(d['stuck'], 'write', 'writes')} stuck, "
                f"{plural(d['failed_numbers'], 'number', 'numbers')} failed")
    # resume: the writes it has just sent are open work too, and said as such.
    now = f", {d['sent_now']['numbers']} of them sent just now" if d["sent_now"]["numbers"] else ""
    return (f"{plural(n['numbers'], 'number', 'numbers')} in open work{now} ({plural(d['open_writes'], 'write', 'writes')}"
            f"): {n['sending']} sending, {n['not_sending']} not sending; "
            f"{plural(d['stuck'], 'write', 'writes')} stuck, {plural(d['failed_numbers'], 'number', 'numbers')} failed")


def status_dict(report: Any, kind: str = "status") -> dict[str, Any]:
    writes = []
    per_campaign, per_run = number_counts(report)
    service_of, service, kinds = time_to_service(report)
    figures = getattr(report, "figures", None)
    sent = {n for ws in report.writes if getattr(ws, "sent_now", False) for n in ws.write.numbers}
    to_assign = phase_numbers(report)
    for ws in report.writes:
        w, t = ws.write, ws.tracked
        counts = ws.counts
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
            "submitted_at": iso(w.submitted_at),
            "age_seconds": round(t.age) if t and t.age is not None else None,
            "stuck": bool(t and t.stuck),
            "phase": t.phase.value if t and t.phase else None,
            "phase_reason": t.phase_reason if t else None,
            "numbers": len(w.numbers),
            "counts": counts,
            "failed": {n: t.reasons.get(n, "") for n in (t.numbers if t else {})
                       if t and t.numbers[n].value == "failed"},
            "service": service_of[w.id],
            # resume: this run sent it; of a next phase's numbers, those a write this run sent now carries.
            "sent_now": bool(getattr(ws, "sent_now", False)),
            "sent_on": sum(1 for n, s in (t.numbers.items() if t else ()) if n in sent and s.value == "not_taken")
            if w.state.value == "deferred" and ws.closed_as is not None else 0,
        })
    for c, sv in service.items():
        sv["to_assign"] = to_assign.get(c, 0)  # of its numbers, those a next phase has still to assign
    still = [{"number": f.number, "write": f.write.id, "operation": f.write.op.value,
              "what": KINDS.get(f.write.op.value, f.write.op.value), "telnyx_id": f.write.ref,
              "campaign": f.write.campaign, "profile": f.write.profile, "run": f.write.run, "note": f.write.note,
              "live_status": f.live_status, "reason": f.reason, "closed_at": iso(f.write.updated_at),
              "not_sending_since": iso(f.since),
              "not_sending_seconds": round(max(0.0, report.now - f.since)) if f.since is not None else None}
             for f in getattr(report, "left_failed", ())]
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": kind,
        "exit_code": report.exit_code,
        "now": iso(report.now),
        "stuck_after_hours": round(report.stuck_after / 3600, 2),
        "open_writes": sum(1 for w in writes if not w["closed_as"]),
        # Distinct numbers the open writes hold, sending or not now (the two add up to the numbers).
        "open_numbers": open_numbers(report),
        # resume: the writes it sent (next phases carried out, removals sent again), open work from now on.
        "sent_now": {"writes": sum(1 for w in writes if w["sent_now"]), "numbers": len(sent)},
        "stuck": sum(1 for w in writes if w["stuck"]),
        # Distinct numbers: one a task failed and its retry failed again is one number failed; those
        # closed writes left failed and live state still shows not sending (`still_failed`) included.
        "failed_numbers": len({n for w in writes for n in w["failed"]} | {f["number"] for f in still}),
        # Numbers closed writes of ours left failed that live state still shows not sending (FAILED_
        # ASSIGNMENT on the write's campaign, or no assignment), until a write or Telnyx assigns them.
        "still_failed": still,
        "writes": writes,
        "campaigns": per_campaign,
        "runs": per_run,
        # Time to service per campaign the work targets; the ETAs' figures and where they come from.
        "service": service,
        "durations": {**(figures.as_dict() if figures is not None else {}),
                      "eta_from": figures.words(kinds) if figures is not None and kinds else None,
                      "history_problem": getattr(report, "history_problem", None)},
        # Campaigns this work assigns numbers to that cannot carry traffic (drift judges every declared one).
        "unhealthy_campaigns": [{"tcr_campaign_id": h.tcr_campaign_id, "kind": str(h.kind) if h.kind else None,
                                 "campaign_status": h.campaign_status, "sharing_status": h.sharing_status,
                                 "problem": h.problem, "telnyx_reason": h.telnyx_reason,
                                 "numbers": h.numbers_declared, "numbers_assigned": h.numbers_stopped}
                                for h in report.unhealthy],
        "carried_out": [{"write": w.id, "operation": w.op.value, "campaign": w.campaign, "profile": w.profile,
                         "numbers": len(w.numbers), "result": what.said, "note": w.note}
                        for w, what in report.carried_out],
        "journal_problems": list(report.problems),
        "ignored": [{"write": w.id, "operation": w.op.value, "state": w.state.value, "campaign": w.campaign,
                     "profile": w.profile, "numbers": len(w.numbers), "reason": why}
                    for w, why in getattr(report, "ignored", ())],
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


def _still_failed_lines(d: dict[str, Any], code: Any = str, limit: int = 20) -> list[str]:
    """Numbers first: those our closed writes left failed that still cannot send. One line per write
    (where, since when), then one per reason Telnyx gives, with its numbers (compactly, the first 10):
    `→ C1: bulk task 6f0… of run r1, failed …; not sending for 4 h 10 min (since …):` and
    `    +1…, +1… FAILED_ASSIGNMENT: <Telnyx's reason>`."""
    if not d["still_failed"]:
        return []
    n = len({f["number"] for f in d["still_failed"]})
    them = "it" if n == 1 else "them"
    out = [f"{plural(n, 'number', 'numbers')} an earlier write left failed (live state still shows {them} not "
           f"sending; said until a write or Telnyx assigns {them}):"]
    writes: dict[str, dict[tuple[str, str], list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for f in d["still_failed"]:
        writes[f["write"]][(f["live_status"], f["reason"])].append(f)
    for reasons in list(writes.values())[:limit]:
        every = [f for group in reasons.values() for f in group]
        f = max(every, key=lambda x: x["not_sending_seconds"] or 0)
        out.append(f"  → {code(f['campaign'])}: {f['what']} {code(f['telnyx_id'] or f['write'])} of run {f['run']}, "
                   f"closed as failed {f['closed_at'] or '?'}" + (f"; not sending for {elapsed(f['not_sending_seconds'])} "
                                                        f"(since {f['not_sending_since']})" if f["not_sending_since"] else "")
                   + ":")
        for (status, reason), group in reasons.items():
            numbers = compact_numbers(x["number"] for x in group)
            listed = ", ".join(code(x) for x in numbers[:10]) + (" …" if len(numbers) > 10 else "")
            out.append(f"    {listed} {status}" + ("" if reason == status else f": {reason}"))
    if len(writes) > limit:
        out.append(f"  … and {len(writes) - limit} more writes (`--format json` lists every number)")
    return out


def status_text(report: Any, *, color: bool = False, kind: str = "status", verbose: bool = False) -> str:
    """Per campaign first, then grouped by run and campaign: writes of one kind to one target in one
    state are one line with their counts (each distinct phase reason said once). `verbose`: one block
    per write, with Telnyx's id and every failed number."""
    d = free_text(status_dict(report, kind), plain)
    title = "Resume" if kind == "resume" else "Status"
    if not d["writes"] and not d["carried_out"] and not d["still_failed"]:
        return paint(f"{title}: ", "1", color) + f"nothing in flight.\n  {NOT_ALL}\n" + "".join(_problems_text(d))
    lines = [paint(f"{title}: ", "1", color) + _headline(d)]
    still = _still_failed_lines(d)
    lines += [paint("  Cannot send: ", "31;1", color) + still[0]] + ["  " + x for x in still[1:]] if still else []
    lines.extend(paint("  Cannot send: ", "31;1", color) + u for u in _unhealthy_lines(d))
    for c, counts in d["campaigns"].items():
        sv = d["service"].get(c)
        lines.append(f"  {c}: " + numbers_words(campaign_counts(counts, sv), sv))
    if d["durations"].get("eta_from"):
        lines.append(f"  ETAs from {d['durations']['eta_from']}")
    if d["durations"].get("history_problem"):
        lines.append(f"  State folder: {d['durations']['history_problem']}")
    lines += (_writes_verbose if verbose else _writes_grouped)(d, color)
    carried = [f"next phase {c['write']} ({c['operation']} → {c['campaign']}): {c['result']}" for c in d["carried_out"]]
    if verbose or len(carried) <= 5:
        lines += carried
    else:
        # One line per kind, target and result, its numbers summed over the phases it stands for.
        results: dict[tuple[str, str | None], list[str]] = defaultdict(list)
        for c in d["carried_out"]:
            results[(c["operation"], c["campaign"])].append(c["result"])
        lines += [f"{plural(n, 'next phase', 'next phases')} ({op} → {camp}): {res}"
                  for (op, camp), said in results.items() for res, n in summed(said)]
    return "\n".join(lines) + "\n" + "".join(_problems_text(d))


def _writes_verbose(d: dict[str, Any], color: bool) -> list[str]:
    lines: list[str] = []
    for w in d["writes"]:
        head = f"{w['what']} {w['telnyx_id'] or w['write']}"
        bits = [f"run {w['run']}"] + [f"{k} {v}" for k, v in w["note"].items()]
        lines.append("")
        lines.append(paint(head, "1", color) + f" → {w['campaign'] or w['profile'] or 'no profile'} ({', '.join(bits)})")
        lines.append(f"  submitted {w['submitted_at']}, {elapsed(w['age_seconds'])} ago; state {w['state']}"
                     + (f", Telnyx says {w['telnyx_status']}" if w["telnyx_status"] else "")
                     + (f"; closed now as {w['closed_as']}" if w["closed_as"] else "")
                     + ("; sent just now" if w["sent_now"] else ""))
        lines.append("  " + numbers_words(work_counts(w["counts"], w["state"], w["sent_on"]), w["service"]))
        if w["phase"] and w["closed_as"]:
            lines += [f"  closed as {w['closed_as']}: {w['phase_reason']}"] if w["phase_reason"] else []
        elif w["phase"]:
            lines.append(f"  next phase: {w['phase']}" + (f" ({w['phase_reason']})" if w["phase_reason"] else ""))
        if w["stuck"]:
            lines.append(paint(f"  STUCK: in flight longer than {d['stuck_after_hours']:g} h; ask Telnyx support "
                            f"about {w['telnyx_id'] or 'these numbers'}", "31;1", color))
        for n, why in sorted(w["failed"].items()):
            lines.append(f"    {n}  failed: {why}")
    return lines


def _group_service(ws: list[dict[str, Any]]) -> dict[str, Any]:
    """The service facts of writes said on one line: counts added, the longest interruption, the latest ETA."""
    sv = [w["service"] for w in ws]
    out = {k: sum(x[k] for x in sv) for k in ("numbers", "sending", "not_sending", "pending", "failed")}
    since = [x for x in sv if x["interrupted_seconds"] is not None]
    first = max(since, key=lambda x: x["interrupted_seconds"]) if since else None
    out["interrupted_seconds"] = first["interrupted_seconds"] if first else None
    out["interrupted_since"] = first["interrupted_since"] if first else None
    etas = [x for x in sv if x["eta_seconds"] is not None]
    last = max(etas, key=lambda x: x["eta_seconds"]) if etas else None
    out["eta_seconds"] = last["eta_seconds"] if last else None
    out["eta"] = last["eta"] if last else None
    out["late"] = bool(etas) and all(x["late"] for x in etas)
    out["typical_seconds"] = max((x["typical_seconds"] for x in etas if x["typical_seconds"]), default=None)
    out["freeing_for"] = sorted({c for x in sv for c in x.get("freeing_for", ())})
    out["cannot_send"] = next((x["cannot_send"] for x in sv if x.get("cannot_send")), None)
    return out


PLURAL_KINDS = {"bulk task": "bulk tasks", "profile order": "profile orders", "profile update": "profile updates",
                "assignment": "assignments", "reassignment": "reassignments", "removal": "removals"}


def _writes_grouped(d: dict[str, Any], color: bool) -> list[str]:
    """One block per run; in it, one line per (kind, target, state, phase) with the writes' counts."""
    runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for w in d["writes"]:
        runs[w["run"]].append(w)
    lines: list[str] = []
    for run, writes in runs.items():
        first = min((w["submitted_at"] for w in writes if w["submitted_at"]), default=None)
        age = max((w["age_seconds"] for w in writes if w["age_seconds"] is not None), default=None)
        notes = sorted({f"{k} {v}" for w in writes for k, v in w["note"].items()})
        lines.append("")
        lines.append(paint(f"Run {run}", "1", color) + (f" ({', '.join(notes)})" if notes else "")
                     + (f": submitted {first}, {elapsed(age)} ago" if first else ""))
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
        for w in writes:
            # Removals that free numbers for a move apart from those that do not (a prune): their ETAs differ.
            groups[(w["what"], w["campaign"] or w["profile"] or "no profile", w["state"], w["phase"],
                    w["closed_as"], w["telnyx_status"], w["stuck"], bool(w["service"]["freeing_for"]),
                    w["sent_now"])].append(w)
        for (what, target, state, phase, closed, telnyx, stuck, _, sent_now), ws in groups.items():
            counts: dict[str, int] = defaultdict(int)
            for w in ws:
                for k, v in w["counts"].items():
                    counts[k] += v
            name = (f"{what} {ws[0]['telnyx_id'] or ws[0]['write']}" if len(ws) == 1
                    else f"{len(ws)} {PLURAL_KINDS.get(what, what)}")
            state_words = f"state {state}" + (f", Telnyx says {telnyx}" if telnyx else "") + (
                f"; closed now as {closed}" if closed else "") + ("; sent just now" if sent_now else "")
            if phase:
                why = said_once([w["phase_reason"] for w in ws if w["phase_reason"]])
                # A phase this run closed is no longer next: why it closed follows "closed now as".
                state_words += (f": {why}" if why else "") if closed else f"; next phase {phase}" + (
                    f": {why}" if why else "")
            sent_on = sum(w["sent_on"] for w in ws)
            lines.append(f"  {name} → {target}: {numbers_words(work_counts(dict(sorted(counts.items())), state, sent_on), _group_service(ws))}; "
                         f"{state_words}")
            if stuck:
                ids = [w["telnyx_id"] for w in ws if w["telnyx_id"]]
                lines.append(paint(f"    STUCK: in flight longer than {d['stuck_after_hours']:g} h; ask Telnyx support "
                                   f"about {', '.join(ids[:5]) + (' …' if len(ids) > 5 else '') if ids else 'these numbers'}",
                                   "31;1", color))
            failed = [{"number": n, "why": why} for w in ws for n, why in w["failed"].items()]
            for text, group in by_reason(failed, lambda f: f"failed: {f['why']}"):
                if len(group) < 3:
                    lines.extend(f"    {f['number']}  {text}" for f in sorted(group, key=lambda f: f["number"]))
                    continue
                lines.append(f"    {len(group)} numbers {text}")
                lines += wrapped(compact_numbers(f["number"] for f in group), "      ")
    return lines


def _problems_text(d: dict[str, Any]) -> list[str]:
    """What the state folder holds that the files do not declare, and the lines it could not read."""
    out = []
    if d["ignored"]:
        out.append(f"\nIgnored ({plural(len(d['ignored']), 'write', 'writes')} the files do not declare; their numbers "
                   f"are held back while Telnyx may be working on them, never written):\n")
        same: dict[tuple[str, str, str, str], list[str]] = defaultdict(list)  # one line per kind, target and reason
        for i in d["ignored"]:
            same[(KINDS.get(i['operation'], i['operation']), i['campaign'] or i['profile'] or 'no profile',
                  i['state'], i['reason'])].append(i['write'])
        for (kind, target, state, reason), ids in same.items():
            who = f"{kind} {ids[0]}" if len(ids) == 1 else f"{len(ids)} × {kind} ({', '.join(ids[:3])}{' …' if len(ids) > 3 else ''})"
            out.append(f"  {who} → {target} ({state}): {reason}\n")
    if d["journal_problems"]:
        out.append(f"\nState folder: {plural(len(d['journal_problems']), 'line', 'lines')} skipped or not believed:\n")
        out.extend(f"  {p}\n" for p in d["journal_problems"][:20])
        if len(d["journal_problems"]) > 20:
            out.append(f"  … and {len(d['journal_problems']) - 20} more (`--format json` lists every one)\n")
    return out


def status_markdown(report: Any, kind: str = "status") -> str:
    d = free_text(status_dict(report, kind), md)
    out = [f"## 10DLC {kind}", ""]
    if not d["writes"] and not d["carried_out"] and not d["still_failed"]:
        out += ["**Nothing in flight.**", "", NOT_ALL]
        out += _problems_markdown(d)
        return "\n".join(out) + "\n"
    out.append(f"**{_headline(d)}.**")
    still = _still_failed_lines(d, lambda t: f"`{t}`")
    if still:  # a write's line, then its reasons' lines nested under it
        out += ["", "> [!CAUTION]", f"> **Cannot send:** {still[0]}"] + [
            f">{'   ' if x.startswith('    ') else ' '}- {x.strip().removeprefix('→ ')}" for x in still[1:]]
    unhealthy = _unhealthy_lines(d, lambda t: f"`{t}`")
    if unhealthy:
        out += ["", "> [!CAUTION]", "> **Cannot send:** campaigns this work assigns numbers to cannot carry traffic."]
        out += [f"> - {u}" for u in unhealthy[:20]]
    if d["service"]:
        out += ["", "**Time to service**" + (f" (ETAs from {d['durations']['eta_from']})"
                                             if d["durations"].get("eta_from") else "") + ":", "",
                "| campaign | numbers | sending | not sending | work pending | work failed | not sending for | ETA |",
                "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
        out += [f"| `{c}` | {sv['numbers']} | {sv['sending']} | {sv['not_sending']} | {sv['pending']} | {sv['failed']} | "
                f"{elapsed(sv['interrupted_seconds']) if sv['interrupted_seconds'] is not None else '-'} | "
                f"{_eta_md(sv)}{_freeing_md(sv)} |" for c, sv in list(d["service"].items())[:100]]
        picture = mermaid.details("Time to service picture", mermaid.status_gantt(d["service"]))
        out += [""] + picture if picture else []
    if d["durations"].get("history_problem"):
        out += ["", f"_State folder: {d['durations']['history_problem']}._"]
    # Numbers (sending + not sending), then the work's own states of the same numbers, labelled.
    if d["writes"]:  # none: only numbers earlier writes left failed (said above)
        out += ["", "| what | Telnyx id | target | submitted | age | numbers | sending | not sending | work pending | "
                    "work done | work failed | ETA | stuck |",
                "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for w in d["writes"][:500]:
        c, sv = w["counts"], w["service"]
        out.append(f"| {w['what']} | `{w['telnyx_id'] or w['write']}` | `{w['campaign'] or w['profile'] or '-'}` | "
                   f"{w['submitted_at']} | {elapsed(w['age_seconds'])} | {sv['numbers']} | {sv['sending']} | "
                   f"{sv['not_sending']} | {c.get('pending', 0) + c.get('unseen', 0)} | {c.get('done', 0)} | "
                   f"{c.get('failed', 0)} | {_eta_md(sv)} | {'⛔ yes' if w['stuck'] else 'no'} |")
    if len(d["writes"]) > 500:
        out.append(f"| _…{len(d['writes']) - 500} more writes in `status --format json`_ | | | | | | | | | | | | |")
    failed = [(n, why) for w in d["writes"] for n, why in sorted(w["failed"].items())]
    if failed:
        out += ["", "### failed", ""] + [f"- `{n}`: {why}" for n, why in failed[:200]]
    out += _problems_markdown(d)
    return md_fit(out, "_Cut to stay under GitHub's comment limit; `status --format json` has every write._") + "\n"


def _eta_md(sv: dict[str, Any]) -> str:
    if sv.get("cannot_send"):
        return "none: the campaign cannot carry traffic"
    if sv["eta_seconds"] is None:
        return "-"
    if sv.get("freeing_for"):  # a removal for a move: when its numbers are free, not when they send
        return free_words(sv)
    return eta_words(sv).removeprefix("ETA ")


def _freeing_md(sv: dict[str, Any]) -> str:
    """After a campaign's ETA: its numbers a removal is still freeing from another campaign."""
    return "".join(f"; {f['numbers']} still being freed from `{source}`" + (f", {free_words(f)}" if f["eta"] else "")
                   for source, f in (sv.get("freeing") or {}).items())


def _problems_markdown(d: dict[str, Any]) -> list[str]:
    out: list[str] = []
    if d["ignored"]:
        out += ["", "### ignored (the files do not declare it: held back, never written)", ""]
        out += [f"- {KINDS.get(i['operation'], i['operation'])} `{i['write']}` → "
                f"`{i['campaign'] or i['profile'] or '-'}`: {i['reason']}" for i in d["ignored"][:100]]
    if d["journal_problems"]:
        out += ["", f"### state folder: {plural(len(d['journal_problems']), 'line', 'lines')} skipped or not believed", ""]
        out += [f"- {p}" for p in d["journal_problems"][:20]]
    return out
