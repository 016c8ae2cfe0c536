"""A strict grammar of the Mermaid subset the reports emit (reconciler/render/mermaid.py): a diagram
that does not parse here, or whose labels hold anything outside the safe alphabet, is a bug. Used by
tests/test_mermaid.py and by the hostile-input list (tests/faults/hostile_cases.py)."""

from __future__ import annotations

import re

LABEL = r"[A-Za-z0-9+._()/-](?:[A-Za-z0-9 +._()/-]{0,200}[A-Za-z0-9+._()/-])?"
GANTT_HEAD = [re.compile(r"gantt"), re.compile(rf"    title {LABEL}"),
              re.compile(r"    dateFormat YYYY-MM-DD HH:mm"), re.compile(r"    axisFormat %H:%M")]
SECTION = re.compile(rf"    section {LABEL}")
TASK = re.compile(rf"    {LABEL} :(?:(?:crit|active|done), )?[a-z][a-z0-9]*, "
                  r"(?:20[0-9][0-9]-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]|after [a-z][a-z0-9]*), [1-9][0-9]*m")


def diagrams(markdown: str) -> list[list[str]]:
    """Every ```mermaid block's lines (between the fences)."""
    out, cur = [], None
    for line in markdown.split("\n"):
        if cur is None and line == "```mermaid":
            cur = []
        elif cur is not None and line == "```":
            out.append(cur)
            cur = None
        elif cur is not None:
            cur.append(line)
    assert cur is None, "an unclosed mermaid block"
    return out


def problems(lines: list[str]) -> list[str]:
    """What in one diagram falls outside the grammar ([] when it parses)."""
    bad = []
    if len(lines) < len(GANTT_HEAD) + 2:
        return [f"too short: {lines!r}"]
    for rule, line in zip(GANTT_HEAD, lines):
        if not rule.fullmatch(line):
            bad.append(f"head: {line!r}")
    ids: set[str] = set()
    in_section = False
    for line in lines[len(GANTT_HEAD):]:
        if SECTION.fullmatch(line):
            in_section = True
        elif TASK.fullmatch(line) and in_section:
            tid = line.split(" :", 1)[1].split(", ")[-3].split(" ")[-1]
            after = re.search(r"after ([a-z0-9]+),", line)
            if after and after.group(1) not in ids:
                bad.append(f"after an unknown task: {line!r}")
            if tid in ids:
                bad.append(f"task id twice: {line!r}")
            ids.add(tid)
        else:
            bad.append(f"not a section or task: {line!r}")
    return bad
