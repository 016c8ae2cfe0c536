"""`python -m bench.timeline` (`make bench-timeline`): the real timeline, in virtual time (issue 23 item 8).

Each scenario runs the reconciler's CLI (one process per command, as CI does) against the sandbox on
its `realistic` timing preset: a bulk task processed in a minute, an order in a minute,
PENDING_ASSIGNMENT two hours, PENDING_UNASSIGNMENT one hour (`reconciler/durations.py` holds the same
figures). The jitter and late failures of the preset are off, so a run is deterministic and its
ratio to Telnyx's floor measures only the reconciler and the schedule it runs on.

The sandbox's clock stands still, except while a command runs: then it runs `SCALE` times real time
(a task's minute takes a real second, so apply and resume wait for Telnyx as they would). Between
commands the clock is moved through the admin surface (`POST /_admin/advance`) to the scheduled
job's next run: `reconciler resume` at the shipped cadence, the apply falling halfway between two
scheduled runs (the average case). No real waiting for the hours.

Scenarios (every number declared, default sandbox modes):

- adopt: numbers on no profile and with no campaign, declared on one profile for a shared campaign:
  a profile move, then a bulk assignment (floor: order + task + PENDING_ASSIGNMENT);
- reassign: numbers that send on a Telnyx-registered campaign, declared for a shared campaign: the
  bulk task skips them, apply frees them, and the scheduled job assigns them once Telnyx has freed
  them (floor: PENDING_UNASSIGNMENT + task + PENDING_ASSIGNMENT, the only route Telnyx documents);
- move: numbers that send on a shared campaign, declared on another profile for the same campaign:
  leaving the profile takes the campaign (mode profile_leave=unassign), and the scheduled job assigns
  them again (floor: order + PENDING_UNASSIGNMENT + task + PENDING_ASSIGNMENT).

Measured on the sandbox's clock: time until every number sends (from the apply's start to the last
number ASSIGNED on its declared campaign, the record's own time), and number-hours without service
(per number, from when it stopped sending, or from the apply's start for a number that did not send,
until it sends on its declared campaign; sampled during the commands, exact at the end).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from reconciler import durations
from reconciler.sandbox import start_sandbox

KEY = "sandbox-key"
SCALE = 60.0  # virtual seconds per real second while a command runs
HORIZON = 24 * 3600.0  # give up (an error) if the numbers do not all send within this much virtual time
RESULTS = Path(__file__).resolve().parent / "results" / "timeline"

PA = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"
PB = "7b1e3c52-9a4f-4d8e-b6a2-1f0c9d8e7a65"
OLD, SHARED = "CACME00", "CMKT02"
CAMPAIGNS = [
    {"tcr_campaign_id": OLD, "kind": "telnyx", "campaign_status": "MNO_PROVISIONED", "number_pooling": True},
    {"tcr_campaign_id": SHARED, "kind": "shared", "sharing_status": "ACCEPTED", "campaign_status": "MNO_PROVISIONED",
     "number_pooling": True},
]
POLICY = {"max_unassign_percent": 100, "max_unassign": 1_000_000, "max_reassign_percent": 100,
          "max_reassign": 1_000_000}
# Telnyx's own floor per scenario: the sum of its processing times on the best route.
FLOORS = {
    "adopt": durations.ORDER + durations.TASK + durations.ASSIGNMENT,
    "reassign": durations.UNASSIGNMENT + durations.TASK + durations.ASSIGNMENT,
    "move": durations.ORDER + durations.UNASSIGNMENT + durations.TASK + durations.ASSIGNMENT,
}
SCENARIOS = tuple(FLOORS)


def numbers(n: int) -> list[str]:
    return [f"+1312{555 + i // 10000:03d}{i % 10000:04d}" for i in range(n)]


def scenario(name: str, n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(seed, desired) of a scenario with `n` numbers."""
    ns = numbers(n)
    profiles = [{"id": PA, "name": "alpha"}, {"id": PB, "name": "bravo"}]
    if name == "adopt":
        phones = [{"phone_number": x, "messaging_profile_id": None} for x in ns]
        assignments: list[dict[str, Any]] = []
        target = PA
    elif name == "reassign":
        phones = [{"phone_number": x, "messaging_profile_id": PA} for x in ns]
        assignments = [{"phone_number": x, "tcr_campaign_id": OLD, "status": "ASSIGNED"} for x in ns]
        target = PA
    elif name == "move":
        phones = [{"phone_number": x, "messaging_profile_id": PA} for x in ns]
        assignments = [{"phone_number": x, "tcr_campaign_id": SHARED, "status": "ASSIGNED"} for x in ns]
        target = PB
    else:
        raise ValueError(name)
    seed = {"messaging_profiles": profiles, "phone_numbers": phones, "campaigns": CAMPAIGNS, "assignments": assignments}
    desired = {"version": 1, "profiles": [{"id": target, "campaigns": [{"tcr_campaign_id": SHARED, "numbers": ns}]}],
               "policy": POLICY}
    return seed, desired


@dataclass
class Row:
    scenario: str
    numbers: int
    cadence_min: float
    time_to_send_h: float
    floor_h: float
    time_ratio: float
    number_hours: float
    floor_number_hours: float
    number_hours_ratio: float
    resumes: int  # scheduled runs until every number sent (each moves the clock on)
    apply_exit: int


def _ts(iso: str) -> float:
    t = datetime.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.timezone.utc)
    return t.timestamp()


class Clock:
    """The sandbox's virtual clock, from the bench's side: frozen, run, advanced."""

    def __init__(self, sb: Any) -> None:
        self.sb = sb
        self.clock = sb.app.world.clock

    def now(self) -> float:
        return self.sb.call(self.clock.now)

    def run(self, scale: float) -> None:
        def set_scale() -> None:
            before = self.clock.now()
            self.clock.scale = scale
            self.clock.offset += before - self.clock.now()  # no jump: only the rate changes
        self.sb.call(set_scale)

    def advance(self, seconds: float) -> None:
        if seconds > 0:
            self.sb.call(lambda: self.clock.advance(seconds))


def run_scenario(name: str, n: int, cadence: float, workdir: Path, log: Callable[[str], None]) -> Row:
    seed, desired = scenario(name, n)
    files = workdir / name
    files.mkdir(parents=True, exist_ok=True)
    (files / "desired.yaml").write_text(yaml.safe_dump(desired, sort_keys=False), encoding="utf-8")
    state_dir = files / "state"
    sb = start_sandbox(seed=seed, timing="realistic", time_scale=0.0, timing_jitter=0.0, late_failure_rate=0.0,
                       random_seed=1)
    clock = Clock(sb)
    env = {**os.environ, "TELNYX_API_KEY": KEY, "TELNYX_API_BASE_URL": sb.base_url, "NO_COLOR": "1"}
    declared = set(desired["profiles"][0]["campaigns"][0]["numbers"])

    def state() -> dict[str, Any]:
        return sb.call(lambda: __import__("reconciler.sandbox.snapshot", fromlist=["snapshot"]).snapshot(sb.app.world))

    def sending(st: dict[str, Any]) -> set[str]:
        on_profile = {x["phone_number"] for x in st["phone_numbers"] if x.get("messaging_profile_id")}
        return {a["phone_number"] for a in st["assignments"] if a["status"] == "ASSIGNED"
                and a["phone_number"] in on_profile}

    stopped: dict[str, float] = {}

    def observe() -> set[str]:
        st = state()
        now = _ts(st["now"])
        s = sending(st)
        for x in declared - s:
            stopped.setdefault(x, now)
        return s

    def command(*args: str) -> int:
        """One CLI run with the clock running, sampling who sends meanwhile."""
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.1):
                observe()
        t = threading.Thread(target=sample, daemon=True)
        clock.run(SCALE)
        t.start()
        try:
            p = subprocess.run([sys.executable, "-m", "reconciler", *args, "--desired", str(files / "desired.yaml"),
                                "--state-dir", str(state_dir)], env=env, cwd=files, capture_output=True, text=True,
                               timeout=900)
        finally:
            done.set()
            t.join()
            clock.run(0.0)
        observe()
        if p.returncode not in (0, 2):
            raise RuntimeError(f"{name}: reconciler {args[0]} exited {p.returncode}:\n{p.stderr[-3000:]}")
        return p.returncode

    try:
        # The apply falls halfway between two scheduled runs: the next is half a cadence away.
        sending_before = observe()
        t0 = clock.now()
        for x in declared - sending_before:
            stopped[x] = t0
        log(f"{name}: {n} numbers, apply")
        code = command("apply", "--auto-approve", "--format", "json")
        slot = t0 + cadence / 2
        resumes = 0
        while True:
            st = state()
            final = {a["phone_number"]: a for a in st["assignments"]
                     if a["phone_number"] in declared and a["status"] == "ASSIGNED" and a["tcr_campaign_id"] == SHARED}
            if len(final) == len(declared):
                break
            if clock.now() - t0 > HORIZON:
                raise RuntimeError(f"{name}: {len(declared) - len(final)} numbers do not send after {HORIZON / 3600:g} h")
            while slot <= clock.now():
                slot += cadence
            clock.advance(slot - clock.now())
            resumes += 1
            command("resume", "--format", "json")
        ends = {x: _ts(a["updated_at"]) for x, a in final.items()}
        last = max(ends.values()) - t0
        down = sum(ends[x] - stopped[x] for x in declared if x in stopped)
        floor = FLOORS[name]
        interrupted = sum(1 for x in declared if x in stopped)
        floor_nh = interrupted * floor
        row = Row(name, n, cadence / 60, round(last / 3600, 2), round(floor / 3600, 2), round(last / floor, 2),
                  round(down / 3600, 1), round(floor_nh / 3600, 1),
                  round(down / floor_nh, 2) if floor_nh else 0.0, resumes, code)
        log(f"{name}: every number sends after {row.time_to_send_h} h (floor {row.floor_h} h), {row.number_hours} "
            f"number-hours without service (floor {row.floor_number_hours})")
        return row
    finally:
        sb.stop()


def table(rows: list[Row]) -> str:
    out = ["| scenario | numbers | resume every | time until every number sends | Telnyx floor | ratio | "
           "number-hours without service | floor | ratio |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        out.append(f"| {r.scenario} | {r.numbers:,} | {r.cadence_min:g} min | {r.time_to_send_h:.2f} h | "
                   f"{r.floor_h:.2f} h | {r.time_ratio:.2f} | {r.number_hours:,.1f} | {r.floor_number_hours:,.1f} | "
                   f"{r.number_hours_ratio:.2f} |")
    return "\n".join(out)


def _minutes(text: str) -> list[float]:
    out = []
    for part in filter(None, (p.strip().lower() for p in text.split(","))):
        if part.endswith("h"):
            out.append(float(part[:-1]) * 60)
        else:
            out.append(float(part.removesuffix("m").removesuffix("min")))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.timeline", description=__doc__.splitlines()[0])
    p.add_argument("--numbers", type=int, default=500, help="numbers per scenario (default 500)")
    p.add_argument("--cadence", type=_minutes, default=None,
                   help="minutes between scheduled resume runs, comma-separated (default: the shipped 15, and 60)")
    p.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"subset of {','.join(SCENARIOS)}")
    p.add_argument("--smoke", action="store_true", help="CI smoke: 20 numbers, the shipped cadence only")
    p.add_argument("--results", type=Path, default=None, help=f"folder for timeline.json and table.md (default {RESULTS})")
    a = p.parse_args(argv)
    n = 20 if a.smoke else a.numbers
    cadences = a.cadence or ([SHIPPED_CADENCE_MIN] if a.smoke else [SHIPPED_CADENCE_MIN, 60.0])
    results = a.results or (RESULTS / "smoke" if a.smoke else RESULTS)

    def log(msg: str) -> None:
        print(f"[bench-timeline {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-timeline-") as tmp:
        for cadence in cadences:
            for name in [s.strip() for s in a.scenarios.split(",") if s.strip()]:
                rows.append(run_scenario(name, n, cadence * 60, Path(tmp) / f"{cadence:g}", log))
    text = table(rows)
    results.mkdir(parents=True, exist_ok=True)
    (results / "timeline.json").write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n", encoding="utf-8")
    (results / "table.md").write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


# The scheduled `resume`'s cadence as shipped (reconciler/ci/templates/drift.yml): every 15 minutes.
SHIPPED_CADENCE_MIN = 15.0

if __name__ == "__main__":
    raise SystemExit(main())
