"""`import` never loses work: it refuses to overwrite a file unless --force (exit 1, nothing written,
everything checked before anything is written), gives every profile its own portable, bounded file
(names that collide carry the id), and can declare numbers that have no campaign under a campaign
named on the command line."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
import yaml

from reconciler.desired import load_desired

CAMPAIGN = "CTLX001"
NAMES = ["a/b", "a-b", "a b", "dup", "dup", "x" * 5000, "Acme", "acme", "日本/???", "CON", "../../evil", "ok-name"]
PIDS = [str(uuid.UUID(int=0x5EED0000 + i)) for i in range(len(NAMES))]


def _seed() -> dict:
    numbers, assignments = [], []
    for i, pid in enumerate(PIDS):
        for j in range(2):
            n = f"+131255{5 + j}{i:04d}"
            numbers.append({"phone_number": n, "messaging_profile_id": pid})
            if j == 0:  # the second number of each profile has no campaign
                assignments.append({"phone_number": n, "tcr_campaign_id": CAMPAIGN, "status": "ASSIGNED"})
    return {"messaging_profiles": [{"id": pid, "name": name} for pid, name in zip(PIDS, NAMES)],
            "phone_numbers": numbers,
            "campaigns": [{"tcr_campaign_id": CAMPAIGN, "kind": "telnyx", "campaign_status": "MNO_PROVISIONED",
                           "number_pooling": True},
                          {"tcr_campaign_id": "CNEW001", "kind": "telnyx", "campaign_status": "MNO_PROVISIONED",
                           "number_pooling": True}],
            "assignments": assignments}


@pytest.fixture
def env(make_env):
    return make_env(seed=_seed(), desired=None)


def _declared(folder: Path) -> dict[str, set[str]]:
    """profile id -> the numbers its files declare (and every file valid)."""
    desired = load_desired(str(folder))
    out: dict[str, set[str]] = {}
    for n in desired.numbers.values():
        out.setdefault(n.profile_id or "", set()).add(n.number)
    return out


def test_every_profile_gets_its_own_portable_bounded_file(env):
    r = env.run("import", "--all-profiles", "--out", "estate")
    assert r.code == 0, r.out + r.err
    files = sorted(p.name for p in (env.workdir / "estate").iterdir())
    assert len(files) == len(PIDS), files  # no profile lost to a collision
    assert f"wrote {len(PIDS)} files to estate" in r.err
    assert len({f.casefold() for f in files}) == len(files)  # distinct where case is ignored too
    for f in files:
        assert f.endswith(".yaml") and len(f) <= 100 and not f.startswith(("-", "."))
        assert all(c.isascii() and (c.isalnum() or c in "._-") for c in f), f
    # Names that collide once portable carry the id; a unique one stays plain; no name: the id.
    by_id = {pid: next(f for f in files if yaml.safe_load((env.workdir / "estate" / f).read_text())
                       ["profiles"][0]["id"] == pid) for pid in PIDS}
    for i in range(6):  # a/b, a-b, a b, dup, dup: the id; 5,000 characters: cut
        assert PIDS[i] in by_id[PIDS[i]] or len(by_id[PIDS[i]]) <= 65
    assert by_id[PIDS[0]] == f"a-b-{PIDS[0]}.yaml" and by_id[PIDS[3]] == f"dup-{PIDS[3]}.yaml"
    assert by_id[PIDS[5]] == "x" * 60 + ".yaml"
    assert by_id[PIDS[6]] == f"Acme-{PIDS[6]}.yaml" and by_id[PIDS[7]] == f"acme-{PIDS[7]}.yaml"
    assert by_id[PIDS[8]] == f"{PIDS[8]}.yaml" and by_id[PIDS[9]] == f"{PIDS[9]}.yaml"  # nothing portable left; CON
    assert by_id[PIDS[11]] == "ok-name.yaml"
    declared = _declared(env.workdir / "estate")
    assert set(declared) == set(PIDS) and all(len(v) == 1 for v in declared.values())
    plan = env.run("plan", "--desired", "estate", "--detailed-exitcode")
    assert plan.code == 0, plan.out + plan.err


def test_an_existing_file_is_never_overwritten_without_force(env):
    assert env.run("import", "--all-profiles", "--out", "estate").code == 0
    edited = env.workdir / "estate" / "ok-name.yaml"
    edited.write_text(edited.read_text() + "# my edit\n")
    before = {p.name: p.read_bytes() for p in (env.workdir / "estate").iterdir()}
    again = env.run("import", "--all-profiles", "--out", "estate")
    assert again.code == 1 and "refusing to overwrite 12 existing files" in again.err, again.err
    assert "--force" in again.err and "nothing written" in again.err
    assert {p.name: p.read_bytes() for p in (env.workdir / "estate").iterdir()} == before
    js = env.run("import", "--all-profiles", "--out", "estate", "--format", "json")
    assert js.code == 1  # import has no --format: a usage error, still exit 1
    forced = env.run("import", "--all-profiles", "--out", "estate", "--force")
    assert forced.code == 0, forced.err
    assert "# my edit" not in edited.read_text()
    # One file: the same rule.
    one = env.workdir / "one.yaml"
    one.write_text("# mine\n")
    r = env.run("import", "--profile", PIDS[11], "--out", "one.yaml")
    assert r.code == 1 and "refusing to overwrite 1 existing file" in r.err and one.read_text() == "# mine\n"
    assert env.run("import", "--profile", PIDS[11], "--out", "one.yaml", "--force").code == 0
    assert PIDS[11] in one.read_text()


def test_one_existing_file_among_many_means_nothing_is_written(env):
    folder = env.workdir / "estate"
    folder.mkdir()
    (folder / "ok-name.yaml").write_text("# mine\n")
    r = env.run("import", "--all-profiles", "--out", "estate")
    assert r.code == 1 and "ok-name.yaml" in r.err, r.err
    assert [p.name for p in folder.iterdir()] == ["ok-name.yaml"]  # nothing else written


def test_clear_errors_before_anything_is_written(env):
    (env.workdir / "a-file").write_text("x\n")
    r = env.run("import", "--all-profiles", "--out", "a-file")
    assert r.code == 1 and "is a file, not a folder" in r.err and "Traceback" not in r.err, r.err
    assert env.counters()["reads"] == 0  # said before asking Telnyx anything
    if os.geteuid() != 0:  # root writes anywhere
        locked = env.workdir / "locked"
        locked.mkdir(mode=0o500)
        r = env.run("import", "--all-profiles", "--out", "locked/estate")
        assert r.code == 1 and "permission denied" in r.err and "Traceback" not in r.err, r.err
    bad = env.run("import", "--all-profiles", "--unassigned-campaign", "cnew001")
    assert bad.code == 1 and "TCR campaign id" in bad.err and "CNEW001" in bad.err


def test_numbers_with_no_campaign_can_be_declared_under_a_campaign_named(env):
    plain = env.run("import", "--profile", PIDS[11])
    assert plain.code == 0 and "#   +13125560011 (no campaign)" in plain.out, plain.out
    r = env.run("import", "--profile", PIDS[11], "--out", "estate", "--unassigned-campaign", "CNEW001")
    assert r.code == 0, r.err
    doc = yaml.safe_load((env.workdir / "estate" / "ok-name.yaml").read_text())
    campaigns = {c["tcr_campaign_id"]: c["numbers"] for c in doc["profiles"][0]["campaigns"]}
    assert campaigns == {CAMPAIGN: ["+13125550011"], "CNEW001": ["+13125560011"]}
    plan = env.run("plan", "--desired", "estate", "--format", "json")
    changes = [c for p in json.loads(plan.out)["profiles"] for cp in p["campaigns"] for c in cp["changes"]]
    # The number is declared, so the plan assigns it (the other profiles' numbers on CTLX001 are unmanaged).
    assert [(c["number"], c["action"]) for c in changes if c["action"] != "unmanaged"] == [("+13125560011", "assign")]


def test_a_profile_with_no_number_on_a_campaign_is_counted_in_the_summary_not_only_noted(make_env):
    seed = _seed()
    seed["assignments"] = [a for a in seed["assignments"] if not a["phone_number"].endswith("0011")]
    env = make_env(seed=seed, desired=None)
    r = env.run("import", "--profile", PIDS[10], "--profile", PIDS[11], "--out", "estate")
    assert r.code == 0, r.err
    assert "note: profile ok-name has no number on a campaign; not written" in r.err
    assert r.err.rstrip().endswith("wrote 1 file to estate; 1 profile not written: no number on a campaign "
                                   "(--unassigned-campaign TCR_ID declares numbers with none)"), r.err
    r = env.run("import", "--profile", PIDS[11], "--out", "estate", "--unassigned-campaign", "CNEW001")
    assert r.code == 0 and r.err.rstrip().endswith("wrote 1 file to estate"), r.err
