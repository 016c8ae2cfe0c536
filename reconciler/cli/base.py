"""The command line's shared parts: the group, options, settings, the one error handler, output.

Exit codes (contract): 0 ok, 1 error, 2 changes pending or blocked / drift, 3 refused
(unsafe, stale, not approved), 4 apply finished but numbers failed or are blocked, 5 apply
stopped waiting before Telnyx accepted every write.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import sys
import time
from typing import Any, Callable

import click

from reconciler import __version__
from reconciler.errors import ConfigError, ExitCode, ReconcilerError, RefusedError, UsageError
from reconciler.journal import DEFAULT_STATE_DIR
from reconciler.render.safe import plain

DEFAULT_BASE_URL = "https://api.telnyx.com/v2"
log = logging.getLogger("reconciler")


class Exit(Exception):
    """Raised by a command to end with a specific exit code after printing its report."""

    def __init__(self, code: ExitCode) -> None:
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
            sys.exit(ExitCode.INTERRUPTED)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as e:  # a bug: say so plainly, exit 1 per the contract
            if debug:
                raise
            click.echo(f"error: internal error ({type(e).__name__}: {e}); re-run with --debug for details",
                       err=True)
            sys.exit(ExitCode.ERROR)

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
    fn = click.option("--profile", "only_profiles", multiple=True, metavar="ID|NAME",
                      help="Only this messaging profile, by id or declared name (repeatable): fan out large "
                           "estates in CI.")(fn)
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
    return click.option("--state-dir", envvar="RECONCILER_STATE_DIR", default=DEFAULT_STATE_DIR, show_default=True,
                        type=click.Path(file_okay=False),
                        help="Where the reconciler remembers work in flight between runs (env RECONCILER_STATE_DIR); "
                             "CI must carry it from job to job.")(fn)


def stuck_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--stuck-after", type=Duration(), default="72h", show_default=True,
                        help="Work in flight longer than this is stuck (exit 2).")(fn)


def format_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
                        show_default=True)(fn)


def verbose_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--verbose", "verbose", is_flag=True,
                        help="Text: list every number (unchanged, unmanaged and in flight are otherwise counted per "
                             "profile and campaign, each reason said once). JSON is always complete. apply and "
                             "resume: every progress line on stderr, number by number (otherwise summed; so does "
                             "`reconciler -v`).")(fn)


# ---------------------------------------------------------------- helpers


def planning_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """What every command that makes a plan takes: files, connection, scope, plan options, state, format."""
    for option in (verbose_option, format_option, state_option, plan_options, scope_options, connection_options,
                   desired_option):
        fn = option(fn)
    return fn


def color_on() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _api_key() -> str:
    key = os.environ.get("TELNYX_API_KEY", "").strip()
    if not key:
        raise ConfigError("TELNYX_API_KEY is not set (the API key is read only from the environment)")
    return key


def client_for(api_base_url: str, concurrency: int, request_timeout: float, deadline: float) -> Any:
    from reconciler.live import TelnyxClient

    raw = os.environ.get("TELNYX_API_BASE_URL")
    if raw is not None and not raw.strip() and api_base_url == DEFAULT_BASE_URL:
        # Set but empty is a mistake (a CI variable that did not resolve), never "use production".
        raise ConfigError("TELNYX_API_BASE_URL is set but empty: set it to the API's base URL, or unset it to "
                          f"use {DEFAULT_BASE_URL}")
    return TelnyxClient(base_url=api_base_url, api_key=_api_key(), concurrency=concurrency,
                        timeout=request_timeout, deadline=deadline)


def load_desired(desired_path: str, only_profiles: tuple[str, ...] = (), only_campaigns: tuple[str, ...] = ()) -> Any:
    from reconciler.desired import load_desired

    desired = load_desired(desired_path)
    only_profiles = _profile_ids(desired, only_profiles)
    # A typo in a CI matrix must not pass as an empty, successful run.
    unknown = [f"profile {p}" + (f" (ids are lower case: {p.lower()})" if p.lower() in desired.profiles else "")
               for p in only_profiles if p not in desired.profiles]
    unknown += [f"campaign {c}" + (f" (TCR ids are upper case: {c.upper()})" if c.upper() in desired.campaigns() else "")
                for c in only_campaigns if c not in desired.campaigns()]
    if unknown:
        raise ConfigError(f"{', '.join(unknown)} not declared in {desired_path}")
    return desired.subset(frozenset(only_profiles), frozenset(only_campaigns))


def _profile_ids(desired: Any, given: tuple[str, ...]) -> tuple[str, ...]:
    """`--profile` takes a declared id or a declared name (the files' `name:`); a name two profiles
    share is an error naming their ids, never a guess."""
    by_name: dict[str, list[str]] = {}
    for p in desired.profiles.values():
        if p.name:
            by_name.setdefault(p.name, []).append(p.id)
    out = []
    for g in given:
        ids = by_name.get(g, []) if g not in desired.profiles else [g]
        if len(ids) > 1:
            raise ConfigError(f"profile name {g!r} is declared for {len(ids)} profiles ({', '.join(sorted(ids))}): "
                              "give --profile the id")
        out.append(ids[0] if ids else g)
    return tuple(out)


def options_from(prune: bool | None, allow_unassign: int | None, allow_reassign: int | None,
             shared_per_number: bool) -> Any:
    from reconciler.plan import PlanOptions

    return PlanOptions(prune=prune, allow_unassign=allow_unassign, allow_reassign=allow_reassign,
                       shared_per_number=shared_per_number)


def step_summary(markdown: Callable[[], str]) -> None:
    """Append to $GITHUB_STEP_SUMMARY when GitHub Actions provides it (rendered only then)."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(markdown() + "\n")


def emit(fmt: str, *, data: Callable[[], dict[str, Any]], text: Callable[[bool], str],
          markdown: Callable[[], str]) -> None:
    """The report on stdout in the chosen format; its markdown also to $GITHUB_STEP_SUMMARY."""
    from reconciler import render

    if fmt == "json":
        click.echo(render.to_json(data()), nl=False)
    elif fmt == "markdown":
        click.echo(markdown())
    else:
        click.echo(text(color_on()), nl=False)
    step_summary(markdown)


def emit_plan(plan: Any, fmt: str, verbose: bool = False) -> None:
    from reconciler import render

    emit(fmt, data=lambda: render.plan_dict(plan),
         text=lambda color: render.plan_text(plan, color=color, verbose=verbose),
          markdown=lambda: render.plan_markdown(plan))


# `N number(s)` in a progress line, and the numbers one names: what varies between lines of one kind.
_COUNT = re.compile(r"\b(\d+) number\(s\)")
_PHONE = re.compile(r"\+\d{8,15}\b")


class Progress:
    """Progress on stderr: a bar on a terminal, plain lines in CI (about one per 10 %).

    Lines of one kind that come per number (a move Telnyx refuses, a number freed: 500 lines for
    250 numbers) are said the first time, then summed: one line per kind, its numbers added up, at
    most once a minute and when the run moves on (a line of another kind, or the end). `verbose`:
    every line as it comes. `waiting_hint`: said after every "waiting for" line (how a wait on the
    sandbox's clock ends, or that `resume` picks the work up later)."""

    WIDTH = 24
    EVERY = 60.0  # seconds between two sums of the same kind

    def __init__(self, verbose: bool = False, clock: Callable[[], float] = time.monotonic) -> None:
        self.tty = sys.stderr.isatty()
        self.verbose = verbose
        self.clock = clock
        self.waiting_hint: Callable[[], str] | None = None
        self._kinds: dict[str, list[int]] = {}  # kind -> [numbers in all, lines in all, lines not said]
        self._summed_at = clock()

    def __call__(self, msg: str, done: int | None = None, total: int | None = None) -> None:
        msg = plain(msg)  # names from YAML, Telnyx's words in an error: one line, no escapes
        if total is None and msg.startswith("waiting for") and self.waiting_hint is not None:
            msg += self.waiting_hint()
        if total is not None or self.verbose:
            self._echo(msg, done, total)
            return
        counted = _COUNT.search(msg)
        kind = _PHONE.sub("+…", _COUNT.sub("{n} number(s)", msg, count=1))
        seen = self._kinds.get(kind)
        n = int(counted.group(1)) if counted else 1
        if seen is None:
            self.flush()  # the run moved on: what was summed so far is said first
            self._kinds[kind] = [n, 1, 0]
            self._echo(msg, None, None)
            return
        seen[0] += n
        seen[1] += 1
        seen[2] += 1
        if self.clock() - self._summed_at >= self.EVERY:
            self.flush()

    def flush(self, last: bool = False) -> None:
        """Say each kind of line repeated since it was last said, its numbers summed."""
        self._summed_at = self.clock()
        for kind, seen in self._kinds.items():
            if not seen[2]:
                continue
            seen[2] = 0
            so_far = "in all" if last else "so far"
            if "{n} number(s)" in kind:
                self._echo(f"{so_far}: " + kind.replace("{n} number(s)", f"{seen[0]} number(s)", 1), None, None)
            else:
                self._echo(f"{so_far}, {seen[1]} times: {kind}", None, None)

    def _echo(self, msg: str, done: int | None, total: int | None) -> None:
        if self.tty:
            bar = ""
            if total:
                filled = self.WIDTH * (done or 0) // total
                bar = f"[{'#' * filled}{'-' * (self.WIDTH - filled)}] {done}/{total} "
            click.echo(f"\r\x1b[2K{bar}{msg}", err=True, nl=False)
        elif total is None or done == total or (done or 0) % max(1, total // 10) == 0:
            click.echo(f"{msg} ({done}/{total})" if total else msg, err=True)

    def done(self) -> None:
        self.flush(last=True)
        if self.tty:
            click.echo("", err=True)


def progress_for(verbose: bool) -> Progress:
    """apply's and resume's progress: every line with the command's --verbose or the logging -v
    (`reconciler -v apply`), else summed per kind of line."""
    ctx = click.get_current_context(silent=True)
    chatty = bool(ctx is not None and ctx.find_root().params.get("verbose"))
    return Progress(verbose=verbose or chatty)


def waiting_hint(client: Any) -> Callable[[], str]:
    """What ends a wait on this API, said after each "waiting for" line: on the sandbox (it says so
    in every answer), that `reconciler sandbox advance` moves its clock (which may stand still);
    elsewhere, that the work goes on at Telnyx and `reconciler resume` picks it up later."""

    def hint() -> str:
        clock = getattr(client, "sandbox_clock", None)
        if clock == "frozen":
            return ("; the sandbox's clock stands still (--time-scale 0): `reconciler sandbox advance 3h` moves it, "
                    "or stop waiting and run `reconciler resume` later")
        if clock:
            return (f"; a sandbox (its clock runs {clock.removeprefix('x')}x real time): `reconciler sandbox advance "
                    f"DURATION` moves it on")
        return "; if this run stops waiting first, the work goes on at Telnyx and `reconciler resume` picks it up later"

    return hint


# ---------------------------------------------------------------- commands


def _format_asked(argv: list[str]) -> str | None:
    """The --format a command line asks for, read from its words (a usage error comes before or
    instead of parsing them): `--format json` or `--format=json`, the last one given."""
    fmt = None
    for i, word in enumerate(argv):
        if word == "--":
            break
        if word == "--format" and i + 1 < len(argv):
            fmt = argv[i + 1]
        elif word.startswith("--format="):
            fmt = word.partition("=")[2]
    return fmt


class _Usage(click.UsageError):
    """click's usage error, exiting 1 (contract: never 2, the code of "changes" and "drift"), and
    with --format json|markdown also said on stdout in that format, like every other error."""

    exit_code = ExitCode.ERROR

    def __init__(self, original: click.UsageError, fmt: str | None) -> None:
        super().__init__(original.message, original.ctx)
        self.original, self.fmt = original, fmt

    def show(self, file: Any = None) -> None:
        self.original.show(file)  # usage, the hint to -h and the error, on stderr
        _error_in_format(self.fmt, UsageError(plain(self.original.format_message())))


class _Group(click.Group):
    """Mounts `sandbox` lazily: the simulator is its own product and costs ~70 ms to import.
    Usage errors of every command (this group's, its commands', nested groups') exit 1."""

    _argv: list[str] = []

    def main(self, args: Any = None, *a: Any, **kw: Any) -> Any:
        self._argv = [str(x) for x in (sys.argv[1:] if args is None else args)]
        return super().main(args, *a, **kw)

    def make_context(self, *a: Any, **kw: Any) -> click.Context:
        try:
            return super().make_context(*a, **kw)
        except _Usage:
            raise
        except click.UsageError as e:
            raise _Usage(e, _format_asked(self._argv)) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _Usage:
            raise
        except click.UsageError as e:
            raise _Usage(e, _format_asked(self._argv)) from None

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
    from reconciler.cli.logs import configure  # every line scrubbed of the key, whatever a server echoes

    configure(logging.WARNING - 10 * min(verbose, 2) if not debug else logging.DEBUG)



def warn(msg: str) -> None:
    click.echo(f"warning: {msg}", err=True)


def parse_notes(items: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--note")
        out[key.strip()[:40]] = value.strip()[:200]
    return out

