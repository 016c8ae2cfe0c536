"""The fault suite: sandbox faults and modes, SIGKILLed applies, then the next apply must converge.

`make test` runs one run of the bounded, seeded part (`fast_combos`: two kills under the
defaults); `slow` (`make faults`) runs the rest of it (kills, 5 % failures with a 20 rps limit,
life-cycle delay, latency, every mode's second value) and adds 8 runs of the report's
matrix (every fault kind, each mode's first value named); `FAULTS_FULL=1` adds every mode value
under every fault kind (80 runs). The same
runs, with the report table, are `make faults` (`python -m tests.faults.report`). What one run
does and checks: tests/faults/harness.py. A failure prints its seed and the command to replay it.
"""

from __future__ import annotations

import os

import pytest

from .harness import FAULT_PROFILES, MODES, Combo, fast_combos, matrix, run_combo


def _check(combo: Combo, tmp_path) -> None:
    result = run_combo(combo, workdir=tmp_path)
    print(f"{combo.name}: {combo.describe()}: {result.faults} faults, {result.seconds:.1f}s")
    assert result.ok, "\n" + result.explain()
    assert not result.wrongly_touched and not result.lost
    assert result.repeated_writes == 0, "work in flight was submitted again"


# One representative in `make test` (under 5 minutes); the others are `slow`.
REPRESENTATIVE = "kill2-defaults"


@pytest.mark.parametrize("combo", [pytest.param(c, marks=() if c.name == REPRESENTATIVE else pytest.mark.slow)
                                   for c in fast_combos()], ids=lambda c: c.name)
def test_fault_combo_converges_without_touching_other_numbers(combo, tmp_path):
    _check(combo, tmp_path)


# Every other run of the report's matrix: every fault kind, each mode's hard reading named
# (the easy readings are in fast_combos), the other modes random, plus any fault kind the
# rotation skipped. The report runs them all.
SLOW = matrix()[::2]
SLOW += [next(c for c in matrix() if c.name.endswith("/" + p)) for p in FAULT_PROFILES
         if not any(c.name.endswith("/" + p) for c in SLOW)]  # every fault kind at least once


@pytest.mark.slow
@pytest.mark.parametrize("combo", SLOW, ids=lambda c: c.name)
def test_fault_matrix(combo, tmp_path):
    _check(combo, tmp_path)


if os.environ.get("FAULTS_FULL"):
    @pytest.mark.slow
    @pytest.mark.parametrize("combo", matrix(full=True), ids=lambda c: c.name)
    def test_fault_matrix_full(combo, tmp_path):
        _check(combo, tmp_path)


def test_the_matrices_cover_every_mode_value_and_fault_kind():
    fast = fast_combos()
    for name, values in MODES.items():
        assert {dict(c.modes).get(name, values[0]) for c in fast} == set(values), name
        assert {dict(c.modes)[name] for c in matrix()} == set(values), name
    assert any(c.fail_rate for c in fast) and any(c.rate_limit for c in fast)
    assert any(c.assignment_delay for c in fast) and any(c.latency_ms for c in fast)
    assert any(c.kills for c in fast)
    assert {c.name.split("/")[1] for c in SLOW} == set(FAULT_PROFILES)
    assert len({c.seed for c in matrix(full=True)}) == len(matrix(full=True)), "seeds must be unique"
