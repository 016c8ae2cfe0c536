#!/usr/bin/env python3
"""On merge, find what reviewers saw: the plan checksum (and saved plan) of the merged pull request.

    python scripts/ci/reviewed_plan.py --sha "$GITHUB_SHA" [--out reviewed-plan.json] [--key GROUP]

Steps: the pull request merged as commit SHA → its sticky plan comment (scripts/ci/sticky_comment.py)
→ the hidden checksum, the head commit it was planned for, and the run that saved the plan. The
saved plan itself is downloaded from that run's artifact when it is still there (then `apply
--reviewed-plan` explains any difference); the checksum alone is enough to refuse a stale apply.

Refuses with exit 3 (the reconciler's "refused") when nothing was reviewed: the commit came from
no pull request, the pull request has no plan comment, the plan failed, or the comment is for an
older commit than the one merged (the plan for the last push never finished).

Outputs (GITHUB_OUTPUT): pr, checksum, plan_file ('' when the artifact is gone), head_sha.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _github import GitHub, GitHubError, fail, marker, parse_meta, set_output  # noqa: E402

REFUSED = 3
PLAN_MEMBER = "plan.json"


def merged_pull(gh: GitHub, sha: str) -> dict | None:
    pulls = gh.request("GET", f"/repos/{{repo}}/commits/{sha}/pulls") or []
    merged = [p for p in pulls if p.get("merged_at")]
    exact = [p for p in merged if p.get("merge_commit_sha") == sha]
    return (exact or merged or [None])[0]


def download_plan(gh: GitHub, run_id: int, name: str, out: Path) -> bool:
    try:
        arts = gh.request("GET", f"/repos/{{repo}}/actions/runs/{run_id}/artifacts?name={name}") or {}
        found = [a for a in arts.get("artifacts", []) if a.get("name") == name and not a.get("expired")]
        if not found:
            print(f"warning: artifact {name} of run {run_id} is gone; checking the checksum only", file=sys.stderr)
            return False
        raw = gh.download(f"/repos/{{repo}}/actions/artifacts/{found[0]['id']}/zip")
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            member = next((n for n in zf.namelist() if n.rsplit("/", 1)[-1] == PLAN_MEMBER), None)
            if member is None:
                print(f"warning: artifact {name} holds no {PLAN_MEMBER}; checking the checksum only", file=sys.stderr)
                return False
            out.write_bytes(zf.read(member))
        return True
    except (GitHubError, zipfile.BadZipFile, OSError) as e:
        print(f"warning: could not fetch the saved plan ({e}); checking the checksum only", file=sys.stderr)
        return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sha", default=os.environ.get("GITHUB_SHA"), help="the merge commit (default: GITHUB_SHA)")
    ap.add_argument("--out", default="reviewed-plan.json", help="where to write the saved plan if it can be fetched")
    ap.add_argument("--kind", default="plan")
    ap.add_argument("--key", default=None, help="marker key of one matrix leg")
    args = ap.parse_args(argv)
    if not args.sha:
        fail("no commit: pass --sha or set GITHUB_SHA")

    try:
        gh = GitHub()
        pr = merged_pull(gh, args.sha)
        if pr is None:
            fail(f"commit {args.sha[:12]} was not merged from a pull request, so nobody reviewed a plan for it. "
                 "Open a pull request, or run the plan workflow by hand and then the apply workflow with the "
                 "checksum you reviewed.", REFUSED)
        number = pr["number"]
        mark = marker(args.kind, args.key)
        comments = [c for c in gh.paginate(f"/repos/{{repo}}/issues/{number}/comments")
                    if (c.get("body") or "").startswith(mark)]
        if not comments:
            fail(f"pull request #{number} has no reconciler plan comment: nothing was reviewed, nothing is applied. "
                 "Did the plan workflow run on it?", REFUSED)
        meta = parse_meta(comments[0]["body"])
        checksum = meta.get("checksum")
        if not checksum:
            fail(f"the plan on pull request #{number} failed or never finished: nothing was reviewed, nothing is "
                 "applied.", REFUSED)
        head = (pr.get("head") or {}).get("sha")
        if head and meta.get("head_sha") and meta["head_sha"] != head:
            fail(f"the plan comment on pull request #{number} is for commit {meta['head_sha'][:12]}, but the pull "
                 f"request was merged at {head[:12]}: the plan for the last push never finished, so what was merged "
                 "was not reviewed. Run the plan workflow on the default branch and apply by hand.", REFUSED)
        plan_file = ""
        if meta.get("run_id") and meta.get("artifact"):
            out = Path(args.out)
            if download_plan(gh, int(meta["run_id"]), str(meta["artifact"]), out):
                plan_file = str(out)
    except GitHubError as e:
        fail(str(e))
    print(f"pull request #{number}: reviewed plan {checksum}" + (f", saved plan {plan_file}" if plan_file else ""),
          file=sys.stderr)
    set_output("pr", str(number))
    set_output("checksum", checksum)
    set_output("plan_file", plan_file)
    set_output("head_sha", meta.get("head_sha") or "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
