"""`reconciler ci …` (the CI helpers the reusable workflows call) and `reconciler init`.

Each command is a thin wrapper: options in, one function of this package called, its expected
failures (`CIError`, GitHub's errors) shown as one line (`::error::` on GitHub) with their exit code.
Everything a pull request or a comment supplies is checked by the function, never echoed raw.
Imports are lazy: `reconciler plan` does not pay for the CI helpers.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Any, Callable

import click

from reconciler.errors import ExitCode
from reconciler.journal import DEFAULT_STATE_DIR


def _guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        from reconciler.ci.actions import CIError, annotate
        from reconciler.errors import ReconcilerError

        try:
            fn(*args, **kwargs)
        except CIError as e:
            click.echo(annotate("error", str(e)), err=True)
            sys.exit(e.code)
        except ReconcilerError as e:
            click.echo(annotate("error", str(e)), err=True)
            sys.exit(e.exit_code)
        except OSError as e:
            click.echo(annotate("error", f"{e.filename or ''}: {e.strerror or e}"), err=True)
            sys.exit(ExitCode.ERROR)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as e:  # a bug: say so plainly, exit 1 per the contract
            if os.environ.get("RECONCILER_DEBUG"):
                raise
            click.echo(annotate("error", f"internal error ({type(e).__name__}: {e}); re-run with --debug"), err=True)
            sys.exit(ExitCode.ERROR)

    return wrapper


BOT_LOGIN = click.option("--bot-login", default=None,
                         help="The login the token writes comments as (default: $RECONCILER_BOT_LOGIN, else "
                              "GET /user, else github-actions[bot]).")
GROUP = click.option("--group", default=None, metavar="NAME",
                   help="One leg of a matrix (e.g. a profile group): its own comment, plan and issue.")


@click.group()
def ci() -> None:
    """CI helpers for the GitHub Actions workflows (GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL from the
    environment, as Actions sets them). Outputs go to $GITHUB_OUTPUT, each with a random delimiter."""


@ci.command()
@click.option("--pr", type=click.IntRange(1), required=True, help="Pull request number.")
@click.option("--body-file", required=True, help="Markdown to post (e.g. `reconciler plan --format markdown`).")
@click.option("--plan", "plan_file", default=None, help="The saved plan (`plan --out`): its checksum goes in the comment.")
@click.option("--kind", default="plan", type=click.Choice(["plan", "apply"]), show_default=True)
@GROUP
@click.option("--head-sha", default=None, help="The pull request's head commit the plan is for.")
@click.option("--artifact", default=None, help="Name of the artifact holding the saved plan.")
@BOT_LOGIN
@click.option("--empty-note", default=None, help="What to post when the body file is missing or empty.")
@_guard
def comment(pr: int, body_file: str, plan_file: str | None, kind: str, group: str | None, head_sha: str | None,
            artifact: str | None, bot_login: str | None, empty_note: str | None) -> None:
    """Create or update the one reconciler comment on a pull request."""
    from reconciler.ci.comment import post

    post(pr, body_file, plan_file, kind, group, head_sha, artifact, bot_login, empty_note)


@ci.command("reviewed-plan")
@click.option("--sha", default=lambda: os.environ.get("GITHUB_SHA", ""), help="The merge commit (default: $GITHUB_SHA).")
@click.option("--out", default="reviewed-plan.json", show_default=True, help="Where to write the saved plan.")
@GROUP
@BOT_LOGIN
@click.option("--plan-workflow", default=".github/workflows/plan.yml", show_default=True,
              help="The workflow file whose runs may hold the saved plan.")
@click.option("--branch", default=None, help="The default branch (the plan runs on it; default: as GitHub names it).")
@click.option("--summary/--no-summary", "show", default=True, help="Write the plan and its links to the job summary.")
@_guard
def reviewed_plan(sha: str, out: str, group: str | None, bot_login: str | None, plan_workflow: str,
                  branch: str | None, show: bool) -> None:
    """Find the plan reviewed on the pull request merged as SHA (exit 3 when nothing was reviewed)."""
    from reconciler.ci.reviewed import find

    find(sha, out, "plan", group, bot_login, plan_workflow, branch, show)


@ci.command("apply-decision")
@_guard
def apply_decision() -> None:
    """Whether the apply job runs (EVENT, CREATED, EXPECT_CHECKSUM from the environment; the default branch
    from DEFAULT_BRANCH, else as GitHub names it)."""
    from reconciler.ci.reviewed import decide

    env = os.environ.get
    branch = env("DEFAULT_BRANCH", "")
    if not branch and env("EVENT", "") == "workflow_dispatch":
        from reconciler.ci.github import GitHub

        branch = GitHub().default_branch()
    decide(env("EVENT", ""), env("CREATED", "") == "true", env("GITHUB_REF_NAME", ""), branch,
           env("EXPECT_CHECKSUM", ""))


@ci.command("apply-queue")
@click.argument("command", type=click.Choice(["covered", "check"]))
@click.option("--workflow", default="apply.yml", show_default=True, help="The apply workflow's file name.")
@click.option("--branch", default=None, help="The default branch (default: as GitHub names it).")
@click.option("--pr", default="", help="covered: the pull request whose reviewed plan this run applied.")
@click.option("--outcome", default="", help="covered: the apply step's outcome.")
@_guard
def apply_queue(command: str, workflow: str, branch: str | None, pr: str, outcome: str) -> None:
    """Name the merges whose apply GitHub's concurrency queue cancelled (covered), or warn (check)."""
    from reconciler.ci.queue import run

    run_id = os.environ.get("GITHUB_RUN_ID") or "0"
    run(command, workflow, branch, pr, outcome, int(run_id) if run_id.isdigit() else 0)


@ci.command("drift-issue")
@click.option("--exit-code", type=int, required=True, help="The exit code of `reconciler drift`.")
@click.option("--body-file", required=True, help="`reconciler drift --format markdown` output.")
@click.option("--label", default="10dlc-drift", show_default=True)
@GROUP
@click.option("--title", default=None)
@click.option("--state-warning", default="", help="`state-store restore`'s warning output: leads the issue, and "
              "keeps it open while it lasts.")
@_guard
def drift_issue(exit_code: int, body_file: str, label: str, group: str | None, title: str | None,
                state_warning: str) -> None:
    """Keep one labelled issue open while drift lasts; close it when Telnyx matches the files."""
    from reconciler.ci.drift_issue import run

    run(exit_code, body_file, label, group, title, state_warning)


@ci.command("follow-up")
@click.option("--report", required=True, help="`reconciler resume --format json` output.")
@_guard
def follow_up(report: str) -> None:
    """Tell each merged pull request how its work in flight is doing (edits its apply comment)."""
    from reconciler.ci.follow_up import run

    run(report)


@ci.command("plan-gate")
@click.argument("plan_file")
@_guard
def plan_gate(plan_file: str) -> None:
    """Exit 3 when apply would refuse the saved plan (over a safety limit)."""
    from reconciler.ci.gate import run

    run(plan_file)


@ci.command("plan-target")
@_guard
def plan_target() -> None:
    """Which pull request and head commit the gated plan is for (from the workflow_run event)."""
    from reconciler.ci.event import run

    run()


@ci.command("status")
@click.option("--sha", required=True, help="The commit (the pull request's head).")
@click.option("--state", required=True, type=click.Choice(["pending", "success", "failure", "error"]))
@click.option("--description", default="", help="One line shown beside the status.")
@click.option("--context", default="10dlc plan", show_default=True, help="The status name branch protection requires.")
@_guard
def status(sha: str, state: str, description: str, context: str) -> None:
    """Set a commit status on the pull request's head, linking this run."""
    from reconciler.ci.status import run

    run(sha, state, description, context)


@ci.command("state-store")
@click.argument("command", type=click.Choice(["restore"]))
@click.option("--dir", "folder", default=DEFAULT_STATE_DIR, show_default=True)
@click.option("--name", default="reconciler-state", show_default=True)
@click.option("--branch", default=None,
              help="The default branch: only its runs' artifacts count (default: as GitHub names it).")
@click.option("--workflow", "workflows", multiple=True, metavar="FILE",
              help="A workflow whose runs save the state folder (repeat; default: apply.yml and drift.yml).")
@_guard
def state_store(command: str, folder: str, name: str, branch: str | None, workflows: tuple[str, ...]) -> None:
    """Restore the state folder from the newest artifact this repository's own state workflows saved on the
    default branch (push, schedule or workflow_dispatch runs); warn loudly when the store says one is lost."""
    from reconciler.ci.state_store import run

    run(name, folder, branch, workflows)


@ci.command("ready")
@_guard
def ready() -> None:
    """Whether a key (HAS_TELNYX_KEY=true) or a sandbox seed (SEED) is configured; neither: a notice."""
    from reconciler.ci.sandbox import ready as check

    check(os.environ.get("HAS_TELNYX_KEY") == "true", os.environ.get("SEED", ""))


@ci.command("start-sandbox")
@click.argument("seed")
@_guard
def start_sandbox(seed: str) -> None:
    """Start the local Telnyx simulator in the background; outputs base_url and api_key."""
    from reconciler.ci.sandbox import start

    start(seed)


@click.command()
@click.argument("directory", default=".", required=False)
@click.option("--source", default=None, metavar="OWNER/NAME",
              help="Where the reconciler is published (the reusable workflows and the pre-commit hook).")
@click.option("--ref", default=None, help="The reconciler's commit the callers pin; a tag is resolved to its commit "
              "through GitHub's API (default: this version's tag).")
@click.option("--allow-tag", is_flag=True, help="Pin --ref as the tag itself (movable by its owner), not its commit.")
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
@_guard
def init(directory: str, source: str | None, ref: str | None, allow_tag: bool, force: bool) -> None:
    """Write a new desired-state repository into DIRECTORY (default: here): CI workflows that call the
    versioned reusable ones, a desired-state/ skeleton that validates, and the pre-commit config."""
    from reconciler.ci import init as scaffold

    pins = scaffold.upstream(source or scaffold.UPSTREAM, ref, allow_tag=allow_tag, resolve=True)
    for path in scaffold.init(directory, pins, force):
        click.echo(f"wrote {os.path.join(directory, path)}", err=True)
    click.echo(f"next: commit, push, then set up the environments (docs/ci.md); the callers pin {pins.repository}@{pins.ref}",
               err=True)
