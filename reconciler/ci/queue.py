"""Name the merges whose apply GitHub's concurrency queue cancelled, so that none is dropped silently.

    reconciler ci apply-queue covered --pr N --outcome OUTCOME   # apply job, after the apply
    reconciler ci apply-queue check                              # drift job

GitHub keeps at most one running and one *pending* run per concurrency group. A run that joins
the group replaces the pending one, which ends as "cancelled": `cancel-in-progress: false`
protects only the running one. So with three quick merges the second one's apply never runs, and
the hourly drift run, which shares the group with apply, can replace a pending apply too.

Nothing is lost by that: an apply applies the whole desired state at its merge commit, and that
commit holds every earlier merge. `covered`, in the apply job of the next merge, finds the apply
runs cancelled since the last one that ran and writes each one's pull request its apply comment:
which run took its changes, with the plan reviewed on which pull request, and how it ended.
`check`, in the drift job, warns (summary and log) when the newest merge's apply was cancelled and
no later one has run: its changes wait for the next merge, or a re-run of that run.

Outputs (GITHUB_OUTPUT): covered (pull request numbers, comma-separated) / unapplied (a commit or '').
"""

from __future__ import annotations

import re
import sys
import urllib.parse

from reconciler.ci.actions import annotate, fail, run_url, set_output, summary
from reconciler.ci.github import GitHub
from reconciler.ci.marked import marker, our_login, upsert_comment
from reconciler.ci.reviewed import merged_pull

SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
NAME = re.compile(r"[A-Za-z0-9._/-]{1,200}")
OUTCOME = {
    "success": "applied them",
    "failure": "did not finish (see its log): they may not be applied yet",
    "skipped": "applied nothing: it found no reviewed plan for its merge (see its log)",
}


def branch_runs(gh: GitHub, workflow: str, branch: str) -> list[dict]:
    """The workflow's runs on `branch` (merges and by-hand applies), newest first (GitHub lists 100)."""
    q = urllib.parse.urlencode({"branch": branch, "per_page": 100})
    data = gh.request("GET", f"/repos/{{repo}}/actions/workflows/{workflow}/runs?{q}") or {}
    runs = [r for r in data.get("workflow_runs") or [] if r.get("head_branch") == branch]
    return sorted(runs, key=lambda r: (str(r.get("created_at") or ""), int(r.get("id") or 0)), reverse=True)


def cancelled(run: dict) -> bool:
    """A merge's apply that never ran (a by-hand apply that was cancelled left no merge behind)."""
    return run.get("event") == "push" and run.get("status") == "completed" and run.get("conclusion") == "cancelled"


def run_link(run_id: int) -> str:
    return f"[run {run_id}]({run_url(run_id)})"


def covered(gh: GitHub, workflow: str, branch: str, run_id: int, pr: int | None, outcome: str) -> list[str]:
    runs = branch_runs(gh, workflow, branch)
    ids = [int(r["id"]) for r in runs]
    older = runs[ids.index(run_id) + 1:] if run_id in ids else [r for r in runs if int(r["id"]) < run_id]
    skipped = []
    for r in older:  # back to the last apply that ran (a merge's or one by hand): those between never ran
        if not cancelled(r):
            if r.get("conclusion") == "cancelled":
                continue  # a by-hand apply cancelled: it took nothing, and hides nothing older
            break
        skipped.append(r)
    done = []
    login = our_login(gh)
    what = OUTCOME.get(outcome, "ended as " + re.sub(r"[^a-z_]", "", outcome.lower())[:20])
    by = f" with the plan reviewed on #{pr}" if pr else ""
    for r in skipped:
        sha = str(r.get("head_sha") or "")
        merged = merged_pull(gh, sha) if SHA.fullmatch(sha) else None
        if merged is None:
            print(f"notice: cancelled apply run {int(r['id'])} was for no pull request", file=sys.stderr)
            continue
        number = int(merged["number"])
        body = (f"{marker('apply')}\n## 10DLC apply\n\n> [!NOTE]\n> This merge's own apply ({run_link(int(r['id']))}) "
                "was cancelled while it waited: GitHub keeps one pending run per concurrency group, and a newer one "
                f"replaced it. Its changes are part of the next merge's desired state, and {run_link(run_id)} "
                f"{what}{by}.\n")
        upsert_comment(gh, number, marker("apply"), body, login)
        done.append(str(number))
    if done:
        summary(f"> [!NOTE]\n> GitHub cancelled the queued apply of {', '.join('#' + n for n in done)}; this run took "
                "their changes (every apply applies the whole desired state of its merge commit).")
        print(f"told {', '.join('#' + n for n in done)} that this run took their changes", file=sys.stderr)
    return done


def check(gh: GitHub, workflow: str, branch: str) -> str:
    runs = branch_runs(gh, workflow, branch)
    if not runs or not cancelled(runs[0]):
        return ""
    sha = str(runs[0].get("head_sha") or "")
    sha = sha if SHA.fullmatch(sha) else ""
    text = (f"The newest merge's apply ({run_link(int(runs[0]['id']))}, commit {sha[:12] or 'unknown'}) was cancelled "
            "and no later apply has run: its changes are not applied (drift lists them as unapplied). Re-run that "
            "run, or merge the next change: its apply takes them.")
    print(annotate("warning", text), file=sys.stderr)
    summary(f"> [!WARNING]\n> {text}")
    return sha or "unknown"


def run(command: str, workflow: str, branch: str | None, pr: str = "", outcome: str = "", run_id: int = 0) -> None:
    if not NAME.fullmatch(workflow) or (branch and not NAME.fullmatch(branch)):
        fail("--workflow and --branch take plain names")
    gh = GitHub()
    branch = branch or gh.default_branch()
    if command == "covered":
        number = int(pr) if pr.isdigit() else None
        set_output("covered", ",".join(covered(gh, workflow, branch, run_id, number, outcome)))
    else:
        set_output("unapplied", check(gh, workflow, branch))
