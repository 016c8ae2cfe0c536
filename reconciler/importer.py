"""`reconciler import`: desired-state YAML written from live state.

Pure text generation (no YAML library: the output format is fixed and small,
and every number must come out quoted so YAML never reads it as an int).
Numbers that hold a campaign (ASSIGNED or PENDING_ASSIGNMENT) are declared
under it; numbers with none are declared under the campaign the user names
(`--unassigned-campaign`), else, like the rest, listed as comments so the user
sees them, and a plan right after the import shows them as unmanaged, never as
changes. `file_names` gives every profile its own portable file name.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Mapping

from reconciler.ids import TCR_RE, UUID_RE
from reconciler.model import ASSIGNED, PENDING_ASSIGNMENT, LiveAssignment, LiveNumber, LiveState

SCHEMA_LINE = "# yaml-language-server: $schema={schema}"


@dataclass(frozen=True)
class ImportedProfile:
    id: str
    name: str | None
    numbers: tuple[LiveNumber, ...]


def _quote(s: str) -> str:
    """A YAML double-quoted scalar (JSON's escaping is valid YAML), one printable line: a line break
    or other space is a space, and what does not show (a control, a bidi override or mark, a
    zero-width character) is gone, as `render.safe.plain` does for reports."""
    import json

    shown = "".join(" " if ch.isspace() else ch if ch.isprintable() else "" for ch in s[:400])
    return json.dumps(" ".join(shown.split())[:100], ensure_ascii=False)


def _declarable(n: LiveNumber, a: LiveAssignment | None) -> bool:
    return a is not None and a.status in (ASSIGNED, PENDING_ASSIGNMENT) and n.type == "longcode"


def _unassigned(n: LiveNumber, a: LiveAssignment | None) -> bool:
    """A long code with no campaign at all: what `--unassigned-campaign` declares."""
    return a is None and n.type == "longcode"


def declarable(p: ImportedProfile, assignments: Mapping[str, LiveAssignment],
               unassigned_campaign: str | None = None) -> bool:
    """A profile can be written only if one of its numbers holds a campaign (or has none, and
    `unassigned_campaign` names the campaign to declare such numbers under)."""
    return any(_declarable(n, assignments.get(n.number))
               or (unassigned_campaign is not None and _unassigned(n, assignments.get(n.number)))
               for n in p.numbers)


def profile_yaml(p: ImportedProfile, assignments: Mapping[str, LiveAssignment], *, schema: str | None,
                 unassigned_campaign: str | None = None) -> str:
    """One profile's file. Numbers with no campaign are declared under `unassigned_campaign` when
    given (a plan then assigns them), else listed as comments (a plan shows them unmanaged)."""
    by_campaign: dict[str, list[str]] = defaultdict(list)
    left_out: list[str] = []
    for n in sorted(p.numbers, key=lambda n: n.number):
        a = assignments.get(n.number)
        if _declarable(n, a) and a is not None and TCR_RE.fullmatch(a.tcr_campaign_id):
            by_campaign[a.tcr_campaign_id].append(n.number)
        elif unassigned_campaign is not None and _unassigned(n, a):
            by_campaign[unassigned_campaign].append(n.number)
        elif a is not None and not TCR_RE.fullmatch(a.tcr_campaign_id):
            left_out.append(f"{n.number} (its campaign id from Telnyx is not a TCR id)")
        else:
            why = f"{a.status} on {a.tcr_campaign_id}" if a else ("no campaign" if n.type == "longcode" else n.type)
            left_out.append(f"{n.number} ({why})")
    lines = ([SCHEMA_LINE.format(schema=schema)] if schema is not None else []) + [
        "# Written by `reconciler import` from live Telnyx state.", "version: 1", "profiles:", f"  - id: {p.id}"]
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


# File names are portable: ASCII letters, digits, `.`, `_`, `-`; bounded; never a name Windows
# reserves; distinct even where the file system ignores case.
MAX_NAME = 60  # characters of a profile's name kept in its file name (the id adds 37)
_NOT_PORTABLE = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))})


def _base(p: ImportedProfile) -> str:
    """The profile's name made portable and bounded, or "" where nothing usable is left."""
    base = _NOT_PORTABLE.sub("-", p.name or "").strip("-._")[:MAX_NAME].strip("-._")
    return "" if base.split(".")[0].casefold() in _RESERVED else base


def file_names(profiles: list[ImportedProfile]) -> dict[str, str]:
    """One distinct file name per profile (id -> name): the profile's name where it is unique
    (ignoring case), else the name and the id, else the id alone (no usable name). Profiles whose
    names collide once made portable (`a/b`, `a b`, `a-b`; two `dup`) all carry their id, so no
    profile's file depends on which other profiles exist in the same import."""
    level = {p.id: 0 if _base(p) else 2 for p in profiles}

    def name(p: ImportedProfile) -> str:
        return (f"{_base(p)}.yaml", f"{_base(p)}-{p.id}.yaml", f"{p.id}.yaml")[level[p.id]]

    while True:
        groups: dict[str, list[ImportedProfile]] = defaultdict(list)
        for p in profiles:
            groups[name(p).casefold()].append(p)
        clash = [p for g in groups.values() if len(g) > 1 for p in g if level[p.id] < 2]
        if not clash:
            return {p.id: name(p) for p in profiles}
        for p in clash:
            level[p.id] += 1


def file_name(p: ImportedProfile) -> str:
    """The file name of one profile imported alone."""
    return file_names([p])[p.id]


def imported_profiles(live: LiveState) -> list[ImportedProfile]:
    """Group what `read_profiles_for_import` read by profile, in id order. A profile whose id from
    the API is not a UUID is left out (`unusable_profiles` names it): ids become file names and YAML."""
    by_profile: dict[str, list[LiveNumber]] = defaultdict(list)
    for n in live.numbers.values():
        if n.profile_id in live.profiles:
            by_profile[n.profile_id].append(n)
    return [ImportedProfile(pid, live.profiles[pid], tuple(by_profile.get(pid, ())))
            for pid in sorted(live.profiles) if UUID_RE.fullmatch(pid)]


def unusable_profiles(live: LiveState) -> list[str]:
    return sorted(pid for pid in live.profiles if not UUID_RE.fullmatch(pid))
