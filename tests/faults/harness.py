"""The fault harness: a seeded estate, a sandbox subprocess with faults, applies killed with SIGKILL.

One `Combo` is one run:

1. a random estate (from `combo.seed`): declared profiles/campaigns with numbers in every
   start state (correct, unassigned, no profile, on another profile, on another campaign,
   FAILED_ASSIGNMENT, in flight), and undeclared numbers inside and outside the declared
   scope (unmanaged on a declared profile, on a declared campaign from another profile,
   on undeclared profiles and campaigns, on no profile);
2. `python -m reconciler sandbox` as a subprocess with the combo's `--fail-rate`,
   `--rate-limit`, `--latency-ms`, `--assignment-delay`, modes and `--random-seed`;
3. `kills` times: `python -m reconciler apply --auto-approve --state-dir S` as a subprocess,
   SIGKILLed after a random delay or after its N-th journal line (when it has not finished);
4. the next `apply` (same journal) must exit 0, then `drift` must be clean except for the
   undeclared numbers it lists as unmanaged (no unapplied, out-of-band, failed, blocked or
   in-flight number: everything a plan would still change), and every declared number must
   be on its profile and campaign, ASSIGNED, in the sandbox's own state.

Meanwhile a monitor samples the sandbox's admin state every ~100 ms, so a number changed and
changed back during the run still counts. Checked:

- wrongly touched: an undeclared number whose profile or assignment (campaign, status) ever
  differs from the start; or a declared number that was already correct at the start (the
  plan has nothing to do for it) whose profile or assignment ever differs;
- lost: a declared number correctly assigned at the start that ends without its campaign;
- the journal: every line parses as JSON except a line cut short by a kill; every bulk task and
  messaging order the sandbox received appears in it, and every declared number whose state
  changed is named in it; the only exception is one write per kill (the write in flight when
  the process died reached Telnyx but not the journal; the next apply re-reads live state, so
  it is harmless, and the journal cannot close that window without a line *before* each write).

Everything random comes from `combo.seed` (the estate, the sandbox's `--random-seed`, the kill
points), so `python -m tests.faults.report --seed N --only NAME` replays a failure.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests import loopback
from reconciler.sandbox.modes import MODE_SPECS

ROOT = Path(__file__).resolve().parents[2]

PA = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"  # shared campaign, bulk by profile
PB = "7b1e3c52-9a4f-4d8e-b6a2-1f0c9d8e7a65"  # two Telnyx campaigns: per number
PD = "5e8f2a1c-3b4d-4c6e-9f0a-1b2c3d4e5f60"  # one Telnyx campaign: bulk, unless an undeclared number sits there
PX = "0c9a7f3e-2b1d-4e5f-8a6b-3c2d1e0f9a8b"  # undeclared profile
PY = "1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d"  # undeclared profile

SHARED = "CSHR001"
T1, T2, T3 = "CTLX001", "CTLX002", "CTLX003"
T9, S9 = "CTLX009", "CSHR009"  # undeclared campaigns
TARGETS = {PA: [SHARED], PB: [T1, T2], PD: [T3]}

# Every mode the sandbox offers, hardest reading first: its own table, so a new mode joins the matrix.
MODES = {name: list(spec.values) for name, spec in MODE_SPECS.items()}


@dataclass(frozen=True)
class Combo:
    name: str
    seed: int
    fail_rate: float = 0.0
    rate_limit: float | None = None
    latency_ms: int = 0
    assignment_delay: float = 0.0
    modes: tuple[tuple[str, str], ...] = ()
    kills: int = 1
    size: int = 1  # estate scale
    concurrency: int = 8  # apply --concurrency: above the rate limit's burst, the first reads meet 429s
    # Telnyx's timeline (the sandbox's realistic preset: task ~1 min, PENDING ~2 h, unassignment
    # ~1 h) on a clock running 1200x (an hour in three real seconds; 72 h, stuck, stays out of reach) while kills land.
    realistic: bool = False

    def describe(self) -> str:
        bits = [f"seed={self.seed}"]
        if self.fail_rate:
            bits.append(f"fail-rate={self.fail_rate}")
        if self.rate_limit:
            bits.append(f"rate-limit={self.rate_limit:g}")
        if self.concurrency != 8:
            bits.append(f"concurrency={self.concurrency}")
        if self.latency_ms:
            bits.append(f"latency={self.latency_ms}ms")
        if self.realistic:
            bits.append("realistic-timing")
        if self.assignment_delay:
            bits.append(f"delay={self.assignment_delay}s")
        bits += [f"{k}={v}" for k, v in self.modes]
        if self.kills:
            bits.append(f"kills={self.kills}")
        return " ".join(bits)


@dataclass
class RunResult:
    combo: Combo
    converged: bool = False
    wrongly_touched: set[str] = field(default_factory=set)
    lost: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    injected_500: int = 0
    injected_429: int = 0
    kills_done: int = 0
    journal_lines: int = 0
    repeated_writes: int = 0
    cut_lines: int = 0
    declared: int = 0
    undeclared: int = 0
    seconds: float = 0.0

    @property
    def faults(self) -> int:
        return self.injected_500 + self.injected_429 + self.kills_done

    @property
    def ok(self) -> bool:
        return self.converged and not self.wrongly_touched and not self.lost and not self.problems

    def explain(self) -> str:
        lines = [f"{self.combo.name} ({self.combo.describe()})",
                 f"  reproduce: python -m tests.faults.report --seed {self.combo.seed} --only {self.combo.name}"]
        if not self.converged:
            lines.append("  did not converge")
        if self.wrongly_touched:
            lines.append(f"  wrongly touched: {sorted(self.wrongly_touched)}")
        if self.lost:
            lines.append(f"  lost: {sorted(self.lost)}")
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


# --------------------------------------------------------------------------- estate


@dataclass
class Estate:
    seed: dict[str, Any]
    desired: dict[str, Any]
    declared: dict[str, tuple[str, str]]  # number -> (profile, campaign)
    undeclared: set[str]
    correct: set[str]  # declared and already right at the start
    in_flight: dict[str, str] = field(default_factory=dict)  # number -> campaign, set PENDING after start


def make_estate(rng: random.Random, size: int = 1) -> Estate:
    lines = rng.sample(range(100, 10000), 400 * size)
    pool = iter(f"+1312555{n:04d}" for n in lines)
    numbers: list[dict[str, Any]] = []
    assignments: list[dict[str, Any]] = []
    declared: dict[str, tuple[str, str]] = {}
    undeclared: set[str] = set()
    correct: set[str] = set()
    in_flight: dict[str, str] = {}

    def add(profile: str | None, campaign: str | None = None, status: str = "ASSIGNED") -> str:
        n = next(pool)
        numbers.append({"phone_number": n, "messaging_profile_id": profile})
        if campaign:
            assignments.append({"phone_number": n, "tcr_campaign_id": campaign, "status": status})
        return n

    def k(lo: int, hi: int) -> int:
        return rng.randint(lo, hi * size)

    for profile, campaigns in TARGETS.items():
        for c in campaigns:
            others = [x for x in (T1, T2, T3, T9) if x != c]
            starts = {
                "correct": k(1, 4), "none": k(1, 3), "no_profile": k(0, 2), "other_profile": k(0, 2),
                "wrong_campaign": k(1, 2), "failed": k(0, 1), "in_flight": k(0, 1),
            }
            for start, count in starts.items():
                for _ in range(count):
                    if start == "correct":
                        n = add(profile, c)
                        correct.add(n)
                    elif start == "none":
                        n = add(profile)
                    elif start == "no_profile":
                        n = add(None)
                    elif start == "other_profile":
                        n = add(rng.choice([PX, PY]), rng.choice([None, T9]))
                    elif start == "wrong_campaign":
                        n = add(profile, rng.choice(others))
                    elif start == "failed":
                        n = add(profile, c, "FAILED_ASSIGNMENT")
                    else:
                        # A seeded PENDING record never resolves; one set through the admin
                        # surface does (run_combo sets these once the sandbox is up).
                        n = add(profile)
                        in_flight[n] = c
                    declared[n] = (profile, c)
    # Undeclared: outside scope, and inside it (unmanaged) where the scope rule keeps bulk safe.
    for _ in range(k(1, 3)):
        undeclared.add(add(PX, T9))
    for _ in range(k(1, 2)):
        undeclared.add(add(PX, T1))  # a declared campaign, from an undeclared profile
    for _ in range(k(0, 2)):
        undeclared.add(add(PY, S9))
    for _ in range(k(1, 2)):
        undeclared.add(add(PB, rng.choice([None, T1, T9])))  # unmanaged on a per-number profile
    for _ in range(k(0, 2)):
        undeclared.add(add(None))
    for _ in range(k(0, 1)):
        undeclared.add(add(PY))
    if rng.random() < 0.4:
        undeclared.add(add(PD, rng.choice([None, T3, T9])))  # PD falls back to per-number
    seed = {
        "messaging_profiles": [{"id": PA, "name": "alpha"}, {"id": PB, "name": "bravo"}, {"id": PD, "name": "delta"},
                               {"id": PX, "name": "x-ray"}, {"id": PY, "name": "yankee"}],
        "phone_numbers": numbers,
        "campaigns": [
            {"tcr_campaign_id": SHARED, "kind": "shared", "sharing_status": "ACCEPTED"},
            {"tcr_campaign_id": S9, "kind": "shared", "sharing_status": "ACCEPTED"},
            *({"tcr_campaign_id": t, "kind": "telnyx"} for t in (T1, T2, T3, T9)),
        ],
        "assignments": assignments,
    }
    desired = {"version": 1, "profiles": [
        {"id": p, "campaigns": [{"tcr_campaign_id": c, "numbers": sorted(n for n, pc in declared.items() if pc == (p, c))}
                                for c in cs]}
        for p, cs in TARGETS.items()],
        # A random estate can be over the default safety limits (30 % of a campaign reassigned):
        # apply would rightly refuse (exit 3). Those refusals are tested elsewhere; here, faults.
        "policy": {"max_reassign": 1000, "max_reassign_percent": 100, "max_unassign": 1000,
                   "max_unassign_percent": 100}}
    return Estate(seed, desired, declared, undeclared, correct, in_flight)


# --------------------------------------------------------------------------- processes


class Sandbox:
    """`python -m reconciler sandbox` in a subprocess; the base URL is its first stdout line."""

    def __init__(self, workdir: Path, seed_doc: dict[str, Any], combo: Combo, api_key: str = "sandbox-key") -> None:
        seed_file = workdir / "seed.json"
        seed_file.write_text(json.dumps(seed_doc), encoding="utf-8")
        args = [sys.executable, "-m", "reconciler", "sandbox", "--port", "0", "--seed", str(seed_file),
                "--random-seed", str(combo.seed), "--api-key", api_key,
                "--fail-rate", str(combo.fail_rate), "--latency-ms", str(combo.latency_ms)]
        if combo.realistic:
            # Late failures off (convergence is the check), and under carrier_mapping=present the
            # carriers map within an hour (3 real seconds) and never fail: the 24 h preset would
            # outlast the final apply's 90 s wait.
            args += ["--timing", "realistic", "--time-scale", "1200", "--late-failure-rate", "0",
                     "--carrier-mapping-delay", "3600", "--carrier-failure-rate", "0"]
        else:
            args += ["--assignment-delay", str(combo.assignment_delay)]
        if combo.rate_limit:
            args += ["--rate-limit", str(combo.rate_limit)]
        for name, value in combo.modes:
            args += ["--mode", f"{name}={value}"]
        self.log = open(workdir / "sandbox.log", "wb")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, cwd=ROOT)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode().strip()
        if not line.startswith("http://"):
            self.stop()
            raise RuntimeError(f"sandbox did not start: {(workdir / 'sandbox.log').read_text()}")
        self.base_url = line
        self.admin = loopback.client(base_url=line.rsplit("/v2", 1)[0] + "/_admin", timeout=30)

    def state(self) -> dict[str, Any]:
        return self.admin.get("/state").json()

    def counters(self) -> dict[str, Any]:
        return self.admin.get("/counters").json()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        if hasattr(self, "admin"):
            self.admin.close()


def cli_env(base_url: str, api_key: str = "sandbox-key", **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELNYX_", "GITHUB_"))}
    # The sandbox here processes a task in well under a second (not Telnyx's minute): a killed
    # run's unanswered write shows within seconds, so the next apply need not wait minutes for it.
    env.update({"TELNYX_API_KEY": api_key, "TELNYX_API_BASE_URL": base_url, "NO_COLOR": "1",
                "PYTHONPATH": str(ROOT), "RECONCILER_SETTLE_WINDOW": "5"}, **extra)
    return env


def reconciler(*args: str, env: dict[str, str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reconciler", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def snapshot(state: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """number -> (profile, campaign, status) from the sandbox's admin state."""
    asg = {a["phone_number"]: (a["tcr_campaign_id"], a["status"]) for a in state["assignments"]}
    return {n["phone_number"]: (n.get("messaging_profile_id"), *asg.get(n["phone_number"], (None, None)))
            for n in state["phone_numbers"]}


class Monitor(threading.Thread):
    """Samples the admin state; remembers every number that ever left its start state.

    Under mode bulk_same=reprovision (the default) a bulk task provisions the numbers already
    ASSIGNED on its profile again: an ASSIGNED number seen PENDING_ASSIGNMENT on the same profile
    and campaign is that (the plan says how many, the policy caps it), counted apart. A PUT that
    does the same is a redundant write, which the sandbox counts."""

    def __init__(self, sb: Sandbox, watch: set[str], start: dict[str, tuple[Any, ...]], period: float = 0.1,
                 *, reprovision: bool = True) -> None:
        super().__init__(daemon=True)
        self.sb, self.watch, self.start_state, self.period = sb, watch, start, period
        self.reprovision = reprovision
        self.changed: dict[str, tuple[Any, ...]] = {}
        self.reprovisioned: set[str] = set()
        self.samples = 0
        self._halt = threading.Event()

    def check(self, snap: dict[str, tuple[Any, ...]]) -> None:
        for n in self.watch:
            now, then = snap.get(n), self.start_state.get(n)
            if now == then or n in self.changed:
                continue
            if self.reprovision and then and now and then[2] == "ASSIGNED" and now[:2] == then[:2] and \
                    now[2] == "PENDING_ASSIGNMENT":
                self.reprovisioned.add(n)
                continue
            self.changed[n] = now

    def run(self) -> None:
        client = loopback.client(base_url=str(self.sb.admin.base_url), timeout=30)
        try:
            while not self._halt.is_set():
                try:
                    self.check(snapshot(client.get("/state").json()))
                    self.samples += 1
                except httpx.HTTPError:
                    pass
                self._halt.wait(self.period)
        finally:
            client.close()

    def stop(self) -> None:
        self._halt.set()
        self.join(10)


def run_killed_apply(args: list[str], env: dict[str, str], cwd: Path, journal: Path, rng: random.Random,
                     budget: float) -> tuple[bool, int | None]:
    """Start an apply; SIGKILL it after a random delay or its N-th journal line. -> (killed, exit code)."""
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", *args], env=env, cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    start_lines = _count_lines(journal)
    if rng.random() < 0.5:
        at, lines = time.monotonic() + rng.uniform(0.2, budget), None
    else:
        at, lines = time.monotonic() + 120, start_lines + rng.randint(1, 6)
    while proc.poll() is None:
        if time.monotonic() >= at or (lines is not None and _count_lines(journal) >= lines):
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True, None
        time.sleep(0.005)
    return False, proc.returncode


def _count_lines(path: Path) -> int:
    try:
        with open(path, "rb") as fh:
            return fh.read().count(b"\n")
    except FileNotFoundError:
        return 0


# --------------------------------------------------------------------------- one run


def read_journal(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """(entries, unparseable lines)."""
    entries, bad = [], []
    if not path.exists():
        return entries, bad
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            e = json.loads(line)
        except ValueError:
            bad.append(line)
            continue
        if not isinstance(e, dict):
            bad.append(line)
            continue
        entries.append(e)
    return entries, bad


def run_combo(combo: Combo, workdir: Path | None = None, final_timeout: float = 90) -> RunResult:
    t0 = time.monotonic()
    res = RunResult(combo)
    rng = random.Random(combo.seed)
    estate = make_estate(rng, combo.size)
    res.declared, res.undeclared = len(estate.declared), len(estate.undeclared)
    own_tmp = None
    if workdir is None:
        own_tmp = tempfile.TemporaryDirectory(prefix="faults-")
        workdir = Path(own_tmp.name)
    desired = workdir / "desired-state"
    desired.mkdir(parents=True, exist_ok=True)
    import yaml

    (desired / "estate.yaml").write_text(yaml.safe_dump(estate.desired, sort_keys=False), encoding="utf-8")
    journal = workdir / "state" / "journal.jsonl"
    sb = Sandbox(workdir, estate.seed, combo)
    try:
        env = cli_env(sb.base_url)
        for n, c in estate.in_flight.items():
            sb.admin.put(f"/assignments/{n.replace('+', '%2B')}",
                         json={"tcr_campaign_id": c, "status": "PENDING_ASSIGNMENT"}).raise_for_status()
        before_state = sb.state()
        before = snapshot(before_state)
        watch = estate.undeclared | estate.correct
        mon = Monitor(sb, watch, before, reprovision=dict(combo.modes).get("bulk_same", "reprovision") == "reprovision")
        mon.check(before)
        mon.start()
        apply_args = ["apply", "--auto-approve", "--until", "final", "--state-dir", str(journal.parent), "--desired", str(desired),
                      "--timeout", str(final_timeout), "--concurrency", str(combo.concurrency)]
        # Rough time the apply needs: latency and rate limits slow it, life cycles add waiting.
        budget = 1.0 + combo.latency_ms / 1000 * 25 + combo.assignment_delay * 4 + (
            30 / combo.rate_limit if combo.rate_limit else 0)
        for _ in range(combo.kills):
            killed, code = run_killed_apply(apply_args, env, workdir, journal, rng, budget)
            if killed:
                res.kills_done += 1
            elif code not in (0, 4):
                res.problems.append(f"an apply that was not killed exited {code}")
            # A cut-short line, if the kill landed mid-write, is left as is: the next run must cope.
        final = reconciler(*apply_args, env=env, cwd=workdir, timeout=final_timeout + 60)
        if final.returncode != 0:
            res.problems.append(f"the next apply exited {final.returncode}:\n{_tail(final.stdout + final.stderr)}")
        if "Traceback" in final.stderr:
            res.problems.append(f"traceback:\n{_tail(final.stderr)}")
        drift = reconciler("drift", "--format", "json", "--desired", str(desired), "--state-dir", str(journal.parent),
                           env=env, cwd=workdir)
        mon.stop()
        after_state = sb.state()
        after = snapshot(after_state)
        mon.check(after)
        drift_ok = False
        try:
            d = json.loads(drift.stdout)
            counts = d["counts"]
            unmanaged = {i["number"] for i in d["items"]["unmanaged"]}
            drift_ok = all(v == 0 for k, v in counts.items() if k != "unmanaged") and unmanaged <= estate.undeclared
            if not drift_ok:
                res.problems.append(f"drift after the next apply: {counts}")
        except (ValueError, KeyError) as e:
            res.problems.append(f"drift output unreadable ({e}): {_tail(drift.stdout + drift.stderr)}")
        res.converged = final.returncode == 0 and drift_ok
        # Every declared number on its profile and campaign, ASSIGNED.
        for n, (p, c) in estate.declared.items():
            if after.get(n) != (p, c, "ASSIGNED"):
                if res.converged:
                    res.problems.append(f"{n}: {after.get(n)} after a clean drift, expected {(p, c, 'ASSIGNED')}")
        res.wrongly_touched = set(mon.changed)
        res.lost = {n for n in estate.correct if after.get(n, (None, None, None))[1:] != (estate.declared[n][1], "ASSIGNED")}
        _check_journal(res, journal, before, after, before_state, after_state, estate)
        counters = sb.counters()
        res.injected_500 = int(counters.get("status", {}).get("500", 0))
        res.injected_429 = int(counters.get("status", {}).get("429", 0))
        # Writes Telnyx received for work it was already doing (the sandbox counts them).
        res.repeated_writes = int(counters.get("redundant_writes", 0))
    finally:
        sb.stop()
        if own_tmp is not None:
            own_tmp.cleanup()
    res.seconds = time.monotonic() - t0
    return res


def _check_journal(res: RunResult, journal: Path, before: dict, after: dict, before_state: dict, after_state: dict,
                   estate: Estate) -> None:
    entries, bad = read_journal(journal)
    res.journal_lines, res.cut_lines = len(entries), len(bad)
    if len(bad) > res.kills_done:
        res.problems.append(f"journal: {len(bad)} unparseable line(s) but only {res.kills_done} kill(s): {bad[:2]}")
    for e in entries:
        missing = [k for k in ("write", "state") if k not in e] if "ledger" not in e else []
        if missing:
            res.problems.append(f"journal: entry without {missing}: {e}")
    refs = {e["ref"] for e in entries if e.get("ref")}
    old_tasks = {t.get("task_id") or t.get("id") for t in before_state.get("tasks", [])}
    old_orders = {o.get("order_id") or o.get("id") for o in before_state.get("orders", [])}
    server_tasks = {t.get("task_id") or t.get("id") for t in after_state.get("tasks", [])} - old_tasks
    server_orders = {o.get("order_id") or o.get("id") for o in after_state.get("orders", [])} - old_orders
    # Write-ahead: an intent line precedes every write; only its id can be missing, after a kill
    # between Telnyx's answer and the outcome line.
    unjournalled = (server_tasks - refs) | (server_orders - refs)
    # … or after an answer the sandbox lost on purpose (mode write_fault=after): journalled unknown.
    bulk_ids = {e.get("write") for e in entries if e.get("op") == "bulk_assign"}
    lost_answers = sum(1 for e in entries if e.get("state") == "unknown" and e.get("write") in bulk_ids)
    if len(unjournalled) > res.kills_done + lost_answers:
        res.problems.append(f"journal: {len(unjournalled)} bulk task(s)/order(s) the sandbox received have no id in "
                            f"it ({sorted(unjournalled)[:3]}), with {res.kills_done} kill(s)")
    # A bulk task names the numbers it was sent for and the profile's other numbers it may touch.
    named = {n for e in entries for key in ("numbers", "members") if isinstance(e.get(key), list) for n in e[key]}
    changed = {n for n in estate.declared if before.get(n) != after.get(n)
               and before.get(n, (None,) * 3)[2] != "PENDING_ASSIGNMENT"}
    silent = changed - named
    if silent:  # write-ahead: every write's numbers are journalled before it is sent
        res.problems.append(f"journal: {len(silent)} declared number(s) changed but never named "
                            f"({res.kills_done} kill(s)): {sorted(silent)[:5]}")


def _tail(text: str, n: int = 25) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines()[-n:])


# --------------------------------------------------------------------------- matrices

FAULT_PROFILES: dict[str, dict[str, Any]] = {
    "fail5": {"fail_rate": 0.05, "kills": 1},
    "fail20": {"fail_rate": 0.2, "kills": 1},
    "rate20": {"rate_limit": 20.0, "latency_ms": 20, "kills": 1, "concurrency": 32},
    "delay": {"assignment_delay": 0.5, "kills": 2},
    "kills": {"kills": 3},
    "realistic": {"realistic": True, "kills": 2},
}


def _modes_for(i: int, rng: random.Random) -> dict[str, str]:
    return {name: rng.choice(values) for name, values in MODES.items()}


def fast_combos(base_seed: int = 6000) -> list[Combo]:
    """The bounded, seeded part `make test` runs: every fault kind once, every mode value once."""
    easy = tuple((n, v[1]) for n, v in MODES.items())
    return [
        Combo("kill2-defaults", base_seed + 1, kills=2),
        Combo("fail5-rate20-kill", base_seed + 2, fail_rate=0.05, rate_limit=20.0, kills=1),
        Combo("delay-kill2", base_seed + 3, assignment_delay=0.3, kills=2,
              modes=(("bulk_existing", "reassign"), ("put_existing", "replace"))),
        Combo("easy-modes-latency-kill", base_seed + 4, latency_ms=10, kills=1, modes=easy),
        Combo("realistic-kill2", base_seed + 6, realistic=True, kills=2),
        # Modes with a third reading (total_records=mixed): once, with a kill.
        Combo("third-values-kill", base_seed + 5, kills=1,
              modes=tuple((n, v[2]) for n, v in MODES.items() if len(v) > 2)),
    ]


def matrix(full: bool = False, base_seed: int = 1000) -> list[Combo]:
    """Every value of every mode under each fault profile (full), or each once, rotating profiles."""
    combos: list[Combo] = []
    profiles = list(FAULT_PROFILES.items())
    i = 0
    for name, values in MODES.items():
        for value in values:
            chosen = profiles if full else [profiles[i % len(profiles)]]
            for pname, faults in chosen:
                seed = base_seed + len(combos)
                rng = random.Random(seed)
                modes = _modes_for(i, rng)
                modes[name] = value
                combos.append(Combo(f"{name}={value}/{pname}", seed,
                                    modes=tuple(sorted(modes.items())), **faults))
            i += 1
    return combos
