"""The release process (docs/release.md): one version, written once; CHANGELOG.md names it; the release
workflow builds once, tests the built wheel, and publishes only from a pushed `v*` tag."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from reconciler import __version__
from reconciler.ci.actions import CIError
from reconciler.ci.init import UPSTREAM, upstream
from reconciler.cli import cli
from reconciler.live.transport import DEFAULT_USER_AGENT

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import release_notes  # noqa: E402

RELEASE = ROOT / ".github" / "workflows" / "release.yml"
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")


def test_the_version_is_written_once_and_everything_follows_it():
    assert SEMVER.fullmatch(__version__)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "reconciler.__version__"}
    assert release_notes.package_version() == __version__
    r = CliRunner().invoke(cli, ["--version"])
    assert (r.exit_code, r.output) == (0, f"reconciler, version {__version__}\n")
    assert DEFAULT_USER_AGENT == f"telnyx-10dlc-reconciler/{__version__}"


def test_init_pins_this_versions_release_by_default():
    """The default ref is this version's tag; init resolves it to its commit (or, only with
    --allow-tag, pins the movable tag itself), never a tag silently."""
    pins = upstream(allow_tag=True)
    assert (pins.repository, pins.ref, pins.at) == (UPSTREAM, f"v{__version__}", f"@v{__version__}")
    with pytest.raises(CIError, match=f"--ref 'v{re.escape(__version__)}' is not a commit SHA"):
        upstream()


def test_the_docs_name_this_release():
    """Where the docs show a ref to pin (docs/ci.md's walkthrough and pre-commit, docs/release.md, the
    hook file; any page of docs/), it is this version's tag: a bump that forgets one fails here."""
    tag = f"v{__version__}"
    for path in (*sorted((ROOT / "docs").glob("*.md")), ROOT / ".pre-commit-hooks.yaml", ROOT / "README.md"):
        text = path.read_text(encoding="utf-8")
        refs = re.findall(r"(?:rev: |RECONCILER_REF:-|@)(v\d+\.\d+\.\d+)\b", text)
        assert all(ref == tag for ref in refs), (path.name, refs)
    assert "RECONCILER_REF:-" + tag in (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")


def test_the_changelog_leads_with_this_version():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    found = release_notes.entries(changelog)
    assert found[0][0] == __version__
    assert release_notes.problems(None, __version__, changelog) == []
    body = release_notes.notes(__version__, changelog)
    assert "### Breaking changes, and how to migrate" in body and "## [" not in body


def test_a_tag_publishes_only_its_own_dated_version():
    changelog = "# Changelog\n\n## [1.2.3] - 2027-01-05\n\nnotes\n\n## [1.2.2] - 2026-12-01\n\nold\n"
    assert release_notes.problems("v1.2.3", "1.2.3", changelog) == []
    assert release_notes.notes("1.2.3", changelog) == "notes\n"
    assert release_notes.problems("v1.2.4", "1.2.3", changelog) == ["the tag v1.2.4 is not v1.2.3 (reconciler/__init__.py)"]
    assert release_notes.problems("1.2.3", "1.2.3", changelog) == ["the tag 1.2.3 is not v1.2.3 (reconciler/__init__.py)"]
    assert release_notes.problems("v1.2.4", "1.2.4", changelog) == ["CHANGELOG.md's newest entry is 1.2.3, the package is 1.2.4"]
    undated = changelog.replace("2027-01-05", "unreleased")
    assert release_notes.problems(None, "1.2.3", undated) == []  # a pull request may build it
    assert release_notes.problems("v1.2.3", "1.2.3", undated) == [
        "CHANGELOG.md's entry for 1.2.3 is dated 'unreleased': give it the release date"]
    assert release_notes.problems(None, "1.2", changelog)[0] == "the package version '1.2' is not MAJOR.MINOR.PATCH"


def test_the_release_notes_script_refuses_a_tag_with_exit_1(tmp_path):
    (tmp_path / "reconciler").mkdir()
    (tmp_path / "reconciler" / "__init__.py").write_text('__version__ = "1.0.0"\n')
    (tmp_path / "CHANGELOG.md").write_text("## [1.0.0] - 2027-02-01\n\nThe notes.\n")
    script = [sys.executable, "-P", str(ROOT / "scripts" / "release_notes.py"), "--root", str(tmp_path)]
    ok = subprocess.run([*script, "--tag", "v1.0.0"], capture_output=True, text=True, timeout=30)
    assert (ok.returncode, ok.stdout) == (0, "The notes.\n")
    bad = subprocess.run([*script, "--tag", "v1.0.1"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 1 and "error: the tag v1.0.1 is not v1.0.0" in bad.stderr and bad.stdout == ""


@pytest.fixture(scope="module")
def release() -> dict:
    return yaml.safe_load(RELEASE.read_text(encoding="utf-8"))


def test_nothing_publishes_except_from_a_pushed_version_tag(release):
    on = release[True]
    assert on["push"] == {"tags": ["v*"]} and "pull_request_target" not in on
    assert release["permissions"] == {"contents": "read"}
    jobs = release["jobs"]
    on_tag = "github.event_name == 'push' && startsWith(github.ref, 'refs/tags/v')"
    for name in ("publish-pypi", "github-release"):
        assert jobs[name]["if"] == on_tag, name
    # Only the publish jobs may write anything or mint an OIDC token; build and test never can.
    for name, job in jobs.items():
        perms = job.get("permissions", {})
        if name == "publish-pypi":
            assert perms == {"contents": "read", "id-token": "write", "attestations": "write"}
            assert job["environment"]["name"] == "pypi"
        elif name == "github-release":
            assert perms == {"contents": "write"}
        else:
            assert perms == {} and "if" not in job, name
    assert "secrets." not in RELEASE.read_text(encoding="utf-8")  # trusted publishing: no stored token


def test_the_files_are_built_once_tested_as_a_wheel_then_published_as_built(release):
    jobs = release["jobs"]
    build_runs = [s.get("run", "") for s in jobs["build"]["steps"]]
    assert sum("python -m build" in r for r in build_runs) == 1
    assert not any("python -m build" in s.get("run", "") for n, j in jobs.items() if n != "build" for s in j["steps"])
    assert jobs["test-wheel"]["needs"] == "build"
    assert set(jobs["publish-pypi"]["needs"]) == {"build", "test-wheel"}
    assert "publish-pypi" in jobs["github-release"]["needs"]
    test_steps = jobs["test-wheel"]["steps"]
    runs = "\n".join(s.get("run", "") for s in test_steps)
    assert "dist/*.whl" in runs and "reconciler --version" in runs and "python -P src/scripts/demo.py" in runs
    checkout = next(s for s in test_steps if str(s.get("uses", "")).startswith("actions/checkout"))
    assert checkout["with"]["path"] == "src"  # data only: the wheel is what runs
    publish = [s.get("uses", "") for s in jobs["publish-pypi"]["steps"]]
    assert [u.split("@")[0] for u in publish] == [
        "actions/download-artifact", "actions/attest-build-provenance", "pypa/gh-action-pypi-publish"]
    attest = jobs["publish-pypi"]["steps"][1]
    assert attest["with"] == {"subject-path": "dist/*"}
    notes = jobs["github-release"]["steps"][-1]["run"]
    assert "gh release create" in notes and "--notes-file notes/release-notes.md" in notes and "--verify-tag" in notes
