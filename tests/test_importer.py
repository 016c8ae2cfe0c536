"""import's files hold to the same id patterns as the loader: both read them from the schema (reconciler/ids.py)."""

from __future__ import annotations

from pathlib import Path

from reconciler.desired import load_desired
from reconciler.importer import imported_profiles, profile_yaml, unusable_profiles
from reconciler.model import LiveAssignment, LiveNumber, LiveState

PID = "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
NUMBER = "+13125550101"


def _live(pid: str, campaign: str = "CWZTFH1") -> LiveState:
    return LiveState(numbers={NUMBER: LiveNumber(NUMBER, "1", pid, "longcode")},
                     assignments={NUMBER: LiveAssignment(NUMBER, campaign, "ASSIGNED")}, profiles={pid: "Support"})


def test_an_imported_profile_file_loads_as_desired_state(tmp_path: Path) -> None:
    live = _live(PID)
    (p,) = imported_profiles(live)
    (tmp_path / "support.yaml").write_text(profile_yaml(p, dict(live.assignments), schema="x.json"))
    desired = load_desired(tmp_path)
    assert desired.numbers[NUMBER].profile_id == PID and desired.numbers[NUMBER].tcr_campaign_id == "CWZTFH1"


def test_a_profile_id_the_schema_refuses_is_named_and_never_written() -> None:
    # A UUID in capitals is a UUID, but the schema (lower-case hex) would refuse the file import wrote.
    live = _live(PID.upper())
    assert imported_profiles(live) == [] and unusable_profiles(live) == [PID.upper()]


def test_a_campaign_id_the_schema_refuses_is_left_out_with_why() -> None:
    live = _live(PID, campaign="cwztfh1")
    (p,) = imported_profiles(live)
    text = profile_yaml(p, dict(live.assignments), schema="x.json")
    assert "not a TCR id" in text and "tcr_campaign_id" not in text
