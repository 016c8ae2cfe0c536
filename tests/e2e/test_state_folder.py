"""Reads of the state folder never fail on content (issue 21): a hostile journal line is reported
by its number and skipped, and every command goes on; the journal and lock are never followed
through a planted link; a state folder that links to a place others can write to is refused."""

from __future__ import annotations

import json
import os
from pathlib import Path
import pytest

from tests.faults.hostile_cases import JOURNAL_LINES as HOSTILE_LINES

COMMANDS = [("plan",), ("drift",), ("status",), ("resume",), ("apply", "--auto-approve")]
GOOD = {"write": "0123456789abcdef", "op": "assign", "state": "accepted", "run": "r1",
        "numbers": ["+13125550100"], "campaign": "CWZTFH1", "submitted_at": 1.0e9}


def _journal(state: Path, lines: list[str]) -> None:
    state.mkdir(exist_ok=True)
    (state / "journal.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_every_command_goes_on_past_hostile_journal_lines_and_names_each(make_env, args):
    env = make_env()
    _journal(env.workdir / ".reconciler", HOSTILE_LINES)
    r = env.run(*args)
    assert r.code in (0, 2), f"{args}: exit {r.code}\n{r.out}\n{r.err}"
    assert "Traceback" not in r.err and "internal error" not in r.err
    said = r.err if args[0] != "status" else r.out + r.err
    for i in range(1, len(HOSTILE_LINES) + 1):
        # Once: apply reads the journal for its recovery and again for its plan, and says it once.
        assert said.count(f"journal.jsonl:{i}:") == 1, f"{args}: line {i} not reported once\n{said}"


def test_status_json_lists_every_skipped_line(make_env):
    env = make_env()
    _journal(env.workdir / ".reconciler", HOSTILE_LINES + [json.dumps(GOOD)])
    d = json.loads(env.run("status", "--format", "json").out)
    assert [p.split(":")[1] for p in d["journal_problems"]] == [str(i) for i in range(1, len(HOSTILE_LINES) + 1)]
    assert "1e300" not in json.dumps(d) and "nested" in d["journal_problems"][0]


def test_a_symlinked_journal_and_lock_are_never_followed(make_env, tmp_path):
    env = make_env()
    state = env.workdir / ".reconciler"
    state.mkdir()
    victim = tmp_path / "victim.jsonl"
    victim.write_text(json.dumps({**GOOD, "state": "deferred", "op": "bulk_assign"}) + "\n")
    lock_victim = tmp_path / "lock-victim"
    lock_victim.write_text("untouched\n")
    (state / "journal.jsonl").symlink_to(victim)
    (state / "lock").symlink_to(lock_victim)
    before = victim.read_text()
    for args in COMMANDS:
        r = env.run(*args)
        assert r.code in (0, 2), f"{args}: exit {r.code}\n{r.out}\n{r.err}"
    assert victim.read_text() == before and lock_victim.read_text() == "untouched\n"
    assert not (state / "journal.jsonl").is_symlink() and not (state / "lock").is_symlink()  # ours now
    # Reported while it is a link, by every command that reads it.
    (state / "journal.jsonl").unlink()
    (state / "journal.jsonl").symlink_to(victim)
    r = env.run("plan")
    assert "journal.jsonl: a symbolic link" in r.err and r.code == 0


@pytest.mark.parametrize("mode", [0o777, 0o1777, 0o775])
def test_a_state_folder_linked_to_a_place_others_can_write_is_refused(make_env, tmp_path, mode):
    env = make_env()
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, mode)
    (env.workdir / ".reconciler").symlink_to(shared, target_is_directory=True)
    for args in COMMANDS:
        r = env.run(*args)
        assert r.code == 1 and "others can write to" in r.err and "Traceback" not in r.err, (args, r.err)
    assert not list(shared.iterdir())


def test_a_state_folder_linked_to_a_folder_of_ones_own_is_used(make_env, tmp_path):
    env = make_env()
    own = tmp_path / "own"
    own.mkdir(mode=0o700)
    os.chmod(own, 0o700)
    (env.workdir / ".reconciler").symlink_to(own, target_is_directory=True)
    assert env.run("apply", "--auto-approve").code == 0
    assert (own / "journal.jsonl").is_file()


def test_status_says_a_named_state_folder_is_missing_and_a_journal_from_another_clock(make_env):
    """A typo in --state-dir is said, not read as "nothing in flight"; writes journalled after Telnyx's
    now (a state folder from another account, API or sandbox) are flagged, their ages not trusted."""
    env = make_env()
    r = env.run("status", "--state-dir", "no/such/folder")
    assert r.code == 0 and "state folder no/such/folder does not exist" in r.err, r.out + r.err
    assert "does not exist" not in env.run("status").err  # the default folder, absent: nothing to say
    future = dict(GOOD, submitted_at=4.0e9)  # the year 2096
    _journal(env.workdir / ".reconciler", [json.dumps(future)])
    d = json.loads(env.run("status", "--format", "json").out)
    assert any("journalled after Telnyx's now" in p for p in d["journal_problems"]), d["journal_problems"]
