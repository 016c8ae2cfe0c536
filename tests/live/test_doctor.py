"""`reconciler doctor` against the sandbox: under every pair of values of the modes reading can
settle, it names the mode the sandbox runs; it never writes; it saves what it learned; an API it
cannot ask is a clean exit 1. Its mode names are the sandbox's own (MODE_SPECS)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from click.testing import CliRunner

from tests import loopback
from reconciler.cli import cli
from reconciler.live.doctor_report import READABLE_MODES, WRITE_ONLY
from reconciler.sandbox import MODE_SPECS, start_sandbox

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "sandbox-seed.yaml"
KEY = "sandbox-key"


def pairwise(modes: dict[str, tuple[str, ...]]) -> list[dict[str, str]]:
    """Mode sets covering every pair of values of every two modes (greedy, deterministic)."""
    names = list(modes)
    todo = {((a, va), (b, vb)) for a, b in itertools.combinations(names, 2) for va in modes[a] for vb in modes[b]}
    out: list[dict[str, str]] = []
    while todo:
        (a, va), (b, vb) = min(todo)  # an uncovered pair seeds each set: every round gains
        combo: dict[str, str] = {a: va, b: vb}
        for name in names:
            if name not in combo:
                combo[name] = max(modes[name], key=lambda v: sum(((o, combo[o]), (name, v)) in todo
                                                                 or ((name, v), (o, combo[o])) in todo for o in combo))
        combo = {n: combo[n] for n in names}
        covered = {((a, combo[a]), (b, combo[b])) for a, b in itertools.combinations(names, 2)}
        assert covered & todo, "no progress"
        todo -= covered
        out.append(combo)
    return out


READABLE = {name: MODE_SPECS[name].values for name in READABLE_MODES}
COMBOS = pairwise(READABLE)


def test_doctor_names_every_mode_of_the_sandbox() -> None:
    """Every sandbox mode is either settled by reading or listed as what only a write could show."""
    write_only = [mode for mode, _, _ in WRITE_ONLY]
    assert sorted([*READABLE_MODES, *write_only]) == sorted(MODE_SPECS)
    assert len(set(write_only)) == len(write_only)


def test_the_combinations_cover_every_pair() -> None:
    for a, b in itertools.combinations(READABLE, 2):
        assert {(c[a], c[b]) for c in COMBOS} == set(itertools.product(READABLE[a], READABLE[b]))
    assert len(COMBOS) < 20


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    with start_sandbox(seed=SEED) as sb:
        yield sb


def doctor(sb: Any, *args: str, key: str = KEY) -> Any:
    return CliRunner().invoke(cli, ["doctor", *args], env={"TELNYX_API_KEY": key, "TELNYX_API_BASE_URL": sb.base_url,
                                                           "NO_COLOR": "1"}, catch_exceptions=False)


@pytest.mark.parametrize("modes", COMBOS, ids=[",".join(f"{k}={v}" for k, v in c.items()) for c in COMBOS])
def test_doctor_names_the_mode_the_sandbox_runs(sandbox: Any, modes: dict[str, str]) -> None:
    admin = loopback.client(base_url=sandbox.admin_url, timeout=10, headers={"Content-Type": "application/json"})
    try:
        admin.put("/modes", json={n: s.values[0] for n, s in MODE_SPECS.items()} | modes).raise_for_status()
        admin.post("/counters/reset").raise_for_status()
        r = doctor(sandbox, "--format", "json")
        assert r.exit_code == 0, r.output
        report = json.loads(r.stdout)
        assert admin.get("/counters").json()["writes"] == 0
    finally:
        admin.close()
    found = {a["sandbox_mode"]["name"]: a["sandbox_mode"]["values"] for a in report["answers"] if a["sandbox_mode"]}
    assert {name: found.get(name) for name in modes} == {name: [value] for name, value in modes.items()}
    assert report["learned"] == modes
    assert report["writes"] == 0
    assert all(a["settled"] for a in report["answers"])
    assert [a["sandbox_mode"]["name"] for a in report["write_only"]] == [m for m, _, _ in WRITE_ONLY]
    denied = [x for x in report["access"] if x["verdict"].startswith("denied")]
    assert denied == []


def test_doctor_text_is_a_table_and_save_keeps_what_it_learned(sandbox: Any, tmp_path: Path) -> None:
    httpx.put(f"{sandbox.admin_url}/modes", json={n: s.values[0] for n, s in MODE_SPECS.items()}).raise_for_status()
    r = doctor(sandbox, "--save", "--state-dir", str(tmp_path / "state"))
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].startswith("Doctor: 12 of 12 questions settled by reading (")
    assert lines[2].split() == ["question", "this", "account", "sandbox", "mode", "the", "reconciler"]
    assert "Only a write could show (the reconciler copes with every value):" in lines
    assert any(line.startswith("  POST /10dlc/phone_number_campaigns ") and "only a write could show" in line
               for line in lines)
    saved = json.loads((tmp_path / "state" / "doctor.json").read_text())
    assert saved["kind"] == "doctor" and saved["schema_version"] == 1
    assert saved["modes"] == {n: MODE_SPECS[n].values[0] for n in READABLE_MODES}
    assert lines[-1] == f"Saved 10 learned answers to {tmp_path / 'state' / 'doctor.json'}"


def test_a_key_telnyx_refuses_is_a_clean_exit_1(sandbox: Any) -> None:
    r = doctor(sandbox, "--format", "json", key="not-the-key")
    assert r.exit_code == 1
    assert "Traceback" not in r.output
    assert json.loads(r.stdout)["error"]["status"] == 401
    assert r.stderr.startswith("error: GET /messaging_profiles: HTTP 401")


def test_an_account_with_nothing_in_it_answers_what_it_can(tmp_path: Path) -> None:
    with start_sandbox(seed=None) as sb:
        r = doctor(sb, "--format", "json")
    assert r.exit_code == 0, r.output
    answers = {a["key"]: a for a in json.loads(r.stdout)["answers"]}
    assert answers["sparse"]["settled"] is False and answers["sparse"]["answer"] == "cannot tell: no numbers"
    assert answers["list_page_max"]["sandbox_mode"]["values"] == ["250"]
    assert answers["page_zero"]["sandbox_mode"]["values"] == ["error"]


def test_a_sandbox_started_from_doctor_json_answers_like_the_account_it_came_from(tmp_path: Path) -> None:
    """`doctor --save` then `reconciler sandbox --modes-from doctor.json`: the second sandbox is asked the
    same questions and gives the first one's answers (later runs start from what was learned)."""
    import subprocess
    import sys

    account = {"list_page_max": "500", "sparse": "full", "total_records": "records", "phone_id": "numeric_or_e164"}
    with start_sandbox(seed=SEED, modes=account) as first:
        assert doctor(first, "--save", "--state-dir", str(tmp_path / "state")).exit_code == 0
    saved = tmp_path / "state" / "doctor.json"
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "sandbox", "--port", "0", "--seed", str(SEED),
                             "--modes-from", str(saved)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://"), proc.stderr.read() if proc.stderr else ""
        r = CliRunner().invoke(cli, ["doctor", "--format", "json"], env={
            "TELNYX_API_KEY": "sandbox-key", "TELNYX_API_BASE_URL": url, "NO_COLOR": "1"}, catch_exceptions=False)
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["learned"] == json.loads(saved.read_text())["modes"]
        assert {k: json.loads(r.stdout)["learned"][k] for k in account} == account
    finally:
        proc.terminate()
        proc.wait(10)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


@pytest.mark.parametrize("content, said", [
    ("{not json", "cannot read it"), ('{"modes": ["sparse"]}', "expected a doctor.json"),
    ('{"modes": {"sparse": "sometimes"}}', "mode sparse must be one of sparse|full"),
    ('{"modes": {"no_such": "x"}}', "unknown mode 'no_such'")])
def test_a_bad_modes_from_file_is_named_and_refused(tmp_path: Path, content: str, said: str) -> None:
    import subprocess
    import sys

    bad = tmp_path / "doctor.json"
    bad.write_text(content, encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "reconciler", "sandbox", "--port", "0", "--modes-from", str(bad)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and f"--modes-from {bad}" in r.stderr and said in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
