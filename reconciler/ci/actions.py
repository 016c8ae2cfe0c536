"""What a step says back to GitHub Actions: outputs, the job summary, errors, the link to its run.

Every value goes out through a random delimiter (GITHUB_OUTPUT), so a value that came from a
comment or an API answer cannot set a second output however many line breaks it holds.
"""

from __future__ import annotations

import os
import secrets

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
    """`::error::…` / `::warning::…` on GitHub (shown on the run's page), `error: …` by hand."""
    return f"::{level}::{message}" if os.environ.get("GITHUB_ACTIONS") else f"{level}: {message}"


def run_url(run_id: int | str | None = None) -> str | None:
    server = os.environ.get("GITHUB_SERVER_URL") or "https://github.com"
    repo, run = os.environ.get("GITHUB_REPOSITORY"), run_id or os.environ.get("GITHUB_RUN_ID")
    return f"{server}/{repo}/actions/runs/{run}" if repo and run else None
