"""Golden outputs of the real CLI against the loopback sandbox, one per (situation, command, format),
each with its exit code: the situations of issue 12 as a user meets them. The sandbox's clock stands
still (time scale 0) and its ids are seeded; the state folder's ids are made deterministic here, so
only the sandbox's port, wall-clock times and OpenSSL's version-dependent error text are normalised.
Regenerate with UPDATE_GOLDEN=1 and review the diff as a whole (one vocabulary: docs/glossary.md).

Each golden file is what the command printed on stdout, then, after a `--- stderr ---` line, the
lines of stderr a reader acts on (errors, warnings and notes; progress lines are left out).
"""

from __future__ import annotations

import copy
import itertools
import re
import shutil
import socket
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import yaml

from reconciler.sandbox import start_sandbox
from tests.e2e.conftest import EXAMPLE_DESIRED, EXAMPLE_SEED, Env, short_settle_window

from .test_golden import check

# One request at a time: the sandbox hands out ids and late failures in request order.
SERIAL = ("--concurrency", "1")
FORMATS = {"text": "txt", "json": "json", "markdown": "md"}
DESIRED: dict[str, Any] = yaml.safe_load((EXAMPLE_DESIRED / "acme.yaml").read_text(encoding="utf-8"))
TYPO = "+13125550290"  # not on the account


def _doc(edit: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    doc = copy.deepcopy(DESIRED)
    if edit:
        edit(doc)
    return doc


def _campaign(doc: dict[str, Any], tcr: str) -> dict[str, Any]:
    return next(c for p in doc["profiles"] for c in p["campaigns"] if c["tcr_campaign_id"] == tcr)


def _add_typo(doc: dict[str, Any]) -> None:
    _campaign(doc, "CALERT7")["numbers"].append(TYPO)


def _add_pending_share(doc: dict[str, Any]) -> None:
    doc["profiles"][1]["campaigns"].append({"tcr_campaign_id": "CPEND42", "numbers": ["+13125550300"]})


def _undeclare_one(doc: dict[str, Any]) -> None:
    # +13125550100 stays on acme-marketing (no campaign) but no file declares it any more.
    _campaign(doc, "CWZTFH1")["numbers"].remove("+13125550100")


def _prune_one(doc: dict[str, Any]) -> None:
    _campaign(doc, "CALERT7")["numbers"].remove("+13125550201")
    doc["policy"]["prune"] = True


def _move_between_profiles(doc: dict[str, Any]) -> None:
    # +13125550101 leaves acme-marketing (shared CWZTFH1) for acme-alerts (CALERT7).
    _campaign(doc, "CWZTFH1")["numbers"].remove("+13125550101")
    _campaign(doc, "CALERT7")["numbers"].append("+13125550101")


def _unsafe(doc: dict[str, Any]) -> None:
    doc["policy"]["max_reassign"] = 0


@dataclass
class Situation:
    doc: dict[str, Any]
    codes: dict[str, int]  # command -> exit code (the contract's)
    sandbox: dict[str, Any] = field(default_factory=dict)
    converged_first: bool = False  # apply the example estate before the situation's files
    before: Callable[[Env], list[str]] | None = None  # runs after setup; returns extra args for apply
    apply_args: tuple[str, ...] = ()
    base_url: Callable[[Env], str] | None = None
    after_apply: bool = False  # plan, drift and status are read after an apply (what a user sees next)


def _stale_plan(env: Env) -> list[str]:
    """A plan saved for review, then someone moves a number at Telnyx before it is applied."""
    r = env.run("plan", "--out", "reviewed.json")
    assert r.code == 0, r.out + r.err
    env.admin.put("/numbers/+13125550103", json={"messaging_profile_id": "0c9a7f3e-2b1d-4e5f-8a6b-3c2d1e0f9a8b"}
                  ).raise_for_status()
    return ["reviewed.json"]


def _closed_port(env: Env) -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v2"  # nothing listens there once the socket is closed


SITUATIONS: dict[str, Situation] = {
    "nothing-to-do": Situation(_doc(), {"plan": 0, "apply": 0, "drift": 0}, converged_first=True),
    "changes": Situation(_doc(), {"plan": 2, "apply": 0, "drift": 2}),
    "blocked-typo": Situation(_doc(_add_typo), {"plan": 2, "apply": 4, "drift": 2}),
    "blocked-pending-share": Situation(_doc(_add_pending_share), {"plan": 2, "apply": 4, "drift": 2}),
    "blocked-undeclared-on-profile": Situation(_doc(_undeclare_one), {"plan": 2, "apply": 4, "drift": 2}),
    "move-between-profiles": Situation(_doc(_move_between_profiles), {"plan": 2, "apply": 0, "drift": 2},
                                       converged_first=True),
    "unsafe": Situation(_doc(_unsafe), {"plan": 2, "apply": 3}),
    "stale-saved-plan": Situation(_doc(), {"apply": 3}, before=_stale_plan),
    # Telnyx takes the writes; the numbers stay PENDING_ASSIGNMENT (the clock stands still).
    "in-flight": Situation(_doc(), {"apply": 0, "plan": 0, "drift": 0, "status": 0}, after_apply=True,
                           apply_args=("--timeout", "20"),
                           sandbox={"assignment_delay": 7200, "task_delay": 0, "order_delay": 0}),
    # Every assignment fails late (a carrier's reason); apply waits for final states.
    "failed": Situation(_doc(), {"apply": 4, "drift": 2, "plan": 2}, sandbox={"late_failure_rate": 1.0},
                        after_apply=True, apply_args=("--until", "final", "--timeout", "30")),
    "stopped-waiting": Situation(_doc(), {"apply": 5}, sandbox={"task_delay": 600},
                                 apply_args=("--timeout", "3")),
    "prune": Situation(_doc(_prune_one), {"plan": 2, "apply": 0}, converged_first=True),
    # The pruned number sits on its declared profile with no campaign: what prune asks for, not drift.
    "after-prune": Situation(_doc(_prune_one), {"plan": 0, "drift": 0}, converged_first=True, after_apply=True),
    "connection-refused": Situation(_doc(), {"plan": 1, "apply": 1, "drift": 1}, base_url=_closed_port),
    # `.invalid` never resolves (RFC 2606): a typo in the host.
    "dns-failure": Situation(_doc(), {"plan": 1}, base_url=lambda env: "https://nonexistent.invalid/v2"),
    # The sandbox drops a connection whose request head (here a TLS hello) is not HTTP within its header
    # timeout: 0.3 s here, under --request-timeout, so the client sees the TLS failure, as users do.
    "tls-to-plain-http": Situation(_doc(), {"plan": 1, "drift": 1}, sandbox={"header_timeout": 0.3},
                                   base_url=lambda env: env.sb.base_url.replace("http://", "https://")),
}

CASES = [(s, c, f) for s, sit in SITUATIONS.items() for c in sit.codes for f in FORMATS]

_PORT = re.compile(r"127\.0\.0\.1:\d+")
# ISO times, and the minute-precision ones a Mermaid picture draws (`2026-12-06 18:09`).
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?|\b20\d\d-\d\d-\d\d \d\d:\d\d\b")
# OpenSSL's own words and Python's source line vary by version: `([SSL: WRONG_VERSION_NUMBER] … (_ssl.c:1006))`.
_SSL = re.compile(r"\(\\?\[SSL: [^\]]*?\\?\][^()]*(\([^()]*\))?\)")  # markdown escapes its brackets
_KEEP = re.compile(r"^(error|warning|note|refused)\b", re.I)


def _readable_stderr(err: str) -> list[str]:
    """The error, warning and note lines (with their indented continuation lines), not progress."""
    kept: list[str] = []
    keeping = False
    for line in err.splitlines():
        keeping = bool(_KEEP.match(line)) or (keeping and line.startswith(" "))
        if keeping:
            kept.append(line)
    return kept


def normalise(text: str) -> str:
    return _SSL.sub("(<OpenSSL error>)", _TIME.sub("<time>", _PORT.sub("127.0.0.1:<port>", text)))


@pytest.fixture
def deterministic_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """The state folder names runs and writes with uuid4: count them instead."""
    import reconciler.journal

    counter = itertools.count(1)
    fake = type("uuid", (), {"uuid4": staticmethod(lambda: uuid.UUID(int=int(f"{next(counter):04x}" * 8, 16))),
                             "UUID": uuid.UUID})
    monkeypatch.setattr(reconciler.journal, "uuid", fake)


@pytest.fixture
def env_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deterministic_ids: None) -> Iterator[Callable]:
    short_settle_window(monkeypatch)
    started: list[Env] = []

    def make(sit: Situation) -> Env:
        sb = start_sandbox(seed=EXAMPLE_SEED, time_scale=0, **sit.sandbox)
        env = Env(sb, tmp_path)
        started.append(env)
        shutil.copytree(EXAMPLE_DESIRED, env.desired)
        return env

    yield make
    for env in started:
        env.admin.close()
        env.sb.stop()


def _args(sit: Situation, command: str, fmt: str, extra: list[str]) -> list[str]:
    if command == "plan":
        return ["plan", "--detailed-exitcode", "--format", fmt]
    if command in ("drift", "status"):
        return [command, "--format", fmt]
    return ["apply", *extra, "--auto-approve", *sit.apply_args, "--format", fmt]


@pytest.mark.parametrize("situation,command,fmt", CASES, ids=["/".join(c) for c in CASES])
def test_cli_golden(env_for, monkeypatch: pytest.MonkeyPatch, situation: str, command: str, fmt: str) -> None:
    sit = SITUATIONS[situation]
    env = env_for(sit)
    if sit.base_url:
        # Nothing answers: the client's naps between connection tries (1.5 s a command) change no
        # output; tests/live/test_client.py times them.
        import reconciler.live.clocks

        monkeypatch.setattr(reconciler.live.clocks.Deadline, "sleep", lambda self, call, seconds: None)
    if sit.converged_first:
        r = env.run("apply", "--auto-approve", *SERIAL)
        assert r.code == 0, r.out + r.err
    env.write_desired(sit.doc, "acme.yaml")
    extra = sit.before(env) if sit.before else []
    run_env = {"TELNYX_API_BASE_URL": sit.base_url(env)} if sit.base_url else {}
    if sit.after_apply and command != "apply":
        r = env.run("apply", "--auto-approve", *sit.apply_args, *SERIAL, env=run_env)
        assert r.code == sit.codes.get("apply", 0), r.out + r.err
    r = env.run(*_args(sit, command, fmt, extra), "--request-timeout", "1", *SERIAL, env=run_env)
    kept = _readable_stderr(r.err)
    text = normalise(r.out + ("--- stderr ---\n" + "\n".join(kept) + "\n" if kept else ""))
    check(f"cli/{situation}/{command}.{FORMATS[fmt]}", text)
    assert r.code == sit.codes[command], f"exit {r.code}, want {sit.codes[command]}\n{r.out}{r.err}"
    assert "Traceback" not in r.err
