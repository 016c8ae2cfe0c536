"""Output at real size (issue 20 item 3; contract, "Output"): summary first, every change listed, what
does not change counted per profile and campaign with each reason said once, the details behind
`--verbose`, JSON complete. Budgets are counted on the real CLI's output against the generated
3,000-number estate of `at_size` in the loopback sandbox."""

from __future__ import annotations

import json

from . import at_size as A

REASON = "declare, or move off the profile"


def _lines(text: str) -> list[str]:
    return text.rstrip("\n").splitlines()


def test_a_no_change_plan_of_3000_numbers_with_300_unmanaged_fits_on_one_screen(make_env):
    env = make_env(seed=A.seed(), desired=None)
    env.write_desired(A.desired())
    r = env.run("plan", "--detailed-exitcode")
    assert r.code == 0, r.out + r.err
    lines = _lines(r.out)
    assert len(lines) <= 40, r.out
    assert lines[0] == "Plan: no changes · 300 unmanaged, 3000 unchanged"
    # One line per profile with its counts; the shared reason once, with its count.
    assert sum(1 for x in lines if "25 unmanaged" in x and "250 unchanged" in x) == A.PROFILES
    assert sum(1 for x in lines if REASON in x) == 1
    assert "300 numbers on 12 profiles: unmanaged" in r.out
    # The twelve identical warnings are one, naming every profile.
    warnings = [x for x in lines if x.startswith("  - ")]
    assert len(warnings) == 1 and "12 profiles hold undeclared numbers (300 in all)" in warnings[0]
    # The advice first, then the profiles, bounded: never cut mid-sentence (a report caps a line's length).
    assert "until those numbers are declared or moved off the profile: " in warnings[0]
    assert warnings[0].endswith("and 8 more profiles (each listed with its profile's unmanaged numbers)"), warnings[0]
    assert all(f"team-{g:02d}" in warnings[0] for g in range(4))
    # --verbose lists every number; JSON is complete either way.
    verbose = env.run("plan", "--verbose")
    assert all(n in verbose.out for g in range(A.PROFILES) for n in A.unmanaged(g))
    data = json.loads(env.run("plan", "--format", "json").out)
    listed = [f for p in data["profiles"] for c in p["campaigns"] for f in c["changes"]]
    assert len(listed) == 300 and {f["action"] for f in listed} == {"unmanaged"}


def test_a_shared_campaign_blocked_on_a_mixed_profile_says_its_reason_once(make_env):
    env = make_env(seed=A.seed(shared_profile=True, assigned=lambda g, n: g != 0), desired=None)
    env.write_desired(A.desired(shared_profile=True))
    r = env.run("plan", "--detailed-exitcode")
    assert r.code == 2, r.out + r.err
    lines = _lines(r.out)
    assert len(lines) <= 40, r.out
    reason = "Telnyx documents only bulk assignment by profile for shared campaigns"
    assert sum(1 for x in lines if reason in x) == 1  # the profile's note; the block points to it
    assert "! 250 numbers: blocked — the note above" in r.out
    # Every blocked number is still there, compactly: one consecutive run here.
    first, last = A.declared(0)[0], A.declared(0)[-1]
    assert f"{first}–{last} (250)" in r.out


def test_a_2700_number_change_lists_every_change_after_the_summary(make_env):
    env = make_env(seed=A.seed(assigned=lambda g, n: n.endswith("0")), desired=None)
    env.write_desired(A.desired())
    r = env.run("plan")
    assert r.code == 0, r.out + r.err
    lines = _lines(r.out)
    assert lines[0] == "Plan: 2700 to assign · 300 unmanaged, 300 unchanged"
    assert lines[1].startswith("Messaging: ")
    assigned = [x for x in lines if x.startswith("    + ")]
    assert len(assigned) == 2700
    assert len(lines) <= 2700 + 80
    assert not any(x.startswith("    ? +") for x in lines)  # unmanaged counted, not listed


def test_the_markdown_plan_lists_every_change_before_numbers_that_do_not_change(make_env):
    """The PR comment: 250 numbers of the last profile move, 300 unmanaged numbers on every profile
    (ordered before it): every change is listed, the unmanaged ones said once per profile and reason
    (the review at 3,000 numbers saw the 250 changes omitted while 275 unmanaged bullets filled the
    comment)."""
    last = A.PROFILES - 1
    env = make_env(seed=A.seed(extra_campaigns=("CMOVE01",)), desired=None)
    env.write_desired(A.desired(campaign_of=lambda g: "CMOVE01" if g == last else A.campaign(g)))
    md = env.run("plan", "--format", "markdown", "--allow-reassign", "250").out
    assert len(md) < 65_536
    moved = [x for x in md.splitlines() if x.startswith("- `+") and "reassign from" in x]
    assert len(moved) == 250 and "list omitted" not in md, md[-3000:]
    assert md.count("unmanaged — on a declared profile with no campaign") == A.PROFILES  # one line a profile
    assert md.index("reassign from") < md.index("**Not changed**")


def test_status_of_one_250_number_change_fits_on_one_screen(make_env):
    env = make_env(seed=A.seed(extra_campaigns=("CNEW001",)), desired=None, time_scale=0,
                   assignment_delay=7200, task_delay=0, order_delay=0)
    env.write_desired(A.desired(campaign_of=lambda g: "CNEW001" if g == 1 else A.campaign(g)))
    r = env.run("apply", "--auto-approve", "--allow-reassign", "250", "--timeout", "30")
    assert r.code == 0, r.out + r.err
    st = env.run("status")
    assert st.code == 0, st.out + st.err
    lines = _lines(st.out)
    assert len(lines) <= 40, st.out
    assert lines[0].startswith("Status: ")
    assert any(x.startswith("Run ") for x in lines)
    # The details stay behind --verbose (one block per write), and in JSON.
    verbose = env.run("status", "--verbose")
    assert len(_lines(verbose.out)) > 250
    data = json.loads(env.run("status", "--format", "json").out)
    assert data["open_writes"] == len(data["writes"]) >= 250
