"""The words a judgement is given in: a number's state within one open write, and a deferred
phase's. Outputs print their values, so each has a row in docs/glossary.md (tests/test_glossary.py)."""

from __future__ import annotations

from enum import StrEnum


class NumberState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    NOT_TAKEN = "not_taken"
    UNSEEN = "unseen"


class PhaseState(StrEnum):
    """A deferred phase: waiting for its condition, ready to be carried out, or no longer valid."""

    WAITING = "waiting"
    READY = "ready"
    DONE = "done"
    ABANDONED = "abandoned"
