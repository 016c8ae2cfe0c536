"""On merge, find what reviewers saw: the plan checksum (and saved plan) of the merged pull request.

    python scripts/ci/reviewed_plan.py --sha "$GITHUB_SHA" [--out reviewed-plan.json] [--key GROUP]

Steps: the pull request merged as commit SHA → its sticky plan comment (scripts/ci/sticky_comment.py)
→ the hidden checksum, the head commit it was planned for, and the run that saved the plan. The
saved plan itself is downloaded from that run's artifact when it is still there (then `apply
--reviewed-plan` explains any difference); the checksum alone is enough to refuse a stale apply.

What is trusted, and nothing else (anyone can comment on a public pull request, and anyone who can
push a branch can run a workflow):
- only comments written by the token's own identity (`--bot-login`, RECONCILER_BOT_LOGIN, GET /user,
  or `github-actions[bot]` for the workflow's GITHUB_TOKEN); others carrying the marker are ignored;
- of those, the newest one made for the merged head commit; a comment without a head commit counts
  for none;
- its values only in their expected shapes (a checksum of letters and digits, a 40- or 64-hex head,
  a numeric run id, a plain artifact name): anything else, a line break say, is refused;
- the artifact only from the run the comment names, after GitHub confirms that run is this
  repository's plan workflow (`--plan-workflow`), run on a pull request for that same head commit.

Refuses with exit 3 (the reconciler's "refused") when nothing was reviewed: the commit came from
no pull request, the pull request has no plan comment by the bot, the plan failed, the comment is
for an older commit than the one merged (the plan for the last push never finished), or the
comment's values or named run do not check out.

Outputs (GITHUB_OUTPUT, each with a random delimiter): pr, checksum, plan_file ('' when the
artifact is gone), head_sha.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _github import (  # noqa: E402
    BOT_LOGIN_ENV, DEFAULT_BOT_LOGIN, GitHub, GitHubError, fail, marker, newest, parse_meta, set_output)

REFUSED = 3
PLAN_MEMBER = "plan.json"
PLAN_WORKFLOW = ".github/workflows/plan.yml"
CHECKSUM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:+-]{0,127}")
HEAD = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
ARTIFACT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def merged_pull(gh: GitHub, sha: str) -> dict | None:
    pulls = gh.request("GET", f"/repos/{{repo}}/commits/{sha}/pulls") or []
    merged = [p for p in pulls if p.get("merged_at")]
    exact = [p for p in merged if p.get("merge_commit_sha") == sha]
    return (exact or merged or [None])[0]


def pick_comment(comments: list[dict], head: str, number: int) -> dict:
    """The meta of the newest comment made for `head`; refuses (exit 3) when there is none."""
    metas = [(c, parse_meta(c["body"])) for c in newest(comments)]
    for _, meta in metas:
        if meta.get("head_sha") == head:
            return meta
    if not metas[0][1].get("head_sha"):
        fail(f"the newest plan comment on pull request #{number} names no head commit, so nobody can tell what "
             "it reviewed: nothing is applied. Push again to re-plan.", REFUSED)
    seen = str(metas[0][1].get("head_sha"))
    seen = seen[:12] if HEAD.fullmatch(seen) else "an unreadable commit"
    fail(f"the plan comment on pull request #{number} is for commit {seen}, but the pull request was merged at "
         f"{head[:12]}: the plan for the last push never finished, so what was merged was not reviewed. Run the "
         "plan workflow on the default branch and apply by hand.", REFUSED)


def check_plan_run(gh: GitHub, run_id: int, head: str, workflow: str) -> bool:
    """True when the run is this repository's plan workflow, run on a pull request for `head`; False when
    GitHub no longer has it (then only the checksum is checked); refuses (exit 3) when it is anything else."""
    try:
        run = gh.request("GET", f"/repos/{{repo}}/actions/runs/{run_id}") or {}
    except GitHubError as e:
        if e.status == 404:
            print(f"warning: plan run {run_id} is gone; checking the checksum only", file=sys.stderr)
            return False
        raise
    repo = gh.repository.casefold()
    wrong = []
    if str((run.get("repository") or {}).get("full_name") or "").casefold() != repo:
        wrong.append("it belongs to another repository")
    if str((run.get("head_repository") or {}).get("full_name") or "").casefold() != repo:
        wrong.append("its code came from another repository")
    if str(run.get("path") or "").split("@", 1)[0] != workflow:
        wrong.append(f"it is not a run of {workflow}")
    if run.get("event") != "pull_request":
        wrong.append("it was not started by a pull request")
    if run.get("head_sha") != head:
        wrong.append("it planned another commit")
    if wrong:
        fail(f"the plan comment names run {run_id}, but " + "; ".join(wrong) + ": nothing is applied.", REFUSED)
    return True


def download_plan(gh: GitHub, run_id: int, name: str, out: Path) -> bool:
    try:
        arts = gh.request("GET", f"/repos/{{repo}}/actions/runs/{run_id}/artifacts?name={name}") or {}
        found = [a for a in arts.get("artifacts", []) if a.get("name") == name and not a.get("expired")
                 and int((a.get("workflow_run") or {}).get("id") or run_id) == run_id]
        if not found:
            print(f"warning: artifact {name} of run {run_id} is gone; checking the checksum only", file=sys.stderr)
            return False
        raw = gh.download(f"/repos/{{repo}}/actions/artifacts/{int(found[0]['id'])}/zip")
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            member = next((n for n in zf.namelist() if n.rsplit("/", 1)[-1] == PLAN_MEMBER), None)
            if member is None:
                print(f"warning: artifact {name} holds no {PLAN_MEMBER}; checking the checksum only", file=sys.stderr)
                return False
            out.write_bytes(zf.read(member))
        return True
    except (GitHubError, zipfile.BadZipFile, OSError, ValueError) as e:
        print(f"warning: could not fetch the saved plan ({e}); checking the checksum only", file=sys.stderr)
        return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sha", default=os.environ.get("GITHUB_SHA"), help="the merge commit (default: GITHUB_SHA)")
    ap.add_argument("--out", default="reviewed-plan.json", help="where to write the saved plan if it can be fetched")
    ap.add_argument("--kind", default="plan")
    ap.add_argument("--key", default=None, help="marker key of one matrix leg")
    ap.add_argument("--bot-login", default=None,
                    help=f"the login that writes the plan comments (default: ${{{BOT_LOGIN_ENV}}}, else GET /user, "
                         f"else {DEFAULT_BOT_LOGIN} for the workflow's GITHUB_TOKEN)")
    ap.add_argument("--plan-workflow", default=PLAN_WORKFLOW,
                    help=f"the workflow file whose runs may hold the saved plan (default: {PLAN_WORKFLOW})")
    args = ap.parse_args(argv)
    if not args.sha or not re.fullmatch(r"[0-9a-f]{7,64}", args.sha):
        fail("no commit: pass --sha (hex) or set GITHUB_SHA")

    try:
        gh = GitHub()
        login = gh.bot_login(args.bot_login)
        pr = merged_pull(gh, args.sha)
        if pr is None:
            fail(f"commit {args.sha[:12]} was not merged from a pull request, so nobody reviewed a plan for it. "
                 "Open a pull request, or run the plan workflow by hand and then the apply workflow with the "
                 "checksum you reviewed.", REFUSED)
        number = int(pr["number"])
        head = str((pr.get("head") or {}).get("sha") or "")
        if not HEAD.fullmatch(head):
            fail(f"GitHub names no head commit for pull request #{number}: cannot tell what was reviewed.", REFUSED)
        comments = gh.marked_comments(number, marker(args.kind, args.key), login)
        if not comments:
            fail(f"pull request #{number} has no reconciler plan comment by {login}: nothing was reviewed, nothing "
                 "is applied. Did the plan workflow run on it?", REFUSED)
        meta = pick_comment(comments, head, number)
        checksum = meta.get("checksum")
        if not checksum:
            fail(f"the plan on pull request #{number} failed or never finished: nothing was reviewed, nothing is "
                 "applied.", REFUSED)
        if not isinstance(checksum, str) or not CHECKSUM.fullmatch(checksum):
            fail(f"the plan comment on pull request #{number} carries a malformed checksum: nothing is applied.",
                 REFUSED)
        plan_file = ""
        run_id, artifact = meta.get("run_id"), meta.get("artifact")
        if artifact is not None:
            if type(run_id) is not int or run_id <= 0 or not isinstance(artifact, str) \
                    or not ARTIFACT.fullmatch(artifact):
                fail(f"the plan comment on pull request #{number} names a malformed run or artifact: nothing is "
                     "applied.", REFUSED)
            out = Path(args.out)
            if check_plan_run(gh, run_id, head, args.plan_workflow) and download_plan(gh, run_id, artifact, out):
                plan_file = str(out)
    except GitHubError as e:
        fail(str(e))
    print(f"pull request #{number}: reviewed plan {checksum} for {head[:12]}, by {login}"
          + (f", saved plan {plan_file}" if plan_file else ""), file=sys.stderr)
    set_output("pr", str(number))
    set_output("checksum", checksum)
    set_output("plan_file", plan_file)
    set_output("head_sha", head)
    return 0


if __name__ == "__main__":
    sys.exit(main())
