"""The architecture, enforced: layer order, third-party confinement, the sandbox kept apart."""

from __future__ import annotations

from pathlib import Path


PKG = Path(__file__).resolve().parents[1] / "reconciler"

ROOT = PKG.parent
# The one layer table is .importlinter's (the contracts below run it); these tests only make sure
# that no module escapes it.
OUTSIDE_THE_LAYERS = {"sandbox", "ci", "__init__"}  # their own contracts: apart, and mounted by the CLI


def _contract_modules(name: str, key: str) -> set[str]:
    """The top-level reconciler modules a contract of .importlinter names under `key`."""
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(ROOT / ".importlinter")
    text = cfg[f"importlinter:contract:{name}"][key]
    return {m.split(".")[1] for m in text.replace(":", " ").replace("|", " ").split() if m.startswith("reconciler.")}


def _top_level() -> set[str]:
    return {p.name.removesuffix(".py") for p in PKG.iterdir()
            if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))} - {"__pycache__"}


def test_every_core_module_has_a_layer_and_is_kept_from_the_sandbox() -> None:
    core = _top_level() - OUTSIDE_THE_LAYERS
    assert core - _contract_modules("layers", "layers") == set(), "a module outside .importlinter's layers"
    apart = _contract_modules("sandbox-apart", "source_modules") | {"__main__"}  # __main__ runs the CLI
    assert core - apart == set(), "a core module the sandbox-apart contract does not cover"
    assert core - _contract_modules("sandbox-own-product", "forbidden_modules") == {"__main__"}


def test_every_ci_module_but_the_github_client_is_kept_from_httpx() -> None:
    """The contract names ci's modules one by one: a new one must join it, or it could import httpx unchecked."""
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(ROOT / ".importlinter")
    listed = set(cfg["importlinter:contract:httpx-in-ci-github"]["source_modules"].split())
    modules = {f"reconciler.ci.{p.stem}" for p in (PKG / "ci").glob("*.py") if p.stem != "__init__"}
    assert modules - listed == {"reconciler.ci.github"}


def test_every_live_module_has_a_layer_and_only_the_transport_and_client_see_httpx() -> None:
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(ROOT / ".importlinter")
    modules = {p.stem for p in (PKG / "live").glob("*.py") if p.stem != "__init__"}
    layered = set(cfg["importlinter:contract:live-layers"]["layers"].replace("|", " ").split())
    assert modules - layered == set(), "a live module outside the live-layers contract"
    kept = {m.rsplit(".", 1)[1] for m in cfg["importlinter:contract:httpx-in-transport"]["source_modules"].split()}
    assert modules - kept == {"transport", "client"}, "a live module the httpx contract does not cover"


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


def layer_line() -> str:
    """.importlinter's layers contract as docs/architecture.md draws it: from the ground up, `→` between
    layers, `, ` between independent siblings (`:`), ` | ` between the parts of one layer (`|`)."""
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(ROOT / ".importlinter")
    layers = cfg["importlinter:contract:layers"]["layers"].split("\n")
    said = []
    for layer in reversed([x.strip() for x in layers if x.strip()]):
        layer = layer.replace("reconciler.", "")
        said.append(" | ".join(", ".join(p.strip() for p in part.split(":")) for part in layer.split("|")))
    return "  →  ".join(said)


def test_the_architecture_page_draws_the_one_layer_table() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert f"\n{layer_line()}\n" in text, f"docs/architecture.md should show:\n{layer_line()}"
