"""docs/ci.md's walkthrough, run as written: every ```sh block except those marked
`<!-- walkthrough: skip ... -->` (they need GitHub, or install what this environment has)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from reconciler import __version__

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "ci.md"
BLOCK = re.compile(r"(<!-- walkthrough: skip[^>]*-->\s*\n)?```sh\n(.*?)```", re.S)


def walkthrough_script() -> tuple[str, int]:
    text = DOC.read_text(encoding="utf-8")
    blocks = [(bool(skip), body) for skip, body in BLOCK.findall(text)]
    run = [body for skip, body in blocks if not skip]
    return "\n".join(run), len(blocks) - len(run)


def test_the_walkthrough_runs_verbatim(tmp_path: Path):
    script, skipped = walkthrough_script()
    assert skipped >= 4 and "reconciler apply" in script and "reconciler drift" in script
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path), "RECONCILER_SRC": str(ROOT), "NO_COLOR": "1", "LANG": "C.UTF-8",
        **({"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}),
        "GIT_AUTHOR_NAME": "Walk Through", "GIT_AUTHOR_EMAIL": "walk@example.com",
        "GIT_COMMITTER_NAME": "Walk Through", "GIT_COMMITTER_EMAIL": "walk@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
    }
    proc = subprocess.Popen(["bash", "--noprofile", "--norc", "-euo", "pipefail", "-c", script], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        pid_file = tmp_path / "my-10dlc" / "sandbox.pid"
        if pid_file.exists():  # the walkthrough kills it; this is only for a failed run
            try:
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, f"stdout:\n{out}\nstderr:\n{err}"
    repo = tmp_path / "my-10dlc"
    # What the walkthrough promises.
    assert (repo / "desired-state" / "acme-alerts.yaml").exists()
    assert "will gain one" in (repo / "plan.md").read_text()
    assert "drift exit code: 2" in out and "+13125550201" in out
    log = subprocess.run(["git", "log", "--oneline"], cwd=repo, capture_output=True, text=True, env=env).stdout
    assert "Declare the unmanaged numbers" in log and "Adopt the 10DLC estate" in log
    assert sorted(p.name for p in (repo / ".github" / "workflows").iterdir()) == [
        "apply.yml", "drift.yml", "plan.yml", "validate.yml"]
    # `reconciler init` wrote them: callers of the pinned reusable workflows, not copies of them.
    plan = (repo / ".github" / "workflows" / "plan.yml").read_text()
    # …at the release the walkthrough names, which is this version's tag (`init --ref` default too).
    assert f"uses: OWNER/telnyx-10dlc-reconciler/.github/workflows/reconciler-plan.yml@v{__version__}" in plan
    assert (repo / ".pre-commit-config.yaml").exists() and not (repo / "desired-state" / "main.yaml").exists()
