"""The glossary covers every word the outputs use (issue 20 item 5): each value of the enums that
text, JSON and markdown print (a change's action, an apply outcome, a drift class, a write's number
state, a next phase's state, the messaging effects) has a row in the glossary (docs/glossary.md, linked
from the README), so a new word cannot reach a user without a meaning."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler.apply.report import Result
from reconciler.diff import Action
from reconciler.drift import Kind
from reconciler.tracking import NumberState, PhaseState

GLOSSARY = (Path(__file__).resolve().parents[1] / "docs" / "glossary.md").read_text(encoding="utf-8")

# Where the output word differs from the enum's value (JSON keeps the value).
SPOKEN = {"ok": "unchanged", "move": "move", "in_flight": "in flight", "next_phase": "next phase",
          "not_accepted": "not accepted", "not_taken": "not taken", "out_of_band": "out of band"}
# Internal states no output names on their own: `unseen` is counted with pending (render/status_counts.py, render/status.py).
UNSPOKEN = {NumberState.UNSEEN.value}
# The messaging effects of a plan (plan/messaging.py), as the text says them.
MESSAGING = ("sending", "not sending", "stop", "may stop", "start", "re-sent", "pruned", "number-hours")


def glossary_words(page: str) -> set[str]:
    section = page[page.index("# Glossary"):]
    words: set[str] = set()
    for row in re.findall(r"^\| ([^|]+?) \|", section, re.M):
        if row in ("word", "---"):
            continue
        for word in row.split(" / "):
            words.add(re.sub(r"\s*\(.*\)$", "", word).strip())
    return words


VOCABULARY = sorted({SPOKEN.get(v, v.replace("_", " "))
                     for enum in (Action, Result, Kind, NumberState, PhaseState) for v in (m.value for m in enum)
                     if v not in UNSPOKEN} | set(MESSAGING))


@pytest.mark.parametrize("word", VOCABULARY)
def test_every_word_the_outputs_use_is_in_the_glossary(word):
    assert word in glossary_words(GLOSSARY), f"{word!r} is printed but docs/glossary.md does not say what it means"


def test_the_glossary_check_notices_a_missing_word():
    without = GLOSSARY.replace("| not taken |", "| not-a-word |")
    assert "not taken" in glossary_words(GLOSSARY) and "not taken" not in glossary_words(without)
