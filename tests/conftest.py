"""Shared by every test: under mutmut, property tests draw few examples.

mutmut (`make mutate`) runs the selected tests once per mutant, with MUTANT_UNDER_TEST set. There
the property tests (hypothesis) keep their explicit `@example`s and draw a few fixed examples each
(the same ones every run, no example database), so a mutant costs seconds, not the minutes a
full draw would. Every other run (`make test`, CI) is untouched: each test draws as many examples
as its own `@settings` asks.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

MUTANT_EXAMPLES = 10
settings.register_profile("mutant", max_examples=MUTANT_EXAMPLES, derandomize=True, database=None, deadline=None)


def under_mutmut() -> bool:
    return "MUTANT_UNDER_TEST" in os.environ


if under_mutmut():
    settings.load_profile("mutant")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test's own `@settings(max_examples=...)` wins over any profile: under mutmut, cap it too."""
    if not under_mutmut():
        return
    for item in items:
        test = getattr(item, "obj", None)
        own = getattr(test, "_hypothesis_internal_use_settings", None)
        if own is not None and own.max_examples > MUTANT_EXAMPLES:
            test._hypothesis_internal_use_settings = settings(own, max_examples=MUTANT_EXAMPLES, derandomize=True,
                                                              database=None)
