"""Why a fresh plan differs from the one reviewers saw (apply on merge).

The one module that imports deepdiff: plans are compared change by change,
keyed by number, so the message names the numbers whose change or expected
live state moved since review, instead of two opaque checksums.
"""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff

MAX_LINES = 20


def _by_number(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["number"]: c for c in plan.get("preconditions", [])}


def explain(reviewed: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """Human lines describing how `fresh` differs from `reviewed` (both saved-plan dicts)."""
    a, b = _by_number(reviewed), _by_number(fresh)
    diff = DeepDiff(a, b, threshold_to_diff_deeper=0, verbose_level=2)
    lines: list[str] = []
    for number in sorted(set(a) - set(b)):
        lines.append(f"{number}: reviewed change ({a[number]['action']}) is no longer needed or possible")
    for number in sorted(set(b) - set(a)):
        lines.append(f"{number}: new change ({b[number]['action']}) that reviewers did not see")
    changed = diff.get("values_changed", {})
    for path, change in sorted(changed.items()):
        # path looks like root['+13125550100']['expect']['status']
        parts = [p.strip("'\"") for p in path[len("root["):-1].split("][")]
        lines.append(f"{parts[0]}: {'.'.join(parts[1:])} was {change['old_value']!r}, now {change['new_value']!r}")
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES] + [f"... and {len(lines) - MAX_LINES} more"]
    return lines
