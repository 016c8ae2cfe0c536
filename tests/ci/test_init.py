"""`reconciler init`: an empty repository becomes a desired-state repository whose workflows call the
versioned reusable ones, and its loop runs end to end (the issue's "done when")."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from reconciler.cli import cli

from .conftest import DESIRED, SEED, assert_no_secret
from .test_static import _tool
from .test_workflows import H1, MAIN, MERGE, everything, meta_of, validated

SOURCE, REF = "acme-oss/telnyx-10dlc-reconciler", "v9.9.9"
WRITTEN = [".github/workflows/validate.yml", ".github/workflows/plan.yml", ".github/workflows/apply.yml",
           ".github/workflows/drift.yml", ".pre-commit-config.yaml", "desired-state/main.yaml",
           "schemas/desired-state.schema.json", ".gitignore", ".github/dependabot.yml"]


def init(*args: str) -> object:
    return CliRunner().invoke(cli, ["init", *args])


def test_init_writes_a_repository_that_validates_and_passes_the_workflow_checks(tmp_path):
    r = init(str(tmp_path / "estate"), "--source", SOURCE, "--ref", REF, "--allow-tag")
    assert r.exit_code == 0, r.output
    root = tmp_path / "estate"
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == sorted(WRITTEN)
    skeleton = (root / "desired-state" / "main.yaml").read_text()
    assert skeleton.startswith("# yaml-language-server: $schema=../schemas/desired-state.schema.json\n")
    assert CliRunner().invoke(cli, ["validate", "--desired", str(root / "desired-state")]).exit_code == 0
    for name in ("validate", "plan", "apply", "drift"):
        doc = yaml.safe_load((root / ".github" / "workflows" / f"{name}.yml").read_text())
        (job,) = doc["jobs"].values()
        assert job["uses"] == f"{SOURCE}/.github/workflows/reconciler-{name}.yml@{REF}"
        # The ref is written once, in `uses:`: the reusable workflow checks itself out at the commit
        # GitHub resolved that to (job.workflow_sha), so the installed code cannot differ from it.
        assert "reconciler-repository" not in job["with"] and "reconciler-ref" not in job["with"]
    hooks = yaml.safe_load((root / ".pre-commit-config.yaml").read_text())
    assert hooks["repos"][0] == {"repo": f"https://github.com/{SOURCE}", "rev": REF,
                                 "hooks": [{"id": "reconciler-validate"}]}
    workflows = sorted(map(str, (root / ".github" / "workflows").glob("*.yml")))
    for cmd in ([_tool("actionlint"), "-no-color", *workflows],
                [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *workflows]):
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=root)
        assert p.returncode == 0, p.stdout + p.stderr


def test_init_refuses_to_overwrite_and_says_what(tmp_path):
    root = tmp_path / "estate"
    (root / "desired-state").mkdir(parents=True)
    (root / "desired-state" / "main.yaml").write_text("version: 1\nprofiles: []\n# mine\n")
    r = init(str(root), "--ref", "a" * 40)
    assert r.exit_code == 1 and "would overwrite desired-state/main.yaml" in r.output and "Traceback" not in r.output
    assert not (root / ".github").exists()  # nothing written
    r = init(str(root), "--force", "--ref", "a" * 40)
    assert r.exit_code == 0, r.output
    assert "# mine" not in (root / "desired-state" / "main.yaml").read_text()


@pytest.mark.parametrize("args, message", [
    (["--source", "not a repo"], "expected owner/name"),
    (["--source", "a/b\nc"], "expected owner/name"),
    (["--ref", "v1\n  evil: true"], "expected a tag, branch or commit"),
    (["--ref", "../x"], "expected a tag, branch or commit"),
])
def test_init_refuses_odd_names_without_a_traceback(tmp_path, args, message):
    r = init(str(tmp_path / "x"), *args)
    assert r.exit_code == 1 and message in r.output and "Traceback" not in r.output
    assert not (tmp_path / "x").exists()


def test_init_into_a_file_or_through_a_link_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    assert init(str(tmp_path / "file"), "--ref", "a" * 40).exit_code == 1
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "desired-state").symlink_to(tmp_path / "elsewhere")
    r = init(str(tmp_path / "repo"), "--ref", "a" * 40)
    assert r.exit_code == 1 and "symbolic link" in r.output
    assert not list((tmp_path / "elsewhere").iterdir())


def test_init_then_plan_comment_apply_and_clean_drift_through_the_reusable_workflows(repo):
    """From an empty repository: `reconciler init`, declare the estate, then the repository's own
    workflows (callers of `SOURCE/...@REF`, which the runner reads from this repository) run against
    the sandbox: a plan comment on the pull request, the apply on merge, and an hourly drift that is clean."""
    shutil.rmtree(repo.src)
    r = init(str(repo.src), "--source", SOURCE, "--ref", REF, "--allow-tag")
    assert r.exit_code == 0, r.output
    shutil.copy2(DESIRED / "acme.yaml", repo.src / "desired-state" / "acme.yaml")
    shutil.copy2(SEED, repo.src / "sandbox-seed.yaml")
    workflows = repo.src / ".github" / "workflows"
    gh = repo.github

    valid = repo.job("validate.yml", "validate", event_name="pull_request", workflows_dir=workflows)
    assert valid.status == "success", valid.log()
    gh.open_pr(40, H1)
    plan = repo.job("plan.yml", "plan", event_name="workflow_run", event=validated(40, H1), sha=MAIN,
                    workflows_dir=workflows)
    assert plan.status == "success", plan.log()
    assert plan.called == [f"{SOURCE}/.github/workflows/reconciler-plan.yml@{REF}"]
    # The ref is written once: the reconciler installed is the repository and commit `uses:` names.
    assert plan.sources == [(SOURCE, REF)]
    (comment,) = gh.comments_on(40)
    assert "will change campaign" in comment["body"] and meta_of(comment["body"])["head_sha"] == H1
    assert gh.status_of(H1) == "success"

    gh.merge_pr(40, MERGE)
    applied = repo.job("apply.yml", "apply", event_name="push", sha=MERGE, workflows_dir=workflows)
    assert applied.status == "success", applied.log()
    assert applied.jobs == {"review": "success", "apply": "success"}
    assert applied.sources == [(SOURCE, REF)] * 2  # the review job and the apply job
    assert "Reviewed plan: pull request #40" in applied.summary
    assert repo.assignments()["+13125550100"] == "CWZTFH1" and repo.writes() > 0

    drift = repo.job("drift.yml", "drift", event_name="schedule", workflows_dir=workflows)
    assert drift.status == "success", drift.log()
    assert drift.step("Check for drift").outputs["exit_code"] == "0"
    assert drift.step("Open, update").outputs["action"] == "none" and not gh.open_issues()
    assert_no_secret(*everything(repo, valid, plan, applied, drift))


def test_the_composite_action_installs_with_hashes_then_no_deps():
    """What the runner stands in for (pip is a no-op in the tests), read from the action itself."""
    root = Path(__file__).resolve().parents[2]
    action = yaml.safe_load((root / ".github" / "actions" / "setup-reconciler" / "action.yml").read_text())
    (install,) = [s for s in action["runs"]["steps"] if "run" in s]
    lines = [line.strip() for line in install["run"].splitlines() if "pip install" in line]
    assert "--require-hashes" in lines[0] and '"$SRC/ci/requirements.txt"' in lines[0]
    assert "--no-deps --no-build-isolation" in lines[1]  # the reconciler itself, nothing resolved
    assert install["working-directory"] == "${{ runner.temp }}"  # never from the workspace's files


def test_init_pins_a_commit_resolving_a_tag_and_passes_secrets_by_name(tmp_path, github, monkeypatch):
    """A tag is resolved to the commit it names now (GitHub's API) and that commit is pinned, once for
    `uses:` (the reusable workflows install the commit they run at) and the pre-commit `rev`; no `secrets: inherit`; Dependabot with a cooldown."""
    sha = "9" * 40
    github.tags["v9.9.9"] = sha
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.setenv("GITHUB_TOKEN", github.token)
    root = tmp_path / "estate"
    r = init(str(root), "--source", github.repo, "--ref", "v9.9.9")
    assert r.exit_code == 0, r.output
    for name in ("plan", "apply", "drift"):
        text = (root / ".github" / "workflows" / f"{name}.yml").read_text()
        (job,) = yaml.safe_load(text)["jobs"].values()
        assert job["uses"].endswith(f"@{sha}") and "reconciler-ref" not in job["with"]
        assert f"@{sha} # v9.9.9\n" in text  # the version beside the commit, which Dependabot keeps current
        assert "secrets: inherit" not in text
        assert job["secrets"] == {"TELNYX_API_KEY": "${{ secrets.TELNYX_API_KEY }}",
                                  "RECONCILER_APP_PRIVATE_KEY": "${{ secrets.RECONCILER_APP_PRIVATE_KEY }}"}
    assert yaml.safe_load((root / ".pre-commit-config.yaml").read_text())["repos"][0]["rev"] == sha
    assert f'rev: "{sha}"  # frozen: v9.9.9' in (root / ".pre-commit-config.yaml").read_text()
    bot = yaml.safe_load((root / ".github" / "dependabot.yml").read_text())
    assert all(u["cooldown"]["default-days"] >= 7 for u in bot["updates"])
    r = init(str(tmp_path / "other"), "--source", github.repo, "--ref", "v0.0.404")
    assert r.exit_code == 1 and "cannot resolve --ref 'v0.0.404'" in r.output and "--allow-tag" in r.output
    assert not (tmp_path / "other").exists()
