"""Reports cannot be steered by data: hostile names (a pull request's YAML) and hostile API text
(failureReasons, statuses) in every field that reaches a report.

For random hostile strings, the markdown, read the way GitHub shows it (HTML comments removed, an
unclosed one hiding the rest), still shows every change, the counts and the checksum, and no line
starts with injected text; the text has no escape sequences, bidi overrides or workflow commands.
The fixed attacks (the review's reproductions, each piece of syntax, hostile ids, deep nesting,
values served by the sandbox to the CLI) are tests/faults/hostile_cases.py's "names" and "API
fields" sections, which `make faults` also runs.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler import render
from reconciler.apply import ApplyReport, Outcome, Result
from reconciler.drift import drift_report
from reconciler.plan import make_plan
from tests.faults.hostile_cases import (
    NUMS,
    P2,
    PIECES,
    Attack,
    Ctx,
    estate,
    report_problems,
    section,
    text_problems,
)

hostile = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), min_size=1, max_size=12).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=hostile, reason=hostile)
def test_markdown_shows_every_change_whatever_the_data(name, reason):
    assert not report_problems(name, reason)


@settings(max_examples=60, deadline=None)
@given(name=hostile, reason=hostile)
def test_text_carries_no_escapes_bidi_or_workflow_commands(name, reason):
    d, live = estate(name, reason)
    plan = make_plan(d, live, None)
    for text in (render.plan_text(plan), render.drift_text(drift_report(plan)),
                 render.apply_text(ApplyReport([Outcome(NUMS[1], P2, "CALERT7", Result.FAILED, reason)]))):
        assert not text_problems(text)


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory):
    with Ctx(tmp_path_factory.mktemp("hostile"), fast=True) as c:
        yield c


@pytest.mark.parametrize("attack", section("names") + section("API fields"), ids=lambda a: a.id)
def test_every_hostile_name_and_api_field_is_refused_or_inert(attack: Attack, ctx: Ctx) -> None:
    verdicts = attack.run(ctx)
    assert verdicts and not [v for v in verdicts if v], [v for v in verdicts if v]


def test_the_json_error_keeps_every_problem_on_its_own_line_and_bounds_the_whole():
    """The error document's `message` was one line cut at 500 characters (outside review at 3,000
    numbers): each problem is now its own line, plain, and only the whole is bounded."""
    from reconciler.errors import DesiredStateError, Problem
    from reconciler.render.error import error_dict

    problems = [Problem(f"desired-state/team-{i:02d}.yaml", i + 1, 3, "not a phone number in E.164 form\x1b[31m")
                for i in range(40)]
    err = error_dict(DesiredStateError(problems))["error"]
    lines = err["message"].split("\n")
    assert len(lines) == 40 and lines[39] == "desired-state/team-39.yaml:40:3: not a phone number in E.164 form[31m"
    assert "\x1b" not in err["message"] and err["problems_total"] == 40
    many = [Problem(f"desired-state/{'x' * 200}-{i}.yaml", 1, 1, "y" * 300) for i in range(200)]
    assert len(error_dict(DesiredStateError(many))["error"]["message"]) == 20000
