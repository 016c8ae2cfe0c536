"""`python -m bench`: the reconciler against the sandbox at 1k/10k/100k numbers, plus offline runs.

Prints one table on stdout, progress on stderr, and writes one JSON file per measurement
(and `table.md`, the table over every JSON file there) to the results folder.
See bench/README.md for what is measured and how the lower bound is computed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import report
from .estate import CASES, Estate, iter_changes, lower_bound
from .measure import machine, run_measured
from .naive import run_naive
from .sandbox import KEY, SandboxProcess

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
COMMANDS = {"adopt": ("plan", "apply"), "noop": ("plan",), "change": ("plan", "apply")}
NAIVE_MODES = {"phone_id": "numeric_or_e164", "shared_per_number": "allow"}
# The lower bound pages the 10DLC lists at 500 (their siblings' maximum). The sandbox's default for
# the lists whose maximum the spec does not give is the stricter 250 (mode list_page_max), which
# the reconciler meets with one refused request and then half-size pages: measured against the
# bound's own page size here; `--modes list_page_max=250` measures the other answer.
ONLINE_MODES = {"list_page_max": "500"}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _sizes(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        part = part.strip().lower().replace("_", "")
        if not part or part == "0":
            continue
        mult = 1
        if part.endswith("k"):
            part, mult = part[:-1], 1000
        elif part.endswith("m"):
            part, mult = part[:-1], 1_000_000
        out.append(int(float(part) * mult))
    return out


def _modes(text: str) -> dict[str, str]:
    out = dict(ONLINE_MODES)
    for item in filter(None, (t.strip() for t in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"{item!r}: expected NAME=VALUE")
        out[name.strip()] = value.strip()
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true",
                   help="CI smoke case: 1,000 numbers, naive at 100, offline at 100,000; results in results/smoke/")
    p.add_argument("--sizes", type=_sizes, default=None, help="numbers per estate, e.g. 1k,10k,100k (default)")
    p.add_argument("--cases", default=",".join(CASES), help=f"comma-separated subset of {','.join(CASES)}")
    p.add_argument("--latency-ms", type=float, default=20.0, help="sandbox latency per response (default 20)")
    p.add_argument("--rate-limit", type=float, default=50.0, help="sandbox rate limit, requests/s (default 50)")
    p.add_argument("--concurrency", type=int, default=8, help="reconciler --concurrency (default 8)")
    p.add_argument("--naive-sizes", type=_sizes, default=None,
                   help="sizes the naive baseline really runs at (default: 1k; smoke: 100); others are scaled")
    p.add_argument("--offline-numbers", type=_sizes, default=None,
                   help="numbers for offline diff+plan and validate (default 1m; smoke 100k; 0 skips)")
    p.add_argument("--offline-cases", default="adopt,noop,change", help="cases of the offline diff+plan")
    p.add_argument("--no-online", action="store_true", help="skip the sandbox cases (offline only)")
    p.add_argument("--results", type=Path, default=None, help="results folder (default bench/results)")
    p.add_argument("--report", action="store_true", help="print the table of the JSON files in the results folder")
    p.add_argument("--modes", type=_modes, default=dict(ONLINE_MODES),
                   help="sandbox modes of the online cases, NAME=VALUE,... (default list_page_max=500)")
    p.add_argument("-v", "--verbose", action="store_true", help="echo the reconciler's stderr")
    a = p.parse_args(argv)
    if a.smoke:
        a.sizes = a.sizes or [1000]
        a.naive_sizes = a.naive_sizes if a.naive_sizes is not None else [100]
        a.offline_numbers = a.offline_numbers if a.offline_numbers is not None else [100_000]
        a.results = a.results or RESULTS / "smoke"
    a.sizes = a.sizes or [1000, 10_000, 100_000]
    a.naive_sizes = a.naive_sizes if a.naive_sizes is not None else [1000]
    a.offline_numbers = a.offline_numbers if a.offline_numbers is not None else [1_000_000]
    a.offline_numbers = [n for n in a.offline_numbers if n > 0]
    a.results = a.results or RESULTS
    a.cases = [c.strip() for c in a.cases.split(",") if c.strip()]
    bad = set(a.cases) - set(CASES)
    if bad:
        p.error(f"unknown case(s): {', '.join(sorted(bad))}")
    return a


# ---------------------------------------------------------------------- online cases


def _cli_env(base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELNYX_", "GITHUB_STEP_SUMMARY"))}
    env.update(TELNYX_API_KEY=KEY, TELNYX_API_BASE_URL=base_url, NO_COLOR="1", PYTHONHASHSEED="0",
               PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
    return env


def _converged(sb: SandboxProcess, est: Estate, case: str) -> dict[str, int]:
    """How many declared numbers the account holds as declared (admin state, not counted)."""
    want = est.desired_state(case)
    state = sb.state()
    on = {n["phone_number"]: n.get("messaging_profile_id") for n in state["phone_numbers"]}
    asg = {a["phone_number"]: (a["tcr_campaign_id"], a.get("status")) for a in state["assignments"]}
    ok = sum(1 for n, p in want.numbers.items()
             if on.get(n) == p and asg.get(n) == (want.assignments[n], "ASSIGNED"))
    return {"declared": len(want.numbers), "converged": ok}


def run_case(args: argparse.Namespace, n: int, case: str, command: str, work: Path) -> dict[str, Any]:
    est = Estate(n)
    seed, desired = work / f"seed-{n}-{case}.json", work / f"desired-{n}-{case}.yaml"
    if not seed.exists():
        est.write_seed(seed, case)
        est.write_desired(desired, case)
    bound = lower_bound(est, case, command)
    cmd = [sys.executable, "-m", "reconciler", command, "--desired", str(desired),
           "--concurrency", str(args.concurrency), "--format", "json"]
    if case == "change":
        cmd += ["--allow-reassign", str(est.changed_count())]
    if command == "plan":
        cmd += ["--detailed-exitcode"]
    else:
        cmd += ["--auto-approve", "--until", "final", "--timeout", "7200", "--state-dir", str(work / f"state-{n}-{case}")]
    log(f"{n:,} numbers, {case}: {command} (lower bound {bound['total']:,} requests, "
        f"ideal {bound['total'] / args.rate_limit:.1f} s)")
    started = time.perf_counter()
    with SandboxProcess(seed, latency_ms=args.latency_ms, rate_limit=args.rate_limit, modes=args.modes,
                        log=work / f"sandbox-{n}-{case}-{command}.log") as sb:
        log(f"  sandbox up in {time.perf_counter() - started:.1f} s at {sb.base_url}")
        sb.reset_counters()
        run = run_measured(cmd, env=_cli_env(sb.base_url), cwd=work,
                           stdout_path=work / f"out-{n}-{case}-{command}.json", echo_stderr=args.verbose)
        counters = sb.counters()
        converged = _converged(sb, est, case) if command == "apply" else None
    expected = (0, 2) if command == "plan" else (0,)
    if run.code not in expected:
        raise RuntimeError(f"{' '.join(cmd[2:4])} exited {run.code}:\n{run.stderr_tail}")
    try:
        output = json.loads(run.stdout)
    except ValueError:
        output = {}
    by_op = counters.get("by_operation", {})
    requests = sum(by_op.values())
    status = counters.get("status", {})
    throttled = int(status.get("429", 0))
    result: dict[str, Any] = {
        "kind": "online", "numbers": n, "case": case, "command": command,
        "profiles": est.profiles, "campaigns": est.campaigns, "changed_numbers": est.changed_count() if case == "change" else (n if case == "adopt" else 0),
        "requests": requests, "reads": counters.get("reads"), "writes": counters.get("writes"),
        "requests_by_operation": dict(sorted(by_op.items())), "status": status,
        "throttled_429": throttled, "throttled_percent": round(100.0 * throttled / requests, 3) if requests else 0.0,
        "lower_bound": bound, "ratio": round(requests / bound["total"], 3),
        "wall_s": round(run.wall, 3), "ideal_s": round(bound["total"] / args.rate_limit, 3),
        "wall_over_ideal": round(run.wall / (bound["total"] / args.rate_limit), 3),
        "cpu_s": round(run.cpu, 3), "peak_rss_bytes": run.peak_rss, "exit_code": run.code,
        "settings": {"latency_ms": args.latency_ms, "rate_limit": args.rate_limit, "concurrency": args.concurrency,
                     "modes": args.modes},
        "machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
    if command == "plan":
        result["plan_counts"] = output.get("counts")
        result["plan_safe"] = output.get("safe")
    else:
        result["apply_totals"] = output.get("totals")
        result["apply_rounds"] = output.get("rounds")
        result["apply_writes"] = output.get("writes")
        result["converged"] = converged
    log(f"  {requests:,} requests ({result['ratio']:.2f}× bound), {run.wall:.1f} s wall "
        f"(ideal {result['ideal_s']:.1f}), {throttled} 429s, CPU {run.cpu:.1f} s, RSS {run.peak_rss / 2**20:.0f} MiB"
        + (f", converged {converged['converged']:,}/{converged['declared']:,}" if converged else ""))
    return result


def run_naive_case(args: argparse.Namespace, n: int, work: Path) -> dict[str, Any]:
    est = Estate(n)
    seed = work / f"seed-naive-{n}.json"
    est.write_seed(seed, "adopt")
    log(f"naive baseline at {n:,} numbers (2 requests per number, ~{2 * n / args.rate_limit:.0f} s at the rate limit)")
    with SandboxProcess(seed, latency_ms=args.latency_ms, rate_limit=args.rate_limit, modes=NAIVE_MODES,
                        log=work / f"sandbox-naive-{n}.log") as sb:
        sb.reset_counters()
        got = run_naive(sb.base_url, iter_changes(est, "adopt"), args.rate_limit, progress=log)
        counters = sb.counters()
        converged = _converged(sb, est, "adopt")
    requests = sum(counters.get("by_operation", {}).values())
    result = {
        "kind": "naive", "numbers": n, "requests": requests,
        "requests_per_number": round(requests / n, 4),
        "requests_by_operation": counters.get("by_operation"), "status": counters.get("status"),
        "throttled_429": int(counters.get("status", {}).get("429", 0)), "failed": got["failed"],
        "wall_s": round(float(got["wall_s"]), 3), "converged": converged,
        "settings": {"latency_ms": args.latency_ms, "rate_limit": args.rate_limit},
        "machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
    log(f"  naive: {requests:,} requests ({result['requests_per_number']} per number), {got['wall_s']:.1f} s, "
        f"converged {converged['converged']:,}/{converged['declared']:,}")
    return result


# ---------------------------------------------------------------------- offline


def run_offline_plan(n: int, case: str, work: Path) -> dict[str, Any]:
    log(f"offline diff+plan of {n:,} numbers, {case}")
    run = run_measured([sys.executable, "-m", "bench.offline", "plan", str(n), case],
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                       stdout_path=work / f"offline-plan-{n}-{case}.json")
    if run.code:
        raise RuntimeError(f"offline plan failed:\n{run.stderr_tail}")
    got = json.loads(run.stdout)
    got.update(kind="offline_plan", process_cpu_s=round(run.cpu, 3), process_wall_s=round(run.wall, 3),
               machine=machine(), date=time.strftime("%Y-%m-%d %H:%M:%S %z"))
    log(f"  diff+plan {got['plan_cpu_s']:.2f} s CPU, peak RSS {got['peak_rss_bytes'] / 2**20:.0f} MiB "
        f"(states alone {got['rss_after_build_bytes'] / 2**20:.0f} MiB)")
    return got


def run_offline_validate(n: int, work: Path) -> dict[str, Any]:
    path = work / f"validate-{n}.yaml"
    log(f"offline validate of {n:,} numbers: writing {path.name}")
    Estate(n).write_desired(path, "noop")
    run = run_measured([sys.executable, "-m", "reconciler", "validate", "--desired", str(path)],
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=work, stdout_path=work / f"validate-{n}.out")
    if run.code:
        raise RuntimeError(f"validate failed:\n{run.stderr_tail}")
    ref = run_measured([sys.executable, "-m", "bench.offline", "yaml", str(path)],
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, stdout_path=work / f"yaml-{n}.json")
    reference = json.loads(ref.stdout) if ref.code == 0 else {}
    got = {"kind": "offline_validate", "numbers": n, "file_bytes": path.stat().st_size,
           "wall_s": round(run.wall, 3), "cpu_s": round(run.cpu, 3), "peak_rss_bytes": run.peak_rss,
           "output": run.stdout.strip(), "libyaml_load_cpu_s": reference.get("cpu_s"),
           "libyaml_load_peak_rss_bytes": reference.get("peak_rss_bytes"),
           "machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M:%S %z")}
    log(f"  validate {run.wall:.2f} s wall, {run.cpu:.2f} s CPU, peak RSS {run.peak_rss / 2**20:.0f} MiB "
        f"(libyaml CSafeLoader alone: {reference.get('cpu_s')} s)")
    path.unlink()
    return got


# ---------------------------------------------------------------------- main


def _save(results: Path, name: str, data: dict[str, Any]) -> None:
    results.mkdir(parents=True, exist_ok=True)
    (results / f"{name}.json").write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report:
        print(report.table(report.load(args.results)))
        return 0
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="reconciler-bench-") as tmp:
        work = Path(tmp)
        if not args.no_online:
            for n in args.naive_sizes:
                r = run_naive_case(args, n, work)
                _save(args.results, f"naive-{n}", r)
                rows.append(r)
            for n in args.sizes:
                for case in args.cases:
                    for command in COMMANDS[case]:
                        r = run_case(args, n, case, command, work)
                        _save(args.results, f"online-{n}-{case}-{command}", r)
                        rows.append(r)
                for f in work.glob(f"seed-{n}-*"):
                    f.unlink()
        for n in args.offline_numbers:
            for case in [c.strip() for c in args.offline_cases.split(",") if c.strip()]:
                r = run_offline_plan(n, case, work)
                _save(args.results, f"offline-plan-{n}-{case}", r)
                rows.append(r)
            r = run_offline_validate(n, work)
            _save(args.results, f"offline-validate-{n}", r)
            rows.append(r)
    print(report.table(rows))
    all_rows = report.load(args.results)
    (args.results / "table.md").write_text(report.table(all_rows) + "\n", encoding="utf-8")
    log(f"done in {time.perf_counter() - started:.0f} s; JSON and table.md in {args.results}")
    return 0
