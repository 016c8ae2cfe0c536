"""A tiny fake of the GitHub REST API on loopback: just what `reconciler ci` calls.

State is plain dicts; every request is recorded (method, path, whether it carried the token) so
tests can assert on the traffic, e.g. that the token never reaches the artifact storage host.

Every token belongs to someone: the default one is the workflow's GITHUB_TOKEN, written as
`github-actions[bot]` (and, like GitHub's installation token, refused by GET /user with 403);
`user_token(login)` makes a personal token for anyone else. A comment's author is whoever's token
posted it, so a test can post as a stranger and check that the scripts ignore it.
"""

from __future__ import annotations

import io
import json
import re
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

REPO = "acme/estate"
BOT = "github-actions[bot]"


@dataclass
class FakeGitHub:
    token: str = "ghs-fake-token"
    repo: str = REPO
    logins: dict[str, str] = field(default_factory=dict)  # token -> login (the default token: the bot)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> {id, issue, body, user, *_at}
    runs: dict[int, dict[str, Any]] = field(default_factory=dict)  # workflow run id -> run
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)  # number -> issue
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    commit_pulls: dict[str, list[int]] = field(default_factory=dict)  # sha -> PR numbers
    labels: set[str] = field(default_factory=set)
    artifacts: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> {id, name, run_id, expired, zip}
    requests: list[tuple[str, str, bool]] = field(default_factory=list)
    statuses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # sha -> statuses set, oldest first
    default_branch: str = "main"  # what GET /repos/{repo} says
    apps: dict[str, tuple[str, str]] = field(default_factory=dict)  # app id -> (slug, private key)
    tags: dict[str, str] = field(default_factory=dict)  # tag -> commit (GET /commits/{ref}, Accept: ...sha)
    # Commits on no branch of the repository (a pushed tag, say): GET /compare says they diverged from any branch.
    foreign_commits: set[str] = field(default_factory=set)
    _next: int = 100
    _clock: int = 0

    # ---------------------------------------------------------------- setup helpers

    def next_id(self) -> int:
        self._next += 1
        return self._next

    def now(self) -> str:
        """A timestamp that grows by a second on every call, in GitHub's format."""
        import datetime

        self._clock += 1
        t = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=self._clock)
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")

    def login_of(self, token: str | None) -> str | None:
        return BOT if token == self.token else self.logins.get(token or "")

    def user_token(self, login: str) -> str:
        token = f"ghp-{login}-token"
        self.logins[token] = login
        return token

    def add_app(self, app_id: str, slug: str, private_key: str) -> None:
        """A GitHub App installed on the repository: create-github-app-token (the runner's stand-in) mints a
        token for it with its private key; that token writes as `<slug>[bot]`."""
        self.apps[app_id] = (slug, private_key)

    def app_token(self, app_id: str, private_key: str) -> tuple[str, str] | None:
        """(token, slug) for the App, or None when the key is not the App's."""
        slug, key = self.apps.get(app_id, ("", None))
        if key is None or key != private_key:
            return None
        token = f"ghs-app-{slug}-token"
        self.logins[token] = f"{slug}[bot]"
        return token, slug

    def comment(self, issue: int, body: str, login: str = BOT) -> dict[str, Any]:
        """Post a comment as `login` (what GitHub would record as its author)."""
        cid = self.next_id()
        at = self.now()
        self.comments[cid] = {"id": cid, "issue": issue, "body": body, "user": {"login": login,
                              "type": "Bot" if login.endswith("[bot]") else "User"},
                              "created_at": at, "updated_at": at,
                              "html_url": f"https://github.com/{self.repo}/pull/{issue}#issuecomment-{cid}"}
        return self.comments[cid]

    def add_run(self, run_id: int, workflow: str, head_sha: str, event: str, head_repo: str | None = None,
                head_branch: str = "main", conclusion: str | None = None) -> None:
        """A workflow run as GET /repos/{repo}/actions/runs/{id} shows it (completed when given a conclusion).
        The same id again is a re-run attempt: GitHub keeps the run's id and creation time, counts the attempt."""
        old = self.runs.get(run_id)
        self.runs[run_id] = {"id": run_id, "path": f".github/workflows/{workflow}", "head_sha": head_sha,
                             "event": event, "head_branch": head_branch,
                             "status": "completed" if conclusion else "in_progress", "conclusion": conclusion,
                             "repository": {"full_name": self.repo},
                             "head_repository": {"full_name": head_repo or self.repo},
                             "created_at": old["created_at"] if old else self.now(),
                             "run_attempt": old.get("run_attempt", 1) + 1 if old else 1, "jobs": []}

    def open_pr(self, number: int, head_sha: str) -> None:
        self.pulls[number] = {"number": number, "head": {"sha": head_sha}, "merged_at": None,
                              "merge_commit_sha": None, "state": "open"}
        self.issues[number] = {"number": number, "title": f"PR {number}", "state": "open", "labels": [],
                               "body": "", "pull_request": {"url": "x"}}

    def push_pr(self, number: int, head_sha: str) -> None:
        self.pulls[number]["head"]["sha"] = head_sha

    def merge_pr(self, number: int, merge_sha: str) -> None:
        pr = self.pulls[number]
        pr.update(merged_at="2026-01-01T00:00:00Z", merge_commit_sha=merge_sha, state="closed")
        self.commit_pulls.setdefault(merge_sha, []).append(number)

    def add_artifact(self, run_id: int, name: str, files: dict[str, bytes]) -> int:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for n, data in files.items():
                zf.writestr(n, data)
        aid = self.next_id()
        at = self.now()
        self.artifacts[aid] = {"id": aid, "name": name, "run_id": run_id, "expired": False, "zip": buf.getvalue(),
                               "created_at": at, "updated_at": at}
        return aid

    def status_of(self, sha: str, context: str = "10dlc plan") -> str | None:
        """The latest state of a commit status, as branch protection reads it."""
        states = [s["state"] for s in self.statuses.get(sha, []) if s.get("context") == context]
        return states[-1] if states else None

    def comments_on(self, issue: int) -> list[dict[str, Any]]:
        return [c for c in sorted(self.comments.values(), key=lambda c: c["id"]) if c["issue"] == issue]

    def open_issues(self, label: str | None = None) -> list[dict[str, Any]]:
        return [i for i in self.issues.values() if i["state"] == "open" and "pull_request" not in i
                and (label is None or label in [x["name"] for x in i["labels"]])]

    # ---------------------------------------------------------------- server

    def start(self) -> "FakeGitHub":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, body: Any = None, headers: dict[str, str] | None = None,
                      raw: bytes | None = None) -> None:
                data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json" if raw is None else "application/zip")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                parts = urlsplit(self.path)
                auth = self.headers.get("Authorization") or ""
                login = fake.login_of(auth[len("Bearer "):]) if auth.startswith("Bearer ") else None
                fake.requests.append((method, parts.path, bool(self.headers.get("Authorization"))))
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                if parts.path.startswith("/blob/"):  # artifact storage: a signed URL, no token wanted
                    art = fake.artifacts.get(int(parts.path.rsplit("/", 1)[1]))
                    return self._send(200, raw=art["zip"]) if art else self._send(404, {"message": "Not Found"})
                if login is None and not parts.path.startswith(f"/repos/{fake.repo}/commits/"):
                    return self._send(401, {"message": "Bad credentials"})
                if parts.path == "/user":  # an installation token (the bot) has no user
                    return self._send(403, {"message": "Resource not accessible by integration"}) \
                        if login.endswith("[bot]") else self._send(200, {"login": login, "type": "User"})
                prefix = f"/repos/{fake.repo}"
                tag = re.fullmatch(re.escape(prefix) + r"/commits/([^/]+)", parts.path)
                if tag and method == "GET" and "sha" in (self.headers.get("Accept") or ""):
                    sha = fake.tags.get(tag.group(1))
                    return self._send(200, raw=sha.encode()) if sha else self._send(422, {"message": "No commit found"})
                if parts.path == prefix and method == "GET":
                    return self._send(200, {"full_name": fake.repo, "default_branch": fake.default_branch})
                if not parts.path.startswith(prefix):
                    return self._send(404, {"message": "Not Found"})
                try:
                    code, out, headers = fake.route(method, parts.path[len(prefix):], parse_qs(parts.query), body,
                                                     f"http://{self.headers.get('Host')}", login=login)
                except KeyError:
                    code, out, headers = 404, {"message": "Not Found"}, {}
                self._send(code, out, headers)

            def do_PUT(self) -> None:
                self._handle("PUT")

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_PATCH(self) -> None:
                self._handle("PATCH")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # ---------------------------------------------------------------- routes

    def _page(self, items: list[Any], q: dict[str, list[str]], base: str, path: str, envelope: str | None = None
              ) -> tuple[int, Any, dict[str, str]]:
        per = min(int(q.get("per_page", ["30"])[0]), 100)
        page = int(q.get("page", ["1"])[0])
        chunk = items[(page - 1) * per: page * per]
        headers = {}
        if page * per < len(items):
            rest = "&".join(f"{k}={v[0]}" for k, v in q.items() if k != "page")
            headers["Link"] = f'<{base}/repos/{self.repo}{path}?{rest}&page={page + 1}>; rel="next"'
        return 200, ({"total_count": len(items), envelope: chunk} if envelope else chunk), headers

    def _artifact_run(self, run_id: int) -> dict[str, Any]:
        """An artifact's `workflow_run`, as GitHub gives it (a run the fake does not know ran on main)."""
        run = self.runs.get(run_id) or {"head_branch": "main", "head_repository": {"full_name": self.repo}}
        same = run["head_repository"]["full_name"] == self.repo
        return {"id": run_id, "repository_id": 1, "head_repository_id": 1 if same else 2,
                "head_branch": run["head_branch"], "head_sha": run.get("head_sha", "")}

    def route(self, method: str, path: str, q: dict[str, list[str]], body: Any, base: str, login: str = BOT
              ) -> tuple[int, Any, dict[str, str]]:
        m = re.fullmatch(r"/issues/(\d+)/comments", path)
        if m:
            n = int(m.group(1))
            if method == "GET":
                return self._page(self.comments_on(n), q, base, path)
            return 201, self.comment(n, body["body"], login), {}
        m = re.fullmatch(r"/issues/comments/(\d+)", path)
        if m:
            c = self.comments[int(m.group(1))]
            if method == "PATCH":
                if c["user"]["login"] != login:  # GitHub: only the author edits a comment's body
                    return 403, {"message": "Must have admin rights to Repository."}, {}
                c["body"] = body["body"]
                c["updated_at"] = self.now()
                return 200, c, {}
            if method == "DELETE":
                del self.comments[c["id"]]
                return 204, None, {}
        m = re.fullmatch(r"/statuses/([0-9a-f]{40}|[0-9a-f]{64})", path)
        if m and method == "POST":
            if body.get("state") not in ("pending", "success", "failure", "error"):
                return 422, {"message": "Validation Failed"}, {}
            self.statuses.setdefault(m.group(1), []).append({**body, "creator": {"login": login}})
            return 201, self.statuses[m.group(1)][-1], {}
        m = re.fullmatch(r"/commits/([0-9a-f]+)/pulls", path)
        if m and method == "GET":
            return 200, [self.pulls[n] for n in self.commit_pulls.get(m.group(1), [])], {}
        m = re.fullmatch(r"/actions/workflows/([^/]+)/runs", path)
        if m and method == "GET":
            want = {k: q[k][0] for k in ("branch", "event", "status") if k in q}
            runs = [{k: v for k, v in r.items() if k != "jobs"}
                    for r in sorted(self.runs.values(), key=lambda r: (r["created_at"], r["id"]), reverse=True)
                    if r["path"] == f".github/workflows/{m.group(1)}"
                    and want.get("branch", r["head_branch"]) == r["head_branch"]
                    and want.get("event", r["event"]) == r["event"]
                    and want.get("status", r["status"]) in (r["status"], r["conclusion"])]
            return self._page(runs, q, base, path, "workflow_runs")
        m = re.fullmatch(r"/actions/runs/(\d+)", path)
        if m and method == "GET":
            return 200, {k: v for k, v in self.runs[int(m.group(1))].items() if k != "jobs"}, {}
        m = re.fullmatch(r"/actions/runs/(\d+)/jobs", path)
        if m and method == "GET":
            return self._page(self.runs[int(m.group(1))].get("jobs", []), q, base, path, "jobs")
        m = re.fullmatch(r"/compare/([^.]+)\.\.\.([^.]+)", path)
        if m and method == "GET":  # is head (a commit) on base (a branch)? "behind": base holds it
            sha = m.group(2)
            return 200, {"status": "diverged" if sha in self.foreign_commits else "behind"}, {}
        m = re.fullmatch(r"/actions/runs/(\d+)/artifacts", path)
        if m and method == "GET":
            name = q.get("name", [None])[0]
            arts = [{k: v for k, v in a.items() if k != "zip"} | {"workflow_run": self._artifact_run(a["run_id"])}
                    for a in self.artifacts.values()
                    if a["run_id"] == int(m.group(1)) and (name is None or a["name"] == name)]
            return 200, {"total_count": len(arts), "artifacts": arts}, {}
        if path == "/actions/artifacts" and method == "GET":
            name = q.get("name", [None])[0]
            arts = [{k: v for k, v in a.items() if k != "zip"} | {"workflow_run": self._artifact_run(a["run_id"])}
                    for a in sorted(self.artifacts.values(), key=lambda a: -a["id"])
                    if name is None or a["name"] == name]
            return self._page(arts, q, base, path, "artifacts")
        m = re.fullmatch(r"/actions/artifacts/(\d+)/zip", path)
        if m and method == "GET":
            aid = int(m.group(1))
            if aid not in self.artifacts:
                raise KeyError(aid)
            return 302, None, {"Location": f"{base}/blob/{aid}"}
        if path == "/issues":
            if method == "GET":
                state = q.get("state", ["open"])[0]
                label = q.get("labels", [None])[0]
                items = [i for i in sorted(self.issues.values(), key=lambda i: i["number"])
                         if (state == "all" or i["state"] == state)
                         and (label is None or label in [x["name"] for x in i["labels"]])]
                return self._page(items, q, base, path)
            n = max([0, *self.issues]) + 1
            self.issues[n] = {"number": n, "title": body["title"], "body": body.get("body", ""), "state": "open",
                              "labels": [{"name": x} for x in body.get("labels", [])]}
            self.labels.update(body.get("labels", []))
            return 201, self.issues[n], {}
        m = re.fullmatch(r"/issues/(\d+)", path)
        if m and method == "PATCH":
            issue = self.issues[int(m.group(1))]
            issue.update({k: v for k, v in body.items() if k in ("body", "state", "title", "state_reason")})
            return 200, issue, {}
        m = re.fullmatch(r"/labels/([^/]+)", path)
        if m and method == "GET":
            if m.group(1) not in self.labels:
                raise KeyError(m.group(1))
            return 200, {"name": m.group(1)}, {}
        if path == "/labels" and method == "POST":
            self.labels.add(body["name"])
            return 201, {"name": body["name"]}, {}
        raise KeyError(path)
