"""Shared helpers for the desired-state loader tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.desired import load_desired
from reconciler.errors import DesiredStateError, Problem

# The corpus holds YAML inputs, not tests; never let pytest walk it.
collect_ignore = ["corpus"]

CORPUS = Path(__file__).parent / "corpus"

PROFILE = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"
PROFILE_2 = "7d9e2a51-3b4c-4f6a-8e21-0c5d9b7a1f33"


def problems_of(path: str | Path) -> list[Problem]:
    """The problems `load_desired` raises for `path`; fails if it loads."""
    with pytest.raises(DesiredStateError) as info:
        load_desired(path)
    assert info.value.problems, "DesiredStateError without problems"
    return info.value.problems


def write(tmp: Path, name: str, text: str | bytes) -> Path:
    p = tmp / name
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        p.write_text(text, encoding="utf-8")
    else:
        p.write_bytes(text)
    return p


def doc(numbers: str = '          - "+13125550100"\n', profile: str = PROFILE, campaign: str = "CWZTFH1") -> str:
    return (
        "version: 1\n"
        "profiles:\n"
        f"  - id: {profile}\n"
        "    name: acme-marketing\n"
        "    campaigns:\n"
        f"      - tcr_campaign_id: {campaign}\n"
        "        numbers:\n" + numbers
    )


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in a temporary folder so that problem paths are short and relative."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
