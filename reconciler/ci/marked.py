"""Our comments and issues on GitHub, told from what anyone could type: the hidden marker each starts
with and its meta line (anyone can post a comment that starts with the marker), the login that
writes ours (a name no person can take), which marked comments are ours, one sticky comment per
marker, and GitHub's size limit. Built on the client (`github.GitHub`), which knows nothing of it."""

from __future__ import annotations

import json
import os
import re
from typing import Any

from reconciler.ci.actions import CIError, say
from reconciler.ci.github import GitHub, GitHubError
from reconciler.model import plural

MARKER_PREFIX = "telnyx-10dlc-reconciler"
COMMENT_LIMIT = 65_536  # GitHub refuses comment and issue bodies longer than this
# Who writes our comments when the workflow's own GITHUB_TOKEN is used. GET /user answers 403 for
# that (installation) token, so this is the fallback; a GitHub App token is `<app-slug>[bot]`, set
# it with RECONCILER_BOT_LOGIN. GitHub logins cannot contain `[`, so no person can take this name.
DEFAULT_BOT_LOGIN = "github-actions[bot]"
BOT_LOGIN_ENV = "RECONCILER_BOT_LOGIN"
APP_SLUG_ENV = "RECONCILER_APP_SLUG"  # set by the workflows from actions/create-github-app-token's app-slug
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?")


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


def authored_by(comment: dict[str, Any], login: str) -> bool:
    user = comment.get("user") or {}
    return isinstance(user, dict) and str(user.get("login") or "").casefold() == login.casefold()


def newest(comments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Newest first: by the last edit (a sticky comment is edited in place), then creation, then id."""
    return sorted(comments, key=lambda c: (str(c.get("updated_at") or c.get("created_at") or ""),
                                           str(c.get("created_at") or ""), int(c.get("id") or 0)), reverse=True)


def our_login(gh: GitHub, explicit: str | None = None) -> str:
    """The login our comments are written by: the token's own identity.

    A GitHub App token minted by the workflow (RECONCILER_APP_SLUG) decides: `<slug>[bot]`, and an explicit
    login that disagrees is an error. Else an explicit login (a flag, or RECONCILER_BOT_LOGIN) wins; otherwise GET /user names the owner of a
    user token; the workflow's GITHUB_TOKEN (an installation token) gets 403 there, and its comments
    are written by `github-actions[bot]`. Any other failure is an error, never a guess."""
    login = (explicit or os.environ.get(BOT_LOGIN_ENV) or "").strip()
    slug = os.environ.get(APP_SLUG_ENV, "").strip()
    if slug:  # the workflow minted a GitHub App token: only that App's comments are ours
        if login and login.casefold() != f"{slug}[bot]".casefold():
            raise GitHubError(f"the App token is {slug[:60]!r}[bot]'s, but the bot login is set to {login[:60]!r}: "
                              f"unset {BOT_LOGIN_ENV} (the App's login is used), or make them agree")
        login = f"{slug}[bot]"
    if not login:
        try:
            login = str((gh.request("GET", "/user") or {}).get("login") or "")
        except GitHubError as e:
            if e.status != 403:
                raise
            login = DEFAULT_BOT_LOGIN
    if not _LOGIN.fullmatch(login):
        raise GitHubError(f"not a GitHub login: {login[:60]!r} (set {BOT_LOGIN_ENV} to the login that writes "
                          "the comments, e.g. github-actions[bot])")
    return login


def marked_comments(gh: GitHub, issue: int, mark: str, login: str) -> list[dict[str, Any]]:
    """The comments on an issue or pull request that start with `mark` and were written by `login`,
    oldest first. Anyone can post a comment that starts with the marker: those are ignored (counted
    on stderr, never echoed)."""
    ours, forged = [], 0
    for c in gh.paginate(f"/repos/{{repo}}/issues/{int(issue)}/comments"):
        if not (c.get("body") or "").startswith(mark):
            continue
        if authored_by(c, login):
            ours.append(c)
        else:
            forged += 1
    if forged:
        say(f"warning: ignored {plural(forged, 'comment', 'comments')} on #{int(issue)} that carry the reconciler's marker but "
            f"were not written by {login}")
    return sorted(ours, key=lambda c: (str(c.get("created_at") or ""), int(c.get("id") or 0)))


def upsert_comment(gh: GitHub, issue: int, mark: str, text: str, login: str) -> tuple[dict[str, Any], bool]:
    """Edit our one comment that starts with `mark` (deleting duplicates of ours), or create it.
    Returns the comment and whether it was created."""
    ours = marked_comments(gh, issue, mark, login)
    if not ours:
        return gh.request("POST", f"/repos/{{repo}}/issues/{int(issue)}/comments", {"body": text}), True
    keep, extra = ours[0], ours[1:]
    comment = gh.request("PATCH", f"/repos/{{repo}}/issues/comments/{int(keep['id'])}", {"body": text})
    for c in extra:  # a pile left by an older tool or a race: fold it back into one comment
        gh.request("DELETE", f"/repos/{{repo}}/issues/comments/{int(c['id'])}")
    return comment, False
