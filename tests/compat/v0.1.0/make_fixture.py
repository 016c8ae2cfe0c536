"""Writes this folder's fixture with the code of the previous release (commit 450c74f, what 0.1.0
was; it was never tagged), so that tests/compat/test_state_folder.py reads a state folder and a
saved plan exactly as that code wrote them. Run it with that code first on the path, never with
the current one:

    git archive 450c74f | tar -x -C /tmp/reconciler-0.1.0
    PYTHONPATH=/tmp/reconciler-0.1.0 python -P tests/compat/v0.1.0/make_fixture.py tests/compat/v0.1.0

It applies the example estate (desired-state/, examples/sandbox-seed.yaml) to the sandbox of that
code with its clock frozen and assignments taking 2 h, so the apply ends with work in flight: a
bulk task accepted, a removal accepted, a deferred assignment waiting for Telnyx to free a number.
It keeps `.reconciler/journal.jsonl` as written, the saved plan the apply was reviewed from
(`plan --out`), and the sandbox's state at that moment (`GET /_admin/state`).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

import reconciler
from reconciler.cli import cli
from reconciler.sandbox import start_sandbox

REPO = Path(__file__).resolve().parents[3]


def main(out: Path) -> None:
    assert reconciler.__version__ == "0.1.0", f"run with the previous release's code, not {reconciler.__version__}"
    assert not Path(reconciler.__file__).resolve().is_relative_to(REPO), "the current checkout is on the path"
    out.mkdir(parents=True, exist_ok=True)
    with start_sandbox(seed=REPO / "examples" / "sandbox-seed.yaml", time_scale=0, assignment_delay=7200,
                       task_delay=0, order_delay=0) as sb, tempfile.TemporaryDirectory() as work:
        shutil.copytree(REPO / "desired-state", Path(work) / "desired-state")
        env = {"TELNYX_API_KEY": "sandbox-key", "TELNYX_API_BASE_URL": sb.base_url, "NO_COLOR": "1"}
        cwd = os.getcwd()
        os.chdir(work)
        try:
            runner = CliRunner()
            plan = runner.invoke(cli, ["plan", "--out", "saved-plan.json", "--format", "json"], env=env)
            assert plan.exit_code == 0, plan.output
            applied = runner.invoke(cli, ["apply", "saved-plan.json", "--timeout", "20", "--format", "json"],
                                    env=env)
            assert applied.exit_code == 0, applied.output
        finally:
            os.chdir(cwd)
        import httpx

        state = httpx.get(sb.admin_url + "/state", timeout=10).json()
        shutil.copy(Path(work) / ".reconciler" / "journal.jsonl", out / "journal.jsonl")
        shutil.copy(Path(work) / "saved-plan.json", out / "saved-plan.json")
    (out / "live-state.json").write_text(json.dumps(state, indent=2, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent)
