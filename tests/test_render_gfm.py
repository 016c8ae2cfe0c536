"""Markdown reports link and typeset nothing from data, as GitHub renders them.

Every markdown output (the PR comment's plan, the drift issue, the job summary's apply and status,
an error block) is rendered with cmark-gfm, GitHub's own renderer (the `cmarkgfm` bindings), over
the hostile-input list: a profile name from a pull request's YAML or from Telnyx, or Telnyx's
failureReasons, never becomes an `<a href>` (URLs, `www.`, e-mail addresses, `mailto:`), an
`@mention` or `#123` reference that GitHub's filters would link in the rendered text, or `$…$`
math. The fixed cases are tests/faults/hostile_cases.py's "links, mentions and math" attack,
which `make faults` and tests/test_render_safety.py also run.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.render.safe import md
from tests.faults.hostile_cases import LINKISH, PIECES, gfm_html, gfm_report_problems, github_problems

hostile = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), min_size=1, max_size=12).map("".join)


@pytest.mark.parametrize("raw", ["https://evil.example/login", "www.evil.example", "mailto:admin@evil.example",
                                 "admin@evil.example", "HTTP://EVIL.EXAMPLE", "ftp://evil.example"])
def test_the_renderer_is_githubs_and_links_the_raw_value(raw: str) -> None:
    """The check is real: cmark-gfm with GitHub's extensions links each of these when not escaped."""
    assert "<a href" in gfm_html(f"acme {raw} x"), raw
    assert "<a" not in gfm_html(f"acme {md(raw)} x"), md(raw)


@pytest.mark.parametrize("raw, said", [("@octocat", "@octocat"), ("#123", "#123"), ("GH-123", "GH-123"),
                                       ("$x^2$", "a $")])
def test_the_check_sees_mentions_references_and_math(raw: str, said: str) -> None:
    assert any(said in p for p in github_problems(f"acme {raw} x", "acme x")), raw
    assert not github_problems(f"acme {md(raw)} x", "acme x"), md(raw)


@pytest.mark.parametrize("value", LINKISH)
@pytest.mark.parametrize("field", ["name", "live_name", "reason"])
def test_the_reviews_links_mentions_and_math_are_inert_in_every_markdown_report(value: str, field: str) -> None:
    args = {"name": (value, "x"), "live_name": ("alpha", "x", value), "reason": ("alpha", value)}[field]
    assert not gfm_report_problems(*args)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=hostile, reason=hostile)
def test_no_markdown_report_links_or_typesets_data(name: str, reason: str) -> None:
    assert not gfm_report_problems(name, reason)
    assert not gfm_report_problems("alpha", reason, live_name=name)


@pytest.mark.parametrize("value", ["acme-marketing", "Campaign is not active.", "number is not owned: check it",
                                   "shared (ACCEPTED), 49 numbers", "café 10:30 / 5%"])
def test_ordinary_text_reads_as_it_did(value: str) -> None:
    """Only what GitHub would link or typeset is touched: the rest of a value is as before."""
    assert md(value) == value
    assert gfm_html(md(value)) == gfm_html(value)


def test_what_is_escaped_still_reads_the_same() -> None:
    """The escapes and the invisible word joiner leave the visible text as the data said it."""
    for value in LINKISH:
        shown = gfm_html(md(value)).replace("\u2060", "").replace("&amp;", "&")
        assert shown == f"<p>{value}</p>\n", value


RESUME = ("reconciler resume",)  # the command the plan's own words name (render/plan.py)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=hostile, after=hostile)
def test_our_command_is_a_code_span_and_the_data_around_it_stays_inert(before: str, after: str) -> None:
    said = md(f"{before} then assigned (`reconciler resume`) {after}", code=RESUME)
    html = gfm_html(said)
    assert re.findall(r"<code>(.*?)</code>", html) == ["reconciler resume"], html
    assert not github_problems(said, md("x then assigned (`reconciler resume`) x", code=RESUME))
    # Data is escaped exactly as without `code`: only the literal's own two backticks are live.
    text = f"{before} `reconciler resume` {after}"
    assert md(text, code=RESUME) == md(text).replace("\\`reconciler resume\\`", "`reconciler resume`")


@pytest.mark.parametrize("data", ["`rm -rf /`", "`reconciler resume --force`", "``reconciler resume``x",
                                  "\\`reconciler resume`"])
def test_only_the_literal_itself_is_a_code_span(data: str) -> None:
    html = gfm_html(md(data, code=RESUME))
    assert re.findall(r"<code>(.*?)</code>", html) in ([], ["reconciler resume"]), html
    assert "rm -rf" not in "".join(re.findall(r"<code>.*?</code>", html))
    assert gfm_html(md("`rm -rf /`", code=RESUME)).count("<code") == 0


@pytest.mark.parametrize("literal", ["a`b", "a|b", "@octocat", "", " x", "x\ny", "https://evil.example"])
def test_a_literal_a_span_cannot_carry_is_refused(literal: str) -> None:
    with pytest.raises(ValueError):
        md("x", code=(literal,))
