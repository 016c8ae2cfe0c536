"""Run a job of one of .github/workflows/*.yml locally, the way GitHub Actions would, for tests.

Every `run:` step runs for real (bash -eo pipefail, like `shell: bash` on GitHub) with the
workflow/job/step `env`, `${{ }}` expressions evaluated, and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY /
GITHUB_EVENT_PATH files. A job that calls a reusable workflow (`uses:` at job level) runs that
workflow's jobs in order, with its inputs (defaults, then `with:`), the secrets passed (`inherit`),
`needs` and job outputs: `./.github/workflows/X` is read from the workflows folder, and
`owner/name/.github/workflows/X@ref` (what `reconciler init` writes) from this repository's copy,
which stands in for the published one. A step that uses a local composite action (`./path`) runs
its steps. Environments hold their own secrets and may be restricted to branches, as on GitHub:
a job whose ref is not allowed fails before its first step.

The other `uses:` steps are stood in for: checkout copies the repository's files (one with a
`repository:` is the reconciler's own source: its composite action and lock file are copied),
setup-python does nothing (the test's venv is on PATH), upload-artifact zips the named files into
the fake GitHub under this run's id. `python -m pip install` is a no-op (the reconciler is
installed already).

The expression evaluator supports only what the workflows use (contexts, literals, `||`, `&&`,
`!`, `==`, `!=`, parentheses, always()/success()/failure()/cancelled()); anything else raises,
so a workflow cannot quietly drift beyond what the tests exercise.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)
TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+)|(?P<op>\|\||&&|==|!=|!|\(|\))|"
                   r"(?P<id>[A-Za-z_][A-Za-z0-9_\-]*(?:\.[A-Za-z_][A-Za-z0-9_\-]*)*)(?P<call>\(\))?)")


def load(name: str) -> dict[str, Any]:
    return _load_path(WORKFLOWS / name)


class ExprError(ValueError):
    pass


def _truthy(v: Any) -> bool:
    return v not in (None, "", 0, False)


class Evaluator:
    def __init__(self, contexts: dict[str, Any], status: str) -> None:
        self.ctx = contexts
        self.status = status  # "success" | "failure"

    def lookup(self, dotted: str) -> Any:
        cur: Any = self.ctx
        for part in dotted.split("."):
            if isinstance(cur, dict):
                cur = cur.get(part)
            else:
                return None
        return cur

    def eval(self, text: str) -> Any:
        toks = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise ExprError(f"unsupported expression syntax at {text[pos:]!r}")
            toks.append(m)
            pos = m.end()
        self.toks, self.i = toks, 0
        v = self._or()
        if self.i != len(self.toks):
            raise ExprError(f"trailing tokens in {text!r}")
        return v

    def _peek(self, op: str) -> bool:
        return self.i < len(self.toks) and self.toks[self.i].group("op") == op

    def _or(self) -> Any:
        v = self._and()
        while self._peek("||"):
            self.i += 1
            r = self._and()
            v = v if _truthy(v) else r
        return v

    def _and(self) -> Any:
        v = self._cmp()
        while self._peek("&&"):
            self.i += 1
            r = self._cmp()
            v = r if _truthy(v) else v
        return v

    def _cmp(self) -> Any:
        v = self._unary()
        while self._peek("==") or self._peek("!="):
            op = self.toks[self.i].group("op")
            self.i += 1
            r = self._unary()
            a, b = ("" if v is None else str(v)).lower(), ("" if r is None else str(r)).lower()
            v = (a == b) if op == "==" else (a != b)
        return v

    def _unary(self) -> Any:
        if self._peek("!"):
            self.i += 1
            return not _truthy(self._unary())
        if self._peek("("):
            self.i += 1
            v = self._or()
            if not self._peek(")"):
                raise ExprError("missing )")
            self.i += 1
            return v
        t = self.toks[self.i]
        self.i += 1
        if t.group("str"):
            return t.group("str")[1:-1].replace("''", "'")
        if t.group("num"):
            return int(t.group("num"))
        name = t.group("id")
        if t.group("call"):
            funcs = {"always": True, "success": self.status == "success", "failure": self.status == "failure",
                     "cancelled": self.status == "cancelled"}
            if name not in funcs:
                raise ExprError(f"unsupported function {name}()")
            return funcs[name]
        if name in ("true", "false"):
            return name == "true"
        if name == "null":
            return None
        if name.split(".")[0] not in self.ctx:
            raise ExprError(f"unsupported context in {name}")
        return self.lookup(name)

    def interpolate(self, value: Any) -> str:
        if not isinstance(value, str):
            return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)

        def sub(m: re.Match[str]) -> str:
            v = self.eval(m.group(1))
            return "" if v is None else (str(v).lower() if isinstance(v, bool) else str(v))

        return EXPR.sub(sub, value)

    def condition(self, cond: Any) -> bool:
        if cond is None:
            return self.status == "success"
        text = str(cond).strip()
        m = EXPR.fullmatch(text)
        text = m.group(1) if m else text
        if not re.search(r"\b(always|success|failure|cancelled)\(\)", text):
            text = f"success() && ({text})"
        return _truthy(self.eval(text))


@dataclass
class StepResult:
    name: str
    outcome: str  # success | failure | skipped
    outputs: dict[str, str] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""
    returncode: int | None = None


@dataclass
class JobResult:
    status: str
    steps: list[StepResult]
    summary: str
    artifacts: dict[str, dict[str, bytes]]
    jobs: dict[str, str] = field(default_factory=dict)
    called: list[str] = field(default_factory=list)
    sources: list[tuple[str, str]] = field(default_factory=list)  # (repository, ref) of each reconciler checkout

    def step(self, name_part: str) -> StepResult:
        for s in self.steps:
            if name_part.lower() in s.name.lower():
                return s
        raise KeyError(name_part)

    def log(self) -> str:
        return "\n".join(f"--- {s.name} [{s.outcome}]\n{s.stdout}{s.stderr}" for s in self.steps)


def _read_kv_file(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    if not path.exists():
        return out
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and "=" not in line.split("<<")[0]:
            name, delim = line.split("<<", 1)
            buf = []
            i += 1
            while i < len(lines) and lines[i] != delim:
                buf.append(lines[i])
                i += 1
            out[name] = "\n".join(buf)
        elif "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
        i += 1
    return out


def _shim_dir(tmp: Path) -> Path:
    """`python -m pip ...` installs nothing (the reconciler is installed already), but fails, as pip
    would, when a requirements file (`-r`) or the path to install is not there; every other python
    call goes to the test's interpreter."""
    d = tmp / "shim-bin"
    d.mkdir(exist_ok=True)
    shim = d / "python"
    shim.write_text(f"""#!/usr/bin/env bash
if [ "${{1:-}}" = "-m" ] && [ "${{2:-}}" = "pip" ]; then
  shift 2; prev=""
  for a in "$@"; do
    if [ "$prev" = "-r" ] && [ ! -f "$a" ]; then echo "pip stand-in: no requirements file $a" >&2; exit 1; fi
    prev="$a"
  done
  last="${{!#}}"
  case "$last" in -*|install) ;; *) [ -e "$last" ] || {{ echo "pip stand-in: $last not found" >&2; exit 1; }};; esac
  echo "(pip skipped in tests: $*)"; exit 0
fi
exec {sys.executable} "$@"
""", encoding="utf-8")
    shim.chmod(0o755)
    return d


@dataclass
class Run:
    """What stays the same across the jobs of one workflow run."""

    workdir: Path
    runner_temp: Path
    summary_path: Path
    base_env: dict[str, str]
    github: Any
    run_id: int
    checkout: dict[str, Path]
    environments: dict[str, dict[str, Any]]
    timeout: float
    results: list[StepResult] = field(default_factory=list)
    artifacts: dict[str, dict[str, bytes]] = field(default_factory=dict)
    jobs: dict[str, str] = field(default_factory=dict)  # job id -> success | failure | skipped
    called: list[str] = field(default_factory=list)  # the reusable workflows followed, as named in `uses:`
    sources: list[tuple[str, str]] = field(default_factory=list)  # what each checkout of the reconciler named
    seq: int = 0
    last_steps: dict[str, dict[str, Any]] = field(default_factory=dict)  # job id -> its steps context
    cancel_after: str | None = None  # the run is cancelled once the step whose name holds this has run
    cancelled: bool = False


def resolve_workflow(uses: str) -> Path:
    """A reusable workflow reference: local (`./.github/workflows/X`) or published (`o/n/.github/workflows/X@ref`);
    both are read from this repository's workflows folder."""
    path = uses.split("@", 1)[0]
    m = re.fullmatch(r"(?:\./|[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/)\.github/workflows/([A-Za-z0-9_.-]+\.ya?ml)", path)
    if not m:
        raise ExprError(f"no stand-in for reusable workflow {uses}")
    if not uses.startswith("./") and "@" not in uses:
        raise ExprError(f"a published reusable workflow needs @ref: {uses}")
    return WORKFLOWS / m.group(1)


def _load_path(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in doc:  # YAML 1.1 reads the key `on` as a boolean
        doc["on"] = doc.pop(True)
    return doc


def run_job(workflow: str, job: str, *, workdir: Path, event_name: str, event: dict[str, Any] | None = None,
            secrets: dict[str, str] | None = None, variables: dict[str, str] | None = None,
            inputs: dict[str, str] | None = None, github: Any = None, run_id: int = 1,
            sha: str = "0" * 40, ref: str = "refs/heads/main", checkout: dict[str, Path] | None = None,
            environments: dict[str, dict[str, Any]] | None = None, workflows_dir: Path | None = None,
            timeout: float = 120, cancel_after: str | None = None) -> JobResult:
    """Run one job of `workflow` (a file in `workflows_dir`, default this repository's workflows).
    `github` is the FakeGitHub; `checkout` maps repo-relative paths to copy into a checkout;
    `environments` maps an environment's name to {"secrets": {...}, "branches": [...]} (absent: no
    secrets, no restriction, as GitHub creates an environment on first use). `cancel_after` cancels the run
    once the first step whose name holds it has run: later steps run only under `always()` (and see
    `cancelled()` true), as when someone cancels a run on GitHub; the job ends "cancelled"."""
    doc = _load_path((workflows_dir or WORKFLOWS) / workflow)
    workdir.mkdir(parents=True, exist_ok=True)
    runner_temp = workdir.parent / f"runner-temp-{run_id}"
    runner_temp.mkdir(exist_ok=True)
    summary_path = runner_temp / "step_summary.md"
    summary_path.touch()
    event = dict(event or {})
    event.setdefault("repository", {"default_branch": "main"})
    event_path = runner_temp / "event.json"
    event_path.write_text(json.dumps(event), encoding="utf-8")
    repo = github.repo if github else "acme/estate"
    if github is not None:  # GitHub records the run: what `reconciler ci reviewed-plan` checks a comment against
        head_repo = (((event or {}).get("pull_request") or {}).get("head") or {}).get("repo") or {}
        github.add_run(run_id, workflow, sha, event_name, head_repo.get("full_name"), ref.rsplit("/", 1)[-1])
    gh_ctx = {"event_name": event_name, "event": event, "sha": sha, "ref": ref, "repository": repo,
              "ref_name": ref.removeprefix("refs/heads/").removeprefix("refs/tags/"),
              "token": github.token if github else "ghs-none", "run_id": str(run_id),
              "server_url": "https://github.com", "workspace": str(workdir)}
    base_env = {
        "PATH": f"{_shim_dir(runner_temp)}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": os.environ.get("HOME", str(workdir)), "LANG": "C.UTF-8", "NO_COLOR": "1",
        "GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_REPOSITORY": repo, "GITHUB_SHA": sha, "GITHUB_REF": ref,
        "GITHUB_REF_NAME": gh_ctx["ref_name"], "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_EVENT_NAME": event_name, "GITHUB_RUN_ID": str(run_id), "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": github.url if github else "http://127.0.0.1:9", "GITHUB_WORKSPACE": str(workdir),
        "RUNNER_TEMP": str(runner_temp), "GITHUB_STEP_SUMMARY": str(summary_path),
    }
    if os.environ.get("PYTHONPATH"):  # a worktree's code, as the test process runs it
        base_env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    run = Run(workdir, runner_temp, summary_path, base_env, github, run_id, checkout or {}, environments or {},
              timeout, cancel_after=cancel_after)
    # job.workflow_*: the repository and commit of the workflow file that defines the job (a reusable
    # workflow's own, once called; see _run_any_job).
    ctx: dict[str, Any] = {"github": gh_ctx, "job": {"workflow_repository": repo, "workflow_sha": sha},
                           "secrets": secrets or {}, "vars": variables or {},
                           "inputs": inputs or {}, "needs": {}, "matrix": {}, "runner": {"temp": str(runner_temp)}}
    status = _run_any_job(run, doc, job, ctx)
    if run.cancelled:
        status = "cancelled"
    if github is not None:  # as GET /actions/runs/{id}/jobs shows the run: each job's steps and how they ended
        github.runs[run_id].update(status="completed", conclusion=status, jobs=[
            {"name": name, "conclusion": result, "steps": [{"name": s.name, "conclusion": s.outcome}
                                                           for s in run.results]}
            for name, result in run.jobs.items()])
    return JobResult(status, run.results, summary_path.read_text(encoding="utf-8"), run.artifacts, run.jobs,
                     run.called, run.sources)


def _run_any_job(run: Run, doc: dict[str, Any], job: str, ctx: dict[str, Any]) -> str:
    """One job: its steps, or, when it calls a reusable workflow, every job of that workflow in order."""
    job_doc = doc["jobs"][job]
    needs = [job_doc["needs"]] if isinstance(job_doc.get("needs"), str) else list(job_doc.get("needs") or [])
    failed = any(ctx["needs"].get(n, {}).get("result") != "success" for n in needs)
    if not Evaluator(ctx, "failure" if failed else "success").condition(job_doc.get("if")):
        run.jobs[job] = "skipped"
        return "skipped"
    if "uses" not in job_doc:
        return _run_steps_job(run, doc, job, ctx)
    ev = Evaluator({**ctx, "env": {}}, "success")
    run.called.append(job_doc["uses"])
    called = _load_path(resolve_workflow(job_doc["uses"]))
    spec = called["on"]["workflow_call"]
    given = {k: ev.interpolate(v) for k, v in (job_doc.get("with") or {}).items()}
    unknown = set(given) - set(spec.get("inputs") or {})
    if unknown:
        raise ExprError(f"{job_doc['uses']}: no such inputs {sorted(unknown)}")
    inputs = {k: given.get(k, str(v.get("default", "")) if not isinstance(v.get("default"), bool)
                         else str(v["default"]).lower()) for k, v in (spec.get("inputs") or {}).items()}
    missing = [k for k, v in (spec.get("inputs") or {}).items() if v.get("required") and k not in given]
    if missing:
        raise ExprError(f"{job_doc['uses']}: required inputs missing {missing}")
    passed = job_doc.get("secrets")
    secrets = dict(ctx["secrets"]) if passed == "inherit" else {k: ev.interpolate(v) for k, v in (passed or {}).items()}
    inner = {**ctx, "inputs": inputs, "secrets": secrets, "needs": {}, "job": _workflow_identity(job_doc["uses"], ctx)}
    status = "success"
    for name in called["jobs"]:
        result = _run_any_job(run, called, name, inner)
        outputs = {k: Evaluator({**inner, "steps": run.last_steps.get(name, {}), "env": {}}, "success")
                   .interpolate(v) for k, v in (called["jobs"][name].get("outputs") or {}).items()} \
            if result != "skipped" else {}
        inner["needs"] = {**inner["needs"], name: {"result": result, "outputs": outputs}}
        if result == "failure":
            status = "failure"
    return status  # run.jobs holds the called workflow's jobs, by their own ids


def _workflow_identity(uses: str, ctx: dict[str, Any]) -> dict[str, str]:
    """job.workflow_repository / job.workflow_sha inside a called workflow: for `o/n/…@ref`, o/n at the commit
    GitHub resolved the ref to (here the ref as written: the tests pin commits); for `./…`, the caller's."""
    if uses.startswith("./"):
        return dict(ctx["job"])
    path, ref = uses.split("@", 1)
    return {"workflow_repository": "/".join(path.split("/")[:2]), "workflow_sha": ref}


def _environment(run: Run, ctx: dict[str, Any], job_doc: dict[str, Any]) -> tuple[str | None, dict[str, str], str]:
    """The job's environment, its secrets, and '' or why GitHub refuses the job (a branch not allowed)."""
    raw = job_doc.get("environment")
    if raw is None:
        return None, {}, ""
    name = Evaluator({**ctx, "env": {}}, "success").interpolate(raw["name"] if isinstance(raw, dict) else raw)
    env = run.environments.get(name) or {}
    branches = env.get("branches")
    ref = ctx["github"]["ref"]
    if branches is not None and not (ref.startswith("refs/heads/") and ref.removeprefix("refs/heads/") in branches):
        return name, {}, f'Branch "{ref}" is not allowed to deploy to {name} due to environment protection rules.'
    return name, dict(env.get("secrets") or {}), ""


def _run_steps_job(run: Run, doc: dict[str, Any], job: str, ctx: dict[str, Any]) -> str:
    job_doc = doc["jobs"][job]
    env_name, env_secrets, refused = _environment(run, ctx, job_doc)
    ctx = {**ctx, "secrets": {**ctx["secrets"], **env_secrets}, "steps": {}, "env": {}}
    if refused:
        run.results.append(StepResult(f"{job}: environment {env_name}", "failure", stderr=refused + "\n"))
        run.jobs[job] = "failure"
        return "failure"
    if env_name:
        run.results.append(StepResult(f"{job}: environment {env_name}", "success"))
    ev = Evaluator(ctx, "success")
    env_layers: dict[str, str] = {}
    for layer in (doc.get("env") or {}, job_doc.get("env") or {}):
        for k, v in layer.items():
            ctx["env"] = dict(env_layers)
            env_layers[k] = ev.interpolate(v)
    defaults = (job_doc.get("defaults") or doc.get("defaults") or {}).get("run", {})
    status = _run_steps(run, job_doc["steps"], ctx, env_layers, defaults, "success")
    run.last_steps[job] = ctx["steps"]
    run.jobs[job] = status
    return status


def _run_steps(run: Run, steps: list[dict[str, Any]], ctx: dict[str, Any], env_layers: dict[str, str],
               defaults: dict[str, Any], status: str) -> str:
    for step in steps:
        name = step.get("name") or step.get("uses") or step.get("run", "").splitlines()[0]
        if run.cancelled:
            status = "cancelled"
        ev = Evaluator(ctx, status)
        ctx["env"] = dict(env_layers)
        if not ev.condition(step.get("if")):
            run.results.append(StepResult(name, "skipped"))
            if step.get("id"):
                ctx["steps"][step["id"]] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}
            continue
        step_env = {k: ev.interpolate(v) for k, v in (step.get("env") or {}).items()}
        res = StepResult(name, "success")
        if "uses" in step:
            _run_action(run, step, ev, ctx, {**env_layers, **step_env}, res)
        else:
            _run_shell(run, step, ev, {**env_layers, **step_env}, defaults, res)
        if res.outcome == "failure" and not step.get("continue-on-error"):
            status = "failure"
        if step.get("id"):
            ctx["steps"][step["id"]] = {"outputs": res.outputs, "outcome": res.outcome, "conclusion": res.outcome}
        if not any(r is res for r in run.results):
            run.results.append(res)
        if run.cancel_after and run.cancel_after.lower() in name.lower():
            run.cancelled = True
    return "cancelled" if run.cancelled else status


def _run_shell(run: Run, step: dict[str, Any], ev: Evaluator, env: dict[str, str], defaults: dict[str, Any],
               res: StepResult) -> None:
    run.seq += 1
    out_file = run.runner_temp / f"output-{run.seq}"
    out_file.touch()
    script = run.runner_temp / f"step-{run.seq}.sh"
    script.write_text(step["run"], encoding="utf-8")
    shell = step.get("shell") or defaults.get("shell") or "bash"
    assert shell == "bash", shell
    cwd = run.workdir / ev.interpolate(step.get("working-directory", defaults.get("working-directory", ".")))
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=cwd,
                          env={**run.base_env, **env, "GITHUB_OUTPUT": str(out_file)}, capture_output=True,
                          text=True, timeout=run.timeout)
    res.returncode = proc.returncode
    res.stdout, res.stderr = proc.stdout, proc.stderr
    res.outputs = _read_kv_file(out_file)
    if proc.returncode != 0:
        res.outcome = "failure"


def _run_action(run: Run, step: dict[str, Any], ev: Evaluator, ctx: dict[str, Any], env: dict[str, str],
                res: StepResult) -> None:
    uses = step["uses"]
    action = uses.split("@")[0]
    with_ = {k: ev.interpolate(v) for k, v in (step.get("with") or {}).items()}
    if uses.startswith("./"):  # a local composite action: run its steps
        folder = run.workdir / uses[2:]
        meta = yaml.safe_load((folder / "action.yml").read_text(encoding="utf-8"))
        assert meta["runs"]["using"] == "composite", uses
        inputs = {k: with_.get(k, str(v.get("default", ""))) for k, v in (meta.get("inputs") or {}).items()}
        inner = {**ctx, "inputs": inputs, "steps": {},
                 "github": {**ctx["github"], "action_path": str(folder)}}
        for s in meta["runs"]["steps"]:
            assert "uses" in s or s.get("shell") == "bash", "a composite action's run step names its shell"
        status = _run_steps(run, meta["runs"]["steps"], inner, env, {}, "success")
        res.outcome = status
        run.results.append(res)
        return
    if action == "actions/checkout":
        dest = run.workdir / with_.get("path", ".")
        if with_.get("repository"):  # the reconciler's own source: what the reusable workflows use from it
            run.sources.append((with_["repository"], with_.get("ref", "")))
            for part in (".github/actions", "ci"):
                shutil.copytree(ROOT / part, dest / part, dirs_exist_ok=True)
        else:
            for rel, src in run.checkout.items():
                dst = dest / rel
                if src.is_dir():
                    shutil.copytree(src, dst, dirs_exist_ok=True)
                else:
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, dst)
    elif action == "actions/setup-python":
        pass
    elif action == "actions/create-github-app-token":  # mints a token only with the App's own private key
        minted = run.github.app_token(with_.get("client-id", ""), with_.get("private-key", "")) if run.github else None
        if minted is None:
            res.outcome = "failure"
            res.stderr = "create-github-app-token stand-in: no App with that id and private key\n"
        else:
            res.outputs = {"token": minted[0], "app-slug": minted[1]}
    elif action == "actions/upload-artifact":
        _upload(run, with_, res)
    else:
        raise ExprError(f"no stand-in for action {action}")


def _upload(run: Run, with_: dict[str, str], res: StepResult) -> None:
    files: dict[str, bytes] = {}
    for pattern in with_.get("path", "").split("\n"):
        pattern = pattern.strip()
        if not pattern:
            continue
        p = run.workdir / pattern
        if p.is_file() and (with_.get("include-hidden-files") == "true"
                            or not any(part.startswith(".") for part in Path(pattern).parts)):
            files[Path(pattern).name] = p.read_bytes()
    if files:
        run.artifacts[with_["name"]] = files
        github = run.github
        if github is not None:  # like upload-artifact v4+: a name is unique within a run
            same = [a for a in github.artifacts.values() if a["run_id"] == run.run_id and a["name"] == with_["name"]]
            if same and with_.get("overwrite") != "true":
                res.outcome = "failure"
                res.stderr = f"an artifact named {with_['name']} already exists in run {run.run_id}\n"
            else:
                for a in same:
                    del github.artifacts[a["id"]]
                github.add_artifact(run.run_id, with_["name"], files)
    elif with_.get("if-no-files-found", "warn") == "error":
        res.outcome = "failure"


def stop_background(result_dir: Path) -> None:
    """Kill what `reconciler ci start-sandbox` left running (it records its pid under RUNNER_TEMP)."""
    for pid_file in result_dir.glob("runner-temp-*/reconciler-sandbox.pid"):
        try:
            os.kill(int(pid_file.read_text().strip()), 15)
        except (ProcessLookupError, ValueError):
            pass
