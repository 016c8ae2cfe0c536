"""`reconciler import`: live state → YAML files, written safely into the folder asked for."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from reconciler.errors import ConfigError

from .base import (
    client_for,
    connection_options,
    handle_errors,
    cli,
)


@cli.command(name="import")
@click.option("--profile", "profiles", multiple=True, metavar="ID", help="Messaging profile to import (repeatable).")
@click.option("--all-profiles", is_flag=True, help="Import every messaging profile of the account.")
@click.option("--out", "out", type=click.Path(), default=None,
              help="A folder (one file per profile) or a .yaml file; default: stdout.")
@connection_options
@handle_errors
def import_(profiles: tuple[str, ...], all_profiles: bool, out: str | None, api_base_url: str,
            concurrency: int, request_timeout: float, deadline: float) -> None:
    """Write desired-state YAML from live state."""
    from reconciler.importer import declarable, file_name, imported_profiles, profile_yaml, unusable_profiles
    from reconciler.live import read_profiles_for_import

    if bool(profiles) == all_profiles:
        raise click.UsageError("give --profile ID (repeatable) or --all-profiles")
    with client_for(api_base_url, concurrency, request_timeout, deadline) as client:
        live = read_profiles_for_import(client, list(profiles) if profiles else None)
    for pid in unusable_profiles(live):
        click.echo(f"warning: a messaging profile id from Telnyx is not a UUID ({pid[:60]!r}); not written", err=True)
    imported, assignments = imported_profiles(live), live.assignments
    empty = [p for p in imported if not declarable(p, assignments)]
    for p in empty:
        click.echo(f"note: profile {p.name or p.id} has no number on a campaign; not written", err=True)
    imported = [p for p in imported if p not in empty]
    target = Path(out) if out else None
    as_dir = target is not None and (target.is_dir() or not target.suffix)
    if target is not None and as_dir:
        schema = _schema_modeline(target)
        _safe_dir(target)
        for p in imported:
            write_safely(target, file_name(p), profile_yaml(p, assignments, schema=schema))
        click.echo(f"wrote {len(imported)} file(s) to {target}", err=True)
        return
    schema = _schema_modeline(target.parent if target is not None else Path("desired-state"))
    text = "\n".join(profile_yaml(p, assignments, schema=schema) if i == 0 else
                     profile_yaml(p, assignments, schema=schema).split("profiles:\n", 1)[1]
                     for i, p in enumerate(imported))
    if target is not None:
        _safe_dir(target.parent)
        write_safely(target.parent, target.name, text)
        click.echo(f"wrote {len(imported)} profile(s) to {target}", err=True)
    else:
        click.echo(text, nl=False)


def _schema_modeline(folder: Path) -> str:
    """The schema path as seen from the folder the YAML lands in (editors resolve it from there)."""
    return os.path.relpath(Path.cwd() / "schemas" / "desired-state.schema.json", start=folder.resolve()
                           if folder.exists() else (Path.cwd() / folder)).replace(os.sep, "/")


def _safe_dir(folder: Path) -> None:
    if folder.is_symlink():
        raise ConfigError(f"{folder} is a symbolic link: refusing to write through it")
    folder.mkdir(parents=True, exist_ok=True)


def write_safely(folder: Path, name: str, text: str) -> None:
    """Write `folder/name` through a temporary file and a rename: never through a symbolic link a
    third party planted there, never outside `folder` (names come from API data)."""

    if "/" in name or "\\" in name or name in ("", ".", ".."):
        raise ConfigError(f"refusing the file name {name!r}")
    path = folder / name
    if path.is_symlink():
        raise ConfigError(f"{path} is a symbolic link: refusing to write through it")
    if path.resolve().parent != folder.resolve():
        raise ConfigError(f"{path} would land outside {folder}")
    fd, tmp = tempfile.mkstemp(prefix=".import.", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise

