"""Shared by every test: under mutmut, the slow property tests draw few examples.

mutmut (`make mutate`) runs the selected tests once per mutant, with MUTANT_UNDER_TEST set. There
the property tests named in SLOW (seconds per run: the compaction property replays hundreds of
journals) keep their explicit `@example`s and draw a few fixed examples (the same ones every run,
no example database), so a mutant costs a fraction of a second, not seconds; the cheap ones keep
every example, and kill what they always killed. Every other run (`make test`, CI) is untouched:
each test draws as many examples as its own `@settings` asks.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

MUTANT_EXAMPLES = 10
SLOW = {"test_compacting_any_journal_changes_nothing_status_plan_or_resume_see"}


def under_mutmut() -> bool:
    return "MUTANT_UNDER_TEST" in os.environ


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under mutmut, the SLOW property tests draw MUTANT_EXAMPLES fixed examples. (A test's own
    `@settings` wins over any profile, so its settings object is replaced; hypothesis reads it
    from the test function when the test runs.)"""
    if not under_mutmut():
        return
    for item in items:
        if not isinstance(item, pytest.Function) or item.originalname not in SLOW:
            continue
        own = getattr(item.obj, "_hypothesis_internal_use_settings", None)
        if own is not None:
            item.obj._hypothesis_internal_use_settings = settings(own, max_examples=MUTANT_EXAMPLES, derandomize=True,
                                                                  database=None)
