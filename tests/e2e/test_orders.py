"""A bulk profile move (a messaging-settings order) is work in flight like a task: an order apply
stopped waiting for is followed by the next run, which never sends it again while Telnyx may
still be processing it."""

from __future__ import annotations

from reconciler.journal import Journal, Op, State

FROM = "7a1e8400-e29b-41d4-a716-446655440111"
TO = "7b1e8400-e29b-41d4-a716-446655440222"
NUMBERS = [f"+1312555{i:04d}" for i in range(8100, 8104)]


def _env(make_env):
    seed = {
        "messaging_profiles": [{"id": FROM, "name": "old"}, {"id": TO, "name": "new"}],
        "phone_numbers": [{"phone_number": n, "messaging_profile_id": FROM} for n in NUMBERS],
        "campaigns": [{"tcr_campaign_id": "CTLX001", "kind": "telnyx", "campaign_status": "MNO_PROVISIONED"}],
        "assignments": [{"phone_number": n, "tcr_campaign_id": "CTLX001", "status": "ASSIGNED"} for n in NUMBERS],
    }
    env = make_env(seed=seed, desired=None, order_delay=3600.0)
    env.write_desired({"version": 1, "profiles": [
        {"id": TO, "name": "new", "campaigns": [{"tcr_campaign_id": "CTLX001", "numbers": NUMBERS}]}]})
    return env


def _moves(env) -> int:
    return int(env.counters()["by_operation"].get("BulkUpdateMessagingSettingsOnPhoneNumbers", 0))


def test_an_order_still_processing_is_followed_and_never_sent_again(make_env):
    env = _env(make_env)
    first = env.run("apply", "--auto-approve", "--state-dir", "state", "--timeout", "3")
    # Telnyx has not finished the order when apply stops waiting: not accepted (exit 5), not failed.
    assert first.code == 5 and "4 not accepted" in first.out, first.out + first.err
    assert _moves(env) == 1
    (order,) = [w for w in Journal(env.workdir / "state").read().writes.values() if w.op is Op.BULK_MOVE]
    assert order.open and order.ref
    env.reset_counters()
    again = env.run("apply", "--auto-approve", "--state-dir", "state", "--timeout", "3")
    assert _moves(env) == 0, again.out + again.err  # the order is still Telnyx's: not sent again
    assert again.code == 0 and "4 in flight" in again.out, again.out + again.err  # followed, not repeated
    env.admin.post("/advance", json={"seconds": 3600}).raise_for_status()
    # The scheduled job closes the finished order (nothing else to carry out).
    resumed = env.run("resume", "--state-dir", "state")
    assert resumed.code == 0, resumed.out + resumed.err
    assert Journal(env.workdir / "state").read().writes[order.id].state is State.DONE
    done = env.run("apply", "--auto-approve", "--state-dir", "state", "--until", "final", "--timeout", "30")
    assert done.code == 0, done.out + done.err
    assert _moves(env) == 0 and set(env.profiles_of_numbers().values()) == {TO}
    writes = Journal(env.workdir / "state").read().writes
    assert writes[order.id].state is State.DONE


def test_an_order_that_finished_with_a_failure_is_closed_by_asking_telnyx(make_env):
    # A number released from the account before Telnyx processes the order: the order fails it and
    # no read could ever show it moving. Asked, Telnyx says the order is over: closed, failed, with
    # the number named (not held in flight until it counts as stuck).
    env = _env(make_env)
    assert env.run("apply", "--auto-approve", "--state-dir", "state", "--timeout", "3").code == 5
    (order,) = [w for w in Journal(env.workdir / "state").read().writes.values() if w.op is Op.BULK_MOVE]
    env.admin.delete("/numbers/" + NUMBERS[0].replace("+", "%2B")).raise_for_status()
    env.admin.post("/advance", json={"seconds": 3600}).raise_for_status()
    resumed = env.run("resume", "--state-dir", "state")
    assert resumed.code == 0, resumed.out + resumed.err
    closed = Journal(env.workdir / "state").read().writes[order.id]
    assert closed.state is State.FAILED and list(closed.failed) == [NUMBERS[0]], closed


def test_a_move_in_flight_is_counted_in_flight_everywhere_and_is_no_change(make_env):
    # The order apply stopped waiting for is Telnyx's work now: the plan neither makes the moves again
    # nor counts them "to change profile"; header, blast radius, JSON and --detailed-exitcode agree.
    import json

    env = _env(make_env)
    assert env.run("apply", "--auto-approve", "--state-dir", "state", "--timeout", "3").code == 5
    text = env.run("plan", "--state-dir", "state", "--detailed-exitcode")
    assert text.code == 0, text.out + text.err
    assert text.out.startswith("Plan: no changes · 4 in flight"), text.out
    assert "to change profile" not in text.out, text.out
    js = env.run("plan", "--state-dir", "state", "--detailed-exitcode", "--format", "json")
    doc = json.loads(js.out)
    assert js.code == 0 and doc["has_changes"] is False
    assert doc["counts"]["profile_moves"] == 0 and doc["counts"]["in_flight"] == 4
    assert doc["blast_radius"]["change_profile"] == 0
