"""On merge, find what reviewers saw: the plan checksum (and saved plan) of the merged pull request.

    reconciler ci reviewed-plan --sha "$GITHUB_SHA" [--out reviewed-plan.json] [--group GROUP]

Steps: the pull request merged as commit SHA → its sticky plan comment (`reconciler ci comment`)
→ the hidden checksum, the head commit it was planned for, and the run that saved the plan. The
saved plan itself is downloaded from that run's artifact, and must carry the comment's checksum
(then `apply --reviewed-plan` explains any difference from a fresh plan): a comment without its
artifact, or whose artifact says another checksum, is refused.

What is trusted, and nothing else (anyone can comment on a public pull request, and anyone who can
push a branch can run a workflow):
- only comments written by the token's own identity (a GitHub App's `<slug>[bot]` when the workflows
  mint an App token: RECONCILER_APP_SLUG; else `--bot-login`, RECONCILER_BOT_LOGIN, GET /user, or
  `github-actions[bot]` for the workflow's GITHUB_TOKEN); others carrying the marker are ignored;
- of those, the newest one made for the merged head commit; a comment without a head commit counts
  for none;
- its values only in their expected shapes (a checksum of letters and digits, a 40- or 64-hex head,
  a numeric run id, a plain artifact name): anything else, a line break say, is refused;
- the artifact only from the run the comment names, after GitHub confirms that run is this
  repository's plan workflow (`--plan-workflow`), started by `workflow_run` on the default branch
  (`--default-branch`): the gated plan, which runs the default branch's code with the key and reads
  the pull request's YAML as data. A plan run started by a pull request itself is refused.

Refuses with exit 3 (the reconciler's "refused") when nothing was reviewed: the commit came from
no pull request, the pull request has no plan comment by the bot, the plan failed, the comment is
for an older commit than the one merged (the plan for the last push never finished), or the
comment's values or named run do not check out.

Outputs (GITHUB_OUTPUT, each with a random delimiter): pr, checksum, plan_file, head_sha.
"""

from __future__ import annotations

import io
import os
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

from reconciler.ci.actions import REFUSED, annotate, fail, run_url, say, set_output, summary
from reconciler.ci.github import GitHub, GitHubError
from reconciler.ci.marked import COMMENT_LIMIT, fit, marked_comments, marker, newest, our_login, parse_meta
from reconciler.errors import PlanFileError
from reconciler.planfile import read_summary

PLAN_MEMBER = "plan.json"
PLAN_MARKDOWN = "plan.md"
PLAN_WORKFLOW = ".github/workflows/plan.yml"
CHECKSUM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:+-]{0,127}")
HEAD = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
ARTIFACT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def merged_pull(gh: GitHub, sha: str) -> dict | None:
    pulls = gh.request("GET", f"/repos/{{repo}}/commits/{sha}/pulls") or []
    merged = [p for p in pulls if p.get("merged_at")]
    exact = [p for p in merged if p.get("merge_commit_sha") == sha]
    return (exact or merged or [None])[0]


def pick_comment(comments: list[dict], head: str, number: int) -> tuple[dict, dict]:
    """The newest comment made for `head` and its meta; refuses (exit 3) when there is none."""
    metas = [(c, parse_meta(c["body"])) for c in newest(comments)]
    for c, meta in metas:
        if meta.get("head_sha") == head:
            return c, meta
    if not metas[0][1].get("head_sha"):
        fail(f"the newest plan comment on pull request #{number} names no head commit, so nobody can tell what "
             "it reviewed: nothing is applied. Push again to re-plan.", REFUSED)
    seen = str(metas[0][1].get("head_sha"))
    seen = seen[:12] if HEAD.fullmatch(seen) else "an unreadable commit"
    fail(f"the plan comment on pull request #{number} is for commit {seen}, but the pull request was merged at "
         f"{head[:12]}: the plan for the last push never finished, so what was merged was not reviewed. Run the "
         "plan workflow on the default branch and apply by hand.", REFUSED)


def check_plan_run(gh: GitHub, run_id: int, workflow: str, branch: str) -> bool:
    """True when the run is this repository's plan workflow, started by `workflow_run` on the default
    branch (so it ran that branch's code, whatever the pull request holds); False when GitHub no longer
    has it (the caller then refuses); refuses (exit 3) when it is anything else."""
    try:
        run = gh.request("GET", f"/repos/{{repo}}/actions/runs/{run_id}") or {}
    except GitHubError as e:
        if e.status == 404:
            print(f"warning: plan run {run_id} is gone", file=sys.stderr)
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
    if run.get("event") != "workflow_run":
        wrong.append("it was not the gated plan (started by workflow_run)")
    if run.get("head_branch") != branch:
        wrong.append(f"it did not run the code of {branch}")
    if wrong:
        fail(f"the plan comment names run {run_id}, but " + "; ".join(wrong) + ": nothing is applied.", REFUSED)
    return True


def download_plan(gh: GitHub, run_id: int, name: str, out: Path) -> bool:
    """The saved plan (and, beside it as `<out>.md`, the markdown reviewers read) from the run's artifact."""
    try:
        arts = gh.request("GET", f"/repos/{{repo}}/actions/runs/{run_id}/artifacts?name={name}") or {}
        found = [a for a in arts.get("artifacts", []) if a.get("name") == name and not a.get("expired")
                 and int((a.get("workflow_run") or {}).get("id") or run_id) == run_id]
        if not found:
            print(f"warning: artifact {name} of run {run_id} is gone", file=sys.stderr)
            return False
        raw = gh.download(f"/repos/{{repo}}/actions/artifacts/{int(found[0]['id'])}/zip")
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            member = next((n for n in zf.namelist() if n.rsplit("/", 1)[-1] == PLAN_MEMBER), None)
            if member is None:
                print(f"warning: artifact {name} holds no {PLAN_MEMBER}", file=sys.stderr)
                return False
            out.write_bytes(zf.read(member))
            md = next((i for i in zf.infolist() if i.filename.rsplit("/", 1)[-1] == PLAN_MARKDOWN), None)
            if md is not None and md.file_size <= COMMENT_LIMIT:
                out.with_suffix(".md").write_bytes(zf.read(md))
        return True
    except (GitHubError, zipfile.BadZipFile, OSError, ValueError) as e:
        say(f"warning: could not fetch the saved plan ({e})")
        return False


def for_approvers(number: int, comment_url: str, checksum: str, run_id: int | None, markdown: Path | None) -> None:
    """The job summary an approver reads before approving the apply: where the plan was reviewed, and the plan."""
    server, repo = os.environ.get("GITHUB_SERVER_URL") or "https://github.com", os.environ.get("GITHUB_REPOSITORY")
    where = comment_url if comment_url.startswith(f"{server}/{repo}/") else f"{server}/{repo}/pull/{number}"
    lines = [f"### Reviewed plan: pull request #{number}", "",
             f"- [the plan comment reviewers read]({where}), checksum `{checksum}`"]
    if run_id:
        lines.append(f"- [the plan run]({run_url(run_id)}) (its artifact holds the saved plan)")
    text = "\n".join(lines) + "\n"
    if markdown is not None and markdown.is_file():
        text += "\n<details open><summary>The plan as reviewed</summary>\n\n" + markdown.read_text(
            encoding="utf-8", errors="replace") + "\n</details>\n"
    summary(fit(text, 60_000))


def find(sha: str, out: str = "reviewed-plan.json", kind: str = "plan", key: str | None = None,
         bot_login: str | None = None, plan_workflow: str = PLAN_WORKFLOW, branch: str | None = None,
         show: bool = True) -> dict[str, Any]:
    """The reviewed plan of the pull request merged as `sha`: writes the outputs and returns them."""
    if (branch and not re.fullmatch(r"[A-Za-z0-9._/-]{1,200}", branch)) \
            or not re.fullmatch(r"[A-Za-z0-9._/-]{1,300}", plan_workflow):
        fail("--branch and --plan-workflow take plain names")
    if not sha or not re.fullmatch(r"[0-9a-f]{7,64}", sha):
        fail("no commit: pass --sha (hex) or set GITHUB_SHA")
    gh = GitHub()
    branch = branch or gh.default_branch()
    login = our_login(gh, bot_login)
    pr = merged_pull(gh, sha)
    if pr is None:
        fail(f"commit {sha[:12]} was not merged from a pull request, so nobody reviewed a plan for it. "
             "Open a pull request, or run the plan workflow by hand and then the apply workflow with the "
             "checksum you reviewed.", REFUSED)
    number = int(pr["number"])
    head = str((pr.get("head") or {}).get("sha") or "")
    if not HEAD.fullmatch(head):
        fail(f"GitHub names no head commit for pull request #{number}: cannot tell what was reviewed.", REFUSED)
    comments = marked_comments(gh, number, marker(kind, key), login)
    if not comments:
        fail(f"pull request #{number} has no reconciler plan comment by {login}: nothing was reviewed, nothing "
             "is applied. Did the plan workflow run on it?", REFUSED)
    comment, meta = pick_comment(comments, head, number)
    checksum = meta.get("checksum")
    if not checksum:
        fail(f"the plan on pull request #{number} failed or never finished: nothing was reviewed, nothing is "
             "applied.", REFUSED)
    if not isinstance(checksum, str) or not CHECKSUM.fullmatch(checksum):
        fail(f"the plan comment on pull request #{number} carries a malformed checksum: nothing is applied.", REFUSED)
    # The checksum alone is not enough: the comment must name the gated plan run whose artifact holds the
    # saved plan, and that plan must carry the same checksum. A comment naming a checksum and no artifact
    # (written by any workflow that holds the same identity) is refused.
    run_id, artifact = meta.get("run_id"), meta.get("artifact")
    if artifact is None or run_id is None:
        fail(f"the plan comment on pull request #{number} names no plan run and artifact: a plan the reconciler "
             "posted always does, so it is not trusted and nothing is applied. Push again to re-plan.", REFUSED)
    if type(run_id) is not int or run_id <= 0 or not isinstance(artifact, str) or not ARTIFACT.fullmatch(artifact):
        fail(f"the plan comment on pull request #{number} names a malformed run or artifact: nothing is "
             "applied.", REFUSED)
    if not check_plan_run(gh, run_id, plan_workflow, branch) or not download_plan(gh, run_id, artifact, Path(out)):
        fail(f"the saved plan of pull request #{number} (artifact {artifact} of run {run_id}) is gone or unreadable, "
             "so the comment's checksum cannot be checked against it: nothing is applied. Re-run the plan (push "
             "again, or run the plan workflow by hand on the default branch and apply by hand).", REFUSED)
    try:
        saved_checksum = read_summary(out).checksum
    except PlanFileError:
        saved_checksum = None
    if saved_checksum != checksum:
        Path(out).unlink(missing_ok=True)
        fail(f"the plan comment on pull request #{number} names a checksum that the saved plan of run {run_id} "
             "does not carry: the comment is not what the plan run wrote, and nothing is applied.", REFUSED)
    plan_file = out
    if show:
        for_approvers(number, str(comment.get("html_url") or ""), checksum, run_id if plan_file else None,
                      Path(out).with_suffix(".md") if plan_file else None)
    print(f"pull request #{number}: reviewed plan {checksum} for {head[:12]}, by {login}"
          + (f", saved plan {plan_file}" if plan_file else ""), file=sys.stderr)
    outputs = {"pr": str(number), "checksum": checksum, "plan_file": plan_file, "head_sha": head}
    for k, v in outputs.items():
        set_output(k, v)
    return outputs


def decide(event: str, created: bool, ref_name: str, default_branch: str, expect_checksum: str) -> bool:
    """Whether the apply job runs: a merge whose reviewed plan was found (the step before), or a run by
    hand on the default branch with a well-formed checksum. The first push of a branch (a new repository)
    reviewed nothing and applies nothing, green, with a notice."""
    if event == "push":
        if created:
            text = ("the first push of this branch: no pull request reviewed a plan for it, so nothing is applied. "
                    "Change desired-state/ in a pull request: its plan is reviewed there, and its merge applies it.")
            print(annotate("notice", text), file=sys.stderr)
            summary(f"> [!NOTE]\n> {text}")
            set_output("apply", "false")
            return False
    elif event == "workflow_dispatch":
        if not default_branch or ref_name != default_branch:
            fail(f"a manual apply runs only on the default branch ({default_branch or 'unknown'}), not on "
                 f"{ref_name[:100]!r}: plan and review there first.", REFUSED)
        if not CHECKSUM.fullmatch(expect_checksum):
            fail("a manual apply needs the checksum of the plan you reviewed (expect_checksum): letters and digits",
                 REFUSED)
        summary(f"### Manual apply on {default_branch}\n\nApplies only if a fresh plan has the checksum "
                f"`{expect_checksum}` that the person who started this run reviewed.")
    else:
        fail(f"apply runs on a merge (push) or by hand (workflow_dispatch), not on {event[:40]!r}", REFUSED)
    set_output("apply", "true")
    return True
