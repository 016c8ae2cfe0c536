"""Keep exactly one labelled issue open while drift lasts; close it when Telnyx matches the files.

    reconciler drift --format markdown > drift.md; rc=$?
    reconciler ci drift-issue --exit-code "$rc" --body-file drift.md [--label 10dlc-drift] [--group GROUP]

`--exit-code` is the exit code of `reconciler drift`: 2 (drift) opens the issue, or updates the
open one in place; 0 (no drift) closes it with a comment; anything else (the drift check itself
failed) leaves the issue alone and exits 1, so the scheduled run goes red. The issue is found by
its label and a hidden marker in its body (`<!-- telnyx-10dlc-reconciler:drift -->`), so the job
never opens a duplicate; if duplicates exist (made by hand, or by a race), the newest ones are closed.

Outputs (GITHUB_OUTPUT): action (opened | updated | closed | none), issue (number or '').
"""

from __future__ import annotations

import re

import sys
from pathlib import Path
from urllib.parse import quote

from reconciler.ci.actions import fail, run_url, set_output
from reconciler.ci.github import GitHub, GitHubError
from reconciler.ci.marked import fit, marker
from reconciler.errors import ExitCode

DRIFT, CLEAN = ExitCode.DRIFT, ExitCode.OK  # what `reconciler drift` exits with
LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._:-]{0,49}")


def open_issues(gh: GitHub, label: str, mark: str) -> list[dict]:
    found = [i for i in gh.paginate(f"/repos/{{repo}}/issues?state=open&labels={quote(label)}")
             if "pull_request" not in i and (i.get("body") or "").startswith(mark)]
    return sorted(found, key=lambda i: i["number"])


def ensure_label(gh: GitHub, label: str) -> None:
    try:
        gh.request("GET", f"/repos/{{repo}}/labels/{quote(label)}")
    except GitHubError:
        try:
            gh.request("POST", "/repos/{repo}/labels", {"name": label, "color": "d93f0b",
                                                         "description": "Telnyx 10DLC state differs from the repository"})
        except GitHubError:
            pass  # created meanwhile, or no permission: creating the issue with the label still works


def run(exit_code: int, body_file: str, label: str = "10dlc-drift", key: str | None = None,
        title: str | None = None, state_warning: str = "") -> None:
    if exit_code not in (DRIFT, CLEAN):
        fail(f"the drift check failed (exit {exit_code}); the drift issue is left as it is")
    if not LABEL.fullmatch(label):
        fail(f"--label {label[:60]!r}: letters, digits, spaces and ._:- only")
    mark = marker("drift", key)
    title = title or ("10DLC drift: Telnyx differs from the repository" + (f" ({key})" if key else ""))
    url = run_url()
    action, number = "none", ""
    gh = GitHub()
    ours = open_issues(gh, label, mark)
    # A state folder the store says was lost is said first, and keeps the issue open for this run even
    # without drift: next phases of earlier applies may be forgotten (docs/ci.md, "When the state is lost").
    warning = " ".join(state_warning.split())[:2000]
    if exit_code == DRIFT or warning:
        body = Path(body_file).read_text(encoding="utf-8") if Path(body_file).is_file() else ""
        if warning:
            body = f"> [!WARNING]\n> **State folder:** {warning}\n\n{body}"
        text = fit(f"{mark}\n{body.rstrip()}\n\n" + (f"<sub>Last seen by [workflow run]({url}). </sub>" if url else "")
                   + "<sub>This issue closes itself when a drift run finds none.</sub>\n")
        if ours:
            issue = gh.request("PATCH", f"/repos/{{repo}}/issues/{ours[0]['number']}", {"body": text})
            action = "updated"
        else:
            ensure_label(gh, label)
            issue = gh.request("POST", "/repos/{repo}/issues", {"title": title, "body": text, "labels": [label]})
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
    print(f"drift issue: {action}" + (f" #{number}" if number else ""), file=sys.stderr)
    set_output("action", action)
    set_output("issue", number)
