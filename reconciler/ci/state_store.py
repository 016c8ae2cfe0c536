"""Carry the reconciler's state folder from one CI job to the next, as a workflow artifact.

    reconciler ci state-store restore [--dir .reconciler] [--name reconciler-state] [--branch main]

Telnyx lists no past tasks and every job runs on a new machine: the journal in the state folder
is the only memory of work in flight. Every job that reads or writes Telnyx (apply, the
scheduled resume/drift) restores the newest `reconciler-state` artifact of this repository
first and uploads the folder again at the end (actions/upload-artifact, name reconciler-state).
The jobs share one concurrency group, so they run one at a time and each starts from the last
one's folder. Why an artifact, not a cache: a cache can be evicted silently (7 days unused, or
over 10 GB); an artifact stays for its retention days, and the hourly job uploads a fresh one.

Only an artifact saved by a run on the default branch of this repository is restored (`--branch`):
anyone who can push a branch, or open a pull request from a fork, can run a workflow that uploads
an artifact of the same name, and a forged journal could make the next job skip or resend work.

A repository with no such artifact yet (the first apply) starts empty, and says so. An artifact
that exists but cannot be read fails the step: running on without the journal could send work
in flight again. Outputs (GITHUB_OUTPUT): restored (true/false), artifact_id, run_id.
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from pathlib import Path

from reconciler.ci.actions import fail, set_output
from reconciler.ci.github import GitHub, GitHubError

MEMBER = "journal.jsonl"
MAX_BYTES = 512 * 1024 * 1024
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def trusted(art: dict, branch: str) -> bool:
    """Saved by a run of this repository's own code on `branch` (not a pull request's, not a fork's)."""
    run = art.get("workflow_run") or {}
    return (run.get("head_branch") == branch and run.get("repository_id") is not None
            and run.get("head_repository_id") == run.get("repository_id"))


def newest(gh: GitHub, name: str, branch: str) -> dict | None:
    found = gh.request("GET", f"/repos/{{repo}}/actions/artifacts?name={name}&per_page=100") or {}
    arts = [a for a in found.get("artifacts", []) if a.get("name") == name and not a.get("expired")]
    others = [a for a in arts if not trusted(a, branch)]
    if others:
        print(f"notice: ignored {len(others)} {name} artifact(s) not saved on {branch} by this repository's runs",
              file=sys.stderr)
    arts = [a for a in arts if trusted(a, branch)]
    # Newest first: by the run that made it, then by id (GitHub's ids grow).
    arts.sort(key=lambda a: (int((a.get("workflow_run") or {}).get("id") or a.get("run_id") or 0), int(a["id"])),
              reverse=True)
    return arts[0] if arts else None


def restore(gh: GitHub, name: str, folder: Path, branch: str) -> None:
    art = newest(gh, name, branch)
    if art is None:
        print(f"notice: no {name} artifact yet: starting with an empty state folder (the first run)", file=sys.stderr)
        set_output("restored", "false")
        return
    raw = gh.download(f"/repos/{{repo}}/actions/artifacts/{int(art['id'])}/zip")
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        member = next((i for i in zf.infolist() if i.filename.rsplit("/", 1)[-1] == MEMBER), None)
        if member is None:
            fail(f"artifact {name} ({art['id']}) holds no {MEMBER}: refusing to run on without the journal")
        if member.file_size > MAX_BYTES:
            fail(f"artifact {name} ({art['id']}): {MEMBER} is {member.file_size} bytes, over {MAX_BYTES}")
        data = zf.read(member)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / MEMBER
    if target.is_symlink():
        fail(f"{target} is a symbolic link: refusing to write through it")
    target.write_bytes(data)
    run = (art.get("workflow_run") or {}).get("id") or art.get("run_id") or ""
    print(f"restored {folder}/{MEMBER} ({len(data)} bytes) from artifact {art['id']} of run {run}", file=sys.stderr)
    set_output("restored", "true")
    set_output("artifact_id", str(art["id"]))
    set_output("run_id", str(run))


def run(name: str, folder: str, branch: str) -> None:
    if not NAME.fullmatch(name) or not re.fullmatch(r"[A-Za-z0-9._/-]{1,200}", branch):
        fail("--name and --branch take plain names")
    try:
        restore(GitHub(), name, Path(folder), branch)
    except (GitHubError, zipfile.BadZipFile, OSError) as e:
        fail(f"cannot restore the state folder from artifact {name}: {e}. Running on without it could send "
             "work in flight again; re-run the job, or see docs/ci.md (the state folder).")
