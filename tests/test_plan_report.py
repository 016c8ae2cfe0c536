"""plan/report.py one function at a time: the exact warnings, timeline lines and safety verdicts at each
edge (the limits and percentages, the 49-number cap, an emptied campaign, the lapse window, the
reprovision cap), from hand-built campaign and profile plans. No diff and no make_plan: each case
changes one fact, so a comparison flipped or a count off by one is seen (issue 24: mutation score)."""

from __future__ import annotations

import pytest

from reconciler import durations
from reconciler.diff import Action, Finding, LiveHalf
from reconciler.model import (SHARED, TELNYX, DesiredNumber, DesiredProfile, DesiredState, LiveAssignment,
                              LiveCampaign, LiveState, Policy)
from reconciler.plan import BULK, PER_NUMBER, PlanOptions
from reconciler.plan.model import CampaignPlan, ProfilePlan
from reconciler.plan.report import (emptied_elsewhere, lapsing, leaving_undeclared, reprovision_limit, safety,
                                    safety_overridden, saved_unsafe, timeline_for, warnings_for)

PA, PB, PC, PD, PE = "prof-a", "prof-b", "prof-c", "prof-d", "prof-e"
PU = "prof-undeclared"  # a profile the files do not declare
TX, XX, YY = "CTX", "CXX", "CYY"  # TX, YY declared; XX a campaign the files do not declare
DAY = 86400.0
NOW = 1_800_000_000.0  # 2027-01-15 08:00 UTC


def n(i: int) -> str:
    return f"+1415555{i:04d}"


def found(i: int, action: Action, *, campaign: str | None = None, profile: str | None = PA,
          live_campaign: str | None = XX, status: str = "ASSIGNED", live_profile: str | None = None) -> Finding:
    """Number i's finding: declared for (profile, campaign) when `campaign` is given, else declared nowhere;
    Telnyx shows it on `live_profile` (default: `profile`) and `live_campaign` (no assignment record when that
    is None)."""
    desired = DesiredNumber(n(i), profile, campaign, "x.yaml", i, 1) if campaign else None
    live = LiveHalf(profile if live_profile is None else live_profile, live_campaign,
                    status if live_campaign else None)
    return Finding(n(i), action, desired, live)


def many(action: Action, k: int, *, start: int = 0, **kw) -> list[Finding]:
    return [found(i, action, **kw) for i in range(start, start + k)]


def camp(tcr: str, live: int, final: int | None = None, *, pooling: bool = False,
         status: str | None = "ACTIVE") -> CampaignPlan:
    return CampaignPlan(tcr, None, status, None, pooling, None, live, live if final is None else final)


def prof(pid: str, *, declared: bool = True, exists: bool = True, strategy=BULK, resends: int = 0,
         phase: str | None = None) -> ProfilePlan:
    return ProfilePlan(pid, None, declared, exists, strategy, None, None, resends, phase)


def desired(*profiles: str, campaigns: tuple[str, ...] = (TX, YY)) -> DesiredState:
    return DesiredState({p: DesiredProfile(p, None, campaigns) for p in profiles}, {})


# ------------------------------------------------------------------------- safety: the count limits

UNASSIGN_HINT = "re-run with --allow-unassign {k} to allow exactly {these}"


@pytest.mark.parametrize("k, cap, said", [
    (3, 3, []),  # at the limit: not over
    (4, 3, ["4 numbers would unassign, over max_unassign 3 by 1; re-run with --allow-unassign 4 to allow exactly "
            "these 4"]),
    (7, 3, ["7 numbers would unassign, over max_unassign 3 by 4; re-run with --allow-unassign 7 to allow exactly "
            "these 7"]),
    (1, 0, ["1 number would unassign, over max_unassign 0 by 1; re-run with --allow-unassign 1 to allow exactly "
            "this one"]),
    (0, 0, []),  # nothing to unassign is never over, even a limit of 0
])
def test_the_unassign_count_limit_at_its_edge(k, cap, said):
    # No campaign plans: the percentage limit has nothing to judge.
    assert safety(Policy(max_unassign=cap), many(Action.UNASSIGN, k), {}, PlanOptions()) == said


@pytest.mark.parametrize("k, cap, said", [
    (2, 2, []),
    (3, 2, ["3 numbers would reassign, over max_reassign 2 by 1; re-run with --allow-reassign 3 to allow exactly "
            "these 3"]),
    (1, 0, ["1 number would reassign, over max_reassign 0 by 1; re-run with --allow-reassign 1 to allow exactly "
            "this one"]),
])
def test_the_reassign_count_limit_at_its_edge(k, cap, said):
    fs = many(Action.REASSIGN, k, campaign=TX)
    assert safety(Policy(max_reassign=cap), fs, {}, PlanOptions()) == said


def test_without_a_policy_limit_the_defaults_hold_25_unassigns_and_100_reassigns():
    assert safety(Policy(), many(Action.UNASSIGN, 25), {}, PlanOptions()) == []
    assert safety(Policy(), many(Action.UNASSIGN, 26), {}, PlanOptions()) == [
        "26 numbers would unassign, over max_unassign 25 by 1; re-run with --allow-unassign 26 to allow exactly "
        "these 26"]
    reassigning = many(Action.REASSIGN, 100, campaign=TX)
    assert safety(Policy(), reassigning, {}, PlanOptions()) == []
    assert safety(Policy(), reassigning + [found(100, Action.REASSIGN, campaign=TX)], {}, PlanOptions()) == [
        "101 numbers would reassign, over max_reassign 100 by 1; re-run with --allow-reassign 101 to allow "
        "exactly these 101"]


def test_only_unassigns_and_reassigns_count_against_the_limits():
    others = [found(i, a, campaign=TX) for i, a in enumerate((Action.ASSIGN, Action.MOVE, Action.RETRY,
                                                               Action.IN_FLIGHT, Action.BLOCKED))]
    others.append(found(9, Action.UNMANAGED))
    limits = Policy(max_unassign=0, max_reassign=0, max_unassign_percent=0, max_reassign_percent=0)
    assert safety(limits, others, {XX: camp(XX, 10), TX: camp(TX, 10)}, PlanOptions()) == []


# ------------------------------------------------------------------------- safety: the percentage limits


@pytest.mark.parametrize("on_campaign, k, pct, said", [
    (10, 3, 30, None),  # exactly 30 %: not over
    (10, 4, 30, "4 of 10 numbers of campaign CXX would unassign (40%), over max_unassign_percent 30%"),
    (200, 61, 30, "61 of 200 numbers of campaign CXX would unassign (30%), over max_unassign_percent 30%"),  # 30.5
    (10, 3, 25.5, "3 of 10 numbers of campaign CXX would unassign (30%), over max_unassign_percent 25.5%"),
    (9, 9, 30, None),  # under 10 numbers on the campaign: no percentage limit
    (10, 10, 99, "10 of 10 numbers of campaign CXX would unassign (100%), over max_unassign_percent 99%"),
])
def test_the_unassign_percentage_limit_at_its_edge(on_campaign, k, pct, said):
    policy = Policy(max_unassign=1000, max_unassign_percent=pct)
    got = safety(policy, many(Action.UNASSIGN, k), {XX: camp(XX, on_campaign)}, PlanOptions())
    these = "this one" if k == 1 else f"these {k}"
    assert got == ([] if said is None else [f"{said}; re-run with --allow-unassign {k} to allow exactly {these}"])


def test_the_default_percentage_limits_are_30():
    policy = Policy(max_unassign=1000, max_reassign=1000)
    campaigns = {XX: camp(XX, 10)}
    assert safety(policy, many(Action.UNASSIGN, 3), campaigns, PlanOptions()) == []
    assert safety(policy, many(Action.REASSIGN, 3, campaign=TX), campaigns, PlanOptions()) == []
    assert safety(policy, many(Action.REASSIGN, 4, campaign=TX), campaigns, PlanOptions()) == [
        "4 of 10 numbers of campaign CXX would reassign (40%), over max_reassign_percent 30%; re-run with "
        "--allow-reassign 4 to allow exactly these 4"]


def test_each_campaign_is_judged_by_its_own_share_in_campaign_order_after_the_count():
    """The share is of the numbers the campaign holds now; one only Telnyx knows (no campaign plan) or
    holding under 10 numbers is not judged; a number with no campaign counts only against the count."""
    fs = (many(Action.UNASSIGN, 5, live_campaign=YY) + many(Action.UNASSIGN, 2, start=10, live_campaign=XX)
          + many(Action.UNASSIGN, 3, start=20, live_campaign="CNOPLAN")
          + many(Action.UNASSIGN, 4, start=30, live_campaign="CSMALL")
          + many(Action.UNASSIGN, 1, start=40, live_campaign=None))
    campaigns = {XX: camp(XX, 5 + 1), YY: camp(YY, 12), "CSMALL": camp("CSMALL", 9)}
    got = safety(Policy(max_unassign=14, max_unassign_percent=10), fs, campaigns, PlanOptions())
    hint = "; re-run with --allow-unassign 15 to allow exactly these 15"
    assert got == [
        "15 numbers would unassign, over max_unassign 14 by 1" + hint,
        # XX holds 6: under 10, not judged (2 of 6 would be 33 %)
        "5 of 12 numbers of campaign CYY would unassign (42%), over max_unassign_percent 10%" + hint,
    ]
    campaigns[XX] = camp(XX, 10)
    assert got[1] in safety(Policy(max_unassign=15, max_unassign_percent=10), fs, campaigns, PlanOptions())
    assert safety(Policy(max_unassign=15, max_unassign_percent=10), fs, campaigns, PlanOptions())[0] == (
        "2 of 10 numbers of campaign CXX would unassign (20%), over max_unassign_percent 10%" + hint)


def test_allowing_exactly_the_count_lifts_every_limit_of_that_kind_only():
    fs = many(Action.UNASSIGN, 4) + many(Action.REASSIGN, 4, start=10, campaign=TX)
    policy = Policy(max_unassign=3, max_reassign=3)
    campaigns = {XX: camp(XX, 10)}
    over = safety(policy, fs, campaigns, PlanOptions())
    assert [u.split(",")[0] for u in over] == ["4 numbers would unassign", "4 of 10 numbers of campaign CXX would "
                                               "unassign (40%)", "4 numbers would reassign",
                                               "4 of 10 numbers of campaign CXX would reassign (40%)"]
    assert safety(policy, fs, campaigns, PlanOptions(allow_unassign=4)) == over[2:]
    assert safety(policy, fs, campaigns, PlanOptions(allow_reassign=4)) == over[:2]
    assert safety(policy, fs, campaigns, PlanOptions(allow_unassign=4, allow_reassign=4)) == []
    assert safety(policy, fs, campaigns, PlanOptions(allow_unassign=5, allow_reassign=3)) == over  # never more, or less


def test_a_limit_the_run_allows_is_said_as_overridden_and_one_it_does_not_is_not():
    """Outside review: a plan made with --allow-reassign 200 gave no sign that a limit was overridden."""
    fs = many(Action.UNASSIGN, 4) + many(Action.REASSIGN, 4, start=10, campaign=TX)
    policy = Policy(max_unassign=3, max_reassign=3)
    campaigns = {XX: camp(XX, 10)}
    assert safety_overridden(policy, fs, campaigns, PlanOptions()) == []  # unsafe, not overridden
    assert safety_overridden(policy, fs, campaigns, PlanOptions(allow_unassign=4, allow_reassign=3)) == [
        "4 numbers unassign, over max_unassign and max_unassign_percent on 1 campaign, allowed by --allow-unassign 4"]
    assert safety_overridden(policy, fs, campaigns, PlanOptions(allow_reassign=4)) == [
        "4 numbers reassign, over max_reassign and max_reassign_percent on 1 campaign, allowed by --allow-reassign 4"]
    one = many(Action.REASSIGN, 1, campaign=TX)
    assert safety_overridden(Policy(max_reassign=0), one, {}, PlanOptions(allow_reassign=1)) == [
        "1 number reassigns, over max_reassign, allowed by --allow-reassign 1"]
    # Only the percentage: the count limit is not named.
    assert safety_overridden(Policy(max_reassign=100), many(Action.REASSIGN, 4, campaign=TX), campaigns,
                             PlanOptions(allow_reassign=4)) == [
        "4 numbers reassign, over max_reassign_percent on 1 campaign, allowed by --allow-reassign 4"]
    # Allowed but under every limit: nothing overridden.
    assert safety_overridden(Policy(), many(Action.REASSIGN, 2, campaign=TX), {}, PlanOptions(allow_reassign=2)) == []


def test_an_override_names_how_many_campaigns_the_percentage_limit_was_over_on():
    fs = many(Action.REASSIGN, 4, campaign=TX, live_campaign=XX) + many(Action.REASSIGN, 5, start=10, campaign=TX,
                                                                        live_campaign=YY)
    campaigns = {XX: camp(XX, 10), YY: camp(YY, 10)}
    assert safety_overridden(Policy(max_reassign=100), fs, campaigns, PlanOptions(allow_reassign=9)) == [
        "9 numbers reassign, over max_reassign_percent on 2 campaigns, allowed by --allow-reassign 9"]


def test_with_counts_an_override_of_an_action_with_none_is_not_looked_for():
    fs = many(Action.UNASSIGN, 4) + many(Action.REASSIGN, 4, start=10, campaign=TX)
    policy, allow = Policy(max_unassign=3, max_reassign=3), PlanOptions(allow_unassign=4, allow_reassign=4)
    both = ["4 numbers unassign, over max_unassign, allowed by --allow-unassign 4",
            "4 numbers reassign, over max_reassign, allowed by --allow-reassign 4"]
    assert safety_overridden(policy, fs, {}, allow) == both
    assert safety_overridden(policy, fs, {}, allow, {"unassign": 4, "reassign": 4}) == both
    assert safety_overridden(policy, fs, {}, allow, {"reassign": 4}) == both[1:]
    assert safety_overridden(policy, fs, {}, allow, {"unassign": 4, "reassign": 0}) == both[:1]


def test_a_saved_plan_is_told_to_be_made_again_with_the_allowance_not_to_rerun_apply_with_it():
    """Outside review: `apply plan.json` said "re-run with --allow-reassign 200", and `apply plan.json
    --allow-reassign 200` is refused (no option changes a saved plan)."""
    fs = many(Action.UNASSIGN, 4) + many(Action.REASSIGN, 4, start=10, campaign=TX)
    over = safety(Policy(max_unassign=3, max_reassign=3), fs, {XX: camp(XX, 10)}, PlanOptions())
    reasons, advice = saved_unsafe(over)
    assert reasons == [u.split("; re-run")[0] for u in over] and not any("re-run" in r for r in reasons)
    assert advice == ("a saved plan is applied exactly as reviewed, so no option can allow it here: make it again with "
                      "`reconciler plan --allow-unassign 4 --allow-reassign 4 --out FILE` (and the --desired, "
                      "--profile, … it was made with), review it, then `reconciler apply FILE`")
    one = safety(Policy(max_reassign=0), many(Action.REASSIGN, 1, campaign=TX), {}, PlanOptions())
    assert saved_unsafe(one)[1] is not None and "--allow-reassign 1 --out FILE" in saved_unsafe(one)[1]
    # A limit no option allows (max_reprovision) keeps its own fix, and needs no allowance.
    cap = ["bulk assignment would re-send 9 numbers already ASSIGNED, over max_reprovision 1 by 8 (profile p: 9); "
           "raise max_reprovision, or give the new numbers their own messaging profile"]
    assert saved_unsafe(cap) == (cap, None)


def test_with_counts_an_action_with_none_is_not_looked_for():
    """make_plan passes the counts so that a million findings are not walked for an action that has none:
    an action the counts leave out, or count 0, is not looked for, one they count is."""
    fs = many(Action.UNASSIGN, 2) + many(Action.REASSIGN, 2, start=10, campaign=TX)
    policy = Policy(max_unassign=1, max_reassign=1)
    both = safety(policy, fs, {}, PlanOptions())
    assert [u.split(" would")[0] for u in both] == ["2 numbers", "2 numbers"]
    assert safety(policy, fs, {}, PlanOptions(), {"unassign": 2, "reassign": 2}) == both
    assert safety(policy, fs, {}, PlanOptions(), {"unassign": 2}) == both[:1]
    assert safety(policy, fs, {}, PlanOptions(), {"unassign": 0, "reassign": 2}) == both[1:]
    assert safety(policy, fs, {}, PlanOptions(), {}) == []


# ------------------------------------------------------------------------- reprovision_limit


def test_the_reprovision_limit_counts_every_profiles_resends_and_names_the_busiest():
    profiles = {PC: prof(PC), PA: prof(PA, resends=2), PB: prof(PB, resends=3, phase=TX, strategy=PER_NUMBER)}
    assert reprovision_limit(Policy(), profiles) == []  # no cap: the timeline says them, nothing refuses
    assert reprovision_limit(Policy(max_reprovision=5), profiles) == []  # at the cap
    assert reprovision_limit(Policy(max_reprovision=4), profiles) == [
        "bulk assignment would re-send 5 numbers already ASSIGNED, over max_reprovision 4 by 1 (profile prof-b: 3); "
        "raise max_reprovision, or give the new numbers their own messaging profile"]
    assert reprovision_limit(Policy(max_reprovision=0), {PC: prof(PC), PA: prof(PA, resends=1)}) == [
        "bulk assignment would re-send 1 number already ASSIGNED, over max_reprovision 0 by 1 (profile prof-a: 1); "
        "raise max_reprovision, or give the new numbers their own messaging profile"]
    assert reprovision_limit(Policy(max_reprovision=0), {PC: prof(PC)}) == []  # nothing re-sent: never over


# ------------------------------------------------------------------------- timeline_for

PHASE = "about 2 h at Telnyx, sometimes days"
BOTH = ("two phases: PENDING_UNASSIGNMENT about 1 h, then PENDING_ASSIGNMENT about 2 h; about 3 h in all, "
        "sometimes days")


def test_the_timeline_counts_every_assigning_action_and_says_one_or_many():
    assert timeline_for([], {}, {"assign": 1}) == (
        f"1 number will be assigned: apply returns once Telnyx accepts the work; each number stays "
        f"PENDING_ASSIGNMENT for {PHASE}",)
    assert timeline_for([], {}, {"assign": 2, "retry": 3, "move": 4, "in_flight": 5, "ok": 6})[0].startswith(
        "5 numbers will be assigned: ")
    assert timeline_for([], {}, {"unassign": 1}) == (
        "1 number loses its campaign: PENDING_UNASSIGNMENT for about 1 h at Telnyx, sometimes days",)
    assert timeline_for([], {}, {"unassign": 3}) == (
        "3 numbers lose their campaign: PENDING_UNASSIGNMENT for about 1 h at Telnyx, sometimes days",)
    assert timeline_for([], {}, {"move": 2, "ok": 1, "unmanaged": 3, "blocked": 1}) == ()


def test_the_timeline_tells_a_bulk_move_from_a_move_one_by_one_by_the_numbers_profile():
    changes = (many(Action.REASSIGN, 2, campaign=TX, profile=PA) + many(Action.REASSIGN, 1, start=10, campaign=TX,
                                                                         profile=PB)
               + [found(20, Action.REASSIGN, campaign=TX, profile="prof-unknown"), found(30, Action.ASSIGN, campaign=TX)])
    profiles = {PA: prof(PA), PB: prof(PB, strategy=PER_NUMBER)}
    timeline = timeline_for(changes, profiles)
    assert timeline == (
        f"5 numbers will be assigned: apply returns once Telnyx accepts the work; each number stays "
        f"PENDING_ASSIGNMENT for {PHASE}",
        f"of them, 2 numbers move from another campaign by bulk assignment: Telnyx may skip numbers another campaign holds; "
        f"those are moved one by one where their campaign takes a move in place (Telnyx-registered), else freed "
        f"first and assigned in a second phase by `reconciler resume` ({BOTH})",
        f"of them, 2 numbers move from another campaign one by one: if Telnyx refuses to move them in place, they are freed "
        f"first and assigned in a second phase ({BOTH})",
    )
    assert timeline_for(changes, profiles, {"reassign": 4, "assign": 1}) == timeline
    one = timeline_for(changes[:3], {PA: prof(PA, strategy=PER_NUMBER), PB: prof(PB)})
    assert one[1] == (f"of them, 1 number moves from another campaign by bulk assignment: Telnyx may skip numbers another "
                      f"campaign holds; those are moved one by one where their campaign takes a move in place "
                      f"(Telnyx-registered), else freed first and assigned in a second phase by `reconciler resume` "
                      f"({BOTH})")
    assert one[2] == (f"of them, 2 numbers move from another campaign one by one: if Telnyx refuses to move them in place, "
                      f"they are freed first and assigned in a second phase ({BOTH})")
    single = timeline_for(changes[2:3], profiles)
    assert single[1] == (f"of them, 1 number moves from another campaign one by one: if Telnyx refuses to move it in place, "
                         f"it is freed first and assigned in a second phase ({BOTH})")
    # Counted as none: the changes are not walked (a million assignments are counted, not read).
    assert timeline_for(changes, profiles, {"assign": 5}) == timeline[:1]


def test_the_timeline_says_resends_now_and_in_a_next_phase_one_or_many():
    now = ("bulk assignment re-sends {n} already ASSIGNED to {its} campaign (a task takes every number of its "
           "profile): if Telnyx provisions {it} again (unconfirmed), {it_is} PENDING_ASSIGNMENT for " + PHASE
           + "; the policy's max_reprovision caps how many")
    later = ("a number that loses its campaign on the way to its profile (unconfirmed), or is being freed, is assigned "
             "by a next phase's bulk assignment of the profile once Telnyx has freed it (a task takes every number "
             "of its profile): it re-sends {n} already ASSIGNED to {its} campaign; if Telnyx provisions {it} again "
             "(unconfirmed), {it_is} PENDING_ASSIGNMENT for " + PHASE + "; the policy's max_reprovision caps how "
             "many, and the phase is refused if it would re-send more than this plan counts")
    one = dict(n="1 number", its="its", it="it", it_is="it is")
    two = dict(n="2 numbers", its="their", it="them", it_is="they are")
    assert timeline_for([], {PA: prof(PA, resends=1)}, {}) == (now.format(**one),)
    assert timeline_for([], {PA: prof(PA, resends=1), PB: prof(PB, resends=1), PC: prof(PC)}, {}) == (
        now.format(**two),)
    assert timeline_for([], {PA: prof(PA, resends=1, phase=TX, strategy=PER_NUMBER)}, {}) == (later.format(**one),)
    assert timeline_for([], {PA: prof(PA, resends=1), PB: prof(PB, resends=2, phase=TX)}, {}) == (
        now.format(**one), later.format(**two))


def test_the_timeline_says_this_accounts_own_durations_when_it_has_them():
    figures = durations.Figures({"assignment": [1800.0] * 5, "unassignment": [600.0] * 5, "task": [60.0] * 5})
    changes = [found(1, Action.REASSIGN, campaign=TX)]
    timeline = timeline_for(changes, {PA: prof(PA)}, {"reassign": 1, "unassign": 1}, figures)
    assert timeline == (
        "1 number will be assigned: apply returns once Telnyx accepts the work; each number stays "
        "PENDING_ASSIGNMENT for about 30 min at Telnyx, sometimes days",
        "of them, 1 number moves from another campaign by bulk assignment: Telnyx may skip numbers another campaign holds; "
        "those are moved one by one where their campaign takes a move in place (Telnyx-registered), else freed "
        "first and assigned in a second phase by `reconciler resume` (two phases: PENDING_UNASSIGNMENT about 10 "
        "min, then PENDING_ASSIGNMENT about 30 min; about 41 min in all, sometimes days)",
        "1 number loses its campaign: PENDING_UNASSIGNMENT for about 10 min at Telnyx, sometimes days",
    )


SHARED_CAMPAIGNS = {XX: CampaignPlan(XX, SHARED, "ACTIVE", "ACCEPTED", False, None, 10, 10),
                    YY: CampaignPlan(YY, TELNYX, "ACTIVE", None, False, None, 10, 10)}
HELD_BULK = ("of them, {n} off a shared campaign by bulk assignment: {free}Telnyx may skip numbers another campaign "
             "holds, and one it skips is moved in place only if Telnyx takes the move, else it stays on its shared "
             "campaign, still sending, blocked unless --shared-per-number")
LEAVING = "leaving {its} profile may free {freed} (then a next phase's bulk assigns {it}: " + BOTH + "); "
HELD_SINGLE = ("of them, {n} off a shared campaign one by one: if Telnyx refuses to move {it} in place, {stays} "
               "there, still sending, blocked unless --shared-per-number (apply does not free a number from a shared "
               "campaign without it)")
ASSIGNED_LINE = ("{n} will be assigned: apply returns once Telnyx accepts the work; each number stays "
                 "PENDING_ASSIGNMENT for " + PHASE)


def held(k: int, *, start: int = 0, profile: str = PA, leave: bool = False) -> list[Finding]:
    """k numbers moving to CTX off the shared campaign CXX, declared on `profile`; `leave`: Telnyx shows
    them on another profile, so they leave it first."""
    return [found(i, Action.REASSIGN, campaign=TX, profile=profile, live_campaign=XX,
                  live_profile=PU if leave else None) for i in range(start, start + k)]


@pytest.mark.parametrize("k, leaving, free", [
    (1, 0, ""),
    (2, 0, ""),
    (1, 1, LEAVING.format(its="its", freed="it", it="it")),
    (2, 2, LEAVING.format(its="their", freed="them", it="them")),
    (2, 1, LEAVING.format(its="its", freed="1 of them", it="it")),
    (3, 2, LEAVING.format(its="their", freed="2 of them", it="them")),
])
def test_the_timeline_says_bulk_moves_off_a_shared_campaign_and_which_leave_their_profile(k, leaving, free):
    changes = held(k - leaving) + held(leaving, start=50, leave=True)
    got = timeline_for(changes, {PA: prof(PA)}, campaigns=SHARED_CAMPAIGNS)
    number = "1 number moves" if k == 1 else f"{k} numbers move"
    assert got == (ASSIGNED_LINE.format(n="1 number" if k == 1 else f"{k} numbers"),
                   HELD_BULK.format(n=number, free=free))
    assert timeline_for(changes, {PA: prof(PA)}, {"reassign": k}, campaigns=SHARED_CAMPAIGNS) == got


@pytest.mark.parametrize("k, it, stays", [(1, "it", "it stays"), (2, "them", "they stay"), (3, "them", "they stay")])
def test_the_timeline_says_moves_off_a_shared_campaign_one_by_one_stay_there_if_refused(k, it, stays):
    # Leaving the profile or not: one by one, no bulk frees them.
    changes = held(k - 1, profile=PB) + held(1, start=50, profile=PB, leave=True)
    got = timeline_for(changes, {PB: prof(PB, strategy=PER_NUMBER)}, campaigns=SHARED_CAMPAIGNS)
    number = "1 number moves" if k == 1 else f"{k} numbers move"
    assert got == (ASSIGNED_LINE.format(n="1 number" if k == 1 else f"{k} numbers"),
                   HELD_SINGLE.format(n=number, it=it, stays=stays))
    # A profile the plan does not know is moved one by one too.
    assert timeline_for(held(k, profile="prof-unknown"), {}, campaigns=SHARED_CAMPAIGNS)[1] == HELD_SINGLE.format(
        n=number, it=it, stays=stays)


def test_the_timeline_counts_held_and_freed_moves_apart_and_only_held_ones_as_leaving():
    """Held: off the shared CXX. Not held: off CYY (Telnyx's own), or off CXX with --shared-per-number,
    or without the campaigns to tell."""
    free = found(90, Action.REASSIGN, campaign=TX, profile=PA, live_campaign=YY, live_profile=PU)  # leaves, not held
    changes = (held(2) + held(1, start=10, leave=True) + [free]
               + held(2, start=20, profile=PB) + [found(30, Action.REASSIGN, campaign=TX, profile=PB, live_campaign=YY)]
               + [found(40, Action.ASSIGN, campaign=TX), found(41, Action.UNASSIGN, live_campaign=YY)])
    profiles = {PA: prof(PA), PB: prof(PB, strategy=PER_NUMBER)}
    got = timeline_for(changes, profiles, campaigns=SHARED_CAMPAIGNS)
    assert got == (
        ASSIGNED_LINE.format(n="8 numbers"),
        "of them, 1 number moves from another campaign by bulk assignment: Telnyx may skip numbers another campaign "
        "holds; those are moved one by one where their campaign takes a move in place (Telnyx-registered), else "
        f"freed first and assigned in a second phase by `reconciler resume` ({BOTH})",
        "of them, 1 number moves from another campaign one by one: if Telnyx refuses to move it in place, it is freed "
        f"first and assigned in a second phase ({BOTH})",
        HELD_BULK.format(n="3 numbers move", free=LEAVING.format(its="its", freed="1 of them", it="it")),
        HELD_SINGLE.format(n="2 numbers move", it="them", stays="they stay"),
        "1 number loses its campaign: PENDING_UNASSIGNMENT for about 1 h at Telnyx, sometimes days",
    )
    freed = (ASSIGNED_LINE.format(n="8 numbers"),
             "of them, 4 numbers move from another campaign by bulk assignment: Telnyx may skip numbers another "
             "campaign holds; those are moved one by one where their campaign takes a move in place "
             "(Telnyx-registered), else freed first and assigned in a second phase by `reconciler resume` "
             f"({BOTH})",
             "of them, 3 numbers move from another campaign one by one: if Telnyx refuses to move them in place, "
             f"they are freed first and assigned in a second phase ({BOTH})",
             "1 number loses its campaign: PENDING_UNASSIGNMENT for about 1 h at Telnyx, sometimes days")
    assert timeline_for(changes, profiles, campaigns=SHARED_CAMPAIGNS, shared_per_number=True) == freed
    assert timeline_for(changes, profiles) == freed


# ------------------------------------------------------------------------- warnings_for: campaigns and profiles


def campaign_warnings(*campaigns: CampaignPlan, findings: list[Finding] | None = None) -> list[str]:
    return warnings_for(desired(PA), LiveState(), findings or [], {c.tcr_campaign_id: c for c in campaigns}, {})


def test_a_campaign_is_warned_empty_only_when_the_plan_takes_its_last_number():
    empty = ("campaign CTX will be left without numbers; Telnyx suspends a campaign after 15 days with no numbers "
             "(dormancy)")
    assert campaign_warnings(camp(TX, 1, 0)) == [empty]
    assert campaign_warnings(camp(TX, 0, 0)) == []  # holds none now: nothing is taken
    assert campaign_warnings(camp(TX, 2, 1)) == []
    assert campaign_warnings(camp(TX, 1, 1)) == []


def test_the_49_number_cap_is_warned_over_it_and_only_without_pooling():
    assert campaign_warnings(camp(TX, 0, 49)) == []  # at the cap
    assert campaign_warnings(camp(TX, 0, 50)) == [
        "campaign CTX holds 50 numbers, over the 49 T-Mobile allows without number pooling"]
    assert campaign_warnings(camp(TX, 60, 50, pooling=True)) == []


def test_a_dormant_campaign_is_warned_only_when_the_plan_assigns_a_number_to_it():
    dormant = camp(TX, 3, status="TCR_SUSPENDED")
    said = ["campaign CTX is dormant (TCR_SUSPENDED): its first assignment fails and wakes it; apply retries"]
    for action in (Action.ASSIGN, Action.REASSIGN, Action.RETRY):
        assert campaign_warnings(dormant, findings=[found(1, action, campaign=TX)]) == said
    assert campaign_warnings(dormant, findings=[found(1, Action.MOVE, campaign=TX),
                                                found(2, Action.ASSIGN, campaign=YY),
                                                found(3, Action.UNASSIGN, profile=PU, live_campaign=TX)]) == []
    assert campaign_warnings(camp(TX, 3), findings=[found(1, Action.ASSIGN, campaign=TX)]) == []  # not dormant


def test_a_declared_profile_telnyx_does_not_have_is_warned():
    profiles = {PA: prof(PA, exists=False), PB: prof(PB), PC: prof(PC, declared=False, exists=False),
                PD: prof(PD, declared=False)}
    assert warnings_for(desired(PA, PB), LiveState(), [], {}, profiles) == [
        "messaging profile prof-a does not exist at Telnyx"]


# ------------------------------------------------------------------------- warnings_for: undeclared numbers


def test_numbers_a_prune_leaves_on_a_declared_profile_are_named_three_at_most():
    fs = (many(Action.UNASSIGN, 4, profile=PA) + many(Action.UNASSIGN, 3, start=10, profile=PB)
          + many(Action.UNASSIGN, 1, start=20, profile=PC) + many(Action.UNASSIGN, 2, start=30, profile="prof-gone")
          + many(Action.UNMANAGED, 1, start=40, profile=PD))
    said = [w for w in warnings_for(desired(PA, PB, PC, PD), LiveState(), fs, {}, {}) if w.startswith("after")]
    assert said == [
        "after the prune, 4 numbers stay on profile prof-a with no campaign (+14155550000, +14155550001, "
        "+14155550002 and 1 more): while there, they keep that profile from bulk assignment; move them off the "
        "profile (to no profile) or declare them",
        "after the prune, 3 numbers stay on profile prof-b with no campaign (+14155550010, +14155550011, "
        "+14155550012): while there, they keep that profile from bulk assignment; move them off the profile (to no "
        "profile) or declare them",
        "after the prune, 1 number stays on profile prof-c with no campaign (+14155550020): while there, it keeps "
        "that profile from bulk assignment; move it off the profile (to no profile) or declare it",
    ]


@pytest.mark.parametrize("k, said", [
    (1, "profile prof-a holds 1 undeclared number; bulk assignment by profile is not used there until it is "
        "declared or moved off the profile"),
    (2, "profile prof-a holds 2 undeclared numbers; bulk assignment by profile is not used there until they are "
        "declared or moved off the profile"),
])
def test_one_declared_profile_holding_undeclared_numbers_is_said_alone(k, said):
    """Counted: undeclared numbers on a declared profile; not: those on another profile, Telnyx shows nothing
    of, or declared ones."""
    fs = (many(Action.UNMANAGED, k, profile=PA) + many(Action.UNMANAGED, 2, start=10, profile=PU)
          + [Finding(n(20), Action.UNMANAGED, None, None), found(30, Action.ASSIGN, campaign=TX, profile=PB)])
    assert warnings_for(desired(PA, PB), LiveState(), fs, {}, {}) == [said]


@pytest.mark.parametrize("profiles, said", [
    (3, "3 profiles hold undeclared numbers (7 in all); bulk assignment by profile is not used on them until those "
        "numbers are declared or moved off the profile: 3 on profile prof-a, 1 on profile prof-b, 3 on profile "
        "prof-c"),
    (4, "4 profiles hold undeclared numbers (9 in all); bulk assignment by profile is not used on them until those "
        "numbers are declared or moved off the profile: 3 on profile prof-a, 1 on profile prof-b, 3 on profile "
        "prof-c, 2 on profile prof-d"),
    (5, "5 profiles hold undeclared numbers (14 in all); bulk assignment by profile is not used on them until those "
        "numbers are declared or moved off the profile: 3 on profile prof-a, 1 on profile prof-b, 3 on profile "
        "prof-c, 2 on profile prof-d and 1 more profiles (each listed with its profile's unmanaged numbers)"),
])
def test_several_profiles_holding_undeclared_numbers_are_one_warning_naming_four_at_most(profiles, said):
    """By profile id, whatever order the findings come in or how many each profile holds."""
    held = {PE: 5, PD: 2, PC: 3, PB: 1, PA: 3}
    names = list(held)[-profiles:]
    fs = [f for i, p in enumerate(names) for f in many(Action.UNMANAGED, held[p], start=100 * i, profile=p)]
    assert warnings_for(desired(*names), LiveState(), fs, {}, {}) == [said]


@pytest.mark.parametrize("counts, looked", [
    (None, True),
    ({"unassign": 1}, True),
    ({"unmanaged": 1}, True),
    ({"blocked": 1}, True),
    ({"unassign": 0, "unmanaged": 0, "blocked": 0, "assign": 3}, False),
    ({}, False),
])
def test_undeclared_numbers_are_looked_for_only_when_the_counts_have_some(counts, looked):
    fs = [found(1, Action.BLOCKED, profile=PA)]
    said = warnings_for(desired(PA), LiveState(), fs, {}, {}, counts)
    assert said == (["profile prof-a holds 1 undeclared number; bulk assignment by profile is not used there until "
                     "it is declared or moved off the profile"] if looked else [])


# ------------------------------------------------------------------------- campaigns the files dropped


def dropped(*held: tuple[int, str, str], counts: dict[str, int] | None = None) -> LiveState:
    return LiveState(assignments={n(i): LiveAssignment(n(i), c, s) for i, c, s in held},
                     campaign_counts=dict(counts or {}))


def test_numbers_leaving_an_undeclared_campaign_are_counted_by_what_telnyx_says_it_holds():
    delta = {("reassign", TX, XX, "ASSIGNED"): 2, ("unassign", None, XX, "PENDING_ASSIGNMENT"): 1,
             ("retry", TX, XX, "ASSIGNED"): 1, ("assign", TX, "CZZ", "ASSIGNED"): 1,
             # not leaving: a move keeps its campaign, in flight is untouched, nothing counted, a declared
             # campaign (warnings_for's), Telnyx already freeing it, no campaign
             ("move", TX, XX, "ASSIGNED"): 5, ("in_flight", TX, XX, "ASSIGNED"): 5, ("reassign", TX, "CWW", "ASSIGNED"): 0,
             ("reassign", YY, TX, "ASSIGNED"): 5, ("reassign", TX, XX, "PENDING_UNASSIGNMENT"): 5,
             ("assign", TX, None, None): 5}
    live = dropped((1, XX, "ASSIGNED"), (2, XX, "PENDING_ASSIGNMENT"), (3, XX, "PENDING_UNASSIGNMENT"),
                   (4, XX, "FAILED_ASSIGNMENT"), (5, "CZZ", "ASSIGNED"), (6, TX, "ASSIGNED"),
                   (7, XX, "ASSIGNED"), (8, "CZZ", "PENDING_ASSIGNMENT"), (9, TX, "ASSIGNED"), counts={"CZZ": 7})
    # XX: Telnyx gave no count, so the numbers this run read on it that hold it (1, 2, 7)
    assert leaving_undeclared(desired(PA), live, delta) == {"CZZ": (7, 1, True), XX: (3, 4, False)}
    assert emptied_elsewhere(desired(PA), live, delta) == [
        "campaign CXX (not in the files) may be left without numbers: the plan moves every number this run saw on "
        "it (4) off it, and Telnyx did not say how many it holds; if none are left, Telnyx suspends a campaign "
        "after 15 days with no numbers (dormancy)"]


@pytest.mark.parametrize("holds, k, said", [
    (3, 2, None),  # one stays
    (2, 2, "the plan moves its last 2 numbers off it"),
    (1, 1, "the plan moves its last 1 number off it"),
    (1, 2, "the plan moves its last 2 numbers off it"),  # Telnyx's count lags the numbers this run read
])
def test_an_undeclared_campaign_is_warned_empty_only_when_the_plan_takes_its_last_number(holds, k, said):
    delta = {("reassign", TX, XX, "ASSIGNED"): k}
    # CAA sorts first and keeps a number: the campaigns after it are still looked at
    delta[("unassign", None, "CAA", "ASSIGNED")] = 1
    got = emptied_elsewhere(desired(PA), dropped(counts={XX: holds, "CAA": 2}), delta)
    assert got == ([] if said is None else [
        f"campaign CXX (not in the files) will be left without numbers: {said}; Telnyx suspends a campaign after 15 "
        f"days with no numbers (dormancy)"])


# ------------------------------------------------------------------------- lapsing


def renewing(*campaigns: tuple[str, float | None, bool | None], read_at: float | None = NOW) -> LiveState:
    return LiveState(read_at=read_at, campaigns={
        tcr: LiveCampaign(tcr, "telnyx", None, "ACTIVE", renewal_at=None if days is None else NOW + days * DAY,
                          auto_renewal=auto) for tcr, days, auto in campaigns})


EXPIRES = ("campaign {tcr} expires on {when} ({due}) and does not renew automatically: renew it in the Telnyx "
           "portal, or its numbers stop sending (an expired campaign cannot be restored)")
DUE = ("campaign {tcr} is due for renewal or expiry on {when} ({due}), and Telnyx does not say whether it renews "
       "automatically: check it in the Telnyx portal")


@pytest.mark.parametrize("days, due, when", [
    (30, "in 30 days", "2027-02-14"),  # at the edge of the warning: said
    (1.5, "in 1 day", "2027-01-16"),
    (1, "in 1 day", "2027-01-16"),
    (0.99, "today", "2027-01-16"),
    (0, "today", "2027-01-15"),
    (-0.01, "already past", "2027-01-15"),
    (-3, "already past", "2027-01-12"),
])
def test_a_campaign_that_does_not_renew_itself_is_warned_thirty_days_ahead(days, due, when):
    assert lapsing(desired(PA), renewing((TX, days, False))) == [EXPIRES.format(tcr=TX, when=when, due=due)]
    assert lapsing(desired(PA), renewing((TX, days, None))) == [DUE.format(tcr=TX, when=when, due=due)]
    assert lapsing(desired(PA), renewing((TX, days, True))) == []


def test_lapsing_looks_at_declared_campaigns_telnyx_gave_a_date_for_within_thirty_days_of_the_read():
    live = renewing((YY, 2, None), ("CUNDECLARED", 2, False), (TX, 30 + 1 / DAY, False), ("CNONE", None, False))
    assert lapsing(desired(PA, campaigns=(YY, TX, "CNONE", "CUNKNOWN")), live) == [
        DUE.format(tcr=YY, when="2027-01-17", due="in 2 days")]
    live = renewing((YY, 2, False), (TX, 3, False))
    assert [w.split(" expires")[0] for w in lapsing(desired(PA, campaigns=(YY, TX)), live)] == [
        "campaign CTX", "campaign CYY"]  # by campaign id
    assert lapsing(desired(PA), renewing((TX, 2, False), read_at=None)) == []  # when "now" is, unknown
