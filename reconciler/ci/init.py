"""`reconciler init [DIR]`: a new desired-state repository that calls the versioned reusable workflows.

Writes the four caller workflows (validate, plan, apply, drift: each a few lines that call this
project's reusable workflows at one pinned commit, passing the secrets they declare by name), a
`desired-state/` skeleton that validates, with the schema modeline and the schema beside it, a
`.pre-commit-config.yaml` with the validate hook, a `.github/dependabot.yml` (the pins, with a
cooldown), and a `.gitignore` for the state folder. Refuses to overwrite any existing file unless `force`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from reconciler import __version__
from reconciler.ci.actions import CIError

# Where this project is published: the owner/name that `uses:` and pre-commit name. `--source` overrides it.
UPSTREAM = "telnyx-10dlc-reconciler/telnyx-10dlc-reconciler"
CALLERS = ("validate.yml", "plan.yml", "apply.yml", "drift.yml")
REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}")
REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,99}")


@dataclass(frozen=True)
class Pins:
    """How the callers name the reusable workflows and the reconciler they install."""

    workflows: str   # `owner/name/.github/workflows`, or `./.github/workflows` in this repository
    at: str          # `@ref` after each reusable workflow's path ('' for a local one)
    repository: str  # the pre-commit hook's repository (the callers name it in `uses:` only)
    ref: str         # the pre-commit hook's rev: the same commit as `uses: …@` (the ref is written once per file)
    tag: str = ""    # the tag a pinned commit was resolved from: said in a comment beside each pin (Dependabot
    #                  and pre-commit autoupdate keep such comments current)


SHA = re.compile(r"[0-9a-f]{40}")


def upstream(source: str = UPSTREAM, ref: str | None = None, allow_tag: bool = False, resolve: bool = False) -> Pins:
    """Where the callers point. A commit SHA is pinned as it is. A tag or branch is resolved to the commit it
    names now (`resolve`, through GitHub's API) and that commit pinned; kept as a tag only with `allow_tag`
    (whoever owns a tag can move it to other code)."""
    ref = ref or f"v{__version__}"
    if not REPOSITORY.fullmatch(source) or source.endswith((".", ".git")):
        raise CIError(f"--source {source[:80]!r}: expected owner/name of a GitHub repository")
    if not REF.fullmatch(ref) or ".." in ref:
        raise CIError(f"--ref {ref[:80]!r}: expected a tag, branch or commit")
    if not SHA.fullmatch(ref) and not allow_tag:
        if not resolve:
            raise CIError(f"--ref {ref[:80]!r} is not a commit SHA: pass the 40-hex commit, or --allow-tag to pin a "
                          "movable tag")
        from reconciler.ci.github import GitHubError, resolve_commit

        tag = ref
        try:
            ref = resolve_commit(source, ref)
        except GitHubError as e:
            raise CIError(f"cannot resolve --ref {ref[:80]!r} to a commit ({e}); pass the 40-hex commit, or "
                          "--allow-tag to pin the tag itself") from None
        return Pins(f"{source}/.github/workflows", f"@{ref}", source, ref, tag)
    return Pins(f"{source}/.github/workflows", f"@{ref}", source, ref)


LOCAL = Pins("./.github/workflows", "", "${{ github.repository }}", "${{ github.sha }}")


def template(name: str) -> str:
    return resources.files("reconciler.ci").joinpath("templates", name).read_text(encoding="utf-8")


def render(name: str, pins: Pins) -> str:
    text = template(name)
    # `# v1.2.3` beside a commit resolved from a tag (GitHub Actions' convention), `# frozen: v1.2.3` for
    # pre-commit's; only a tag that passed REF's check reaches here.
    at = f"{pins.at} # {pins.tag}" if pins.tag else pins.at
    rev = f'"{pins.ref}"  # frozen: {pins.tag}' if pins.tag else f'"{pins.ref}"'
    for key, value in (("@@WORKFLOWS@@", pins.workflows), ("@@AT@@", at), ("@@REPOSITORY@@", pins.repository),
                       ('"@@REF@@"', rev), ("@@REF@@", pins.ref)):
        text = text.replace(key, value)
    return text


def files(pins: Pins) -> dict[str, str]:
    """Every file `init` writes, by path relative to the new repository."""
    out = {f".github/workflows/{name}": render(name, pins) for name in CALLERS}
    out[".pre-commit-config.yaml"] = render("pre-commit-config.yaml", pins)
    out["desired-state/main.yaml"] = template("desired-state.yaml")
    out["schemas/desired-state.schema.json"] = resources.files("reconciler").joinpath(
        "data", "desired-state.schema.json").read_text(encoding="utf-8")
    out[".gitignore"] = template("gitignore")
    out[".github/dependabot.yml"] = template("dependabot.yml")
    return out


def init(directory: str, pins: Pins, force: bool = False) -> list[str]:
    """Write the files into `directory` (created when missing); returns the paths written."""
    root = Path(directory)
    if root.is_symlink() or (root.exists() and not root.is_dir()):
        raise CIError(f"{directory} is not a folder")
    planned = files(pins)
    existing = sorted(p for p in planned if (root / p).exists() or (root / p).is_symlink())
    if existing and not force:
        raise CIError(f"{directory}: would overwrite {', '.join(existing)}; nothing written (--force overwrites)")
    for rel, text in planned.items():
        path = root / rel
        for parent in [*reversed(path.relative_to(root).parents)][1:]:
            if (root / parent).is_symlink():
                raise CIError(f"{root / parent} is a symbolic link: refusing to write through it")
        if path.is_symlink():
            raise CIError(f"{path} is a symbolic link: refusing to write through it")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.init-tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    return list(planned)
