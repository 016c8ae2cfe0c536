"""An identity only the reviewed-plan workflow has (issue 21 item 4): with the `app-id` input and the App's
private key as a secret of the environments, the workflows write as the App and trust only the App's
comments; github-actions[bot] (any workflow on any pushed branch) no longer counts."""

from __future__ import annotations

from .conftest import SECRET, assert_no_secret
from .test_ci_commands import plan_comment
from .test_workflows import H1, MERGE, everything, meta_of, plan_pr

APP_ID, SLUG, KEY = "424242", "acme-10dlc", "-----BEGIN FAKE KEY-----"


def with_app(repo, key: str = KEY) -> dict:
    held = {"TELNYX_API_KEY": SECRET, "RECONCILER_APP_PRIVATE_KEY": key}
    return dict(variables={"TELNYX_API_BASE_URL": repo.sb.base_url, "RECONCILER_APP_ID": APP_ID,
                           "RECONCILER_BOT_LOGIN": f"{SLUG}[bot]"},
                environments={n: {"secrets": held, "branches": ["main"]} for n in ("telnyx-read", "telnyx-production")})


def test_with_an_app_the_plan_is_the_apps_and_only_the_apps_comment_is_applied(repo):
    gh = repo.github
    gh.add_app(APP_ID, SLUG, KEY)
    gh.open_pr(60, H1)
    plan = plan_pr(repo, 60, H1, **with_app(repo))
    assert plan.status == "success", plan.log()
    (ours,) = gh.comments_on(60)
    assert ours["user"]["login"] == f"{SLUG}[bot]"
    assert gh.statuses[H1][-1]["creator"]["login"] == f"{SLUG}[bot]"
    # Another workflow (any branch's) writes as github-actions[bot]: a newer comment naming another checksum.
    gh.comment(60, plan_comment(checksum="ATTACKER", safe=True, has_changes=True, head_sha=H1))
    gh.merge_pr(60, MERGE)
    applied = repo.job("apply.yml", "apply", event_name="push", sha=MERGE, **with_app(repo))
    assert applied.status == "success", applied.log()
    reviewed = applied.step("Find the plan reviewed")
    assert reviewed.outputs["checksum"] == meta_of(ours["body"])["checksum"] != "ATTACKER"
    assert reviewed.outputs["plan_file"] == "reviewed-plan.json"
    assert "ignored 1 comment" in reviewed.stderr
    report = [c for c in gh.comments_on(60) if c["body"].startswith("<!-- telnyx-10dlc-reconciler:apply")]
    assert [c["user"]["login"] for c in report] == [f"{SLUG}[bot]"]
    assert_no_secret(*everything(repo, plan, applied))
    assert KEY not in "".join(str(x) for x in everything(repo, plan, applied))


def test_a_wrong_app_key_fails_the_job_before_it_writes(repo):
    gh = repo.github
    gh.add_app(APP_ID, SLUG, KEY)
    gh.open_pr(61, H1)
    plan = plan_pr(repo, 61, H1, **with_app(repo, key="not-the-key"))
    assert plan.status == "failure" and plan.step("Mint the GitHub App token").outcome == "failure", plan.log()
    assert not gh.comments_on(61) and repo.writes() == 0


def test_every_step_that_writes_as_the_app_never_falls_back_to_the_shared_identity():
    from .actions_runner import WORKFLOWS, load
    from .test_static import PINNED

    for name in ("reconciler-plan.yml", "reconciler-apply.yml", "reconciler-drift.yml"):
        doc = load(name)
        assert doc["on"]["workflow_call"]["inputs"]["app-id"]["default"] == ""
        assert doc["on"]["workflow_call"]["secrets"]["RECONCILER_APP_PRIVATE_KEY"]["required"] is False
        text = (WORKFLOWS / name).read_text()
        (mint_line,) = [line for line in text.splitlines() if "create-github-app-token@" in line]
        assert PINNED.match(mint_line), mint_line
        app_steps = [s for j in doc["jobs"].values() for s in j["steps"]
                     if "steps.app.outputs.token" in str((s.get("env") or {}).get("GITHUB_TOKEN"))]
        assert len(app_steps) >= 2, name
        for s in app_steps:
            assert s["env"]["GITHUB_TOKEN"] == "${{ steps.app.outputs.token || (inputs.app-id == '' && github.token || '') }}"
            assert s["env"]["RECONCILER_APP_SLUG"] == "${{ steps.app.outputs.app-slug }}"
        (mint,) = [s for j in doc["jobs"].values() for s in j["steps"] if s.get("id") == "app"]
        assert "inputs.app-id != ''" in mint["if"] and mint["with"]["private-key"] == "${{ secrets.RECONCILER_APP_PRIVATE_KEY }}"
