"""The state folder and the saved plan written by the previous release are read by this one.

`v0.1.0/` holds what the code of 0.1.0 (commit 450c74f, never tagged) wrote when it applied the
example estate with assignments taking 2 h (`v0.1.0/make_fixture.py` says how it was made, with that
code): its `journal.jsonl` (journal format 2) with work in flight (a bulk task and a removal accepted,
two assignments accepted, an assignment deferred until Telnyx frees its number), the saved plan that
apply was given, and the sandbox's state at that moment. A user upgrading between an apply and the
hourly job meets exactly this: the next `status`, `resume` and `drift` run on the new version.
These files are never regenerated with the current code: they are the previous release's output.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from reconciler import planfile
from reconciler.journal import FORMAT, Journal, Op, State
from reconciler.sandbox import start_sandbox
from tests.e2e.conftest import EXAMPLE_DESIRED, Env

OLD = Path(__file__).parent / "v0.1.0"
# The fixture's times are when it was made: far from "now", so nothing may be judged stuck for its age.
NEVER_STUCK = ("--stuck-after", "3000d")
FREED = "+13125550200"  # removed from CNOTIF9, then (the deferred phase) assigned to CALERT7


def _live_seed() -> dict[str, Any]:
    state = json.loads((OLD / "live-state.json").read_text(encoding="utf-8"))
    return {k: state[k] for k in ("messaging_profiles", "phone_numbers", "campaigns", "assignments")}


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    sb = start_sandbox(seed=_live_seed(), time_scale=0, assignment_delay=0, task_delay=0, order_delay=0)
    e = Env(sb, tmp_path)
    shutil.copytree(EXAMPLE_DESIRED, e.desired)
    (tmp_path / ".reconciler").mkdir()
    shutil.copy(OLD / "journal.jsonl", tmp_path / ".reconciler" / "journal.jsonl")
    try:
        yield e
    finally:
        e.admin.close()
        sb.stop()


def test_the_previous_journal_is_read_whole():
    view = Journal(OLD).read()
    assert FORMAT == 2  # the format 0.1.0 wrote: a new one needs a reader for this one (and this test)
    assert view.bad == [], [str(b) for b in view.bad]
    by_op = sorted((w.op, w.state) for w in view.writes.values())
    assert by_op == sorted([
        (Op.BULK_MOVE, State.DONE), (Op.PATCH_PROFILE, State.DONE), (Op.BULK_ASSIGN, State.ACCEPTED),
        (Op.REPLACE, State.REFUSED), (Op.UNASSIGN, State.ACCEPTED), (Op.ASSIGN, State.DEFERRED),
        (Op.ASSIGN, State.ACCEPTED), (Op.ASSIGN, State.ACCEPTED)])
    (deferred,) = [w for w in view.writes.values() if w.state is State.DEFERRED]
    assert (deferred.numbers, deferred.campaign, deferred.after) == ((FREED,), "CALERT7", "free")
    (bulk,) = [w for w in view.writes.values() if w.op is Op.BULK_ASSIGN]
    assert bulk.processed and bulk.ref and bulk.members == ("+13125550101",)


def test_compacting_the_previous_journal_keeps_what_it_says(tmp_path):
    shutil.copy(OLD / "journal.jsonl", tmp_path / "journal.jsonl")
    journal = Journal(tmp_path)
    before = journal.read()
    assert journal.compact(force=True)
    after = Journal(tmp_path).read()
    assert after.bad == []
    assert {w.id: (w.state, w.numbers) for w in after.writes.values()} == {
        w.id: (w.state, w.numbers) for w in before.writes.values() if w.open}
    assert after.lines < before.lines  # the closed writes (two profile moves, a refusal) are folded away


def test_status_reads_the_previous_state_folder(env):
    r = env.run("status", *NEVER_STUCK, "--format", "json")
    assert r.code == 0, r.out + r.err
    doc = json.loads(r.out)
    assert (doc["schema_version"], doc["kind"]) == (1, "status")
    assert doc["journal_problems"] == [] and doc["stuck"] == 0 and doc["failed_numbers"] == 0
    assert doc["open_writes"] == 5
    states = sorted((w["operation"], w["state"]) for w in doc["writes"])
    assert ("assign", "deferred") in states and ("bulk_assign", "accepted") in states


def test_drift_and_plan_count_the_previous_work_in_flight(env):
    r = env.run("drift", *NEVER_STUCK, "--format", "json")
    assert r.code == 0, r.out + r.err  # in flight is not drift
    r = env.run("plan", "--detailed-exitcode", "--format", "json")
    assert r.code == 0, r.out + r.err  # nothing is sent again
    assert json.loads(r.out)["has_changes"] is False


def test_resume_carries_out_the_previous_releases_deferred_phase(env):
    # Hours later at Telnyx: every assignment has landed, and the removal freed its number.
    for a in env.state()["assignments"]:
        if a["phone_number"] == FREED:
            env.admin.delete(f"/assignments/{FREED}").raise_for_status()
        else:
            env.admin.put(f"/assignments/{a['phone_number']}",
                          json={"tcr_campaign_id": a["tcr_campaign_id"], "status": "ASSIGNED"}).raise_for_status()
    r = env.run("resume", *NEVER_STUCK, "--format", "json")
    assert r.code == 0, r.out + r.err
    doc = json.loads(r.out)
    assert (doc["schema_version"], doc["kind"]) == (1, "resume")
    assert doc["journal_problems"] == []
    assert env.assignments()[FREED][0] == "CALERT7"  # the phase 0.1.0 approved, sent by this version
    env.admin.put(f"/assignments/{FREED}", json={"tcr_campaign_id": "CALERT7", "status": "ASSIGNED"})
    r = env.run("drift", *NEVER_STUCK, "--format", "json")
    assert r.code == 0, r.out + r.err
    assert Journal(env.workdir / ".reconciler").read().bad == []


def test_a_plan_saved_by_the_previous_release_loads():
    """Same schema_version (1) and the same checksum: a plan saved by 0.1.0 with no blocked number
    (this one) is applied by 0.2.0 as reviewed. (0.1.0 did not keep blocked numbers in the file, so a
    plan saved by it that had some would load without them: re-plan after upgrading. CHANGELOG.md.)"""
    data = json.loads((OLD / "saved-plan.json").read_text(encoding="utf-8"))
    plan = planfile.load(str(OLD / "saved-plan.json"))
    assert data["schema_version"] == 1 and plan.checksum() == data["checksum"]
    assert plan.has_changes and not plan.blocked
