"""The click options commands share, as decorators, and the option types they parse with.

Only parsing lives here: what an option's value becomes (a client, the desired state, plan
options) is `inputs`.
"""

from __future__ import annotations

from typing import Any, Callable

import click

from reconciler.journal import DEFAULT_STATE_DIR

from .inputs import DEFAULT_BASE_URL


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


def planning_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """What every command that makes a plan takes: files, connection, scope, plan options, state, format."""
    for option in (verbose_option, format_option, state_option, plan_options, scope_options, connection_options,
                   desired_option):
        fn = option(fn)
    return fn


def parse_notes(items: tuple[str, ...]) -> dict[str, str]:
    """`--note KEY=VALUE` (repeatable) as a dict, each key and value cut to a bounded length."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--note")
        out[key.strip()[:40]] = value.strip()[:200]
    return out
