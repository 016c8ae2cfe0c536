"""Measure the sandbox's speed and memory: `python -m reconciler.sandbox.perf [--json]`.

1. Writes a seed with N numbers (default 1,000,000) spread over profiles, every long code
   assigned to a campaign, starts `python -m reconciler.sandbox` on it, and reads the server
   process's resident memory (VmRSS now, VmHWM peak) once it prints its URL.
2. Hammers list endpoints over one keep-alive connection for a few seconds, from this process
   (stdlib http.client: the client must not be the bottleneck), and reports requests/second.
The benchmark calls this; it asserts nothing. Targets: ≥ 1,500 list requests/s and ≤ 1 GiB.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEY = "sandbox-key"
PER_PROFILE = 1000
PER_CAMPAIGN = 40  # under the 49 cap, like a real estate


def write_seed(path: Path, numbers: int) -> None:
    """Stream a JSON seed to disk (never holds the whole document in this process)."""
    profiles = max(1, (numbers + PER_PROFILE - 1) // PER_PROFILE)
    campaigns = max(1, (numbers + PER_CAMPAIGN - 1) // PER_CAMPAIGN)
    with path.open("w") as out:
        out.write('{"messaging_profiles":[')
        out.write(",".join(f'{{"id":"{_pid(i)}","name":"perf-{i}"}}' for i in range(profiles)))
        out.write('],"campaigns":[')
        out.write(",".join(f'{{"tcr_campaign_id":"{_cid(i)}","kind":"shared"}}' for i in range(campaigns)))
        out.write('],"phone_numbers":[')
        for i in range(numbers):
            if i:
                out.write(",")
            out.write(f'{{"phone_number":"{_e164(i)}","messaging_profile_id":"{_pid(i // PER_PROFILE)}"}}')
        out.write('],"assignments":[')
        for i in range(numbers):
            if i:
                out.write(",")
            out.write(f'{{"phone_number":"{_e164(i)}","tcr_campaign_id":"{_cid(i // PER_CAMPAIGN)}"}}')
        out.write("]}")


def _pid(i: int) -> str:
    return f"00000000-0000-4000-8000-{i:012d}"


def _cid(i: int) -> str:
    return "C" + _base36(i).rjust(6, "0")


def _base36(n: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def _e164(i: int) -> str:
    return f"+1{2000000000 + i}"


def _proc_mem(pid: int) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) * 1024
    return values


def start_server(seed: Path | None, extra: list[str] | None = None) -> tuple[subprocess.Popen[str], str, float]:
    cmd = [sys.executable, "-m", "reconciler.sandbox", "--port", "0"]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    cmd += extra or []
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url:
        proc.kill()
        raise RuntimeError("sandbox did not start")
    return proc, url, time.perf_counter() - started


def stop_server(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def throughput(url: str, seconds: float, profiles: int) -> dict[str, float]:
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port))
    headers = {"Authorization": f"Bearer {KEY}"}
    paths = [
        "/v2/10dlc/phone_number_campaigns?recordsPerPage=20&page={page}&sort=phoneNumber",
        "/v2/messaging_profiles/{profile}/phone_numbers?page[size]=20&page[number]={page2}",
        "/v2/phone_numbers/messaging?page[size]=20&page[number]={page}",
        "/v2/10dlc/phone_number_campaigns?filter[tcr_campaign_id]={campaign}&recordsPerPage=50",
    ]
    count = 0
    errors = 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        for template in paths:
            path = template.format(
                page=count % 500 + 1,
                page2=count % 50 + 1,
                profile=_pid(count % profiles),
                campaign=_cid(count % 100),
            )
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                errors += 1
            count += 1
    elapsed = time.perf_counter() - started
    conn.close()
    return {"requests": count, "seconds": round(elapsed, 2), "requests_per_second": round(count / elapsed), "errors": errors}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reconciler.sandbox.perf", description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=1_000_000, help="numbers in the memory test (default 1,000,000)")
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of the throughput test")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed.json"
        write_seed(seed, args.numbers)
        proc, url, load_seconds = start_server(seed)
        try:
            mem = _proc_mem(proc.pid)
            speed = throughput(url, args.seconds, max(1, args.numbers // PER_PROFILE))
        finally:
            stop_server(proc)
    result = {
        "numbers": args.numbers,
        "startup_seconds": round(load_seconds, 2),
        "rss_bytes": mem.get("VmRSS", 0),
        "peak_rss_bytes": mem.get("VmHWM", 0),
        "list_requests_per_second": speed["requests_per_second"],
        "list_requests": speed["requests"],
        "list_errors": speed["errors"],
        "targets": {"list_requests_per_second": 1500, "rss_bytes": 1 << 30},
    }
    if args.json:
        print(json.dumps(result))
    else:
        mib = 1 << 20
        print(f"numbers seeded:        {args.numbers:,} (startup {load_seconds:.1f} s)")
        print(f"resident memory:       {result['rss_bytes'] / mib:,.0f} MiB (peak {result['peak_rss_bytes'] / mib:,.0f} MiB; target <= 1024 MiB)")
        print(f"list requests/second:  {speed['requests_per_second']:,} over {speed['seconds']} s, one keep-alive connection (target >= 1,500)")
        if speed["errors"]:
            print(f"non-200 responses:     {speed['errors']}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
