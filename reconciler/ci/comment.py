"""Create or update the one reconciler comment on a pull request (found by a hidden marker).

    reconciler ci comment --pr 12 --body-file plan.md [--plan plan.json] [--group GROUP]

The comment starts with `<!-- telnyx-10dlc-reconciler:plan -->` (or `...:plan:GROUP` for one
leg of a matrix, `--group GROUP`), so every push edits the same comment instead of adding one. With `--plan`
(the `reconciler plan --out` file) the comment also carries, hidden, the plan's checksum, the
pull request's head commit and the run that saved the plan: the apply workflow reads them on
merge to apply exactly what was reviewed (`reconciler ci reviewed-plan`).

Only comments written by the token's own identity count as ours (`--bot-login`, RECONCILER_BOT_LOGIN,
GET /user, or `github-actions[bot]` for the workflow's GITHUB_TOKEN): a comment by anyone else that
starts with the marker is never edited, deleted or read.

Outputs (GITHUB_OUTPUT, each with a random delimiter): comment_id, comment_url, checksum, safe, has_changes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from reconciler.ci.actions import run_url, say, set_output
from reconciler.ci.github import GitHub
from reconciler.ci.marked import fit, marker, meta_line, our_login, upsert_comment
from reconciler.errors import PlanFileError
from reconciler.planfile import read_summary

FAILED = ("## 10DLC plan\n\n> [!CAUTION]\n> **The plan failed** for this commit; see the workflow run's log. "
          "Merging now applies nothing: the apply job refuses without a reviewed plan.\n")


def compose(body: str, mark: str, meta: dict[str, Any]) -> str:
    url = run_url()
    foot = f"\n<sub>Updated by [workflow run]({url}).</sub>\n" if url else ""
    return fit("\n".join([mark, meta_line(meta)]) + "\n" + body.rstrip("\n") + "\n" + foot)


def post(pr: int, body_file: str, plan: str | None = None, kind: str = "plan", key: str | None = None,
         head_sha: str | None = None, artifact: str | None = None, bot_login: str | None = None,
         empty_note: str | None = None) -> None:
    body_path = Path(body_file)
    body = body_path.read_text(encoding="utf-8") if body_path.is_file() else ""
    meta: dict[str, Any] = {"kind": kind}
    if key:
        meta["key"] = key
    if head_sha:
        meta["head_sha"] = head_sha
    if (os.environ.get("GITHUB_RUN_ID") or "").isdigit():
        meta["run_id"] = int(os.environ["GITHUB_RUN_ID"])
    if artifact:
        meta["artifact"] = artifact
    saved = None
    if plan and Path(plan).is_file():
        try:
            saved = read_summary(plan)
        except PlanFileError as e:
            say(f"warning: {e}")
    if saved is not None and body.strip():
        meta.update(checksum=saved.checksum, safe=saved.safe, has_changes=saved.has_changes)
    if not body.strip() or (plan and saved is None):
        # The plan did not finish: say so, and carry no checksum, so a merge now cannot apply anything.
        body = empty_note or FAILED
        meta.pop("checksum", None)
    mark = marker(kind, key)
    gh = GitHub()
    comment, created = upsert_comment(gh, pr, mark, compose(body, mark, meta), our_login(gh, bot_login))
    say(f"{'created' if created else 'updated'} comment {comment['id']} on #{pr}")
    set_output("comment_id", str(comment["id"]))
    set_output("comment_url", comment.get("html_url", ""))
    set_output("checksum", meta.get("checksum") or "")
    set_output("safe", "true" if meta.get("safe", saved is not None) else "false")
    set_output("has_changes", "true" if meta.get("has_changes") else "false")
