"""Every error the reconciler raises on purpose, translated once at the edge.

    ReconcilerError                 exit 1 unless the subclass says otherwise
    ├── DesiredStateError           bad YAML/schema/rules; carries every problem found
    ├── ApiError                    Telnyx answered with an error (code, title, detail)
    │   └── ApiUnavailable          transport failure / retries exhausted / deadline
    ├── ConfigError                 bad flags or environment (missing key, http:// base URL)
    ├── UsageError                  a command line the command cannot run (unknown option, bad value)
    ├── PlanFileError               a saved plan cannot be read
    │   └── TamperedPlanError       exit 3: its contents do not match its checksum
    └── RefusedError                exit 3: unsafe, stale, or not approved

The CLI maps these to exit codes (`ExitCode`, the contract's table); nothing below the CLI calls
sys.exit or prints. Third-party exceptions (httpx, yaml, jsonschema) never cross a layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """The contract's exit codes, the one vocabulary every command ends with (docs/commands.md).
    Each command decides its code in one place: an error's `exit_code`, or its report's."""

    OK = 0  # valid / no changes / applied (every write done or accepted) / no drift / no work needing a look
    ERROR = 1  # invalid input, an API failure, a bug, a usage error (never 2: a typo must not read as drift)
    CHANGES = 2  # plan --detailed-exitcode: changes pending or declared numbers blocked
    DRIFT = 2  # drift: the files and Telnyx differ
    ATTENTION = 2  # status / resume: work stuck, failed, or a phase abandoned
    REFUSED = 3  # unsafe, stale, or not approved: nothing was written
    NOT_CONVERGED = 4  # apply finished, but declared numbers failed or are blocked
    NOT_ACCEPTED = 5  # apply stopped waiting before Telnyx took every write; nothing failed
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT): the journal holds every write made so far


class ReconcilerError(Exception):
    """Base of every expected failure."""

    exit_code: ExitCode = ExitCode.ERROR


@dataclass(frozen=True)
class Problem:
    """One problem in the desired state, at `path:line:col`."""

    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        if self.line <= 0:  # a folder, a link, an unreadable file: no position to point at
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


class DesiredStateError(ReconcilerError):
    """The desired-state files are invalid; `problems` lists all of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.path, p.line, p.col, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


class ApiError(ReconcilerError):
    """Telnyx refused a request. `call` names it, e.g. `POST /10dlc/phone_number_campaigns`."""

    def __init__(
        self,
        call: str,
        status: int | None,
        code: str | None = None,
        title: str | None = None,
        detail: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.call = call
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.request_id = request_id
        bits = [f"{call}: HTTP {status}" if status is not None else call]
        if code:
            bits.append(f"[{code}]")
        if title:
            bits.append(title)
        if detail and detail != title:
            bits.append(f"- {detail}")
        super().__init__(" ".join(bits))


class ApiUnavailable(ApiError):
    """The API could not be reached or kept failing until retries or the deadline ran out."""


class ConfigError(ReconcilerError):
    """Settings are missing or unsafe (no API key, plain http to a remote host)."""


class UsageError(ReconcilerError):
    """The command line cannot run: an unknown option, a bad option value, a missing argument.
    Exit 1 like every error, never click's 2 (the code of "changes" and "drift")."""


class PlanFileError(ReconcilerError):
    """A saved plan file is unreadable or from an incompatible version."""


class RefusedError(ReconcilerError):
    """The run was refused: the plan is unsafe, stale, or not approved."""

    exit_code = ExitCode.REFUSED


class TamperedPlanError(PlanFileError):
    """A saved plan whose contents do not match its checksum: refused like a stale plan."""

    exit_code = ExitCode.REFUSED
