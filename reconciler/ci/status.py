"""Set the commit status that branch protection requires: the gated plan's verdict on the pull request's head.

    reconciler ci status --sha HEAD --state pending|success|failure|error [--context "10dlc plan"]

The plan runs on `workflow_run`, so GitHub attaches its check to the default branch, not to the pull
request. This status, on the pull request's head commit, is what "require status checks" names; it
links to the plan run.
"""

from __future__ import annotations

import re

from reconciler.ci.actions import fail, run_url
from reconciler.ci.github import GitHub

STATES = ("pending", "success", "failure", "error")
CONTEXT = "10dlc plan"
SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def run(sha: str, state: str, description: str, context: str = CONTEXT) -> None:
    if not SHA.fullmatch(sha):
        fail("--sha takes a full commit id")
    if not re.fullmatch(r"[A-Za-z0-9 ._/:-]{1,100}", context):
        fail("--context: letters, digits, spaces and ._/:- only")
    body = {"state": state, "context": context, "description": " ".join(description.split())[:140]}
    url = run_url()
    if url:
        body["target_url"] = url
    GitHub().request("POST", f"/repos/{{repo}}/statuses/{sha}", body)
