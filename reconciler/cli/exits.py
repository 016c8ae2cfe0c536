"""How a command ends: the one place errors become messages and exit codes.

Exit codes (contract; the values are `reconciler.errors.ExitCode`): 0 ok, 1 error, 2 changes
pending or blocked / drift, 3 refused (unsafe, stale, not approved), 4 apply finished but numbers
failed or are blocked, 5 apply stopped waiting before Telnyx accepted every write. A usage error
exits 1 too: 2 is taken by "changes" and "drift".
"""

from __future__ import annotations

import functools
import json
import os
import sys
from typing import Any, Callable

import click

from reconciler.errors import ExitCode, ReconcilerError, UsageError
from reconciler.render.safe import plain


class Exit(Exception):
    """Raised by a command to end with a specific exit code after printing its report."""

    def __init__(self, code: ExitCode) -> None:
        self.code = code


def error_in_format(fmt: Any, e: ReconcilerError) -> None:
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
            from reconciler.render.error import error_text

            click.echo(error_text(e), err=True)
            error_in_format(kwargs.get("fmt"), e)
            sys.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted; the journal records every write made so far", err=True)
            sys.exit(ExitCode.INTERRUPTED)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as e:  # a bug: say so plainly, exit 1 per the contract
            if debug:
                raise
            click.echo(f"error: internal error ({type(e).__name__}: {plain(str(e))}); re-run with --debug for details",
                       err=True)
            sys.exit(ExitCode.ERROR)

    return wrapper


def format_asked(argv: list[str]) -> str | None:
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


class UsageExit(click.UsageError):
    """click's usage error, exiting 1 (contract: never 2, the code of "changes" and "drift"), and
    with --format json|markdown also said on stdout in that format, like every other error."""

    exit_code = ExitCode.ERROR

    def __init__(self, original: click.UsageError, fmt: str | None) -> None:
        super().__init__(original.message, original.ctx)
        self.original, self.fmt = original, fmt

    def show(self, file: Any = None) -> None:
        self.original.show(file)  # usage, the hint to -h and the error, on stderr
        error_in_format(self.fmt, UsageError(plain(self.original.format_message())))
