"""Desired-state files → one `DesiredState`, or every problem at once.

See the package docstring for the approach; this module runs each file (found by
`files.discover`) through parse → schema → rules, and merges them.
"""

from __future__ import annotations

import gc
import math
import os
import sys
from itertools import repeat
from pathlib import Path
from typing import Any

from .. import ids
from ..errors import DesiredStateError, Problem
from ..model import ChangeWindow, DesiredNumber, DesiredProfile, DesiredState, Location, Policy
from ..windows import problems as window_problems
from . import _schema
from ._runs import MIN_BYTES, compose_with_runs
from ._yaml import EMPTY, FAILED, POISON, YMap, YSeq, compose, decode_check, kind_of
from .files import discover, display_path
from .numbers import US_E164, explain

__all__ = ["discover", "display_path", "load_desired", "validate_files"]


def load_desired(path: str | os.PathLike[str]) -> DesiredState:
    """Read a desired-state folder (every *.yaml/*.yml below it, recursively,
    in sorted order) or one file, and merge it into a `DesiredState`.

    Raises `DesiredStateError` listing every problem in every file, each as
    `path:line:col: message`; no other exception escapes for bad input.
    """
    problems: list[Problem] = []
    files = discover(Path(path), problems)
    merger = _Merger(problems)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a million small objects, none cyclic: the collector only costs time
    try:
        for display, fs_path in files:
            _load_file(display, fs_path, merger)
        state = merger.finish()
    finally:
        if gc_was_enabled:
            gc.enable()
    if problems:
        raise DesiredStateError([_one_line(p) for p in problems])
    return state


def _one_line(problem: Problem) -> Problem:
    """Keep `path:line:col: message` one line, whatever text a message quotes."""
    if "\n" not in problem.message and "\r" not in problem.message:
        return problem
    message = problem.message.replace("\r", "\\r").replace("\n", "\\n")
    return Problem(problem.path, problem.line, problem.col, message)


validate_files = load_desired


# ---------------------------------------------------------------- one file


def _load_file(display: str, fs_path: Path, merger: "_Merger") -> None:
    problems = merger.problems
    path = sys.intern(display)
    try:
        data = fs_path.read_bytes()
    except OSError as exc:
        problems.append(Problem(path, 0, 0, f"cannot read: {exc.strerror or exc}"))
        return
    checked = decode_check(data, path, problems)
    if checked is None:
        return
    root = None
    if len(checked) >= MIN_BYTES:
        quiet: list[Problem] = []
        root = compose_with_runs(checked, lambda skeleton: compose(skeleton, path, quiet), YSeq, YMap)
        if quiet or root is FAILED or root is EMPTY:
            root = None  # anything unusual: parse the original bytes, for exact messages
    if root is None:
        root = compose(checked, path, problems)
    if root is FAILED:
        return
    if root is EMPTY:
        problems.append(Problem(path, 1, 1, "empty file; expected version: 1"))
        return
    if not isinstance(root, YMap):
        if root is not POISON:
            what = "an empty document" if root is None else kind_of(root)
            line, col = (root.line, root.col) if isinstance(root, YSeq) else (1, 1)
            problems.append(Problem(path, line, col, f"expected a mapping with version: 1 at the top level, got {what}"))
        return
    version = root.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, (int, float)) or version != 1:
        # Another format version: report that alone, not its every difference.
        if version is not POISON:
            found = _schema.problems_for(root, path, only=("version",))
            line, col = root.vmarks["version"]
            problems.extend(found or [Problem(path, line, col, "unsupported version; this reconciler reads version: 1")])
        return
    problems.extend(_schema.problems_for(root, path))
    _extract(root, path, merger)


def _string_ok(value: Any, rx: Any, what: str, sch: dict[str, Any], where: tuple[int, int], path: str, problems: list[Problem]) -> bool:
    """A string the schema already checked, re-checked with ECMA-262 `$`."""
    if type(value) is not str:
        return False
    if rx.fullmatch(value):
        return True
    if _schema.python_search(sch["pattern"], value):  # the schema let it through
        problems.append(Problem(path, where[0], where[1], _schema.pattern_message(what, sch, value)))
    return False


def _extract(root: YMap, path: str, merger: "_Merger") -> None:
    problems = merger.problems
    if "policy" in root:
        merger.add_policy(root["policy"], path, root.kmarks["policy"])
    profiles = root.get("profiles")
    if not isinstance(profiles, YSeq):
        return
    id_schema = ids.subschema("profiles", "id")
    tcr_schema = ids.subschema("profiles", "campaigns", "tcr_campaign_id")
    for pi, profile in enumerate(profiles):
        if not isinstance(profile, YMap):
            continue
        pid = profile.get("id")
        pid_where = profile.vmarks.get("id", (profile.line, profile.col))
        pid_ok = _string_ok(pid, ids.UUID_RE, "'id'", id_schema, pid_where, path, problems)
        pid_i = sys.intern(pid) if pid_ok else ""
        name = profile.get("name")
        campaign_ids: dict[str, tuple[int, int]] = {}
        campaigns = profile.get("campaigns")
        if isinstance(campaigns, YSeq):
            for campaign in campaigns:
                if not isinstance(campaign, YMap):
                    continue
                cid = campaign.get("tcr_campaign_id")
                cid_where = campaign.vmarks.get("tcr_campaign_id", (campaign.line, campaign.col))
                cid_ok = _string_ok(cid, ids.TCR_RE, "'tcr_campaign_id'", tcr_schema, cid_where, path, problems)
                cid_i = sys.intern(cid) if cid_ok else ""
                if cid_ok:
                    if cid in campaign_ids:
                        first = campaign_ids[cid]
                        problems.append(
                            Problem(
                                path,
                                cid_where[0],
                                cid_where[1],
                                f"campaign {cid} is listed twice under this profile (first at line {first[0]},"
                                f" column {first[1]}); list its numbers once",
                            )
                        )
                    else:
                        campaign_ids[cid] = cid_where
                numbers = campaign.get("numbers")
                if isinstance(numbers, YSeq):
                    merger.add_numbers(numbers, pid_i, cid_i, path)
        if pid_ok:
            merger.add_profile(
                DesiredProfile(
                    id=pid_i,
                    name=name if type(name) is str else None,
                    campaigns=tuple(campaign_ids),
                    where=Location(path, pid_where[0], pid_where[1]),
                )
            )


# ---------------------------------------------------------------- merge


class _Merger:
    """Accumulates every file's profiles, numbers and policy; finds duplicates."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.keys: list[str] = []  # every declared number, in order, duplicates included
        self.values: list[DesiredNumber] = []
        self.profiles: dict[str, DesiredProfile] = {}
        self.profile_dups: dict[str, list[DesiredProfile]] = {}
        self.policy: Policy | None = None
        self.policy_dups: list[Location] = []

    def add_numbers(self, seq: YSeq, profile_id: str, campaign_id: str, path: str) -> None:
        """The hot path: one call per campaign, work per number kept in C loops.

        A list whose every item passes the number rule (the usual case) is
        checked by `all(map(...))` and turned into DesiredNumbers by `map`;
        duplicates are found once, in `finish`. Any other list goes item by item.
        """
        try:
            all_good = all(map(US_E164.fullmatch, seq))
        except TypeError:  # an item that is not a string
            all_good = False
        if all_good:
            self.keys += seq
            self.values += map(DesiredNumber, seq, repeat(profile_id), repeat(campaign_id), repeat(path), seq.lines, seq.cols)
            return
        problems = self.problems
        us_e164 = US_E164.fullmatch
        for i, (s, line, col) in enumerate(zip(seq, seq.lines, seq.cols)):
            if type(s) is str and us_e164(s) is not None:
                self.keys.append(s)
                self.values.append(DesiredNumber(s, profile_id, campaign_id, path, line, col))
            elif s is not POISON:
                problems.append(Problem(path, line, col, explain(s, seq.raws.get(i)) or "invalid number"))

    def add_profile(self, profile: DesiredProfile) -> None:
        first = self.profiles.setdefault(profile.id, profile)
        if first is not profile:
            self.profile_dups.setdefault(profile.id, [first]).append(profile)

    def add_policy(self, block: Any, path: str, key_where: tuple[int, int]) -> None:
        where = Location(path, key_where[0], key_where[1])
        if self.policy is not None:
            self.policy_dups.append(where)
            return
        if not isinstance(block, YMap):
            self.policy = Policy(where=where)
            return
        for key in ("max_unassign_percent", "max_reassign_percent"):
            value = block.get(key)
            if isinstance(value, float) and math.isnan(value):
                line, col = block.vmarks[key]
                self.problems.append(Problem(path, line, col, f"'{key}' must be a number from 0 to 100, got .nan"))

        def limit(key: str, kinds: tuple[type, ...]) -> Any:
            value = block.get(key)
            if isinstance(value, bool) or not isinstance(value, kinds):
                return None
            return value

        max_unassign = limit("max_unassign", (int, float))
        max_reassign = limit("max_reassign", (int, float))
        unassign_pct = limit("max_unassign_percent", (int, float))
        reassign_pct = limit("max_reassign_percent", (int, float))
        max_reprovision = limit("max_reprovision", (int, float))
        windows = self._windows(block.get("change_windows"), path)
        self.policy = Policy(
            prune=block.get("prune") is True,
            max_unassign=int(max_unassign) if max_unassign is not None and float(max_unassign).is_integer() else None,
            max_unassign_percent=float(unassign_pct) if unassign_pct is not None else None,
            max_reassign=int(max_reassign) if max_reassign is not None and float(max_reassign).is_integer() else None,
            max_reassign_percent=float(reassign_pct) if reassign_pct is not None else None,
            max_reprovision=int(max_reprovision) if max_reprovision is not None and float(max_reprovision).is_integer()
            else None,
            where=where,
            change_windows=windows,
        )

    def _windows(self, seq: Any, path: str) -> tuple[ChangeWindow, ...]:
        """The well-formed `change_windows` items (the schema reports the others), each checked for
        what the schema cannot see (a time zone this machine does not know, start == end), at its line."""
        if not isinstance(seq, YSeq):
            return ()
        out = []
        for item, line, col in zip(seq, seq.lines, seq.cols):
            if not isinstance(item, YMap):
                continue
            days, start, end, tz = item.get("days", []), item.get("start"), item.get("end"), item.get("timezone", "UTC")
            if not (isinstance(days, list) and all(type(d) is str for d in days) and type(start) is str
                    and type(end) is str and type(tz) is str):
                continue
            w = ChangeWindow(tuple(days), start, end, tz, Location(path, line, col))
            found = window_problems(w)
            for msg in found:
                key = ("timezone" if "time zone" in msg else "end" if "same time" in msg else
                       "days" if "not a day" in msg else "start")
                kline, kcol = item.vmarks.get(key, (line, col))
                if "not a time of day" in msg or "not a day" in msg:
                    continue  # the schema's pattern said it, at its line
                self.problems.append(Problem(path, kline, kcol, f"change window: {msg}"))
            if not found:
                out.append(w)
        return tuple(out)

    def finish(self) -> DesiredState:
        problems = self.problems
        numbers = dict(zip(self.keys, self.values))
        number_dups: dict[str, list[DesiredNumber]] = {}
        if len(numbers) != len(self.keys):  # some number is declared twice: find which
            numbers = {}
            for number, dn in zip(self.keys, self.values):
                first = numbers.setdefault(number, dn)
                if first is not dn:
                    number_dups.setdefault(number, [first]).append(dn)
        for number, places in number_dups.items():
            second = places[1]
            listed = ", ".join(str(p.where) for p in places)
            problems.append(
                Problem(
                    second.path,
                    second.line,
                    second.col,
                    f"{number} is declared {len(places)} times: {listed}; declare each number once",
                )
            )
        for pid, profiles in self.profile_dups.items():
            second = profiles[1].where
            assert second is not None
            listed = ", ".join(str(p.where) for p in profiles)
            problems.append(
                Problem(
                    second.path,
                    second.line,
                    second.col,
                    f"profile {pid} is declared {len(profiles)} times: {listed};"
                    " declare each profile once (one profile may hold several campaigns)",
                )
            )
        if self.policy_dups:
            assert self.policy is not None and self.policy.where is not None
            places = [self.policy.where, *self.policy_dups]
            listed = ", ".join(str(p) for p in places)
            second = places[1]
            problems.append(
                Problem(
                    second.path,
                    second.line,
                    second.col,
                    f"policy is declared {len(places)} times: {listed}; keep one policy block",
                )
            )
        return DesiredState(profiles=self.profiles, numbers=numbers, policy=self.policy or Policy())
