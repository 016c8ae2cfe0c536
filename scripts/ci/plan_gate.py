#!/usr/bin/env python3
"""Fail the plan check when apply would refuse the plan, so the pull request shows a red check.

    python scripts/ci/plan_gate.py plan.json

Reads the saved plan (`reconciler plan --out plan.json`). Exit 0 when it is safe (with or
without changes); exit 3 (the reconciler's "refused") when it is over a safety limit, naming
the limits and the `--allow-...` flag that would accept exactly these changes.
Outputs (GITHUB_OUTPUT): checksum, has_changes, safe.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _github import fail, set_output  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        fail("usage: plan_gate.py PLAN_JSON")
    try:
        plan = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        fail(f"cannot read the saved plan {args[0]}: {e}")
    safe, changes = bool(plan.get("safe")), bool(plan.get("has_changes"))
    set_output("checksum", str(plan.get("checksum", "")))
    set_output("has_changes", "true" if changes else "false")
    set_output("safe", "true" if safe else "false")
    print(f"plan {plan.get('checksum')}: {'changes' if changes else 'no changes'}, {'safe' if safe else 'UNSAFE'}",
          file=sys.stderr)
    if not safe:
        fail("the plan is unsafe; apply would refuse it (exit 3):\n  " + "\n  ".join(plan.get("unsafe", [])), 3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
