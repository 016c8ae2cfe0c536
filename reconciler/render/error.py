"""An error as the chosen --format says it: a stable `error` object in JSON, a short block in
markdown, and the `error: …` lines on stderr (`error_text`, which cli.handle_errors prints)."""

from __future__ import annotations

from typing import Any

from reconciler.errors import (
    ApiError,
    ApiUnavailable,
    ConfigError,
    DesiredStateError,
    PlanFileError,
    ReconcilerError,
    RefusedError,
    TamperedPlanError,
    UsageError,
)
from reconciler.plan import SCHEMA_VERSION

from .safe import MAX_LINE, md, plain, plain_lines

# Most specific first: the first class that matches names the type (a stable vocabulary).
_TYPES: tuple[tuple[type[ReconcilerError], str], ...] = (
    (TamperedPlanError, "refused"),
    (RefusedError, "refused"),
    (DesiredStateError, "desired_state"),
    (ApiUnavailable, "api_unavailable"),
    (ApiError, "api"),
    (ConfigError, "config"),
    (UsageError, "usage"),
    (PlanFileError, "plan_file"),
)
MAX_PROBLEMS = 1000  # a huge invalid estate still gives a bounded error object


def error_dict(e: ReconcilerError) -> dict[str, Any]:
    kind = next((name for cls, name in _TYPES if isinstance(e, cls)), "error")
    # The message's own lines kept (a desired state's problems, one a line; markdown quotes each), each
    # line plain; bounded as a whole (the problems list below is the complete, structured form).
    err: dict[str, Any] = {"type": kind, "exit_code": e.exit_code, "message": plain_lines(str(e))[:20000]}
    if isinstance(e, DesiredStateError):
        err["problems"] = [{"path": plain(p.path), "line": p.line, "col": p.col, "message": plain(p.message)}
                           for p in e.problems[:MAX_PROBLEMS]]
        err["problems_total"] = len(e.problems)
    if isinstance(e, ApiError):
        err.update({"call": e.call, "status": e.status, "code": plain(e.code or "") or None})
    return {"schema_version": SCHEMA_VERSION, "kind": "error", "error": err}


def error_markdown(e: ReconcilerError) -> str:
    d = error_dict(e)["error"]
    head = "Refused" if d["type"] == "refused" else "Error"
    lines = [f"**{head}** (`{d['type']}`, exit {d['exit_code']})", ""]
    lines += [f"> {md(line)}" for line in str(d["message"]).splitlines()[:50] if line.strip()]
    return "\n".join(lines) + "\n"


def error_text(e: ReconcilerError) -> str:
    """`error: …` (or `refused: …`) for stderr, a terminal or a CI log. A message's own lines stay;
    what data put in them (a file name, a key, a value, Telnyx's words) carries no escape, bidi
    override or line break, and no line is a workflow command: each problem of a desired state is
    one `plain` line (a file name may hold a line break), any other message goes through `plain_lines`."""
    head = "refused" if isinstance(e, RefusedError) else "error"
    if isinstance(e, DesiredStateError) and e.problems:
        lines = [plain(str(p), MAX_LINE) for p in e.problems[:MAX_PROBLEMS]]
        if len(e.problems) > MAX_PROBLEMS:
            lines.append(f"… and {len(e.problems) - MAX_PROBLEMS} more problems")
        return f"{head}: " + "\n".join(lines)
    return plain_lines(f"{head}: {e}")
