"""The CI state store's provenance against the fake GitHub (issue 21 item 3): only what this repository's
own apply and drift workflows saved on the default branch, from push, schedule or workflow_dispatch runs,
is restored; the newest across every page, re-runs included; a state the store says existed and is gone
is a loud warning, never a silent empty journal."""

from __future__ import annotations

from pathlib import Path

from .test_ci_commands import run

HEAD = "d" * 40
EVIL = "e" * 40


def restore(github, tmp_path: Path, *args: str, summary: Path | None = None):
    env = {"GITHUB_STEP_SUMMARY": str(summary)} if summary else {}
    return run(github, tmp_path, "state-store", "restore", "--dir", "state", *args, env=env)


def journal(tmp_path: Path) -> bytes:
    return (tmp_path / "state" / "journal.jsonl").read_bytes()


def genuine(github, run_id: int = 301, body: bytes = b'{"genuine": true}\n', workflow: str = "drift.yml",
            event: str = "schedule", branch: str = "main") -> int:
    github.add_run(run_id, workflow, HEAD, event, head_branch=branch, conclusion="success")
    return github.add_artifact(run_id, "reconciler-state", {"journal.jsonl": body})


def test_only_the_state_workflows_own_runs_on_the_default_branch_count(github, tmp_path):
    """Newer than the genuine one: another workflow's run on main, a pull request's run (same repository,
    head branch main), and a pushed tag named main (its commit is on no branch): all ignored, each said."""
    genuine(github)
    github.add_run(302, "evil.yml", HEAD, "push", conclusion="success")
    github.add_artifact(302, "reconciler-state", {"journal.jsonl": b'{"forged": "workflow"}\n'})
    github.add_run(303, "drift.yml", HEAD, "pull_request", conclusion="success")
    github.add_artifact(303, "reconciler-state", {"journal.jsonl": b'{"forged": "pr"}\n'})
    github.foreign_commits.add(EVIL)
    github.add_run(304, "apply.yml", EVIL, "push", head_branch="main", conclusion="success")  # tag `main`
    github.add_artifact(304, "reconciler-state", {"journal.jsonl": b'{"forged": "tag"}\n'})
    p = restore(github, tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.outputs["restored"] == "true" and p.outputs["run_id"] == "301" and p.outputs["lost"] == "false"
    assert journal(tmp_path) == b'{"genuine": true}\n'
    assert "ignored 3 reconciler-state artifacts" in p.stderr
    for why in ("1 saved by another workflow", "1 saved by a pull request's run", "1 saved at a commit main does not hold"):
        assert why in p.stderr, p.stderr
    # Only those three runs' provenance was asked for: the genuine one after them, newest first.
    assert ("GET", "/repos/acme/estate/compare/main..." + EVIL, True) in github.requests


def test_the_newest_is_found_past_150_newer_artifacts_of_fork_pull_requests(github, tmp_path):
    genuine(github)
    for i in range(150):
        github.add_run(400 + i, "plan.yml", HEAD, "pull_request", head_repo="mallory/estate", conclusion="success")
        github.add_artifact(400 + i, "reconciler-state", {"journal.jsonl": b'{"forged": "fork"}\n'})
    p = restore(github, tmp_path)
    assert p.returncode == 0 and p.outputs["run_id"] == "301", p.stderr
    assert journal(tmp_path) == b'{"genuine": true}\n'
    assert "150 saved by a fork's run" in p.stderr
    assert len([r for r in github.requests if r[1] == "/repos/acme/estate/actions/artifacts"]) == 2  # both pages


def test_a_re_run_attempt_saves_the_newest_state_though_its_run_id_is_older(github, tmp_path):
    genuine(github, 301, b'{"attempt": 1}\n')
    genuine(github, 302, b'{"run": 302}\n', workflow="apply.yml", event="push")
    # Run 301 re-run (attempt 2): same id, a new artifact replaces the old one (overwrite: true).
    github.artifacts = {k: a for k, a in github.artifacts.items() if a["run_id"] != 301}
    genuine(github, 301, b'{"attempt": 2}\n')
    assert github.runs[301]["run_attempt"] == 2
    p = restore(github, tmp_path)
    assert p.returncode == 0 and p.outputs["run_id"] == "301", p.stderr
    assert journal(tmp_path) == b'{"attempt": 2}\n'


def test_the_default_branch_comes_from_github_not_the_event(github, tmp_path):
    """A scheduled run's event names no default branch; the store asks GitHub: `trunk` here."""
    github.default_branch = "trunk"
    genuine(github, 301, b'{"on": "trunk"}\n', branch="trunk")
    genuine(github, 302, b'{"on": "main"}\n', branch="main")  # a branch called main is just a branch here
    p = restore(github, tmp_path)
    assert p.returncode == 0 and p.outputs["run_id"] == "301", p.stderr
    assert journal(tmp_path) == b'{"on": "trunk"}\n' and "1 not saved on trunk" in p.stderr
    assert ("GET", "/repos/acme/estate", True) in github.requests


def test_an_expired_state_is_a_loud_warning_not_a_silent_first_run(github, tmp_path):
    aid = genuine(github)
    github.artifacts[aid]["expired"] = True
    summary = tmp_path / "summary.md"
    p = restore(github, tmp_path, summary=summary)
    assert p.returncode == 0, p.stderr
    assert p.outputs["restored"] == "false" and p.outputs["lost"] == "true"
    assert "1 trusted reconciler-state artifact expired" in p.outputs["warning"]
    assert "starts with an empty journal" in p.outputs["warning"] and "warning: The state folder" in p.stderr
    assert "> [!WARNING]" in summary.read_text() and "the first run" not in p.stderr


def test_a_newer_run_that_saved_and_whose_artifact_is_gone_is_a_loud_warning(github, tmp_path):
    genuine(github, 301, b'{"old": true}\n')
    github.add_run(302, "apply.yml", HEAD, "push", conclusion="success")
    github.runs[302]["updated_at"] = "2099-01-01T00:00:00Z"
    github.runs[302]["jobs"] = [{"name": "apply", "steps": [{"name": "Save the state folder for the next job",
                                                             "conclusion": "success"}]}]
    p = restore(github, tmp_path)  # run 302's artifact was deleted
    assert p.returncode == 0 and p.outputs["restored"] == "true" and p.outputs["run_id"] == "301", p.stderr
    assert p.outputs["lost"] == "true"
    assert "run 302 of .github/workflows/apply.yml saved the state folder, and its artifact is gone" in p.outputs["warning"]
    assert "restored an older one" in p.outputs["warning"]


def test_the_first_run_is_quiet_and_starts_an_empty_journal(github, tmp_path):
    github.add_run(301, "drift.yml", HEAD, "schedule", conclusion="success")  # ran without a key: saved nothing
    p = restore(github, tmp_path)
    assert p.returncode == 0 and p.outputs == {"restored": "false", "lost": "false", "warning": ""}, p.stderr
    assert journal(tmp_path) == b"" and "the first run" in p.stderr


def test_the_restore_never_writes_through_a_planted_link(github, tmp_path):
    genuine(github)
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "journal.jsonl").symlink_to(tmp_path / "elsewhere")
    p = restore(github, tmp_path)
    assert p.returncode == 1 and "symbolic link" in p.stderr and not (tmp_path / "elsewhere").exists()


def test_a_lost_state_opens_the_drift_issue_even_without_drift(github, tmp_path):
    (tmp_path / "drift.md").write_text("## 10DLC drift\n\nNo drift.\n")
    p = run(github, tmp_path, "drift-issue", "--exit-code", "0", "--body-file", "drift.md",
            "--state-warning", "The state folder may be lost: run 302 ...")
    assert p.returncode == 0 and p.outputs["action"] == "opened", p.stderr
    (issue,) = github.open_issues("10dlc-drift")
    assert issue["body"].splitlines()[1] == "> [!WARNING]" and "run 302" in issue["body"]
    p = run(github, tmp_path, "drift-issue", "--exit-code", "0", "--body-file", "drift.md")
    assert p.outputs["action"] == "closed"


# ---------------------------------------------------------------- through the workflows


def test_a_cancelled_apply_saves_what_it_journalled_and_the_next_job_restores_it(repo):
    from .conftest import assert_no_secret
    from .test_workflows import H1, MERGE, everything, plan_pr

    gh = repo.github
    gh.open_pr(50, H1)
    assert plan_pr(repo, 50, H1).status == "success"
    gh.merge_pr(50, MERGE)
    applied = repo.job("apply.yml", "apply", event_name="push", sha=MERGE, cancel_after="Apply exactly")
    assert applied.status == "cancelled", applied.log()
    assert applied.step("Save the state folder").outcome == "success"
    assert applied.step("Report the outcome").outcome == "skipped"  # a cancelled run posts nothing
    apply_run = repo.runs
    saved = applied.artifacts["reconciler-state"]["journal.jsonl"]
    assert b'"intent"' in saved or b"intent" in saved, saved[:300]
    drift = repo.job("drift.yml", "drift", event_name="schedule")
    restored = drift.step("Restore the state")
    assert restored.outputs["restored"] == "true" and restored.outputs["run_id"] == str(apply_run), drift.log()
    assert restored.outputs["lost"] == "false"
    assert_no_secret(*everything(repo, applied, drift))


def test_a_scheduled_job_on_a_default_branch_named_trunk_carries_the_state(repo):
    """On `schedule` the event names no default branch: the store asks GitHub, and finds trunk's state."""
    from .conftest import SECRET

    repo.github.default_branch = "trunk"
    envs = {"telnyx-read": {"secrets": {"TELNYX_API_KEY": SECRET}, "branches": ["trunk"]}}
    no_branch = {"repository": {"full_name": "acme/estate"}}
    first = repo.job("drift.yml", "drift", event_name="schedule", event=no_branch, ref="refs/heads/trunk",
                     environments=envs)
    assert first.status == "success", first.log()
    assert first.step("Restore the state").outputs["restored"] == "false"
    second = repo.job("drift.yml", "drift", event_name="schedule", event=no_branch, ref="refs/heads/trunk",
                      environments=envs)
    out = second.step("Restore the state").outputs
    assert out["restored"] == "true" and out["run_id"] == str(repo.runs - 1), second.log()
    assert out["lost"] == "false"
    assert all("State folder" not in i["body"] for i in repo.github.open_issues())  # drift (unapplied) only


def test_a_state_lost_between_hourly_jobs_leads_the_drift_issue(repo):
    first = repo.job("drift.yml", "drift", event_name="schedule")
    assert first.status == "success", first.log()
    repo.github.artifacts.clear()  # someone deleted the state artifact
    second = repo.job("drift.yml", "drift", event_name="schedule")
    assert second.step("Restore the state").outputs["lost"] == "true", second.log()
    assert "> [!WARNING]" in second.summary and "its artifact is gone" in second.summary
    (issue,) = repo.github.open_issues("10dlc-drift")
    assert "**State folder:**" in issue["body"].splitlines()[2]
