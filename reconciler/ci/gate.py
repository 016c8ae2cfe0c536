"""Fail the plan check when apply would refuse the plan, so the pull request shows a red check.

    reconciler ci plan-gate plan.json

Reads the saved plan (`reconciler plan --out plan.json`) through `reconciler.planfile`. Exit 0
when it is safe (with or without changes); exit 3 (the reconciler's "refused") when it is over a
safety limit, naming the limits and the `--allow-...` flag that would accept exactly these changes.
Outputs (GITHUB_OUTPUT): checksum, has_changes, safe.
"""

from __future__ import annotations

import sys

from reconciler.ci.actions import REFUSED, fail, set_output
from reconciler.errors import PlanFileError
from reconciler.planfile import read_summary


def run(plan_file: str) -> None:
    try:
        plan = read_summary(plan_file)
    except PlanFileError as e:
        fail(str(e))
    set_output("checksum", plan.checksum)
    set_output("has_changes", "true" if plan.has_changes else "false")
    set_output("safe", "true" if plan.safe else "false")
    print(f"plan {plan.checksum}: {'changes' if plan.has_changes else 'no changes'}, "
          f"{'safe' if plan.safe else 'UNSAFE'}", file=sys.stderr)
    if not plan.safe:
        fail("the plan is unsafe; apply would refuse it (exit 3):\n  " + "\n  ".join(plan.unsafe), REFUSED)
