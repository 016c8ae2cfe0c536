"""The README's and the docs' examples, run for real, and their links followed.

- The sandbox loop (the ```sh blocks of docs/sandbox.md's "The loop", `readme: skip` ones excepted)
  runs as written.
- Every ```console block of README.md and of every docs/*.md page is an example whose output is
  shown: each `$ command` runs in bash, in a fresh copy of the repository's example estate
  (`desired-state/`, `examples/`) against a new sandbox seeded with `examples/sandbox-seed.yaml`
  (what the loop starts), and its stdout must be the lines shown under it. Only ports and times
  are normalised. A block after a `<!-- readme: skip -->` line is not run.
- README.md is a front door: at most 250 lines; depth lives in docs/.
- Every relative link of README.md and docs/*.md names a file that exists, and a `#anchor` a
  heading of the markdown page it points to (GitHub's anchors).
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from reconciler.sandbox import start_sandbox

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TEXTS = {page: page.read_text(encoding="utf-8") for page in PAGES}
README = TEXTS[ROOT / "README.md"]
README_MAX_LINES = 250
BLOCK = re.compile(r"(<!-- readme: skip -->\s*\n)?```sh\n(.*?)```", re.S)
CONSOLE = re.compile(r"(<!-- readme: skip -->\s*\n)?```console\n(.*?)```", re.S)
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} +(.+?)[ #]*$", re.M)
_PORT = re.compile(r"127\.0\.0\.1:\d+")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?")


def _name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def _env(home: Path) -> dict[str, str]:
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "HOME": str(home),
           "NO_COLOR": "1", "LANG": "C.UTF-8"}
    if os.environ.get("PYTHONPATH"):  # a worktree testing its own code with another checkout's venv
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def _estate(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shutil.copytree(ROOT / "desired-state", tmp_path / "desired-state")


def test_sandbox_loop_runs_verbatim(tmp_path: Path) -> None:
    text = TEXTS[ROOT / "docs" / "sandbox.md"]
    start = text.index("## The loop")
    section = text[start:text.index("\n## ", start)]
    script = "\n".join(body for skip, body in BLOCK.findall(section) if not skip)
    assert "reconciler import" in script and "reconciler drift" in script
    _estate(tmp_path)
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-euo", "pipefail", "-c", script], cwd=tmp_path,
                          env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "Apply: 7 converged" in proc.stdout  # the example estate: 7 numbers change
    assert sorted(p.name for p in (tmp_path / "my-estate").iterdir()) == ["acme-alerts.yaml", "acme-marketing.yaml"]
    assert "Drift: none" in proc.stdout


def examples(name: str, text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """("page:line", [(command, shown output)]) per console block of one page that is run."""
    out = []
    for m in CONSOLE.finditer(text):
        if m.group(1):
            continue
        where = f"{name}:{text.count(chr(10), 0, m.start()) + 1}"
        steps: list[tuple[str, list[str]]] = []
        for line in m.group(2).splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                assert steps, f"{where}: output before any `$ command`"
                steps[-1][1].append(line)
        out.append((where, [(c, "\n".join(o)) for c, o in steps]))
    return out


def normalise(text: str) -> str:
    text = _TIME.sub("<time>", _PORT.sub("127.0.0.1:<port>", text))
    return "\n".join(line.rstrip() for line in text.rstrip("\n").splitlines())


EXAMPLES = [example for page, text in TEXTS.items() for example in examples(_name(page), text)]


def test_readme_and_docs_show_examples_with_their_output() -> None:
    assert all(steps for _, steps in EXAMPLES)
    shown = Counter(where.split(":")[0] for where, _ in EXAMPLES)
    assert shown["README.md"] >= 1 and shown["docs/plans.md"] >= 3 and len(EXAMPLES) >= 10, shown


@pytest.mark.parametrize("where,steps", EXAMPLES, ids=[where for where, _ in EXAMPLES])
def test_example_prints_what_it_shows(tmp_path: Path, where: str, steps: list[tuple[str, str]]) -> None:
    _estate(tmp_path)
    sb = start_sandbox(seed=ROOT / "examples" / "sandbox-seed.yaml")
    try:
        env = {**_env(tmp_path), "TELNYX_API_BASE_URL": sb.base_url, "TELNYX_API_KEY": "sandbox-key"}
        for command, shown in steps:
            proc = subprocess.run(["bash", "--noprofile", "--norc", "-o", "pipefail", "-c", command], cwd=tmp_path,
                                  env=env, capture_output=True, text=True, timeout=120)
            got, want = normalise(proc.stdout), normalise(shown)
            if got != want:
                diff = "\n".join(difflib.unified_diff(want.splitlines(), got.splitlines(), where.split(":")[0],
                                                      "real", lineterm=""))
                pytest.fail(f"{where}: `{command}` prints something else (exit {proc.returncode}):\n"
                            f"{diff}\nstderr:\n{proc.stderr}")
    finally:
        sb.stop()


def test_readme_is_a_front_door() -> None:
    lines = README.count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines, over {README_MAX_LINES}: move depth to docs/"


def anchors(text: str) -> set[str]:
    """GitHub's anchors of a markdown page's headings: lower case, punctuation dropped, spaces to
    hyphens, a repeated one numbered (-1, -2, ...)."""
    seen: Counter[str] = Counter()
    out = set()
    for heading in HEADING.findall(FENCE.sub("", text)):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        out.add(f"{slug}-{seen[slug]}" if seen[slug] else slug)
        seen[slug] += 1
    return out


def broken_links(page: Path, text: str) -> list[str]:
    """Every relative link of a page (outside code blocks) that names no file, or no heading of it."""
    broken = []
    for target in LINK.findall(FENCE.sub("", text)):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md":
            if anchor not in anchors(TEXTS.get(resolved) or resolved.read_text(encoding="utf-8")):
                broken.append(f"{target}: no such heading")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_relative_link_resolves(page: Path) -> None:
    assert broken_links(page, TEXTS[page]) == []


def test_the_link_check_notices_a_missing_file_or_heading() -> None:
    page = ROOT / "docs" / "plans.md"
    assert anchors("# A `b`: c, d\n## A b c d\n```\n# not a heading\n```\n") == {"a-b-c-d", "a-b-c-d-1"}
    assert broken_links(page, "[ok](../README.md#exit-codes) [web](https://example.com/x#y) "
                              "[gone](nowhere.md) [no heading](apply.md#not-there) [here](#change-windows) "
                              "[not here](#exit-codes)") == [
        "nowhere.md: no such file", "apply.md#not-there: no such heading", "#exit-codes: no such heading"]
