"""The built wheel installs and runs outside the checkout: what `pipx install telnyx-10dlc-reconciler`
gives a user (README "Install"). The release workflow does the same with the wheel it publishes,
dependencies hash-locked, plus the sandbox demo (.github/workflows/release.yml, job test-wheel).

The wheel is built from this checkout (`pip wheel`, the same setuptools backend `python -m build`
runs) and installed with `--no-deps` into a new virtual environment; its dependencies are borrowed
from the test environment through a path file (its site-packages appended after the new one's own,
whose `.pth` files, this checkout's editable install among them, are not run), so installing needs
no index (building does, as pip fetches the build backend for its isolated build). Every command runs with `python -P` from a folder outside the checkout: `reconciler` is the
wheel's, which the test checks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from reconciler import __version__

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: int = 300) -> str:
    r = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                       env=env or {**os.environ, "NO_COLOR": "1"})
    assert r.returncode == 0, f"{args}: exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    src = tmp_path_factory.mktemp("src") / "checkout"  # a copy: building never writes into the checkout
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", ".git", "mutants", ".demo", "*.egg-info",
                                                             "build", "__pycache__", ".pytest_cache", ".hypothesis"))
    _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", out, src, cwd=out, timeout=600)
    (found,) = out.glob("telnyx_10dlc_reconciler-*-py3-none-any.whl")
    assert found.name == f"telnyx_10dlc_reconciler-{__version__}-py3-none-any.whl"
    return found


@pytest.fixture(scope="module")
def fresh(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=venv.parent)
    python = venv / "bin" / "python"
    purelib = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=venv).strip())
    (purelib / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", wheel, cwd=venv.parent)
    return venv


def test_the_wheel_installs_into_a_fresh_venv_and_runs(fresh: Path, tmp_path: Path):
    bin_ = fresh / "bin"
    where = _run(bin_ / "python", "-P", "-c", "import reconciler; print(reconciler.__file__)", cwd=tmp_path)
    assert where.startswith(str(fresh)) and "site-packages" in where, where  # the wheel's, not the checkout
    assert _run(bin_ / "reconciler", "--version", cwd=tmp_path) == f"reconciler, version {__version__}\n"
    meta = _run(bin_ / "python", "-P", "-c",
                "import importlib.metadata as m; print(m.version('telnyx-10dlc-reconciler'))", cwd=tmp_path)
    assert meta.strip() == __version__
    # validate on the example estate, copied away from the checkout.
    shutil.copytree(ROOT / "desired-state", tmp_path / "desired-state")
    assert _run(bin_ / "reconciler", "validate", cwd=tmp_path).startswith("ok: 8 numbers, 2 profiles, 3 campaigns")
    out = _run(bin_ / "reconciler", "validate", "--format", "json", cwd=tmp_path)
    assert '"kind": "validate"' in out and '"schema_version": 1' in out
    # The package data ships: init's templates and the schema; its callers pin this version's tag.
    _run(bin_ / "reconciler", "init", "estate", "--allow-tag", cwd=tmp_path)  # offline: the tag, not its commit
    plan = (tmp_path / "estate" / ".github" / "workflows" / "plan.yml").read_text(encoding="utf-8")
    assert f"reconciler-plan.yml@v{__version__}" in plan
    _run(bin_ / "reconciler", "validate", cwd=tmp_path / "estate")


@pytest.mark.skipif(not (shutil.which("pipx") or shutil.which("uv")), reason="neither pipx nor uv on PATH")
def test_pipx_or_uv_installs_the_wheel_as_a_tool(wheel: Path, tmp_path: Path):
    """README's install path, where the tool is at hand (it resolves the dependencies from the index)."""
    env = {**os.environ, "PIPX_HOME": str(tmp_path / "pipx"), "PIPX_BIN_DIR": str(tmp_path / "bin"),
           "UV_TOOL_DIR": str(tmp_path / "uv"), "UV_TOOL_BIN_DIR": str(tmp_path / "bin"), "NO_COLOR": "1"}
    if shutil.which("pipx"):
        _run("pipx", "install", wheel, cwd=tmp_path, env=env, timeout=600)
    else:
        _run("uv", "tool", "install", wheel, cwd=tmp_path, env=env, timeout=600)
    assert _run(tmp_path / "bin" / "reconciler", "--version", cwd=tmp_path, env=env).strip().endswith(__version__)
