"""The shipped workflows and hook files are valid for GitHub, actionlint and pre-commit (all offline)."""

from __future__ import annotations

import re
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


# `uses: owner/repo[/path]@<40-hex commit> # vX.Y.Z`: a tag or branch can be moved to other code;
# a commit cannot. The comment is what a reader (and Dependabot) sees as the version.
PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<action>[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+)@(?P<sha>[0-9a-f]{40})"
                    r"\s+#\s*v(?P<major>\d+)\.\d+\.\d+\s*$")
USES = re.compile(r"^\s*(?:-\s+)?uses:", re.M)


def _uses_lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if USES.match(line)]


def test_every_action_is_pinned_to_a_commit_with_its_version_in_a_comment():
    docs = ROOT / "docs" / "ci.md"
    lines = [(p.name, line) for p in [*WORKFLOWS, docs] for line in _uses_lines(p)]
    assert len(lines) >= 10
    floating = [(name, line.strip()) for name, line in lines if not PINNED.match(line)]
    assert not floating, f"floating action references (pin to a commit SHA, version in a comment): {floating}"


def test_the_pin_check_catches_floating_references():
    for line in ("- uses: actions/checkout@v5", "  uses: actions/checkout@main",
                 "- uses: actions/checkout@fbc6f39 # v5.1.0", "- uses: actions/checkout@" + "a" * 40,
                 "- uses: docker://alpine:3", "- uses: ./local-action"):
        assert not PINNED.match(line), line
    assert PINNED.match("      - uses: actions/checkout@" + "0" * 40 + " # v5.1.0")


def test_actions_are_on_a_current_runtime():
    current = {"actions/checkout": 5, "actions/setup-python": 6, "actions/upload-artifact": 6}
    for wf in WORKFLOWS:
        for line in _uses_lines(wf):
            m = PINNED.match(line)
            assert m and int(m["major"]) >= current.get(m["action"], 0), f"{wf.name}: {line.strip()}"
    # Every workflow uses the same commit of an action: one version to review and update.
    pins = {(m["action"], m["sha"]) for wf in WORKFLOWS for line in _uses_lines(wf) if (m := PINNED.match(line))}
    assert len(pins) == len({a for a, _ in pins}), sorted(pins)


def test_dependabot_keeps_the_pins_and_the_python_dependencies_current():
    path = ROOT / ".github" / "dependabot.yml"
    doc = yaml.safe_load(path.read_text())
    assert {u["package-ecosystem"] for u in doc["updates"]} >= {"github-actions", "pip"}
    r = subprocess.run([_tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot", str(path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


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
