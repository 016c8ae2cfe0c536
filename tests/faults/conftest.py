"""Fixtures for the fault tests: an in-process sandbox plus the real CLI (see tests/e2e/conftest.py)."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from reconciler.sandbox import start_sandbox
from tests.e2e.conftest import Env, short_settle_window

from .harness import Estate, make_estate


def converged_estate(estate: Estate) -> Estate:
    """The same estate with every declared number already on its profile and campaign."""
    seed = json.loads(json.dumps(estate.seed))
    for n in seed["phone_numbers"]:
        if n["phone_number"] in estate.declared:
            n["messaging_profile_id"] = estate.declared[n["phone_number"]][0]
    seed["assignments"] = [a for a in seed["assignments"] if a["phone_number"] not in estate.declared] + [
        {"phone_number": n, "tcr_campaign_id": c, "status": "ASSIGNED"} for n, (_, c) in sorted(estate.declared.items())]
    return Estate(seed, estate.desired, estate.declared, estate.undeclared, set(estate.declared), {})


class FaultEnv(Env):
    def __init__(self, sb: Any, workdir: Path, estate: Estate) -> None:
        super().__init__(sb, workdir)
        self.estate = estate
        self.state_dir = workdir / "state"
        self.journal = self.state_dir / "journal.jsonl"

    def pending(self, number: str, campaign: str) -> None:
        self.admin.put(f"/assignments/{number.replace('+', '%2B')}",
                       json={"tcr_campaign_id": campaign, "status": "PENDING_ASSIGNMENT"}).raise_for_status()


@pytest.fixture
def estate_env(tmp_path: Path) -> Iterator[Any]:
    started: list[FaultEnv] = []

    def make(seed: int = 7, converged: bool = False, **options: Any) -> FaultEnv:
        estate = make_estate(random.Random(seed))
        if converged:
            estate = converged_estate(estate)
        sb = start_sandbox(seed=estate.seed, random_seed=seed, **options)
        env = FaultEnv(sb, tmp_path, estate)
        started.append(env)
        env.write_desired(estate.desired)
        for n, c in estate.in_flight.items():
            env.pending(n, c)
        return env

    yield make
    for env in started:
        env.admin.close()
        env.sb.stop()
    shutil.rmtree(tmp_path / ".reconciler", ignore_errors=True)


@pytest.fixture(autouse=True)
def _settle_window(monkeypatch: pytest.MonkeyPatch) -> None:
    short_settle_window(monkeypatch)  # in-process CLI runs: 2 s instead of 3 min
