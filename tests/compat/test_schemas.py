"""Golden examples of each published JSON schema version, so that a change of a document's shape is a
deliberate one.

`schema-v1/` holds examples of every JSON document of schema version 1: `plan`, `apply`, `drift`,
`status` (the CLI golden situations' documents, `cli/<situation>/<command>.json`), and `resume`,
`validate`, `saved_plan` and the error document (`usage`, `desired_state`, `api_unavailable`,
`refused`), made by `current_documents()` below. The test compares *shapes*: every key path with the
JSON type found there (ids used as keys, such as phone numbers, profile and campaign ids and run ids,
count as one key), over all the examples of a kind. Wording may change; a key added, removed or
retyped fails here until it is deliberate:

- a compatible change (a key added): refresh the examples, `UPDATE_COMPAT=1 pytest tests/compat`,
  and say it in CHANGELOG.md;
- an incompatible one (a key removed, renamed or retyped): bump `SCHEMA_VERSION`, add
  `schema-v2/` with `UPDATE_COMPAT=1`, keep `schema-v1/` as it is, and say how to migrate.

The CLI golden files (tests/golden/files/cli/, pinned to the current output by
tests/golden/test_cli_golden.py) are the current documents of those kinds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner

from reconciler import planfile
from reconciler.cli import cli
from reconciler.plan import SCHEMA_VERSION
from reconciler.sandbox import start_sandbox
from tests.e2e.conftest import EXAMPLE_DESIRED, EXAMPLE_SEED, Env

HERE = Path(__file__).parent
CLI_GOLDEN = HERE.parent / "golden" / "files" / "cli"
OLD = HERE / "v0.1.0"
KINDS = {"plan", "saved_plan", "apply", "drift", "status", "resume", "validate", "error"}
# Keys that are data, not names of the schema: phone numbers, UUIDs, TCR campaign ids, our hex ids.
DATA_KEY = re.compile(r"\+\d{7,15}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|C[A-Z0-9]{5,8}"
                      r"|[0-9a-f]{12,32}")
UPDATE = os.environ.get("UPDATE_COMPAT") == "1"


def shape(doc: Any, path: str = "$") -> set[str]:
    """Every `path:type` in a JSON document; list items share `[]`, data keys share `*`."""
    if isinstance(doc, dict):
        out = {f"{path}:object"}
        for key, value in doc.items():
            out |= shape(value, f"{path}.{'*' if DATA_KEY.fullmatch(key) else key}")
        return out
    if isinstance(doc, list):
        out = {f"{path}:array"}
        for value in doc:
            out |= shape(value, f"{path}[]")
        return out
    kind = ("null" if doc is None else "boolean" if isinstance(doc, bool) else "number"
            if isinstance(doc, (int, float)) else "string")
    return {f"{path}:{kind}"}


def _stdout_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8").split("--- stderr ---", 1)[0])


def _run(env: Env | None, *args: str, cwd: Path | None = None) -> tuple[int, str]:
    if env is not None:
        r = env.run(*args)
        return r.code, r.out
    old = os.getcwd()
    os.chdir(cwd or old)
    try:
        r = CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1"}, catch_exceptions=False)
    finally:
        os.chdir(old)
    return r.exit_code, r.stdout


def _offline(tmp: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    code, text = _run(None, "validate", "--desired", str(EXAMPLE_DESIRED), "--format", "json", cwd=tmp)
    assert code == 0, text
    out["validate.json"] = json.loads(text)
    bad = tmp / "bad.yaml"
    bad.write_text('version: 1\nprofiles:\n  - id: not-a-uuid\n    campaigns: []\n', encoding="utf-8")
    code, text = _run(None, "validate", "--desired", str(bad), "--format", "json", cwd=tmp)
    assert code == 1, text
    out["error-desired_state.json"] = json.loads(text)
    code, text = _run(None, "drift", "--stuck-after", "3x", "--format", "json", cwd=tmp)
    assert code == 1, text
    out["error-usage.json"] = json.loads(text)
    return out


def _saved_plan(tmp: Path) -> dict[str, Any]:
    with start_sandbox(seed=EXAMPLE_SEED, time_scale=0) as sb:
        env = Env(sb, tmp)
        shutil.copytree(EXAMPLE_DESIRED, env.desired)
        try:
            code, text = _run(env, "plan", "--out", "saved-plan.json", "--format", "json", "--concurrency", "1")
        finally:
            env.admin.close()
        assert code == 0, text
    return json.loads((tmp / "saved-plan.json").read_text(encoding="utf-8"))


def _resume(tmp: Path, *, finished: bool = True) -> dict[str, Any]:
    """The previous release's work in flight, finished at Telnyx, then resumed (a phase carried out);
    not `finished`: still pending at Telnyx, so resume leaves every write open."""
    state = json.loads((OLD / "live-state.json").read_text(encoding="utf-8"))
    seed = {k: state[k] for k in ("messaging_profiles", "phone_numbers", "campaigns", "assignments")}
    for a in seed["assignments"]:
        a["status"] = "ASSIGNED" if finished else "PENDING_ASSIGNMENT"
    seed["assignments"] = [a for a in seed["assignments"] if a["phone_number"] != "+13125550200"]
    with start_sandbox(seed=seed, time_scale=0, assignment_delay=0 if finished else 10**6, task_delay=0,
                       order_delay=0) as sb:
        env = Env(sb, tmp)
        shutil.copytree(EXAMPLE_DESIRED, env.desired)
        (tmp / ".reconciler").mkdir()
        shutil.copy(OLD / "journal.jsonl", tmp / ".reconciler" / "journal.jsonl")
        try:
            code, text = _run(env, "resume", "--stuck-after", "3000d", "--format", "json")
        finally:
            env.admin.close()
        assert code == 0, text
    return json.loads(text)


def current_documents(tmp: Path) -> dict[str, dict[str, Any]]:
    """What this code prints, by file name under schema-vN/."""
    docs = {f"cli/{p.parent.name}/{p.name}": _stdout_json(p) for p in sorted(CLI_GOLDEN.glob("*/*.json"))}
    for name, make in (("offline", _offline), ("saved", None), ("resume", None), ("resume-open", None)):
        work = tmp / name
        work.mkdir()
        if name == "offline":
            docs.update(make(work))
        elif name == "saved":
            docs["saved-plan.json"] = _saved_plan(work)
        else:
            docs[f"{name}.json"] = _resume(work, finished=name == "resume")
    return docs


def by_kind(docs: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    shapes: dict[str, set[str]] = {}
    for doc in docs.values():
        shapes.setdefault(doc["kind"], set()).update(shape(doc))
    return shapes


def golden(version: int) -> dict[str, dict[str, Any]]:
    folder = HERE / f"schema-v{version}"
    return {str(p.relative_to(folder)): json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.rglob("*.json"))}


@pytest.fixture(scope="module")
def current(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    docs = current_documents(tmp_path_factory.mktemp("compat"))
    if UPDATE:
        folder = HERE / f"schema-v{SCHEMA_VERSION}"
        for name, doc in docs.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    yield docs


def test_every_published_schema_version_has_golden_examples_of_every_kind():
    versions = sorted(int(p.name.removeprefix("schema-v")) for p in HERE.glob("schema-v*"))
    assert versions == list(range(1, SCHEMA_VERSION + 1)), "a published schema version's examples are kept"
    for version in versions:
        docs = golden(version)
        assert {d["kind"] for d in docs.values()} == KINDS, version
        assert all(type(d["schema_version"]) is int and d["schema_version"] == version for d in docs.values())
    errors = {d["error"]["type"] for d in golden(SCHEMA_VERSION).values() if d["kind"] == "error"}
    assert errors >= {"usage", "desired_state", "api_unavailable", "refused"}


def test_every_document_this_code_prints_carries_the_schema_version(current):
    assert {d["kind"] for d in current.values()} == KINDS
    for name, doc in current.items():
        assert type(doc["schema_version"]) is int and doc["schema_version"] == SCHEMA_VERSION, name


def test_the_shape_of_every_document_is_the_published_one(current):
    published, now = by_kind(golden(SCHEMA_VERSION)), by_kind(current)
    for kind in sorted(KINDS):
        added, removed = sorted(now[kind] - published[kind]), sorted(published[kind] - now[kind])
        assert not (added or removed), (
            f"the JSON of '{kind}' changed shape (schema_version {SCHEMA_VERSION}).\n"
            f"  new: {added}\n  gone or retyped: {removed}\n"
            "Compatible (only additions): UPDATE_COMPAT=1 pytest tests/compat and say it in CHANGELOG.md. "
            "Anything removed or retyped: bump SCHEMA_VERSION and add the next schema-vN (see this file's docstring).")


def test_the_published_saved_plan_loads_with_its_checksum():
    """A saved plan of the current schema version, as published, is read by this code: same fields,
    same checksum (a checksum rule that changes fails here, and must be said in CHANGELOG.md)."""
    path = HERE / f"schema-v{SCHEMA_VERSION}" / "saved-plan.json"
    plan = planfile.load(str(path))
    assert plan.checksum() == json.loads(path.read_text(encoding="utf-8"))["checksum"]


def test_the_shape_check_sees_additions_removals_and_retyping():
    doc = {"schema_version": 1, "kind": "plan", "counts": {"ok": 1}, "changes": [{"number": "+13125550100"}],
           "profile_names": {"4001767e-ce0f-4cae-9d5f-0d5e636e7809": "acme"}}
    base = shape(doc)
    assert "$.profile_names.*:string" in base and "$.changes[].number:string" in base
    assert shape({**doc, "new": True}) - base == {"$.new:boolean"}
    assert base - shape({k: v for k, v in doc.items() if k != "counts"}) == {"$.counts:object", "$.counts.ok:number"}
    assert shape({**doc, "counts": {"ok": "1"}}) ^ base == {"$.counts.ok:string", "$.counts.ok:number"}
    # Another phone number or profile id as a key is the same shape.
    assert shape({**doc, "profile_names": {"0c9a7f3e-2b1d-4e5f-8a6b-3c2d1e0f9a8b": "x"}}) == base
