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
ACTIONS = sorted((ROOT / ".github" / "actions").glob("*/action.y*ml"))
CALLERS = ("validate.yml", "plan.yml", "apply.yml", "drift.yml")
REUSABLE = {name: ROOT / ".github" / "workflows" / f"reconciler-{name}" for name in CALLERS}
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return found


def test_the_four_workflows_ship_as_callers_of_the_reusable_ones():
    """validate, plan, apply, drift: each calls its reusable workflow (workflow_call), the same caller
    `reconciler init` writes for another repository, here with local references."""
    from reconciler.ci.init import LOCAL, render

    assert {p.name for p in WORKFLOWS} >= set(CALLERS) | {p.name for p in REUSABLE.values()}
    for name, reusable in REUSABLE.items():
        assert "workflow_call" in yaml.safe_load(reusable.read_text())[True], reusable.name
        ours = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
        assert ours == yaml.safe_load(render(name, LOCAL)), f"{name} differs from what `reconciler init` writes"
        (job,) = ours["jobs"].values()
        assert job["uses"] == f"./.github/workflows/{reusable.name}" and "steps" not in job


def test_this_projects_own_ci_runs_the_tests_and_the_bench_smoke():
    """test.yml is this repository's CI (what .ci/run does): on pull requests and pushes to main,
    no secret, no write permission, nothing from the desired-state workflows; the tests `make test`
    leaves out (marked slow) and the fault report run in a job of their own (`make faults`)."""
    text = (ROOT / ".github" / "workflows" / "test.yml").read_text()
    doc = yaml.safe_load(text)
    on = doc[True]
    assert "pull_request" in on and on["push"]["branches"] == ["main"]
    assert doc["permissions"] == {"contents": "read"}
    runs = {name: [s["run"] for s in job["steps"] if "run" in s] for name, job in doc["jobs"].items()}
    assert runs == {"test": ["make test", "make bench-smoke"], "faults": ["make faults"]}
    ci = (ROOT / ".ci" / "run").read_text()
    assert all(r in ci for r in runs["test"])
    make = (ROOT / "Makefile").read_text()
    assert '-m "not slow"' in make and "-m slow" in make  # between them, every test runs
    assert "secrets." not in text and "TELNYX" not in text


def test_mutation_testing_runs_weekly_on_a_clean_checkout_and_uploads_its_report():
    """mutate.yml: `make mutate` (too slow for every pull request) every week and on demand, no secret, no
    write permission; the report `make mutate` writes is uploaded also when a module is under the bar."""
    text = (ROOT / ".github" / "workflows" / "mutate.yml").read_text()
    doc = yaml.safe_load(text)
    on = doc[True]
    assert set(on) == {"schedule", "workflow_dispatch"} and len(on["schedule"]) == 1
    assert on["schedule"][0]["cron"].split()[2:] == ["*", "*", "1"]  # Mondays
    assert doc["permissions"] == {"contents": "read"}
    (job,) = doc["jobs"].values()
    assert [s["run"] for s in job["steps"] if "run" in s] == ["make mutate"]
    upload = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    make = (ROOT / "Makefile").read_text()
    recipe = make[make.index("\nmutate: "):].split("\n\n")[0]
    assert f"--markdown {upload['with']['path']}" in recipe and upload["if"] == "success() || failure()"
    assert "secrets." not in text and "TELNYX" not in text


def test_workflows_and_actions_match_githubs_schema():
    assert ACTIONS, "the composite action ships"
    for schema, files in (("vendor.github-workflows", WORKFLOWS), ("vendor.github-actions", ACTIONS)):
        r = subprocess.run([_tool("check-jsonschema"), "--builtin-schema", schema, *map(str, files)],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr


def test_actionlint_is_clean():
    # actionlint runs shellcheck on run: blocks too when shellcheck is on PATH; it follows the local
    # reusable workflows (inputs, secrets, outputs) from their callers.
    r = subprocess.run([_tool("actionlint"), "-no-color", *map(str, WORKFLOWS)], capture_output=True, text=True,
                       timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr


# `uses: owner/repo[/path]@<40-hex commit> # vX.Y.Z`: a tag or branch can be moved to other code;
# a commit cannot. The comment is what a reader (and Dependabot) sees as the version.
PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<action>[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+)@(?P<sha>[0-9a-f]{40})"
                    r"\s+#\s*v(?P<major>\d+)\.\d+\.\d+\s*$")
USES = re.compile(r"^\s*(?:-\s+)?uses:", re.M)
# This repository's own reusable workflows and composite action, at the same commit as the caller.
LOCAL_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*\./\S+\s*$")


def _uses_lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if USES.match(line) and not LOCAL_USES.match(line)]


def test_every_action_is_pinned_to_a_commit_with_its_version_in_a_comment():
    docs = ROOT / "docs" / "ci.md"
    lines = [(p.name, line) for p in [*WORKFLOWS, *ACTIONS, docs] for line in _uses_lines(p)]
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
    current = {"actions/checkout": 5, "actions/setup-python": 6, "actions/upload-artifact": 6,
               "actions/create-github-app-token": 3}
    for wf in [*WORKFLOWS, *ACTIONS]:
        for line in _uses_lines(wf):
            m = PINNED.match(line)
            assert m and int(m["major"]) >= current.get(m["action"], 0), f"{wf.name}: {line.strip()}"
    # Every workflow uses the same commit of an action: one version to review and update.
    pins = {(m["action"], m["sha"]) for wf in [*WORKFLOWS, *ACTIONS] for line in _uses_lines(wf)
            if (m := PINNED.match(line))}
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
    assert doc["concurrency"] == {"group": "reconciler-telnyx", "cancel-in-progress": False, "queue": "max"}
    # Drift shares the group: it never reads Telnyx halfway through an apply.
    drift = yaml.safe_load((ROOT / ".github" / "workflows" / "drift.yml").read_text())
    assert drift["concurrency"] == doc["concurrency"]
    # The sandbox switch picks its own environment: the protected ones never run the sandbox.
    for name, default in (("apply.yml", "telnyx-production"), ("plan.yml", "telnyx-read"), ("drift.yml", "telnyx-read")):
        reusable = yaml.safe_load(REUSABLE[name].read_text())
        assert reusable[True]["workflow_call"]["inputs"]["environment"]["default"] == default
        envs = {j.get("environment") for j in reusable["jobs"].values()} - {None}
        assert envs == {"${{ inputs.sandbox-seed != '' && 'telnyx-sandbox' || inputs.environment }}"}, name


def test_the_key_is_only_in_jobs_with_an_environment_that_run_the_default_branchs_code():
    """The gate (docs/ci.md): TELNYX_API_KEY is read only in jobs with an environment (restricted to the
    default branch); the plan runs on workflow_run (the default branch's workflow and code), never on a
    pull request's own event; nothing runs on pull_request_target."""
    for wf in WORKFLOWS:
        text = wf.read_text()
        assert "pull_request_target" not in text, wf.name
        for job in yaml.safe_load(text)["jobs"].values():
            if "secrets.TELNYX_API_KEY" in yaml.safe_dump(job.get("steps", [])):
                assert job.get("environment"), f"{wf.name}: the key outside an environment"
    plan = yaml.safe_load((ROOT / ".github" / "workflows" / "plan.yml").read_text())
    assert set(plan[True]) == {"workflow_run", "workflow_dispatch"}
    assert plan[True]["workflow_run"] == {"workflows": ["validate"], "types": ["completed"]}
    # The pull request's files are checked out as data, into estate/, never where a step runs from.
    steps = yaml.safe_load(REUSABLE["plan.yml"].read_text())["jobs"]["plan"]["steps"]
    (pr_checkout,) = [s for s in steps if "head_sha" in str(s.get("with", {}).get("ref", ""))]
    assert pr_checkout["with"]["path"] == "estate"
    assert not any(s.get("working-directory", "").startswith("estate") for s in steps)
    # A manual apply runs only on the default branch (the review job refuses, the environment too).
    assert "apply-decision" in REUSABLE["apply.yml"].read_text()


def _concurrency(doc: dict) -> list[dict]:
    """Every concurrency setting of a workflow (its own, and each job's), as dicts."""
    found = [doc.get("concurrency")] + [j.get("concurrency") for j in doc["jobs"].values()]
    return [c if isinstance(c, dict) else {"group": c} for c in found if c]


@pytest.mark.parametrize("where", ["this repository", "init's output"])
def test_no_apply_is_dropped_and_nothing_displaces_a_pending_apply(where, tmp_path):
    """GitHub keeps one pending run per group and cancels it when another joins, unless `queue: max`
    (up to 100, in order). Every workflow in the Telnyx group queues (apply, and drift, which would
    otherwise displace a pending apply); none cancels in progress; no workflow joins the group by a
    job-level setting that could differ; and every workflow holding the key is in the group, except
    the read-only plan (its own group per pull request)."""
    if where == "init's output":
        from reconciler.ci.init import files, upstream

        texts = {p.rsplit("/", 1)[-1]: t for p, t in files(upstream("a/b", "0" * 40)).items()
                 if p.startswith(".github/workflows/")}
    else:
        texts = {p.name: p.read_text() for p in WORKFLOWS}
    members = {}
    for name, text in texts.items():
        doc = yaml.safe_load(text)
        for c in _concurrency(doc):
            if c["group"] == "reconciler-telnyx":
                members[name] = c
    assert set(members) == {"apply.yml", "drift.yml"}, members
    for name, c in members.items():
        assert c == {"group": "reconciler-telnyx", "cancel-in-progress": False, "queue": "max"}, name
        assert yaml.safe_load(texts[name]).get("concurrency") == c, f"{name}: set at the workflow, not per job"


def test_jobs_that_touch_telnyx_carry_the_state_folder():
    for name in ("apply.yml", "drift.yml"):
        jobs = yaml.safe_load(REUSABLE[name].read_text())["jobs"]
        job = jobs.get("apply") or jobs["drift"]
        uploads = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact")]
        (restore,) = [s for s in job["steps"] if "reconciler ci state-store restore" in s.get("run", "")]
        # The default branch comes from GitHub's API (a schedule's event names none), never from the event.
        assert "--branch" not in restore["run"] and restore["id"] == "restore", name
        assert '--workflow "$APPLY_WORKFLOW" --workflow "$DRIFT_WORKFLOW"' in restore["run"], name
        (save,) = [u for u in uploads if u["with"]["name"] == "reconciler-state"]
        # Saved when the run is cancelled too, but only once the restore succeeded (else the last state is lost).
        assert save["if"] == "${{ always() && steps.restore.outcome == 'success' }}", name
        assert save["with"]["if-no-files-found"] == "error", name
    for wf in WORKFLOWS:
        assert "event.repository.default_branch" not in wf.read_text(), wf.name


PIP_INSTALL = re.compile(r"\bpip\s+install\b[^\n]*")


def _pip_installs(text: str) -> list[str]:
    return PIP_INSTALL.findall(text)


def test_ci_installs_only_hash_locked_dependencies():
    """What the jobs that hold the key install: ci/requirements.txt with every file's hash
    (--require-hashes), then the reconciler's own checkout with --no-deps --no-build-isolation, so pip
    resolves and downloads nothing unhashed. (test.yml runs `make test`, which holds no key.)"""
    installs = [(p.name, line) for p in [*WORKFLOWS, *ACTIONS] for line in _pip_installs(p.read_text())]
    assert len(installs) >= 2
    for name, line in installs:
        assert "--require-hashes" in line or ("--no-deps" in line and "--no-build-isolation" in line), (name, line)
    assert any("--require-hashes" in line and "ci/requirements.txt" in line for _, line in installs)


def test_the_check_for_unhashed_installs_catches_them():
    for line in ("python -m pip install .", 'pip install "$RECONCILER_PACKAGE"', "pip install -r ci/requirements.txt",
                 "pip install --no-deps ."):
        (found,) = _pip_installs(line)
        assert not ("--require-hashes" in found or ("--no-deps" in found and "--no-build-isolation" in found))


def _locked(name: str) -> dict[str, str]:
    """A pip-compile lock's pins by normalised name; fails unless every requirement line is `==` with hashes."""
    lock = (ROOT / "ci" / name).read_text()
    entries = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)((?:\s*\\\n\s*--hash=sha256:[0-9a-f]{64})+)", lock, re.M)
    requirement_lines = [line for line in lock.splitlines() if line and not line.startswith((" ", "#"))]
    assert len(requirement_lines) == len(entries), f"ci/{name}: every requirement is pinned with == and its hashes"
    assert "#    make lock" in lock, f"ci/{name}: the header Dependabot re-runs names `make lock`"
    return {n.lower().replace("_", "-"): version for n, version, _ in entries}


def _names(requirements: list[str]) -> set[str]:
    return {re.match(r"[A-Za-z0-9_.-]+", r).group(0).lower().replace("_", "-") for r in requirements}


@pytest.mark.parametrize("lock", ["requirements.txt", "test.txt"])
def test_the_lock_files_pin_every_dependency_with_hashes(lock):
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = set(_locked(lock))
    wanted = _names(project["dependencies"]) | {"setuptools", "build"}  # the build tools: --no-build-isolation
    if lock == "test.txt":
        wanted |= _names(project["optional-dependencies"]["test"])
    assert not wanted - names, f"{sorted(wanted - names)} missing from ci/{lock}: re-run `make lock`"


def test_make_test_installs_the_runtime_lock_at_its_versions():
    """ci/test.txt is compiled on top of requirements.txt (-c), so the tests run what CI's key-holding
    jobs install, not a newer resolution."""
    runtime, test = _locked("requirements.txt"), _locked("test.txt")
    assert {name: test.get(name) for name in runtime} == runtime


def test_the_lock_inputs_are_what_pyproject_declares():
    """Dependabot reads `x.in` -> `x.txt` pairs, so the locks' inputs are .in files; they are written
    from pyproject.toml (scripts/lock_inputs.py), and an edit to one without the other fails here."""
    import tomllib

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import lock_inputs
    finally:
        sys.path.pop(0)
    expected = lock_inputs.inputs(tomllib.loads((ROOT / "pyproject.toml").read_text()))
    for name, text in expected.items():
        assert (ROOT / "ci" / name).read_text() == text, f"ci/{name} is stale: run `make lock`"


def test_make_test_installs_nothing_unhashed():
    """The project's own test job (test.yml runs `make test`): the venv gets ci/test.txt with every
    file's hash checked, then the checkout itself without resolving anything."""
    makefile = (ROOT / "Makefile").read_text()
    stamp = makefile[makefile.index("$(STAMP): "):]
    recipe = stamp[: stamp.index("\n\n")]
    installs = _pip_installs(recipe)
    assert len(installs) == 2, recipe
    assert "--require-hashes" in installs[0] and "ci/test.txt" in installs[0]
    assert "--no-deps" in installs[1] and "--no-build-isolation" in installs[1]


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
    """`always()` runs even when the run is cancelled (a cancelled plan would post "The plan failed"): only
    the state folder's save uses it; upload-artifact v4+ refuses a name already used in the run, which a
    re-run attempt does."""
    for wf in WORKFLOWS:
        for step in _steps(wf):
            if "always()" in str(step.get("if", "")):
                assert step.get("name", "").startswith("Save the state folder"), f"{wf.name}: {step.get('name')}"
        for step in _steps(wf):
            if str(step.get("uses", "")).startswith("actions/upload-artifact"):
                assert step["with"].get("overwrite") is True, f"{wf.name}: {step.get('name')}"


def test_validate_runs_once_per_push():
    """A push to a pull request's branch triggers pull_request; `push` is only for the default branch."""
    doc = yaml.safe_load((ROOT / ".github" / "workflows" / "validate.yml").read_text())
    on = doc[True]
    assert on["push"]["branches"] == ["main"] and "branches" not in (on["pull_request"] or {})
    # Every pull request: its success starts the gated plan, whose status branch protection requires.
    assert on["pull_request"] is None


def test_the_sandbox_switch_is_refused_where_a_telnyx_key_is_in_reach():
    for name in ("plan.yml", "apply.yml", "drift.yml"):
        (step,) = [s for s in _steps(REUSABLE[name]) if s.get("id") == "sandbox"]
        assert step["env"]["HAS_TELNYX_KEY"] == "${{ secrets.TELNYX_API_KEY != '' }}", name


# zizmor (offline) findings that docs/ci.md ("zizmor and actionlint") justifies, by audit and file.
ZIZMOR_JUSTIFIED = {
    ("dangerous-triggers", "plan.yml"),  # workflow_run is the gated plan's design: default branch's code, PR as data
    ("self-repository", None),  # `./.reconciler-src/...` is the reconciler's checkout, not this repository
}


def _zizmor(path: Path) -> list[tuple[str, str]]:
    import json

    r = subprocess.run([_tool("zizmor"), "--offline", "--no-progress", "--format", "json", str(path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode in (0, 10, 11, 12, 13, 14), r.stderr  # 1x: findings of some severity
    findings = json.loads(r.stdout or "[]")
    out = []
    for f in findings:
        if f.get("ignored"):
            continue
        loc = f["locations"][0]["symbolic"]["key"]
        file = Path(str((loc.get("Local") or {}).get("verbatim_path") or loc)).name
        out.append((f["ident"], file))
    return out


@pytest.mark.parametrize("where", ["this repository", "init's output"])
def test_zizmor_finds_nothing_unjustified(where, tmp_path):
    if where == "init's output":
        from reconciler.ci.init import files, upstream

        for rel, text in files(upstream("a/b", "1b10c78c7865c340bc4f6099eb2f838309f1e8c3")).items():
            if rel.startswith(".github/"):
                (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
                (tmp_path / rel).write_text(text)
        target = tmp_path / ".github"
        actionlint = subprocess.run([_tool("actionlint"), "-no-color", *map(str, target.glob("workflows/*.yml"))],
                                    capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert actionlint.returncode == 0, actionlint.stdout + actionlint.stderr
    else:
        target = ROOT / ".github"
    unjustified = [(rule, file) for rule, file in _zizmor(target)
                   if (rule, file) not in ZIZMOR_JUSTIFIED and (rule, None) not in ZIZMOR_JUSTIFIED]
    assert not unjustified, unjustified


def test_the_reusable_workflows_install_the_commit_they_were_called_at():
    """The ref is written once (the caller's `uses: …@<commit>`): every checkout of the reconciler in a
    reusable workflow defaults to job.workflow_repository / job.workflow_sha, the repository and commit
    GitHub resolved that `uses:` to; an explicit input (callers written by 0.1.0) still wins."""
    checkouts = 0
    for wf in WORKFLOWS:
        doc = yaml.safe_load(wf.read_text())
        if "workflow_call" not in (doc.get(True) or doc.get("on") or {}):
            continue
        inputs = (doc.get(True) or doc.get("on"))["workflow_call"]["inputs"]
        assert inputs["reconciler-ref"].get("required") is not True, wf.name
        for job in doc["jobs"].values():
            for step in job.get("steps", []):
                with_ = step.get("with") or {}
                if with_.get("path") == ".reconciler-src":
                    checkouts += 1
                    assert with_["repository"] == "${{ inputs.reconciler-repository || job.workflow_repository }}"
                    assert with_["ref"] == "${{ inputs.reconciler-ref || job.workflow_sha }}"
    assert checkouts >= 4
    for caller in ("validate", "plan", "apply", "drift"):
        text = (ROOT / ".github" / "workflows" / f"{caller}.yml").read_text()
        assert "reconciler-ref" not in text and "reconciler-repository" not in text, caller
