"""The plan's text, per profile and then campaign: each profile's title, strategy and note, each
campaign's head (its status and counts), then its changes. Verbose lists every finding; the summary
lists what changes and says the rest (in flight, unmanaged, unchanged) once per reason, with a
count, and folds the profiles where nothing changes into one line each."""

from __future__ import annotations

from collections import Counter
from typing import Any

from reconciler.diff import Action
from reconciler.plan import Plan, plural
from reconciler.planfile import NONE_KEY

from .common import (COLOR, COUNTED_ACTIONS, LISTED_ACTIONS, SYMBOL, by_reason, describe, paint, said_once,
                     shown)


def _quiet_label(p: dict[str, Any]) -> str:
    return "no profile" if p["id"] == NONE_KEY else (
        (f"{p['name']} ({p['id']})" if p["name"] else p["id"]) + ("" if p["declared"] else " [undeclared]"))


def _profile_title(p: dict[str, Any]) -> str:
    label = f"{p['name']} ({p['id']})" if p["name"] else p["id"]
    return "No profile" if p["id"] == NONE_KEY else (f"Profile {label}" + ("" if p["declared"] else " [undeclared profile]"))


def _strategy(p: dict[str, Any]) -> str:
    said = {"bulk": f"bulk assignment by profile to {p['bulk_campaign']}",
            "per_number": "per-number assignment", "none": "no assignment calls"}[p["strategy"]]
    if p.get("phase_campaign"):  # no bulk now, but a next phase's may come, and it re-sends
        said += f" now; a next phase may assign {p['phase_campaign']} by profile (re-sends {p['resends']})"
    return said


def _campaign_head(c: dict[str, Any], unchanged: int | None = None) -> str:
    head = "  No campaign" if c["tcr_campaign_id"] == NONE_KEY else f"  Campaign {c['tcr_campaign_id']}"
    if c["declared"]:
        status = ", ".join(x for x in (c["kind"], c["campaign_status"],
                                       c["sharing_status"] and f"sharing {c['sharing_status']}") if x)
        after = plural(c["numbers_after"], "number", "numbers")
        head += f" ({status or 'unknown to Telnyx'}): {c['numbers_now']} → {after}"
        if unchanged:
            head += f", {unchanged} unchanged"
    return head


def _change_line(f: dict[str, Any], color: bool) -> str:
    act = Action(f["action"])
    return "    " + paint(f"{SYMBOL[act]} {f['number']}", COLOR.get(act), color) + "  " + describe(f)


def _profile_head(p: dict[str, Any], color: bool) -> list[str]:
    """A profile's section starts: a blank line, its title and strategy, its note."""
    return ["", paint(_profile_title(p), "1", color) + f": {_strategy(p)}"] + (
        [f"  note: {p['note']}"] if p["note"] else [])


def profiles_verbose(d: dict[str, Any], color: bool) -> list[str]:
    """Every finding on its own line, grouped by profile, then campaign."""
    lines: list[str] = []
    for p in d["profiles"]:
        if not p["campaigns"] and p["strategy"] == "none":
            continue
        lines += _profile_head(p, color)
        for c in p["campaigns"]:
            lines.append(_campaign_head(c))
            lines.extend(_change_line(f, color) for f in c["changes"])
    return lines


QUIET_PROFILES_SHOWN = 40  # profiles with nothing to change, one line each; past it, counted


def unchanged_counts(plan: Plan) -> dict[tuple[str, str], int]:
    """Declared numbers the plan leaves as they are, per (profile, campaign)."""
    changed = {f.number for f in plan.changes}
    out: Counter[tuple[str, str]] = Counter()
    for n, dn in plan.desired.numbers.items():
        if n not in changed:
            out[(dn.profile_id, dn.tcr_campaign_id)] += 1
    return dict(out)


UNCHANGED_CAMPAIGNS_SHOWN = 12  # campaigns of one profile named with their unchanged count; past it, counted


def _unchanged_elsewhere(pid: str, unchanged: dict[tuple[str, str], int], listed: set[str]) -> list[str]:
    """A profile's campaigns not in `listed` that hold unchanged numbers: `CXXX 40 unchanged` each, bounded
    (the rest counted, never left out: every unchanged number is counted somewhere)."""
    rest = [(tcr, n) for (p, tcr), n in sorted(unchanged.items()) if p == pid and tcr not in listed]
    parts = [f"{tcr} {n} unchanged" for tcr, n in rest[:UNCHANGED_CAMPAIGNS_SHOWN]]
    if len(rest) > UNCHANGED_CAMPAIGNS_SHOWN:
        more = rest[UNCHANGED_CAMPAIGNS_SHOWN:]
        parts.append(f"{plural(len(more), 'other campaign', 'other campaigns')} "
                     f"{sum(n for _, n in more)} unchanged")
    return parts


def profiles_summarised(d: dict[str, Any], plan: Plan, color: bool) -> list[str]:
    unchanged = unchanged_counts(plan)
    lines: list[str] = []
    quiet: list[tuple[dict[str, Any], list[str]]] = []  # profiles with nothing listed: one line each
    counted: list[dict[str, Any]] = []  # their in-flight and unmanaged numbers, said once per reason
    calm: list[tuple[dict[str, Any], int]] = []  # profiles whose every number is unchanged, and their counts
    # Profiles with changes listed above: their other campaigns' unchanged numbers (outside review: 467 of
    # 2,704 unchanged numbers were counted nowhere).
    partial: list[tuple[dict[str, Any], list[str]]] = []
    for p in d["profiles"]:
        listed = any(f["action"] not in COUNTED_ACTIONS for c in p["campaigns"] for f in c["changes"])
        seen = {c["tcr_campaign_id"] for c in p["campaigns"]}
        if not listed:
            parts = []
            for c in p["campaigns"]:
                acts = Counter(f["action"] for f in c["changes"])
                bits = ([f"{unchanged[(p['id'], c['tcr_campaign_id'])]} unchanged"]
                        if unchanged.get((p["id"], c["tcr_campaign_id"])) else [])
                bits += [f"{n} {a.replace('_', ' ')}" for a, n in sorted(acts.items())]
                parts.append(f"{shown(c['tcr_campaign_id'], 'campaign')} " + ", ".join(bits))
                counted += c["changes"]
            parts += _unchanged_elsewhere(p["id"], unchanged, seen)
            if p["campaigns"]:
                quiet.append((p, parts))
            elif parts:
                calm.append((p, sum(n for (pid, _), n in unchanged.items() if pid == p["id"])))
            continue
        elsewhere = _unchanged_elsewhere(p["id"], unchanged, seen)
        if elsewhere:
            partial.append((p, elsewhere))
        lines += _profile_head(p, color)
        for c in p["campaigns"]:
            lines.append(_campaign_head(c, unchanged.get((p["id"], c["tcr_campaign_id"]))))
            changes = [f for f in c["changes"] if f["action"] in LISTED_ACTIONS]
            lines.extend(_change_line(f, color) for f in changes)
            blocked = [f for f in c["changes"] if f["action"] == "blocked"]
            say_blocked = (lambda f: "blocked — the note above" if p["note"] and f.get("reason") == p["note"]
                           else describe(f))
            lines += said_once(blocked, "    ", paint(SYMBOL[Action.BLOCKED], COLOR[Action.BLOCKED], color),
                               list_numbers=True, say=say_blocked)
            for act in (Action.IN_FLIGHT, Action.UNMANAGED):
                lines += said_once([f for f in c["changes"] if f["action"] == act.value], "    ", SYMBOL[act],
                                   list_numbers=False)
    # Profiles whose every number is unchanged are said when some other profile is: alone, the first line's
    # count is all of them.
    if quiet or partial or (calm and lines):
        lines.append("")
        lines.append(paint("Not changed", "1", color) + ", per profile (`--verbose` lists every number):")
        for p, parts in partial:
            lines.append(f"  {_quiet_label(p)}, its campaigns not listed above: " + "; ".join(parts))
        for p, parts in quiet[:QUIET_PROFILES_SHOWN]:
            lines.append(f"  {_quiet_label(p)}: " + "; ".join(parts))
        if len(quiet) > QUIET_PROFILES_SHOWN:
            rest = {p["id"] for p, _ in quiet[QUIET_PROFILES_SHOWN:]}
            k = sum(n for (pid, _), n in unchanged.items() if pid in rest)
            lines.append(f"  …and {plural(len(quiet) - QUIET_PROFILES_SHOWN, 'more profile', 'more profiles')}"
                         + (f" ({plural(k, 'number', 'numbers')} unchanged)" if k else "")
                         + " (`--verbose`, or the JSON plan)")
        if len(calm) == 1:  # one profile: its name costs nothing and hides nothing
            (p, n), = calm
            lines.append(f"  {_quiet_label(p)}: {plural(n, 'number', 'numbers')} unchanged")
        elif calm:
            lines.append(f"  {plural(len(calm), 'other profile', 'other profiles')}: "
                         f"{plural(sum(n for _, n in calm), 'number', 'numbers')} unchanged")
        for text, group in by_reason(counted):
            sym = SYMBOL[Action(group[0]["action"])]
            profiles = len({p["id"] for p, _ in quiet for c in p["campaigns"] for f in c["changes"]
                            if describe(f) == text})
            where = f" on {plural(profiles, 'profile', 'profiles')}" if profiles > 1 else ""
            lines.append(f"  {sym} {group[0]['number']}  {text}" if len(group) == 1 else
                         f"  {sym} {len(group)} numbers{where}: {text}")
    return lines
