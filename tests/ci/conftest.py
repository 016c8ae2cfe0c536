"""Fixtures for the CI tests: a fake GitHub, the real sandbox on loopback, a way to run workflow jobs."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests import loopback
from reconciler.sandbox import start_sandbox

from .actions_runner import JobResult, run_job, stop_background
from .fake_github import FakeGitHub

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "sandbox-seed.yaml"
DESIRED = ROOT / "desired-state"
# A distinctive key: tests grep every output, artifact, comment and summary for it.
SECRET = "tk-SECRET-do-not-leak-5f1e9a"
ENVIRONMENTS = ("telnyx-read", "telnyx-production")


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub().start()
    yield fake
    fake.stop()


class Repo:
    """A copy of what a user's repository holds, plus the sandbox standing in for Telnyx."""

    def __init__(self, tmp: Path, github: FakeGitHub, sb: Any) -> None:
        self.tmp, self.github, self.sb = tmp, github, sb
        self.src = tmp / "src"
        shutil.copytree(DESIRED, self.src / "desired-state")
        shutil.copy2(SEED, self.src / "sandbox-seed.yaml")
        # JSON on every admin write, a body or none (the sandbox refuses anything else: cross-site posts)
        self.admin = loopback.client(base_url=sb.admin_url, timeout=10, headers={"Content-Type": "application/json"})
        self.runs = 1000

    def checkout(self) -> dict[str, Path]:
        return {p.name: p for p in self.src.iterdir()}

    def job(self, workflow: str, job: str, *, key: str | None = SECRET, secrets: dict[str, str] | None = None,
            variables: dict[str, str] | None = None, rerun: int | None = None, **kw: Any) -> JobResult:
        """Run a job as a new workflow run, or as another attempt of run `rerun` (same run id).

        As docs/ci.md sets it up: `key` is TELNYX_API_KEY in the environments `telnyx-read` (plan, drift)
        and `telnyx-production` (apply), both restricted to main; no repository secret (`secrets`)."""
        self.runs += 1
        variables = {"TELNYX_API_BASE_URL": self.sb.base_url} if variables is None else variables
        held = {"TELNYX_API_KEY": key} if key is not None else {}
        environments = {name: {"secrets": held, "branches": ["main"]} for name in ENVIRONMENTS}
        kw.setdefault("environments", environments)
        return run_job(workflow, job, workdir=self.tmp / f"run-{self.runs}", github=self.github,
                       run_id=rerun or self.runs, secrets=secrets or {}, variables=variables,
                       checkout=self.checkout(), **kw)

    def assignments(self) -> dict[str, str]:
        return {a["phone_number"]: a["tcr_campaign_id"] for a in self.admin.get("/state").json()["assignments"]}

    def writes(self) -> int:
        return int(self.admin.get("/counters").json()["writes"])


@pytest.fixture
def repo(tmp_path: Path, github: FakeGitHub) -> Iterator[Repo]:
    sb = start_sandbox(seed=SEED, api_key=SECRET)
    r = Repo(tmp_path, github, sb)
    yield r
    r.admin.close()
    stop_background(tmp_path)
    sb.stop()


def assert_no_secret(*texts: str | bytes) -> None:
    for t in texts:
        data = t.encode() if isinstance(t, str) else t
        assert SECRET.encode() not in data, "the API key leaked"
