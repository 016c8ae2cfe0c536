"""Hostile input: the one list of attacks that the tests and `make faults` both run.

Each `Attack` tries one or more hostile inputs and returns one verdict per try: None when the
input was refused or made harmless, or a line saying what got through (the input was
*accepted*). The tests assert every verdict is None; `python -m tests.faults.report` prints, per
section, how many inputs were tried and how many were accepted, and fails if any was.

Sections: names (hostile YAML in the desired state), API fields (hostile values served by the
API), logs (what a server echoes, in `-vv` logs), paths (ids that would become paths, planted
links) and sandbox requests (bodies, admin requests, the clock, connections that never finish).
"""

from __future__ import annotations

import copy
import json
import random
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests import loopback
from reconciler import render
from reconciler.apply import ApplyReport, Outcome, Result
from reconciler.desired import load_desired
from reconciler.drift import drift_report
from reconciler.errors import ConfigError, DesiredStateError
from reconciler.importer import ImportedProfile, file_name, imported_profiles, profile_yaml, unusable_profiles
from reconciler.model import (
    DesiredNumber,
    DesiredProfile,
    DesiredState,
    LiveAssignment,
    LiveCampaign,
    LiveNumber,
    LiveState,
)
from reconciler.plan import make_plan
from reconciler.sandbox import Sandbox, start_sandbox
from reconciler.sandbox.limits import ADMIN_BODIES, MAX_SEED_BODY

from .proxy import HostileProxy, Reply, Req

# The sandbox of these attacks: timeouts of a fraction of a second, so cutting a connection is quick.
HEADER_TIMEOUT = 0.3
IDLE_TIMEOUT = 0.6
SLACK = 1.5  # a timeout is enforced by a sweep: allow for it, and for a busy machine (a bound, never a sleep)


P1, P2 = "4001767e-ce0f-4cae-9d5f-0d5e636e7809", "7b1e3c52-9a4f-4d8e-b6a2-1f0c9d8e7a65"
NUMS = [f"+1312555010{i}" for i in range(4)]

# The shared sandbox's estate: one of everything whose timestamps a broken clock would break, and
# one profile with a number on a campaign for `import` to write.
SMALL_SEED: dict[str, Any] = {
    "messaging_profiles": [{"id": P1, "name": "alpha"}],
    "phone_numbers": [{"phone_number": NUMS[0], "messaging_profile_id": P1}],
    "campaigns": [{"tcr_campaign_id": "CWZTFH1", "kind": "shared", "sharing_status": "ACCEPTED"}],
    "assignments": [{"phone_number": NUMS[0], "tcr_campaign_id": "CWZTFH1", "status": "ASSIGNED"}],
}


@dataclass(frozen=True)
class Attack:
    section: str
    name: str
    run: Callable[[Ctx], list[str | None]]

    @property
    def id(self) -> str:
        return f"{self.section}: {self.name}"


class Ctx:
    """What the attacks share: a scratch folder and one sandbox with small timeouts (started on demand)."""

    def __init__(self, tmp: Path | None = None, fast: bool = False) -> None:
        self.fast = fast  # fewer tries where a try is slow (a CLI run): `make faults --fast`, `make test`
        self._own = tmp is None
        self.tmp = Path(tempfile.mkdtemp(prefix="hostile.")) if tmp is None else tmp
        self._sb: Sandbox | None = None
        self._http: httpx.Client | None = None
        self._n = 0

    def sandbox(self) -> Sandbox:
        if self._sb is None:
            self._sb = start_sandbox(seed=SMALL_SEED, header_timeout=HEADER_TIMEOUT, idle_timeout=IDLE_TIMEOUT)
        return self._sb

    @property
    def http(self) -> httpx.Client:
        """One client for the plain requests (httpx.get() would build a TLS context each time)."""
        if self._http is None:
            self._http = loopback.client(timeout=10)
        return self._http

    def folder(self, name: str) -> Path:
        self._n += 1
        path = self.tmp / f"{self._n:03d}-{name}"
        path.mkdir(parents=True)
        return path

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        if self._sb is not None:
            self._sb.stop()
            self._sb = None
        if self._own:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> Ctx:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


ATTACKS: list[Attack] = []


def attack(section: str, name: str) -> Callable[[Callable[[Ctx], list[str | None]]], Callable[[Ctx], list[str | None]]]:
    def register(fn: Callable[[Ctx], list[str | None]]) -> Callable[[Ctx], list[str | None]]:
        ATTACKS.append(Attack(section, name, fn))
        return fn
    return register


def section(name: str) -> list[Attack]:
    return [a for a in ATTACKS if a.section == name]


# ---- hostile text: what a report must survive ----------------------------------------------

# Pieces of markdown, HTML, terminal and workflow syntax that could steer a report.
PIECES = ["<!--", "-->", "|", "\n", "\r", "\u2028", "\u202e", "\x1b]8;;http://x\x1b\\", "\x1b[2J", "**No changes.**",
          "> [!NOTE]", "# ", "### x", "[link](http://evil)", "`", "```", "::error::pwned", "\n::set-output", "<details>",
          "</details>", "<sub>", "_", "*", "~~", "\\", "&lt;", "Approved by @security-team", "\t", "\x00",
          *"""https://evil.example/login www.evil.example mailto:admin@evil.example admin@evil.example
              xmpp:x@evil.example/y HTTPS://EVIL.EXAMPLE ftp://evil.example WWW.EVIL.EXAMPLE @octocat @org/team
              #123 GH-123 octo/repo#45 $x^2$ $`\\sqrt{2}`$ $$\\int$$""".split()]
# What GitHub would link or typeset (each also in PIECES): the security review's reproductions.
LINKISH = ["see https://evil.example/login now", "www.evil.example", "mailto:admin@evil.example",
           "ping @security-team and @octocat", "fixes #123", "$x^2$ and $`\\sqrt{2}`$"]
# The security review's two reproductions: a name that faked "No changes" and hid the rest, and
# a failureReasons that added an admonition and hid the rest of a drift issue.
REVIEW_NAME = "acme | x | y\n\n**No changes.** Telnyx matches the desired state.\n\n<!-- hide everything after"
REVIEW_REASON = "> [!NOTE]\n> Approved by @security-team <!--"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028"


def hostile_texts(combos: int = 24, seed: int = 14) -> list[str]:
    """The reviewed strings, each piece inside a line and at the start of a new one, and seeded
    mixes of pieces (the property tests in tests/test_render_safety.py draw many more)."""
    rng = random.Random(seed)
    mixes = ["".join(rng.choice(PIECES) + rng.choice(["", " ", "x y z"]) for _ in range(rng.randint(2, 8)))
             for _ in range(combos)]
    return [REVIEW_NAME, REVIEW_REASON, *LINKISH] + [f"acme {p} x" for p in PIECES] + \
        [f"acme\n{p} injected line" for p in PIECES] + mixes


def estate(name: str, reason: str, live_name: str | None = None) -> tuple[DesiredState, LiveState]:
    """Three declared numbers on two profiles (one failed with `reason`), and one undeclared."""
    live_name = name if live_name is None else live_name
    d = DesiredState({P1: DesiredProfile(P1, name, ("CWZTFH1",)), P2: DesiredProfile(P2, name, ("CALERT7",))},
                     {NUMS[0]: DesiredNumber(NUMS[0], P1, "CWZTFH1", "f.yaml", 1, 1),
                      NUMS[1]: DesiredNumber(NUMS[1], P2, "CALERT7", "f.yaml", 2, 1),
                      NUMS[2]: DesiredNumber(NUMS[2], P2, "CALERT7", "f.yaml", 3, 1)})
    live = LiveState(
        numbers={n: LiveNumber(n, str(i), P1 if i == 0 else P2, "longcode") for i, n in enumerate(NUMS)},
        assignments={NUMS[1]: LiveAssignment(NUMS[1], "CALERT7", "FAILED_ASSIGNMENT", reason),
                     NUMS[3]: LiveAssignment(NUMS[3], "CALERT7", "ASSIGNED")},
        campaigns={"CWZTFH1": LiveCampaign("CWZTFH1", "shared", "ACCEPTED", "MNO_PROVISIONED"),
                   "CALERT7": LiveCampaign("CALERT7", "telnyx", None, "MNO_PROVISIONED",
                                           telnyx_campaign_id="u-1")},
        profiles={P1: live_name, P2: live_name})
    return d, live


def as_github_shows(md: str) -> str:
    shown = re.sub(r"<!--.*?-->", "", md, flags=re.S)
    return shown.split("<!--", 1)[0]  # an unclosed comment hides everything after it


def line_starts_injected(md: str, value: str, baseline: str = "") -> bool:
    """Some piece of `value` after a line break starts a line of `md` more often than in `baseline`
    (the same report made from harmless data: our own lines may start like that, e.g. `<sub>`)."""
    starts = [p.strip() for p in re.split(r"[\n\r\u2028\u2029]", value) if p.strip()]
    lines = [line.strip() for line in md.splitlines()]
    base = [line.strip() for line in baseline.splitlines()]
    return any(sum(line.startswith(s) for line in lines) > sum(line.startswith(s) for line in base)
               for s in starts[1:] if len(s) >= 3)


def text_problems(text: str) -> list[str]:
    """What a terminal or a CI log must never receive from data."""
    out = []
    if "\x1b" in text or "\x00" in text or "\r" in text:
        out.append("an escape, NUL or CR in text output")
    if any(ch in text for ch in BIDI):
        out.append("a bidi override or line separator in text output")
    if any(line.lstrip().startswith("::") for line in text.splitlines()):
        out.append("a line that starts a GitHub workflow command")
    return out


def report_problems(name: str, reason: str, live_name: str | None = None) -> list[str]:
    """Every way the plan, drift and apply reports (markdown and text) could be steered by `name`
    (the YAML's profile name), `live_name` (Telnyx's) and `reason` (Telnyx's failureReasons)."""
    d, live = estate(name, reason, live_name)
    plan = make_plan(d, live, None)
    harmless = make_plan(*estate("x", "x"), None)
    values = [name, reason, live_name or ""]
    out: list[str] = []
    md = render.plan_markdown(plan)
    shown = as_github_shows(md)
    out += [f"plan markdown hides {c.number}" for c in plan.changes if c.number not in shown]
    if plan.checksum() not in shown or "Totals:" not in shown:
        out.append("plan markdown hides its totals or checksum")
    if "<!--" in md.split("\n", 1)[1] and md.count("<!--") != md.count("-->"):
        out.append("plan markdown opens a comment it never closes")
    base = render.plan_markdown(harmless)
    out += ["plan markdown: a line starts with injected text" for v in values if line_starts_injected(md, v, base)]
    drift = render.drift_markdown(drift_report(plan))
    if NUMS[1] not in as_github_shows(drift):
        out.append("drift markdown hides the failed number")
    if line_starts_injected(drift, reason, render.drift_markdown(drift_report(harmless))):
        out.append("drift markdown: a line starts with injected text")
    failed = ApplyReport([Outcome(NUMS[1], P2, "CALERT7", Result.FAILED, reason)], rounds=1, writes=1)
    shown_apply = as_github_shows(render.apply_markdown(failed))
    if NUMS[1] not in shown_apply or "1 failed" not in shown_apply:
        out.append("apply markdown hides the failure")
    for text in (render.plan_text(plan), render.drift_text(drift_report(plan)), render.apply_text(failed)):
        out += text_problems(text)
    return out


# ---- what GitHub would link or typeset: rendered by cmark-gfm, GitHub's own renderer ------------

# GitHub links these in rendered text outside code and links (its mention and reference filters,
# which run after cmark-gfm): `@user`, `@org/team`, `#123`, `GH-123`, `owner/repo#123`.
GITHUB_LINKED = re.compile(r"(?:^|[^\w`])@[a-z0-9][\w/-]*|(?:^|[^\w&])#\d+|\bGH-\d+", re.I)


def gfm_html(markdown: str) -> str:
    """The markdown as cmark-gfm renders it, with GitHub's extensions (autolink, table, strikethrough…)."""
    import cmarkgfm
    from cmarkgfm.cmark import Options

    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


def _shown_text(html: str) -> str:
    """The text GitHub's mention and reference filters read: outside code, pre and links, tags gone."""
    import html as html_lib

    text = re.sub(r"<(code|pre|a)\b[^>]*>.*?</\1>", " ", html, flags=re.S | re.I)
    return html_lib.unescape(re.sub(r"<[^>]*>", " ", text))


def unescaped_dollars(markdown: str) -> int:
    """`$` GitHub could read as math: neither backslash-escaped nor in a code span."""
    count, i, code = 0, 0, None
    while i < len(markdown):
        ch = markdown[i]
        if code is None and ch == "\\":
            i += 2
            continue
        if ch == "`":
            run = len(markdown[i:]) - len(markdown[i:].lstrip("`"))
            code = None if code == run else (run if code is None else code)
            i += run
            continue
        count += ch == "$" and code is None
        i += 1
    return count


def github_problems(markdown: str, baseline: str) -> list[str]:
    """What in `markdown` GitHub would link or typeset beyond the same report made from harmless data
    (`baseline`): an `<a` cmark-gfm makes, an `@mention` or a `#123` reference, math."""
    out = []
    html, base = gfm_html(markdown), gfm_html(baseline)
    links = re.findall(r"<a\b[^>]*>", html, flags=re.I)
    if len(links) > len(re.findall(r"<a\b[^>]*>", base, flags=re.I)):
        out.append(f"a link: {links[-1][:60]}")
    linked = [m.group(0) for m in GITHUB_LINKED.finditer(_shown_text(html))]
    if len(linked) > len(GITHUB_LINKED.findall(_shown_text(base))):
        out.append(f"GitHub would link {linked[-1].strip()!r}")
    if unescaped_dollars(markdown) > unescaped_dollars(baseline):
        out.append("a $ GitHub may read as math")
    return out


def _status_report(name: str, reason: str) -> Any:
    """A `status` with one failed bulk task: `reason` as Telnyx's failureReasons, its status and
    run label, and a write the files no longer declare."""
    from reconciler.apply.recovery import StatusReport, WriteStatus
    from reconciler.journal.entries import Op, State, Write
    from reconciler.tracking import judge

    w = Write("0123456789abcdef", Op.BULK_ASSIGN, State.ACCEPTED, name, (NUMS[1],), P2, "CALERT7",
              ref="task-1", submitted_at=1.0e9, note={"pr": name})
    live = LiveState(numbers={NUMS[1]: LiveNumber(NUMS[1], "1", P2, "longcode")},
                     assignments={NUMS[1]: LiveAssignment(NUMS[1], "CALERT7", "FAILED_ASSIGNMENT", reason)})
    (tracked,) = judge([w], live, 1.0e9 + 60).tracked
    return StatusReport(writes=[WriteStatus(w, tracked, reason)], now=1.0e9 + 60, ignored=[(w, reason)])


def markdown_reports(name: str, reason: str, live_name: str | None = None) -> dict[str, str]:
    """Every markdown output (the PR comment's plan, the job summary's apply and status, the drift
    issue, an error block) made from `name` (the YAML's), `live_name` (Telnyx's) and `reason`."""
    from reconciler.errors import ApiError
    from reconciler.render.error import error_markdown
    from reconciler.render.status import status_markdown

    d, live = estate(name, reason, live_name)
    plan = make_plan(d, live, None)
    failed = ApplyReport([Outcome(NUMS[1], P2, "CALERT7", Result.FAILED, reason)], rounds=1, writes=1)
    return {"plan": render.plan_markdown(plan), "drift": render.drift_markdown(drift_report(plan)),
            "apply": render.apply_markdown(failed, {P2: name}),
            "status": status_markdown(_status_report(name, reason)),
            "error": error_markdown(ApiError("GET /x", 422, "10015", name, reason))}


def gfm_report_problems(name: str, reason: str, live_name: str | None = None) -> list[str]:
    """What GitHub would link or typeset in any markdown report made from these values."""
    harmless = markdown_reports("x", "x", "x" if live_name is not None else None)
    return [f"{kind} markdown: {p}" for kind, text in markdown_reports(name, reason, live_name).items()
            for p in github_problems(text, harmless[kind])]


def _verdict(what: str, value: str, problems: list[str]) -> str | None:
    return f"{what} {value[:40]!r}: {'; '.join(sorted(set(problems)))}" if problems else None


# ---- names: hostile YAML in the desired state -----------------------------------------------

def _desired_doc(name: Any = "alpha", pid: Any = P1, tcr: Any = "CWZTFH1", number: Any = NUMS[0]) -> dict[str, Any]:
    return {"version": 1, "profiles": [{"id": pid, "name": name, "campaigns": [
        {"tcr_campaign_id": tcr, "numbers": [number]}]}]}


def _load(ctx: Ctx, doc: dict[str, Any] | str) -> DesiredState | DesiredStateError:
    folder = ctx.folder("desired")
    text = doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    (folder / "main.yaml").write_text(text, encoding="utf-8")
    try:
        return load_desired(folder)
    except DesiredStateError as exc:
        return exc


@attack("names", "hostile profile names through validate and every report")
def hostile_names(ctx: Ctx) -> list[str | None]:
    """A pull request's profile `name`: refused by the schema (not one printable line), or loaded
    and then shown inert in every report."""
    out: list[str | None] = []
    for value in hostile_texts():
        loaded = _load(ctx, _desired_doc(name=value))
        if isinstance(loaded, DesiredStateError):
            out.append(None)
            continue
        name = loaded.profiles[P1].name or ""
        out.append(_verdict("name", value, report_problems(name, "x")))
    return out


# Each must be refused by validate: ids become API paths, file names and YAML.
HOSTILE_IDS: list[tuple[str, Any]] = [
    ("id", "../../escaped-by-id"), ("id", P1 + "\n- id: x"), ("id", P1 + "\n"), ("number", NUMS[0] + "\n"), ("id", P1 + "/../x"), ("id", P1.upper() + "\u202e"),
    ("id", "4001767e-ce0f-4cae-9d5f-0d5e636e780\u0669"), ("id", 4001767),
    ("tcr", "CWZTFH1\n"), ("tcr", "../C1234"), ("tcr", "C1234567890"), ("tcr", "cwztfh1"), ("tcr", "CWZ\u202eTFH"),
    ("tcr", ["CWZTFH1"]), ("number", "+1312555010\u202e1"), ("number", "+13125550101 "), ("number", "13125550101"),
    ("number", "+1312555010\u0661"), ("number", "+1312555010१"), ("number", "+13125550100\n+13125550101"),
    ("number", 13125550100), ("name", "a" * 101), ("name", ""), ("name", ["x"]),
]


@attack("names", "hostile ids, numbers and names the schema refuses")
def hostile_ids(ctx: Ctx) -> list[str | None]:
    out: list[str | None] = []
    for field, value in HOSTILE_IDS:
        loaded = _load(ctx, _desired_doc(**{"pid" if field == "id" else field: value}))
        out.append(None if isinstance(loaded, DesiredStateError) else f"{field} {value!r} was accepted")
    return out


@attack("names", "YAML nested too deep")
def deep_nesting(ctx: Ctx) -> list[str | None]:
    """Once an internal RecursionError: now a position and a limit."""
    out: list[str | None] = []
    for depth, (open_, close) in ((980, ("[", "]")), (20_000, ("[", "]")), (980, ("{a: ", "}"))):
        loaded = _load(ctx, "version: 1\nprofiles: " + open_ * depth + close * depth + "\n")
        said = str(loaded)
        ok = isinstance(loaded, DesiredStateError) and "main.yaml:2:" in said and "Recursion" not in said \
            and ("nested more than 64 levels" in said or depth > 10_000)  # deeper: the parser's own limit
        out.append(None if ok else f"{depth} levels of {open_!r}: {said[:80]!r}")
    return out


# ---- API fields: hostile values served by the API --------------------------------------------

@attack("API fields", "hostile failureReasons and profile names in every report")
def hostile_api_text(ctx: Ctx) -> list[str | None]:
    out: list[str | None] = []
    for value in hostile_texts():
        out.append(_verdict("failureReasons", value, report_problems("alpha", value)))
        out.append(_verdict("profile name from Telnyx", value, report_problems("alpha", "x", live_name=value)))
    return out


@attack("API fields", "hostile campaign ids in the plan's and status's Mermaid pictures")
def hostile_mermaid(ctx: Ctx) -> list[str | None]:
    """A campaign id (the files' or Telnyx's) drawn in the plan's Gantt: it cannot end a task name, open
    a comment or an entity, close the block or add a line (tests/mermaid_grammar.py parses each one)."""
    from reconciler.plan.messaging import FREED, IN_PLACE, Messaging, Route
    from reconciler.render import mermaid
    from tests.mermaid_grammar import diagrams, problems

    out: list[str | None] = []
    for value in hostile_texts():
        m = Messaging(interrupted=2, interrupted_certain=1, started=1,
                      routes=(Route(FREED, value, value, 1, 1.0), Route(IN_PLACE, "C1", value, 1, 1.0)))
        found = diagrams("\n".join(mermaid.plan_gantt(m)))
        bad = problems(found[0]) if len(found) == 1 else [f"{len(found)} diagrams"]
        out.append(_verdict("campaign id in the plan's Mermaid diagram", value, bad))
        sv = {"not_sending": 3, "pending": 3, "failed": 0, "interrupted_since": "2026-01-01T00:00:00Z",
              "interrupted_seconds": 600, "eta_seconds": 60}
        found = diagrams("\n".join(mermaid.status_gantt({value: sv, "C2": {**sv, "interrupted_since": value}})))
        bad = problems(found[0]) if len(found) == 1 else [f"{len(found)} diagrams"]
        out.append(_verdict("target in the status Mermaid diagram", value, bad))
    return out


@attack("API fields", "links, mentions and math in every markdown report (cmark-gfm)")
def hostile_links(ctx: Ctx) -> list[str | None]:
    """A profile name (the YAML's or Telnyx's) or a failureReasons that GitHub would make a link,
    an `@mention` (a notification), a `#123` reference or math: rendered by cmark-gfm, inert."""
    out: list[str | None] = []
    for value in hostile_texts():
        out.append(_verdict("name", value, gfm_report_problems(value, "x")))
        out.append(_verdict("profile name from Telnyx", value, gfm_report_problems("alpha", "x", live_name=value)))
        out.append(_verdict("failureReasons", value, gfm_report_problems("alpha", value)))
    return out


# Served by a real sandbox through the CLI: names and reasons from its seed, odd statuses through a proxy.
API_VALUES = [REVIEW_NAME, REVIEW_REASON, "x\n::error::pwned", "a\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\",
              "\u202eevil", "x | y |\n| --- |\n| fake | row |", "x\n\n# Heading\n> [!WARNING]\n> merge now"]
API_SEED: dict[str, Any] = {
    "messaging_profiles": [{"id": P1, "name": "alpha"}, {"id": P2, "name": "bravo"}],
    "phone_numbers": [{"phone_number": NUMS[0], "messaging_profile_id": P1},
                      {"phone_number": NUMS[1], "messaging_profile_id": P1},
                      {"phone_number": NUMS[2], "messaging_profile_id": None},
                      {"phone_number": NUMS[3], "messaging_profile_id": P2}],
    "campaigns": [{"tcr_campaign_id": "CWZTFH1", "kind": "shared", "sharing_status": "ACCEPTED"},
                  {"tcr_campaign_id": "CTLX001", "kind": "telnyx"}],
    "assignments": [{"phone_number": NUMS[0], "tcr_campaign_id": "CWZTFH1", "status": "ASSIGNED"},
                    {"phone_number": NUMS[1], "tcr_campaign_id": "CWZTFH1", "status": "FAILED_ASSIGNMENT",
                     "failure_reasons": "x"},
                    {"phone_number": NUMS[3], "tcr_campaign_id": "CTLX001", "status": "ASSIGNED"}],
}
API_DESIRED = {"version": 1, "profiles": [
    {"id": P1, "name": "alpha", "campaigns": [{"tcr_campaign_id": "CWZTFH1", "numbers": NUMS[:3]}]},
    {"id": P2, "name": "bravo", "campaigns": [{"tcr_campaign_id": "CTLX001", "numbers": [NUMS[3]]}]}]}
CLI_REPORTS = [("plan", "--format", "markdown"), ("plan",), ("drift", "--format", "markdown")]


def _served(value: str) -> dict[str, Any]:
    seed = copy.deepcopy(API_SEED)
    for p in seed["messaging_profiles"]:
        p["name"] = value
    seed["assignments"][1]["failure_reasons"] = value
    return seed


def _status_rule(value: str, upstream: str, http: httpx.Client) -> Callable[[Req], Reply | None]:
    """The assignment list, with NUMS[3]'s status replaced by `value` (the sandbox would not)."""
    def rule(req: Req) -> Reply | None:
        if req.method != "GET" or req.path != "/v2/10dlc/phone_number_campaigns":
            return None
        answer = http.get(upstream + req.path[3:] + "?" + req.query,
                          headers={"Authorization": req.headers.get("authorization", "")})
        if answer.status_code != 200:  # e.g. a page size it refuses: the client retries smaller
            return Reply(answer.status_code, answer.content)
        body = answer.json()
        for rec in body.get("records", []):
            if rec.get("phoneNumber") == NUMS[3]:
                rec["assignmentStatus"] = value
        return Reply(200, json.dumps(body).encode())
    return rule


@attack("API fields", "hostile names, reasons and statuses served to the CLI")
def hostile_api_cli(ctx: Ctx) -> list[str | None]:
    """The real path: the sandbox serves the values, the CLI reads, plans and renders them."""
    from tests.e2e.conftest import Env

    out: list[str | None] = []
    with start_sandbox(seed=API_SEED) as sb:
        env = Env(sb, ctx.folder("api-cli"))
        try:
            env.write_desired(API_DESIRED)
            baseline: dict[tuple[str, ...], str] = {}
            changed: list[str] = []
            for value in ["harmless"] + (API_VALUES[:3] if ctx.fast else API_VALUES):
                env.admin.post("/seed", json=_served(value)).raise_for_status()
                with HostileProxy(sb.base_url, rule=_status_rule(value, sb.base_url, ctx.http)) as proxy:
                    served = {"TELNYX_API_BASE_URL": proxy.base_url}
                    if not baseline:  # the same reports from harmless values: what our own lines look like
                        baseline = {args: env.run(*args, env=served).out for args in CLI_REPORTS}
                        plan = json.loads(env.run("plan", "--format", "json", env=served).out)
                        changed = [f["number"] for p in plan["profiles"] for c in p["campaigns"] for f in c["changes"]]
                        continue
                    problems: list[str] = []
                    for args in CLI_REPORTS:
                        r = env.run(*args, env=served)
                        if r.code not in (0, 2) or "Traceback" in r.err:
                            problems.append(f"{' '.join(args)} exit {r.code}: {r.err[-200:]}")
                        elif "markdown" in args:
                            shown = as_github_shows(r.out)
                            problems += [f"{args[0]} markdown hides {n}" for n in changed
                                         if args[0] == "plan" and n not in shown]
                            if line_starts_injected(r.out, value, baseline[args]):
                                problems.append(f"{args[0]} markdown: a line starts with injected text")
                        else:
                            problems += [f"{args[0]}: {p}" for p in text_problems(r.out + r.err)]
                out.append(_verdict("served", value, problems))
        finally:
            env.admin.close()
    return out


def key_forms(key: str) -> list[str]:
    """The key as it might leak: whole, its secret half, URL-encoded, base64 (alone or with `Bearer `)."""
    import base64
    from urllib.parse import quote

    return [key, key.split("_", 1)[-1], quote(key, safe=""), base64.b64encode(key.encode()).decode().rstrip("="),
            base64.b64encode(f"Bearer {key}".encode()).decode().rstrip("=")]


def _reflecting_rule(upstream: str, http: httpx.Client) -> Callable[[Req], Reply | None]:
    """Every answer as the sandbox gives it, plus the request's Authorization echoed in response
    headers (a debugging proxy, a misconfigured gateway): as itself, in another header, in a cookie."""
    def rule(req: Req) -> Reply | None:
        auth = req.headers.get("authorization", "")
        key = auth.split(" ", 1)[-1]
        answer = http.request(req.method, upstream + req.path[3:] + ("?" + req.query if req.query else ""),
                              content=req.body, headers={k: v for k, v in req.headers.items()
                                                         if k in ("authorization", "content-type")})
        return Reply(answer.status_code, answer.content, answer.headers.get("content-type", ""),
                     {"Authorization": auth, "X-Echo": f"you sent {auth}", "Set-Cookie": f"session={key}; HttpOnly",
                      "X-Key-B64": key_forms(key)[3]})
    return rule


@attack("logs", "a server that reflects the key in its headers, under -vv")
def reflected_key(ctx: Ctx) -> list[str | None]:
    """With -vv (and --debug) every logger writes to stderr, httpcore's response headers included:
    whatever the server echoes, no form of the key reaches the log."""
    from tests.faults.harness import cli_env, reconciler

    key = f"KEY{random.Random(20).getrandbits(128):032X}_{'r' * 22}"
    work = ctx.folder("reflected-key")
    (work / "desired-state").mkdir()
    (work / "desired-state" / "main.yaml").write_text(yaml.safe_dump(_desired_doc()), encoding="utf-8")
    out: list[str | None] = []
    with start_sandbox(seed=SMALL_SEED, api_key=key) as sb, \
            HostileProxy(sb.base_url, rule=_reflecting_rule(sb.base_url, ctx.http)) as proxy:
        for args in (["-vv", "plan"], ["--debug", "-vv", "drift"]):
            p = reconciler(*args, env=cli_env(proxy.base_url, api_key=key), cwd=work)
            said = p.stdout + p.stderr
            leaked = [i for i, form in enumerate(key_forms(key)) if form in said]
            if p.returncode not in (0, 2) or "Traceback" in said:
                out.append(f"{' '.join(args)}: exit {p.returncode}, {p.stderr[-200:]!r}")
            elif "DEBUG" not in p.stderr:
                out.append(f"{' '.join(args)}: logged nothing at debug level (the check would see nothing)")
            else:
                out.append(f"{' '.join(args)}: the key in the log (forms {leaked})" if leaked else None)
    return out


@attack("API fields", "hostile names and campaign ids from the API in import")
def hostile_import_fields(ctx: Ctx) -> list[str | None]:
    """`import` writes YAML from API data: a name stays one quoted line, a crafted campaign id adds nothing."""
    out: list[str | None] = []
    crafted = ["X\n    - \"+13125550999\"", "CWZTFH1\n          - \"+13125550999\"", "C1' x", "CWZTFH1 # x"]
    for i, value in enumerate(hostile_texts(combos=8)):
        tcr = crafted[i % len(crafted)]
        live = LiveState(numbers={NUMS[0]: LiveNumber(NUMS[0], "1", P1, "longcode"),
                                  NUMS[1]: LiveNumber(NUMS[1], "2", P1, "longcode")},
                         assignments={NUMS[0]: LiveAssignment(NUMS[0], "CWZTFH1", "ASSIGNED"),
                                      NUMS[1]: LiveAssignment(NUMS[1], tcr, "ASSIGNED")},
                         profiles={P1: value})
        (profile,) = imported_profiles(live)
        try:
            doc = yaml.safe_load(profile_yaml(profile, live.assignments, schema="s.json"))
            (prof,) = doc["profiles"]
            numbers = [n for c in prof["campaigns"] for n in c["numbers"]]
            problems = [] if prof["id"] == P1 and numbers == [NUMS[0]] else [f"declared {numbers}"]
            name = prof.get("name") or ""
            if any(ch in name for ch in "\n\r\x1b\x00" + BIDI):
                problems.append(f"the name kept {name!r}")
        except (yaml.YAMLError, ValueError, KeyError, TypeError) as exc:
            problems = [f"the YAML does not parse: {exc}"]
        out.append(_verdict("imported name", value, problems))
    return out


# Ids in odd shapes from the API: a number must be refused (the read fails, naming the call), a
# profile or campaign id either keeps a plain shape or is never used as a target.
ODD_API_IDS = ["abc\n", "CWZTFH1\n", P1 + "\n", "../../x", "a b", "\u202eCWZTFH1", "x" * 200, "C1\x1b[2J", "-rf", ".."]
ODD_API_NUMBERS = [NUMS[0] + "\n", NUMS[0] + " ", "+1312555010\u0661", "+1 312 555 0100", "\u202e" + NUMS[0], "+"]


@attack("API fields", "ids and numbers from the API in odd shapes")
def odd_api_ids(ctx: Ctx) -> list[str | None]:
    from reconciler.errors import ReconcilerError
    from reconciler.live.records import INVALID_ID, SAFE_ID, parse_assignment, parse_number

    def plain(v: str | None) -> bool:
        return v is None or v == INVALID_ID or (SAFE_ID.fullmatch(v) is not None and v.isprintable())

    out: list[str | None] = []
    for v in ODD_API_IDS:
        n = parse_number("GET /phone_numbers/messaging", {"phone_number": NUMS[0], "id": "1",
                                                           "messaging_profile_id": v, "type": "long-code"})
        a = parse_assignment("GET /10dlc/phone_number_campaigns", {"phoneNumber": NUMS[0], "campaignId": v,
                                                                   "tcrCampaignId": v, "assignmentStatus": "ASSIGNED"})
        out.append(None if plain(n.profile_id) else f"profile id {v!r} used as {n.profile_id!r}")
        out.append(None if plain(a.tcr_campaign_id) else f"campaign id {v!r} used as {a.tcr_campaign_id!r}")
    for v in ODD_API_NUMBERS:
        try:
            parse_number("GET /phone_numbers/messaging", {"phone_number": v, "id": "1"})
            out.append(f"number {v!r} accepted")
        except ReconcilerError:
            out.append(None)
    return out


# ---- paths: ids that would become paths, planted links --------------------------------------

HOSTILE_PROFILE_IDS = ["../../escaped-by-id", "/etc/cron.d/x", "..", "a/b", P1 + "\n", P1 + "/../x", "~root",
                       "C:\\x", P1 + "\u202e"]


@attack("paths", "profile ids from the API that are not UUIDs")
def hostile_profile_ids(ctx: Ctx) -> list[str | None]:
    """An id becomes a file name and YAML: one that is not a UUID is reported, never used."""
    out: list[str | None] = []
    for pid in HOSTILE_PROFILE_IDS:
        live = LiveState(numbers={NUMS[0]: LiveNumber(NUMS[0], "1", pid, "longcode")},
                         assignments={NUMS[0]: LiveAssignment(NUMS[0], "CWZTFH1", "ASSIGNED")},
                         profiles={pid: "x"})
        used = [p.id for p in imported_profiles(live)]
        out.append(None if not used and unusable_profiles(live) == [pid] else f"id {pid!r} used: {used}")
    return out


HOSTILE_FILE_NAMES = ["../../evil", "..", ".", "/etc/passwd", "a\\..\\b", ".bashrc", "-rf", "a\x00b", "CON", "\u202eexe.yaml"]


@attack("paths", "profile names from the API as file names")
def hostile_file_names(ctx: Ctx) -> list[str | None]:
    """`import --out DIR` names a file after the profile: it lands in DIR, whatever the name."""
    from reconciler.cli.importing import write_safely as _write_safely

    out: list[str | None] = []
    for name in HOSTILE_FILE_NAMES:
        folder = ctx.folder("import")
        target = folder / "out"
        target.mkdir()
        try:
            _write_safely(target, file_name(ImportedProfile(P1, name, ())), "version: 1\n")
            written = [p for p in folder.rglob("*") if p.is_file()]
            ok = len(written) == 1 and written[0].parent == target and not written[0].name.startswith(".")
            out.append(None if ok else f"name {name!r} wrote {written}")
        except ConfigError:
            out.append(None)  # refused: also safe
    return out


def _import(ctx: Ctx, folder: Path, *args: str) -> Any:
    from tests.e2e.conftest import Env

    env = Env(ctx.sandbox(), folder)
    try:
        return env.run("import", "--all-profiles", *args)
    finally:
        env.admin.close()


@attack("paths", "import through planted links")
def planted_links(ctx: Ctx) -> list[str | None]:
    """A link planted where `import` writes (a file, or the folder itself) is refused, not followed."""
    out: list[str | None] = []
    work = ctx.folder("links")
    victim = work / "victim.yaml"
    victim.write_text("untouched\n")
    (work / "imported").mkdir()
    (work / "imported" / "alpha.yaml").symlink_to(victim)
    r = _import(ctx, work, "--out", "imported")
    ok = r.code == 1 and "symbolic link" in r.err and "Traceback" not in r.err and victim.read_text() == "untouched\n"
    out.append(None if ok else f"a link to a file: exit {r.code}, victim {victim.read_text()!r}")
    outside = work / "outside"
    outside.mkdir()
    (work / "linked").symlink_to(outside, target_is_directory=True)
    r = _import(ctx, work, "--out", "linked")
    out.append(None if r.code == 1 and not list(outside.iterdir()) else
               f"a link to a folder: exit {r.code}, wrote {list(outside.iterdir())}")
    (work / "one.yaml").symlink_to(victim)
    r = _import(ctx, work, "--out", "one.yaml")
    out.append(None if r.code == 1 and victim.read_text() == "untouched\n" else
               f"--out a link: exit {r.code}, victim {victim.read_text()!r}")
    return out


@attack("paths", "desired-state links out of the folder")
def desired_links(ctx: Ctx) -> list[str | None]:
    """`--desired` does not follow a link out of its folder, and names a link to a device without reading it."""
    out: list[str | None] = []
    work = ctx.folder("desired-links")
    secret = work / "secret.yaml"
    secret.write_text("SECRET_TOKEN: hunter2\n")
    (work / "shared").mkdir()
    (work / "shared" / "team.yaml").write_text("SECRET_TOKEN: hunter2\n")
    for link, target, says in (("a.yaml", secret, "outside"), ("zero.yaml", Path("/dev/zero"), "a link to '/dev/zero'"),
                               ("shared", work / "shared", "outside"),
                               ("urandom.yaml", Path("/dev/urandom"), "a link to '/dev/urandom'")):
        folder = work / f"desired-{link}"
        folder.mkdir()
        (folder / link).symlink_to(target)
        t0 = time.monotonic()
        try:
            load_desired(folder)
            out.append(f"a link to {target} was followed")
            continue
        except DesiredStateError as exc:
            said = str(exc)
        quick = time.monotonic() - t0 < 5
        named = says in said or ("/dev/" in says and "not a regular file" in said)
        out.append(None if quick and named and "SECRET_TOKEN" not in said and "hunter2" not in said else
                   f"a link to {target}: {said[:80]!r}")
    return out


# ---- the state folder: a memory, never an authority --------------------------------------------

_GOOD_WRITE = {"write": "0123456789abcdef", "op": "assign", "state": "accepted", "run": "r1",
               "numbers": [NUMS[0]], "campaign": "CWZTFH1", "submitted_at": 1.0e9}
# Journal lines a planted or corrupt state folder may hold: each is reported by its number and skipped.
JOURNAL_LINES = [
    "[" * 100_000,
    "{" * 50_000 + "}" * 50_000,
    json.dumps({**_GOOD_WRITE, "write": "a1", "submitted_at": 1e300}),
    json.dumps({**_GOOD_WRITE, "write": "a2", "updated_at": -1e300}),
    json.dumps({**_GOOD_WRITE, "write": "a3"}).replace("1000000000.0", "NaN"),
    json.dumps({**_GOOD_WRITE, "write": "a4", "submitted_at": int("9" * 400)}),
    json.dumps({**_GOOD_WRITE, "write": "a5", "numbers": ["../../etc/passwd"]}),
    json.dumps({**_GOOD_WRITE, "write": "a6", "ref": "x/../../y"}),
    json.dumps({**_GOOD_WRITE, "write": "a7", "note": {"pr": [[[[[[[[[[1]]]]]]]]]]}}),
    json.dumps({"ledger": {"CWZTFH1": [NUMS[0], {"x": 1}]}}),
]


def _state_env(ctx: Ctx, name: str) -> Any:
    from tests.e2e.conftest import Env

    env = Env(ctx.sandbox(), ctx.folder(name))
    env.write_desired(_desired_doc())
    return env


@attack("paths", "state folder: hostile journal lines")
def hostile_journal_lines(ctx: Ctx) -> list[str | None]:
    """Each line alone in the journal: `plan` (and, in the full run, `status` and `resume`) go on,
    exit 0 or 2, and name the line; nothing fails on the folder's content."""
    out: list[str | None] = []
    commands = [("plan",)] if ctx.fast else [("plan",), ("status",), ("resume",)]
    for line in JOURNAL_LINES[:4] if ctx.fast else JOURNAL_LINES:
        env = _state_env(ctx, "journal-line")
        try:
            (env.workdir / ".reconciler").mkdir()
            (env.workdir / ".reconciler" / "journal.jsonl").write_text(line + "\n", encoding="utf-8")
            problems = []
            for args in commands:
                r = env.run(*args)
                said = r.out + r.err
                if r.code not in (0, 2) or "Traceback" in said or "journal.jsonl:1:" not in said:
                    problems.append(f"{args[0]}: exit {r.code}, {r.err[-120:]!r}")
            out.append(f"{line[:40]!r}: " + "; ".join(problems) if problems else None)
        finally:
            env.admin.close()
    return out


@attack("paths", "state folder: planted links")
def planted_state_links(ctx: Ctx) -> list[str | None]:
    """A journal and a lock planted as links are never followed (what they point to is untouched); a
    state folder that links to a place others can write to is refused (exit 1, nothing written)."""
    out: list[str | None] = []
    env = _state_env(ctx, "state-links")
    try:
        state = env.workdir / ".reconciler"
        state.mkdir()
        victim, lock_victim = env.workdir / "victim.jsonl", env.workdir / "lock-victim"
        victim.write_text(json.dumps({**_GOOD_WRITE, "state": "deferred", "op": "bulk_assign"}) + "\n")
        lock_victim.write_text("untouched\n")
        (state / "journal.jsonl").symlink_to(victim)
        (state / "lock").symlink_to(lock_victim)
        before = victim.read_text()
        for args in [("plan",), ("status",), ("resume",), ("apply", "--auto-approve")]:
            r = env.run(*args)
            if r.code not in (0, 2) or "Traceback" in r.err:
                out.append(f"{args[0]} with a linked journal and lock: exit {r.code}")
        out.append(None if victim.read_text() == before else "the linked journal was written through")
        out.append(None if lock_victim.read_text() == "untouched\n" else "the linked lock was written through")
        shared = env.workdir / "shared"
        shared.mkdir()
        shared.chmod(0o1777)
        for name in ("journal.jsonl", "lock"):
            (state / name).unlink()
        state.rmdir()
        state.symlink_to(shared, target_is_directory=True)
        r = env.run("apply", "--auto-approve")
        out.append(None if r.code == 1 and "others can write to" in r.err and not list(shared.iterdir()) else
                   f"a state folder linked to a world-writable folder: exit {r.code}, {list(shared.iterdir())}")
    finally:
        env.admin.close()
    return out


# ---- sandbox requests ------------------------------------------------------------------------

LOOPBACK = "127.0.0.1"


def raw_exchange(port: int, request: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes on a fresh connection; the answer's head (or b"" if closed without one)."""
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as s:
        s.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            try:
                chunk = s.recv(4096)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
        return data


def _refused(answer: bytes, status: int, what: str) -> str | None:
    if answer.startswith(f"HTTP/1.1 {status} ".encode()):
        return None
    return f"{what}: expected {status}, got {answer[:40]!r}"


def _closed_by(s: socket.socket, deadline: float) -> tuple[bool, bytes]:
    """Read until the server closes the socket or the deadline passes: (closed, what it said)."""
    said = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False, said
        s.settimeout(left)
        try:
            chunk = s.recv(4096)
        except (ConnectionResetError, BrokenPipeError):
            return True, said
        except socket.timeout:
            return False, said
        if not chunk:
            return True, said
        said += chunk


POST_TASK = b"POST /v2/10dlc/phoneNumberAssignmentByProfile HTTP/1.1\r\nHost: 127.0.0.1\r\n"
ADMIN_ADVANCE = b"POST /_admin/advance HTTP/1.1\r\n"


@attack("sandbox requests", "oversized bodies")
def oversized_bodies(ctx: Ctx) -> list[str | None]:
    """The key is checked before a body is read; every body is capped (a seed upload higher)."""
    port = ctx.sandbox().port
    t0 = time.monotonic()
    unauthenticated = raw_exchange(port, POST_TASK + b"Content-Type: application/json\r\n"
                                               b"Content-Length: 15000000\r\n\r\n")  # and no body at all
    quick = None if time.monotonic() - t0 < 2 else "a 401 waited for a body that never came"
    return [
        _refused(unauthenticated, 401, "15 MB without the key") or quick,
        _refused(raw_exchange(port, POST_TASK + b"Authorization: Bearer sandbox-key\r\n"
                                                b"Content-Length: 150000000\r\n\r\n"), 413, "150 MB with the key"),
        _refused(raw_exchange(port, ADMIN_ADVANCE + b"Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                                    b"Content-Length: 17000000\r\n\r\n"), 413, "17 MB admin body"),
        _refused(raw_exchange(port, b"POST /_admin/seed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                                    b"application/json\r\nContent-Length: 2000000000\r\n\r\n"), 413, "2 GB seed"),
        _refused(raw_exchange(port, b"POST /_admin/seed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                                    b"application/json\r\nContent-Length: " + str(MAX_SEED_BODY + 1).encode()
                                    + b"\r\n\r\n"), 413, "a seed one byte over its cap (once 1 GiB was read whole)"),
        _refused(raw_exchange(port, b"GET /v2/messaging_profiles HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: "
                                    + b"a" * 70_000 + b"\r\n\r\n"), 400, "a 70 kB head"),
        _refused(raw_exchange(port, POST_TASK + b"Authorization: Bearer sandbox-key\r\n"
                                                b"Transfer-Encoding: chunked\r\n\r\n"), 411, "a chunked body"),
        _refused(raw_exchange(port, POST_TASK + b"Authorization: Bearer sandbox-key\r\n"
                                                b"Content-Length: -1\r\n\r\n"), 400, "a negative length"),
    ]


def _admin_post(host: bytes, content_type: bytes | None, body: bytes = b'{"seconds": 60}') -> bytes:
    head = ADMIN_ADVANCE + (b"Host: " + host + b"\r\n" if host else b"")
    if content_type is not None:
        head += b"Content-Type: " + content_type + b"\r\n"
    return head + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body


ADMIN_CONTENT_TYPES = [b"application/x-www-form-urlencoded", b"text/plain", b"multipart/form-data; boundary=x",
                       b"application/jsonp", None]
NON_LOOPBACK_HOSTS = [b"evil.example:80", b"10.0.0.1", b"127.0.0.1.nip.io", b"localhost.evil.example", b"0.0.0.0",
                      b""]


def _clock(sb: Sandbox, http: httpx.Client) -> str:
    return str(http.get(sb.admin_url + "/state").json()["now"])


@attack("sandbox requests", "admin bodies that are not JSON")
def admin_content_types(ctx: Ctx) -> list[str | None]:
    """A web page can make a browser post a form to loopback: the admin surface takes only JSON."""
    sb = ctx.sandbox()
    before = _clock(sb, ctx.http)
    out = [_refused(raw_exchange(sb.port, _admin_post(b"127.0.0.1", ct, b"seconds=60" if ct else b"{}")), 415,
                    f"Content-Type {ct!r}") for ct in ADMIN_CONTENT_TYPES]
    return out if _clock(sb, ctx.http)[:16] == before[:16] else out + ["the clock moved"]


@attack("sandbox requests", "admin requests to a non-loopback Host")
def admin_hosts(ctx: Ctx) -> list[str | None]:
    """DNS rebinding: a name that resolves to 127.0.0.1 still says its own name in Host."""
    sb = ctx.sandbox()
    return [_refused(raw_exchange(sb.port, _admin_post(h, b"application/json")), 403, f"Host {h!r}")
            for h in NON_LOOPBACK_HOSTS]


# Refused from the head alone: each announces a body it never sends, and must be answered at once.
ADMIN_HEADS: list[tuple[bytes, int, str]] = [
    (b"POST /_admin/seed HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/json\r\n"
     b"Content-Length: 1000000\r\n\r\n", 403, "a non-loopback Host, a body announced"),
    (b"POST /_admin/seed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
     b"Content-Length: 1000000\r\n\r\n", 415, "text/plain, a body announced"),
    (b"PUT /_admin/modes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n", 415,
     "no Content-Type, a body announced"),
    # A browser sends these cross-site with no CORS preflight: a bodiless POST must say JSON too.
    (b"POST /_admin/seed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n",
     415, "a bodiless text/plain POST /_admin/seed (once: an empty world)"),
    (b"POST /_admin/counters/reset HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 415,
     "a bodiless POST with no Content-Type"),
    (b"POST /_admin/counters/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded"
     b"\r\nContent-Length: 0\r\n\r\n", 415, "an empty form post"),
]


@attack("sandbox requests", "admin requests refused from their head")
def admin_heads(ctx: Ctx) -> list[str | None]:
    """Host, Content-Type (and beyond loopback the key) are checked before a body is read: the
    refusal comes at once, without waiting for the body, and nothing changes."""
    sb = ctx.sandbox()
    before = ctx.http.get(sb.admin_url + "/state").json()["phone_numbers"]
    out: list[str | None] = []
    for request, status, what in ADMIN_HEADS:
        t0 = time.monotonic()
        said = raw_exchange(sb.port, request)
        out.append(_refused(said, status, what) or
                   (None if time.monotonic() - t0 < 2 else f"{what}: answered only after {time.monotonic() - t0:.1f} s"))
    after = ctx.http.get(sb.admin_url + "/state").json()["phone_numbers"]
    return out + ([] if after == before else ["the world changed"])


SLOW_ADMIN = 40


@attack("sandbox requests", "slow admin bodies while /v2 clients wait")
def slow_admin_bodies(ctx: Ctx) -> list[str | None]:
    """Admin bodies that never finish (once 520 left every /v2 client with 503 for a minute): at
    most ADMIN_BODIES are taken at once, the rest are told 503 at their head, and /v2 is served."""
    out: list[str | None] = []
    head = (b"POST /_admin/advance HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{\"sec")
    with start_sandbox(max_connections=16, header_timeout=30, idle_timeout=30) as sb:
        socks = [socket.create_connection((LOOPBACK, sb.port), timeout=5) for _ in range(SLOW_ADMIN)]
        for s in socks:
            s.sendall(head)
        time.sleep(0.2)
        with loopback.client(base_url=sb.base_url, headers={"Authorization": f"Bearer {sb.api_key}"}, timeout=5) as c:
            for _ in range(3):
                t0 = time.monotonic()
                try:
                    status: int | str = c.get("/messaging_profiles").status_code
                except httpx.HTTPError as exc:
                    status = repr(exc)
                out.append(None if status == 200 and time.monotonic() - t0 < 2 else
                           f"a /v2 request among {SLOW_ADMIN} slow admin bodies answered {status}")
        held = sb.call(lambda: sum(c.state == "body" for c in sb.server.conns))
        out.append(None if held <= ADMIN_BODIES else f"{held} admin bodies held, the budget is {ADMIN_BODIES}")
        cut = sum(_closed_by(s, time.monotonic() + 0.5)[0] for s in socks)  # 503 at the head, or made room
        out.append(None if cut >= SLOW_ADMIN - ADMIN_BODIES else f"{SLOW_ADMIN - cut} slow admin bodies still held")
        for s in socks:
            s.close()
    return out


# Bodies nested deeper than a JSON parser goes (once a 500): each must be a 400.
NESTED = b"[" * 100_000 + b"]" * 100_000
NESTED_BODIES: list[tuple[str, str, bytes]] = [
    ("POST", "/_admin/seed", NESTED), ("POST", "/_admin/advance", b'{"seconds": ' + NESTED + b"}"),
    ("PUT", "/_admin/modes", b'{"sparse": ' + NESTED + b"}"),
    ("PATCH", "/_admin/campaigns/CWZTFH1", b'{"failure_reasons": ' + b"{\"a\": " * 50_000 + b"1" + b"}" * 50_000 + b"}"),
    ("POST", "/v2/10dlc/phoneNumberAssignmentByProfile", b'{"messagingProfileId": ' + NESTED + b"}"),
    ("POST", "/v2/10dlc/phone_number_campaigns", NESTED),
    ("POST", "/_admin/advance", b'{"seconds": ' + b"[" * 990 + b"]" * 990 + b"}"),  # just under the parser's limit
]


@attack("sandbox requests", "JSON bodies nested too deep")
def nested_bodies(ctx: Ctx) -> list[str | None]:
    sb = ctx.sandbox()
    out: list[str | None] = []
    for method, path, body in NESTED_BODIES:
        r = ctx.http.request(method, sb.admin_url.removesuffix("/_admin") + path, content=body,
                             headers={"Content-Type": "application/json", "Authorization": f"Bearer {sb.api_key}"})
        out.append(None if r.status_code == 400 else f"{method} {path} nested {len(body) // 2}: {r.status_code}")
    return out


# Heads a proxy in front could read otherwise than the sandbox (request smuggling): each a 400.
SMUGGLED_HEADS: list[tuple[bytes, str]] = [
    (b"Content-Length: 2\r\nContent-Length: 2\r\n", "two equal Content-Lengths"),
    (b"Content-Length: 2\r\nContent-Length: 40\r\n", "two different Content-Lengths"),
    (b"Content-Length: 2, 2\r\n", "a Content-Length list"),
    (b"Content-Length : 2\r\n", "a space before the colon"),
    (b"Content-Length: 2\r\n X-Folded: x\r\n", "a folded header line"),
    (b"Host: 127.0.0.1\r\nContent-Length: 2\r\n", "two Hosts"),
]


@attack("sandbox requests", "duplicate or smuggled headers")
def smuggled_heads(ctx: Ctx) -> list[str | None]:
    sb = ctx.sandbox()
    return [_refused(raw_exchange(sb.port, b"POST /_admin/counters/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                                           b"application/json\r\n" + extra + b"\r\n{}"), 400, what)
            for extra, what in SMUGGLED_HEADS]


# Each must be refused with 400 and leave the clock where it was (1e300 once broke every response).
ADVANCE_SECONDS = [b"NaN", b"Infinity", b"-Infinity", b"1e300", b"1e400", b"-1", b"315576001",
                   b"100000000000000000000000000000000000000", b"true", b"null"]


def advance_refused(sb: Sandbox, raw: bytes, http: httpx.Client) -> str | None:
    """None if `{"seconds": raw}` is refused (400, naming the field and the range) and harmless."""
    before = _clock(sb, http)
    r = http.post(sb.admin_url + "/advance", content=b'{"seconds": ' + raw + b"}",
                  headers={"content-type": "application/json"})
    if r.status_code != 400:
        return f"seconds={raw.decode()}: answered {r.status_code}"
    error = r.json()["errors"][0]
    if "finite number from 0 to 315576000" not in error["detail"] or error["source"]["pointer"] != "/seconds":
        return f"seconds={raw.decode()}: refused without saying why: {error}"
    if _clock(sb, http)[:16] != before[:16]:
        return f"seconds={raw.decode()}: the clock moved"
    key = {"Authorization": f"Bearer {sb.api_key}"}
    for path in ("/messaging_profiles", "/10dlc/phone_number_campaigns", "/10dlc/phone_number_campaigns/" + NUMS[0]):
        later = http.get(sb.base_url + path, headers=key)
        if later.status_code != 200:
            return f"seconds={raw.decode()}: GET {path} now answers {later.status_code}"
    return None


@attack("sandbox requests", "huge or odd advance seconds")
def huge_advance(ctx: Ctx) -> list[str | None]:
    sb = ctx.sandbox()
    return [advance_refused(sb, raw, ctx.http) for raw in ADVANCE_SECONDS]


HALF_OPEN = 200


@attack("sandbox requests", "half-open connections")
def half_open(ctx: Ctx) -> list[str | None]:
    """200 sockets that connect and send nothing are closed within the header timeout, while
    normal requests are served all along."""
    sb = ctx.sandbox()
    socks = [socket.create_connection((LOOPBACK, sb.port), timeout=5) for _ in range(HALF_OPEN)]
    opened = time.monotonic()
    deadline = opened + HEADER_TIMEOUT + SLACK
    served = []
    with loopback.client(base_url=sb.base_url, headers={"Authorization": f"Bearer {sb.api_key}"}, timeout=5) as c:
        while time.monotonic() < opened + HEADER_TIMEOUT:  # served all along, while they are held
            t0 = time.monotonic()
            served.append(c.get("/messaging_profiles").status_code == 200 and time.monotonic() - t0 < 1)
            time.sleep(0.02)
    out: list[str | None] = []
    for s in socks:
        closed, _ = _closed_by(s, deadline)
        out.append(None if closed else f"a silent socket still open after {HEADER_TIMEOUT + SLACK:g} s")
        s.close()
    if not served or not all(served):
        out.append(f"normal requests not served while {HALF_OPEN} sockets were half-open: {served}")
    return out


def _slow(port: int, first: bytes, trickle: bytes = b"", every: float = 0.0, keep_alive_first: bool = False
          ) -> tuple[bool, bytes]:
    """Open a connection, send `first`, then one byte of `trickle` every `every` s; was it cut in time?"""
    with socket.create_connection((LOOPBACK, port), timeout=5) as s:
        if keep_alive_first:  # one good request first: the next head counts from its first byte
            s.sendall(b"GET /_admin/modes HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            _, said = _wait_answer(s)
        s.sendall(first)
        bound = time.monotonic() + HEADER_TIMEOUT + SLACK
        for byte in trickle:
            if time.monotonic() + every >= bound or select.select([s], [], [], every)[0]:
                break  # out of time, or the server said something: read it
            s.sendall(bytes([byte]))
        return _closed_by(s, bound)


def _wait_answer(s: socket.socket) -> tuple[bool, bytes]:
    s.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            return False, data
        data += chunk
    return True, data


SLOW_LORIS: dict[str, dict[str, Any]] = {
    "a partial request line, then silence": {"first": b"GET /v2/messaging_pro"},
    "a head trickled a byte at a time": {"first": b"GET /v2/messaging_profiles HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                                         "trickle": b"X-Slow: " + b"a" * 200, "every": HEADER_TIMEOUT / 6},
    "a body that stops halfway": {"first": POST_TASK + b"Authorization: Bearer sandbox-key\r\nContent-Type: "
                                           b"application/json\r\nContent-Length: 100\r\n\r\n{\"messaging"},
    "a second head that never ends": {"first": b"GET /_admin/modes HTTP/1.1\r\nHost: 1", "keep_alive_first": True},
}


@attack("sandbox requests", "slow-loris requests")
def slow_loris(ctx: Ctx) -> list[str | None]:
    """A request that never finishes is cut at the header timeout (408), however it trickles."""
    sb = ctx.sandbox()
    results: dict[str, tuple[bool, bytes]] = {}

    def one(name: str) -> None:
        results[name] = _slow(sb.port, **SLOW_LORIS[name])

    threads = [threading.Thread(target=one, args=(name,)) for name in SLOW_LORIS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out: list[str | None] = []
    for name, (closed, said) in results.items():
        last = said.rsplit(b"HTTP/1.1 ", 1)[-1]
        if not closed:
            out.append(f"{name}: still open after {HEADER_TIMEOUT + SLACK:g} s")
        elif not last.startswith(b"408 "):
            out.append(f"{name}: closed without a 408 ({said[:60]!r})")
        else:
            out.append(None)
    return out


@attack("sandbox requests", "idle keep-alive connections")
def idle_keep_alive(ctx: Ctx) -> list[str | None]:
    """A connection left idle after a response is closed after the idle timeout."""
    sb = ctx.sandbox()
    out: list[str | None] = []
    socks = []
    for _ in range(10):
        s = socket.create_connection((LOOPBACK, sb.port), timeout=5)
        s.sendall(b"GET /_admin/modes HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        _wait_answer(s)
        socks.append(s)
    deadline = time.monotonic() + IDLE_TIMEOUT + SLACK
    for s in socks:
        closed, _ = _closed_by(s, deadline)
        out.append(None if closed else f"an idle keep-alive connection still open after {IDLE_TIMEOUT + SLACK:g} s")
        s.close()
    return out


@attack("sandbox requests", "responses never read")
def never_reads(ctx: Ctx) -> list[str | None]:
    """A client that pipelines requests for big answers and reads none: the server stops reading
    its requests when its buffer is full and cuts it after the idle timeout without progress."""
    seed = {"messaging_profiles": SMALL_SEED["messaging_profiles"],
            "phone_numbers": [{"phone_number": f"+1312555{i:04d}", "messaging_profile_id": P1}
                              for i in range(3000)]}
    with start_sandbox(seed=seed, header_timeout=HEADER_TIMEOUT, idle_timeout=IDLE_TIMEOUT) as sb, \
            socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect((LOOPBACK, sb.port))
        s.settimeout(5)
        s.sendall(b"GET /_admin/state HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 40)  # ~4 MB of answers
        def held() -> int:
            return int(sb.call(lambda: len(sb.server.conns)))

        taken = time.monotonic() + 2
        while not held() and time.monotonic() < taken:  # until the server has the connection
            time.sleep(0.01)
        bound = IDLE_TIMEOUT + 3 * SLACK  # the answers fill the buffers, then no progress for the idle timeout
        deadline = time.monotonic() + bound
        while held() and time.monotonic() < deadline:
            time.sleep(0.02)
        return [None if not held() else f"a client that reads nothing still held after {bound:g} s"]


FLOOD_CAP = 8


@attack("sandbox requests", "more connections than the cap")
def connection_flood(ctx: Ctx) -> list[str | None]:
    """Past `max_connections`, silent sockets make room for real clients; the count stays at the cap."""
    out: list[str | None] = []
    with start_sandbox(max_connections=FLOOD_CAP, header_timeout=30, idle_timeout=30) as sb:
        socks = [socket.create_connection((LOOPBACK, sb.port), timeout=5) for _ in range(FLOOD_CAP * 5)]
        with loopback.client(base_url=sb.base_url, headers={"Authorization": f"Bearer {sb.api_key}"}, timeout=5) as c:
            for _ in range(3):
                try:
                    status = c.get("/messaging_profiles").status_code
                except httpx.HTTPError as exc:
                    status = repr(exc)
                out.append(None if status == 200 else f"a real request beyond a flood answered {status}")
        held = sb.call(lambda: len(sb.server.conns))
        out.append(None if held <= FLOOD_CAP + 1 else f"{held} connections held with a cap of {FLOOD_CAP}")
        for s in socks:
            s.close()
    return out


@attack("sandbox requests", "a non-loopback --host")
def non_loopback_host(ctx: Ctx) -> list[str | None]:
    """Serving the admin surface to the network needs --allow-remote."""
    out: list[str | None] = []
    for host in ("0.0.0.0", "::"):
        p = subprocess.run([sys.executable, "-m", "reconciler.sandbox", "--host", host, "--port", "0"],
                           capture_output=True, text=True, timeout=60)
        ok = p.returncode == 1 and "--allow-remote" in p.stderr and not p.stdout
        out.append(None if ok else f"--host {host}: exit {p.returncode}, {p.stdout[:60]!r}")
    return out


def run_all(attacks: list[Attack], ctx: Ctx) -> Iterator[tuple[Attack, list[str | None]]]:
    for a in attacks:
        try:
            verdicts = a.run(ctx)
        except Exception as exc:  # an attack that breaks the tool is not "refused"
            verdicts = [f"raised {type(exc).__name__}: {exc}"]
        yield a, verdicts
