"""`reconciler import`: desired-state YAML written from live state.

Pure text generation (no YAML library: the output format is fixed and small,
and every number must come out quoted so YAML never reads it as an int).
Only numbers that hold a campaign (ASSIGNED or PENDING_ASSIGNMENT) can be
declared; the others are listed as comments so the user sees them, and a plan
right after the import shows them as unmanaged, never as changes.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from reconciler.model import ASSIGNED, PENDING_ASSIGNMENT, LiveAssignment, LiveNumber, LiveState

SCHEMA_LINE = "# yaml-language-server: $schema={schema}"


@dataclass(frozen=True)
class ImportedProfile:
    id: str
    name: str | None
    numbers: tuple[LiveNumber, ...]


UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
TCR_ID = re.compile(r"^C[A-Z0-9]{5,8}\Z")
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _quote(s: str) -> str:
    """A YAML double-quoted scalar (JSON's escaping is valid YAML), one printable line."""
    import json

    return json.dumps(" ".join(_UNPRINTABLE.sub(" ", s).split())[:100], ensure_ascii=False)


def _declarable(n: LiveNumber, a: LiveAssignment | None) -> bool:
    return a is not None and a.status in (ASSIGNED, PENDING_ASSIGNMENT) and n.type == "longcode"


def declarable(p: ImportedProfile, assignments: dict[str, LiveAssignment]) -> bool:
    """A profile can be written only if one of its numbers holds a campaign."""
    return any(_declarable(n, assignments.get(n.number)) for n in p.numbers)


def profile_yaml(p: ImportedProfile, assignments: dict[str, LiveAssignment], *, schema: str) -> str:
    by_campaign: dict[str, list[str]] = defaultdict(list)
    left_out: list[str] = []
    for n in sorted(p.numbers, key=lambda n: n.number):
        a = assignments.get(n.number)
        if _declarable(n, a) and a is not None and TCR_ID.match(a.tcr_campaign_id):
            by_campaign[a.tcr_campaign_id].append(n.number)
        elif a is not None and not TCR_ID.match(a.tcr_campaign_id):
            left_out.append(f"{n.number} (its campaign id from Telnyx is not a TCR id)")
        else:
            why = f"{a.status} on {a.tcr_campaign_id}" if a else ("no campaign" if n.type == "longcode" else n.type)
            left_out.append(f"{n.number} ({why})")
    lines = [SCHEMA_LINE.format(schema=schema), "# Written by `reconciler import` from live Telnyx state.", "version: 1",
             "profiles:", f"  - id: {p.id}"]
    if p.name:
        lines.append(f"    name: {_quote(p.name)}")
    if left_out:
        lines.append("    # Not declared (hold no campaign, or not a long code); plans list them as unmanaged:")
        lines.extend(f"    #   {x}" for x in left_out)
    lines.append("    campaigns:" + ("" if by_campaign else " []"))
    for tcr in sorted(by_campaign):
        lines.append(f"      - tcr_campaign_id: {tcr}")
        lines.append("        numbers:")
        lines.extend(f"          - {_quote(n)}" for n in by_campaign[tcr])
    return "\n".join(lines) + "\n"


def file_name(p: ImportedProfile) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", p.name or "").strip("-.") or p.id
    return f"{base}.yaml"


def imported_profiles(live: LiveState) -> list[ImportedProfile]:
    """Group what `read_profiles_for_import` read by profile, in id order. A profile whose id from
    the API is not a UUID is left out (`unusable_profiles` names it): ids become file names and YAML."""
    by_profile: dict[str, list[LiveNumber]] = defaultdict(list)
    for n in live.numbers.values():
        if n.profile_id in live.profiles:
            by_profile[n.profile_id].append(n)
    return [ImportedProfile(pid, live.profiles[pid], tuple(by_profile.get(pid, ())))
            for pid in sorted(live.profiles) if UUID.match(pid)]


def unusable_profiles(live: LiveState) -> list[str]:
    return sorted(pid for pid in live.profiles if not UUID.match(pid))
