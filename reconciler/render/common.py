"""What every report's renderings share: symbols, colours, how profiles and changes are said,
markdown lists that keep to a size budget, JSON."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any, Callable, Iterable, Mapping

from reconciler.diff import Action
from reconciler.plan import plural, profile_label
from reconciler.planfile import NONE_KEY

from .budget import MARKDOWN_LIMIT, Budget




DETAILS_OVER = 10  # numbers listed inline before folding into <details>


SYMBOL = {
    Action.ASSIGN: "+", Action.REASSIGN: "~", Action.RETRY: "↻", Action.MOVE: ">",
    Action.UNASSIGN: "-", Action.IN_FLIGHT: "…", Action.UNMANAGED: "?", Action.BLOCKED: "!", Action.OK: "=",
}


COLOR = {
    Action.ASSIGN: "32", Action.REASSIGN: "33", Action.RETRY: "33", Action.MOVE: "36",
    Action.UNASSIGN: "31", Action.BLOCKED: "31;1", Action.UNMANAGED: "2", Action.IN_FLIGHT: "2",
}


def shown(key: str, what: str) -> str:
    """A profile or campaign key as a reader sees it: `no profile` / `no campaign` for NONE_KEY."""
    return f"no {what}" if key == NONE_KEY else key


def paint(text: str, code: str | None, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color and code else text


PROFILE_ID = re.compile(r"\bprofile ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b")


def naming(clean: Callable[[str], str], names: Mapping[str, str]) -> Callable[[str], str]:
    """`clean`, after naming the profiles that prose mentions by id ("profile <uuid>" →
    "profile acme-marketing (4001767e…)"), for text and markdown; JSON keeps the prose as it is."""
    if not names:
        return clean
    return lambda s: clean(PROFILE_ID.sub(lambda m: "profile " + profile_label(m[1], names), s))


def profile_phrase(pid: str | None, name: str | None) -> str:
    """How a profile is named in a sentence: `profile acme-marketing (4001767e…)`, `profile <id>`, `no profile`."""
    if not pid:
        return "no profile"
    return "profile " + profile_label(pid, {pid: name} if name else {})


def describe(f: dict[str, Any]) -> str:
    action = f["action"]
    bits = [action.replace("_", " ")]
    if "from_campaign" in f and action in ("reassign",):
        bits.append(f"from {f['from_campaign']}")
    if "move_from_profile" in f:
        where = profile_phrase(f["move_from_profile"], f.get("move_from_profile_name"))
        if action == "move":
            bits = [f"move from {where}"]
        else:
            bits.append(f"(moves from {where})")
    if f.get("interrupts") == "pruned":
        bits.append("[stops sending: pruned]")
    elif f.get("interrupts") == "certainly":
        bits.append("[stops sending: freed first]")
    elif f.get("interrupts"):
        bits.append("[may stop sending]")
    if action in ("in_flight", "unmanaged") and f.get("status"):
        bits.append(f"({f['status']})")
    if f.get("reason"):
        bits.append(f"— {f['reason']}")
    return " ".join(bits)


# Said number by number without `--verbose`: the changes a plan makes. Blocked numbers are grouped by
# reason (said once, the numbers listed compactly); in flight and unmanaged are counted per reason.
LISTED_ACTIONS = frozenset({"assign", "reassign", "retry", "move", "unassign"})
COUNTED_ACTIONS = frozenset({"in_flight", "unmanaged"})
WRAP = 100  # characters per line of a compact number list


def compact_numbers(numbers: Iterable[str]) -> list[str]:
    """Numbers sorted, runs of consecutive ones said as `first–last (n)`: an estate's blocks stay short."""
    out: list[str] = []
    run: list[str] = []

    def close() -> None:
        if len(run) > 2:
            out.append(f"{run[0]}–{run[-1]} ({len(run)})")
        else:
            out.extend(run)

    for n in sorted(set(numbers)):
        if run and n[1:].isdigit() and run[-1][1:].isdigit() and len(n) == len(run[-1]) \
                and int(n[1:]) == int(run[-1][1:]) + 1:
            run.append(n)
            continue
        close()
        run = [n]
    close()
    return out


def wrapped(items: list[str], indent: str, width: int = WRAP) -> list[str]:
    """`items` joined with commas into lines of about `width` characters, each starting with `indent`."""
    lines: list[str] = []
    cur = ""
    for item in items:
        if cur and len(indent) + len(cur) + 2 + len(item) > width:
            lines.append(indent + cur + ",")
            cur = item
        else:
            cur = f"{cur}, {item}" if cur else item
    if cur:
        lines.append(indent + cur)
    return lines


def by_reason(items: Iterable[dict[str, Any]], say: Callable[[dict[str, Any]], str] | None = None
              ) -> list[tuple[str, list[dict[str, Any]]]]:
    """Items grouped by how they are said (`describe` by default), in first-seen order."""
    say = say or describe
    groups: dict[str, list[dict[str, Any]]] = {}
    for f in items:
        groups.setdefault(say(f), []).append(f)
    return list(groups.items())


def said_once(items: list[dict[str, Any]], indent: str, symbol: str, *, list_numbers: bool,
              say: Callable[[dict[str, Any]], str] | None = None) -> list[str]:
    """One line per distinct reason with its count (a single number keeps its own line); with
    `list_numbers`, the group's numbers follow compactly."""
    out = []
    for text, group in by_reason(items, say):
        if len(group) == 1:
            out.append(f"{indent}{symbol} {group[0]['number']}  {text}")
            continue
        out.append(f"{indent}{symbol} {len(group)} numbers: {text}")
        if list_numbers:
            out += wrapped(compact_numbers(f["number"] for f in group), indent + "    ")
    return out


def health_sentence(h: dict[str, Any], code: Callable[[str], str] = str) -> str:
    """One unhealthy campaign (`planfile.health_entry`, already cleaned), said the same way everywhere:
    Telnyx's status, why it cannot carry traffic, how many declared numbers it stops, and how many of
    them still send on another campaign (where they stay until this one can carry traffic). `code` wraps
    ids (markdown: backticks)."""
    stopped, declared = h["numbers_stopped"], h["numbers_declared"]
    elsewhere = h.get("numbers_elsewhere") or 0
    what = ", ".join(x for x in (h["kind"], h["campaign_status"], h["sharing_status"] and
                                 f"sharing {h['sharing_status']}") if x) or "unknown to Telnyx"
    if stopped:
        stops = f"stops {stopped} of {plural(declared, 'declared number', 'declared numbers')} (assigned to it, " \
                f"{'it cannot' if stopped == 1 else 'they cannot'} send)"
    elif elsewhere:
        stops = f"stops none of its {plural(declared, 'declared number', 'declared numbers')}"
    else:
        stops = f"none of its {plural(declared, 'declared number is', 'declared numbers are')} assigned to it yet"
    if elsewhere:
        one = elsewhere == 1
        stops += (f"; {elsewhere} {'sends' if one else 'send'} today on another campaign and "
                  f"{'stays' if one else 'stay'} there (blocked) until it can carry traffic")
    line = f"{code(h['tcr_campaign_id'])} ({what}): {stops} — {h['problem']}"
    if h.get("telnyx_reason"):
        line += f"; Telnyx says: {h['telnyx_reason']}"
    return line


def health_stopped(entries: list[dict[str, Any]]) -> int:
    """Declared numbers the unhealthy campaigns stop: assigned to one, they cannot send."""
    return sum(h["numbers_stopped"] for h in entries)


def health_headline(entries: list[dict[str, Any]]) -> str:
    """`2 unhealthy campaigns (7 numbers cannot send)`; numbers declared for them that still send on
    another campaign are said apart, never counted as numbers that cannot send."""
    stopped = health_stopped(entries)
    elsewhere = sum(h.get("numbers_elsewhere") or 0 for h in entries)
    still = (f"{elsewhere} declared for {'it' if len(entries) == 1 else 'them'} "
             f"{'sends' if elsewhere == 1 else 'send'} today on another campaign") if elsewhere else ""
    said = ([f"{plural(stopped, 'number', 'numbers')} cannot send"] if stopped else
            ["no number stops"] if elsewhere else []) + ([still] if still else [])
    return plural(len(entries), "unhealthy campaign", "unhealthy campaigns") + (f" ({'; '.join(said)})" if said else "")


def elapsed(seconds: float | None) -> str:
    """A span of work as every report says it: `12 min`, `1 h 13 min`, `3.5 d`."""
    if seconds is None:
        return "?"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    h, m = divmod(int(seconds // 60), 60)
    return f"{h} h {m:02d} min" if h < 48 else f"{h / 24:.1f} d"


FLAGGED = ("blocked", "failed", "stale")


def md_numbers(changes: list[dict[str, Any]], budget: Budget, note: str | None = None) -> list[str]:
    """One bullet per number, except that blocked, failed or stale numbers sharing a reason (3 or more)
    are one bullet, the reason said once and every number listed compactly (a 300-character reason
    said 50 times was the wall an outside review saw); a reason that is `note` (said above the list)
    reads "the note above". Over DETAILS_OVER rows, folded into <details>. When the rows do not fit what
    is left of the budget, a one-line count replaces them (and the budget says the report was summarised)."""
    def say(f: dict[str, Any]) -> str:
        if note and f.get("reason") == note:
            return describe({**f, "reason": None}) + " — the note above"
        return describe(f)

    def row(f: dict[str, Any]) -> str:
        flag = "⛔ " if f["action"] in FLAGGED else ""
        return f"- {flag}`{f['number']}` {say(f)}"

    ordered = sorted(changes, key=lambda f: (f["action"] not in ("blocked", "failed"), f["number"]))
    rows: list[str] = []
    for text, group in by_reason([f for f in ordered if f["action"] in FLAGGED], say):
        if len(group) < 3:
            rows += [row(f) for f in group]
            continue
        listed = ", ".join(f"`{x}`" for x in compact_numbers(f["number"] for f in group))
        rows.append(f"- ⛔ {len(group)} numbers {text}: {listed}")
    rows += [row(f) for f in ordered if f["action"] not in FLAGGED]
    if len(rows) > DETAILS_OVER:
        acts: dict[str, int] = defaultdict(int)
        for f in changes:
            acts[f["action"]] += 1
        what = ", ".join(f"{n} {a.replace('_', ' ')}" for a, n in sorted(acts.items()))
        rows = [f"<details><summary>{len(rows)} numbers: {what}</summary>", "", *rows, "", "</details>"]
    return budget.fit(rows, f"- {len(changes)} numbers (list omitted: the plan is too large for one comment; "
                            "see the JSON artifact)")


def md_fit(out: list[str], note: str) -> str:
    """Join, and as a last resort cut to MARKDOWN_LIMIT, saying so (the budgets above normally prevent it)."""
    text = "\n".join(out)
    if len(text) <= MARKDOWN_LIMIT:
        return text
    cut = text[: MARKDOWN_LIMIT - len(note) - 200].rsplit("\n", 1)[0]
    if cut.count("<details>") > cut.count("</details>"):
        cut += "\n\n</details>"
    return cut + "\n\n" + note + "\n"


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def value_of(x: Any) -> str:
    return x.value if hasattr(x, "value") else str(x)
