"""Offline measurements, each in a fresh process so its CPU time and peak RSS are its own.

`python -m bench.offline plan N CASE`: builds `DesiredState`/`LiveState` of N numbers
directly in memory (no YAML, no HTTP), then times `make_plan` (diff + plan) with
`time.process_time()`. Prints one JSON object: build and plan CPU seconds, RSS after the
build, and the process's peak RSS (which includes both states: what a real `plan` holds).
`python -m bench.offline yaml FILE`: the reference, libyaml (`CSafeLoader`) loading FILE.
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
from pathlib import Path


def _rss() -> dict[str, int]:
    out: dict[str, int] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(rest.split()[0]) * 1024
    return out


def build_states(numbers: int, case: str):
    from reconciler.model import DesiredNumber
    from reconciler.model import (ASSIGNED, SHARED, DesiredProfile, DesiredState, LiveAssignment, LiveCampaign,
                                  LiveNumber, LiveState, Policy)

    from .estate import Estate, campaign_id, e164, profile_id

    est = Estate(numbers)
    pids = [sys.intern(profile_id(p)) for p in range(est.profiles)]
    cids = [sys.intern(campaign_id(c)) for c in range(est.campaigns)]
    camp_of = [cids[est.campaign_of_profile(p)] for p in range(est.profiles)]
    path = sys.intern("desired-state/bench.yaml")
    profiles = {pid: DesiredProfile(pid, f"bench-{p:05d}", (camp_of[p],)) for p, pid in enumerate(pids)}
    desired_numbers = {}
    live = LiveState()
    live.profiles = {pid: f"bench-{p:05d}" for p, pid in enumerate(pids)}
    live.campaigns = {c: LiveCampaign(c, SHARED, "ACCEPTED", "MNO_PROVISIONED", True) for c in cids}
    for i in range(numbers):
        n = e164(i)
        t = est.target(i, case)
        desired_numbers[n] = DesiredNumber(n, pids[t], camp_of[t], path, 4 + i, 13)
        home = est.home(i)
        live.numbers[n] = LiveNumber(n, str(10**18 + i), None if case == "adopt" else pids[home], "longcode")
        if case != "adopt":
            live.assignments[n] = LiveAssignment(n, camp_of[home], ASSIGNED)
    # the benchmark's change case is over the reassign safety limit: allow exactly it
    desired = DesiredState(profiles, desired_numbers, Policy(max_reassign=numbers))
    return desired, live


def plan_main(numbers: int, case: str) -> dict[str, object]:
    from reconciler.plan import make_plan

    gc.disable()  # as the loader does: millions of acyclic objects
    t0 = time.process_time()
    desired, live = build_states(numbers, case)
    build_cpu = time.process_time() - t0
    gc.enable()
    after_build = _rss()
    t0 = time.process_time()
    w0 = time.perf_counter()
    plan = make_plan(desired, live)
    plan_cpu = time.process_time() - t0
    plan_wall = time.perf_counter() - w0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "numbers": numbers, "case": case, "build_cpu_s": round(build_cpu, 3),
        "plan_cpu_s": round(plan_cpu, 3), "plan_wall_s": round(plan_wall, 3),
        "rss_after_build_bytes": after_build.get("VmRSS", 0), "peak_rss_bytes": peak,
        "changes": len(plan.changes), "counts": plan.counts, "safe": plan.safe,
    }


def yaml_main(path: str) -> dict[str, object]:
    import yaml

    t0 = time.process_time()
    with open(path, "rb") as fh:
        doc = yaml.load(fh, Loader=yaml.CSafeLoader)
    return {"cpu_s": round(time.process_time() - t0, 3), "profiles": len(doc["profiles"]),
            "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def profile_main(numbers: int, case: str, out: str) -> None:
    """cProfile of make_plan, for finding what a missed target costs."""
    import cProfile
    import pstats

    from reconciler.plan import make_plan

    desired, live = build_states(numbers, case)
    prof = cProfile.Profile()
    prof.enable()
    make_plan(desired, live)
    prof.disable()
    prof.dump_stats(out)
    pstats.Stats(out).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "plan":
        print(json.dumps(plan_main(int(sys.argv[2]), sys.argv[3])))
    elif what == "yaml":
        print(json.dumps(yaml_main(sys.argv[2])))
    elif what == "profile":
        profile_main(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        raise SystemExit(f"unknown: {what}")
