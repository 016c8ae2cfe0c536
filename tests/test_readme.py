"""The README's examples, run for real.

- The sandbox walkthrough (its ```sh blocks, `readme: skip` ones excepted) runs as written.
- Every ```console block is an example whose output is shown: each `$ command` runs in bash, in a
  fresh copy of the repository's example estate (`desired-state/`, `examples/`) against a new
  sandbox seeded with `examples/sandbox-seed.yaml` (what the walkthrough starts), and its stdout
  must be the lines shown under it. Only ports and times are normalised. A block after a
  `<!-- readme: skip -->` line is not run.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.sandbox import start_sandbox

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"(<!-- readme: skip -->\s*\n)?```sh\n(.*?)```", re.S)
CONSOLE = re.compile(r"(<!-- readme: skip -->\s*\n)?```console\n(.*?)```", re.S)
_PORT = re.compile(r"127\.0\.0\.1:\d+")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?")


def _env(home: Path) -> dict[str, str]:
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "HOME": str(home),
           "NO_COLOR": "1", "LANG": "C.UTF-8"}
    if os.environ.get("PYTHONPATH"):  # a worktree testing its own code with another checkout's venv
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def _estate(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shutil.copytree(ROOT / "desired-state", tmp_path / "desired-state")


def test_readme_sandbox_walkthrough_runs_verbatim(tmp_path: Path) -> None:
    section = README[README.index("## The sandbox"):README.index("## Safety")]
    script = "\n".join(body for skip, body in BLOCK.findall(section) if not skip)
    assert "reconciler import" in script and "reconciler drift" in script
    _estate(tmp_path)
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-euo", "pipefail", "-c", script], cwd=tmp_path,
                          env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "Apply: 7 converged" in proc.stdout  # the example estate: 7 numbers change
    assert sorted(p.name for p in (tmp_path / "my-estate").iterdir()) == ["acme-alerts.yaml", "acme-marketing.yaml"]
    assert "Drift: none" in proc.stdout


def examples() -> list[tuple[int, list[tuple[str, str]]]]:
    """(line in README.md, [(command, shown output)]) per console block that is run."""
    out = []
    for m in CONSOLE.finditer(README):
        if m.group(1):
            continue
        steps: list[tuple[str, list[str]]] = []
        for line in m.group(2).splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                assert steps, f"README.md:{README.count(chr(10), 0, m.start()) + 1}: output before any `$ command`"
                steps[-1][1].append(line)
        out.append((README.count("\n", 0, m.start()) + 1, [(c, "\n".join(o)) for c, o in steps]))
    return out


def normalise(text: str) -> str:
    text = _TIME.sub("<time>", _PORT.sub("127.0.0.1:<port>", text))
    return "\n".join(line.rstrip() for line in text.rstrip("\n").splitlines())


EXAMPLES = examples()


def test_readme_shows_examples_with_their_output() -> None:
    assert len(EXAMPLES) >= 3 and all(steps for _, steps in EXAMPLES)


@pytest.mark.parametrize("line,steps", EXAMPLES, ids=[f"README.md:{line}" for line, _ in EXAMPLES])
def test_readme_example_prints_what_it_shows(tmp_path: Path, line: int, steps: list[tuple[str, str]]) -> None:
    _estate(tmp_path)
    sb = start_sandbox(seed=ROOT / "examples" / "sandbox-seed.yaml")
    try:
        env = {**_env(tmp_path), "TELNYX_API_BASE_URL": sb.base_url, "TELNYX_API_KEY": "sandbox-key"}
        for command, shown in steps:
            proc = subprocess.run(["bash", "--noprofile", "--norc", "-o", "pipefail", "-c", command], cwd=tmp_path,
                                  env=env, capture_output=True, text=True, timeout=120)
            got, want = normalise(proc.stdout), normalise(shown)
            if got != want:
                diff = "\n".join(difflib.unified_diff(want.splitlines(), got.splitlines(), "README.md", "real",
                                                      lineterm=""))
                pytest.fail(f"README.md:{line}: `{command}` prints something else (exit {proc.returncode}):\n"
                            f"{diff}\nstderr:\n{proc.stderr}")
    finally:
        sb.stop()
