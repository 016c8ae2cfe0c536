"""`scripts/mutate_report.py`, the `make mutate` table, on mutmut result files made here."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("mutate_report", ROOT / "scripts" / "mutate_report.py")
report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(report)


def project(tmp_path: Path, results: dict[str, dict[str, int | None]]) -> Path:
    """A project whose [tool.mutmut] names two modules, with mutmut's meta files for `results`."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mutmut]\nonly_mutate = ["pkg/a.py", "pkg/b.py"]\n', encoding="utf-8")
    for module, codes in results.items():
        meta = tmp_path / "mutants" / (module + ".meta")
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(json.dumps({"exit_code_by_key": codes, "durations_by_key": {}}), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("code, kind", [
    (1, "killed"), (3, "killed"), (37, "killed"), (36, "timeout"), (0, "survived"), (5, "no_tests"),
    (33, "no_tests"), (34, "skipped"), (None, "unchecked"), (-11, "suspicious"), (99, "suspicious"),
])
def test_every_mutmut_exit_code_lands_in_one_column(code, kind):
    assert report.classify(code) == kind


def test_the_table_counts_per_module_and_in_total_and_passes_at_the_minimum(tmp_path, capsys):
    # a: 9 killed + 1 timeout of 10 = 100 %; b: 8 killed, 1 survived, 1 untested, 1 skipped = 80 %
    root = project(tmp_path, {
        "pkg/a.py": {f"a_{i}": 1 for i in range(9)} | {"a_t": 36},
        "pkg/b.py": {f"b_{i}": 1 for i in range(8)} | {"b_s": 0, "b_n": 33, "b_k": 34},
    })
    assert report.main(["--root", str(root), "--min", "90", "--survivors"]) == 0  # 18 of 20 tested: 90 %
    out = capsys.readouterr().out
    assert "| pkg/a.py | 10 | 10 | 0 | 100.0 % |" in out
    assert "| pkg/b.py | 11 | 8 | 2 (1 untested) | 80.0 % |" in out
    assert "| **total** | 21 | 18 | 2 (1 untested) | 90.0 % |" in out
    assert out.index("b_n") < out.index("b_s")  # survivors listed, sorted; killed ones not
    assert "a_t" not in out.split("not killed")[1]


def test_under_the_minimum_fails(tmp_path, capsys):
    root = project(tmp_path, {"pkg/a.py": {"k": 1, "s": 0}, "pkg/b.py": {"k": 1}})
    assert report.main(["--root", str(root), "--min", "67"]) == 1  # 2 of 3: 66.7 %
    assert "66.7 % is under the 67 % minimum" in capsys.readouterr().err
    assert report.main(["--root", str(root), "--min", "66"]) == 0


@pytest.mark.parametrize("results, says", [
    ({"pkg/a.py": {"k": 1}}, "no mutmut results for pkg/b.py"),
    ({"pkg/a.py": {"k": 1}, "pkg/b.py": {"k": 1, "u": None}}, "1 mutant(s) never checked"),
])
def test_missing_or_interrupted_results_are_an_error_not_a_score(tmp_path, capsys, results, says):
    assert report.main(["--root", str(project(tmp_path, results))]) == 2
    assert says in capsys.readouterr().err
