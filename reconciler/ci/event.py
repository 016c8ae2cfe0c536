"""Which pull request and commit the gated plan is for, from the `workflow_run` event that started it.

    reconciler ci plan-target

The plan workflow runs on `workflow_run` (after the validate workflow finished on a pull request):
it runs the default branch's workflow and code, so it may use an environment restricted to the
default branch, and it reads the pull request's YAML only as data, checked out at the commit named
here. The event is GitHub's, but what it describes came from a pull request, so every value is
checked for its shape: the triggering run was a pull request's, it succeeded, its code came from
this repository (a fork's pull request is not planned: push its branch here), and exactly one pull
request has that head commit. `workflow_dispatch` plans the commit the run is on, for no pull request.

Outputs (GITHUB_OUTPUT): pr ('' for a run by hand), head_sha, plan ('true' or 'false').
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from reconciler.ci.actions import annotate, fail, set_output

SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def _skip(why: str) -> dict[str, str]:
    print(annotate("notice", f"not planned: {why}"), file=sys.stderr)
    return {"pr": "", "head_sha": "", "plan": "false"}


def target(event_name: str, event: dict[str, Any], repository: str, sha: str) -> dict[str, str]:
    if event_name == "workflow_dispatch":
        if not SHA.fullmatch(sha):
            fail("GITHUB_SHA is not a commit")
        return {"pr": "", "head_sha": sha, "plan": "true"}
    if event_name != "workflow_run":
        fail(f"the plan runs on workflow_run or workflow_dispatch, not {event_name[:40]!r}: a pull request's own "
             "run must never hold the key")
    run = event.get("workflow_run") if isinstance(event.get("workflow_run"), dict) else {}
    if run.get("event") != "pull_request":
        return _skip("the validate run was not for a pull request")
    if run.get("conclusion") != "success":
        return _skip("validate did not pass for this commit")
    head_repo = str((run.get("head_repository") or {}).get("full_name") or "")
    if head_repo.casefold() != repository.casefold():
        return _skip("a fork's pull request gets no key: push its branch to this repository to plan it")
    head = str(run.get("head_sha") or "")
    if not SHA.fullmatch(head):
        fail("the validate run names no head commit")
    prs = [p for p in run.get("pull_requests") or [] if isinstance(p, dict)
           and str((p.get("head") or {}).get("sha") or "") == head and type(p.get("number")) is int and p["number"] > 0]
    if len(prs) != 1:
        return _skip(f"{len(prs)} pull requests of this repository have head {head[:12]}")
    return {"pr": str(prs[0]["number"]), "head_sha": head, "plan": "true"}


def run() -> None:
    path = os.environ.get("GITHUB_EVENT_PATH") or ""
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8")) if path else {}
    except (OSError, ValueError) as e:
        fail(f"cannot read the event (GITHUB_EVENT_PATH): {e}")
    if not isinstance(event, dict):
        fail("the event is not a JSON object")
    out = target(os.environ.get("GITHUB_EVENT_NAME", ""), event, os.environ.get("GITHUB_REPOSITORY", ""),
                 os.environ.get("GITHUB_SHA", ""))
    for k, v in out.items():
        set_output(k, v)
