"""`reconciler apply`: prepare (operations.prepare_apply), show, approve, apply, report."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from reconciler.errors import ConfigError, RefusedError
from reconciler.model import plural

if TYPE_CHECKING:
    from reconciler.plan import Plan

from .exits import Exit, handle_errors
from .group import cli
from .inputs import client_for, load_desired, options_from
from .options import parse_notes, planning_options
from .output import color_on, emit, step_summary, warn
from .progress import progress_for, waiting_hint


@cli.command()
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False))
@planning_options
@click.option("--auto-approve", is_flag=True, help="Apply a fresh plan without asking (a saved plan never asks).")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="Wait for Telnyx to accept the work (--no-wait returns right after submitting).")
@click.option("--until", "until", type=click.Choice(["accepted", "final"]), default="accepted", show_default=True,
              help="accepted: return once Telnyx has taken every write (numbers may stay PENDING for hours); "
                   "final: wait until every number is assigned, removed or failed.")
@click.option("--timeout", default=900.0, show_default=True, type=click.FloatRange(1),
              help="Seconds to wait; past it, apply exits 5 if Telnyx had not yet accepted every write.")
@click.option("--note", "notes", multiple=True, metavar="KEY=VALUE",
              help="Recorded with every write in the state folder (e.g. pr=123): status and CI comments show it.")
@click.option("--expect-checksum", metavar="SHA256",
              help="Refuse (exit 3) unless the plan (fresh, or PLAN_FILE) has exactly this checksum (what reviewers "
                   "saw). A saved plan's own checksum catches accidental edits only: apply a plan file from anyone "
                   "else with the checksum you reviewed.")
@click.option("--ignore-change-windows", is_flag=True,
              help="Apply now even outside policy.change_windows (a plan that stops sending numbers is otherwise "
                   "refused there, exit 3).")
@click.option("--reviewed-plan", type=click.Path(dir_okay=False, exists=True),
              help="A plan saved at review time: refuse (exit 3) unless a fresh plan matches it, and say what moved.")
@handle_errors
def apply(plan_file: str | None, desired_path: str, api_base_url: str, concurrency: int, request_timeout: float,
          deadline: float,
          only_profiles: tuple[str, ...], only_campaigns: tuple[str, ...], prune: bool | None,
          allow_unassign: int | None, allow_reassign: int | None, shared_per_number: bool, state_dir: str, fmt: str,
          verbose: bool, auto_approve: bool, wait: bool, until: str, timeout: float, notes: tuple[str, ...],
          expect_checksum: str | None, reviewed_plan: str | None, ignore_change_windows: bool) -> None:
    """Apply a saved plan exactly, or plan and apply. Returns once Telnyx has accepted the work.

    A saved plan's checksum is a plain SHA-256 of its own content: it catches an accidental edit, not a
    deliberate one (whoever edits the file can recompute it). Apply a plan file that anyone else could
    have written with --expect-checksum and the checksum you reviewed."""
    from reconciler import operations, render
    from reconciler.apply import Until
    from reconciler.journal import Journal
    from reconciler import planfile

    if plan_file:
        _refuse_plan_options()
        if not expect_checksum and not (sys.stdin.isatty() and sys.stderr.isatty()):
            # Not at a terminal (CI, a script): the file may not be the one a person reviewed.
            click.echo(UNPINNED, err=True)
    progress = progress_for(verbose)
    mode = Until(until) if wait else Until.SUBMITTED
    # The state folder's lock is held from before the plan is made: no other apply can be between
    # sending a write and journalling it, so work in flight is judged exactly (tracking.judge).
    journal = Journal(state_dir, note=parse_notes(notes))
    # Waiting for Telnyx is bounded by --timeout; the deadline must leave it room.
    with journal, client_for(api_base_url, concurrency, request_timeout, max(deadline, timeout + 600)) as client:
        progress.waiting_hint = waiting_hint(client)
        prep = operations.prepare_apply(
            client, journal, until=mode, timeout=timeout, progress=progress, warn=warn,
            saved_plan=planfile.load(plan_file) if plan_file else None,
            desired=None if plan_file else load_desired(desired_path, only_profiles, only_campaigns),
            options=options_from(prune, allow_unassign, allow_reassign, shared_per_number),
            expect_checksum=expect_checksum, reviewed=planfile.load(reviewed_plan) if reviewed_plan else None,
            ignore_windows=ignore_change_windows)
        the_plan = prep.plan
        names = the_plan.profile_names  # apply's report names profiles like the plan does
        if fmt == "text":
            click.echo(render.plan_text(the_plan, color=color_on(), verbose=verbose, saved=bool(plan_file)), nl=False)
        if prep.nothing is not None:
            report = prep.nothing
            if fmt == "text":
                n = len(the_plan.in_flight)
                click.echo("Nothing to apply." + (f" {n} number{' is' if n == 1 else 's are'} in flight at Telnyx."
                                                  if n else ""))
                if report.outcomes:
                    click.echo(render.apply_text(report, color=color_on(), names=names, verbose=verbose), nl=False)
                step_summary(lambda: render.apply_markdown(report, names=names))
            else:
                emit(fmt, data=lambda: render.apply_dict(report),
                      text=lambda color: render.apply_text(report, color=color, names=names, verbose=verbose),
                      markdown=lambda: render.apply_markdown(report, names=names))
            if report.exit_code:
                raise Exit(report.exit_code)
            return
        # apply refuses an unsafe plan itself, before asking; a saved plan was approved by its review.
        report = operations.apply_plan(prep, journal, until=mode, timeout=timeout, progress=progress,
                                       approve=None if auto_approve or plan_file else _ask)
        progress.done()
    emit(fmt, data=lambda: render.apply_dict(report),
         text=lambda color: render.apply_text(report, color=color, names=names, verbose=verbose),
         markdown=lambda: render.apply_markdown(report, names=names))
    if report.exit_code:
        raise Exit(report.exit_code)


UNPINNED = ("note: a saved plan's own checksum catches accidental edits only; apply a plan file from anyone else "
            "with --expect-checksum <the checksum you reviewed>")


def _ask(plan: Plan) -> None:
    """Approval on a terminal; RefusedError (exit 3) without one, or on no."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise RefusedError("not approved: pass --auto-approve (no terminal to ask on)")
    if not click.confirm(f"Apply {plural(len(plan.writes), 'change', 'changes')}?", default=False):
        raise RefusedError("not approved")


# Options that shape a plan, by parameter name: a saved plan was made (and reviewed) without them.
PLAN_SHAPING = {"desired_path": "--desired", "only_profiles": "--profile", "only_campaigns": "--campaign",
                "prune": "--prune/--no-prune", "allow_unassign": "--allow-unassign",
                "allow_reassign": "--allow-reassign", "shared_per_number": "--shared-per-number"}


def _refuse_plan_options() -> None:
    """A saved plan is applied exactly as reviewed: an option that would change it is an error,
    never silently ignored (Terraform: "can't set variables when applying a saved plan")."""
    from click.core import ParameterSource

    ctx = click.get_current_context()
    given = [flag for name, flag in PLAN_SHAPING.items()
             if ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)]
    if given:
        raise ConfigError(f"{', '.join(given)} cannot change a saved plan, which is applied exactly as reviewed: "
                          f"give {'it' if len(given) == 1 else 'them'} to `reconciler plan --out FILE` instead (with "
                          "the same --desired and --profile), review that plan, then `reconciler apply FILE`")

