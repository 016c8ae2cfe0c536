"""validate, plan, drift, status and resume: each parses its options, calls one operation and renders."""

from __future__ import annotations

import os

import click

from reconciler.errors import ExitCode
from reconciler.journal import DEFAULT_STATE_DIR

from .exits import Exit, handle_errors
from .group import cli
from .inputs import client_for, load_desired, options_from
from .options import (
    connection_options,
    desired_option,
    format_option,
    planning_options,
    scope_options,
    state_option,
    stuck_option,
    verbose_option,
)
from .output import emit, emit_plan, warn
from .progress import progress_for, waiting_hint


@cli.command()
@desired_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: one document (kind 'validate'; invalid files: the error document with every problem).")
@handle_errors
def validate(desired_path: str, fmt: str) -> None:
    """Check the desired-state files offline (schema and rules)."""
    from reconciler import render
    from reconciler.plan import SCHEMA_VERSION

    desired = load_desired(desired_path)
    n, p, c = len(desired.numbers), len(desired.profiles), len(desired.campaigns())
    if fmt == "json":
        click.echo(render.to_json({"schema_version": SCHEMA_VERSION, "kind": "validate", "valid": True,
                                   "desired": desired_path, "numbers": n, "profiles": p, "campaigns": c}), nl=False)
    else:
        click.echo(f"ok: {n} number{'s' * (n != 1)}, {p} profile{'s' * (p != 1)}, {c} campaign{'s' * (c != 1)} "
                   f"in {desired_path}")
    _warn_if_state_tracked(os.environ.get("RECONCILER_STATE_DIR") or DEFAULT_STATE_DIR)


def _warn_if_state_tracked(state_dir: str) -> None:
    """The state folder belongs to CI's artifact chain, not to git: a committed one is read by every
    later checkout and would make the journal say what an old commit remembered."""
    import subprocess

    try:
        tracked = subprocess.run(["git", "ls-files", "--", state_dir], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return  # no git here: nothing to check
    if tracked.returncode == 0 and tracked.stdout.strip():
        warn(f"the state folder {state_dir} is tracked by git: remove it (git rm -r --cached {state_dir}) and "
              "add it to .gitignore; CI carries it as an artifact")


@cli.command()
@planning_options
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Save the plan (with preconditions) for apply.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when there are changes or declared numbers are blocked.")
@handle_errors
def plan(desired_path: str, api_base_url: str, concurrency: int, request_timeout: float, deadline: float,
         only_profiles: tuple[str, ...],
         only_campaigns: tuple[str, ...], prune: bool | None, allow_unassign: int | None,
         allow_reassign: int | None, shared_per_number: bool, state_dir: str, fmt: str, verbose: bool,
         out: str | None, detailed_exitcode: bool) -> None:
    """Read live state and show the changes. Writes nothing to Telnyx."""
    from reconciler import operations, planfile

    desired = load_desired(desired_path, only_profiles, only_campaigns)
    with client_for(api_base_url, concurrency, request_timeout, deadline) as client:
        planned = operations.plan_live(client, desired, options_from(prune, allow_unassign, allow_reassign,
                                                                 shared_per_number), state_dir, warn=warn)
    result = planned.plan
    emit_plan(result, fmt, verbose)
    if out:
        planfile.save(result, out)
        click.echo(f"saved plan to {out} (checksum {result.checksum()})", err=True)
    if detailed_exitcode and (result.has_changes or result.blocked):
        raise Exit(ExitCode.CHANGES)



@cli.command()
@desired_option
@connection_options
@scope_options
@state_option
@stuck_option
@format_option
@verbose_option
@handle_errors
def drift(desired_path: str, api_base_url: str, concurrency: int, request_timeout: float, deadline: float,
          only_profiles: tuple[str, ...], only_campaigns: tuple[str, ...], state_dir: str, stuck_after: float,
          fmt: str, verbose: bool) -> None:
    """Classify every difference between the files and Telnyx. Exit 2 on drift."""
    from reconciler import operations, render

    desired = load_desired(desired_path, only_profiles, only_campaigns)
    with client_for(api_base_url, concurrency, request_timeout, deadline) as client:
        report = operations.drift(client, desired, state_dir, stuck_after=stuck_after, warn=warn)
    emit(fmt, data=lambda: render.drift_dict(report), text=lambda color: render.drift_text(report, color=color, verbose=verbose),
          markdown=lambda: render.drift_markdown(report))
    if report.drifted:
        raise Exit(ExitCode.DRIFT)


@cli.command()
@desired_option
@connection_options
@state_option
@stuck_option
@format_option
@verbose_option
@handle_errors
def status(desired_path: str, api_base_url: str, concurrency: int, request_timeout: float, deadline: float,
           state_dir: str, stuck_after: float, fmt: str, verbose: bool) -> None:
    """Work in flight: each task, order and deferred phase the state folder holds, judged now, and
    what of it the files do not declare (ignored: held back, never written); first, the numbers
    closed writes left failed that still cannot send. Exit 2 when some number failed (and, left by a
    closed write, still cannot send) or work is stuck."""
    from click.core import ParameterSource

    from reconciler import operations
    from reconciler.render import status as render_status

    # The files are optional here (status writes nothing): the default folder is read where it exists.
    given = click.get_current_context().get_parameter_source("desired_path") is not ParameterSource.DEFAULT
    desired = load_desired(desired_path) if given or os.path.exists(desired_path) else None
    named = click.get_current_context().get_parameter_source("state_dir") is not ParameterSource.DEFAULT
    if named and not os.path.isdir(state_dir):
        # A typo in --state-dir (or RECONCILER_STATE_DIR) must not read as "nothing in flight" unsaid.
        warn(f"state folder {state_dir} does not exist: no work in flight is known from it")
    with client_for(api_base_url, concurrency, request_timeout, deadline) as client:
        report = operations.status(client, state_dir, stuck_after=stuck_after, desired=desired)
    emit(fmt, data=lambda: render_status.status_dict(report),
          text=lambda color: render_status.status_text(report, color=color, verbose=verbose),
          markdown=lambda: render_status.status_markdown(report))
    if report.exit_code:
        raise Exit(report.exit_code)


@cli.command()
@desired_option
@connection_options
@state_option
@stuck_option
@format_option
@verbose_option
@click.option("--timeout", default=300.0, show_default=True, type=click.FloatRange(1),
              help="Seconds to wait for Telnyx to accept the phases carried out.")
@click.option("--shared-per-number", is_flag=True,
              help="The account accepts per-number writes to shared campaigns (as for plan and apply).")
@handle_errors
def resume(desired_path: str, api_base_url: str, concurrency: int, request_timeout: float, deadline: float,
           state_dir: str, stuck_after: float, fmt: str, verbose: bool, timeout: float,
           shared_per_number: bool) -> None:
    """Carry out the next phase of applies already approved (e.g. a bulk assignment waiting for
    Telnyx to free numbers) where the files still declare it, and record work that ended. Each
    phase's numbers are planned again from the files first; nothing else is planned: run it on a
    schedule. Exit 2 when some number failed, work is stuck, or a phase no longer applies."""
    from reconciler import operations
    from reconciler.render import status as render_status

    desired = load_desired(desired_path)  # the files decide every write: invalid files write nothing
    progress = progress_for(verbose)
    with client_for(api_base_url, concurrency, request_timeout, max(deadline, timeout + 600)) as client:
        progress.waiting_hint = waiting_hint(client)
        report = operations.resume(client, state_dir, progress=progress, timeout=timeout,
                                   stuck_after=stuck_after, warn=warn, desired=desired,
                                   options=options_from(None, None, None, shared_per_number))
    progress.done()
    emit(fmt, data=lambda: render_status.status_dict(report, kind="resume"),
          text=lambda color: render_status.status_text(report, color=color, kind="resume", verbose=verbose),
          markdown=lambda: render_status.status_markdown(report, kind="resume"))
    if report.exit_code:
        raise Exit(report.exit_code)



@cli.command()
@connection_options
@state_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--save", is_flag=True, help="Keep the learned answers in the state folder (doctor.json).")
@handle_errors
def doctor(api_base_url: str, concurrency: int, request_timeout: float, deadline: float, state_dir: str, fmt: str,
           save: bool) -> None:
    """Ask a real account, by reading only, what Telnyx leaves open: page caps, what totalRecords counts,
    sparse records, the sharing map's keys, how "none" is said, +E.164 ids, clock skew, rate-limit
    headers, the key's access. Prints each answer with the sandbox mode that matches and what the
    reconciler does; lists what only a write could show. Writes nothing to Telnyx."""
    from reconciler import operations
    from reconciler.render import doctor as render_doctor

    with client_for(api_base_url, concurrency, request_timeout, deadline) as client:
        report, saved = operations.doctor(client, state_dir if save else None)
    if fmt == "json":
        click.echo(render_doctor.doctor_json(report, saved), nl=False)
    else:
        click.echo(render_doctor.doctor_text(report, saved), nl=False)
