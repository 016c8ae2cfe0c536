"""Golden files for every rendering: text, JSON and markdown of plans, drift and apply reports,
including a 10,000-number plan. Regenerate after an intended change with

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/golden

and review the diff. Big renderings are stored gzipped (deterministic: mtime 0).
"""

from __future__ import annotations

import difflib
import gzip
import json
import os
from pathlib import Path
from typing import Callable

import pytest

from reconciler import render
from reconciler.apply import ApplyReport, Outcome, Result
from reconciler.drift import drift_report

from . import estates

HERE = Path(__file__).resolve().parent / "files"
UPDATE = bool(os.environ.get("UPDATE_GOLDEN"))
GITHUB_COMMENT_LIMIT = 65_536


def _read(path: Path) -> str:
    raw = path.read_bytes()
    return (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8")


def _write(path: Path, text: str) -> None:
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)


def check(name: str, text: str) -> None:
    path = HERE / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(path, text)
        return
    assert path.exists(), f"no golden file {name}: run with UPDATE_GOLDEN=1"
    want = _read(path)
    if text != want:
        diff = "".join(list(difflib.unified_diff(want.splitlines(True), text.splitlines(True), name, "now", n=2))[:80])
        pytest.fail(f"{name} differs from its golden file (UPDATE_GOLDEN=1 to accept):\n{diff}")


def apply_report() -> ApplyReport:
    R = Result
    outcomes = [Outcome(f"+1312555{i:04d}", estates.P1, "CWZTFH1", R.CONVERGED) for i in range(100, 104)]
    outcomes += [Outcome("+13125550200", estates.P2, "CALERT7", R.FAILED, "carrier rejected: 10DLC number blocked"),
                 Outcome("+13125550201", estates.P2, "CALERT7", R.IN_FLIGHT, "PENDING_ASSIGNMENT"),
                 Outcome("+13125550202", estates.P2, "CALERT7", R.NEXT_PHASE,
                         "next phase of run r1: assignment to CALERT7 once Telnyx has freed it"),
                 Outcome("+13125550204", estates.P2, "CALERT7", R.NOT_ACCEPTED,
                         "Telnyx had not processed the write when apply stopped waiting"),
                 Outcome("+13125550205", estates.P2, None, R.UNASSIGNED),
                 Outcome("+13125550203", estates.P2, "CPEND42", R.BLOCKED, "sharing status is PENDING")]
    return ApplyReport(outcomes, rounds=2, writes=7, timed_out=True)


SMALL = estates.small()
CASES: dict[str, Callable[[], str]] = {
    "plan-small.txt": lambda: render.plan_text(SMALL),
    "plan-small.json": lambda: render.to_json(render.plan_dict(SMALL)),
    "plan-small.md": lambda: render.plan_markdown(SMALL),
    "drift-small.txt": lambda: render.drift_text(drift_report(SMALL)),
    "drift-small.json": lambda: render.to_json(render.drift_dict(drift_report(SMALL))),
    "drift-small.md": lambda: render.drift_markdown(drift_report(SMALL)),
    "apply-small.txt": lambda: render.apply_text(apply_report()),
    "apply-small.json": lambda: render.to_json(render.apply_dict(apply_report())),
    "apply-small.md": lambda: render.apply_markdown(apply_report()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_small_renderings(name):
    check(name, CASES[name]())


@pytest.fixture(scope="module")
def big():
    return estates.big(10_000)


def test_big_plan_markdown_is_summarised_under_the_comment_limit(big):
    md = render.plan_markdown(big)
    check("plan-10k.md", md)
    # What reviewers need stays, in this order: blast radius, unsafe, the per-campaign table.
    assert md.index("will change campaign") < md.index("Unsafe plan") < md.index("| profile | campaign")
    assert len(md) < GITHUB_COMMENT_LIMIT - 1_000  # room for the sticky marker and footer
    assert "summarised to stay under GitHub's 65,536-character" in md
    assert md.count("<details>") == md.count("</details>")
    assert big.checksum() in md


def test_big_plan_text_and_json(big):
    check("plan-10k.txt.gz", render.plan_text(big))
    data = render.plan_dict(big)
    check("plan-10k.json.gz", render.to_json(data))
    assert data["counts"]["numbers_declared"] == 10_000
    assert sum(len(c["changes"]) for p in data["profiles"] for c in p["campaigns"]) == len(big.changes)


def test_big_drift_markdown_stays_under_the_limit(big):
    md = render.drift_markdown(drift_report(big))
    check("drift-10k.md", md)
    assert len(md) < GITHUB_COMMENT_LIMIT - 1_000


@pytest.mark.parametrize("count", [0, 1, 50_000])
def test_markdown_never_exceeds_the_limit(count):
    """Empty, tiny and very large estates: always one valid comment."""
    plan = estates.big(count) if count else estates.small()
    for md in (render.plan_markdown(plan), render.drift_markdown(drift_report(plan))):
        assert len(md) <= render.MARKDOWN_LIMIT
        assert md.count("<details>") == md.count("</details>")


def test_json_plan_is_the_same_data_as_the_text(big):
    data = json.loads(render.to_json(render.plan_dict(SMALL)))
    text = render.plan_text(SMALL, verbose=True)
    summary = render.plan_text(SMALL)
    for p in data["profiles"]:
        for c in p["campaigns"]:
            for f in c["changes"]:
                assert f["number"] in text
                if f["action"] not in ("in_flight", "unmanaged"):  # every change and blocked number, always
                    assert f["number"] in summary


def test_profiles_are_named_where_known():
    """Text and markdown say `profile legacy (0c9a7f3e…)` where the name is known; JSON keeps the id and adds
    the name; a profile whose name nobody read stays a whole id (something to look up)."""
    text, markdown = render.plan_text(SMALL), render.plan_markdown(SMALL)
    for out in (text, markdown, render.drift_text(drift_report(SMALL)), render.drift_markdown(drift_report(SMALL))):
        assert "profile legacy (0c9a7f3e…)" in out
        assert f"profile {estates.PX}" not in out
    moved = [f for p in render.plan_dict(SMALL)["profiles"] for c in p["campaigns"] for f in c["changes"]
             if f.get("move_from_profile") == estates.PX]
    assert moved and all(f["move_from_profile_name"] == "legacy" for f in moved)
    # Prose from elsewhere (a reason, an apply detail) is named the same way, in text and markdown only.
    report = ApplyReport([Outcome("+13125550100", estates.P1, "CWZTFH1", Result.BLOCKED,
                                  f"shared campaign CWZTFH1 would need per-number assignment on profile {estates.P1}")])
    names = {estates.P1: "acme-marketing"}
    assert "on profile acme-marketing (4001767e…)" in render.apply_text(report, names=names)
    assert "on profile acme-marketing (4001767e…)" in render.apply_markdown(report, names=names)
    assert f"on profile {estates.P1}" in render.to_json(render.apply_dict(report))
    assert "profile 0c9a7f3e-2b1d-4e5f-8a6b-3c2d1e0f9a8c" in render.apply_text(ApplyReport([Outcome(
        "+13125550100", None, None, Result.BLOCKED, "profile 0c9a7f3e-2b1d-4e5f-8a6b-3c2d1e0f9a8c")]), names=names)
