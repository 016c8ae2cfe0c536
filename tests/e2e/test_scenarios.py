"""End-to-end: the CLI against the sandbox on loopback, under every sandbox mode."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.faults.hostile_cases import Ctx, section

from .conftest import MODE_SETS, MODES

PA = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"  # shared campaign CHR0001, bulk by profile
PB = "7b1e3c52-9a4f-4d8e-b6a2-1f0c9d8e7a65"  # two Telnyx campaigns: per number
PC = "9d2c4b6a-1e3f-4a5b-8c7d-0e1f2a3b4c5d"  # a pending share
PX = "0c9a7f3e-2b1d-4e5f-8a6b-3c2d1e0f9a8b"  # undeclared profile

ESTATE_SEED: dict[str, Any] = {
    "messaging_profiles": [{"id": PA, "name": "alpha"}, {"id": PB, "name": "bravo"}, {"id": PC, "name": "charlie"},
                           {"id": PX, "name": "x-ray"}],
    "phone_numbers": [
        {"phone_number": "+13125550101", "messaging_profile_id": None},
        {"phone_number": "+13125550102", "messaging_profile_id": PA},
        {"phone_number": "+13125550103", "messaging_profile_id": PA},
        {"phone_number": "+13125550104", "messaging_profile_id": PX},
        {"phone_number": "+13125550105", "messaging_profile_id": PA},
        {"phone_number": "+13125550201", "messaging_profile_id": PB},
        {"phone_number": "+13125550202", "messaging_profile_id": PB},
        {"phone_number": "+13125550203", "messaging_profile_id": None},
        {"phone_number": "+13125550301", "messaging_profile_id": PC},
        {"phone_number": "+13125550901", "messaging_profile_id": PX},
    ],
    "campaigns": [
        {"tcr_campaign_id": "CHR0001", "kind": "shared", "sharing_status": "ACCEPTED",
         "campaign_status": "MNO_PROVISIONED"},
        {"tcr_campaign_id": "CTLX001", "kind": "telnyx", "campaign_status": "MNO_PROVISIONED"},
        {"tcr_campaign_id": "CTLX002", "kind": "telnyx", "campaign_status": "MNO_PROVISIONED"},
        {"tcr_campaign_id": "CTLX009", "kind": "telnyx", "campaign_status": "MNO_PROVISIONED"},
        {"tcr_campaign_id": "CPEND01", "kind": "shared", "sharing_status": "PENDING",
         "campaign_status": "TCR_ACCEPTED"},
    ],
    "assignments": [
        {"phone_number": "+13125550103", "tcr_campaign_id": "CTLX009", "status": "ASSIGNED"},
        {"phone_number": "+13125550104", "tcr_campaign_id": "CHR0001", "status": "ASSIGNED"},
        {"phone_number": "+13125550105", "tcr_campaign_id": "CHR0001", "status": "ASSIGNED"},
        {"phone_number": "+13125550201", "tcr_campaign_id": "CTLX002", "status": "ASSIGNED"},
        {"phone_number": "+13125550901", "tcr_campaign_id": "CTLX009", "status": "ASSIGNED"},
    ],
}
SHARED = "CHR0001"
DESIRED: dict[str, Any] = {
    "version": 1,
    "profiles": [
        {"id": PA, "name": "alpha", "campaigns": [
            {"tcr_campaign_id": SHARED, "numbers": [f"+1312555010{i}" for i in range(1, 6)]}]},
        {"id": PB, "name": "bravo", "campaigns": [
            {"tcr_campaign_id": "CTLX001", "numbers": ["+13125550201", "+13125550203"]},
            {"tcr_campaign_id": "CTLX002", "numbers": ["+13125550202"]}]},
    ],
}
EXPECTED = {**{f"+1312555010{i}": (SHARED, "ASSIGNED") for i in range(1, 6)},
            "+13125550201": ("CTLX001", "ASSIGNED"), "+13125550203": ("CTLX001", "ASSIGNED"),
            "+13125550202": ("CTLX002", "ASSIGNED"), "+13125550901": ("CTLX009", "ASSIGNED")}


def _converge(env: Any) -> None:
    r = env.run("apply", "--auto-approve", "--timeout", "30")
    if r.code == 5:
        # Not accepted: only when Telnyx's answer to a bulk task was lost (mode write_fault=after),
        # and said so; the next apply judges it against live state and finishes, without repeating it.
        assert "not accepted" in r.out and env.counters()["status"].get("500"), r.out + r.err
        r = env.run("apply", "--auto-approve", "--until", "final", "--timeout", "30")
    assert r.code == 0, r.out + r.err
    assert env.assignments() == EXPECTED
    profiles = env.profiles_of_numbers()
    assert all(profiles[n] == PA for n in EXPECTED if n.startswith("+1312555010"))
    assert profiles["+13125550203"] == PB and profiles["+13125550901"] == PX  # undeclared: untouched


def test_the_mode_sets_make_test_runs_take_every_value_of_every_mode():
    """`make test` keeps the sets not marked slow: between them, each mode's every value once."""
    quick = [p.values[0] for p in MODE_SETS if not any(m.name == "slow" for m in p.marks)]
    for name, values in MODES.items():
        assert {sets.get(name, values[0]) for sets in quick} == set(values), name


@pytest.mark.parametrize("modes", MODE_SETS)
def test_adopt_converges_then_reapply_is_a_noop(make_env, modes):
    env = make_env(seed=ESTATE_SEED, desired=None, modes=modes)
    env.write_desired(DESIRED)
    plan = env.run("plan", "--detailed-exitcode")
    assert plan.code == 2, plan.err
    assert "bulk assignment by profile to CHR0001" in plan.out
    _converge(env)
    drift = env.run("drift")
    assert drift.code == 0, drift.out
    env.reset_counters()
    again = env.run("apply", "--auto-approve")
    assert again.code == 0 and "Nothing to apply" in again.out
    assert env.counters()["writes"] == 0


def test_demo_example_adopts_and_drift_is_clean(make_env):
    env = make_env()
    assert env.run("validate").code == 0
    r = env.run("apply", "--auto-approve")
    assert r.code == 0, r.out + r.err
    assert env.run("drift").code == 0


def test_drift_classifies_out_of_band_changes(make_env):
    env = make_env(seed=ESTATE_SEED, desired=None)
    env.write_desired(DESIRED)
    _converge(env)
    env.admin.delete("/assignments/%2B13125550102").raise_for_status()
    env.admin.put("/assignments/%2B13125550201", json={"tcr_campaign_id": "CTLX009", "status": "ASSIGNED"}
                  ).raise_for_status()
    env.admin.put("/numbers/%2B13125550999", json={"messaging_profile_id": PB}).raise_for_status()
    r = env.run("drift", "--format", "json")
    assert r.code == 2
    d = json.loads(r.out)
    got = {k: sorted(i["number"] for i in v) for k, v in d["items"].items() if v}
    # +13125550102 has no campaign: the journal shows we assigned it, so someone removed it.
    assert got == {"out_of_band": ["+13125550102", "+13125550201"], "unmanaged": ["+13125550999"]}
    r = env.run("drift", "--format", "json", "--state-dir", "elsewhere")  # a runner with no state folder
    got = {k: sorted(i["number"] for i in v) for k, v in json.loads(r.out)["items"].items() if v}
    assert got == {"unapplied": ["+13125550102"], "out_of_band": ["+13125550201"], "unmanaged": ["+13125550999"]}


def test_undeclared_number_on_a_shared_profile_blocks_bulk(make_env):
    env = make_env(seed=ESTATE_SEED, desired=None)
    env.write_desired(DESIRED)
    _converge(env)
    env.admin.delete("/assignments/%2B13125550102").raise_for_status()
    env.admin.put("/numbers/%2B13125550999", json={"messaging_profile_id": PA}).raise_for_status()
    plan = env.run("plan")
    assert "give CHR0001 its own messaging profile" in plan.out
    env.reset_counters()
    r = env.run("apply", "--auto-approve")
    assert r.code == 4, r.out + r.err  # a blocked declared number: apply cannot converge (contract)
    assert env.counters()["writes"] == 0  # bulk would have swept +13125550999 into CHR0001
    assert "+13125550999" not in env.assignments()


def test_prune_off_leaves_unmanaged_alone_and_prune_on_removes_only_their_campaign(make_env):
    env = make_env(seed=ESTATE_SEED, desired=None)
    doc = json.loads(json.dumps(DESIRED))
    doc["profiles"][1]["campaigns"].append({"tcr_campaign_id": "CTLX009", "numbers": []})
    env.write_desired(doc)
    assert env.run("apply", "--auto-approve").code == 0
    assert env.assignments()["+13125550901"] == ("CTLX009", "ASSIGNED")  # unmanaged, prune off
    plan = env.run("plan", "--prune")
    assert "+13125550901" in plan.out and "unassign" in plan.out
    r = env.run("apply", "--auto-approve", "--prune")
    assert r.code == 0, r.out + r.err
    assert "+13125550901" not in env.assignments()
    assert env.profiles_of_numbers()["+13125550901"] == PX  # only its campaign was removed


def test_an_edited_saved_plan_is_refused_and_a_broken_one_is_an_error_without_class_names(make_env):
    env = make_env(seed=ESTATE_SEED, desired=None)
    env.write_desired(DESIRED)
    assert env.run("plan", "--out", "plan.json").code == 0
    path = env.workdir / "plan.json"
    doc = json.loads(path.read_text())
    reviewed = doc["preconditions"][0]["tcr_campaign_id"]
    doc["preconditions"][0]["tcr_campaign_id"] = "CTLX009"  # steer a reviewed change elsewhere
    path.write_text(json.dumps(doc))
    r = env.run("apply", "plan.json")
    # The target no longer matches the saved desired state: refused before the checksum is looked at.
    assert r.code == 3 and "refused: change" in r.err and "its target is not what the saved desired state declares" \
        in r.err, r.out + r.err
    assert "Error" not in r.err and env.counters()["writes"] == 0
    doc["preconditions"][0]["tcr_campaign_id"] = reviewed
    doc["preconditions"][0]["reason"] = "edited after review"  # any other edit: the checksum says so
    path.write_text(json.dumps(doc))
    r = env.run("apply", "plan.json")
    assert r.code == 3 and "refused" in r.err and "checksum" in r.err, r.out + r.err
    assert env.counters()["writes"] == 0
    r = env.run("apply", "plan.json", "--prune", "--profile", PA)  # would change what was reviewed
    assert r.code == 1 and "--profile, --prune/--no-prune cannot change a saved plan" in r.err, r.err
    del doc["strategies"]
    path.write_text(json.dumps(doc))
    r = env.run("apply", "plan.json")
    assert r.code == 1 and "malformed saved plan (no field 'strategies')" in r.err, r.out + r.err
    assert "KeyError" not in r.err


class _Matches(str):
    """A checksum that matches any: lets the test rebuild an edited plan to recompute its checksum."""

    def __ne__(self, other: object) -> bool:
        return False


def test_a_plan_file_edited_with_its_checksum_recomputed_is_caught_only_by_the_reviewed_checksum(make_env):
    """Outside review (attacker): the file's checksum is plain SHA-256 over its content, so an edit with
    the checksum recomputed is applied by `apply PLAN`; `--expect-checksum` with the reviewed one refuses
    it, and `apply PLAN` without it says so on stderr when no one is at a terminal."""
    from reconciler import planfile

    env = make_env()
    plan = env.run("plan", "--out", "plan.json")
    assert plan.code == 0, plan.out + plan.err
    path = env.workdir / "plan.json"
    doc = json.loads(path.read_text())
    reviewed = doc["checksum"]
    (c,) = [c for c in doc["preconditions"] if c["number"] == "+13125550201"]
    assert c["tcr_campaign_id"] == "CALERT7"
    # Steer the number to another declared campaign, its saved desired state with it, and recompute.
    c["tcr_campaign_id"] = "CNOTIF9"
    doc["desired"]["numbers"]["+13125550201"][1] = "CNOTIF9"
    doc["checksum"] = _Matches("")
    doc["checksum"] = planfile.from_dict(doc).checksum()
    assert doc["checksum"] != reviewed
    path.write_text(json.dumps(doc))

    env.reset_counters()
    r = env.run("apply", "plan.json", "--expect-checksum", reviewed)
    assert r.code == 3 and f"not the reviewed {reviewed}" in r.err, r.out + r.err
    assert "note: a saved plan's own checksum" not in r.err  # pinned: nothing to say
    assert env.counters()["writes"] == 0
    r = env.run("apply", "plan.json")  # the file's own checksum holds: applied as edited
    assert r.code == 0, r.out + r.err
    assert ("note: a saved plan's own checksum catches accidental edits only; apply a plan file from anyone else "
            "with --expect-checksum <the checksum you reviewed>") in r.err.splitlines()
    assert env.assignments()["+13125550201"][0] == "CNOTIF9"


def test_stale_saved_plan_is_refused_per_change(make_env, tmp_path):
    env = make_env(seed=ESTATE_SEED, desired=None)
    env.write_desired(DESIRED)
    assert env.run("plan", "--out", "plan.json").code == 0
    # Someone assigns +13125550202 elsewhere after review.
    env.admin.put("/assignments/%2B13125550202", json={"tcr_campaign_id": "CTLX009", "status": "ASSIGNED"}
                  ).raise_for_status()
    r = env.run("apply", "plan.json", "--auto-approve")
    assert r.code == 3, r.out + r.err
    assert "+13125550202" in r.out and "stale" in r.out
    a = env.assignments()
    assert a["+13125550202"] == ("CTLX009", "ASSIGNED")  # the stale change was skipped
    assert a["+13125550203"] == ("CTLX001", "ASSIGNED")  # the others were applied


def test_pending_share_is_blocked_and_nothing_is_written_for_it(make_env):
    env = make_env(seed=ESTATE_SEED, desired=None)
    doc = json.loads(json.dumps(DESIRED))
    doc["profiles"].append({"id": PC, "campaigns": [{"tcr_campaign_id": "CPEND01", "numbers": ["+13125550301"]}]})
    env.write_desired(doc)
    plan = env.run("plan")
    assert "sharing status is PENDING, not ACCEPTED" in plan.out
    r = env.run("apply", "--auto-approve")
    assert r.code == 4, r.out + r.err  # everything else converged; the blocked number makes it 4
    assert "blocked" in r.out and "+13125550301" in r.out
    assert all(v == ("ASSIGNED") for k, (_, v) in env.assignments().items())
    assert "+13125550301" not in env.assignments()
    assert env.run("drift").code == 2


def test_import_round_trip_gives_an_empty_plan(make_env):
    env = make_env(seed=ESTATE_SEED, desired=None)
    env.write_desired(DESIRED)
    assert env.run("apply", "--auto-approve").code == 0
    (env.desired / "main.yaml").unlink()
    r = env.run("import", "--all-profiles", "--out", "desired-state")
    assert r.code == 0, r.err
    assert env.run("validate").code == 0
    plan = env.run("plan", "--detailed-exitcode")
    assert plan.code == 0, plan.out


def run_clock(env, scale: float) -> None:
    """Set the sandbox's virtual clock running at `scale` from where it stands (no jump)."""
    clock = env.sb.app.world.clock

    def set_scale() -> None:
        before = clock.now()
        clock.scale = scale
        clock.offset += before - clock.now()
    env.sb.call(set_scale)


def test_no_wait_then_converge(make_env):
    # Profile moves are always waited for (a campaign needs the profile first), so start
    # with every number on its profile: only assignments are left in flight.
    seed = json.loads(json.dumps(ESTATE_SEED))
    for n in seed["phone_numbers"]:
        n["messaging_profile_id"] = {"010": PA, "020": PB}.get(n["phone_number"][-4:-1], n["messaging_profile_id"])
    # Each step takes Telnyx 4 (virtual) s. The clock stands still until drift has looked, so the
    # work is in flight however slow this machine is; then it runs 8x (0.5 s a step), not 30 s of waiting.
    env = make_env(seed=seed, desired=None, assignment_delay=4.0, time_scale=0)
    env.write_desired(DESIRED)
    r = env.run("apply", "--auto-approve", "--no-wait")
    assert r.code == 0, r.out + r.err
    assert "submitted" in r.out
    drift = env.run("drift", "--format", "json")
    assert json.loads(drift.out)["counts"]["in_flight"] > 0
    run_clock(env, 8.0)
    r = env.run("apply", "--auto-approve", "--until", "final", "--timeout", "60")
    assert r.code == 0, r.out + r.err
    assert env.assignments() == EXPECTED
    assert env.run("drift").code == 0


def test_many_existing_assignments_paginate(make_env):
    profile = PA
    numbers = [f"+1415555{i:04d}" for i in range(1300)]
    seed = {
        "messaging_profiles": [{"id": profile, "name": "big"}],
        "phone_numbers": [{"phone_number": n, "messaging_profile_id": profile} for n in numbers],
        "campaigns": [{"tcr_campaign_id": "CBIG001", "kind": "shared", "sharing_status": "ACCEPTED",
                       "campaign_status": "MNO_PROVISIONED", "number_pooling": True}],
        "assignments": [{"phone_number": n, "tcr_campaign_id": "CBIG001", "status": "ASSIGNED"} for n in numbers],
    }
    env = make_env(seed=seed, desired=None)
    env.write_desired({"version": 1, "profiles": [{"id": profile, "campaigns": [
        {"tcr_campaign_id": "CBIG001", "numbers": numbers}]}]})
    r = env.run("plan", "--detailed-exitcode", "--format", "json")
    assert r.code == 0, r.out + r.err
    assert json.loads(r.out)["counts"]["numbers_declared"] == 1300


def test_subset_runs_touch_only_the_chosen_profile_or_campaign(make_env):
    env = make_env(seed=ESTATE_SEED, desired=None)
    env.write_desired(DESIRED)
    plan = env.run("plan", "--profile", PB, "--format", "json")
    d = json.loads(plan.out)
    assert {p["id"] for p in d["profiles"] if p["campaigns"]} == {PB}
    before = env.assignments()
    r = env.run("apply", "--auto-approve", "--campaign", "CTLX002")
    assert r.code == 0, r.out + r.err
    after = env.assignments()
    assert after["+13125550202"] == ("CTLX002", "ASSIGNED")
    changed = {n for n in set(before) | set(after) if before.get(n) != after.get(n)}
    assert changed == {"+13125550202"}
    assert env.run("apply", "--auto-approve", "--profile", PB).code == 0
    assert env.assignments()["+13125550201"] == ("CTLX001", "ASSIGNED")
    assert env.assignments()["+13125550103"] == ("CTLX009", "ASSIGNED")  # alpha not touched yet


@pytest.mark.slow
@pytest.mark.parametrize("modes", MODE_SETS)
def test_out_of_band_changes_heal_and_import_round_trips_under_every_mode(make_env, modes):
    env = make_env(seed=ESTATE_SEED, desired=None, modes=modes)
    env.write_desired(DESIRED)
    _converge(env)
    env.admin.delete("/assignments/%2B13125550102").raise_for_status()
    env.admin.put("/assignments/%2B13125550201", json={"tcr_campaign_id": "CTLX009", "status": "ASSIGNED"}
                  ).raise_for_status()
    env.admin.put("/numbers/%2B13125550105", json={"messaging_profile_id": PX}).raise_for_status()
    assert env.run("drift").code == 2
    _converge(env)
    assert env.run("drift").code == 0
    (env.desired / "main.yaml").unlink()
    assert env.run("import", "--profile", PA, "--profile", PB, "--out", "desired-state").code == 0
    assert env.run("plan", "--detailed-exitcode").code == 0


def _over_max_reassign(make_env):
    """The estate converged, then both numbers of CTLX001 redeclared for CTLX002 under max_reassign 1:
    2 would change campaign."""
    env = make_env(seed=ESTATE_SEED, desired=None)
    env.write_desired(DESIRED)
    _converge(env)
    doc = json.loads(json.dumps(DESIRED))
    doc["profiles"][1]["campaigns"] = [{"tcr_campaign_id": "CTLX002", "numbers": [
        "+13125550201", "+13125550202", "+13125550203"]}]
    doc["policy"] = {"max_reassign": 1}
    env.write_desired(doc)
    return env


def test_unsafe_plan_is_refused_until_exactly_that_count_is_allowed(make_env):
    env = _over_max_reassign(make_env)
    plan = env.run("plan", "--detailed-exitcode")
    assert plan.code == 2
    assert "UNSAFE" in plan.out and "over max_reassign 1 by 1" in plan.out
    env.reset_counters()
    r = env.run("apply", "--auto-approve")
    assert r.code == 3 and "unsafe" in r.err
    assert env.counters()["writes"] == 0
    assert env.run("apply", "--auto-approve", "--allow-reassign", "3").code == 3  # not the reviewed count
    r = env.run("apply", "--auto-approve", "--allow-reassign", "2")
    assert r.code == 0, r.out + r.err
    assert env.assignments()["+13125550203"] == ("CTLX002", "ASSIGNED")


def test_a_saved_unsafe_plan_is_told_how_to_be_made_again_and_the_allowed_one_says_so(make_env):
    """Outside review: `apply plan1.json` advised "re-run with --allow-reassign N", which a saved plan refuses
    (exit 1); the advice now names `reconciler plan --allow-reassign N --out FILE`, then `apply FILE`, and
    following it works. The allowed plan says, in text, markdown and JSON, that a limit was overridden."""
    env = _over_max_reassign(make_env)
    assert env.run("plan", "--out", "plan1.json").code == 0
    env.reset_counters()
    r = env.run("apply", "plan1.json")
    assert r.code == 3, r.out + r.err
    advice = ("make it again with `reconciler plan --allow-reassign 2 --out FILE` (and the --desired, --profile, … "
              "it was made with), review it, then `reconciler apply FILE`")
    assert advice in r.err and advice in r.out and "re-run with" not in r.err + r.out
    assert env.counters()["writes"] == 0
    r = env.run("apply", "plan1.json", "--allow-reassign", "2")  # what the old advice led to
    assert r.code == 1 and "give it to `reconciler plan --out FILE` instead (with the same --desired and --profile), review that plan, then `reconciler apply FILE`" in r.err, r.err

    said = "over max_reassign, allowed by --allow-reassign 2"  # CTLX001 holds 2: under 10, no percent limit
    allowed = env.run("plan", "--allow-reassign", "2", "--out", "plan2.json")
    assert allowed.code == 0 and f"Safety: 2 numbers reassign, {said}" in allowed.out, allowed.out
    assert said in env.run("plan", "--allow-reassign", "2", "--format", "markdown").out.replace("\\_", "_")
    assert json.loads(env.run("plan", "--allow-reassign", "2", "--format", "json").out)["safety_overridden"] == [
        f"2 numbers reassign, {said}"]
    r = env.run("apply", "plan2.json")
    assert r.code == 0, r.out + r.err
    assert f"Safety: 2 numbers reassign, {said}" in r.out
    assert env.assignments()["+13125550202"] == ("CTLX002", "ASSIGNED")


def test_apply_without_approval_refuses_off_a_terminal(make_env):
    env = make_env(seed=ESTATE_SEED, desired=None)
    env.write_desired(DESIRED)
    env.reset_counters()
    r = env.run("apply")
    assert r.code == 3 and "--auto-approve" in r.err
    assert env.counters()["writes"] == 0


def test_saved_bulk_plan_is_stale_when_an_undeclared_number_joins_the_profile(make_env):
    env = make_env(seed=ESTATE_SEED, desired=None)
    env.write_desired(DESIRED)
    assert env.run("plan", "--out", "plan.json").code == 0
    env.admin.put("/numbers/%2B13125550199", json={"messaging_profile_id": PA}).raise_for_status()
    r = env.run("apply", "plan.json", "--auto-approve")
    assert r.code == 3, r.out + r.err
    assert "+13125550199" not in env.assignments()  # the bulk would have swept it into CHR0001
    assert env.assignments()["+13125550203"] == ("CTLX001", "ASSIGNED")  # bravo was still applied


def test_subset_of_an_undeclared_profile_is_an_error(make_env):
    env = make_env(seed=ESTATE_SEED, desired=None)
    env.write_desired(DESIRED)
    r = env.run("plan", "--profile", PX)
    assert r.code == 1 and f"profile {PX} not declared" in r.err
    r = env.run("plan", "--campaign", "chr0001")  # the case of a TCR id matters; say so
    assert r.code == 1 and "TCR ids are upper case: CHR0001" in r.err, r.err
    r = env.run("plan", "--profile", PA.upper())
    assert r.code == 1 and f"ids are lower case: {PA}" in r.err, r.err


def test_a_set_but_empty_base_url_is_an_error_never_production(make_env):
    env = make_env(seed=ESTATE_SEED, desired=None)
    env.write_desired(DESIRED)
    for cmd in (["plan"], ["drift"], ["status"], ["apply", "--auto-approve"]):
        r = env.run(*cmd, env={"TELNYX_API_BASE_URL": ""})
        assert r.code == 1 and "TELNYX_API_BASE_URL is set but empty" in r.err, (cmd, r.err)
    assert env.counters()["writes"] == 0


def test_import_points_editors_at_the_schema_from_any_depth(make_env):
    env = make_env(seed=ESTATE_SEED, desired=None)
    env.write_desired(DESIRED)
    assert env.run("apply", "--auto-approve").code == 0
    # Outside a repository that holds the schema, no line points editors nowhere; `init` is named.
    bare = env.run("import", "--all-profiles", "--out", "bare.yaml")
    assert bare.code == 0 and "reconciler init" in bare.err, bare.err
    assert "yaml-language-server" not in (env.workdir / "bare.yaml").read_text()
    (env.workdir / "schemas").mkdir()
    (env.workdir / "schemas" / "desired-state.schema.json").write_text("{}")
    deep = env.run("import", "--all-profiles", "--out", "ops/estate/all.yaml")
    assert deep.code == 0, deep.err
    first = (env.workdir / "ops" / "estate" / "all.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schemas/desired-state.schema.json"


def test_import_refuses_a_file_plan_would_never_read(make_env):
    env = make_env(seed=ESTATE_SEED, desired=None)
    r = env.run("import", "--all-profiles", "--out", "estate.txt")
    assert r.code == 1 and "only *.yaml and *.yml" in r.err and "Traceback" not in r.err, r.err
    assert not (env.workdir / "estate.txt").exists() and env.counters()["reads"] == 0


@pytest.fixture(scope="module")
def hostile_ctx(tmp_path_factory):
    with Ctx(tmp_path_factory.mktemp("hostile"), fast=True) as c:
        yield c


@pytest.mark.parametrize("attack", section("paths"), ids=lambda a: a.name)
def test_paths_from_hostile_data_stay_where_they_belong(attack, hostile_ctx):
    """Ids that would become paths, names that would become file names, links planted where import
    writes or in --desired: tests/faults/hostile_cases.py's "paths" section (also in `make faults`)."""
    verdicts = attack.run(hostile_ctx)
    assert verdicts and not [v for v in verdicts if v], [v for v in verdicts if v]


def test_validate_warns_when_the_state_folder_is_committed(make_env):
    import subprocess

    env = make_env(seed=ESTATE_SEED, desired=None)
    env.write_desired(DESIRED)
    git = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e", "PATH": __import__("os").environ["PATH"]}
    subprocess.run(["git", "init", "-q"], cwd=env.workdir, check=True, env=git)
    assert "state folder" not in env.run("validate").err
    (env.workdir / ".reconciler").mkdir()
    (env.workdir / ".reconciler" / "journal.jsonl").write_text("")
    subprocess.run(["git", "add", "-f", ".reconciler/journal.jsonl"], cwd=env.workdir, check=True, env=git)
    r = env.run("validate")
    assert r.code == 0 and "state folder .reconciler is tracked by git" in r.err


def test_apply_refuses_a_plan_that_is_not_the_reviewed_one_and_says_what_moved(make_env):
    env = make_env(seed=ESTATE_SEED, desired=None)
    env.write_desired(DESIRED)
    assert env.run("plan", "--out", "reviewed.json").code == 0
    # After review, someone assigns +13125550102 in the portal.
    env.admin.put("/assignments/%2B13125550102", json={"tcr_campaign_id": "CTLX009", "status": "ASSIGNED"}
                  ).raise_for_status()
    env.reset_counters()
    r = env.run("apply", "--auto-approve", "--reviewed-plan", "reviewed.json")
    assert r.code == 3 and env.counters()["writes"] == 0, r.out + r.err
    assert "not the reviewed" in r.err
    assert "+13125550102: action was 'assign', now 'reassign'" in r.err, r.err
    assert "+13125550102: expect.tcr_campaign_id was None, now 'CTLX009'" in r.err, r.err
    # The same plan (nothing moved) is applied.
    env.admin.delete("/assignments/%2B13125550102").raise_for_status()
    assert env.run("apply", "--auto-approve", "--reviewed-plan", "reviewed.json").code == 0
