"""The command line: options, settings, one error handler, exit codes. No domain logic.

Exit codes (contract): 0 ok, 1 error, 2 changes pending or blocked / drift, 3 refused
(unsafe, stale, not approved), 4 apply finished but numbers failed or are blocked, 5 apply
stopped waiting before Telnyx accepted every write.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, Callable

import click

from reconciler import __version__
from reconciler.errors import ConfigError, ReconcilerError, RefusedError

DEFAULT_BASE_URL = "https://api.telnyx.com/v2"
log = logging.getLogger("reconciler")


class Exit(Exception):
    """Raised by a command to end with a specific exit code after printing its report."""

    def __init__(self, code: int) -> None:
        self.code = code


def _error_in_format(fmt: Any, e: ReconcilerError) -> None:
    """With --format json|markdown, the refusal or error goes to stdout in that format too (a CI
    step reads stdout); the plain line stays on stderr."""
    if fmt not in ("json", "markdown"):
        return
    from reconciler.render.error import error_dict, error_markdown

    click.echo(json.dumps(error_dict(e), indent=2, ensure_ascii=False) if fmt == "json" else error_markdown(e),
               nl=fmt == "json")


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The one place errors become messages and exit codes. Tracebacks only with --debug."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = bool(os.environ.get("RECONCILER_DEBUG"))
        try:
            fn(*args, **kwargs)
        except Exit as e:
            sys.exit(e.code)
        except ReconcilerError as e:
            click.echo(f"error: {e}" if not isinstance(e, RefusedError) else f"refused: {e}", err=True)
            _error_in_format(kwargs.get("fmt"), e)
            sys.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted; the journal records every write made so far", err=True)
            sys.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as e:  # a bug: say so plainly, exit 1 per the contract
            if debug:
                raise
            click.echo(f"error: internal error ({type(e).__name__}: {e}); re-run with --debug for details",
                       err=True)
            sys.exit(1)

    return wrapper


# ---------------------------------------------------------------- shared options


def desired_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--desired", "desired_path", default="desired-state", show_default=True,
                        type=click.Path(), help="Desired-state folder (every *.yaml/*.yml below it) or one file.")(fn)


def connection_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--api-base-url", envvar="TELNYX_API_BASE_URL", default=DEFAULT_BASE_URL, show_default=True,
                      help="Telnyx API base URL (env TELNYX_API_BASE_URL). http:// only for loopback.")(fn)
    fn = click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 64),
                      help="Parallel read requests.")(fn)
    fn = click.option("--request-timeout", default=30.0, show_default=True, type=click.FloatRange(0.1),
                      help="Seconds one HTTP request may take (connect, and between bytes).")(fn)
    fn = click.option("--deadline", envvar="RECONCILER_DEADLINE", default=1800.0, show_default=True,
                      type=click.FloatRange(1),
                      help="Seconds every API call of this run must finish within (env RECONCILER_DEADLINE); "
                           "a hanging or endless API ends in one clear error.")(fn)
    return fn


def scope_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--profile", "only_profiles", multiple=True, metavar="ID",
                      help="Only this messaging profile (repeatable): fan out large estates in CI.")(fn)
    fn = click.option("--campaign", "only_campaigns", multiple=True, metavar="TCR_ID",
                      help="Only this TCR campaign (repeatable).")(fn)
    return fn


def plan_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--prune/--no-prune", default=None,
                      help="Override policy.prune: remove the campaign of unmanaged numbers.")(fn)
    fn = click.option("--allow-unassign", type=click.IntRange(0), metavar="N",
                      help="Allow exactly N unassignments over the safety limits.")(fn)
    fn = click.option("--allow-reassign", type=click.IntRange(0), metavar="N",
                      help="Allow exactly N campaign changes over the safety limits.")(fn)
    fn = click.option("--shared-per-number", is_flag=True,
                      help="This account accepts per-number assignment to shared campaigns (Telnyx documents "
                           "only bulk by profile).")(fn)
    return fn


class Duration(click.ParamType):
    """Seconds, or a number with a unit: 90s, 45m, 72h, 3d."""

    name = "duration"
    UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        if isinstance(value, (int, float)):
            return float(value)
        text = str(value).strip().lower()
        unit = self.UNITS.get(text[-1:], None)
        number = text[:-1] if unit else text
        try:
            seconds = float(number) * (unit or 1)
        except ValueError:
            self.fail(f"{value!r} is not a duration (e.g. 72h, 3d, 90m, 3600)", param, ctx)
        if not (0 < seconds < 10 * 365 * 86400):
            self.fail(f"{value!r} is not a duration between a second and ten years", param, ctx)
        return seconds


def state_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--state-dir", envvar="RECONCILER_STATE_DIR", default=".reconciler", show_default=True,
                        type=click.Path(file_okay=False),
                        help="Where the reconciler remembers work in flight between runs (env RECONCILER_STATE_DIR); "
                             "CI must carry it from job to job.")(fn)


def stuck_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--stuck-after", type=Duration(), default="72h", show_default=True,
                        help="Work in flight longer than this is stuck (exit 2).")(fn)


def format_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
                        show_default=True)(fn)


# ---------------------------------------------------------------- helpers


def _color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _api_key() -> str:
    key = os.environ.get("TELNYX_API_KEY", "").strip()
    if not key:
        raise ConfigError("TELNYX_API_KEY is not set (the API key is read only from the environment)")
    return key


def _client(api_base_url: str, concurrency: int, request_timeout: float, deadline: float) -> Any:
    from reconciler.live import TelnyxClient

    raw = os.environ.get("TELNYX_API_BASE_URL")
    if raw is not None and not raw.strip() and api_base_url == DEFAULT_BASE_URL:
        # Set but empty is a mistake (a CI variable that did not resolve), never "use production".
        raise ConfigError("TELNYX_API_BASE_URL is set but empty: set it to the API's base URL, or unset it to "
                          f"use {DEFAULT_BASE_URL}")
    return TelnyxClient(base_url=api_base_url, api_key=_api_key(), concurrency=concurrency,
                        timeout=request_timeout, deadline=deadline)


def _load(desired_path: str, only_profiles: tuple[str, ...] = (), only_campaigns: tuple[str, ...] = ()) -> Any:
    from reconciler.desired import load_desired

    desired = load_desired(desired_path)
    # A typo in a CI matrix must not pass as an empty, successful run.
    unknown = [f"profile {p}" + (f" (ids are lower case: {p.lower()})" if p.lower() in desired.profiles else "")
               for p in only_profiles if p not in desired.profiles]
    unknown += [f"campaign {c}" + (f" (TCR ids are upper case: {c.upper()})" if c.upper() in desired.campaigns() else "")
                for c in only_campaigns if c not in desired.campaigns()]
    if unknown:
        raise ConfigError(f"{', '.join(unknown)} not declared in {desired_path}")
    return desired.subset(frozenset(only_profiles), frozenset(only_campaigns))


def _options(prune: bool | None, allow_unassign: int | None, allow_reassign: int | None,
             shared_per_number: bool) -> Any:
    from reconciler.plan import PlanOptions

    return PlanOptions(prune=prune, allow_unassign=allow_unassign, allow_reassign=allow_reassign,
                       shared_per_number=shared_per_number)


def _step_summary(markdown: Callable[[], str]) -> None:
    """Append to $GITHUB_STEP_SUMMARY when GitHub Actions provides it (rendered only then)."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(markdown() + "\n")


def _emit(fmt: str, *, data: Callable[[], dict[str, Any]], text: Callable[[bool], str],
          markdown: Callable[[], str]) -> None:
    """The report on stdout in the chosen format; its markdown also to $GITHUB_STEP_SUMMARY."""
    from reconciler import render

    if fmt == "json":
        click.echo(render.to_json(data()), nl=False)
    elif fmt == "markdown":
        click.echo(markdown())
    else:
        click.echo(text(_color()), nl=False)
    _step_summary(markdown)


def _emit_plan(plan: Any, fmt: str) -> None:
    from reconciler import render

    _emit(fmt, data=lambda: render.plan_dict(plan), text=lambda color: render.plan_text(plan, color=color),
          markdown=lambda: render.plan_markdown(plan))


class _Progress:
    """Progress on stderr: a bar on a terminal, plain lines in CI (about one per 10 %)."""

    WIDTH = 24

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()

    def __call__(self, msg: str, done: int | None = None, total: int | None = None) -> None:
        if self.tty:
            bar = ""
            if total:
                filled = self.WIDTH * (done or 0) // total
                bar = f"[{'#' * filled}{'-' * (self.WIDTH - filled)}] {done}/{total} "
            click.echo(f"\r\x1b[2K{bar}{msg}", err=True, nl=False)
        elif total is None or done == total or (done or 0) % max(1, total // 10) == 0:
            click.echo(f"{msg} ({done}/{total})" if total else msg, err=True)

    def done(self) -> None:
        if self.tty:
            click.echo("", err=True)


# ---------------------------------------------------------------- commands


class _Group(click.Group):
    """Mounts `sandbox` lazily: the simulator is its own product and costs ~70 ms to import."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), "sandbox"])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name == "sandbox":
            from reconciler.sandbox.cli import sandbox

            return sandbox
        return super().get_command(ctx, name)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="reconciler")
@click.option("-v", "--verbose", count=True, help="More logging on stderr (-vv for HTTP requests).")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
def cli(verbose: int, debug: bool) -> None:
    """Declarative reconciler for Telnyx US 10DLC number-to-campaign assignments."""
    if debug:
        os.environ["RECONCILER_DEBUG"] = "1"
    level = logging.WARNING - 10 * min(verbose, 2) if not debug else logging.DEBUG
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")


@cli.command()
@desired_option
@handle_errors
def validate(desired_path: str) -> None:
    """Check the desired-state files offline (schema and rules)."""
    desired = _load(desired_path)
    n, p, c = len(desired.numbers), len(desired.profiles), len(desired.campaigns())
    click.echo(f"ok: {n} number{'s' * (n != 1)}, {p} profile{'s' * (p != 1)}, {c} campaign{'s' * (c != 1)} "
               f"in {desired_path}")
    _warn_if_state_tracked(os.environ.get("RECONCILER_STATE_DIR") or ".reconciler")


def _warn_if_state_tracked(state_dir: str) -> None:
    """The state folder belongs to CI's artifact chain, not to git: a committed one is read by every
    later checkout and would make the journal say what an old commit remembered."""
    import subprocess

    try:
        tracked = subprocess.run(["git", "ls-files", "--", state_dir], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return  # no git here: nothing to check
    if tracked.returncode == 0 and tracked.stdout.strip():
        _warn(f"the state folder {state_dir} is tracked by git: remove it (git rm -r --cached {state_dir}) and "
              "add it to .gitignore; CI carries it as an artifact")


def _warn(msg: str) -> None:
    click.echo(f"warning: {msg}", err=True)


def _notes(items: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--note")
        out[key.strip()[:40]] = value.strip()[:200]
    return out


@cli.command()
@desired_option
@connection_options
@scope_options
@plan_options
@state_option
@format_option
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Save the plan (with preconditions) for apply.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when there are changes or declared numbers are blocked.")
@handle_errors
def plan(desired_path: str, api_base_url: str, concurrency: int, request_timeout: float, deadline: float,
         only_profiles: tuple[str, ...],
         only_campaigns: tuple[str, ...], prune: bool | None, allow_unassign: int | None,
         allow_reassign: int | None, shared_per_number: bool, state_dir: str, fmt: str, out: str | None,
         detailed_exitcode: bool) -> None:
    """Read live state and show the changes. Writes nothing to Telnyx."""
    from reconciler import operations, render

    desired = _load(desired_path, only_profiles, only_campaigns)
    with _client(api_base_url, concurrency, request_timeout, deadline) as client:
        planned = operations.plan_live(client, desired, _options(prune, allow_unassign, allow_reassign,
                                                                 shared_per_number), state_dir, warn=_warn)
    result = planned.plan
    _emit_plan(result, fmt)
    if out:
        Path(out).write_text(render.to_json(render.saved_plan_dict(result)), encoding="utf-8")
        click.echo(f"saved plan to {out} (checksum {result.checksum()})", err=True)
    if detailed_exitcode and (result.has_changes or result.blocked):
        raise Exit(2)


@cli.command()
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False))
@desired_option
@connection_options
@scope_options
@plan_options
@state_option
@format_option
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
              help="Refuse (exit 3) unless a fresh plan has exactly this checksum (what reviewers saw).")
@click.option("--reviewed-plan", type=click.Path(dir_okay=False, exists=True),
              help="A plan saved at review time: refuse (exit 3) unless a fresh plan matches it, and say what moved.")
@handle_errors
def apply(plan_file: str | None, desired_path: str, api_base_url: str, concurrency: int, request_timeout: float,
          deadline: float,
          only_profiles: tuple[str, ...], only_campaigns: tuple[str, ...], prune: bool | None,
          allow_unassign: int | None, allow_reassign: int | None, shared_per_number: bool, state_dir: str, fmt: str,
          auto_approve: bool, wait: bool, until: str, timeout: float, notes: tuple[str, ...],
          expect_checksum: str | None, reviewed_plan: str | None) -> None:
    """Apply a saved plan exactly, or plan and apply. Returns once Telnyx has accepted the work."""
    from reconciler import operations, render
    from reconciler.apply import Until
    from reconciler.journal import Journal
    from reconciler.planfile import load_plan

    if plan_file:
        _refuse_plan_options()
    progress = _Progress()
    mode = Until(until) if wait else Until.SUBMITTED
    # The state folder's lock is held from before the plan is made: no other apply can be between
    # sending a write and journalling it, so work in flight is judged exactly (tracking.judge).
    journal = Journal(state_dir, note=_notes(notes))
    # Waiting for Telnyx is bounded by --timeout; the deadline must leave it room.
    with journal, _client(api_base_url, concurrency, request_timeout, max(deadline, timeout + 600)) as client:
        live = None
        if plan_file:
            the_plan = load_plan(plan_file)
        else:
            desired = _load(desired_path, only_profiles, only_campaigns)
            operations.settle_intents(client, journal, timeout=min(timeout, 300.0), progress=progress)
            operations.note_processed_tasks(client, journal)
            if operations.has_deferred_phases(state_dir):
                # Finish what earlier approved applies left for later before planning anew.
                operations.resume(client, state_dir, progress=progress, timeout=min(timeout, 300.0), warn=_warn,
                                  journal=journal)
            planned = operations.plan_live(client, desired, _options(prune, allow_unassign, allow_reassign,
                                                                     shared_per_number), state_dir, warn=_warn,
                                           exclusive=True)
            the_plan, live = planned.plan, planned.live
        if reviewed_plan:
            reviewed = load_plan(reviewed_plan)
            expect_checksum = expect_checksum or reviewed.checksum()
        if expect_checksum and the_plan.checksum() != expect_checksum:
            why = ""
            if reviewed_plan:
                from reconciler.compare import explain

                why = "\n  " + "\n  ".join(explain(render.saved_plan_dict(reviewed), render.saved_plan_dict(the_plan)))
            raise RefusedError(f"the plan's checksum is {the_plan.checksum()}, not the reviewed {expect_checksum}: "
                               f"live state or the files changed since review; re-plan and review again{why}")
        if fmt == "text":
            click.echo(render.plan_text(the_plan, color=_color()), nl=False)
        if not the_plan.safe:
            raise RefusedError("the plan is unsafe:\n  " + "\n  ".join(the_plan.unsafe))
        waiting = (mode is Until.FINAL and bool(the_plan.in_flight)) or (
            mode is not Until.SUBMITTED and bool(the_plan.being_freed))
        waiting = waiting and not plan_file
        if not the_plan.has_changes and not waiting:
            from reconciler.apply import ApplyReport

            report = ApplyReport(until=mode)
            report.outcomes = _plan_only_outcomes(the_plan)
            if fmt == "text":
                n = len(the_plan.in_flight)
                click.echo("Nothing to apply." + (f" {n} number{' is' if n == 1 else 's are'} in flight at Telnyx."
                                                  if n else ""))
                if report.outcomes:
                    click.echo(render.apply_text(report, color=_color()), nl=False)
                _step_summary(lambda: render.apply_markdown(report))
            else:
                _emit(fmt, data=lambda: render.apply_dict(report),
                      text=lambda color: render.apply_text(report, color=color),
                      markdown=lambda: render.apply_markdown(report))
            if report.exit_code:
                raise Exit(report.exit_code)
            return
        if not auto_approve and not plan_file and the_plan.has_changes:
            if not (sys.stdin.isatty() and sys.stdout.isatty()):
                raise RefusedError("not approved: pass --auto-approve (no terminal to ask on)")
            if not click.confirm(f"Apply {len(the_plan.writes)} change(s)?", default=False):
                raise RefusedError("not approved")
        report = operations.apply_plan(client, the_plan, saved=bool(plan_file), live=live, journal=journal,
                                       until=mode, timeout=timeout, progress=progress)
        progress.done()
    _emit(fmt, data=lambda: render.apply_dict(report), text=lambda color: render.apply_text(report, color=color),
          markdown=lambda: render.apply_markdown(report))
    if report.exit_code:
        raise Exit(report.exit_code)


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
                          "pass them to `reconciler plan --out` instead")


def _plan_only_outcomes(the_plan: Any) -> list[Any]:
    """Nothing to write: what apply still reports (blocked numbers, work in flight)."""
    from reconciler.apply import Outcome, Result
    from reconciler.diff import Action

    out = []
    for c in the_plan.changes:
        if c.action is Action.BLOCKED and c.declared:
            out.append(Outcome(c.number, c.profile_id, c.tcr_campaign_id, Result.BLOCKED, c.reason))
        elif c.action is Action.IN_FLIGHT:
            out.append(Outcome(c.number, c.profile_id, c.tcr_campaign_id, Result.IN_FLIGHT,
                               c.reason or c.live_status))
    return out


@cli.command()
@desired_option
@connection_options
@scope_options
@state_option
@stuck_option
@format_option
@handle_errors
def drift(desired_path: str, api_base_url: str, concurrency: int, request_timeout: float, deadline: float,
          only_profiles: tuple[str, ...], only_campaigns: tuple[str, ...], state_dir: str, stuck_after: float,
          fmt: str) -> None:
    """Classify every difference between the files and Telnyx. Exit 2 on drift."""
    from reconciler import operations, render

    desired = _load(desired_path, only_profiles, only_campaigns)
    with _client(api_base_url, concurrency, request_timeout, deadline) as client:
        report = operations.drift(client, desired, state_dir, stuck_after=stuck_after, warn=_warn)
    _emit(fmt, data=lambda: render.drift_dict(report), text=lambda color: render.drift_text(report, color=color),
          markdown=lambda: render.drift_markdown(report))
    if report.drifted:
        raise Exit(2)


@cli.command()
@connection_options
@state_option
@stuck_option
@format_option
@handle_errors
def status(api_base_url: str, concurrency: int, request_timeout: float, deadline: float, state_dir: str,
           stuck_after: float, fmt: str) -> None:
    """Work in flight: each task, order and deferred phase the state folder holds, judged now. Exit 2
    when some number failed or work is stuck."""
    from reconciler import operations
    from reconciler.render import status as render_status

    with _client(api_base_url, concurrency, request_timeout, deadline) as client:
        report = operations.status(client, state_dir, stuck_after=stuck_after, warn=_warn)
    _emit(fmt, data=lambda: render_status.status_dict(report),
          text=lambda color: render_status.status_text(report, color=color),
          markdown=lambda: render_status.status_markdown(report))
    if report.exit_code:
        raise Exit(report.exit_code)


@cli.command()
@connection_options
@state_option
@stuck_option
@format_option
@click.option("--timeout", default=300.0, show_default=True, type=click.FloatRange(1),
              help="Seconds to wait for Telnyx to accept the phases carried out.")
@handle_errors
def resume(api_base_url: str, concurrency: int, request_timeout: float, deadline: float, state_dir: str,
           stuck_after: float, fmt: str, timeout: float) -> None:
    """Carry out the next phase of applies already approved (e.g. a bulk assignment waiting for
    Telnyx to free numbers), and record work that ended. Never plans anything new: run it on a
    schedule. Exit 2 when some number failed, work is stuck, or a phase no longer applies."""
    from reconciler import operations
    from reconciler.render import status as render_status

    progress = _Progress()
    with _client(api_base_url, concurrency, request_timeout, max(deadline, timeout + 600)) as client:
        report = operations.resume(client, state_dir, progress=progress, timeout=timeout,
                                   stuck_after=stuck_after, warn=_warn)
    progress.done()
    _emit(fmt, data=lambda: render_status.status_dict(report, kind="resume"),
          text=lambda color: render_status.status_text(report, color=color, kind="resume"),
          markdown=lambda: render_status.status_markdown(report, kind="resume"))
    if report.exit_code:
        raise Exit(report.exit_code)


@cli.command(name="import")
@click.option("--profile", "profiles", multiple=True, metavar="ID", help="Messaging profile to import (repeatable).")
@click.option("--all-profiles", is_flag=True, help="Import every messaging profile of the account.")
@click.option("--out", "out", type=click.Path(), default=None,
              help="A folder (one file per profile) or a .yaml file; default: stdout.")
@connection_options
@handle_errors
def import_(profiles: tuple[str, ...], all_profiles: bool, out: str | None, api_base_url: str,
            concurrency: int, request_timeout: float, deadline: float) -> None:
    """Write desired-state YAML from live state."""
    from reconciler.importer import declarable, file_name, imported_profiles, profile_yaml, unusable_profiles
    from reconciler.live import read_profiles_for_import

    if bool(profiles) == all_profiles:
        raise click.UsageError("give --profile ID (repeatable) or --all-profiles")
    with _client(api_base_url, concurrency, request_timeout, deadline) as client:
        live = read_profiles_for_import(client, list(profiles) if profiles else None)
    for pid in unusable_profiles(live):
        click.echo(f"warning: a messaging profile id from Telnyx is not a UUID ({pid[:60]!r}); not written", err=True)
    imported, assignments = imported_profiles(live), live.assignments
    empty = [p for p in imported if not declarable(p, assignments)]
    for p in empty:
        click.echo(f"note: profile {p.name or p.id} has no number on a campaign; not written", err=True)
    imported = [p for p in imported if p not in empty]
    target = Path(out) if out else None
    as_dir = target is not None and (target.is_dir() or not target.suffix)
    if target is not None and as_dir:
        schema = _schema_modeline(target)
        _safe_dir(target)
        for p in imported:
            _write_safely(target, file_name(p), profile_yaml(p, assignments, schema=schema))
        click.echo(f"wrote {len(imported)} file(s) to {target}", err=True)
        return
    schema = _schema_modeline(target.parent if target is not None else Path("desired-state"))
    text = "\n".join(profile_yaml(p, assignments, schema=schema) if i == 0 else
                     profile_yaml(p, assignments, schema=schema).split("profiles:\n", 1)[1]
                     for i, p in enumerate(imported))
    if target is not None:
        _safe_dir(target.parent)
        _write_safely(target.parent, target.name, text)
        click.echo(f"wrote {len(imported)} profile(s) to {target}", err=True)
    else:
        click.echo(text, nl=False)


def _schema_modeline(folder: Path) -> str:
    """The schema path as seen from the folder the YAML lands in (editors resolve it from there)."""
    return os.path.relpath(Path.cwd() / "schemas" / "desired-state.schema.json", start=folder.resolve()
                           if folder.exists() else (Path.cwd() / folder)).replace(os.sep, "/")


def _safe_dir(folder: Path) -> None:
    if folder.is_symlink():
        raise ConfigError(f"{folder} is a symbolic link: refusing to write through it")
    folder.mkdir(parents=True, exist_ok=True)


def _write_safely(folder: Path, name: str, text: str) -> None:
    """Write `folder/name` through a temporary file and a rename: never through a symbolic link a
    third party planted there, never outside `folder` (names come from API data)."""
    import tempfile

    if "/" in name or "\\" in name or name in ("", ".", ".."):
        raise ConfigError(f"refusing the file name {name!r}")
    path = folder / name
    if path.is_symlink():
        raise ConfigError(f"{path} is a symbolic link: refusing to write through it")
    if path.resolve().parent != folder.resolve():
        raise ConfigError(f"{path} would land outside {folder}")
    fd, tmp = tempfile.mkstemp(prefix=".import.", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main() -> None:
    cli(prog_name="reconciler")
