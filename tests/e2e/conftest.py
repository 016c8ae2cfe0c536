"""End-to-end fixtures: the real sandbox on loopback, the real CLI in-process."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from click.testing import CliRunner

from tests import loopback
from reconciler.cli import cli
from reconciler.sandbox import MODE_SPECS, start_sandbox

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_SEED = ROOT / "examples" / "sandbox-seed.yaml"
EXAMPLE_DESIRED = ROOT / "desired-state"
KEY = "sandbox-key"

# Every mode the sandbox offers, hardest reading first: its own table, so a new mode joins the matrix.
MODES = {name: list(spec.values) for name, spec in MODE_SPECS.items()}
# Defaults, plus each other value of each mode alone, plus every mode on its easy reading, plus
# every third reading at once. `make test` runs the pairwise sets (defaults, all-easy, all-third:
# every value of every mode once); each value alone is `slow` (`make faults`).
MODE_SETS = [pytest.param({}, id="defaults")] + [
    pytest.param({name: value}, id=f"{name}={value}", marks=pytest.mark.slow)
    for name, values in MODES.items() for value in values[1:]
] + [pytest.param({n: v[1] for n, v in MODES.items()}, id="all-easy"),
     pytest.param({n: v[2] for n, v in MODES.items() if len(v) > 2}, id="all-third")]


@dataclass
class Result:
    code: int
    out: str
    err: str


class Env:
    """A sandbox, a desired-state folder and a way to run the CLI against them."""

    def __init__(self, sb: Any, workdir: Path) -> None:
        self.sb = sb
        self.workdir = workdir
        self.desired = workdir / "desired-state"
        # JSON on every admin write, a body or none (the sandbox refuses anything else: cross-site posts)
        self.admin = loopback.client(base_url=sb.admin_url, timeout=10, headers={"Content-Type": "application/json"})

    def run(self, *args: str, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        # A lost answer to a bulk task (mode write_fault) holds its profile for the settle window:
        # 2 s here instead of 3 min.
        base = {"TELNYX_API_KEY": KEY, "TELNYX_API_BASE_URL": self.sb.base_url, "NO_COLOR": "1",
                "RECONCILER_SETTLE_WINDOW": "2"}
        cwd = os.getcwd()
        os.chdir(self.workdir)
        try:
            r = runner.invoke(cli, list(args), env={**base, **(env or {})}, catch_exceptions=False)
        finally:
            os.chdir(cwd)
        return Result(r.exit_code, r.stdout, r.stderr)

    def write_desired(self, doc: dict[str, Any], name: str = "main.yaml") -> None:
        self.desired.mkdir(exist_ok=True)
        (self.desired / name).write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")

    def state(self) -> dict[str, Any]:
        return self.admin.get("/state").json()

    def counters(self) -> dict[str, Any]:
        return self.admin.get("/counters").json()

    def reset_counters(self) -> None:
        self.admin.post("/counters/reset").raise_for_status()

    def assignments(self) -> dict[str, tuple[str, str]]:
        return {a["phone_number"]: (a["tcr_campaign_id"], a["status"]) for a in self.state()["assignments"]}

    def profiles_of_numbers(self) -> dict[str, str | None]:
        return {n["phone_number"]: n.get("messaging_profile_id") for n in self.state()["phone_numbers"]}


@pytest.fixture
def make_env(tmp_path: Path) -> Iterator[Any]:
    started: list[Env] = []

    def make(seed: Any = EXAMPLE_SEED, desired: Path | None = EXAMPLE_DESIRED, **options: Any) -> Env:
        sb = start_sandbox(seed=seed, **options)
        env = Env(sb, tmp_path)
        started.append(env)
        if desired is not None:
            shutil.copytree(desired, env.desired, dirs_exist_ok=True)
        return env

    yield make
    for env in started:
        env.admin.close()
        env.sb.stop()


def short_settle_window(monkeypatch: pytest.MonkeyPatch, seconds: float = 2.0) -> None:
    """The CLI runs in this process, so the settle window (a module constant read once, from
    RECONCILER_SETTLE_WINDOW) is set here: 2 s on the instant timeline instead of 3 min. Only
    tracking reads it; every other module asks tracking."""
    import reconciler.tracking

    monkeypatch.setattr(reconciler.tracking, "SETTLE_WINDOW", seconds)


@pytest.fixture(autouse=True)
def _settle_window(monkeypatch: pytest.MonkeyPatch) -> None:
    short_settle_window(monkeypatch)
