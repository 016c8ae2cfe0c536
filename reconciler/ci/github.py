"""A tiny GitHub REST client on the standard library, for the `reconciler ci` helpers.

It reads GITHUB_API_URL (default https://api.github.com), GITHUB_TOKEN and
GITHUB_REPOSITORY from the environment, as GitHub Actions sets them, so the
tests can point it at a fake GitHub on loopback. The token is sent only in the
Authorization header and never printed.
"""

from __future__ import annotations

import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Iterator

from reconciler.ci.actions import CIError

MARKER_PREFIX = "telnyx-10dlc-reconciler"
COMMENT_LIMIT = 65_536  # GitHub refuses comment and issue bodies longer than this
# Who writes our comments when the workflow's own GITHUB_TOKEN is used. GET /user answers 403 for
# that (installation) token, so this is the fallback; a GitHub App token is `<app-slug>[bot]`, set
# it with RECONCILER_BOT_LOGIN. GitHub logins cannot contain `[`, so no person can take this name.
DEFAULT_BOT_LOGIN = "github-actions[bot]"
BOT_LOGIN_ENV = "RECONCILER_BOT_LOGIN"
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?")


class GitHubError(CIError):
    """GitHub refused or could not be reached (exit 1); `status` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def marker(kind: str, key: str | None = None) -> str:
    """The hidden HTML comment that identifies our comment or issue: `<!-- telnyx-10dlc-reconciler:plan -->`."""
    if key is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,49}", key):
        raise CIError(f"--group {key[:60]!r}: letters, digits and ._- only (it names a hidden marker)")
    return f"<!-- {MARKER_PREFIX}:{kind}{':' + key if key else ''} -->"


def meta_line(data: dict[str, Any]) -> str:
    return f"<!-- {MARKER_PREFIX}:meta {json.dumps(data, sort_keys=True, separators=(',', ':'))} -->"


def parse_meta(body: str) -> dict[str, Any]:
    start = f"<!-- {MARKER_PREFIX}:meta "
    for line in body.splitlines():
        line = line.strip()
        if line.startswith(start) and line.endswith("-->"):
            try:
                data = json.loads(line[len(start):-3].strip())
            except ValueError:
                return {}
            return data if isinstance(data, dict) else {}
    return {}


def fit(body: str, limit: int = COMMENT_LIMIT) -> str:
    """Cut a body to GitHub's size limit, saying so (the CLI's markdown already summarises; this is a backstop)."""
    if len(body) <= limit:
        return body
    note = "\n\n_…cut to fit GitHub's 65,536-character limit; the full report is in the workflow's artifacts._\n"
    return body[: limit - len(note)] + note


class GitHub:
    def __init__(self, api_url: str | None = None, token: str | None = None, repository: str | None = None) -> None:
        self.api_url = (api_url or os.environ.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/")
        self.token = token if token is not None else os.environ.get("GITHUB_TOKEN", "")
        self.repository = repository or os.environ.get("GITHUB_REPOSITORY", "")
        if not self.token:
            raise GitHubError("GITHUB_TOKEN is not set (pass `env: GITHUB_TOKEN: ${{ github.token }}` to the step)")
        if self.repository.count("/") != 1:
            raise GitHubError("GITHUB_REPOSITORY is not set to owner/name")

    # ------------------------------------------------------------------ transport

    def _open(self, method: str, url: str, body: Any = None, accept: str = "application/vnd.github+json"
              ) -> tuple[int, dict[str, str], bytes]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", accept)
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("X-GitHub-Api-Version", "2022-11-28")
        req.add_header("User-Agent", "telnyx-10dlc-reconciler-ci")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        # Never follow a redirect with the token: it must not leave GitHub's API host.
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(req, timeout=30) as resp:
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
        except urllib.error.HTTPError as e:
            if 300 <= e.code < 400:
                e.close()
                raise GitHubError(f"GitHub API {method} {urllib.parse.urlsplit(url).path} answered HTTP {e.code} "
                                  "(a redirect): not followed with the token") from None
            detail = e.read().decode("utf-8", "replace")[:500]
            raise GitHubError(f"GitHub API {method} {urllib.parse.urlsplit(url).path} failed: "
                              f"HTTP {e.code} {detail}", e.code) from None
        except urllib.error.URLError as e:
            raise GitHubError(f"GitHub API {method} {urllib.parse.urlsplit(url).path} failed: {e.reason}") from None

    def url(self, path: str) -> str:
        path = path.replace("{repo}", self.repository)
        if "://" not in path:
            return f"{self.api_url}{path}"
        # An absolute URL (a `Link` header) is followed only on the API's own scheme and host.
        want, got = urllib.parse.urlsplit(self.api_url), urllib.parse.urlsplit(path)
        if (got.scheme, got.netloc) != (want.scheme, want.netloc):
            raise GitHubError(f"refusing to send the token to {got.scheme}://{got.netloc} (not {want.netloc})")
        return path

    def request(self, method: str, path: str, body: Any = None) -> Any:
        _, _, raw = self._open(method, self.url(path), body)
        return json.loads(raw) if raw.strip() else None

    def paginate(self, path: str, key: str | None = None) -> Iterator[Any]:
        """Every item of a list endpoint, following `Link: <...>; rel="next"`."""
        sep = "&" if "?" in path else "?"
        url: str | None = self.url(f"{path}{sep}per_page=100")
        while url:
            _, headers, raw = self._open("GET", url)
            page = json.loads(raw)
            yield from (page[key] if key else page)
            nxt = _next_link(headers.get("link", ""))
            url = self.url(nxt) if nxt else None

    def pages(self, path: str, key: str | None = None, max_pages: int = 100) -> "Listing":
        """Every item of a list endpoint up to `max_pages` pages; `.truncated` says whether more were left."""
        out = Listing()
        sep = "&" if "?" in path else "?"
        url: str | None = self.url(path if "per_page=" in path else f"{path}{sep}per_page=100")
        while url:
            if len(out.pages_read) >= max_pages:
                out.truncated = True
                break
            _, headers, raw = self._open("GET", url)
            page = json.loads(raw)
            out.pages_read.append(url)
            out.extend(page[key] if key else page)
            nxt = _next_link(headers.get("link", ""))
            url = self.url(nxt) if nxt else None
        return out

    def default_branch(self) -> str:
        """The repository's default branch, as GitHub says it (an event may not carry it: a schedule's does not)."""
        branch = str((self.request("GET", "/repos/{repo}") or {}).get("default_branch") or "")
        if not re.fullmatch(r"[A-Za-z0-9._/-]{1,200}", branch):
            raise GitHubError("GitHub names no default branch for the repository")
        return branch

    def bot_login(self, explicit: str | None = None) -> str:
        """The login our comments are written by: the token's own identity.

        An explicit login (a flag, or RECONCILER_BOT_LOGIN) wins; otherwise GET /user names the owner of a
        user token; the workflow's GITHUB_TOKEN (an installation token) gets 403 there, and its comments
        are written by `github-actions[bot]`. Any other failure is an error, never a guess."""
        login = (explicit or os.environ.get(BOT_LOGIN_ENV) or "").strip()
        if not login:
            try:
                login = str((self.request("GET", "/user") or {}).get("login") or "")
            except GitHubError as e:
                if e.status != 403:
                    raise
                login = DEFAULT_BOT_LOGIN
        if not _LOGIN.fullmatch(login):
            raise GitHubError(f"not a GitHub login: {login[:60]!r} (set {BOT_LOGIN_ENV} to the login that writes "
                              "the comments, e.g. github-actions[bot])")
        return login

    def marked_comments(self, issue: int, mark: str, login: str) -> list[dict[str, Any]]:
        """The comments on an issue or pull request that start with `mark` and were written by `login`,
        oldest first. Anyone can post a comment that starts with the marker: those are ignored (counted
        on stderr, never echoed)."""
        ours, forged = [], 0
        for c in self.paginate(f"/repos/{{repo}}/issues/{int(issue)}/comments"):
            if not (c.get("body") or "").startswith(mark):
                continue
            if authored_by(c, login):
                ours.append(c)
            else:
                forged += 1
        if forged:
            print(f"warning: ignored {forged} comment(s) on #{int(issue)} that carry the reconciler's marker but "
                  f"were not written by {login}", file=sys.stderr)
        return sorted(ours, key=lambda c: (str(c.get("created_at") or ""), int(c.get("id") or 0)))

    def upsert_comment(self, issue: int, mark: str, text: str, login: str) -> tuple[dict[str, Any], bool]:
        """Edit our one comment that starts with `mark` (deleting duplicates of ours), or create it.
        Returns the comment and whether it was created."""
        ours = self.marked_comments(issue, mark, login)
        if not ours:
            return self.request("POST", f"/repos/{{repo}}/issues/{int(issue)}/comments", {"body": text}), True
        keep, extra = ours[0], ours[1:]
        comment = self.request("PATCH", f"/repos/{{repo}}/issues/comments/{int(keep['id'])}", {"body": text})
        for c in extra:  # a pile left by an older tool or a race: fold it back into one comment
            self.request("DELETE", f"/repos/{{repo}}/issues/comments/{int(c['id'])}")
        return comment, False

    def download(self, path: str, max_bytes: int | None = None) -> bytes:
        """A binary download (artifact zips). GitHub answers with a redirect to short-lived storage; the
        redirect is followed *without* the token, which must never leave GitHub's API host."""
        req = urllib.request.Request(self.url(path), method="GET")
        req.add_header("Accept", "application/vnd.github+json")
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("User-Agent", "telnyx-10dlc-reconciler-ci")
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(req, timeout=60) as resp:
                return resp.read()
        except urllib.error.HTTPError as e:
            location = e.headers.get("Location") if e.code in (301, 302, 303, 307, 308) else None
            if not location:
                raise GitHubError(f"GitHub API GET {urllib.parse.urlsplit(req.full_url).path} failed: "
                                  f"HTTP {e.code}") from None
        try:
            with urllib.request.urlopen(urllib.request.Request(location), timeout=120) as resp:
                return resp.read()
        except urllib.error.URLError as e:
            raise GitHubError(f"artifact download failed: {getattr(e, 'reason', e)}") from None


class Listing(list):
    """A list read page by page: `truncated` when the page cap stopped it."""

    def __init__(self) -> None:
        super().__init__()
        self.truncated = False
        self.pages_read: list[str] = []


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:  # noqa: D401
        return None


def authored_by(comment: dict[str, Any], login: str) -> bool:
    user = comment.get("user") or {}
    return isinstance(user, dict) and str(user.get("login") or "").casefold() == login.casefold()


def newest(comments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Newest first: by the last edit (a sticky comment is edited in place), then creation, then id."""
    return sorted(comments, key=lambda c: (str(c.get("updated_at") or c.get("created_at") or ""),
                                           str(c.get("created_at") or ""), int(c.get("id") or 0)), reverse=True)


def _next_link(link: str) -> str | None:
    for part in link.split(","):
        bits = part.split(";")
        if len(bits) >= 2 and 'rel="next"' in bits[1]:
            return bits[0].strip().strip("<>")
    return None
