"""The release notes of one version, from CHANGELOG.md, after checking that a tag may publish it.

    python -P scripts/release_notes.py                 # the current version's notes (any heading)
    python -P scripts/release_notes.py --tag v0.2.0    # the release workflow: refuse unless publishable
    python -P scripts/release_notes.py --print-version  # X.Y.Z, from reconciler/__init__.py

With `--tag`, exit 1 (and say why) unless the tag is `v` + the package's version (read from
reconciler/__init__.py, the one place it is written), CHANGELOG.md's newest entry is that version,
and that entry is dated (`## [X.Y.Z] - YYYY-MM-DD`, not `unreleased`). Standard library only: it
runs before anything is installed.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\] - (?P<date>\S+)\s*$", re.M)
DATE = re.compile(r"\d{4}-\d\d-\d\d")


def package_version(root: Path = ROOT) -> str:
    """`__version__` from reconciler/__init__.py, read without importing the package."""
    tree = ast.parse((root / "reconciler" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__version__"]:
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value
    raise ValueError("reconciler/__init__.py has no __version__ = '...'")


def entries(changelog: str) -> list[tuple[str, str, str]]:
    """(version, date, body) of every `## [version] - date` section, newest first as written."""
    heads = list(HEADING.finditer(changelog))
    return [(m["version"], m["date"], changelog[m.end():heads[i + 1].start() if i + 1 < len(heads) else None].strip())
            for i, m in enumerate(heads)]


def problems(tag: str | None, version: str, changelog: str) -> list[str]:
    found = entries(changelog)
    out = []
    if not SEMVER.fullmatch(version):
        out.append(f"the package version {version!r} is not MAJOR.MINOR.PATCH")
    if not found:
        return [*out, "CHANGELOG.md has no `## [X.Y.Z] - YYYY-MM-DD` entry"]
    newest, date, _ = found[0]
    if newest != version:
        out.append(f"CHANGELOG.md's newest entry is {newest}, the package is {version}")
    if len({v for v, _, _ in found}) != len(found):
        out.append("CHANGELOG.md names a version twice")
    if tag is not None:
        if tag != f"v{version}":
            out.append(f"the tag {tag} is not v{version} (reconciler/__init__.py)")
        if not DATE.fullmatch(date):
            out.append(f"CHANGELOG.md's entry for {newest} is dated {date!r}: give it the release date")
    return out


def notes(version: str, changelog: str) -> str:
    for v, _, body in entries(changelog):
        if v == version:
            return body + "\n"
    raise KeyError(version)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", help="the tag being released (vX.Y.Z): refuse unless it may publish")
    parser.add_argument("--print-version", action="store_true", help="print the package version only")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    version = package_version(args.root)
    if args.print_version:
        print(version)
        return 0
    changelog = (args.root / "CHANGELOG.md").read_text(encoding="utf-8")
    wrong = problems(args.tag, version, changelog)
    if wrong:
        for line in wrong:
            print(f"error: {line}", file=sys.stderr)
        return 1
    sys.stdout.write(notes(version, changelog))
    return 0


if __name__ == "__main__":
    sys.exit(main())
