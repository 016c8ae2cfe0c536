"""A command's report: on stdout in the format asked for (text, JSON, markdown), its markdown also
in GitHub's step summary; warnings on stderr."""

from __future__ import annotations

import os
import sys
from typing import Any, Callable

import click


def color_on() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def warn(msg: str) -> None:
    """A warning on stderr: what data it names (a path, a journal line) shows no escape and starts no workflow command."""
    from reconciler.render.safe import plain_lines

    click.echo(plain_lines(f"warning: {msg}"), err=True)


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
