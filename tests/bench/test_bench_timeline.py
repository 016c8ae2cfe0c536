"""`make bench-timeline` keeps working: every scenario on a tiny estate, the scheduled job at its shipped
cadence, in virtual time. Nothing is timed: the figures need only be sane (never under Telnyx's floor)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler import durations

# bench.timeline's, said again here (the `bench` package is not importable from the tests).
SHIPPED_CADENCE_MIN = 15.0
FLOORS = {
    "adopt": durations.ORDER + durations.TASK + durations.ASSIGNMENT,
    "reassign": durations.UNASSIGNMENT + durations.TASK + durations.ASSIGNMENT,
    "move": durations.ORDER + durations.UNASSIGNMENT + durations.TASK + durations.ASSIGNMENT,
}

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # about 40 CLI processes (20 s of CPU): `make faults`; `make test` keeps the bench smoke
def test_bench_timeline_runs_every_scenario_and_never_beats_telnyx(tmp_path: Path) -> None:
    out = tmp_path / "results"
    proc = subprocess.run([sys.executable, "-m", "bench.timeline", "--results", str(out),
                           "--smoke"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| scenario | numbers | resume every | time until every number sends | Telnyx floor | ratio |" in proc.stdout
    rows = json.loads((out / "timeline.json").read_text())
    assert [r["scenario"] for r in rows] == list(FLOORS)
    for r in rows:
        assert r["numbers"] == 20 and r["apply_exit"] == 0 and r["cadence_min"] == SHIPPED_CADENCE_MIN, r
        assert r["floor_h"] == round(FLOORS[r["scenario"]] / 3600, 2), r
        assert 1.0 <= r["time_ratio"] < 3 and 1.0 <= r["number_hours_ratio"] < 3, r
        assert r["number_hours"] >= r["floor_number_hours"] > 0, r
    by = {r["scenario"]: r for r in rows}
    # Two phases wait for Telnyx's unassignment (about 1 h): they take longer than an adoption.
    assert by["reassign"]["time_to_send_h"] > by["adopt"]["time_to_send_h"] < by["move"]["time_to_send_h"]
