"""`reconciler sandbox generate` (issue 24): a seed for an estate of any size that the sandbox loads,
that `import` turns into files `validate` accepts and a `plan` finds nothing to change in; the same
--random-seed gives the same bytes; --out never overwrites without --force nor follows a link; the
"Try it at scale" block of docs/sandbox.md runs as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from reconciler.desired.numbers import is_us_long_code
from reconciler.sandbox import start_sandbox

ROOT = Path(__file__).resolve().parents[2]


def generate(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reconciler", "sandbox", "generate", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def reconciler(cwd: Path, base_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TELNYX_API_BASE_URL": base_url, "TELNYX_API_KEY": "sandbox-key", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 numbers on 12 profiles, written by the CLI."""
    out = tmp_path_factory.mktemp("generated") / "seed.yaml"
    r = generate("--numbers", "3000", "--profiles", "12", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert r.stderr.startswith("3,000 numbers on 12 messaging profiles (60 on none)")
    return out


def test_3000_numbers_import_validate_and_plan_no_changes(estate: Path, tmp_path: Path) -> None:
    with start_sandbox(seed=estate) as sb:
        r = reconciler(tmp_path, sb.base_url, "import", "--all-profiles", "--out", "estate")
        assert r.returncode == 0, r.stderr
        r = reconciler(tmp_path, sb.base_url, "validate", "--desired", "estate")
        assert r.returncode == 0, r.stdout + r.stderr
        declared = len(yaml.safe_load(estate.read_text())["assignments"])
        assert f"ok: {declared} numbers, 11 profiles" in r.stdout  # the new-numbers profile has no file yet
        r = reconciler(tmp_path, sb.base_url, "plan", "--desired", "estate", "--detailed-exitcode")
        assert r.returncode == 0, r.stdout + r.stderr
        assert r.stdout.startswith(f"Plan: no changes · {declared} unchanged\n")


def test_the_estate_is_realistic_and_keeps_the_domain_rules(estate: Path) -> None:
    doc = yaml.safe_load(estate.read_text())
    numbers = doc["phone_numbers"]
    assert len(numbers) == len({n["phone_number"] for n in numbers}) == 3000
    assert all(is_us_long_code(n["phone_number"]) for n in numbers)
    profile_of = {n["phone_number"]: n["messaging_profile_id"] for n in numbers}
    per_profile = Counter(profile_of.values())
    assert per_profile.pop(None) == 60 and len(per_profile) == 12
    assert max(per_profile.values()) > 2 * min(per_profile.values())  # uneven, as accounts are
    campaigns = {c["tcr_campaign_id"]: c for c in doc["campaigns"]}
    on = Counter(a["tcr_campaign_id"] for a in doc["assignments"])
    assert {a["status"] for a in doc["assignments"]} == {"ASSIGNED"}
    assert all(profile_of[a["phone_number"]] for a in doc["assignments"])  # only numbers on a profile
    assert 2800 < sum(on.values()) < 3000
    for tcr, count in on.items():  # T-Mobile's cap, unless pooled
        assert count <= 49 or campaigns[tcr].get("number_pooling") is True, (tcr, count)
    assert any(count > 49 for count in on.values()) and sum(1 for c in on.values() if c <= 49) > 10
    kinds = Counter((c["kind"], c.get("sharing_status")) for c in campaigns.values())
    assert kinds[("shared", "ACCEPTED")] >= 3 and kinds[("telnyx", None)] >= 20 and kinds[("shared", "PENDING")] == 1
    assert not any(on[t] for t, c in campaigns.items() if c.get("sharing_status") == "PENDING")
    # a profile on a partner campaign is wholly on it (bulk assignment is all Telnyx documents)
    by_profile: dict[str, set[str]] = {}
    for a in doc["assignments"]:
        by_profile.setdefault(profile_of[a["phone_number"]], set()).add(a["tcr_campaign_id"])
    for tcrs in by_profile.values():
        assert len(tcrs) == 1 or all(campaigns[t]["kind"] == "telnyx" for t in tcrs)
    # the new numbers: one profile with none assigned, and an empty registered campaign with room
    (waiting,) = [t for t, c in campaigns.items() if c["kind"] == "telnyx" and not on[t]]
    (new_profile,) = [p["id"] for p in doc["messaging_profiles"] if p["name"] == "acme-new-numbers"]
    assert new_profile not in by_profile and 0 < per_profile[new_profile] <= 49
    assert waiting in estate.read_text().split("\n", 4)[3]  # the header names it


def test_the_same_random_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    a, b, c = (generate("--numbers", "500", "--random-seed", seed) for seed in ("7", "7", "8"))
    assert a.returncode == b.returncode == c.returncode == 0
    assert a.stdout == b.stdout and a.stdout != c.stdout
    assert generate("--numbers", "500", "--random-seed", "7", "--out", "s.yaml", cwd=tmp_path).returncode == 0
    assert (tmp_path / "s.yaml").read_text(encoding="utf-8") == a.stdout
    doc = yaml.safe_load(a.stdout)
    assert len(doc["messaging_profiles"]) == 2  # the default: one profile per 250 numbers
    start_sandbox(seed=doc).stop()  # the sandbox loads it


@pytest.mark.parametrize(("numbers", "profiles"), [(1, 1), (2, 2), (3, 3), (100, 99), (60, 7), (1000, 1)])
def test_small_and_lopsided_estates_are_still_valid_seeds(numbers: int, profiles: int) -> None:
    from reconciler.sandbox.generate import dump
    from reconciler.sandbox.generate import generate as build

    doc, summary = build(numbers, profiles)
    assert yaml.safe_load("".join(dump(doc, summary))) == doc  # the hand-written YAML reads back as built
    assert len(doc["phone_numbers"]) == numbers and len(doc["messaging_profiles"]) == profiles
    on_profile = Counter(n["messaging_profile_id"] for n in doc["phone_numbers"])
    assert all(on_profile[p["id"]] >= 1 for p in doc["messaging_profiles"])
    start_sandbox(seed=doc).stop()


@pytest.mark.parametrize("args", [("--numbers", "0"), ("--numbers", "10", "--profiles", "11"),
                                  ("--numbers", "10", "--profiles", "0")])
def test_impossible_sizes_are_refused(args: tuple[str, ...]) -> None:
    r = generate(*args)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("sandbox generate: --") and "Traceback" not in r.stderr


def test_an_existing_file_is_overwritten_only_with_force(tmp_path: Path) -> None:
    out = tmp_path / "seed.yaml"
    out.write_text("mine\n")
    r = generate("--numbers", "50", "--out", str(out))
    assert r.returncode == 1 and "the file exists; --force overwrites it" in r.stderr
    assert out.read_text() == "mine\n"
    r = generate("--numbers", "50", "--out", str(out), "--force")
    assert r.returncode == 0, r.stderr
    assert yaml.safe_load(out.read_text())["phone_numbers"]


@pytest.mark.parametrize("force", [False, True])
def test_a_write_that_fails_halfway_leaves_no_half_seed(tmp_path: Path, force: bool) -> None:
    """The seed takes its name only once whole: a write that fails mid-way (a full disk, say) keeps
    the file --force was replacing, or creates none, and leaves no temporary file behind."""
    from reconciler.sandbox.cli import _write_new

    out = tmp_path / "seed.yaml"
    if force:
        out.write_text("mine\n")

    def chunks():
        yield "phone_numbers:\n"
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        _write_new(str(out), chunks(), force)
    assert (out.read_text() == "mine\n") if force else not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == (["seed.yaml"] if force else [])
    _write_new(str(out), iter(["whole\n"]), True)
    assert out.read_text() == "whole\n" and oct(out.stat().st_mode & 0o777) == "0o644"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed.yaml"]


@pytest.mark.parametrize("force", [False, True])
def test_a_symbolic_link_is_never_written_through(tmp_path: Path, force: bool) -> None:
    target, dangling_target = tmp_path / "precious", tmp_path / "elsewhere"
    target.write_text("precious\n")
    (tmp_path / "link.yaml").symlink_to(target)
    (tmp_path / "dangling.yaml").symlink_to(dangling_target)
    for link in ("link.yaml", "dangling.yaml"):
        r = generate("--numbers", "50", "--out", str(tmp_path / link), *(["--force"] if force else []))
        assert r.returncode == 1 and "symbolic link" in r.stderr, r.stderr
    assert target.read_text() == "precious\n" and not dangling_target.exists()


def test_an_out_folder_or_missing_folder_is_an_error(tmp_path: Path) -> None:
    for out in (tmp_path, tmp_path / "no" / "seed.yaml"):
        r = generate("--numbers", "50", "--out", str(out), "--force")
        assert r.returncode == 1 and "Traceback" not in r.stderr and r.stdout == ""


def test_docs_try_it_at_scale_runs_as_written(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "sandbox.md").read_text(encoding="utf-8")
    start = text.index("## Try it at scale")
    section = text[start:text.index("\n## ", start)]
    (script,) = re.findall(r"```sh\n(.*?)```", section, re.S)
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path),
           "NO_COLOR": "1", "LANG": "C.UTF-8", **({"PYTHONPATH": os.environ["PYTHONPATH"]}
                                                  if os.environ.get("PYTHONPATH") else {})}
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-euo", "pipefail", "-c", script], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)
    out = proc.stdout
    assert proc.returncode == 0, f"stdout:\n{out}\nstderr:\n{proc.stderr}"
    # what the block's comments say
    assert "Profile acme-new-numbers holds 29 numbers on no campaign; campaign CSPI9GW" in proc.stderr
    assert "wrote 11 files to estate" in proc.stderr
    assert "ok: 2911 numbers, 11 profiles, 36 campaigns" in out
    assert "Plan: no changes · 2911 unchanged" in out
    assert "Plan: 29 to assign" in out and "bulk assignment by profile to CSPI9GW" in out
    assert re.search(r"\b29 converged", out)  # apply's exit 0 (set -e) says the rest
    assert "Drift: 1 out of band" in out and "+12064855597" in out
    assert out.count("Drift: none") == 2 and re.search(r"\b1 converged", out)
