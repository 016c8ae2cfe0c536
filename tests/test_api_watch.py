"""`make api-watch`'s comparison: a fake "newer SDK" (the pinned SDK's assignment record with one
more field and one more assignmentStatus value) is reported, both lines, with a non-zero exit; the
pinned SDK against itself is "nothing new or gone", exit 0."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "api_watch.py"
MODULE = "messaging_10dlc.phone_number_campaign"

FAKE = '''
from typing import Optional
from typing_extensions import Literal
from pydantic import Field as FieldInfo
from telnyx.types.messaging_10dlc.phone_number_campaign import PhoneNumberCampaign as Pinned


class PhoneNumberCampaign(Pinned):
    assignment_status: Optional[
        Literal["FAILED_ASSIGNMENT", "PENDING_ASSIGNMENT", "ASSIGNED", "PENDING_UNASSIGNMENT", "FAILED_UNASSIGNMENT",
                "PENDING_CARRIER_MAPPING"]
    ] = FieldInfo(alias="assignmentStatus", default=None)
    carrier_mapping_updated_at: Optional[str] = FieldInfo(alias="carrierMappingUpdatedAt", default=None)
'''


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120)


def describe(tmp: Path, name: str, *args: str) -> Path:
    out = run("describe", *args)
    assert out.returncode == 0, out.stderr
    path = tmp / name
    path.write_text(out.stdout)
    return path


def test_a_newer_sdk_with_a_new_field_and_enum_value_is_reported(tmp_path: Path) -> None:
    fake = tmp_path / "fake" / "newtelnyx"
    (fake / "types" / "messaging_10dlc").mkdir(parents=True)
    (fake / "__init__.py").write_text('__version__ = "9.0.0"\n')
    (fake / "types" / "__init__.py").write_text("")
    (fake / "types" / "messaging_10dlc" / "__init__.py").write_text("")
    (fake / "types" / "messaging_10dlc" / "phone_number_campaign.py").write_text(textwrap.dedent(FAKE))
    pinned = json.loads(describe(tmp_path, "pinned.json").read_text())
    newer = json.loads(describe(tmp_path, "newer.json", "--package", "newtelnyx", "--path", str(tmp_path / "fake"))
                       .read_text())
    # Only the module the fake has: the rest of the fake SDK is "missing", which is reported too.
    keep = {k: v for k, v in pinned["models"].items() if k.startswith(MODULE + ":")}
    (tmp_path / "pinned-one.json").write_text(json.dumps({**pinned, "models": keep, "enums": {}}))
    newer["missing"] = []
    (tmp_path / "newer-one.json").write_text(json.dumps(newer))
    r = run("compare", str(tmp_path / "pinned-one.json"), str(tmp_path / "newer-one.json"))
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == ("telnyx 4.189.0 (pinned) → 9.0.0 (newest): 31 modules of our operations: 2 changes")
    assert lines[1:] == [
        f"  + field {MODULE}:PhoneNumberCampaign.carrierMappingUpdatedAt (optional, Optional[str])",
        f"  + enum value {MODULE}:PhoneNumberCampaign.assignmentStatus: PENDING_CARRIER_MAPPING",
    ]


def test_a_module_gone_and_a_field_now_required_are_reported(tmp_path: Path) -> None:
    pinned = json.loads(describe(tmp_path, "pinned.json").read_text())
    newer = json.loads(json.dumps(pinned))
    newer["missing"] = ["messaging_10dlc.task_status"]
    del newer["enums"]["messaging_10dlc.task_status:TaskStatus"]
    newer["models"][f"{MODULE}:PhoneNumberCampaign"]["fields"]["tcrCampaignId"]["required"] = True
    (tmp_path / "newer.json").write_text(json.dumps(newer))
    r = run("compare", str(tmp_path / "pinned.json"), str(tmp_path / "newer.json"))
    assert r.returncode == 1
    assert "  - module messaging_10dlc.task_status" in r.stdout.splitlines()
    assert "  - enum messaging_10dlc.task_status:TaskStatus" in r.stdout.splitlines()
    assert f"  ~ field {MODULE}:PhoneNumberCampaign.tcrCampaignId: now required" in r.stdout.splitlines()


def test_the_pinned_sdk_against_itself_is_nothing_new(tmp_path: Path) -> None:
    path = describe(tmp_path, "pinned.json")
    surface = json.loads(path.read_text())
    assert surface["version"] == "4.189.0" and surface["missing"] == []
    assert f"{MODULE}:PhoneNumberCampaign" in surface["models"]
    r = run("compare", str(path), str(path))
    assert (r.returncode, r.stdout) == (0, "telnyx 4.189.0 (pinned) → 4.189.0 (newest): 31 modules of our "
                                           "operations: nothing new or gone\n")
