"""The `reconciler` group: its global options (-v, --debug, --version), usage errors that exit 1
for every command below it, and the `sandbox` command mounted only when asked for."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import click

from reconciler import __version__

from .exits import UsageExit, format_asked


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
        except UsageExit:
            raise
        except click.UsageError as e:
            raise UsageExit(e, format_asked(self._argv)) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UsageExit:
            raise
        except click.UsageError as e:
            raise UsageExit(e, format_asked(self._argv)) from None

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
