"""`make faults` (after the tests marked slow): run the fault matrix against the sandbox and print the report table.

    python -m tests.faults.report                 # every mode value once, rotating fault kinds (16 runs)
    python -m tests.faults.report --full          # every mode value under every fault kind (80 runs)
    python -m tests.faults.report --fast          # the bounded part (`make test` runs one of its runs)
    python -m tests.faults.report --seed 1003 --only 'put_existing=reject/fail20'   # replay one run
    python -m tests.faults.report --repeat 3      # the matrix 3 times, with fresh seeds
    python -m tests.faults.report --hostile-only  # only the hostile-input section

Every run ends with the hostile-input section: each attack of tests/faults/hostile_cases.py
(hostile names in the desired state, hostile API fields, logs, paths, sandbox requests), counted as
inputs tried and inputs accepted, which must be 0.

Exit status 1 if any run did not converge, touched a number it must not, or lost one, or if any
hostile input was accepted.
See tests/faults/harness.py for what one run does and checks. A replay repeats the estate, the
sandbox's fault sequence (--random-seed) and the kill points drawn (a delay or a journal line);
a kill "after N seconds" lands wherever the run is by then, so timing can still differ.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from tests.faults import hostile_cases
from tests.faults.harness import Combo, RunResult, fast_combos, matrix, run_combo


def build(args: argparse.Namespace) -> list[Combo]:
    if args.only:  # a replay: the named run, from any of the sets, with the given seed
        # The same name can be in several sets with other modes: the seed picks the very run.
        pool = (matrix(full=False, base_seed=args.base_seed) + matrix(full=True, base_seed=args.base_seed)
                + fast_combos(args.base_seed + 5000))
        named = [c for c in pool if c.name == args.only]
        exact = [c for c in named if args.seed is None or c.seed == args.seed]
        if exact:
            return exact[:1]
        return [replace(c, seed=args.seed) if args.seed is not None else c for c in named[:1]]
    combos: list[Combo] = []
    for r in range(args.repeat):
        base = args.base_seed + r * 10_000
        combos += fast_combos(base + 5000) if args.fast else matrix(full=args.full, base_seed=base)
    if args.seed is not None:
        combos = [c for c in combos if c.seed == args.seed]
    return combos


def table(results: list[RunResult], seconds: float) -> str:
    runs = len(results)
    injected_500 = sum(r.injected_500 for r in results)
    injected_429 = sum(r.injected_429 for r in results)
    kills = sum(r.kills_done for r in results)
    converged = sum(r.converged for r in results)
    touched = sum(len(r.wrongly_touched) for r in results)
    lost = sum(len(r.lost) for r in results)
    numbers = sum(r.declared + r.undeclared for r in results)
    rows = [
        ("runs", f"{runs}"),
        ("faults injected", f"{injected_500 + injected_429 + kills} "
                            f"({injected_500} HTTP 500, {injected_429} HTTP 429, {kills} SIGKILL)"),
        ("converged", f"{converged}/{runs}"),
        ("numbers wrongly touched", f"{touched}"),
        ("numbers lost", f"{lost}"),
        ("writes repeated for work in flight", f"{sum(r.repeated_writes for r in results)}"),
        ("numbers watched", f"{numbers} ({sum(r.declared for r in results)} declared, "
                            f"{sum(r.undeclared for r in results)} undeclared)"),
        ("journal lines checked", f"{sum(r.journal_lines for r in results)} "
                                  f"({sum(r.cut_lines for r in results)} cut short by a kill)"),
        ("wall time", f"{seconds:.0f} s"),
    ]
    w = max(len(k) for k, _ in rows)
    out = [f"| {'':{w}} | result |", f"|{'-' * (w + 2)}|--------|"]
    out += [f"| {k:{w}} | {v} |" for k, v in rows]
    return "\n".join(out)


def hostile_section(fast: bool) -> tuple[str, list[str]]:
    """Run every attack of hostile_cases.ATTACKS: the table (tried / accepted per section) and a
    line for each input that got through."""
    t0 = time.monotonic()
    tally: dict[str, list[int]] = {}
    accepted: list[str] = []
    with hostile_cases.Ctx(fast=fast) as ctx:
        for attack, verdicts in hostile_cases.run_all(hostile_cases.ATTACKS, ctx):
            bad = [v for v in verdicts if v]
            row = tally.setdefault(attack.section, [0, 0])
            row[0] += len(verdicts)
            row[1] += len(bad)
            accepted += [f"ACCEPTED {attack.id}: {v}" for v in bad]
            print(f"{'FAIL' if bad else 'ok  '} {attack.id:80} {len(verdicts):4d} tried {len(bad):3d} accepted",
                  file=sys.stderr, flush=True)
    rows = [(name, tried, got) for name, (tried, got) in tally.items()]
    rows.append(("total", sum(r[1] for r in rows), sum(r[2] for r in rows)))
    w = max(len(r[0]) for r in rows)
    out = [f"Hostile input ({time.monotonic() - t0:.0f} s):", "",
           f"| {'section':{w}} | tried | accepted |", f"|{'-' * (w + 2)}|------:|---------:|"]
    out += [f"| {name:{w}} | {tried:5d} | {got:8d} |" for name, tried, got in rows]
    return "\n".join(out), accepted


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.faults.report", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--full", action="store_true", help="every mode value under every fault kind")
    p.add_argument("--fast", action="store_true", help="only the bounded part make test runs")
    p.add_argument("--repeat", type=int, default=1, help="run the matrix N times with fresh seeds")
    p.add_argument("--base-seed", type=int, default=int(os.environ.get("FAULTS_SEED", "1000")))
    p.add_argument("--seed", type=int, help="replay the run with this seed")
    p.add_argument("--only", help="replay the run with this name")
    p.add_argument("--jobs", type=int, default=2, help="runs in parallel (each has its own sandbox)")
    p.add_argument("--hostile-only", action="store_true", help="only the hostile-input section")
    args = p.parse_args(argv)
    if args.hostile_only:
        return hostile_only(args.fast)
    combos = build(args)
    if not combos:
        print("no run matches", file=sys.stderr)
        return 2
    print(f"fault matrix: {len(combos)} run(s), base seed {args.base_seed}", file=sys.stderr, flush=True)
    t0 = time.monotonic()
    results: list[RunResult] = []

    def one(c: Combo) -> RunResult:
        r = run_combo(c)
        mark = "ok  " if r.ok else "FAIL"
        print(f"{mark} {c.name:42} {c.describe():70} {r.faults:4d} faults {r.seconds:5.1f}s",
              file=sys.stderr, flush=True)
        return r

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(one, combos))
    print(table(results, time.monotonic() - t0))
    failed = [r for r in results if not r.ok]
    for r in failed:
        print("\n" + r.explain())
    if args.only or args.seed is not None:  # a replay: only that run
        return 1 if failed else 0
    print()
    return 1 if hostile_only(args.fast) or failed else 0


def hostile_only(fast: bool) -> int:
    text, accepted = hostile_section(fast)
    print(text)
    for line in accepted:
        print(line)
    return 1 if accepted else 0


if __name__ == "__main__":
    sys.exit(main())
