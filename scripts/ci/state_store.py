#!/usr/bin/env python3
"""Carry the reconciler's state folder from one CI job to the next, as a workflow artifact.

    python scripts/ci/state_store.py restore [--dir .reconciler] [--name reconciler-state] [--branch main]

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

import argparse
import io
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _github import GitHub, GitHubError, fail, set_output  # noqa: E402

MEMBER = "journal.jsonl"
MAX_BYTES = 512 * 1024 * 1024


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=["restore"])
    ap.add_argument("--dir", default=".reconciler")
    ap.add_argument("--name", default="reconciler-state")
    ap.add_argument("--branch", default="main", help="the default branch: only its runs' artifacts are trusted")
    args = ap.parse_args(argv)
    try:
        restore(GitHub(), args.name, Path(args.dir), args.branch)
    except (GitHubError, zipfile.BadZipFile, OSError) as e:
        fail(f"cannot restore the state folder from artifact {args.name}: {e}. Running on without it could send "
             "work in flight again; re-run the job, or see docs/ci.md (the state folder).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
