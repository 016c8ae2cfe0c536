"""`make faults` ends with the hostile-input section: every attack of hostile_cases.py, counted as
inputs tried and inputs accepted (0), and the report fails if any input got through."""

from __future__ import annotations

import time

from tests.faults import hostile_cases, report
from tests.faults.hostile_cases import ATTACKS, Attack

SECTIONS = ("names", "API fields", "logs", "paths", "sandbox requests")


def _rows(out: str) -> dict[str, tuple[int, int]]:
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[1].isdigit():
            rows[cells[0]] = (int(cells[1]), int(cells[2]))
    return rows


def test_every_attack_is_in_one_of_the_five_sections() -> None:
    assert {a.section for a in ATTACKS} == set(SECTIONS)
    assert len({a.id for a in ATTACKS}) == len(ATTACKS)


def test_the_hostile_section_tries_every_section_and_accepts_nothing(capsys) -> None:
    t0 = time.monotonic()
    code = report.main(["--hostile-only", "--fast"])
    out = capsys.readouterr().out
    assert code == 0, out
    rows = _rows(out)
    for name in SECTIONS:
        tried, accepted = rows[name]
        assert tried > 0 and accepted == 0, (name, rows)
    assert rows["total"] == (sum(rows[n][0] for n in SECTIONS), 0)
    assert time.monotonic() - t0 < 120, "the --fast hostile section must stay quick"


def test_an_accepted_input_fails_the_report(monkeypatch, capsys) -> None:
    hole = Attack("paths", "a hole left open on purpose", lambda ctx: [None, "it got through", None])
    monkeypatch.setattr(hostile_cases, "ATTACKS", [hole])
    assert report.main(["--hostile-only"]) == 1
    out = capsys.readouterr().out
    assert _rows(out)["paths"] == (3, 1) and _rows(out)["total"] == (3, 1)
    assert "ACCEPTED paths: a hole left open on purpose: it got through" in out


def test_an_attack_that_breaks_counts_as_accepted(monkeypatch, capsys) -> None:
    def broken(ctx: hostile_cases.Ctx) -> list[str | None]:
        raise RuntimeError("the tool fell over")

    monkeypatch.setattr(hostile_cases, "ATTACKS", [Attack("names", "a crash", broken)])
    assert report.main(["--hostile-only"]) == 1
    assert "raised RuntimeError: the tool fell over" in capsys.readouterr().out
