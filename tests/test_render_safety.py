"""Reports cannot be steered by data: hostile names (a pull request's YAML) and hostile API text
(failureReasons, statuses) in every field that reaches a report.

For random hostile strings, the markdown, read the way GitHub shows it (HTML comments removed, an
unclosed one hiding the rest), still shows every change, the counts and the checksum, and no line
starts with injected text; the text has no escape sequences, bidi overrides or workflow commands.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler import render
from reconciler.apply import ApplyReport, Outcome, Result
from reconciler.drift import drift_report
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

P1, P2 = "4001767e-ce0f-4cae-9d5f-0d5e636e7809", "7b1e3c52-9a4f-4d8e-b6a2-1f0c9d8e7a65"
NUMS = [f"+1312555010{i}" for i in range(4)]
PIECES = ["<!--", "-->", "|", "\n", "\r", "\u2028", "\u202e", "\x1b]8;;http://x\x1b\\", "\x1b[2J", "**No changes.**",
          "> [!NOTE]", "# ", "### x", "[link](http://evil)", "`", "```", "::error::pwned", "\n::set-output", "<details>",
          "</details>", "<sub>", "_", "*", "~~", "\\", "&lt;", "Approved by @security-team", "\t", "\x00"]
hostile = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), min_size=1, max_size=12).map("".join)


def estate(name: str, reason: str) -> tuple[DesiredState, LiveState]:
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
        profiles={P1: name, P2: name})
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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=hostile, reason=hostile)
def test_markdown_shows_every_change_whatever_the_data(name, reason):
    d, live = estate(name, reason)
    plan = make_plan(d, live, None)
    md = render.plan_markdown(plan)
    base = render.plan_markdown(make_plan(*estate("x", "x"), None))
    shown = as_github_shows(md)
    for c in plan.changes:
        assert c.number in shown, (c.number, name, reason)
    assert plan.checksum() in shown and "Totals:" in shown
    assert not line_starts_injected(md, name, base) and not line_starts_injected(md, reason, base)
    assert "<!--" not in md.split("\n", 1)[1] or md.count("<!--") == md.count("-->")
    drift = render.drift_markdown(drift_report(plan))
    drift_base = render.drift_markdown(drift_report(make_plan(*estate("x", "x"), None)))
    assert NUMS[1] in as_github_shows(drift) and not line_starts_injected(drift, reason, drift_base)
    report = ApplyReport([Outcome(NUMS[1], P2, "CALERT7", Result.FAILED, reason)], rounds=1, writes=1)
    shown_apply = as_github_shows(render.apply_markdown(report))
    assert NUMS[1] in shown_apply and "1 failed" in shown_apply


@settings(max_examples=60, deadline=None)
@given(name=hostile, reason=hostile)
def test_text_carries_no_escapes_bidi_or_workflow_commands(name, reason):
    d, live = estate(name, reason)
    plan = make_plan(d, live, None)
    for text in (render.plan_text(plan), render.drift_text(drift_report(plan)),
                 render.apply_text(ApplyReport([Outcome(NUMS[1], P2, "CALERT7", Result.FAILED, reason)]))):
        assert "\x1b" not in text and "\x00" not in text and "\r" not in text
        assert not any(ch in text for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028")
        assert not any(line.lstrip().startswith("::") for line in text.splitlines())


def test_the_reported_injection_is_inert():
    """The review's example: a profile name that faked 'No changes' and hid the rest of the comment."""
    name = "acme | x | y\n\n**No changes.** Telnyx matches the desired state.\n\n<!-- hide everything after"
    d, live = estate(name, "> [!NOTE]\n> Approved by @security-team <!--")
    md = render.plan_markdown(make_plan(d, live, None))
    shown = as_github_shows(md)
    assert "**No changes.**" not in shown.replace("\\*\\*No changes.\\*\\*", "")
    assert all(n in shown for n in NUMS[:3])
    assert "\n> [!NOTE]" not in md
