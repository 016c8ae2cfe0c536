"""Carry the reconciler's state folder from one CI job to the next, as a workflow artifact, with provenance.

    reconciler ci state-store restore [--dir .reconciler] [--name reconciler-state]
                                      [--workflow apply.yml --workflow drift.yml] [--branch B]

Telnyx lists no past tasks and every job runs on a new machine: the journal in the state folder
is the only memory of work in flight. Every job that reads or writes Telnyx (apply, the
scheduled resume/drift) restores the newest `reconciler-state` artifact of this repository
first and uploads the folder again at the end (actions/upload-artifact, name reconciler-state,
under `always()` once the restore succeeded: a cancelled apply saves what it journalled). The
jobs share one concurrency group, so they run one at a time and each starts from the last one's
folder. docs/ci.md ("The state store") says why an artifact and not a cache or a branch.

Provenance: anyone who can push a branch (or a tag), or open a pull request, can run a workflow
that uploads an artifact named `reconciler-state`. The folder can only hold numbers back (the
files decide every write), but a forged one could still hold work back or hide it, so an
artifact is restored only when GitHub says that its run:

- belongs to this repository and ran this repository's code (not a fork's);
- is a run of one of the state workflows, by path (`--workflow`, default the callers of the
  reusable apply and drift workflows: `.github/workflows/apply.yml`, `.github/workflows/drift.yml`);
- was started by `push`, `schedule` or `workflow_dispatch` (never `pull_request` or anything else);
- ran on the default branch, as `GET /repos/{repo}` names it (never the event: a scheduled run's
  event has none), and at a commit that branch holds (`GET /compare`): a pushed tag named like
  the branch reports that branch name, but its commit is on no branch.

Of those, the newest (by the artifact's creation: a re-run attempt keeps its run's id but saves a
new artifact) is restored, searched across every page of the list (up to a page cap).

Nothing restored is the first run's empty start only when the store agrees: a missing state where
the store says one existed (a trusted artifact that expired, or a newer run of a state workflow
whose save step succeeded but whose artifact is gone) is a loud warning (the log, the job summary,
and the `warning` output that the drift job puts at the top of the drift issue), never a silent
empty journal. An artifact that exists but cannot be read fails the step.

Outputs (GITHUB_OUTPUT): restored (true/false), artifact_id, run_id, lost (true/false), warning.
"""

from __future__ import annotations

import io
import os
import re
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from reconciler.ci.actions import annotate, fail, say, set_output, summary
from reconciler.ci.github import GitHub, GitHubError
from reconciler.journal import JOURNAL
from reconciler.model import plural

MEMBER = JOURNAL  # the file the artifact carries: the journal, named by the journal
MAX_BYTES = 512 * 1024 * 1024
MAX_PAGES = 50  # 5,000 artifacts: 90 days of hourly saves is about 2,200
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
WORKFLOW = re.compile(r"(?:\.github/workflows/)?([A-Za-z0-9][A-Za-z0-9._-]{0,99}\.ya?ml)")
BRANCH = re.compile(r"[A-Za-z0-9._/-]{1,200}")
EVENTS = ("push", "schedule", "workflow_dispatch")
DEFAULT_WORKFLOWS = ("apply.yml", "drift.yml")
SAVE_STEP = "Save the state folder"  # the reusable workflows' step name: how a run says it saved


@dataclass
class Search:
    """What the store holds for this repository's default branch."""

    branch: str
    artifact: dict[str, Any] | None = None
    ignored: Counter = field(default_factory=Counter)  # why untrusted artifacts were passed over
    expired: int = 0  # trusted artifacts that expired
    capped: bool = False  # more pages than MAX_PAGES: not every artifact was seen
    lost: list[str] = field(default_factory=list)  # why the store says a newer state existed


def workflow_paths(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    out = []
    for n in names:
        m = WORKFLOW.fullmatch(n)
        if not m:
            fail(f"--workflow {n[:60]!r}: a workflow file name such as apply.yml")
        out.append(f".github/workflows/{m.group(1)}")
    return tuple(out)


def created(art: dict[str, Any]) -> tuple[str, int]:
    """Newest first by this: when the artifact was saved (a re-run's artifact is new; its run id is old)."""
    return (str(art.get("created_at") or art.get("updated_at") or ""), int(art.get("id") or 0))


class Provenance:
    """Whether an artifact was saved by this repository's own state workflows on the default branch."""

    def __init__(self, gh: GitHub, branch: str, workflows: tuple[str, ...]) -> None:
        self.gh, self.branch, self.workflows = gh, branch, workflows
        self._runs: dict[int, dict[str, Any] | None] = {}
        self._on_branch: dict[str, bool] = {}

    def cheap(self, art: dict[str, Any]) -> str | None:
        """What the listing alone tells (no request): None when it may be ours, else why not."""
        run = art.get("workflow_run") or {}
        if run.get("repository_id") is None or run.get("head_repository_id") != run.get("repository_id"):
            return "saved by a fork's run"
        if run.get("head_branch") != self.branch:
            return f"not saved on {self.branch}"
        return None

    def run(self, run_id: int) -> dict[str, Any] | None:
        if run_id not in self._runs:
            try:
                self._runs[run_id] = self.gh.request("GET", f"/repos/{{repo}}/actions/runs/{run_id}") or {}
            except GitHubError as e:
                if e.status != 404:
                    raise
                self._runs[run_id] = None
        return self._runs[run_id]

    def on_branch(self, sha: str) -> bool:
        """The default branch holds the commit (a tag named like the branch points elsewhere)."""
        if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", sha):
            return False
        if sha not in self._on_branch:
            try:
                found = self.gh.request("GET", f"/repos/{{repo}}/compare/{quote(self.branch, safe='')}...{sha}") or {}
            except GitHubError as e:
                if e.status != 404:
                    raise
                found = {}
            self._on_branch[sha] = found.get("status") in ("behind", "identical")
        return self._on_branch[sha]

    def why_not(self, art: dict[str, Any]) -> str | None:
        """None when trusted, else why not (a fixed phrase: nothing from the artifact is echoed)."""
        reason = self.cheap(art)
        if reason:
            return reason
        run_id = int((art.get("workflow_run") or {}).get("id") or 0)
        run = self.run(run_id) if run_id > 0 else None
        if run is None:
            return "its run is gone"
        repo = self.gh.repository.casefold()
        if str((run.get("repository") or {}).get("full_name") or "").casefold() != repo or \
                str((run.get("head_repository") or {}).get("full_name") or "").casefold() != repo:
            return "saved by another repository's code"
        if str(run.get("path") or "").split("@", 1)[0] not in self.workflows:
            return "saved by another workflow"
        if run.get("event") not in EVENTS:
            return "saved by a pull request's run" if str(run.get("event") or "").startswith("pull_request") \
                else "saved by a run of another event"
        if run.get("head_branch") != self.branch:
            return f"not saved on {self.branch}"
        if not self.on_branch(str(run.get("head_sha") or "")):
            return f"saved at a commit {self.branch} does not hold (a tag?)"
        return None


def search(gh: GitHub, name: str, branch: str, workflows: tuple[str, ...]) -> Search:
    found = Search(branch)
    prov = Provenance(gh, branch, workflows)
    q = urlencode({"name": name, "per_page": 100})
    arts: list[dict[str, Any]] = []
    listing = gh.pages(f"/repos/{{repo}}/actions/artifacts?{q}", key="artifacts", max_pages=MAX_PAGES)
    arts = [a for a in listing if a.get("name") == name]
    found.capped = listing.truncated
    live = []
    for a in arts:
        reason = prov.cheap(a)
        if reason:
            found.ignored[reason] += 1
        elif a.get("expired"):
            found.expired += 1
        else:
            live.append(a)
    for a in sorted(live, key=created, reverse=True):
        reason = prov.why_not(a)
        if reason is None:
            found.artifact = a
            break
        found.ignored[reason] += 1
    found.lost = newer_saves(gh, prov, found.artifact, arts)
    if found.artifact is None and found.expired:
        found.lost.append(f"{plural(found.expired, f'trusted {name} artifact', f'trusted {name} artifacts')} expired "
                          "and none is left")
    return found


def newer_saves(gh: GitHub, prov: Provenance, art: dict[str, Any] | None, arts: list[dict[str, Any]]) -> list[str]:
    """Runs of the state workflows on the default branch, newer than the restored artifact, whose save step
    succeeded but whose artifact is not there (deleted, or expired): the store says a newer state existed."""
    have = {int((a.get("workflow_run") or {}).get("id") or 0) for a in arts if not a.get("expired")}
    since = created(art)[0] if art else ""
    lost = []
    for path in prov.workflows:
        q = urlencode({"branch": prov.branch, "status": "completed", "per_page": 10})
        data = gh.request("GET", f"/repos/{{repo}}/actions/workflows/{quote(path.rsplit('/', 1)[-1])}/runs?{q}") or {}
        for run in data.get("workflow_runs") or []:
            rid = int(run.get("id") or 0)
            when = str(run.get("updated_at") or run.get("created_at") or "")
            if run.get("event") not in EVENTS or run.get("head_branch") != prov.branch or (since and when <= since):
                continue
            if art is not None and rid == int((art.get("workflow_run") or {}).get("id") or 0):
                continue
            if rid in have or not saved(gh, rid):
                continue
            lost.append(f"run {rid} of {path} saved the state folder, and its artifact is gone")
            break  # the newest one says enough
    return lost


def saved(gh: GitHub, run_id: int) -> bool:
    jobs = gh.request("GET", f"/repos/{{repo}}/actions/runs/{run_id}/jobs?per_page=100") or {}
    return any(str(s.get("name") or "").startswith(SAVE_STEP) and s.get("conclusion") == "success"
               for j in jobs.get("jobs") or [] for s in j.get("steps") or [])


def write_journal(folder: Path, data: bytes) -> None:
    """The journal, written without following a link planted in its place."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / MEMBER
    if target.is_symlink():
        fail(f"{target} is a symbolic link: refusing to write through it")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def restore(gh: GitHub, name: str, folder: Path, branch: str, workflows: tuple[str, ...]) -> Search:
    found = search(gh, name, branch, workflows)
    if found.ignored:
        why = "; ".join(f"{n} {r}" for r, n in sorted(found.ignored.items()))
        ignored = plural(sum(found.ignored.values()), f"{name} artifact", f"{name} artifacts")
        say(f"notice: ignored {ignored} not saved by this repository's "
            f"state workflows on {branch} ({why})")
    warnings = list(found.lost)
    if found.capped:
        warnings.append(f"the artifact list is longer than {MAX_PAGES} pages: only the newest were searched")
    art = found.artifact
    if art is None:
        if found.capped:
            fail(f"no trusted {name} artifact among the newest {MAX_PAGES * 100}: refusing to start with an empty "
                 "journal (delete old artifacts, or see docs/ci.md, the state store)")
        write_journal(folder, b"")
        set_output("restored", "false")
        if not warnings:
            print(f"notice: no {name} artifact yet: starting with an empty state folder (the first run)",
                  file=sys.stderr)
    else:
        raw = gh.download(f"/repos/{{repo}}/actions/artifacts/{int(art['id'])}/zip", max_bytes=MAX_BYTES)
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            member = next((i for i in zf.infolist() if i.filename.rsplit("/", 1)[-1] == MEMBER), None)
            if member is None:
                fail(f"artifact {name} ({art['id']}) holds no {MEMBER}: refusing to run on without the journal")
            if member.file_size > MAX_BYTES:
                fail(f"artifact {name} ({art['id']}): {MEMBER} is {member.file_size} bytes, over {MAX_BYTES}")
            data = zf.read(member)
        write_journal(folder, data)
        run = int((art.get("workflow_run") or {}).get("id") or 0)
        print(f"restored {folder}/{MEMBER} ({len(data)} bytes) from artifact {art['id']} of run {run}",
              file=sys.stderr)
        set_output("restored", "true")
        set_output("artifact_id", str(art["id"]))
        set_output("run_id", str(run))
    text = ""
    if warnings:
        text = (f"The state folder may be lost: {'; '.join(warnings)}. "
                + ("This job starts with an empty journal. " if art is None else
                   f"This job restored an older one (artifact {int(art['id'])}). ")
                + "Work in flight it forgot is not sent again while Telnyx shows it PENDING_*, but next phases "
                "of earlier applies are forgotten: run `reconciler plan` and apply what it shows "
                "(docs/ci.md, \"When the state is lost\").")
        print(annotate("warning", text), file=sys.stderr)
        summary(f"> [!WARNING]\n> {text}")
    set_output("lost", "true" if found.lost else "false")
    set_output("warning", text)
    return found


def run(name: str, folder: str, branch: str | None, workflows: tuple[str, ...]) -> None:
    if not NAME.fullmatch(name) or (branch and not BRANCH.fullmatch(branch)):
        fail("--name and --branch take plain names")
    paths = workflow_paths(workflows or DEFAULT_WORKFLOWS)
    try:
        gh = GitHub()
        restore(gh, name, Path(folder), branch or gh.default_branch(), paths)
    except (GitHubError, zipfile.BadZipFile, OSError) as e:
        fail(f"cannot restore the state folder from artifact {name}: {e}. Running on without it could send "
             "work in flight again; re-run the job, or see docs/ci.md (the state folder).")
