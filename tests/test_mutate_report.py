"""`scripts/mutate_report.py`, the `make mutate` table, on mutmut result files made here."""

from __future__ import annotations

import importlib.util
import json
import re
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


def test_the_table_counts_per_module_and_in_total(tmp_path, capsys):
    # a: 9 killed + 1 timeout of 10 = 100 %; b: 8 killed, 1 survived, 1 untested, 1 skipped = 80 %
    root = project(tmp_path, {
        "pkg/a.py": {f"a_{i}": 1 for i in range(9)} | {"a_t": 36},
        "pkg/b.py": {f"b_{i}": 1 for i in range(8)} | {"b_s": 0, "b_n": 33, "b_k": 34},
    })
    assert report.main(["--root", str(root), "--min", "80", "--survivors"]) == 0  # b at 80 %, the total at 90 %
    out = capsys.readouterr().out
    assert "| pkg/a.py | 10 | 10 | 0 | 100.0 % |" in out
    assert "| pkg/b.py | 11 | 8 | 2 (1 untested) | 80.0 % |" in out
    assert "| **total** | 21 | 18 | 2 (1 untested) | 90.0 % |" in out
    assert out.index("b_n") < out.index("b_s")  # survivors listed, sorted; killed ones not
    assert "a_t" not in out.split("not killed")[1]


def test_every_module_must_reach_the_minimum_not_only_the_total(tmp_path, capsys):
    root = project(tmp_path, {"pkg/a.py": {f"a_{i}": 1 for i in range(9)} | {"a_t": 36},
                              "pkg/b.py": {f"b_{i}": 1 for i in range(8)} | {"b_s": 0, "b_n": 33}})
    assert report.main(["--root", str(root), "--min", "90"]) == 1  # the total is 90 %, b 80 %
    assert "under the 90 % minimum: pkg/b.py 80.0 %\n" in capsys.readouterr().err


def test_under_the_minimum_fails(tmp_path, capsys):
    root = project(tmp_path, {"pkg/a.py": {"k": 1, "s": 0}, "pkg/b.py": {"k": 1}})
    assert report.main(["--root", str(root), "--min", "67"]) == 1  # a: 1 of 2; the total: 2 of 3
    assert "under the 67 % minimum: pkg/a.py 50.0 %, the total 66.7 %" in capsys.readouterr().err
    assert report.main(["--root", str(root), "--min", "50"]) == 0


def test_one_module_measured_alone(tmp_path, capsys):
    """A run of one module (`mutmut run "pkg.a*"`) is reported alone: no total row, no other module missing."""
    root = project(tmp_path, {"pkg/a.py": {"k": 1, "s": 0, "l": 1}})
    assert report.main(["--root", str(root), "--min", "60", "pkg/a.py"]) == 0
    assert capsys.readouterr().out.splitlines()[2:] == ["| pkg/a.py | 3 | 2 | 1 | 66.7 % |"]
    assert report.main(["--root", str(root), "--min", "70", "pkg/a.py"]) == 1
    assert capsys.readouterr().err == "\nunder the 70 % minimum: pkg/a.py 66.7 %\n"  # said once
    assert report.main(["--root", str(root), "pkg/c.py"]) == 2
    assert "not in [tool.mutmut] only_mutate: pkg/c.py" in capsys.readouterr().err


def test_the_markdown_table_names_the_commit_measured_and_the_survivors(tmp_path, capsys):
    root = project(tmp_path, {"pkg/a.py": {"k": 1, "s": 0}, "pkg/b.py": {"k": 1}})
    out = tmp_path / "report.md"
    assert report.main(["--root", str(root), "--min", "0", "--markdown", str(out), "--commit", "abc1234"]) == 0
    assert out.read_text() == (
        "| module | mutants | killed | survived | score | commit |\n"
        "| --- | ---: | ---: | ---: | ---: | --- |\n"
        "| pkg/a.py | 2 | 1 | 1 | 50.0 % | abc1234 |\n"
        "| pkg/b.py | 1 | 1 | 0 | 100.0 % | abc1234 |\n"
        "| **total** | 3 | 2 | 1 | 66.7 % | abc1234 |\n"
        "\nNot killed (`mutmut show NAME` prints the change):\n\n- `s`\n")
    capsys.readouterr()
    assert report.main(["--root", str(root), "--min", "0", "--markdown", "-", "pkg/b.py"]) == 0
    assert capsys.readouterr().out.endswith("| pkg/b.py | 1 | 1 | 0 | 100.0 % | unknown |\n")  # not a git checkout


def test_the_commit_is_the_checkouts_head_marked_when_the_code_measured_has_changed(tmp_path):
    import subprocess

    root = project(tmp_path, {"pkg/a.py": {"k": 1}})
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    (root / "tests").mkdir()
    (root / "tests" / "test_a.py").write_text("")
    subprocess.run([*git, "add", "pyproject.toml", "tests"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "x"], check=True)
    sha = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert report.head_commit(root) == sha  # mutants/ is not what is measured
    (root / "tests" / "test_a.py").write_text("def test_more(): pass\n")
    assert report.head_commit(root) == sha + "+"


DOCS = ROOT / "docs" / "testing.md"
ROW = re.compile(r"^\| (?P<name>reconciler/\S+) \| (?P<mutants>\d+) \| (?P<killed>\d+) \| "
                 r"(?P<not_killed>\d+)(?: \((?P<untested>\d+) untested\))? \| [^|]+ \|(?: (?P<commit>\w+) \|)?$")


def test_the_tables_in_the_docs_are_the_reports_rows():
    """Every module row in docs/testing.md is what `mutate_report.py --markdown` prints for its counts (the
    score is not typed by hand), and every module `make mutate` covers has a row."""
    rows = [m for line in DOCS.read_text(encoding="utf-8").splitlines() if (m := ROW.match(line))]
    assert rows
    for m in rows:
        untested = int(m["untested"] or 0)
        c = dict.fromkeys(("timeout", "skipped", "suspicious", "unchecked"), 0) | {
            "mutants": int(m["mutants"]), "killed": int(m["killed"]), "no_tests": untested,
            "survived": int(m["not_killed"]) - untested}
        assert report.row(m["name"], c, m["commit"]) == m.string, m.string
    assert {m["name"] for m in rows} >= set(report.modules(ROOT))


@pytest.mark.parametrize("results, says", [
    ({"pkg/a.py": {"k": 1}}, "no mutmut results for pkg/b.py"),
    ({"pkg/a.py": {"k": 1}, "pkg/b.py": {"k": 1, "u": None}}, "1 mutant(s) never checked"),
])
def test_missing_or_interrupted_results_are_an_error_not_a_score(tmp_path, capsys, results, says):
    assert report.main(["--root", str(project(tmp_path, results))]) == 2
    assert says in capsys.readouterr().err


def test_every_test_mutmut_runs_has_an_id_that_survives_a_second_session():
    """mutmut collects which tests reach a mutant in one pytest session and runs them by id in a later one
    in the same process; pytest escapes a parametrize id that is not printable ASCII again in each session
    (`→` becomes `\\u2192`, then `\\\\u2192`), so such a test is "not found" and the whole run stops
    ("Failed to run pytest", exit 4). Ids of the tests `make mutate` selects are plain ASCII."""
    import subprocess
    import sys
    import tomllib

    selection = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]["pytest_add_cli_args_test_selection"]
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only", *selection],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    ids = [line for line in r.stdout.splitlines() if "::" in line]
    assert len(ids) > 500
    assert [i for i in ids if "\\" in i] == []
