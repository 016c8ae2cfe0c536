#!/usr/bin/env python3
"""Create or update the one reconciler comment on a pull request (found by a hidden marker).

    python scripts/ci/sticky_comment.py --pr 12 --body-file plan.md [--plan plan.json] [--key GROUP]

The comment starts with `<!-- telnyx-10dlc-reconciler:plan -->` (or `...:plan:GROUP` for one
leg of a matrix), so every push edits the same comment instead of adding one. With `--plan`
(the `reconciler plan --out` file) the comment also carries, hidden, the plan's checksum, the
pull request's head commit and the run that saved the plan: the apply workflow reads them on
merge to apply exactly what was reviewed (scripts/ci/reviewed_plan.py).

Only comments written by the token's own identity count as ours (`--bot-login`, RECONCILER_BOT_LOGIN,
GET /user, or `github-actions[bot]` for the workflow's GITHUB_TOKEN): a comment by anyone else that
starts with the marker is never edited, deleted or read.

Outputs (GITHUB_OUTPUT, each with a random delimiter): comment_id, comment_url, checksum, safe, has_changes.
Environment: GITHUB_API_URL, GITHUB_TOKEN, GITHUB_REPOSITORY (GitHub Actions sets them),
GITHUB_RUN_ID, GITHUB_SERVER_URL for the link back to the run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _github import GitHub, GitHubError, fail, fit, marker, meta_line, set_output  # noqa: E402


def run_url() -> str | None:
    server, repo, run = (os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    return f"{server}/{repo}/actions/runs/{run}" if server and repo and run else None


def compose(body: str, mark: str, meta: dict) -> str:
    head = [mark, meta_line(meta)]
    url = run_url()
    foot = f"\n<sub>Updated by [workflow run]({url}).</sub>\n" if url else ""
    return fit("\n".join(head) + "\n" + body.rstrip("\n") + "\n" + foot)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pr", type=int, required=True, help="pull request number")
    ap.add_argument("--body-file", required=True, help="markdown to post (e.g. `reconciler plan --format markdown`)")
    ap.add_argument("--plan", help="the saved plan (`reconciler plan --out FILE`): its checksum goes in the comment")
    ap.add_argument("--kind", default="plan", help="marker kind (default: plan)")
    ap.add_argument("--key", default=None, help="marker key, one per matrix leg (e.g. a profile group)")
    ap.add_argument("--head-sha", default=None, help="the pull request's head commit the plan is for")
    ap.add_argument("--artifact", default=None, help="name of the artifact holding the saved plan")
    ap.add_argument("--bot-login", default=None,
                    help="the login this token writes comments as (default: $RECONCILER_BOT_LOGIN, else GET /user, "
                         "else github-actions[bot])")
    ap.add_argument("--empty-note", default=None,
                    help="what to post when the body file is missing or empty (the step before it failed)")
    args = ap.parse_args(argv)

    body_path = Path(args.body_file)
    body = body_path.read_text(encoding="utf-8") if body_path.is_file() else ""
    meta: dict = {"kind": args.kind}
    if args.key:
        meta["key"] = args.key
    if args.head_sha:
        meta["head_sha"] = args.head_sha
    if os.environ.get("GITHUB_RUN_ID"):
        meta["run_id"] = int(os.environ["GITHUB_RUN_ID"])
    if args.artifact:
        meta["artifact"] = args.artifact
    plan = None
    if args.plan and Path(args.plan).is_file():
        try:
            plan = json.loads(Path(args.plan).read_text(encoding="utf-8"))
        except ValueError:
            plan = None
    if plan is not None and body.strip():
        meta["checksum"] = plan.get("checksum")
        meta["safe"] = bool(plan.get("safe"))
        meta["has_changes"] = bool(plan.get("has_changes"))
    if not body.strip() or (args.plan and plan is None):
        # The plan did not finish: say so, and carry no checksum, so a merge now cannot apply anything.
        body = args.empty_note or (
            "## 10DLC plan\n\n> [!CAUTION]\n> **The plan failed** for this commit; see the workflow run's log. "
            "Merging now applies nothing: the apply job refuses without a reviewed plan.\n")
        meta.pop("checksum", None)

    mark = marker(args.kind, args.key)
    try:
        gh = GitHub()
        text = compose(body, mark, meta)
        comment, created = gh.upsert_comment(args.pr, mark, text, gh.bot_login(args.bot_login))
        print(f"{'created' if created else 'updated'} comment {comment['id']} on #{args.pr}", file=sys.stderr)
    except GitHubError as e:
        fail(str(e))
    set_output("comment_id", str(comment["id"]))
    set_output("comment_url", comment.get("html_url", ""))
    set_output("checksum", meta.get("checksum") or "")
    set_output("safe", "true" if meta.get("safe", plan is not None) else "false")
    set_output("has_changes", "true" if meta.get("has_changes") else "false")
    return 0


if __name__ == "__main__":
    sys.exit(main())
