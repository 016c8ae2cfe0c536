"""The architecture, enforced: layer order, third-party confinement, the sandbox kept apart."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "reconciler"

# Layer of each core module/package; a module may import only its own layer or lower ones.
LAYERS = {
    "model": 0, "errors": 0, "wait": 0, "durations": 0,
    "desired": 1,
    "live": 2, "journal": 2,
    "diff": 3, "tracking": 3,
    "plan": 4, "planfile": 4, "drift": 4, "importer": 4, "compare": 4,
    "apply": 5,
    "render": 6, "operations": 6,
    "cli": 7, "__main__": 7, "__init__": 0,
}
# Third-party libraries and the only places they may be imported from.
CONFINED = {
    "httpx": {"live", "sandbox", "ci/github.py"},  # in ci/, only the GitHub client
    "yaml": {"desired", "sandbox"},
    "jsonschema": {"desired"},
    "phonenumbers": {"desired"},
    "deepdiff": {"compare"},
    "click": {"cli", "sandbox", "ci"},
}


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        out.append((rel.parts[0].removesuffix(".py"), path))
    return out


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("top,path", _modules(), ids=lambda x: str(x).split("reconciler/")[-1])
def test_layering(top: str, path: Path) -> None:
    for name in _imports(path):
        root = name.split(".")[0]
        if root in CONFINED:
            where = {top, str(path.relative_to(PKG))}
            assert where & CONFINED[root], f"{path.name} imports {root}, allowed only in {sorted(CONFINED[root])}"
        if root != "reconciler" or top == "sandbox":
            continue
        parts = name.split(".")
        target = parts[1] if len(parts) > 1 else "__init__"
        if target == "sandbox":
            assert top == "cli", f"{path} imports the sandbox; core code never does"
            continue
        if target == "ci":  # the CI helpers sit beside the CLI: only it mounts them
            assert top in ("cli", "ci"), f"{path} imports the CI helpers; core code never does"
            continue
        if top in LAYERS and target in LAYERS:
            assert LAYERS[target] <= LAYERS[top], f"{path} ({top}) imports {name} from a higher layer"


def test_sandbox_imports_nothing_from_the_core() -> None:
    for top, path in _modules():
        if top != "sandbox":
            continue
        for name in _imports(path):
            if name.startswith("reconciler.") and not name.startswith("reconciler.sandbox"):
                pytest.fail(f"{path} imports {name}: the sandbox is its own product")


def test_api_error_is_not_an_httpx_error() -> None:
    import httpx

    from reconciler.errors import ApiError

    assert not issubclass(ApiError, httpx.HTTPError)


def test_import_contracts_hold_and_would_catch_an_upward_import(tmp_path: Path) -> None:
    """The dependency graph as import-linter contracts (.importlinter): layers, the sandbox kept
    apart, each third-party library in its one layer. And the check can fail: the same contracts
    over a copy of the package where plan imports apply are broken."""
    import shutil
    import subprocess
    import sys

    root = PKG.parent
    lint = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command as c; "
                                  "sys.exit(c())", "--config", str(root / ".importlinter")]
    ok = subprocess.run(lint, cwd=root, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # the sandbox too: the contracts name its modules
    shutil.copytree(PKG, tmp_path / "reconciler", ignore=shutil.ignore_patterns("__pycache__"))
    plan = tmp_path / "reconciler" / "plan" / "strategy.py"
    plan.write_text(plan.read_text(encoding="utf-8") + "\nfrom reconciler import apply  # noqa\n", encoding="utf-8")
    bad = subprocess.run(lint, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "PYTHONPATH": str(tmp_path)})
    assert bad.returncode != 0 and "reconciler.plan is not allowed to import reconciler.apply" in bad.stdout, \
        bad.stdout + bad.stderr
