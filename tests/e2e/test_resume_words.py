"""What `resume` says of the work it has just carried out (outside review at 3,000 numbers): its headline
counted only the writes still open before it ran ("Resume: no work left open" right after it sent the
next phases), grouped phase lines said one phase's count for 200 ("200 phases …: 1 number still being
freed"), the per-campaign line said a next phase's free numbers "not taken", and a phase whose campaign's
share dropped back to PENDING was abandoned as if "the files no longer declare it so".

The sandbox runs Telnyx's realistic timeline at 120x; the tests move its clock on (`advance`)."""

from __future__ import annotations

import json
from typing import Any

from .test_continuity import NEW as SHARED, desired as shared_desired, seed as shared_seed
from .test_timeline import advance

PB = "7b1e3c52-9a4f-4d8e-b6a2-1f0c9d8e7a65"
OLD, NEW = "CACME00", "CNEW001"  # both Telnyx-registered: a PUT over the old record is refused, so freed first
MOVE = [f"+1312555{i:04d}" for i in range(2000, 2012)]


def _seed() -> dict[str, Any]:
    return {"messaging_profiles": [{"id": PB, "name": "marketing"}],
            "phone_numbers": [{"phone_number": n, "messaging_profile_id": PB} for n in MOVE],
            "campaigns": [{"tcr_campaign_id": c, "kind": "telnyx", "campaign_status": "MNO_PROVISIONED",
                           "number_pooling": True} for c in (OLD, NEW)],
            "assignments": [{"phone_number": n, "tcr_campaign_id": OLD, "status": "ASSIGNED"} for n in MOVE]}


def _moved(make_env: Any) -> Any:
    """12 numbers moved OLD → NEW under put_existing=reject: freed first, 12 per-number next phases."""
    env = make_env(seed=_seed(), desired=None, timing="realistic", time_scale=120.0, timing_jitter=0.0,
                   late_failure_rate=0.0)
    env.write_desired({"version": 1, "profiles": [{"id": PB, "name": "marketing", "campaigns": [
        {"tcr_campaign_id": NEW, "numbers": MOVE}]}]})
    r = env.run("apply", "--auto-approve", "--allow-reassign", "100")
    assert r.code == 0, r.out + r.err
    return env


def test_grouped_next_phases_count_the_numbers_of_the_group(make_env):
    env = _moved(make_env)
    status = env.run("status").out
    line = next(x for x in status.splitlines() if x.startswith(f"  12 assignments → {NEW}: "))
    assert line.endswith("state deferred; next phase waiting: 12 numbers still being freed"), line
    r = env.run("resume")
    assert r.code == 0, r.out + r.err
    assert r.out.splitlines()[0].startswith("Resume: 12 numbers in open work (24 writes)"), r.out
    assert f"12 next phases (assign → {NEW}): 12 numbers still being freed" in r.out.splitlines(), r.out
    assert "1 number still being freed" not in r.out, r.out


def test_resume_counts_the_work_it_has_just_sent(make_env):
    env = _moved(make_env)
    advance(env, 70 * 60)  # Telnyx has freed them: the next phases are ready
    status = env.run("status").out.splitlines()
    # A next phase's free numbers are its work to do, in the same words on the campaign's line as on the write's.
    row = next(x for x in status if x.startswith(f"  {NEW}: "))
    assert "; work: 12 to assign;" in row and "not taken" not in row, row
    r = env.run("resume")
    assert r.code == 0, r.out + r.err
    lines = r.out.splitlines()
    assert lines[0] == ("Resume: 12 numbers in open work, 12 of them sent just now (12 writes): 0 sending, "
                        "12 not sending; 0 writes stuck, 0 numbers failed"), r.out
    assert f"12 next phases (assign → {NEW}): submitted (12 numbers)" in lines, r.out
    phase = next(x for x in lines if x.startswith(f"  12 assignments → {NEW}: ") and "state deferred" in x)
    assert "work: 12 sent just now;" in phase and "to assign" not in phase, phase
    sent = next(x for x in lines if x.startswith(f"  12 assignments → {NEW}: ") and "state accepted" in x)
    assert "work: 12 pending;" in sent and sent.endswith("; sent just now"), sent
    # The next status says the same numbers and writes.
    after = env.run("status", "--format", "json")
    d = json.loads(after.out)
    assert (d["open_numbers"]["numbers"], d["open_writes"]) == (12, 12), d["open_numbers"]
    assert env.run("status").out.splitlines()[0].startswith("Status: 12 numbers in open work (12 writes)")


def test_resume_json_and_markdown_say_the_work_sent_now(make_env):
    env = _moved(make_env)
    advance(env, 70 * 60)
    r = env.run("resume", "--format", "json")
    assert r.code == 0, r.out + r.err
    d = json.loads(r.out)
    assert d["schema_version"] == 1 and d["sent_now"] == {"writes": 12, "numbers": 12}, d["sent_now"]
    assert d["open_numbers"]["numbers"] == 12 and d["open_writes"] == 12
    assert sum(w["sent_now"] for w in d["writes"]) == 12
    assert sum(w["sent_on"] for w in d["writes"]) == 12  # the phases' numbers, carried on by the writes sent
    env2 = _moved(make_env)
    advance(env2, 70 * 60)
    md = env2.run("resume", "--format", "markdown").out
    assert "**12 numbers in open work, 12 of them sent just now (12 writes)" in md, md


def test_a_next_phase_whose_campaign_share_drops_to_pending_says_so_not_that_the_files_changed(make_env):
    env = make_env(seed=shared_seed(), desired=None, timing="realistic", time_scale=120.0, timing_jitter=0.0,
                   late_failure_rate=0.0)
    env.write_desired(shared_desired(adopt=False, move=True))  # 30 numbers freed first, then one bulk phase
    r = env.run("apply", "--auto-approve")
    assert r.code == 0, r.out + r.err
    env.admin.patch(f"/campaigns/{SHARED}", json={"sharing_status": "PENDING"}).raise_for_status()
    advance(env, 70 * 60)
    r = env.run("resume", "--format", "json")
    assert r.code == 2, r.out + r.err
    [c] = json.loads(r.out)["carried_out"]
    said = c["result"]
    assert said.startswith("abandoned: ") and "no longer declare" not in said, said
    assert f"{SHARED} cannot carry traffic now (campaign {SHARED} is shared to Telnyx but its sharing status is " \
           "PENDING" in said, said
    assert "`reconciler apply` assigns them" in said and "nothing to do here" not in said, said
