"""The benchmark keeps working: every case end to end on a tiny estate. Nothing here is timed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_runs_every_case_and_writes_sane_results(tmp_path: Path) -> None:
    out = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--sizes", "200", "--naive-sizes", "20", "--offline-numbers", "2000",
         "--latency-ms", "1", "--rate-limit", "1000", "--results", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = proc.stdout
    assert "| numbers | case | command | requests | lower bound | ratio |" in table
    for case, command in [("adopt", "plan"), ("adopt", "apply"), ("noop", "plan"), ("change", "plan"),
                          ("change", "apply")]:
        assert f"| 200 | {case} | {command} |" in table
    assert "| target | measured |" in table
    assert "Machine:" in table
    assert (out / "table.md").read_text().startswith("Against the sandbox")

    rows = {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}
    assert set(rows) >= {"naive-20", "online-200-adopt-plan", "online-200-adopt-apply", "online-200-noop-plan",
                         "online-200-change-plan", "online-200-change-apply", "offline-plan-2000-adopt",
                         "offline-plan-2000-noop", "offline-plan-2000-change", "offline-validate-2000"}
    for name, r in rows.items():
        if r["kind"] != "online":
            continue
        assert r["requests"] == sum(r["requests_by_operation"].values()) > 0, name
        assert r["lower_bound"]["total"] > 0 and r["ratio"] > 0, name
        assert r["throttled_429"] >= 0 and r["cpu_s"] > 0 and r["peak_rss_bytes"] > 0, name
        assert r["wall_s"] > 0 and r["ideal_s"] > 0, name
        assert r["machine"]["cpus"] >= 1 and r["machine"]["python"], name
        if r["command"] == "apply":
            assert r["exit_code"] == 0 and r["converged"] == {"declared": 200, "converged": 200}, name
            assert set(r["lower_bound"]) >= {"read", "writes", "verify"}, name
        else:
            assert r["requests_by_operation"].keys() <= {
                "GetSharedCampaigns", "ListMessagingProfiles", "RetrieveMessagingProfile",
                "ListPhoneNumbersWithMessagingSettings", "GetAllPhoneNumberCampaigns",
                "GetSinglePhoneNumberCampaign"}, f"{name}: a plan must only read"
    assert rows["online-200-adopt-plan"]["plan_counts"]["assign"] == 200
    assert rows["online-200-noop-plan"]["plan_counts"]["ok"] == 200
    assert rows["online-200-change-plan"]["plan_counts"]["reassign"] == 10
    naive = rows["naive-20"]
    assert naive["requests_per_number"] >= 2 and naive["converged"]["converged"] == 20
    plan = rows["offline-plan-2000-change"]
    assert plan["changes"] == 100 and plan["plan_cpu_s"] >= 0 and plan["peak_rss_bytes"] > 0
    assert rows["offline-validate-2000"]["output"].startswith("ok: 2000 numbers")
