"""planfile: the one owner of the saved plan. Whatever the plan, dump → JSON → load gives it back
exactly (a property test over random estates), and an edited file is refused."""

from __future__ import annotations

import json
import os
from dataclasses import replace
import threading

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reconciler import planfile
from reconciler.diff import UNSEEN, Finding
from reconciler.errors import PlanFileError, TamperedPlanError
from reconciler.model import ChangeWindow, LiveCampaign, Policy
from reconciler.plan import PlanOptions, make_plan
from tests.test_plan import CAMPAIGNS as LIVE_CAMPAIGNS
from tests.test_plan import P1, P2, PX, SH, TX, TX2, state

PROFILES = [P1, P2, PX, None]
CAMPAIGNS = [SH, TX, TX2, "CPEND01", "CDEAD01", "CDORM01"]
GONE = "CGONE01"  # declared, unknown to Telnyx: a campaign plan and a health entry with no kind
# Telnyx's own reason for the expired campaign, which an unhealthy campaign's entry carries.
LIVE = {**LIVE_CAMPAIGNS, "CDEAD01": LiveCampaign("CDEAD01", "telnyx", None, "TCR_EXPIRED", telnyx_campaign_id="u-3",
                                                  failure_reasons="expired at TCR")}
WINDOWS = [(), (ChangeWindow(("sat", "sun"), "02:00", "06:00", "America/Chicago"),),
           (ChangeWindow((), "22:00", "04:00"), ChangeWindow(("mon",), "00:00", "23:59", "Europe/Paris"))]
STATUSES = ["ASSIGNED", "PENDING_ASSIGNMENT", "PENDING_UNASSIGNMENT", "FAILED_ASSIGNMENT"]


@st.composite
def estates(draw):
    ids = range(1, draw(st.integers(1, 12)) + 1)
    declared: dict[str, dict[str, list[int]]] = {}
    live_profiles, assigned = {}, {}
    for i in ids:
        if draw(st.booleans()):
            pid = draw(st.sampled_from([P1, P2]))
            declared.setdefault(pid, {}).setdefault(draw(st.sampled_from([*CAMPAIGNS, GONE])), []).append(i)
        live_profiles[i] = draw(st.sampled_from(PROFILES))
        if draw(st.booleans()):
            assigned[i] = (draw(st.sampled_from(CAMPAIGNS)), draw(st.sampled_from(STATUSES)))
    policy = Policy(prune=draw(st.booleans()), change_windows=draw(st.sampled_from(WINDOWS)))
    desired, live = state({p: list(c.items()) for p, c in declared.items()}, live_profiles, assigned,
                          policy=policy, campaigns=LIVE)
    options = PlanOptions(shared_per_number=draw(st.booleans()), allow_unassign=draw(st.none() | st.integers(0, 3)))
    return make_plan(desired, live, options)


def target(c: Finding) -> tuple:
    """A change as apply sees it: number, action, declared target, live half, reason."""
    want = None if c.desired is None else (c.desired.profile_id, c.desired.tcr_campaign_id)
    return c.number, c.action, want, c.live or UNSEEN, c.reason


@settings(max_examples=150, deadline=None)
@given(estates())
# A bulk task that sends again a number already ASSIGNED (resends 1), which estates() does not draw.
@example(make_plan(*state({P1: [(SH, [1, 2, 3])]}, {1: P1, 2: P1, 3: P1}, {3: (SH, "ASSIGNED")})))
def test_dump_then_load_gives_the_plan_back(plan):
    back = planfile.from_dict(json.loads(json.dumps(planfile.dump(plan))))
    assert back.checksum() == plan.checksum()
    # A saved plan keeps every change: those apply makes (with their preconditions) and those it only
    # reports (blocked, in flight, unmanaged), so apply of the file reports them as a fresh apply does
    # (a blocked declared number exits 4). The file keeps each declared number's target, not where the
    # files declared it; a number seen nowhere comes back as the live half UNSEEN.
    assert [target(c) for c in back.changes] == [target(c) for c in plan.changes]
    assert [(c.move, c.declared) for c in back.changes] == [(c.move, c.declared) for c in plan.changes]
    assert back.has_changes == plan.has_changes and [c.number for c in back.blocked] == [c.number for c in plan.blocked]
    # The desired halves are the saved desired state's numbers, not copies.
    assert all(c.desired is back.desired.numbers[c.number] for c in back.changes if c.desired is not None)
    assert back.profiles == plan.profiles and back.campaigns == plan.campaigns
    assert back.unhealthy == plan.unhealthy  # what `apply PLAN` says cannot send, as the plan said it
    assert (back.counts, back.warnings, back.unsafe, back.timeline, back.prune) == \
        (plan.counts, plan.warnings, plan.unsafe, plan.timeline, plan.prune)
    o, p = back.options, plan.options  # prune is saved resolved (the policy's, or the option's)
    assert (o.allow_unassign, o.allow_reassign, o.shared_per_number, o.prune) == \
        (p.allow_unassign, p.allow_reassign, p.shared_per_number, plan.prune)
    assert back.desired.numbers.keys() == plan.desired.numbers.keys()
    assert {n: (d.profile_id, d.tcr_campaign_id) for n, d in back.desired.numbers.items()} == \
        {n: (d.profile_id, d.tcr_campaign_id) for n, d in plan.desired.numbers.items()}
    assert {p.id: (p.name, p.campaigns) for p in back.desired.profiles.values()} == \
        {p.id: (p.name, p.campaigns) for p in plan.desired.profiles.values()}
    # The policy apply reads from the file: prune, and when it may run (the limits were judged at plan time).
    assert (back.desired.policy.prune, back.desired.policy.change_windows) == \
        (plan.desired.policy.prune, plan.desired.policy.change_windows)
    # What CI reads without rebuilding agrees with the plan.
    assert planfile.dump(back)["checksum"] == plan.checksum()


def test_save_load_and_the_summary_ci_reads(tmp_path):
    desired, live = state({P1: [(SH, [1, 2])]}, {1: P1, 2: None}, {1: (TX, "ASSIGNED")})
    plan = make_plan(desired, live)
    path = str(tmp_path / "plan.json")
    planfile.save(plan, path)
    assert planfile.load(path).checksum() == plan.checksum()
    summary = planfile.read_summary(path)
    assert (summary.checksum, summary.safe, summary.has_changes) == (plan.checksum(), plan.safe, plan.has_changes)


@pytest.mark.parametrize("edit,error", [
    (lambda d: d["preconditions"][0]["expect"].update(status="FAILED_ASSIGNMENT"), TamperedPlanError),
    # move and declared are derived from the change's two halves: a file that says otherwise was edited
    (lambda d: d["preconditions"][0].update(move=not d["preconditions"][0]["move"]), TamperedPlanError),
    (lambda d: d["preconditions"][0].update(declared=False), TamperedPlanError),
    (lambda d: d["preconditions"][0].update(profile_id=P2), TamperedPlanError),
    (lambda d: d["strategies"][P1].update(strategy="bulk-ish"), PlanFileError),
    (lambda d: d.pop("desired"), PlanFileError),
    (lambda d: d.update(schema_version=99), PlanFileError),
])
def test_an_edited_or_broken_file_is_refused(tmp_path, edit, error):
    desired, live = state({P1: [(SH, [1, 2])]}, {1: P1, 2: None}, {1: (TX, "ASSIGNED")})
    data = planfile.dump(make_plan(desired, live))
    edit(data)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(error):
        planfile.load(str(path))


def test_an_unsafe_plan_edited_to_call_itself_safe_is_refused(tmp_path):
    """The verdict is covered by the checksum: `apply PLAN` reads it from the file (the limits were the
    files' at plan time), so a file edited to drop it is not the plan reviewed (outside review)."""
    desired, live = state({P1: [(SH, [1, 2])]}, {1: P1, 2: None}, {1: (TX, "ASSIGNED")})
    desired = replace(desired, policy=Policy(max_reassign=0))
    plan = make_plan(desired, live)
    assert plan.unsafe and plan.checksum() != make_plan(state({P1: [(SH, [1, 2])]}, {1: P1, 2: None},
                                                              {1: (TX, "ASSIGNED")})[0], live).checksum()
    data = planfile.dump(plan)
    data.update(safe=True, unsafe=[])
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(TamperedPlanError):
        planfile.load(str(path))
    data.update(safe=True, unsafe=list(plan.unsafe))  # CI's gate reads the list, whatever `safe` says
    path.write_text(json.dumps(data), encoding="utf-8")
    assert planfile.read_summary(str(path)).safe is False and planfile.load(str(path)).checksum() == plan.checksum()


@settings(max_examples=150, deadline=None)
@given(estates())
def test_the_counted_shortcuts_say_what_a_pass_over_every_finding_says(plan):
    """make_plan gives the reports the changes per action (so a million findings are not walked
    for an action that has none): each report must say exactly what it says without them."""
    from reconciler.model import LiveState
    from reconciler.plan.report import safety, timeline_for, warnings_for

    counts = plan.counts  # per action value, as make_plan counted them
    changes = list(plan.changes)
    assert timeline_for(changes, plan.profiles, counts) == timeline_for(changes, plan.profiles)
    assert safety(plan.desired.policy, changes, plan.campaigns, plan.options, counts) == \
        safety(plan.desired.policy, changes, plan.campaigns, plan.options)
    live = LiveState()  # warnings_for reads nothing of it that the shortcuts change
    assert warnings_for(plan.desired, live, changes, plan.campaigns, plan.profiles, counts) == \
        warnings_for(plan.desired, live, changes, plan.campaigns, plan.profiles)


def _saved(tmp_path, data) -> str:
    path = tmp_path / "plan.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def _nested(depth: int) -> str:
    """A JSON object `depth` deep in all that is no saved plan."""
    return '{"kind": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


def _small_plan():
    desired, live = state({P1: [(SH, [1, 2])]}, {1: P1, 2: None}, {1: (TX, "ASSIGNED")})
    live.profiles[P1] = "marketing-café"
    return make_plan(desired, live, PlanOptions(allow_unassign=2, allow_reassign=7))


def test_the_saved_file_is_indented_json_with_every_field_apply_and_ci_read(tmp_path):
    """The saved plan is a public format (CI reads it, people review it): its fields by name."""
    plan = _small_plan()
    path = str(tmp_path / "plan.json")
    planfile.save(plan, path)
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    assert text.startswith('{\n  "schema_version": 1,\n') and text.endswith("\n}\n")
    d = json.loads(text)
    assert d["options"] == {"allow_unassign": 2, "allow_reassign": 7, "shared_per_number": False}
    assert d["profile_names"] == {P1: P1[:4]}  # the declared name wins over Telnyx's
    assert set(d["strategies"][P1]) == {"name", "declared", "exists", "strategy", "bulk_campaign", "note", "resends"}
    assert (d["strategies"][P1]["exists"], d["strategies"][P1]["resends"]) == (True, 0)
    assert d["desired"]["profiles"] == [{"id": P1, "name": P1[:4], "campaigns": [SH]}]
    assert d["desired"]["numbers"] == {"+13125550001": [P1, SH], "+13125550002": [P1, SH]}
    back = planfile.load(path)
    assert (back.options.allow_unassign, back.options.allow_reassign) == (2, 7)
    assert back.profile_names == {P1: P1[:4]}
    assert {p.id: (p.exists, p.resends) for p in back.profiles.values()} == \
        {p.id: (p.exists, p.resends) for p in plan.profiles.values()}


def test_a_change_whose_target_its_saved_desired_state_does_not_declare_is_refused(tmp_path):
    """`dump` takes a change's target and the desired state from the same number: a file where they
    differ was edited (its checksum recomputed), and apply must not write that target."""
    data = planfile.dump(_small_plan())
    data["preconditions"][0]["tcr_campaign_id"] = TX2
    with pytest.raises(planfile.Tampered, match=r"change \+13125550001: its target is not what the saved desired "
                                                r"state declares"):
        planfile.from_dict(data)


@pytest.mark.parametrize("content, message", [
    (None, "cannot read plan file: No such file or directory"),
    ("{", "not a JSON plan file: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    ("[1]", "malformed saved plan (the file holds no plan object); re-run `reconciler plan --out`"),
    ('{"kind": "plan"}', "malformed saved plan (not a saved plan (use `reconciler plan --out FILE`)); re-run "
                         "`reconciler plan --out`"),
    ('{"kind": "saved_plan", "schema_version": true}', "malformed saved plan (schema_version 'True', this "
                                                       "reconciler reads 1); re-run `reconciler plan --out`"),
    ('{"kind": "saved_plan", "schema_version": 1}', "malformed saved plan (no field 'desired'); re-run "
                                                    "`reconciler plan --out`"),
    ("[" * 100_000 + "]" * 100_000, "not a saved plan: JSON nested deeper than 32 levels"),
    (_nested(33), "not a saved plan: JSON nested deeper than 32 levels"),
    (_nested(32), "malformed saved plan (not a saved plan (use `reconciler plan --out FILE`)); re-run "
                  "`reconciler plan --out`"),  # 32 deep is read: the bound is on depth, not brackets
    # An edited version is quoted cut to 40 characters: a file cannot fill the terminal with it.
    ('{"kind": "saved_plan", "schema_version": "' + "9" * 100 + '"}', "malformed saved plan (schema_version '"
                                                                      + "9" * 40 + "', this reconciler reads 1); "
                                                                      "re-run `reconciler plan --out`"),
    ('{"kind": "x' + "[" * 40 + '"}', "malformed saved plan (not a saved plan (use `reconciler plan --out FILE`)); "
                                      "re-run `reconciler plan --out`"),  # brackets in a string do not nest
])
def test_a_file_that_is_not_a_saved_plan_is_named_with_what_is_wrong(tmp_path, content, message):
    path = str(tmp_path / "plan.json") if content is None else _saved(tmp_path, content)
    with pytest.raises(PlanFileError) as e:
        planfile.load(path)
    assert str(e.value) == f"{path}: {message}"
    assert not isinstance(e.value, TamperedPlanError)


def test_an_edited_change_is_refused_with_the_number_named(tmp_path):
    data = planfile.dump(_small_plan())
    data["preconditions"][0].update(move=not data["preconditions"][0]["move"])
    path = _saved(tmp_path, data)
    with pytest.raises(TamperedPlanError) as e:
        planfile.load(path)
    assert str(e.value) == (f"{path}: refused: change +13125550001: its move/profile/campaign do not follow from its "
                            "target and expected state; re-run `reconciler plan --out` and review it again")


def test_a_plan_of_exactly_the_size_bound_loads_and_one_byte_more_is_refused(tmp_path, monkeypatch):
    """The bound is on the file's bytes and named in MB: a plan padded to the bound is read, one byte
    more is not a saved plan (the real bound, 1 GiB, is lowered to 3 MiB here)."""
    monkeypatch.setattr(planfile, "MAX_PLAN_BYTES", 3 * 1024 ** 2)
    plan = _small_plan()
    text = json.dumps(planfile.dump(plan))
    at_bound = _saved(tmp_path, text + " " * (3 * 1024 ** 2 - len(text)))
    assert os.path.getsize(at_bound) == 3 * 1024 ** 2 and planfile.load(at_bound).checksum() == plan.checksum()
    over = _saved(tmp_path, text + " " * (3 * 1024 ** 2 + 1 - len(text)))
    with pytest.raises(PlanFileError) as e:
        planfile.load(over)
    assert str(e.value) == f"{over}: not a saved plan: larger than 3 MB"


def test_a_plan_file_that_never_ends_is_read_no_further_than_the_bound(tmp_path, monkeypatch):
    """`apply` given a pipe fed without end (or /dev/zero) stops at the bound and refuses it, rather
    than reading until memory runs out: the writer is cut off (EPIPE) long before it is done."""
    monkeypatch.setattr(planfile, "MAX_PLAN_BYTES", 1000)
    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    chunk, chunks, written = b" " * 65536, 256, []

    def feed() -> None:
        try:
            with open(fifo, "wb") as fh:  # opens when the reader does
                for _ in range(chunks):  # 16 MiB, then the end: a reader that reads it all returns too
                    fh.write(chunk)
                    written.append(len(chunk))
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=feed)
    writer.start()
    with pytest.raises(PlanFileError, match=r"plan.json: not a saved plan: larger than 0 MB$"):
        planfile.load(str(fifo))
    writer.join(timeout=60)
    assert sum(written) < 16 * len(chunk)  # the pipe's buffer and the bound, not the 256 chunks


@pytest.mark.parametrize("content, message", [
    ('{"kind": "plan", "checksum": "x", "unsafe": []}', "not a saved plan (use `reconciler plan --out FILE`)"),
    ("[]", "not a saved plan (use `reconciler plan --out FILE`)"),
    ('{"kind": "saved_plan", "checksum": 1, "unsafe": []}', "malformed saved plan (checksum, unsafe); re-run "
                                                            "`reconciler plan --out`"),
    ('{"kind": "saved_plan", "checksum": "x", "unsafe": "no"}', "malformed saved plan (checksum, unsafe); re-run "
                                                                "`reconciler plan --out`"),
    ('{"kind": "saved_plan", "checksum": "x", "unsafe": [1]}', "malformed saved plan (checksum, unsafe); re-run "
                                                               "`reconciler plan --out`"),
])
def test_the_summary_ci_reads_refuses_what_is_not_a_saved_plan(tmp_path, content, message):
    path = _saved(tmp_path, content)
    with pytest.raises(PlanFileError) as e:
        planfile.read_summary(path)
    assert str(e.value) == f"{path}: {message}"


def test_the_summary_ci_reads_carries_the_unsafe_reasons(tmp_path):
    path = _saved(tmp_path, {"kind": "saved_plan", "checksum": "abc", "unsafe": ["over max_unassign 0"],
                             "safe": False, "has_changes": True})
    assert planfile.read_summary(path) == planfile.PlanSummary("abc", False, True, ("over max_unassign 0",))
    path = _saved(tmp_path, {"kind": "saved_plan", "checksum": "abc", "unsafe": [], "safe": "yes", "has_changes": 1})
    assert planfile.read_summary(path) == planfile.PlanSummary("abc", False, False, ())  # only `true` is true


CHECKSUM = "its contents do not match its checksum (was the file edited after review?)"
NOT_WRITTEN = "a change listed as not written would write, or a precondition would not"


@pytest.mark.parametrize("edit, why", [
    (lambda d: d.update(not_written=[]), CHECKSUM),  # the blocked number dropped: the merge's apply would be green
    (lambda d: d["not_written"][0].update(action="assign"), NOT_WRITTEN),  # a blocked number turned into a write
    (lambda d: d["preconditions"].append(d["not_written"].pop(0)), NOT_WRITTEN),  # moved among the writes
], ids=["dropped", "made-a-write", "moved-to-writes"])
def test_the_blocked_numbers_of_a_saved_plan_cannot_be_edited_away(tmp_path, edit, why):
    desired, live = state({P1: [(TX, [1]), ("CPEND01", [2])]}, {1: P1, 2: P1}, {})
    plan = make_plan(desired, live)
    assert [c.number for c in plan.blocked] == ["+13125550002"] and plan.has_changes
    path = tmp_path / "plan.json"
    planfile.save(plan, str(path))
    assert [c.number for c in planfile.load(str(path)).blocked] == ["+13125550002"]
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(TamperedPlanError) as e:
        planfile.load(str(path))
    assert str(e.value) == f"{path}: refused: {why}; re-run `reconciler plan --out` and review it again"


def test_a_saved_plan_whose_not_written_list_is_no_list_is_malformed(tmp_path):
    data = planfile.dump(_small_plan())
    data["not_written"] = "none"
    path = _saved(tmp_path, data)
    with pytest.raises(PlanFileError) as e:
        planfile.load(path)
    assert str(e.value) == f"{path}: malformed saved plan (not_written is not a list); re-run `reconciler plan --out`"


def test_a_plan_without_change_windows_is_saved_with_the_policy_0_1_0_wrote():
    """No `change_windows` key at all where the files declare none: such a file (and its checksum)
    is what 0.1.0 wrote for the same plan (tests/compat)."""
    d = planfile.dump(_small_plan())
    assert d["desired"]["policy"] == {"prune": False}
    assert "change_windows" not in planfile.plan_dict(_small_plan())


def test_the_json_plan_groups_changes_by_profile_with_numbers_on_no_profile_last():
    """`plan --format json`'s profiles: every declared profile by id (one with nothing to do too),
    then the numbers on no profile under "(none)", with no strategy; each change under the campaign
    it is on. An undeclared number left on a declared profile with no campaign says how to clear it
    (one on a campaign does not need to); the blast radius counts every blocked number."""
    desired, live = state({P1: [(SH, [1, 2]), ("CPEND01", [3, 4])], P2: [(TX, [5])]},
                          {1: P1, 2: None, 3: P1, 4: P1, 5: P2, 6: P1, 7: P1, 8: None},
                          {5: (TX, "ASSIGNED"), 7: (TX2, "ASSIGNED"), 8: (SH, "ASSIGNED")}, prune=True)
    plan = make_plan(desired, live)
    d = planfile.plan_dict(plan)
    assert [(g["id"], g["declared"], g["strategy"], g["resends"], g["note"]) for g in d["profiles"]] == [
        (P1, True, "per_number", 0, plan.profiles[P1].note), (P2, True, "none", 0, None),
        ("(none)", False, "none", 0, None)]
    assert plan.profiles[P1].note.startswith("shared campaign CSHARE1 would need per-number assignment")
    changes = {(g["id"], c["tcr_campaign_id"]): [(x["number"][-2:], x["action"], x.get("reason")) for x in c["changes"]]
               for g in d["profiles"] for c in g["campaigns"]}
    assert {k: [(n, a) for n, a, _ in v] for k, v in changes.items()} == {
        (P1, "(none)"): [("06", "unmanaged")], (P1, "CPEND01"): [("03", "blocked"), ("04", "blocked")],
        (P1, SH): [("01", "blocked"), ("02", "blocked")], (P1, TX2): [("07", "unmanaged")],
        ("(none)", SH): [("08", "blocked")]}
    assert changes[P1, "(none)"][0][2] == ("on a declared profile with no campaign: declare, or move off the profile "
                                           "(numbers without a campaign keep a profile from bulk assignment)")
    assert changes[P1, TX2][0][2] is None
    assert d["blast_radius"]["blocked"] == 5


@pytest.mark.parametrize("shared_per_number", [False, True])
def test_a_json_change_that_stops_a_sending_number_says_whether_certainly_and_why(shared_per_number):
    """Sending numbers reassigned to a shared campaign on a bulk profile are freed first (they stop
    for certain, and the change says why); with --shared-per-number they are written in place and
    may not stop at all."""
    desired, live = state({P1: [(SH, [1, 2])]}, {1: P1, 2: P1}, {1: (TX, "ASSIGNED"), 2: (TX, "ASSIGNED")})
    plan = make_plan(desired, live, PlanOptions(shared_per_number=shared_per_number))
    (group,) = planfile.plan_dict(plan)["profiles"]
    (campaign,) = group["campaigns"]
    freed = {"interrupts": "certainly", "freed_first": "a bulk task does not take a number another campaign holds, "
             "and Telnyx documents no per-number move to a shared campaign: it is freed first, then assigned "
             "(`reconciler resume`)"}
    assert campaign["changes"] == [
        {"number": n, "action": "reassign", **({"interrupts": "possibly"} if shared_per_number else freed),
         "from_campaign": TX, "status": "ASSIGNED"} for n in ("+13125550001", "+13125550002")]


def test_the_json_plan_names_a_declared_campaign_telnyx_does_not_know_with_no_kind():
    desired, live = state({P1: [(GONE, [1])]}, {1: P1}, {})
    (entry,) = planfile.plan_dict(make_plan(desired, live))["unhealthy_campaigns"]
    assert (entry["tcr_campaign_id"], entry["kind"], entry["campaign_status"], entry["numbers_declared"]) == \
        (GONE, None, None, 1)
    assert entry["problem"].startswith(f"campaign {GONE} is not known to this Telnyx account")


def test_the_json_plan_of_files_with_change_windows_lists_them_with_its_verdict():
    """A plan that stops no sending number is never held, whatever the time (contract, change windows)."""
    weekend = WINDOWS[1][0]
    desired, live = state({P1: [(SH, [1])]}, {1: P1}, {}, policy=Policy(change_windows=(weekend,)))
    d = planfile.plan_dict(make_plan(desired, live))
    assert d["change_windows"]["windows"] == [{"days": ["sat", "sun"], "start": "02:00", "end": "06:00",
                                               "timezone": "America/Chicago"}]
    assert d["change_windows"]["apply_held"] is False
