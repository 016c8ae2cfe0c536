"""`reconciler ci …` against the fake GitHub: the edge cases the workflow runs do not reach."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / "reconciler" / "ci"
MARK = "<!-- telnyx-10dlc-reconciler:plan -->"


def run(github, tmp_path: Path, command: str, *args: str, token: str | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`reconciler ci COMMAND ARGS` as a workflow step runs it (GitHub's variables, a GITHUB_OUTPUT file)."""
    out = tmp_path / "out.txt"
    out.write_text("")
    env = {"PATH": os.environ["PATH"], "GITHUB_API_URL": github.url if github else "http://127.0.0.1:9",
           "GITHUB_REPOSITORY": github.repo if github else "acme/estate",
           "GITHUB_TOKEN": (github.token if github else "t") if token is None else token, "GITHUB_OUTPUT": str(out),
           "GITHUB_RUN_ID": "77", "GITHUB_SERVER_URL": "https://github.com", **(env or {})}
    if os.environ.get("PYTHONPATH"):
        env.setdefault("PYTHONPATH", os.environ["PYTHONPATH"])
    p = subprocess.run([sys.executable, "-m", "reconciler", "ci", command, *args], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    from .actions_runner import _read_kv_file

    p.outputs = _read_kv_file(out)  # type: ignore[attr-defined]
    return p


def saved(checksum: str, safe: bool = True, has_changes: bool = True, unsafe: tuple[str, ...] = ()) -> str:
    """The summary fields of a saved plan (`plan --out`), as `reconciler.planfile.read_summary` reads them."""
    return json.dumps({"kind": "saved_plan", "checksum": checksum, "safe": safe, "has_changes": has_changes,
                       "unsafe": list(unsafe)})


def write(tmp_path: Path, name: str, text: str) -> str:
    (tmp_path / name).write_text(text)
    return name


def test_sticky_comment_found_past_the_first_page_and_duplicates_folded(github, tmp_path):
    github.open_pr(5, "a" * 40)
    for i in range(150):
        github.route("POST", "/issues/5/comments", {}, {"body": f"chatter {i}"}, github.url)
    plan = write(tmp_path, "plan.json", saved(checksum="c1"))
    body = write(tmp_path, "plan.md", "## 10DLC plan\n\nfirst\n")
    assert run(github, tmp_path, "comment", "--pr", "5", "--body-file", body, "--plan", plan).returncode == 0
    ours = [c for c in github.comments_on(5) if c["body"].startswith(MARK)]
    assert len(ours) == 1
    # A duplicate left by an older tool: the next run keeps the first and deletes the other.
    github.route("POST", "/issues/5/comments", {}, {"body": MARK + "\nold copy"}, github.url)
    write(tmp_path, "plan.md", "## 10DLC plan\n\nsecond\n")
    p = run(github, tmp_path, "comment", "--pr", "5", "--body-file", body, "--plan", plan)
    assert p.returncode == 0, p.stderr
    ours2 = [c for c in github.comments_on(5) if c["body"].startswith(MARK)]
    assert [c["id"] for c in ours2] == [ours[0]["id"]] and "second" in ours2[0]["body"]
    assert p.outputs["checksum"] == "c1" and p.outputs["safe"] == "true"
    assert len(github.comments_on(5)) == 151


def test_matrix_keys_get_their_own_comment(github, tmp_path):
    github.open_pr(6, "a" * 40)
    body = write(tmp_path, "plan.md", "plan\n")
    for key in ("east", "west", "east"):
        assert run(github, tmp_path, "comment", "--pr", "6", "--body-file", body, "--group", key).returncode == 0
    bodies = [c["body"].splitlines()[0] for c in github.comments_on(6)]
    assert bodies == ["<!-- telnyx-10dlc-reconciler:plan:east -->", "<!-- telnyx-10dlc-reconciler:plan:west -->"]


def test_a_huge_body_is_cut_to_githubs_limit(github, tmp_path):
    github.open_pr(7, "a" * 40)
    body = write(tmp_path, "plan.md", "x" * 70_000)
    assert run(github, tmp_path, "comment", "--pr", "7", "--body-file", body).returncode == 0
    text = github.comments_on(7)[0]["body"]
    assert len(text) <= 65_536 and "cut to fit" in text


def test_missing_token_is_a_clear_error(github, tmp_path):
    body = write(tmp_path, "plan.md", "plan\n")
    p = run(github, tmp_path, "comment", "--pr", "1", "--body-file", body, token="")
    assert p.returncode == 1 and "GITHUB_TOKEN is not set" in p.stderr


def test_bad_token_names_the_call_but_not_the_token(github, tmp_path):
    body = write(tmp_path, "plan.md", "plan\n")
    p = run(github, tmp_path, "comment", "--pr", "1", "--body-file", body, token="ghs-wrong-123")
    assert p.returncode == 1 and "HTTP 401" in p.stderr and "ghs-wrong-123" not in p.stderr + p.stdout


def test_drift_issue_closes_duplicates_and_creates_its_label(github, tmp_path):
    body = write(tmp_path, "drift.md", "## 10DLC drift\n\n**Drift found: 1 out of band.**\n")
    p = run(github, tmp_path, "drift-issue", "--exit-code", "2", "--body-file", body)
    assert p.returncode == 0 and p.outputs["action"] == "opened"
    assert "10dlc-drift" in github.labels
    # Someone opened a second one by hand (same marker, same label).
    github.route("POST", "/issues", {}, {"title": "dup", "body": github.open_issues()[0]["body"],
                                         "labels": ["10dlc-drift"]}, github.url)
    p = run(github, tmp_path, "drift-issue", "--exit-code", "2", "--body-file", body)
    assert p.outputs["action"] == "updated"
    assert len(github.open_issues("10dlc-drift")) == 1
    # An unrelated issue with the label but not our marker is left alone.
    github.route("POST", "/issues", {}, {"title": "other", "body": "hand-written", "labels": ["10dlc-drift"]},
                 github.url)
    p = run(github, tmp_path, "drift-issue", "--exit-code", "0", "--body-file", body)
    assert p.outputs["action"] == "closed"
    assert [i["title"] for i in github.open_issues()] == ["other"]


@pytest.mark.parametrize("code", ["1", "3", "4"])
def test_drift_issue_leaves_the_issue_when_the_check_failed(github, tmp_path, code):
    body = write(tmp_path, "drift.md", "x")
    p = run(github, tmp_path, "drift-issue", "--exit-code", code, "--body-file", body)
    assert p.returncode == 1 and "left as it is" in p.stderr and not github.issues


def test_reviewed_plan_refuses_an_expired_artifact(github, tmp_path):
    """The saved plan is what shows the comment's checksum is the plan run's: without it, nothing is applied."""
    github.open_pr(9, "b" * 40)
    github.add_run(77, "plan.yml", "e" * 40, "workflow_run")
    plan = write(tmp_path, "plan.json", saved(checksum="abc"))
    body = write(tmp_path, "plan.md", "plan\n")
    run(github, tmp_path, "comment", "--pr", "9", "--body-file", body, "--plan", plan,
        "--head-sha", "b" * 40, "--artifact", "reconciler-plan")
    github.merge_pr(9, "c" * 40)
    p = run(github, tmp_path, "reviewed-plan", "--sha", "c" * 40)
    assert p.returncode == 3 and p.outputs == {} and "is gone or unreadable" in p.stderr, p.stderr
    assert "artifact reconciler-plan of run 77 is gone" in p.stderr


def test_plan_gate(tmp_path):
    safe = write(tmp_path, "safe.json", saved("a", has_changes=False))
    unsafe = write(tmp_path, "unsafe.json", saved("b", safe=False, unsafe=("30 numbers would unassign",)))
    ok = run(None, tmp_path, "plan-gate", safe)
    bad = run(None, tmp_path, "plan-gate", unsafe)
    assert ok.returncode == 0 and ok.outputs["has_changes"] == "false" and ok.outputs["checksum"] == "a"
    assert bad.returncode == 3 and "30 numbers would unassign" in bad.stderr
    assert "raise the limit they are over in the files' `policy:`" in bad.stderr
    # A reason's "re-run with --allow-…" hint leads nowhere in CI (no option reaches the reviewed plan).
    hinted = write(tmp_path, "hinted.json", saved("c", safe=False, unsafe=(
        "12 numbers would reassign (over max_reassign 10); re-run with --allow-reassign 12 to allow exactly these 12",)))
    gated = run(None, tmp_path, "plan-gate", hinted)
    assert gated.returncode == 3 and "12 numbers would reassign (over max_reassign 10)" in gated.stderr, gated.stderr
    assert "--allow-reassign" not in gated.stderr and "`policy:`" in gated.stderr, gated.stderr
    for text in ('{"checksum": "x"}', "[1]", "not json", '{"kind": "saved_plan", "checksum": 5, "unsafe": []}'):
        junk = write(tmp_path, "junk.json", text)
        p = run(None, tmp_path, "plan-gate", junk)
        assert p.returncode == 1 and "junk.json" in p.stderr and "Traceback" not in p.stderr, p.stderr
    missing = run(None, tmp_path, "plan-gate", "nope.json")
    assert missing.returncode == 1 and "cannot read plan file" in missing.stderr


def test_the_token_never_follows_a_redirect_or_a_link_to_another_host(tmp_path):
    """A 302 to another host, and a `Link: rel=next` to another host: neither receives the token."""
    import http.server
    import threading

    seen: list[str | None] = []

    class Other(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append(self.headers.get("Authorization"))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"[]")

        def log_message(self, *a):
            pass

    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Other)
    there = f"http://127.0.0.1:{other.server_address[1]}"

    class Api(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            if "redirect" in self.path:
                self.send_response(302)
                self.send_header("Location", there + "/steal")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Link", f'<{there}/page2>; rel="next"')
            self.end_headers()
            self.wfile.write(b"[1]")

        def log_message(self, *a):
            pass

    api = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
    for srv in (other, api):
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        from reconciler.ci.github import GitHub, GitHubError

        gh = GitHub(api_url=f"http://127.0.0.1:{api.server_address[1]}", token="ghs-SECRET", repository="a/b")
        with pytest.raises(GitHubError, match="redirect"):
            gh.request("GET", "/redirect")
        with pytest.raises(GitHubError, match="refusing to send the token"):
            list(gh.paginate("/list"))
        assert seen == []
    finally:
        for srv in (other, api):
            srv.shutdown()
            srv.server_close()


def test_a_step_output_with_a_line_break_cannot_set_another_output(tmp_path, monkeypatch):
    from reconciler.ci.actions import set_output

    from .actions_runner import _read_kv_file

    out = tmp_path / "out"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    set_output("checksum", "x\npr=1")
    set_output("pr", "7")
    assert _read_kv_file(out) == {"checksum": "x\npr=1", "pr": "7"}


# ---------------------------------------------------------------- trust: only what the bot wrote

HEAD, MERGED = "d" * 40, "e" * 40


# The gated plan run (and its artifact, holding a saved plan with that checksum) behind each checksum the
# tests' comments name: `merged()` registers them, and a comment names its run unless a test says otherwise.
PLAN_RUNS = {c: 501 + i for i, c in enumerate(["good", "first", "second", "third", "other-head", "mine", "app"])}


def plan_comment(**meta) -> str:
    from reconciler.ci.marked import meta_line

    if isinstance(meta.get("checksum"), str) and meta["checksum"] in PLAN_RUNS and "artifact" not in meta:
        meta = {"run_id": PLAN_RUNS[meta["checksum"]], "artifact": "reconciler-plan", **meta}
    return f"{MARK}\n{meta_line({'kind': 'plan', **meta})}\n## 10DLC plan\n"


def genuine(**extra) -> str:
    return plan_comment(checksum="good", safe=True, has_changes=True, head_sha=HEAD, **extra)


def forged(**extra) -> str:
    return plan_comment(checksum="evil", safe=True, has_changes=True, head_sha=HEAD, **extra)


def merged(github, number: int = 20) -> None:
    github.open_pr(number, HEAD)
    github.merge_pr(number, MERGED)
    for checksum, run_id in PLAN_RUNS.items():
        github.add_run(run_id, "plan.yml", "e" * 40, "workflow_run", conclusion="success")
        github.add_artifact(run_id, "reconciler-plan", {"plan.json": saved(checksum).encode()})


def reviewed(github, tmp_path, *args, **kw):
    return run(github, tmp_path, "reviewed-plan", "--sha", MERGED, *args, **kw)


def test_a_plan_comment_by_anyone_but_the_bot_is_ignored(github, tmp_path):
    merged(github)
    github.comment(20, forged(), login="mallory")
    github.comment(20, forged(), login="dependabot[bot]")  # another bot is not ours either
    p = reviewed(github, tmp_path)
    assert p.returncode == 3 and "no reconciler plan comment by github-actions[bot]" in p.stderr, p.stderr
    assert "ignored 2 comments" in p.stderr and "evil" not in p.stderr + p.stdout
    assert p.outputs == {}


@pytest.mark.parametrize("order", ["forged first", "genuine first"])
def test_a_forged_comment_before_or_after_the_genuine_one_changes_nothing(github, tmp_path, order):
    merged(github)
    posts = [(forged(), "mallory"), (genuine(), "github-actions[bot]")]
    for body, login in posts if order == "forged first" else posts[::-1]:
        github.comment(20, body, login=login)
    p = reviewed(github, tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.outputs["checksum"] == "good" and p.outputs["head_sha"] == HEAD and p.outputs["pr"] == "20"


def test_the_newest_bot_comment_for_the_merged_head_wins(github, tmp_path):
    merged(github)
    older = github.comment(20, plan_comment(checksum="first", head_sha=HEAD))
    github.comment(20, plan_comment(checksum="second", head_sha=HEAD))
    github.comment(20, plan_comment(checksum="other-head", head_sha="f" * 40))
    assert reviewed(github, tmp_path).outputs["checksum"] == "second"
    # The older one edited last (a sticky comment is edited in place): it is the newest now.
    github.route("PATCH", f"/issues/comments/{older['id']}", {}, {"body": plan_comment(checksum="third",
                                                                                       head_sha=HEAD)}, github.url)
    assert reviewed(github, tmp_path).outputs["checksum"] == "third"


def test_the_newest_bot_comment_for_the_head_says_the_plan_failed(github, tmp_path):
    merged(github)
    github.comment(20, genuine())
    github.comment(20, plan_comment(head_sha=HEAD))  # a later run failed: no checksum
    p = reviewed(github, tmp_path)
    assert p.returncode == 3 and "failed or never finished" in p.stderr


def test_a_comment_without_a_head_commit_is_refused(github, tmp_path):
    merged(github)
    github.comment(20, plan_comment(checksum="good"))
    p = reviewed(github, tmp_path)
    assert p.returncode == 3 and "names no head commit" in p.stderr and p.outputs == {}


def test_a_comment_for_another_head_is_refused_without_echoing_it(github, tmp_path):
    merged(github)
    github.comment(20, plan_comment(checksum="good", head_sha="x\n::error::pwned"))
    p = reviewed(github, tmp_path)
    assert p.returncode == 3 and "an unreadable commit" in p.stderr and "pwned" not in p.stderr


@pytest.mark.parametrize("meta", [
    {"checksum": "good\npr=1"},
    {"checksum": "good pr=1"},
    {"checksum": ["good"]},
    {"checksum": "good", "run_id": 77, "artifact": "reconciler-plan\nplan_file=/etc/passwd"},
    {"checksum": "good", "run_id": "77\npr=1", "artifact": "reconciler-plan"},
    {"checksum": "good", "run_id": True, "artifact": "reconciler-plan"},
])
def test_values_with_injected_line_breaks_or_odd_shapes_are_refused(github, tmp_path, meta):
    merged(github)
    github.add_run(77, "plan.yml", "e" * 40, "workflow_run")
    github.comment(20, plan_comment(head_sha=HEAD, **meta))
    p = reviewed(github, tmp_path)
    assert p.returncode == 3 and "malformed" in p.stderr, p.stderr
    assert p.outputs == {} and "pr=1" not in p.stderr and "passwd" not in p.stderr


def _saved_plan(github, run_id: int, checksum: str = "good") -> None:
    github.add_artifact(run_id, "reconciler-plan", {"plan.json": saved(checksum).encode()})


@pytest.mark.parametrize("run, why", [
    (dict(workflow="drift.yml", head_sha=HEAD, event="workflow_run"), "not a run of .github/workflows/plan.yml"),
    (dict(workflow="plan.yml", head_sha=HEAD, event="pull_request"), "not the gated plan"),
    (dict(workflow="plan.yml", head_sha=HEAD, event="push"), "not the gated plan"),
    (dict(workflow="plan.yml", head_sha=HEAD, event="workflow_run", head_branch="feature"),
     "did not run the code of main"),
    (dict(workflow="plan.yml", head_sha=HEAD, event="workflow_run", head_repo="mallory/estate"),
     "came from another repository"),
])
def test_the_artifact_comes_only_from_the_gated_plan_run(github, tmp_path, run, why):
    """The saved plan is read only from a run of this repository's plan workflow that ran the default
    branch's code (workflow_run): a pull request's own run, or a branch's, could upload anything."""
    merged(github)
    github.add_run(88, **run)
    _saved_plan(github, 88)
    github.comment(20, genuine(run_id=88, artifact="reconciler-plan"))
    p = reviewed(github, tmp_path)
    assert p.returncode == 3 and why in p.stderr, p.stderr
    assert not (tmp_path / "reviewed-plan.json").exists()
    assert not [r for r in github.requests if r[1].startswith("/blob/")]


def test_the_artifact_of_the_named_plan_run_is_used(github, tmp_path):
    merged(github)
    github.add_run(88, "plan.yml", "e" * 40, "workflow_run")
    _saved_plan(github, 88)
    github.add_run(89, "plan.yml", "e" * 40, "workflow_run")  # a later run's artifact of the same name is not it
    _saved_plan(github, 89, "evil")
    github.comment(20, genuine(run_id=88, artifact="reconciler-plan"))
    p = reviewed(github, tmp_path)
    assert p.returncode == 0 and p.outputs["plan_file"] == "reviewed-plan.json", p.stderr
    assert (tmp_path / "reviewed-plan.json").read_text() == saved("good")


def test_a_plan_run_github_no_longer_has_is_refused(github, tmp_path):
    """Without the saved plan, nothing shows the comment's checksum is the plan run's: refused."""
    merged(github)
    github.comment(20, genuine(run_id=88, artifact="reconciler-plan"))
    p = reviewed(github, tmp_path)
    assert p.returncode == 3 and "plan run 88 is gone" in p.stderr and "is gone or unreadable" in p.stderr
    assert p.outputs == {}


def test_a_bot_comment_naming_a_checksum_and_no_artifact_is_refused(github, tmp_path):
    """What any workflow holding the bot's identity could post: checksum ATTACKER, no run, no artifact."""
    merged(github)
    github.comment(20, plan_comment(checksum="ATTACKER", safe=True, has_changes=True, head_sha=HEAD))
    p = reviewed(github, tmp_path)
    assert p.returncode == 3 and "names no plan run and artifact" in p.stderr, p.stderr
    assert p.outputs == {} and not (tmp_path / "reviewed-plan.json").exists()


def test_a_bot_comment_whose_artifact_says_another_checksum_is_refused(github, tmp_path):
    merged(github)
    github.comment(20, plan_comment(checksum="ATTACKER", safe=True, has_changes=True, head_sha=HEAD,
                                    run_id=PLAN_RUNS["good"], artifact="reconciler-plan"))
    p = reviewed(github, tmp_path)
    assert p.returncode == 3 and "does not carry" in p.stderr, p.stderr
    assert p.outputs == {} and not (tmp_path / "reviewed-plan.json").exists()


def test_with_a_github_app_only_that_apps_comments_are_trusted(github, tmp_path):
    """The workflows mint an App token (RECONCILER_APP_SLUG from create-github-app-token): the App's comments
    count, github-actions[bot]'s (any workflow's identity) do not, and a bot login that disagrees is an error."""
    merged(github)
    github.comment(20, genuine())  # github-actions[bot]: any workflow on any branch could have written it
    p = reviewed(github, tmp_path, env={"RECONCILER_APP_SLUG": "acme-10dlc"})
    assert p.returncode == 3 and "no reconciler plan comment by acme-10dlc[bot]" in p.stderr, p.stderr
    github.comment(20, plan_comment(checksum="app", head_sha=HEAD), login="acme-10dlc[bot]")
    p = reviewed(github, tmp_path, env={"RECONCILER_APP_SLUG": "acme-10dlc"})
    assert p.returncode == 0 and p.outputs["checksum"] == "app", p.stderr
    p = reviewed(github, tmp_path, env={"RECONCILER_APP_SLUG": "acme-10dlc", "RECONCILER_BOT_LOGIN": "github-actions[bot]"})
    assert p.returncode == 1 and "make them agree" in p.stderr


def test_a_personal_token_trusts_only_its_own_comments(github, tmp_path):
    """A user token: GET /user names the author to trust; the workflow bot's comments are not it."""
    merged(github)
    token = github.user_token("release-bot-user")
    github.comment(20, genuine())  # by github-actions[bot]
    p = reviewed(github, tmp_path, token=token)
    assert p.returncode == 3 and "by release-bot-user" in p.stderr
    github.comment(20, plan_comment(checksum="mine", head_sha=HEAD), login="release-bot-user")
    assert reviewed(github, tmp_path, token=token).outputs["checksum"] == "mine"


def test_an_explicit_bot_login_is_the_only_author_trusted(github, tmp_path):
    """A GitHub App's installation token cannot ask GET /user who it is: say it (RECONCILER_BOT_LOGIN)."""
    merged(github)
    github.comment(20, genuine())
    github.comment(20, plan_comment(checksum="app", head_sha=HEAD), login="my-app[bot]")
    p = reviewed(github, tmp_path, env={"RECONCILER_BOT_LOGIN": "my-app[bot]"})
    assert p.returncode == 0 and p.outputs["checksum"] == "app"
    p = reviewed(github, tmp_path, env={"RECONCILER_BOT_LOGIN": "x\npr=1"})
    assert p.returncode == 1 and "not a GitHub login" in p.stderr and p.outputs == {}


def test_the_sticky_comment_never_edits_or_deletes_a_strangers_copy(github, tmp_path):
    github.open_pr(21, HEAD)
    theirs = github.comment(21, forged(), login="mallory")
    plan = write(tmp_path, "plan.json", saved(checksum="c1"))
    body = write(tmp_path, "plan.md", "## 10DLC plan\n\nours\n")
    for _ in range(2):
        p = run(github, tmp_path, "comment", "--pr", "21", "--body-file", body, "--plan", plan,
                "--head-sha", HEAD)
        assert p.returncode == 0, p.stderr
    comments = github.comments_on(21)
    assert [c["user"]["login"] for c in comments] == ["mallory", "github-actions[bot]"]
    assert comments[0] == theirs and "ours" in comments[1]["body"]
    assert not [r for r in github.requests if r[0] in ("PATCH", "DELETE") and str(theirs["id"]) in r[1]]


def test_follow_up_edits_only_the_bots_apply_comment(github, tmp_path):
    github.open_pr(22, HEAD)
    apply_mark = "<!-- telnyx-10dlc-reconciler:apply -->"
    ours = github.comment(22, apply_mark + "\n## 10DLC apply\n")
    theirs = github.comment(22, apply_mark + "\nforged", login="mallory")
    report = write(tmp_path, "resume.json", json.dumps({"writes": [
        {"note": {"pr": "22"}, "operation": "bulk_assign", "numbers": 2, "counts": {"done": 2},
         "closed_as": "done", "age_seconds": 7800, "telnyx_id": "task-1", "campaign": "CWZTFH1"}]}))
    p = run(github, tmp_path, "follow-up", "--report", report)
    assert p.returncode == 0 and p.outputs["updated"] == "22", p.stderr
    assert "2/2 assigned after 2 h 10 min" in github.comments[ours["id"]]["body"]
    assert github.comments[theirs["id"]]["body"] == apply_mark + "\nforged"


def test_the_state_folder_comes_only_from_runs_on_the_default_branch(github, tmp_path):
    """A branch's workflow run, or a fork's pull request run, can upload an artifact named
    reconciler-state too; a forged journal must not become the next job's memory of work in flight."""
    github.add_run(301, "drift.yml", HEAD, "schedule")
    github.add_artifact(301, "reconciler-state", {"journal.jsonl": b'{"genuine": true}\n'})
    github.add_run(302, "drift.yml", HEAD, "workflow_dispatch", head_branch="feature")
    github.add_artifact(302, "reconciler-state", {"journal.jsonl": b'{"forged": "branch"}\n'})
    github.add_run(303, "plan.yml", HEAD, "pull_request", head_repo="mallory/estate", head_branch="main")
    github.add_artifact(303, "reconciler-state", {"journal.jsonl": b'{"forged": "fork"}\n'})
    p = run(github, tmp_path, "state-store", "restore", "--dir", "state")
    assert p.returncode == 0, p.stderr
    assert p.outputs["run_id"] == "301" and "ignored 2 reconciler-state artifacts" in p.stderr
    assert (tmp_path / "state" / "journal.jsonl").read_bytes() == b'{"genuine": true}\n'
    # Nothing trusted at all: the first run's empty start, never a forged journal.
    github.artifacts = {k: a for k, a in github.artifacts.items() if a["run_id"] != 301}
    p = run(github, tmp_path, "state-store", "restore", "--dir", "state2")
    assert p.outputs["restored"] == "false" and p.outputs["lost"] == "false", p.stderr
    assert (tmp_path / "state2" / "journal.jsonl").read_bytes() == b""


def test_apply_queue_names_only_merges_whose_apply_never_ran(github, tmp_path):
    """Newest first: this run, two merges' applies cancelled in the queue, a by-hand apply cancelled,
    then an apply that ran. Only the two merges are told; nothing older than the one that ran."""
    for sha, pr in [("1" * 40, 31), ("2" * 40, 32), ("3" * 40, 33)]:
        github.open_pr(pr, sha)
        github.merge_pr(pr, sha)
    github.add_run(401, "apply.yml", "0" * 40, "push", conclusion="cancelled")  # older than the one that ran
    github.add_run(402, "apply.yml", "1" * 40, "push", conclusion="success")
    github.add_run(403, "apply.yml", "1" * 40, "workflow_dispatch", conclusion="cancelled")
    github.add_run(404, "apply.yml", "2" * 40, "push", conclusion="cancelled")
    github.add_run(405, "apply.yml", "3" * 40, "push", conclusion="cancelled")
    github.add_run(406, "apply.yml", "4" * 40, "push")  # this run
    github.add_run(407, "apply.yml", "5" * 40, "push", head_branch="feature", conclusion="cancelled")
    p = run(github, tmp_path, "apply-queue", "covered", "--pr", "34", "--outcome", "failure",
            env={"GITHUB_RUN_ID": "406"})
    assert p.returncode == 0 and p.outputs["covered"] == "33,32", p.stderr
    for pr in (32, 33):
        (note,) = github.comments_on(pr)
        assert "did not finish" in note["body"] and "run 406" in note["body"] and "#34" in note["body"]
    assert not github.comments_on(31)
    # The drift job: the newest run on main is this one, in progress: nothing to warn about.
    assert run(github, tmp_path, "apply-queue", "check").outputs["unapplied"] == ""
    github.runs[406].update(status="completed", conclusion="cancelled")
    assert run(github, tmp_path, "apply-queue", "check").outputs["unapplied"] == "4" * 40


def test_every_helper_writes_its_outputs_through_the_random_delimiter():
    """Only reconciler/ci/actions.py opens GITHUB_OUTPUT (name<<random delimiter)."""
    import re

    opens = re.compile(r"""environ(?:\.get\(|\[)\s*["']GITHUB_OUTPUT""")
    assert opens.search((CI / "actions.py").read_text())
    for path in CI.glob("*.py"):
        if path.name != "actions.py":
            assert not opens.search(path.read_text()), path.name


# ---------------------------------------------------------------- the gate: what the plan is for, and when apply runs


def _event(tmp_path: Path, event: object) -> dict[str, str]:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event) if not isinstance(event, str) else event)
    return {"GITHUB_EVENT_PATH": str(path), "GITHUB_EVENT_NAME": "workflow_run", "GITHUB_SHA": "e" * 40}


def _run_event(**over) -> dict:
    run = {"event": "pull_request", "conclusion": "success", "head_sha": HEAD,
           "head_repository": {"full_name": "acme/estate"}, "pull_requests": [{"number": 5, "head": {"sha": HEAD}}]}
    return {"workflow_run": {**run, **over}}


def test_plan_target_names_the_pull_request_and_its_head(github, tmp_path):
    p = run(github, tmp_path, "plan-target", env=_event(tmp_path, _run_event()))
    assert p.returncode == 0 and p.outputs == {"pr": "5", "head_sha": HEAD, "plan": "true"}, p.stderr
    by_hand = run(github, tmp_path, "plan-target", env={**_event(tmp_path, {}), "GITHUB_EVENT_NAME": "workflow_dispatch"})
    assert by_hand.outputs == {"pr": "", "head_sha": "e" * 40, "plan": "true"}


@pytest.mark.parametrize("over, why", [
    ({"event": "push"}, "not for a pull request"),
    ({"conclusion": "failure"}, "validate did not pass"),
    ({"head_repository": {"full_name": "mallory/estate"}}, "a fork's pull request"),
    ({"pull_requests": []}, "0 pull requests"),
    ({"pull_requests": [{"number": 5, "head": {"sha": "f" * 40}}]}, "0 pull requests"),
    ({"pull_requests": [{"number": "5\npr=9", "head": {"sha": HEAD}}]}, "0 pull requests"),
    ({"pull_requests": [{"number": 5, "head": {"sha": HEAD}}, {"number": 6, "head": {"sha": HEAD}}]},
     "2 pull requests"),
])
def test_plan_target_plans_nothing_it_cannot_vouch_for(github, tmp_path, over, why):
    p = run(github, tmp_path, "plan-target", env=_event(tmp_path, _run_event(**over)))
    assert p.returncode == 0 and p.outputs["plan"] == "false" and p.outputs["pr"] == "", p.stderr
    assert why in p.stderr and "pr=9" not in p.stderr


@pytest.mark.parametrize("event, name, why", [
    (_run_event(head_sha="x\nhead_sha=evil"), "workflow_run", "names no head commit"),
    ("not json", "workflow_run", "cannot read the event"),
    ([1, 2], "workflow_run", "not a JSON object"),
    (_run_event(), "pull_request", "must never hold the key"),
    (_run_event(), "pull_request_target", "must never hold the key"),
])
def test_plan_target_refuses_malformed_events_and_the_wrong_trigger(github, tmp_path, event, name, why):
    p = run(github, tmp_path, "plan-target", env={**_event(tmp_path, event), "GITHUB_EVENT_NAME": name})
    assert p.returncode == 1 and why in p.stderr and "Traceback" not in p.stderr, p.stderr
    assert p.outputs == {} and "evil" not in p.stderr


def test_status_sets_the_required_check_on_the_head(github, tmp_path):
    p = run(github, tmp_path, "status", "--sha", HEAD, "--state", "success", "--description", "plan\nposted")
    assert p.returncode == 0, p.stderr
    (st,) = github.statuses[HEAD]
    assert st["context"] == "10dlc plan" and st["description"] == "plan posted"
    assert st["target_url"] == "https://github.com/acme/estate/actions/runs/77"
    for args, why in ((["--sha", "abc", "--state", "success"], "full commit id"),
                      (["--sha", HEAD, "--state", "done"], "Invalid value"),
                      (["--sha", HEAD, "--state", "success", "--context", "x\ny"], "--context")):
        bad = run(github, tmp_path, "status", *args)
        assert bad.returncode == 1 and why in bad.stderr and "Traceback" not in bad.stderr


def test_ready_skips_green_with_a_notice_without_key_or_seed(tmp_path):
    summary = tmp_path / "summary.md"
    p = run(None, tmp_path, "ready", env={"HAS_TELNYX_KEY": "false", "SEED": "", "GITHUB_STEP_SUMMARY": str(summary),
                                          "GITHUB_ACTIONS": "true"})
    assert p.returncode == 0 and p.outputs == {"ready": "false"} and "::notice::" in p.stderr
    assert "Skipped: no TELNYX_API_KEY" in summary.read_text()
    for env in ({"HAS_TELNYX_KEY": "true", "SEED": ""}, {"HAS_TELNYX_KEY": "false", "SEED": "seed.yaml"}):
        assert run(None, tmp_path, "ready", env=env).outputs == {"ready": "true"}


@pytest.mark.parametrize("env, code, out", [
    ({"EVENT": "push", "CREATED": "false"}, 0, "true"),
    ({"EVENT": "push", "CREATED": "true"}, 0, "false"),
    ({"EVENT": "workflow_dispatch", "GITHUB_REF_NAME": "main", "EXPECT_CHECKSUM": "abc123"}, 0, "true"),
    ({"EVENT": "workflow_dispatch", "GITHUB_REF_NAME": "feature", "EXPECT_CHECKSUM": "abc123"}, 3, None),
    ({"EVENT": "workflow_dispatch", "GITHUB_REF_NAME": "main", "EXPECT_CHECKSUM": "abc\npr=1"}, 3, None),
    ({"EVENT": "workflow_dispatch", "GITHUB_REF_NAME": "main", "EXPECT_CHECKSUM": ""}, 3, None),
    ({"EVENT": "pull_request"}, 3, None),
])
def test_apply_decision(tmp_path, env, code, out):
    p = run(None, tmp_path, "apply-decision", env={"DEFAULT_BRANCH": "main", **env})
    assert p.returncode == code, p.stderr
    assert p.outputs.get("apply") == out and "Traceback" not in p.stderr


def test_start_sandbox_refuses_where_a_key_is_in_reach_and_a_missing_seed(tmp_path):
    p = run(None, tmp_path, "start-sandbox", "seed.yaml", env={"HAS_TELNYX_KEY": "true"})
    assert p.returncode == 1 and "can reach a Telnyx key" in p.stderr and p.outputs == {}
    p = run(None, tmp_path, "start-sandbox", "missing.yaml", env={"HAS_TELNYX_KEY": "false"})
    assert p.returncode == 1 and "not found" in p.stderr


def test_bad_arguments_are_a_clear_error_not_a_traceback(github, tmp_path):
    for args in (["comment", "--pr", "0", "--body-file", "x"], ["drift-issue", "--exit-code", "x", "--body-file", "x"],
                 ["reviewed-plan", "--sha", "not-hex"], ["reviewed-plan", "--sha", MERGED, "--branch", "a b"],
                 ["apply-queue", "covered", "--workflow", "../x y"], ["state-store", "restore", "--name", "../x"],
                 ["drift-issue", "--exit-code", "2", "--body-file", "x", "--label", "a\nb"],
                 ["comment", "--pr", "1", "--body-file", "x", "--group", "a --> <script>"]):
        p = run(github, tmp_path, *args)
        assert p.returncode in (1, 2) and "Traceback" not in p.stderr and p.stderr.strip(), (args, p.stderr)
