"""`reconciler doctor`'s report: a table (question, this account's answer, the sandbox mode that
matches, what the reconciler does), what only a write could show, and the key's access; text or JSON
from one data shape (`doctor_dict`). Telnyx's words in answers (keys, codes) are escaped (`safe`)."""

from __future__ import annotations

import textwrap
from typing import Any

from reconciler.live.doctor import DoctorReport

from .common import to_json
from .safe import plain

COLUMNS = (("question", 26), ("this account", 34), ("sandbox mode", 24), ("the reconciler", 40))


def doctor_dict(report: DoctorReport, saved: str | None = None) -> dict[str, Any]:
    def answer(a: Any) -> dict[str, Any]:
        return {"key": a.key, "question": a.question, "answer": plain(a.answer), "settled": a.settled,
                "sandbox_mode": None if a.mode is None else {"name": a.mode, "values": list(a.values)},
                "reconciler": a.action}

    return {
        "schema_version": 1,
        "kind": "doctor",
        "requests": report.requests,
        "writes": 0,
        "answers": [answer(a) for a in report.answers],
        "write_only": [answer(a) for a in report.write_only],
        "access": [{"operation": x.operation, "status": x.status, "verdict": x.verdict} for x in report.access],
        "learned": report.learned(),
        "saved": saved,
    }


def _row(cells: list[str]) -> list[str]:
    wrapped = [textwrap.wrap(c, w) or [""] for c, (_, w) in zip(cells, COLUMNS)]
    lines = []
    for i in range(max(len(w) for w in wrapped)):
        parts = [(w[i] if i < len(w) else "").ljust(width) for w, (_, width) in zip(wrapped, COLUMNS)]
        lines.append("  ".join(parts).rstrip())
    return lines


def doctor_text(report: DoctorReport, saved: str | None = None) -> str:
    settled = sum(1 for a in report.answers if a.settled)
    out = [f"Doctor: {settled} of {len(report.answers)} questions settled by reading "
           f"({report.requests} requests, nothing written)", ""]
    out += _row([name for name, _ in COLUMNS])
    out += _row(["-" * w for _, w in COLUMNS])
    for a in report.answers:
        out += _row([a.question, plain(a.answer), a.matches, a.action])
    out += ["", "Only a write could show (the reconciler copes with every value):"]
    width = max(len(a.mode or "") for a in report.write_only)
    for a in report.write_only:
        out.append(f"  {(a.mode or '').ljust(width)}  {a.question}: {a.action}")
    out += ["", "This key's access:"]
    width = max(len(x.operation) for x in report.access)
    for x in report.access:
        out.append(f"  {x.operation.ljust(width)}  {x.verdict}")
    learned = report.learned()
    if saved:
        out += ["", f"Saved {len(learned)} learned answers to {saved}"]
    return "\n".join(out) + "\n"


def doctor_json(report: DoctorReport, saved: str | None = None) -> str:
    return to_json(doctor_dict(report, saved))
