"""Why a fresh plan differs from the one reviewers saw (apply on merge).

The one module that imports deepdiff: plans are compared change by change, keyed by number, so
the message names the numbers whose change or expected live state moved since review, instead of
two opaque checksums. It works on the plans themselves (the saved file is planfile's business).
"""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff

from reconciler.plan import Plan, change_dict

MAX_LINES = 20


def _by_number(plan: Plan) -> dict[str, dict[str, Any]]:
    return {c.number: change_dict(c) for c in plan.changes if c.writes}


def explain(reviewed: Plan, fresh: Plan) -> list[str]:
    """Human lines describing how `fresh` differs from `reviewed`, one per moved field of a change."""
    a, b = _by_number(reviewed), _by_number(fresh)
    lines: list[str] = []
    for number in sorted(set(a) - set(b)):
        lines.append(f"{number}: reviewed change ({a[number]['action']}) is no longer needed or possible")
    for number in sorted(set(b) - set(a)):
        lines.append(f"{number}: new change ({b[number]['action']}) that reviewers did not see")
    tree = DeepDiff(a, b, threshold_to_diff_deeper=0, view="tree")
    moved = [(item.path(output_format="list"), item.t1, item.t2)
             for kind in ("values_changed", "type_changes") for item in tree.get(kind, ())]
    for path, old, new in sorted(moved, key=lambda m: [str(p) for p in m[0]]):
        number, *field = path
        lines.append(f"{number}: {'.'.join(map(str, field))} was {old!r}, now {new!r}")
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES] + [f"... and {len(lines) - MAX_LINES} more"]
    return lines
