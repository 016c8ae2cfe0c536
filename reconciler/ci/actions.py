"""What a step says back to GitHub Actions: outputs, the job summary, errors, the link to its run.

Every value goes out through a random delimiter (GITHUB_OUTPUT), so a value that came from a
comment or an API answer cannot set a second output however many line breaks it holds.
"""

from __future__ import annotations

import os
import secrets
import sys

from reconciler.errors import ExitCode


class CIError(Exception):
    """A helper's expected failure: its message is shown (as `::error::` on GitHub), `code` is the exit code."""

    def __init__(self, message: str, code: int = ExitCode.ERROR) -> None:
        super().__init__(message)
        self.code = code


REFUSED = ExitCode.REFUSED  # nothing reviewed, or the plan is unsafe: the reconciler's "refused"


def fail(message: str, code: int = ExitCode.ERROR) -> "NoReturn":  # type: ignore[name-defined]  # noqa: F821
    raise CIError(message, code)


def set_output(name: str, value: str) -> None:
    """Write a step output (GITHUB_OUTPUT), or print it when run by hand."""
    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        print(f"{name}={value}")
        return
    delim = f"EOF_{secrets.token_hex(16)}"
    while delim in value:
        delim = f"EOF_{secrets.token_hex(16)}"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"{name}<<{delim}\n{value}\n{delim}\n")


def summary(text: str) -> None:
    """Append markdown to the job summary (nothing when run by hand)."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text.rstrip("\n") + "\n\n")


def annotate(level: str, message: str) -> str:
    """`::error::…` / `::warning::…` on GitHub (shown on the run's page), `error: …` by hand.

    The message may carry data (a comment, an API answer, a sandbox's log): its lines are
    `plain_lines`, and on GitHub the command's data is escaped as the runner reads it (`%`, CR,
    LF), so a line break in it cannot end the command and start another."""
    from reconciler.render.safe import plain_lines

    if not os.environ.get("GITHUB_ACTIONS"):
        return plain_lines(f"{level}: {message}")
    text = plain_lines(message).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::{level}::{text}"


def say(text: str) -> None:
    """A line (or a few) on stderr for the log that may name data: `plain_lines`, so it carries no
    escape sequence and no line of it is a workflow command."""
    from reconciler.render.safe import plain_lines

    print(plain_lines(text), file=sys.stderr)


def run_url(run_id: int | str | None = None) -> str | None:
    server = os.environ.get("GITHUB_SERVER_URL") or "https://github.com"
    repo, run = os.environ.get("GITHUB_REPOSITORY"), run_id or os.environ.get("GITHUB_RUN_ID")
    return f"{server}/{repo}/actions/runs/{run}" if repo and run else None
