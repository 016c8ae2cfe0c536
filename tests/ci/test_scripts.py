"""scripts/ci/ against the fake GitHub: the edge cases the workflow runs do not reach."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts" / "ci"
MARK = "<!-- telnyx-10dlc-reconciler:plan -->"


def run(github, tmp_path: Path, script: str, *args: str, token: str | None = None) -> subprocess.CompletedProcess:
    out = tmp_path / "out.txt"
    out.write_text("")
    env = {"PATH": os.environ["PATH"], "GITHUB_API_URL": github.url, "GITHUB_REPOSITORY": github.repo,
           "GITHUB_TOKEN": github.token if token is None else token, "GITHUB_OUTPUT": str(out),
           "GITHUB_RUN_ID": "77", "GITHUB_SERVER_URL": "https://github.com"}
    p = subprocess.run([sys.executable, str(SCRIPTS / script), *args], env=env, cwd=tmp_path, capture_output=True,
                       text=True, timeout=60)
    from .actions_runner import _read_kv_file

    p.outputs = _read_kv_file(out)  # type: ignore[attr-defined]
    return p


def write(tmp_path: Path, name: str, text: str) -> str:
    (tmp_path / name).write_text(text)
    return name


def test_sticky_comment_found_past_the_first_page_and_duplicates_folded(github, tmp_path):
    github.open_pr(5, "a" * 40)
    for i in range(150):
        github.route("POST", "/issues/5/comments", {}, {"body": f"chatter {i}"}, github.url)
    plan = write(tmp_path, "plan.json", json.dumps({"checksum": "c1", "safe": True, "has_changes": True}))
    body = write(tmp_path, "plan.md", "## 10DLC plan\n\nfirst\n")
    assert run(github, tmp_path, "sticky_comment.py", "--pr", "5", "--body-file", body, "--plan", plan).returncode == 0
    ours = [c for c in github.comments_on(5) if c["body"].startswith(MARK)]
    assert len(ours) == 1
    # A duplicate left by an older tool: the next run keeps the first and deletes the other.
    github.route("POST", "/issues/5/comments", {}, {"body": MARK + "\nold copy"}, github.url)
    write(tmp_path, "plan.md", "## 10DLC plan\n\nsecond\n")
    p = run(github, tmp_path, "sticky_comment.py", "--pr", "5", "--body-file", body, "--plan", plan)
    assert p.returncode == 0, p.stderr
    ours2 = [c for c in github.comments_on(5) if c["body"].startswith(MARK)]
    assert [c["id"] for c in ours2] == [ours[0]["id"]] and "second" in ours2[0]["body"]
    assert p.outputs["checksum"] == "c1" and p.outputs["safe"] == "true"
    assert len(github.comments_on(5)) == 151


def test_matrix_keys_get_their_own_comment(github, tmp_path):
    github.open_pr(6, "a" * 40)
    body = write(tmp_path, "plan.md", "plan\n")
    for key in ("east", "west", "east"):
        assert run(github, tmp_path, "sticky_comment.py", "--pr", "6", "--body-file", body, "--key", key).returncode == 0
    bodies = [c["body"].splitlines()[0] for c in github.comments_on(6)]
    assert bodies == ["<!-- telnyx-10dlc-reconciler:plan:east -->", "<!-- telnyx-10dlc-reconciler:plan:west -->"]


def test_a_huge_body_is_cut_to_githubs_limit(github, tmp_path):
    github.open_pr(7, "a" * 40)
    body = write(tmp_path, "plan.md", "x" * 70_000)
    assert run(github, tmp_path, "sticky_comment.py", "--pr", "7", "--body-file", body).returncode == 0
    text = github.comments_on(7)[0]["body"]
    assert len(text) <= 65_536 and "cut to fit" in text


def test_missing_token_is_a_clear_error(github, tmp_path):
    body = write(tmp_path, "plan.md", "plan\n")
    p = run(github, tmp_path, "sticky_comment.py", "--pr", "1", "--body-file", body, token="")
    assert p.returncode == 1 and "GITHUB_TOKEN is not set" in p.stderr


def test_bad_token_names_the_call_but_not_the_token(github, tmp_path):
    body = write(tmp_path, "plan.md", "plan\n")
    p = run(github, tmp_path, "sticky_comment.py", "--pr", "1", "--body-file", body, token="ghs-wrong-123")
    assert p.returncode == 1 and "HTTP 401" in p.stderr and "ghs-wrong-123" not in p.stderr + p.stdout


def test_drift_issue_closes_duplicates_and_creates_its_label(github, tmp_path):
    body = write(tmp_path, "drift.md", "## 10DLC drift\n\n**Drift found: 1 out of band.**\n")
    p = run(github, tmp_path, "drift_issue.py", "--exit-code", "2", "--body-file", body)
    assert p.returncode == 0 and p.outputs["action"] == "opened"
    assert "10dlc-drift" in github.labels
    # Someone opened a second one by hand (same marker, same label).
    github.route("POST", "/issues", {}, {"title": "dup", "body": github.open_issues()[0]["body"],
                                         "labels": ["10dlc-drift"]}, github.url)
    p = run(github, tmp_path, "drift_issue.py", "--exit-code", "2", "--body-file", body)
    assert p.outputs["action"] == "updated"
    assert len(github.open_issues("10dlc-drift")) == 1
    # An unrelated issue with the label but not our marker is left alone.
    github.route("POST", "/issues", {}, {"title": "other", "body": "hand-written", "labels": ["10dlc-drift"]},
                 github.url)
    p = run(github, tmp_path, "drift_issue.py", "--exit-code", "0", "--body-file", body)
    assert p.outputs["action"] == "closed"
    assert [i["title"] for i in github.open_issues()] == ["other"]


@pytest.mark.parametrize("code", ["1", "3", "4"])
def test_drift_issue_leaves_the_issue_when_the_check_failed(github, tmp_path, code):
    body = write(tmp_path, "drift.md", "x")
    p = run(github, tmp_path, "drift_issue.py", "--exit-code", code, "--body-file", body)
    assert p.returncode == 1 and "left as it is" in p.stderr and not github.issues


def test_reviewed_plan_survives_an_expired_artifact(github, tmp_path):
    github.open_pr(9, "b" * 40)
    plan = write(tmp_path, "plan.json", json.dumps({"checksum": "abc", "safe": True, "has_changes": True}))
    body = write(tmp_path, "plan.md", "plan\n")
    run(github, tmp_path, "sticky_comment.py", "--pr", "9", "--body-file", body, "--plan", plan,
        "--head-sha", "b" * 40, "--artifact", "reconciler-plan")
    github.merge_pr(9, "c" * 40)
    p = run(github, tmp_path, "reviewed_plan.py", "--sha", "c" * 40)
    assert p.returncode == 0 and p.outputs == {"pr": "9", "checksum": "abc", "plan_file": "", "head_sha": "b" * 40}
    assert "checking the checksum only" in p.stderr


def test_plan_gate(tmp_path):
    safe = write(tmp_path, "safe.json", json.dumps({"checksum": "a", "safe": True, "has_changes": False}))
    unsafe = write(tmp_path, "unsafe.json", json.dumps({"checksum": "b", "safe": False, "has_changes": True,
                                                        "unsafe": ["30 numbers would unassign"]}))
    ok = subprocess.run([sys.executable, str(SCRIPTS / "plan_gate.py"), safe], cwd=tmp_path, capture_output=True,
                        text=True, env={"PATH": os.environ["PATH"]})
    bad = subprocess.run([sys.executable, str(SCRIPTS / "plan_gate.py"), unsafe], cwd=tmp_path, capture_output=True,
                         text=True, env={"PATH": os.environ["PATH"]})
    assert ok.returncode == 0 and "has_changes=false" in ok.stdout
    assert bad.returncode == 3 and "30 numbers would unassign" in bad.stderr


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
        sys.path.insert(0, str(SCRIPTS))
        from _github import GitHub, GitHubError

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
    sys.path.insert(0, str(SCRIPTS))
    from _github import set_output

    from .actions_runner import _read_kv_file

    out = tmp_path / "out"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    set_output("checksum", "x\npr=1")
    set_output("pr", "7")
    assert _read_kv_file(out) == {"checksum": "x\npr=1", "pr": "7"}
