"""The shipped workflows and hook files are valid for GitHub, actionlint and pre-commit (all offline)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return found


def test_the_four_workflows_ship():
    assert {p.name for p in WORKFLOWS} >= {"validate.yml", "plan.yml", "apply.yml", "drift.yml"}


def test_this_projects_own_ci_runs_the_tests_and_the_bench_smoke():
    """test.yml is this repository's CI (what .ci/run does): on pull requests and pushes to main,
    no secret, no write permission, nothing from the desired-state workflows."""
    text = (ROOT / ".github" / "workflows" / "test.yml").read_text()
    doc = yaml.safe_load(text)
    on = doc[True]
    assert "pull_request" in on and on["push"]["branches"] == ["main"]
    assert doc["permissions"] == {"contents": "read"}
    (job,) = doc["jobs"].values()
    runs = [s["run"] for s in job["steps"] if "run" in s]
    assert runs == ["make test", "make bench-smoke"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert all(r in ci for r in runs)
    assert "secrets." not in text and "TELNYX" not in text


def test_workflows_match_githubs_schema():
    r = subprocess.run([_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                        *map(str, WORKFLOWS)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_actionlint_is_clean():
    # actionlint runs shellcheck on run: blocks too when shellcheck is on PATH.
    r = subprocess.run([_tool("actionlint"), "-no-color", *map(str, WORKFLOWS)], capture_output=True, text=True,
                       timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr


def test_actions_are_on_a_current_runtime():
    pinned = {"actions/checkout": 5, "actions/setup-python": 6, "actions/upload-artifact": 6}
    for wf in WORKFLOWS:
        for job in yaml.safe_load(wf.read_text())["jobs"].values():
            for step in job["steps"]:
                if "uses" in step:
                    action, _, ver = step["uses"].partition("@")
                    assert int(ver.lstrip("v").split(".")[0]) >= pinned.get(action, 0), f"{wf.name}: {step['uses']}"


def test_apply_is_serialised_with_drift_and_behind_an_environment():
    doc = yaml.safe_load((ROOT / ".github" / "workflows" / "apply.yml").read_text())
    assert doc["concurrency"] == {"group": "reconciler-telnyx", "cancel-in-progress": False}
    # The sandbox switch picks its own environment: the production one never runs the sandbox.
    assert doc["jobs"]["apply"]["environment"] == (
        "${{ vars.RECONCILER_SANDBOX_SEED != '' && 'telnyx-sandbox' || 'telnyx-production' }}")
    # Drift shares the group: it never reads Telnyx halfway through an apply.
    drift = yaml.safe_load((ROOT / ".github" / "workflows" / "drift.yml").read_text())
    assert drift["concurrency"] == doc["concurrency"]


def test_jobs_that_touch_telnyx_carry_the_state_folder():
    for name in ("apply.yml", "drift.yml"):
        steps = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())["jobs"]
        (job,) = steps.values()
        runs = [s.get("run", "") for s in job["steps"]]
        uploads = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact")]
        assert any("state_store.py restore" in r for r in runs), name
        assert any(u["with"]["name"] == "reconciler-state" and u["if"] == "${{ !cancelled() }}" for u in uploads), name


def test_every_workflow_has_least_privilege_permissions():
    for wf in WORKFLOWS:
        doc = yaml.safe_load(wf.read_text())
        perms = doc.get("permissions")
        assert isinstance(perms, dict) and perms.get("contents") == "read", wf.name
        assert "write-all" not in str(perms)


def test_pre_commit_hook():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = {h["id"]: h for h in hooks}["reconciler-validate"]
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    assert hook["entry"].split()[:2] == ["reconciler", "validate"]
    import re
    assert re.search(hook["files"], "desired-state/acme.yaml") and not re.search(hook["files"], "README.md")
    r = subprocess.run([str(BIN / "reconciler"), *hook["entry"].split()[1:]], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def _steps(wf: Path) -> list[dict]:
    return [step for job in yaml.safe_load(wf.read_text())["jobs"].values() for step in job.get("steps", [])]


def test_cancelled_runs_post_nothing_and_artifacts_survive_a_re_run():
    """`always()` runs even when the run is cancelled (a cancelled plan would post "The plan failed");
    upload-artifact v4+ refuses a name already used in the run, which a re-run attempt does."""
    for wf in WORKFLOWS:
        assert "always()" not in wf.read_text(), wf.name
        for step in _steps(wf):
            if str(step.get("uses", "")).startswith("actions/upload-artifact"):
                assert step["with"].get("overwrite") is True, f"{wf.name}: {step.get('name')}"


def test_validate_runs_once_per_push():
    """A push to a pull request's branch triggers pull_request; `push` is only for the default branch."""
    doc = yaml.safe_load((ROOT / ".github" / "workflows" / "validate.yml").read_text())
    on = doc[True]
    assert on["push"]["branches"] == ["main"] and "branches" not in on["pull_request"]


def test_the_sandbox_switch_is_refused_where_a_telnyx_key_is_in_reach():
    for name in ("plan.yml", "apply.yml", "drift.yml"):
        (step,) = [s for s in _steps(ROOT / ".github" / "workflows" / name) if s.get("id") == "sandbox"]
        assert step["env"]["HAS_TELNYX_KEY"] == "${{ secrets.TELNYX_API_KEY != '' }}", name
