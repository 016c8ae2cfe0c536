#!/usr/bin/env python3
"""Keep exactly one labelled issue open while drift lasts; close it when Telnyx matches the files.

    reconciler drift --format markdown > drift.md; rc=$?
    python scripts/ci/drift_issue.py --exit-code "$rc" --body-file drift.md [--label 10dlc-drift] [--key GROUP]

`--exit-code` is the exit code of `reconciler drift`: 2 (drift) opens the issue, or updates the
open one in place; 0 (no drift) closes it with a comment; anything else (the drift check itself
failed) leaves the issue alone and exits 1, so the scheduled run goes red. The issue is found by
its label and a hidden marker in its body (`<!-- telnyx-10dlc-reconciler:drift -->`), so the job
never opens a duplicate; if duplicates exist (made by hand, or by a race), the newest ones are closed.

Outputs (GITHUB_OUTPUT): action (opened | updated | closed | none), issue (number or '').
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _github import GitHub, GitHubError, fail, fit, marker, set_output  # noqa: E402

DRIFT, CLEAN = 2, 0


def run_url() -> str | None:
    server, repo, run = (os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    return f"{server}/{repo}/actions/runs/{run}" if server and repo and run else None


def open_issues(gh: GitHub, label: str, mark: str) -> list[dict]:
    found = [i for i in gh.paginate(f"/repos/{{repo}}/issues?state=open&labels={label}")
             if "pull_request" not in i and (i.get("body") or "").startswith(mark)]
    return sorted(found, key=lambda i: i["number"])


def ensure_label(gh: GitHub, label: str) -> None:
    try:
        gh.request("GET", f"/repos/{{repo}}/labels/{label}")
    except GitHubError:
        try:
            gh.request("POST", "/repos/{repo}/labels", {"name": label, "color": "d93f0b",
                                                         "description": "Telnyx 10DLC state differs from the repository"})
        except GitHubError:
            pass  # created meanwhile, or no permission: creating the issue with the label still works


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--exit-code", type=int, required=True, help="exit code of `reconciler drift`")
    ap.add_argument("--body-file", required=True, help="`reconciler drift --format markdown` output")
    ap.add_argument("--label", default="10dlc-drift")
    ap.add_argument("--key", default=None, help="one issue per matrix leg (e.g. a profile group)")
    ap.add_argument("--title", default=None)
    args = ap.parse_args(argv)

    if args.exit_code not in (DRIFT, CLEAN):
        fail(f"the drift check failed (exit {args.exit_code}); the drift issue is left as it is")
    mark = marker("drift", args.key)
    title = args.title or ("10DLC drift: Telnyx differs from the repository" + (f" ({args.key})" if args.key else ""))
    url = run_url()
    action, number = "none", ""
    try:
        gh = GitHub()
        ours = open_issues(gh, args.label, mark)
        if args.exit_code == DRIFT:
            body = Path(args.body_file).read_text(encoding="utf-8") if Path(args.body_file).is_file() else ""
            text = fit(f"{mark}\n{body.rstrip()}\n\n" + (f"<sub>Last seen by [workflow run]({url}). </sub>" if url else "")
                       + "<sub>This issue closes itself when a drift run finds none.</sub>\n")
            if ours:
                issue = gh.request("PATCH", f"/repos/{{repo}}/issues/{ours[0]['number']}", {"body": text})
                action = "updated"
            else:
                ensure_label(gh, args.label)
                issue = gh.request("POST", "/repos/{repo}/issues", {"title": title, "body": text, "labels": [args.label]})
                action = "opened"
            number = str(issue["number"])
            for dup in ours[1:]:
                gh.request("POST", f"/repos/{{repo}}/issues/{dup['number']}/comments",
                           {"body": f"Duplicate of #{number}; closing."})
                gh.request("PATCH", f"/repos/{{repo}}/issues/{dup['number']}",
                           {"state": "closed", "state_reason": "not_planned"})
        else:
            for i in ours:
                note = "No drift any more: Telnyx matches the repository." + (f" Checked by [workflow run]({url})." if url else "")
                gh.request("POST", f"/repos/{{repo}}/issues/{i['number']}/comments", {"body": note})
                gh.request("PATCH", f"/repos/{{repo}}/issues/{i['number']}", {"state": "closed", "state_reason": "completed"})
                action, number = "closed", str(ours[0]["number"])
    except GitHubError as e:
        fail(str(e))
    print(f"drift issue: {action}" + (f" #{number}" if number else ""), file=sys.stderr)
    set_output("action", action)
    set_output("issue", number)
    return 0


if __name__ == "__main__":
    sys.exit(main())
