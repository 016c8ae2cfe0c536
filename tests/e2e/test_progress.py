"""apply's progress lines on stderr (what a CI log shows while it runs): profiles by name, and
nothing from outside (a name served by Telnyx, an error's words) can carry escape sequences."""

from __future__ import annotations

import json

PROFILE = "6a1e8400-e29b-41d4-a716-446655440abc"
NUMBERS = ["+13125557001", "+13125557002"]


def test_progress_names_the_profile_and_carries_no_escape_sequences(make_env):
    seed = {
        "messaging_profiles": [{"id": PROFILE, "name": "ops\x1b]0;pwned\x07\x1b[31mred\u202e"}],
        "phone_numbers": [{"phone_number": n, "messaging_profile_id": PROFILE} for n in NUMBERS],
        "campaigns": [{"tcr_campaign_id": "CTLX001", "kind": "telnyx", "campaign_status": "MNO_PROVISIONED"}],
        "assignments": [],
    }
    env = make_env(seed=seed, desired=None)
    env.write_desired({"version": 1, "profiles": [
        {"id": PROFILE, "campaigns": [{"tcr_campaign_id": "CTLX001", "numbers": NUMBERS}]}]})
    r = env.run("apply", "--auto-approve")
    assert r.code == 0, r.out + r.err
    line = next(ln for ln in r.err.splitlines() if ln.startswith("per-number assignment on profile"))
    assert "ops" in line and f"({PROFILE[:8]}…)" in line, line  # the name Telnyx gives, with the id's start
    assert not any(ch in r.err for ch in ("\x1b", "\x07", "\u202e")), repr(r.err)


def test_a_refusal_apply_expects_is_a_progress_line_not_an_error(make_env):
    # The example estate: +13125550200 moves from CNOTIF9 to CALERT7. Telnyx refuses a PUT over another
    # campaign (mode put_existing=reject, the default) and apply frees the number first, by design:
    # stderr says so as progress, with no error or "failed" line for it.
    from .conftest import EXAMPLE_SEED

    env = make_env(seed=EXAMPLE_SEED)
    r = env.run("apply", "--auto-approve")
    assert r.code == 0, r.out + r.err
    assert ("replace of 1 number not taken by Telnyx (HTTP 422 [10012] Duplicate resource): freed from the "
            "campaign first instead, then assigned in a next phase") in r.err, r.err
    assert "failed" not in r.err and "error" not in r.err.lower() and "Number +1" not in r.err, r.err


def test_profile_takes_a_declared_name_or_id(make_env):
    from .conftest import EXAMPLE_SEED

    env = make_env(seed=EXAMPLE_SEED)
    marketing = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"
    by_id = env.run("plan", "--profile", marketing, "--format", "json")
    by_name = env.run("plan", "--profile", "acme-marketing", "--format", "json")
    assert by_id.code == by_name.code == 0, by_name.out + by_name.err
    assert by_name.out == by_id.out
    assert env.run("drift", "--profile", "acme-marketing").code == 2
    unknown = env.run("plan", "--profile", "acme-marketin")
    assert unknown.code == 1 and "profile acme-marketin not declared" in unknown.err, unknown.err
    # A name two profiles share names neither: the error asks for the id.
    doc = {"version": 1, "profiles": [
        {"id": marketing, "name": "twin", "campaigns": [{"tcr_campaign_id": "CWZTFH1", "numbers": ["+13125550100"]}]},
        {"id": "7b1e3c52-9a4f-4d8e-b6a2-1f0c9d8e7a65", "name": "twin",
         "campaigns": [{"tcr_campaign_id": "CALERT7", "numbers": ["+13125550201"]}]}]}
    (env.workdir / "twins.yaml").write_text(json.dumps(doc), encoding="utf-8")  # JSON is YAML
    twin = env.run("plan", "--desired", "twins.yaml", "--profile", "twin", "--format", "json")
    assert twin.code == 1 and "give --profile the id" in twin.err
    assert json.loads(twin.out)["error"]["type"] == "config"
    applied = env.run("apply", "--auto-approve", "--profile", "acme-marketing")
    assert applied.code == 0 and "Campaign CWZTFH1: 4 converged" in applied.out, applied.out + applied.err


MOVED = [f"+1312555{i:04d}" for i in range(3000, 3040)]


def _move_seed() -> dict:
    return {
        "messaging_profiles": [{"id": PROFILE, "name": "ops"}],
        "phone_numbers": [{"phone_number": n, "messaging_profile_id": PROFILE} for n in MOVED],
        "campaigns": [{"tcr_campaign_id": "CTLX001", "kind": "telnyx", "campaign_status": "MNO_PROVISIONED",
                       "number_pooling": True},
                      {"tcr_campaign_id": "CTLX002", "kind": "telnyx", "campaign_status": "MNO_PROVISIONED",
                       "number_pooling": True}],
        "assignments": [{"phone_number": n, "tcr_campaign_id": "CTLX001", "status": "ASSIGNED"} for n in MOVED],
    }


def test_progress_is_summed_per_kind_of_line_not_said_per_number(make_env):
    """An outside review: apply printed a pair of lines per number on stderr (504 lines for 250
    numbers: a move Telnyx refuses, the number freed). Each kind of line is said once, then its
    numbers summed (a line a minute at most, and when the run moves on); -v keeps every line."""
    env = make_env(seed=_move_seed(), desired=None)
    env.write_desired({"version": 1, "profiles": [
        {"id": PROFILE, "campaigns": [{"tcr_campaign_id": "CTLX002", "numbers": MOVED}]}]})
    r = env.run("apply", "--auto-approve", "--allow-reassign", "40")
    assert r.code == 0, r.out + r.err
    lines = r.err.splitlines()
    assert len(lines) < 20, r.err  # 40 numbers: 80 per-number lines before
    refused = [ln for ln in lines if "not taken by Telnyx" in ln]
    assert refused[0].startswith("replace of 1 number not taken by Telnyx (HTTP 422"), refused
    assert refused[-1].startswith("in all: replace of 40 numbers not taken by Telnyx"), refused
    freed = [ln for ln in lines if "freed; the assignment to CTLX002" in ln]
    assert freed[0].startswith("1 number freed") and freed[-1].startswith("in all: 40 numbers freed"), freed

    env2 = make_env(seed=_move_seed(), desired=None)
    env2.write_desired({"version": 1, "profiles": [
        {"id": PROFILE, "campaigns": [{"tcr_campaign_id": "CTLX002", "numbers": MOVED}]}]})
    (env2.workdir / ".reconciler").exists() and __import__("shutil").rmtree(env2.workdir / ".reconciler")
    r = env2.run("apply", "--auto-approve", "--allow-reassign", "40", "--verbose")
    assert r.code == 0, r.out + r.err
    assert sum(1 for ln in r.err.splitlines() if "not taken by Telnyx" in ln) == 40, r.err


def test_a_wait_on_a_frozen_sandbox_clock_says_what_it_waits_for_and_how_it_ends(make_env):
    """An outside review: apply against a sandbox whose clock stands still waited with no hint."""
    seed = {
        "messaging_profiles": [{"id": PROFILE, "name": "ops"}],
        "phone_numbers": [{"phone_number": n, "messaging_profile_id": PROFILE} for n in NUMBERS],
        "campaigns": [{"tcr_campaign_id": "CWZTFH1", "kind": "shared", "sharing_status": "ACCEPTED",
                       "campaign_status": "MNO_PROVISIONED"}],
        "assignments": [],
    }
    env = make_env(seed=seed, desired=None, timing="realistic", time_scale=0.0, late_failure_rate=0.0)
    env.write_desired({"version": 1, "profiles": [
        {"id": PROFILE, "campaigns": [{"tcr_campaign_id": "CWZTFH1", "numbers": NUMBERS}]}]})
    r = env.run("apply", "--auto-approve", "--timeout", "2")
    assert r.code == 5, r.out + r.err  # not accepted: the task waits for a clock that does not move
    wait = next(ln for ln in r.err.splitlines() if ln.startswith("waiting for Telnyx"))
    assert wait == ("waiting for Telnyx to process 1 bulk assignment task (a task typically takes about 1 min); "
                    "the sandbox's clock stands still (--time-scale 0): `reconciler sandbox advance 3h` moves it, "
                    "or stop waiting and run `reconciler resume` later"), wait


def test_the_wait_hint_names_the_sandbox_only_where_the_api_says_it_is_one():
    from types import SimpleNamespace

    from reconciler.cli.progress import waiting_hint

    telnyx = waiting_hint(SimpleNamespace(sandbox_clock=None))()
    assert telnyx == ("; if this run stops waiting first, the work goes on at Telnyx and `reconciler resume` "
                      "picks it up later")
    assert "sandbox advance DURATION" in waiting_hint(SimpleNamespace(sandbox_clock="x120"))()
