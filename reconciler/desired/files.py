"""Which desired-state files to read: a file, or every *.yaml/*.yml below a folder.

Symlinks are followed inside the folder, each real file and folder read once; a link out of the
folder is reported without being read (an error message could otherwise quote a file nobody meant
to publish). Paths are shown relative to the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import Problem

SUFFIXES = (".yaml", ".yml")


def display_path(p: Path | str) -> str:
    """A path as messages show it: relative to the working directory when it
    lies below it, else as given."""
    s = os.fspath(p)
    absolute = os.path.abspath(s)
    try:
        rel = os.path.relpath(absolute)
    except ValueError:  # pragma: no cover - another drive on Windows
        return s
    if rel == os.curdir or not (rel == os.pardir or rel.startswith(os.pardir + os.sep)):
        return rel
    return s if not os.path.isabs(s) else absolute


def discover(root: Path, problems: list[Problem]) -> list[tuple[str, Path]]:
    """The files to read: `root` itself, or every *.yaml/*.yml below it.

    Symlinks are followed, but each real directory and file is read once: a
    link back to a directory already read (a loop) or a second link to a file
    is reported, not followed.
    """
    shown = display_path(root)
    try:
        is_dir = root.is_dir()
        exists = root.exists()
    except OSError as exc:  # ELOOP on a self-referencing link
        problems.append(Problem(shown, 0, 0, f"cannot read: {exc.strerror or exc}"))
        return []
    if not exists:
        why = "broken symlink" if root.is_symlink() else "no such file or directory"
        problems.append(Problem(shown, 0, 0, why))
        return []
    follow_outside = os.environ.get("RECONCILER_FOLLOW_LINKS") == "1"
    root_real = os.path.realpath(root)
    if not follow_outside and _leaves_through_a_link(root, root_real):
        # `--desired estate/desired-state` in CI names a folder of the pull request's checkout; made a
        # link to a file elsewhere, its values would be quoted in the plan comment. Said, not read.
        problems.append(Problem(shown, 0, 0, f"a link to {root_real!r}, outside the current folder: not followed "
                                             "(set RECONCILER_FOLLOW_LINKS=1 to allow links out of it)"))
        return []
    if not is_dir:
        return [(shown, root)]

    files: list[tuple[str, Path]] = []
    seen_dirs: dict[str, str] = {root_real: shown}
    seen_files: dict[str, str] = {}
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            problems.append(Problem(display_path(directory), 0, 0, f"cannot read folder: {exc.strerror or exc}"))
            continue
        subdirs = []
        for entry in entries:
            p = Path(entry.path)
            try:
                entry_is_dir = entry.is_dir()
                entry_is_file = entry.is_file()
            except OSError:  # ELOOP: a link to itself
                entry_is_dir = entry_is_file = False
            if entry.is_symlink() and not (entry_is_dir or entry_is_file):
                problems.append(Problem(display_path(p), 0, 0, _broken_link(p)))
                continue
            if entry.is_symlink() and not follow_outside and not _inside(os.path.realpath(p), root_real):
                # A link out of the folder could make an error message quote a file nobody meant
                # to publish (its keys, its lines): said without reading it.
                problems.append(Problem(display_path(p), 0, 0,
                                        f"a link to {_link_target(p)}, outside {shown}: not followed "
                                        "(set RECONCILER_FOLLOW_LINKS=1 to allow links out of the folder)"))
                continue
            if entry_is_dir:
                real = os.path.realpath(p)
                if real in seen_dirs:
                    problems.append(Problem(display_path(p), 0, 0, f"symlink loop: this folder is "
                                            f"{seen_dirs[real]}, which is already read; remove the link"))
                    continue
                seen_dirs[real] = display_path(p)
                subdirs.append(p)
            elif entry_is_file and entry.name.endswith(SUFFIXES):
                real = os.path.realpath(p)
                if real in seen_files:
                    problems.append(Problem(display_path(p), 1, 1, f"this file is {seen_files[real]} again "
                                            "(through a symlink); each file is read once: remove the link"))
                    continue
                seen_files[real] = display_path(p)
                files.append((display_path(p), p))
        stack.extend(reversed(subdirs))
    if not files and not problems:
        problems.append(Problem(shown, 0, 0, "no desired-state files (*.yaml, *.yml) in this folder"))
    files.sort(key=lambda f: f[1].parts)
    return files


def _leaves_through_a_link(root: Path, root_real: str) -> bool:
    """A path inside the current folder that a link takes out of it. A path named outside it (an
    absolute one elsewhere) is the user's choice, and left alone."""
    here = os.path.realpath(os.getcwd())
    named = os.path.normpath(os.path.join(here, root))
    return _inside(named, here) and not _inside(root_real, here)


def _inside(real: str, root_real: str) -> bool:
    return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)


def _link_target(p: Path) -> str:
    try:
        return repr(os.readlink(p))[:200]
    except OSError:  # pragma: no cover
        return "?"


def _broken_link(p: Path) -> str:
    try:
        target = os.readlink(p)
    except OSError:  # pragma: no cover
        target = "?"
    try:
        os.stat(p)
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            return f"symlink loop: this link ({target}) points back to itself"
        return f"broken symlink: points to {target}, which does not exist"
    return f"a link to {target}, which is not a regular file or folder: not read"
