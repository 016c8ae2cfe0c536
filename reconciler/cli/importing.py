"""`reconciler import`: live state → YAML files, written safely into the folder asked for."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import click

from reconciler.errors import ConfigError
from reconciler.render.safe import plain

from .exits import handle_errors
from .group import cli
from .inputs import client_for
from .options import connection_options


def _tcr_id(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from reconciler.ids import TCR_RE

    if value is not None and not TCR_RE.fullmatch(value):
        hint = f" (TCR ids are upper case: {value.upper()})" if TCR_RE.fullmatch(value.upper()) else ""
        raise click.BadParameter(f"{value!r} is not a TCR campaign id (C and 5 to 8 letters or digits){hint}")
    return value


@cli.command(name="import")
@click.option("--profile", "profiles", multiple=True, metavar="ID", help="Messaging profile to import (repeatable).")
@click.option("--all-profiles", is_flag=True, help="Import every messaging profile of the account.")
@click.option("--out", "out", type=click.Path(), default=None,
              help="A folder (one file per profile) or a .yaml file; default: stdout.")
@click.option("--force", is_flag=True, help="Overwrite files that exist (refused otherwise, before anything is written).")
@click.option("--unassigned-campaign", metavar="TCR_ID", callback=_tcr_id,
              help="Declare the numbers that have no campaign under this campaign (a plan then assigns them); "
                   "without it they are written as comments and plans list them as unmanaged.")
@connection_options
@handle_errors
def import_(profiles: tuple[str, ...], all_profiles: bool, out: str | None, force: bool,
            unassigned_campaign: str | None, api_base_url: str, concurrency: int, request_timeout: float,
            deadline: float) -> None:
    """Write desired-state YAML from live state."""
    from reconciler import operations
    from reconciler.importer import file_names, profile_yaml

    if bool(profiles) == all_profiles:
        raise click.UsageError("give --profile ID (repeatable) or --all-profiles")
    target = Path(out) if out else None
    as_dir = target is not None and (target.is_dir() or not target.suffix)
    if target is not None:  # what can be said before reading anything
        if not as_dir and target.suffix not in (".yaml", ".yml"):
            raise ConfigError(f"--out {target}: plan and apply read only *.yaml and *.yml files; give a folder "
                              f"or a file ending in .yaml")
        _check_folder(target if as_dir else target.parent)
    with client_for(api_base_url, concurrency, request_timeout, deadline) as client:
        read = operations.import_live(client, list(profiles) if profiles else None, unassigned_campaign)
    for pid in read.unusable:
        click.echo(f"warning: a messaging profile id from Telnyx is not a UUID ({pid[:60]!r}); not written", err=True)
    for p in read.empty:  # the name is Telnyx's (and the key was scrubbed from it as it was read)
        click.echo(f"note: profile {plain(p.name or '') or p.id} has no number on a campaign; not written"
                   + ("" if unassigned_campaign else " (--unassigned-campaign TCR_ID declares numbers with none)"),
                   err=True)
    imported, assignments, empty = read.profiles, read.assignments, read.empty
    schema = _schema_modeline(target if as_dir else target.parent if target is not None else Path("desired-state"))
    if schema is None:
        click.echo("note: no schemas/desired-state.schema.json here or above: the files carry no schema line for "
                   "editors (`reconciler init` adds the schema)", err=True)

    def yaml_of(p: Any, schema: str | None) -> str:
        return profile_yaml(p, assignments, schema=schema, unassigned_campaign=unassigned_campaign)

    if target is not None and as_dir:
        names = file_names(imported)
        files = [(target, names[p.id], yaml_of(p, schema)) for p in imported]
        write_all(files, force=force)
        click.echo(f"wrote {len(files)} file{'s' * (len(files) != 1)} to {target}{_not_written(empty)}", err=True)
        return
    text = "\n".join(yaml_of(p, schema) if i == 0 else yaml_of(p, schema).split("profiles:\n", 1)[1]
                     for i, p in enumerate(imported))
    if target is not None:
        write_all([(target.parent, target.name, text)], force=force)
        click.echo(f"wrote {len(imported)} profile{'s' * (len(imported) != 1)} to {target}{_not_written(empty)}",
                   err=True)
    else:
        click.echo(text, nl=False)


def _not_written(empty: list[Any]) -> str:
    """The summary's own count of the profiles left out (each also named in a note above it)."""
    if not empty:
        return ""
    return (f"; {len(empty)} profile{'s' * (len(empty) != 1)} not written: no number on a campaign "
            "(--unassigned-campaign TCR_ID declares numbers with none)")


SCHEMA_FILE = Path("schemas") / "desired-state.schema.json"  # where `init` puts it, at the repository's root


def _schema_modeline(folder: Path) -> str | None:
    """The schema path as seen from the folder the YAML lands in (editors resolve it from there): the
    schema of the working folder or the nearest folder above it. None where there is none: a line
    pointing nowhere would only mislead the editor."""
    here = Path.cwd()
    schema = next((d / SCHEMA_FILE for d in (here, *here.parents) if (d / SCHEMA_FILE).is_file()), None)
    if schema is None:
        return None
    start = folder.resolve() if folder.exists() else (here / folder)
    return os.path.relpath(schema, start=start).replace(os.sep, "/")


def _check_folder(folder: Path) -> None:
    """The folder files go to: not a link, not a file, and writable (or creatable) by us."""
    if folder.is_symlink():
        raise ConfigError(f"{folder} is a symbolic link: refusing to write through it")
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} is a file, not a folder: give --out a folder, or a file ending in .yaml")
    existing = next((p for p in (folder, *folder.absolute().parents) if p.exists()), None)
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot write into {existing}: permission denied")


def _check(folder: Path, name: str, force: bool) -> bool:
    """Refuse what write_safely would refuse; -> does the file exist already."""
    if "/" in name or "\\" in name or name in ("", ".", ".."):
        raise ConfigError(f"refusing the file name {name!r}")
    path = folder / name
    if path.is_symlink():
        raise ConfigError(f"{path} is a symbolic link: refusing to write through it")
    if path.exists() and not path.is_file():
        raise ConfigError(f"{path} exists and is not a file")
    if path.absolute().parent != folder.absolute():
        raise ConfigError(f"{path} would land outside {folder}")
    return path.exists()


def write_all(files: list[tuple[Path, str, str]], *, force: bool) -> None:
    """Write every (folder, name, text), or nothing: every file is checked first (a link planted
    there, a name from API data that would leave the folder, a file that exists without --force,
    two profiles given one name), then each is written through a temporary file and a rename."""
    folders = {folder for folder, _, _ in files}
    for folder in folders:
        _check_folder(folder)
    seen: dict[tuple[Path, str], str] = {}
    for folder, name, _ in files:
        key = (folder.absolute(), name.casefold())
        if key in seen:  # file_names makes them distinct: a bug if not, never a lost profile
            raise ConfigError(f"two profiles would be written to {folder / name}; nothing written")
        seen[key] = name
    exist = [folder / name for folder, name, _ in files if _check(folder, name, force)]
    if exist and not force:
        shown = ", ".join(str(p) for p in exist[:10]) + (f" and {len(exist) - 10} more" if len(exist) > 10 else "")
        raise ConfigError(f"refusing to overwrite {len(exist)} existing file{'s' * (len(exist) != 1)} ({shown}); "
                          "nothing written: pass --force to overwrite, or choose another --out")
    try:
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
        for folder, name, text in files:
            write_safely(folder, name, text)
    except OSError as e:
        raise ConfigError(f"cannot write {e.filename or 'the files'}: {e.strerror or e}") from None


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

