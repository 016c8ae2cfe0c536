"""Fail the plan check when apply would refuse the plan, so the pull request shows a red check.

    reconciler ci plan-gate plan.json

Reads the saved plan (`reconciler plan --out plan.json`) through `reconciler.planfile`. Exit 0
when it is safe (with or without changes); exit 3 (the reconciler's "refused") when it is over a
safety limit, naming the limits and what accepts them here: CI applies exactly the reviewed plan and
takes no `--allow-...` option, so the reasons lose their "re-run with --allow-..." hint and one line
says to raise the limit in the files' `policy:` (reviewed in the same pull request) or split the change.
Outputs (GITHUB_OUTPUT): checksum, has_changes, safe.
"""

from __future__ import annotations

import sys

from reconciler.ci.actions import REFUSED, fail, set_output
from reconciler.errors import PlanFileError
from reconciler.plan.report import saved_unsafe
from reconciler.planfile import read_summary

# What accepts an unsafe plan in CI, where no option reaches the plan (outside review: the reasons'
# "re-run with --allow-reassign N" led nowhere in a pull request).
IN_CI = ("CI applies exactly the reviewed plan: to accept these changes, raise the limit they are over in the "
         "files' `policy:` (max_reassign, max_unassign, their _percent forms, max_reprovision) in this pull "
         "request, where it is reviewed with them, or split the change into smaller pull requests")


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
        reasons, _local = saved_unsafe(plan.unsafe)
        fail("the plan is unsafe; apply would refuse it (exit 3):\n  " + "\n  ".join(reasons) + f"\n{IN_CI}", REFUSED)
