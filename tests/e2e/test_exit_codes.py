"""Every (command, situation) pair ends with the contract's exit code, in every format, and a
--format json run always prints one JSON document on stdout (the report, or an `error` object)."""

from __future__ import annotations

import copy
import json
from typing import Any, Callable

import pytest

from .test_scenarios import DESIRED, ESTATE_SEED, PC, _converge

TYPO = "+13125550290"  # not on the account


def _doc(**changes: Any) -> dict:
    doc = copy.deepcopy(DESIRED)
    doc.update(changes)
    return doc


def nothing(env: Any) -> None:
    env.write_desired(DESIRED)
    _converge(env)


def changes(env: Any) -> None:
    env.write_desired(DESIRED)


def typo(env: Any) -> None:
    doc = _doc()
    doc["profiles"][1]["campaigns"][0]["numbers"].append(TYPO)
    env.write_desired(doc)


def pending_share(env: Any) -> None:
    doc = _doc()
    doc["profiles"].append({"id": PC, "campaigns": [{"tcr_campaign_id": "CPEND01", "numbers": ["+13125550301"]}]})
    env.write_desired(doc)


def unsafe(env: Any) -> None:
    env.write_desired(_doc(policy={"max_reassign": 0}))


def bad_yaml(env: Any) -> None:
    env.desired.mkdir(exist_ok=True)
    (env.desired / "main.yaml").write_text("version: 1\nprofiles: [\n", encoding="utf-8")


def late_failure(env: Any) -> None:
    env.write_desired(DESIRED)  # the sandbox was started with late_failure_rate=1 (SANDBOX_OPTIONS)


SITUATIONS: dict[str, Callable[[Any], None]] = {
    "nothing to do": nothing, "changes": changes, "a typo (number not owned)": typo,
    "a pending share": pending_share, "unsafe": unsafe, "invalid files": bad_yaml,
    "Telnyx fails the numbers": late_failure,
}
# (situation, command) -> exit code, per ../shared/design/contract.md "Exit codes".
EXPECTED: dict[tuple[str, str], int] = {
    ("nothing to do", "plan"): 0, ("nothing to do", "apply"): 0, ("nothing to do", "drift"): 0,
    ("changes", "plan"): 2, ("changes", "apply"): 0, ("changes", "drift"): 2,
    ("a typo (number not owned)", "plan"): 2, ("a typo (number not owned)", "apply"): 4,
    ("a typo (number not owned)", "drift"): 2,
    ("a pending share", "plan"): 2, ("a pending share", "apply"): 4, ("a pending share", "drift"): 2,
    ("unsafe", "plan"): 2, ("unsafe", "apply"): 3,
    ("invalid files", "plan"): 1, ("invalid files", "apply"): 1, ("invalid files", "drift"): 1,
    ("Telnyx fails the numbers", "apply"): 4,
}
SANDBOX_OPTIONS = {"Telnyx fails the numbers": {"late_failure_rate": 1.0}}
ARGS = {"plan": ["plan", "--detailed-exitcode"], "apply": ["apply", "--auto-approve", "--until", "final",
                                                            "--timeout", "30"], "drift": ["drift"]}


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("situation,command", sorted(EXPECTED))
def test_exit_code(make_env, situation, command, fmt):
    env = make_env(seed=ESTATE_SEED, desired=None, **SANDBOX_OPTIONS.get(situation, {}))
    SITUATIONS[situation](env)
    r = env.run(*ARGS[command], "--format", fmt)
    want = EXPECTED[(situation, command)]
    assert r.code == want, f"{command} / {situation} / {fmt}: exit {r.code}, want {want}\n{r.out}{r.err}"
    assert "Traceback" not in r.err
    if fmt == "json":
        doc = json.loads(r.out)  # one JSON document, whatever happened
        if want in (1, 3) and doc.get("kind") == "error":
            assert doc["error"]["exit_code"] == want and doc["error"]["message"]
        if situation == "a typo (number not owned)" and command != "drift":
            assert "not owned" in r.out or "not on this account" in r.out or "typo" in r.out
    if situation == "a pending share" and command == "plan":
        assert "waiting for Telnyx to review and accept the share (no change to the files helps" in r.out


def test_invalid_files_give_a_json_error_object_with_every_problem(make_env):
    env = make_env(seed=ESTATE_SEED, desired=None)
    bad_yaml(env)
    r = env.run("plan", "--format", "json")
    err = json.loads(r.out)["error"]
    assert r.code == 1 and err["type"] == "desired_state" and err["problems"][0]["line"] >= 2
    assert err["problems"][0]["path"].endswith("main.yaml")


SAVED = {"nothing to do": 0, "changes": 0, "a typo (number not owned)": 4, "a pending share": 4}


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
@pytest.mark.parametrize("situation", sorted(SAVED))
def test_a_saved_plan_exits_as_a_fresh_apply_does(make_env, situation, fmt):
    # Contract: a saved plan is held to the same codes as a fresh one; `apply PLAN_FILE` whose plan has
    # blocked declared numbers exits 4 and names them (CI's merge job always applies the saved plan).
    env = make_env(seed=ESTATE_SEED, desired=None)
    SITUATIONS[situation](env)
    planned = env.run("plan", "--out", "p.json", "--detailed-exitcode")
    assert planned.code == EXPECTED[(situation, "plan")], planned.out + planned.err
    r = env.run("apply", "p.json", "--until", "final", "--timeout", "30", "--format", fmt)
    want = SAVED[situation]
    assert r.code == want, f"{situation} / {fmt}: exit {r.code}, want {want}\n{r.out}{r.err}"
    assert "Traceback" not in r.err
    blocked = {"a typo (number not owned)": TYPO, "a pending share": "+13125550301"}.get(situation)
    if fmt == "json":
        doc = json.loads(r.out)
        assert doc["exit_code"] == want
        named = [o["number"] for c in doc["campaigns"].values() for o in c.get("blocked", [])]
        assert named == ([blocked] if blocked else [])
    elif blocked:
        assert blocked in r.out and "blocked" in r.out
        assert "exits 4" in r.out, r.out


def test_a_saved_plan_cannot_lose_its_blocked_numbers(make_env, tmp_path):
    # The blocked changes are saved with the plan and covered by its checksum: deleting one from
    # the file (to make the merge's apply green) is refused like any other edit.
    env = make_env(seed=ESTATE_SEED, desired=None)
    typo(env)
    assert env.run("plan", "--out", "p.json").code == 0
    path = env.workdir / "p.json"
    doc = json.loads(path.read_text())
    assert [c["number"] for c in doc["not_written"] if c["action"] == "blocked"] == [TYPO]
    doc["not_written"] = [c for c in doc["not_written"] if c["action"] != "blocked"]
    path.write_text(json.dumps(doc))
    r = env.run("apply", "p.json", "--format", "json")
    assert r.code == 3 and "do not match its checksum" in json.loads(r.out)["error"]["message"], r.out + r.err
