"""The shipped workflows, run step by step against the sandbox (Telnyx) and a fake GitHub.

Each test plays one part of the GitOps loop the way GitHub would run it: a pull request is planned
(the gated plan: `workflow_run` after validate, on the default branch's code, in `telnyx-read`;
sticky comment, commit status, summary, artifact), merged (apply shows approvers the reviewed plan,
then checks it in `telnyx-production` and writes), and the scheduled drift job opens, updates and
closes one issue. The callers here call the reusable workflows (reconciler-*.yml), which the runner
follows; the key lives only in environments restricted to main.
"""

from __future__ import annotations

import json
import re

import pytest

from .actions_runner import stop_background
from .conftest import SECRET, assert_no_secret

MARK = "<!-- telnyx-10dlc-reconciler:plan -->"
H1, H2, MERGE = "a1" * 20, "b2" * 20, "c3" * 20
MAIN = "e5" * 20  # the default branch's head while a pull request is planned


def validated(number: int, head: str, *, repo: str = "acme/estate", conclusion: str = "success") -> dict:
    """The workflow_run event GitHub sends when validate has finished on a pull request."""
    return {"workflow_run": {"event": "pull_request", "conclusion": conclusion, "head_sha": head,
                             "head_branch": f"change-{number}", "head_repository": {"full_name": repo},
                             "pull_requests": [{"number": number, "head": {"sha": head}}] if repo == "acme/estate"
                             else []}}


def meta_of(body: str) -> dict:
    m = re.search(r"<!-- telnyx-10dlc-reconciler:meta (\{.*?\}) -->", body)
    assert m, body[:300]
    return json.loads(m.group(1))


def plan_pr(repo, number: int, head: str, **kw):
    """The gated plan of pull request `number` at `head`: runs on main's code, reads the head as data."""
    return repo.job("plan.yml", "plan", event_name="workflow_run", event=validated(number, head), sha=MAIN,
                    ref="refs/heads/main", **kw)


def everything(repo, *results) -> list[str | bytes]:
    out: list[str | bytes] = []
    for r in results:
        out += [r.log(), r.summary] + [b for files in r.artifacts.values() for b in files.values()]
    out += [c["body"] for c in repo.github.comments.values()] + [i["body"] for i in repo.github.issues.values()]
    return out


def test_validate_workflow_passes_and_fails_with_file_line(repo):
    ok = repo.job("validate.yml", "validate", event_name="push")
    assert ok.status == "success", ok.log()
    assert "ok: 8 numbers" in ok.step("Validate").stdout
    (repo.src / "desired-state" / "acme.yaml").write_text(
        (repo.src / "desired-state" / "acme.yaml").read_text().replace('"+13125550201"', '"+1312555"'))
    bad = repo.job("validate.yml", "validate", event_name="pull_request")
    assert bad.status == "failure"
    assert re.search(r"acme\.yaml:\d+:\d+", bad.step("Validate").stderr), bad.log()


def test_plan_comment_is_sticky_then_merge_applies_exactly_what_was_reviewed(repo):
    gh = repo.github
    gh.open_pr(7, H1)
    first = plan_pr(repo, 7, H1)
    assert first.status == "success", first.log()
    ours = [c for c in gh.comments_on(7) if c["body"].startswith(MARK)]
    assert len(ours) == 1
    saved = json.loads(first.artifacts["reconciler-plan"]["plan.json"])
    meta = meta_of(ours[0]["body"])
    assert meta["checksum"] == saved["checksum"] and meta["head_sha"] == H1 and meta["artifact"] == "reconciler-plan"
    assert "will change campaign" in ours[0]["body"]
    assert "## 10DLC plan" in first.summary  # the CLI appends its markdown to the job summary
    assert repo.writes() == 0  # plan is read-only
    assert first.called == ["./.github/workflows/reconciler-plan.yml"]
    assert gh.status_of(H1) == "success"  # the required check, on the pull request's head

    # Someone else comments, then a second push re-plans: still one plan comment, edited in place.
    gh.route("POST", "/issues/7/comments", {}, {"body": "looks good"}, gh.url)
    gh.push_pr(7, H2)
    second = plan_pr(repo, 7, H2)
    assert second.status == "success", second.log()
    ours2 = [c for c in gh.comments_on(7) if c["body"].startswith(MARK)]
    assert [c["id"] for c in ours2] == [ours[0]["id"]]
    assert meta_of(ours2[0]["body"])["head_sha"] == H2
    assert len(gh.comments_on(7)) == 2

    gh.merge_pr(7, MERGE)
    applied = repo.job("apply.yml", "apply", event_name="push", sha=MERGE)
    assert applied.status == "success", applied.log()
    reviewed = applied.step("Find the plan reviewed")
    assert reviewed.outputs["pr"] == "7" and reviewed.outputs["plan_file"] == "reviewed-plan.json"
    # Approvers see the reviewed plan, with links, in the summary of the job before the protected one.
    assert "Reviewed plan: pull request #7" in applied.summary and "will change campaign" in applied.summary
    assert applied.jobs == {"review": "success", "apply": "success"}
    assert repo.assignments() == {
        "+13125550100": "CWZTFH1", "+13125550101": "CWZTFH1", "+13125550102": "CWZTFH1",
        "+13125550103": "CWZTFH1", "+13125550104": "CWZTFH1", "+13125550200": "CALERT7",
        "+13125550201": "CALERT7", "+13125550202": "CNOTIF9"}
    assert "## 10DLC apply" in applied.summary
    assert "journal.jsonl" in applied.artifacts["reconciler-state"]
    apply_comments = [c for c in gh.comments_on(7) if c["body"].startswith("<!-- telnyx-10dlc-reconciler:apply -->")]
    assert len(apply_comments) == 1 and "converged" in apply_comments[0]["body"]
    # The artifact download followed GitHub's redirect without the token.
    blobs = [a for m, p, a in gh.requests if p.startswith("/blob/")]
    assert blobs and not any(blobs)
    assert_no_secret(*everything(repo, first, second, applied))


def test_apply_refuses_with_exit_3_when_telnyx_changed_since_review(repo):
    gh = repo.github
    gh.open_pr(8, H1)
    assert plan_pr(repo, 8, H1).status == "success"
    # Out of band, after review: someone assigns a declared number in the portal.
    repo.admin.put("/assignments/+13125550100", json={"tcr_campaign_id": "CNOTIF9"}).raise_for_status()
    gh.merge_pr(8, MERGE)
    before = repo.writes()
    applied = repo.job("apply.yml", "apply", event_name="push", sha=MERGE)
    assert applied.status == "failure"
    step = applied.step("Apply exactly")
    assert step.returncode == 3, applied.log()
    assert "not the reviewed" in step.stderr and "+13125550100" in step.stderr
    assert repo.writes() == before  # nothing written
    note = [c for c in gh.comments_on(8) if c["body"].startswith("<!-- telnyx-10dlc-reconciler:apply -->")]
    # The refusal reaches the pull request in the report's own format, with its reason.
    assert len(note) == 1 and "Refused" in note[0]["body"] and "not the reviewed" in note[0]["body"], note


def test_apply_refuses_when_the_last_push_was_never_planned(repo):
    gh = repo.github
    gh.open_pr(9, H1)
    assert plan_pr(repo, 9, H1).status == "success"
    gh.push_pr(9, H2)  # pushed, merged before the plan for H2 finished
    gh.merge_pr(9, MERGE)
    applied = repo.job("apply.yml", "apply", event_name="push", sha=MERGE)
    step = applied.step("Show approvers the plan reviewed")
    assert applied.status == "failure" and step.returncode == 3
    assert "never finished" in step.stderr
    assert applied.jobs["apply"] == "skipped"  # the protected job never starts
    assert repo.writes() == 0


def test_apply_refuses_a_push_that_no_pull_request_reviewed(repo):
    applied = repo.job("apply.yml", "apply", event_name="push", sha=MERGE)
    step = applied.step("Show approvers the plan reviewed")
    assert step.returncode == 3 and "not merged from a pull request" in step.stderr
    assert repo.writes() == 0


def test_the_first_push_of_a_new_repository_applies_nothing_and_stays_green(repo):
    event = {"created": True, "repository": {"default_branch": "main"}}
    applied = repo.job("apply.yml", "apply", event_name="push", sha=MERGE, event=event)
    assert applied.status == "success", applied.log()
    assert applied.jobs["apply"] == "skipped" and "first push of this branch" in applied.summary
    assert repo.writes() == 0


def test_a_manual_apply_runs_only_on_the_default_branch(repo):
    applied = repo.job("apply.yml", "apply", event_name="workflow_dispatch", ref="refs/heads/feature",
                       inputs={"expect_checksum": "0" * 64})
    step = applied.step("Decide whether to apply")
    assert applied.status == "failure" and step.returncode == 3 and "only on the default branch" in step.stderr
    assert applied.jobs["apply"] == "skipped" and repo.writes() == 0


def test_a_pull_requests_own_run_cannot_reach_the_key(repo):
    """Anyone who can push a branch can start a workflow on pull_request that asks for the read
    environment: GitHub refuses it (restricted to main) before any step, so the key never reaches it."""
    event = {"pull_request": {"number": 7, "head": {"sha": H1, "repo": {"full_name": "acme/estate"}}}}
    result = repo.job("plan.yml", "plan", event_name="pull_request", event=event, sha=H1, ref="refs/pull/7/merge")
    assert result.status == "failure"
    assert "not allowed to deploy to telnyx-read" in result.step("environment telnyx-read").stderr
    assert repo.writes() == 0 and not repo.github.comments_on(7)
    assert_no_secret(*everything(repo, result))


def test_manual_apply_with_a_checksum_from_a_dispatched_plan(repo):
    plan = repo.job("plan.yml", "plan", event_name="workflow_dispatch", sha=MAIN)
    assert plan.status == "success", plan.log()
    assert plan.step("Post the plan").outcome == "skipped"
    checksum = plan.step("Fail when").outputs["checksum"]
    bad = repo.job("apply.yml", "apply", event_name="workflow_dispatch", inputs={"expect_checksum": "0" * 64})
    assert bad.status == "failure" and bad.step("Apply exactly").returncode == 3
    good = repo.job("apply.yml", "apply", event_name="workflow_dispatch", inputs={"expect_checksum": checksum})
    assert good.status == "success", good.log()
    assert good.step("Report the outcome").outcome == "skipped"


def test_unsafe_plan_fails_the_check_and_is_flagged_in_the_comment(repo):
    # Prune with a low limit: the unmanaged number on a declared campaign would lose its campaign.
    doc = (repo.src / "desired-state" / "acme.yaml").read_text()
    doc = doc.replace("policy:\n  prune: false", "policy:\n  prune: true\n  max_unassign: 0")
    (repo.src / "desired-state" / "acme.yaml").write_text(doc)
    # (a Telnyx campaign: removing a number from a shared one is blocked without --shared-per-number)
    repo.admin.put("/assignments/+13125550300", json={"tcr_campaign_id": "CNOTIF9"}).raise_for_status()
    repo.github.open_pr(10, H1)
    result = plan_pr(repo, 10, H1)
    assert result.status == "failure"
    assert result.step("Fail when").returncode == 3, result.log()
    body = repo.github.comments_on(10)[0]["body"]
    assert "Unsafe plan" in body and meta_of(body)["safe"] is False
    assert repo.github.status_of(H1) == "failure"  # branch protection blocks the merge


def test_failed_plan_replaces_the_checksum_so_merge_cannot_apply(repo):
    gh = repo.github
    gh.open_pr(11, H1)
    assert plan_pr(repo, 11, H1).status == "success"
    (repo.src / "desired-state" / "broken.yaml").write_text("version: 1\nprofiles: [\n")
    gh.push_pr(11, H2)
    failed = plan_pr(repo, 11, H2)
    assert failed.status == "failure"
    body = gh.comments_on(11)[0]["body"]
    assert "The plan failed" in body and "checksum" not in meta_of(body)
    gh.merge_pr(11, MERGE)
    applied = repo.job("apply.yml", "apply", event_name="push", sha=MERGE)
    assert applied.step("Show approvers the plan reviewed").returncode == 3 and repo.writes() == 0
    assert gh.status_of(H2) == "failure"


@pytest.mark.parametrize("event, why", [
    (validated(12, H1, repo="mallory/estate"), "a fork's pull request gets no key"),
    (validated(12, H1, conclusion="failure"), "validate did not pass"),
])
def test_forks_and_failed_validation_are_not_planned(repo, event, why):
    result = repo.job("plan.yml", "plan", event_name="workflow_run", event=event, sha=MAIN)
    assert result.status == "success", result.log()
    assert why in result.step("Which pull request").stderr
    assert result.step("Plan (read-only)").outcome == "skipped" and not repo.github.comments
    assert repo.writes() == 0


def test_without_a_key_or_a_sandbox_every_job_skips_green_with_a_notice(repo):
    repo.github.open_pr(17, H1)
    for result in (plan_pr(repo, 17, H1, key=None),
                   repo.job("drift.yml", "drift", event_name="schedule", key=None),
                   repo.job("apply.yml", "apply", event_name="workflow_dispatch", key=None,
                            inputs={"expect_checksum": "0" * 64})):
        assert result.status == "success", result.log()
        assert "Skipped: no TELNYX_API_KEY" in result.summary
    assert not repo.github.comments and not repo.github.issues.get(1) and repo.writes() == 0


def test_drift_issue_opens_updates_and_closes_without_duplicates(repo):
    gh = repo.github
    # Converge first, so the only drift is what we make.
    assert repo.job("plan.yml", "plan", event_name="workflow_dispatch").status == "success"
    from click.testing import CliRunner

    from reconciler.cli import cli
    r = CliRunner().invoke(cli, ["apply", "--auto-approve", "--desired", str(repo.src / "desired-state"),
                                 "--state-dir", str(repo.tmp / "state")],
                           env={"TELNYX_API_KEY": SECRET, "TELNYX_API_BASE_URL": repo.sb.base_url})
    assert r.exit_code == 0, r.output

    clean = repo.job("drift.yml", "drift", event_name="schedule")
    assert clean.status == "success", clean.log()
    assert clean.step("Open, update").outputs["action"] == "none" and not gh.open_issues()

    repo.admin.put("/assignments/+13125550201", json={"tcr_campaign_id": "CNOTIF9"}).raise_for_status()
    opened = repo.job("drift.yml", "drift", event_name="schedule")
    assert opened.status == "success", opened.log()
    assert opened.step("Check for drift").outputs["exit_code"] == "2"
    issues = gh.open_issues("10dlc-drift")
    assert len(issues) == 1 and "+13125550201" in issues[0]["body"] and "out of band" in issues[0]["body"]

    repo.admin.put("/assignments/+13125550200", json={"tcr_campaign_id": "CNOTIF9"}).raise_for_status()
    updated = repo.job("drift.yml", "drift", event_name="workflow_dispatch")
    assert updated.step("Open, update").outputs["action"] == "updated"
    issues = gh.open_issues("10dlc-drift")
    assert len(issues) == 1 and "+13125550200" in issues[0]["body"]

    # The drift check itself fails (a revoked key): the issue is left alone and the run goes red.
    broken = repo.job("drift.yml", "drift", event_name="schedule", key="revoked")
    assert broken.status == "failure" and broken.step("Check for drift").outputs["exit_code"] == "1"
    assert len(gh.open_issues("10dlc-drift")) == 1

    for n in ("+13125550200", "+13125550201"):
        repo.admin.put(f"/assignments/{n}", json={"tcr_campaign_id": "CALERT7"}).raise_for_status()
    closed = repo.job("drift.yml", "drift", event_name="schedule")
    assert closed.step("Open, update").outputs["action"] == "closed", closed.log()
    assert not gh.open_issues()
    assert_no_secret(*everything(repo, clean, opened, updated, broken, closed))


def test_drift_issue_leads_with_a_campaign_that_cannot_carry_traffic(repo):
    """After a clean apply Telnyx suspends the shared campaign: every record is still as declared, and the
    scheduled drift job opens the issue, whose body starts with the campaign and the numbers it stops."""
    gh = repo.github
    from click.testing import CliRunner

    from reconciler.cli import cli
    r = CliRunner().invoke(cli, ["apply", "--auto-approve", "--desired", str(repo.src / "desired-state"),
                                 "--state-dir", str(repo.tmp / "state")],
                           env={"TELNYX_API_KEY": SECRET, "TELNYX_API_BASE_URL": repo.sb.base_url})
    assert r.exit_code == 0, r.output
    repo.admin.patch("/campaigns/CWZTFH1", json={"campaign_status": "TCR_SUSPENDED"}).raise_for_status()
    opened = repo.job("drift.yml", "drift", event_name="schedule")
    assert opened.status == "success", opened.log()
    assert opened.step("Check for drift").outputs["exit_code"] == "2"
    (issue,) = gh.open_issues("10dlc-drift")
    body = issue["body"].split("\n")
    assert body[1:4] == ["## 10DLC drift", "", "> [!CAUTION]"], body[:6]
    assert body[4].startswith("> **1 unhealthy campaign (") and "numbers cannot send" in body[4]
    assert body[5].startswith("> - `CWZTFH1` (shared, TCR\\_SUSPENDED, sharing ACCEPTED): stops ")
    repo.admin.patch("/campaigns/CWZTFH1", json={"campaign_status": "MNO_PROVISIONED"}).raise_for_status()
    closed = repo.job("drift.yml", "drift", event_name="schedule")
    assert closed.step("Open, update").outputs["action"] == "closed", closed.log()


def test_sandbox_stands_in_for_telnyx_when_the_seed_variable_is_set(repo):
    """A new repository's first runs: vars.RECONCILER_SANDBOX_SEED set, no Telnyx secret at all."""
    repo.github.open_pr(13, H1)
    result = plan_pr(repo, 13, H1, variables={"RECONCILER_SANDBOX_SEED": "sandbox-seed.yaml"}, key=None)
    assert result.status == "success", result.log()
    assert result.step("Start the sandbox").outputs["base_url"].startswith("http://127.0.0.1:")
    assert "will change campaign" in repo.github.comments_on(13)[0]["body"]
    assert repo.writes() == 0 and repo.assignments() == {"+13125550101": "CWZTFH1", "+13125550200": "CNOTIF9"}
    assert "Sandbox, not Telnyx" in result.summary
    repo.github.merge_pr(13, MERGE)
    applied = repo.job("apply.yml", "apply", event_name="push", sha=MERGE,
                       variables={"RECONCILER_SANDBOX_SEED": "sandbox-seed.yaml"}, key=None)
    assert applied.status == "success", applied.log()
    assert "Sandbox, not Telnyx" in applied.summary


@pytest.mark.parametrize("workflow, job, event", [("plan.yml", "plan", "workflow_dispatch"),
                                                  ("apply.yml", "apply", "workflow_dispatch"),
                                                  ("drift.yml", "drift", "schedule")])
def test_the_sandbox_switch_is_refused_where_a_telnyx_key_is_in_reach(repo, workflow, job, event):
    """One variable must not swap production for the sandbox and still report green: a key within
    reach (here a repository secret, which docs/ci.md says not to have) refuses the sandbox."""
    result = repo.job(workflow, job, event_name=event, inputs={"expect_checksum": "0" * 64},
                      variables={"RECONCILER_SANDBOX_SEED": "sandbox-seed.yaml"}, secrets={"TELNYX_API_KEY": SECRET})
    assert result.status == "failure"
    step = result.step("Start the sandbox")
    assert step.returncode == 1 and "can reach a Telnyx key" in step.stderr
    from .actions_runner import load

    telnyx = [s["name"] for j in load(f"reconciler-{workflow}")["jobs"].values() for s in j["steps"]
              if "TELNYX_API_KEY" in (s.get("env") or {})]
    assert telnyx and all(result.step(n).outcome == "skipped" for n in telnyx)
    assert repo.writes() == 0
    assert_no_secret(*everything(repo, result))


def test_a_re_run_attempt_replaces_its_artifacts(repo):
    repo.github.open_pr(14, H1)
    first = plan_pr(repo, 14, H1)
    again = plan_pr(repo, 14, H1, rerun=repo.runs)
    assert first.status == again.status == "success", again.log()
    assert [a["name"] for a in repo.github.artifacts.values() if a["run_id"] == repo.runs - 1] == ["reconciler-plan"]


@pytest.mark.parametrize("workflow", ["reconciler-plan.yml", "reconciler-apply.yml", "reconciler-drift.yml"])
def test_the_api_key_reaches_only_the_steps_that_call_telnyx(workflow):
    from .actions_runner import load

    doc = load(workflow)
    for job in doc["jobs"].values():
        assert "TELNYX_API_KEY" not in (job.get("env") or {}) and "TELNYX_API_KEY" not in (doc.get("env") or {})
        for step in job["steps"]:
            env = step.get("env") or {}
            if "TELNYX_API_KEY" in env:
                assert "reconciler " in step["run"] and "secrets.TELNYX_API_KEY" in env["TELNYX_API_KEY"]
            assert "${{" not in step.get("run", ""), "expressions in run: invite script injection; use env:"
    assert SECRET not in (repr(doc))


@pytest.mark.slow  # up to 8 hourly jobs (about 50 steps): `make faults`; the other tests here cover each job
def test_one_change_on_the_real_timeline(tmp_path, github):
    """Telnyx's timeline (realistic preset, virtual hours): the apply job is green once Telnyx has
    accepted the work, the hourly job follows it through the state folder artifact (each job a
    fresh runner), updates the merged pull request's apply comment when it lands, and opens no
    drift issue for work in flight."""
    from reconciler.sandbox import start_sandbox

    from .conftest import SEED, Repo

    sb = start_sandbox(seed=SEED, api_key=SECRET, timing="realistic", time_scale=120.0, late_failure_rate=0.0)
    try:
        repo = Repo(tmp_path, github, sb)
        gh = repo.github
        gh.open_pr(11, H1)
        assert plan_pr(repo, 11, H1).status == "success"
        gh.merge_pr(11, MERGE)
        applied = repo.job("apply.yml", "apply", event_name="push", sha=MERGE)
        assert applied.status == "success", applied.log()  # accepted: green, though numbers are PENDING
        assert applied.step("Restore the state").outputs["restored"] == "false"  # the first run
        pending = [s for s in repo.admin.get("/state").json()["assignments"] if s["status"].startswith("PENDING")]
        assert pending, "the realistic preset leaves numbers pending after apply"
        comment = next(c for c in gh.comments_on(11) if c["body"].startswith("<!-- telnyx-10dlc-reconciler:apply"))
        assert "in flight" in comment["body"]
        hours = 0
        while hours < 8:
            repo.admin.post("/advance", json={"seconds": 3600}).raise_for_status()
            hours += 1
            hourly = repo.job("drift.yml", "drift", event_name="schedule")
            assert hourly.status == "success", hourly.log()
            assert hourly.step("Restore the state").outputs["restored"] == "true"
            assert not gh.open_issues(), f"hour {hours}: a drift issue for work in flight"
            now = next(c for c in gh.comments_on(11) if c["id"] == comment["id"])["body"]
            if "assigned after" in now and "⏳" not in now:
                break
        body = next(c for c in gh.comments_on(11) if c["id"] == comment["id"])["body"]
        assert "assigned after" in body and "✅" in body, body
        want = {"+13125550100": "CWZTFH1", "+13125550200": "CALERT7"}
        got = repo.assignments()
        assert all(got.get(n) == c for n, c in want.items()), got
        left = [s for s in repo.admin.get("/state").json()["assignments"] if s["status"] != "ASSIGNED"]
        assert not left, (left, body)
        assert_no_secret(*everything(repo, applied))
        repo.admin.close()
    finally:
        stop_background(tmp_path)
        sb.stop()


def test_a_merge_whose_apply_github_cancelled_in_the_queue_is_applied_by_the_next_and_told(repo):
    """GitHub keeps one pending run per concurrency group: a third quick merge replaces the second's
    waiting apply (it ends "cancelled"). The next apply takes its changes and says so on its pull request."""
    gh = repo.github
    gh.open_pr(15, H1)
    assert plan_pr(repo, 15, H1).status == "success"
    gh.merge_pr(15, MERGE)
    repo.runs += 1
    gh.add_run(repo.runs, "apply.yml", MERGE, "push", conclusion="cancelled")  # replaced while it waited
    # The drift job that replaced it warns: the newest merge's apply never ran.
    drift = repo.job("drift.yml", "drift", event_name="schedule")
    assert drift.step("Warn when").outputs["unapplied"] == MERGE, drift.log()
    assert "was cancelled" in drift.summary and "Re-run that run" in drift.summary
    # The next pull request, planned on top of the first (required up-to-date branches): one plan for both.
    later = "d4" * 20
    gh.open_pr(16, H2)
    assert plan_pr(repo, 16, H2).status == "success"
    gh.merge_pr(16, later)
    applied = repo.job("apply.yml", "apply", event_name="push", sha=later)
    assert applied.status == "success", applied.log()
    assert applied.step("Tell the merges").outputs["covered"] == "15"
    assert repo.assignments()["+13125550100"] == "CWZTFH1"
    note = [c for c in gh.comments_on(15) if c["body"].startswith("<!-- telnyx-10dlc-reconciler:apply -->")]
    assert len(note) == 1 and f"run {repo.runs}" in note[0]["body"] and "applied them" in note[0]["body"]
    assert "#16" in note[0]["body"] and "GitHub cancelled the queued apply of #15" in applied.summary
    # Once an apply ran, the drift job has nothing to warn about, and the next apply tells nobody again.
    assert repo.job("drift.yml", "drift", event_name="schedule").step("Warn when").outputs["unapplied"] == ""


def test_the_quarter_hour_runs_only_follow_work_in_flight(repo):
    """The drift caller runs every quarter hour between its hourly runs (docs/ci.md: a freed number's
    next phase starts within about 15 minutes of Telnyx freeing it, not an hour): those runs resume
    and follow up, and neither read drift nor touch the drift issue; the hourly run does both."""
    light = repo.job("drift.yml", "drift", event_name="schedule", event={"schedule": "8,38,53 * * * *"})
    assert light.status == "success", light.log()
    assert light.step("Follow work in flight").outcome == "success", light.log()
    assert light.step("Check for drift").outcome == "skipped"
    assert light.step("Open, update or close the drift issue").outcome == "skipped"
    assert light.step("Save the state folder").outcome == "success"
    hourly = repo.job("drift.yml", "drift", event_name="schedule", event={"schedule": "23 * * * *"})
    assert hourly.status == "success", hourly.log()
    assert hourly.step("Check for drift").outcome == "success", hourly.log()
    # A run by hand (workflow_dispatch: no schedule) is a whole one.
    by_hand = repo.job("drift.yml", "drift", event_name="workflow_dispatch")
    assert by_hand.step("Check for drift").outcome == "success", by_hand.log()
