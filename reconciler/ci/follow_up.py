"""Tell each merged pull request how its work in flight is doing: edits its apply comment.

    reconciler ci follow-up --report resume.json

`reconciler resume --format json` (the scheduled job) judges every write the state folder holds
open and says which ended in this run. Each write carries the pull request it came from (`apply
--note pr=N`). For each such pull request this script rewrites one section at the end of its
apply comment (`reconciler ci comment --kind apply`): "60/60 assigned after 2 h 10 min",
what failed with Telnyx's reasons, what is stuck, what is still pending. The section is replaced
in place on every run, so the comment always shows the latest state and nobody is notified twice.

Outputs (GITHUB_OUTPUT): updated (the pull request numbers, comma-separated).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from reconciler.ci.actions import say, set_output
from reconciler.ci.github import GitHub
from reconciler.ci.marked import fit, marked_comments, marker, our_login
from reconciler.render import mermaid

SECTION = "<!-- telnyx-10dlc-reconciler:follow-up -->"
VERB = {"bulk_assign": "assigned", "assign": "assigned", "replace": "assigned", "unassign": "removed",
        "bulk_move": "moved", "patch_profile": "moved"}


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "an unknown time"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    h, m = divmod(minutes, 60)
    return f"{h} h {m:02d} min" if h < 48 else f"{h / 24:.1f} days"


def _code(text: str) -> str:
    """Data from Telnyx or the journal as an inline code span that cannot break out of it."""
    clean = " ".join(str(text).replace("`", "'").split())[:300]
    return f"`{clean}`"


def lines_for(w: dict, stuck_after_hours: float, eta_from: str | None = None) -> list[str]:
    c = w.get("counts") or {}
    total = int(w.get("numbers") or 0)
    done = int(c.get("done", 0))
    verb = VERB.get(w.get("operation", ""), "done")
    target = _code(w.get("campaign") or w.get("profile") or "no profile")
    what = f"{w.get('what', 'write')} {_code(w.get('telnyx_id') or w.get('write'))} → {target}"
    age = duration(w.get("age_seconds"))
    out = []
    if w.get("closed_as") == "done":
        out.append(f"- ✅ {what}: **{done}/{total} {verb} after {age}**")
    elif w.get("closed_as") == "failed" or w.get("failed"):
        out.append(f"- ⛔ {what}: {done}/{total} {verb}, **{len(w.get('failed') or {})} failed** after {age}")
        for number, why in sorted((w.get("failed") or {}).items())[:20]:
            out.append(f"  - {_code(number)}: {_code(why)}")
    elif w.get("stuck"):
        out.append(f"- ⚠️ {what}: **stuck**, {done}/{total} {verb} after {age} (over {stuck_after_hours:g} h); "
                   "ask Telnyx support about it")
    elif w.get("phase"):
        out.append(f"- ⏳ {what}: next phase {w['phase']}, {age} so far")
    else:
        pending = int(c.get("pending", 0)) + int(c.get("unseen", 0))
        out.append(f"- ⏳ {what}: {done}/{total} {verb}, {pending} pending at Telnyx, {age} so far")
    service = _service(w.get("service"), eta_from)
    if service and not w.get("closed_as"):
        out.append(f"  - {service}")
    return out


def _service(sv: object, eta_from: str | None) -> str:
    """Time to service, from the report's per-write `service`: sending now, for how long the others
    have not, and when it should be over (and from which figures)."""
    if not isinstance(sv, dict):
        return ""
    try:
        words = f"{int(sv.get('sending') or 0)} sending, {int(sv.get('not_sending') or 0)} not sending"
        if sv.get("interrupted_seconds") is not None:
            words += f" for {duration(float(sv['interrupted_seconds']))}"
        eta = sv.get("eta_seconds")
        late = sv.get("late") if "late" in sv else eta is not None and float(eta) <= 0
        if eta is not None and late:
            typical = sv.get("typical_seconds")
            words += ("; later than usual (" + (f"typical {duration(float(typical))}; " if typical else "")
                      + "Telnyx sometimes takes days)")
        elif eta is not None:
            words += (f"; should be over in about {duration(float(eta))} ({_code(sv.get('eta'))}"
                      + (f", from {eta_from}" if eta_from else "") + ")")
        freeing_for = sv.get("freeing_for")
        if freeing_for and isinstance(freeing_for, list):
            # A removal for a move: over is when its numbers are free, not when they send again.
            words += f"; then assigned to {', '.join(_code(c) for c in freeing_for)}, which sends them"
    except (TypeError, ValueError):
        return ""
    return words


def section(writes: list[dict], report: dict) -> str:
    body = [SECTION, "", f"### Work in flight (checked {report.get('now') or 'now'})", ""]
    for w in writes:
        durations = report.get("durations") if isinstance(report.get("durations"), dict) else {}
        eta_from = durations.get("eta_from") if isinstance(durations.get("eta_from"), str) else None
        body += lines_for(w, float(report.get("stuck_after_hours") or 72), eta_from)
    for c in report.get("carried_out") or []:
        if str((c.get("note") or {}).get("pr", "")) in {str((w.get("note") or {}).get("pr")) for w in writes}:
            body.append(f"- ↪ next phase ({_code(c.get('operation'))} → {_code(c.get('campaign') or '')}): "
                        f"{_code(c.get('result'))}")
    # The same, drawn: per open write of this pull request, how long its numbers have not sent and until when.
    service = {f"{w.get('campaign') or w.get('profile') or 'no profile'} {w.get('telnyx_id') or w.get('write')}":
               w["service"] for w in writes if isinstance(w.get("service"), dict) and not w.get("closed_as")}
    try:
        picture = mermaid.details("Time to service picture", mermaid.status_gantt(service))
    except (TypeError, ValueError):  # a report we did not write: the text above says it all
        picture = []
    body += [""] + picture if picture else []
    return "\n".join(body) + "\n"


def run(report_file: str) -> None:
    try:
        report = json.loads(Path(report_file).read_text(encoding="utf-8"))
        if not isinstance(report, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as e:
        say(f"notice: no resume report to follow up ({e})")
        set_output("updated", "")
        return
    by_pr: dict[int, list[dict]] = {}
    for w in report.get("writes") or []:
        pr = str((w.get("note") or {}).get("pr") or "")
        if pr.isdigit() and len(pr) < 10:
            by_pr.setdefault(int(pr), []).append(w)
    updated = []
    gh = GitHub()
    mark = marker("apply")
    login = our_login(gh)
    for pr, writes in sorted(by_pr.items()):
        comments = marked_comments(gh, pr, mark, login)
        if not comments:
            continue
        c = comments[-1]
        base = c["body"].split(SECTION, 1)[0].rstrip("\n")
        gh.request("PATCH", f"/repos/{{repo}}/issues/comments/{c['id']}",
                   {"body": fit(base + "\n\n" + section(writes, report))})
        updated.append(str(pr))
        print(f"followed up on #{pr}", file=sys.stderr)
    set_output("updated", ",".join(updated))
