"""The command line: options, settings, one error handler, exit codes. No domain logic.

Exit codes (contract): 0 ok, 1 error, 2 changes pending or blocked / drift, 3 refused
(unsafe, stale, not approved), 4 apply finished but numbers failed or are blocked, 5 apply
stopped waiting before Telnyx accepted every write.

`group` holds the `reconciler` group, `exits` the one error handler, `options` the shared
options, `inputs` what their values become, `output` and `progress` what a command says; each
command module registers its commands on the group when imported here.
"""

from __future__ import annotations

from reconciler.ci.cli import ci, init

from . import applying, commands, importing  # noqa: F401  (each registers its commands)
from .exits import Exit
from .group import cli

cli.add_command(ci)
cli.add_command(init)

__all__ = ["Exit", "cli", "main"]


def main() -> None:
    cli(prog_name="reconciler")
