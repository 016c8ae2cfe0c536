"""The README's sandbox walkthrough, run as written (blocks marked `readme: skip` excepted)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"(<!-- readme: skip -->\s*\n)?```sh\n(.*?)```", re.S)


def test_readme_sandbox_walkthrough_runs_verbatim(tmp_path: Path) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## The sandbox"):text.index("## Safety")]
    script = "\n".join(body for skip, body in BLOCK.findall(section) if not skip)
    assert "reconciler import" in script and "reconciler drift" in script
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shutil.copytree(ROOT / "desired-state", tmp_path / "desired-state")
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path),
           "NO_COLOR": "1", "LANG": "C.UTF-8"}
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-euo", "pipefail", "-c", script], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "Apply: 7 converged" in proc.stdout  # the example estate: 7 numbers change
    assert sorted(p.name for p in (tmp_path / "my-estate").iterdir()) == ["acme-alerts.yaml", "acme-marketing.yaml"]
    assert "Drift: none" in proc.stdout
