"""Seed loading (and its errors) and the CLI's first-line contract, on a real subprocess."""

from __future__ import annotations

import json
import signal
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests import loopback
from reconciler.sandbox import SeedError, start_sandbox

HERE = Path(__file__).parent
EXAMPLE = HERE / "example-seed.yaml"


def test_yaml_and_json_seed_files(tmp_path: Path) -> None:
    import yaml

    as_json = tmp_path / "seed.json"
    as_json.write_text(json.dumps(yaml.safe_load(EXAMPLE.read_text())))
    for path in (EXAMPLE, as_json, str(as_json)):
        with start_sandbox(seed=path) as sb, loopback.client(headers={"Authorization": "Bearer sandbox-key"}) as c:
            data = c.get(sb.base_url + "/phone_numbers/messaging").json()["data"]
            assert [d["phone_number"] for d in data] == ["+13125550100", "+13125550101", "+18885550100"]
            brands = c.get(sb.base_url + "/10dlc/brand").json()["records"]
            assert len(brands) == 1  # the telnyx campaign's generated brand


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        ([1], "must be a mapping"),
        ({"numbers": []}, "numbers: unknown key"),
        ({"messaging_profiles": [{"id": "nope"}]}, "messaging_profiles[0].id: 'nope' is not a UUID"),
        ({"phone_numbers": [{"phone_number": "+44207946000"}]}, "phone_numbers[0].phone_number"),
        ({"phone_numbers": [{"phone_number": "+13125550100", "messaging_profile_id": "4001767e-ce0f-4cae-9d5f-0d5e636e7809"}]}, "is not a messaging profile of this seed"),
        ({"phone_numbers": [{"phone_number": "+13125550100", "type": "mobile"}]}, "phone_numbers[0].type"),
        ({"phone_numbers": [{"phone_number": "+13125550100"}, {"phone_number": "+13125550100"}]}, "duplicate phone number"),
        ({"campaigns": [{"tcr_campaign_id": "XYZ"}]}, "is not a TCR campaign id"),
        ({"campaigns": [{"tcr_campaign_id": "CABCDE1", "kind": "telnyx", "sharing_status": "ACCEPTED"}]}, "only a shared campaign"),
        ({"campaigns": [{"tcr_campaign_id": "CABCDE1", "campaign_status": "ACTIVE"}]}, "campaign_status"),
        ({"campaigns": [{"tcr_campaign_id": "CABCDE1", "number_pooling": "yes"}]}, "number_pooling: must be a boolean"),
        ({"assignments": [{"phone_number": "+13125550100", "tcr_campaign_id": "CABCDE1"}]}, "is not in phone_numbers"),
        ({"phone_numbers": [{"phone_number": "+13125550100"}], "assignments": [{"phone_number": "+13125550100", "tcr_campaign_id": "CABCDE1", "status": "DONE"}]}, "assignments[0].status"),
        ({"phone_numbers": [{"phone_number": "+13125550100", "extra": 1}]}, "phone_numbers[0].extra: unknown key"),
    ],
)
def test_seed_errors(doc: object, fragment: str) -> None:
    with pytest.raises(SeedError) as info:
        start_sandbox(seed=doc)  # type: ignore[arg-type]
    assert fragment in str(info.value)


def test_seed_errors_are_all_reported() -> None:
    with pytest.raises(SeedError) as info:
        start_sandbox(seed={"messaging_profiles": [{"id": "a"}, {"id": "b"}], "campaigns": [{"tcr_campaign_id": "x"}]})
    assert len(info.value.problems) == 3


def _run(*args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reconciler.sandbox", *args], capture_output=True, text=True, timeout=timeout)


def test_cli_bad_seed_exits_1_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("phone_numbers:\n  - phone_number: '123'\n")
    result = _run("--seed", str(bad))
    assert result.returncode == 1 and result.stdout == ""
    assert str(bad) in result.stderr and "phone_numbers[0].phone_number" in result.stderr
    assert "Traceback" not in result.stderr
    result = _run("--seed", str(tmp_path / "missing.yaml"))
    assert result.returncode == 1 and "cannot read seed file" in result.stderr and "Traceback" not in result.stderr
    (tmp_path / "broken.yaml").write_text("a: [\n")
    result = _run("--seed", str(tmp_path / "broken.yaml"))
    assert result.returncode == 1 and "not valid YAML" in result.stderr and "Traceback" not in result.stderr
    result = _run("--mode", "phone_id=e164")
    assert result.returncode == 1 and "phone_id" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_first_line_is_the_base_url(sig: signal.Signals) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler.sandbox", "--port", "0", "--seed", str(EXAMPLE), "--api-key", "k1", "--mode", "phone_id=numeric_or_e164"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("http://127.0.0.1:") and line.endswith("/v2")
        with loopback.client(headers={"Authorization": "Bearer k1"}) as client:
            r = client.get(line + "/phone_numbers/+13125550100/messaging")
            assert r.status_code == 200
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize("args", [["--no-such-option"], ["--port", "many"], ["generate"], ["advance"]])
def test_cli_usage_errors_exit_1_as_under_reconciler_sandbox(args: list[str]) -> None:
    """The module docstring's contract: a bad option is a message on stderr and exit 1, under
    `python -m reconciler.sandbox` as under `reconciler sandbox` (click alone would exit 2)."""
    direct = _run(*args)
    mounted = subprocess.run([sys.executable, "-m", "reconciler", "sandbox", *args], capture_output=True, text=True,
                             timeout=20)
    for r in (direct, mounted):
        assert r.returncode == 1 and r.stdout == "" and "Traceback" not in r.stderr, r.stderr
        assert "Error:" in r.stderr or "error" in r.stderr.lower()


def test_cli_help_lists_every_option() -> None:
    from click.testing import CliRunner

    from reconciler.sandbox.cli import sandbox

    out = CliRunner().invoke(sandbox, ["--help"]).output
    for option in ("--host", "--port", "--seed", "--api-key", "--assignment-delay", "--rate-limit", "--latency-ms", "--fail-rate", "--random-seed", "--mode",
                   "--timing", "--task-delay", "--order-delay", "--unassignment-delay", "--timing-jitter", "--late-failure-rate", "--time-scale",
                   "--carrier-mapping-delay", "--carrier-failure-rate"):
        assert option in out


def test_cli_timing_options() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler.sandbox", "--seed", str(EXAMPLE), "--timing", "realistic", "--time-scale", "0",
         "--task-delay", "10", "--order-delay", "20", "--unassignment-delay", "30", "--timing-jitter", "0",
         "--late-failure-rate", "0.5", "--carrier-mapping-delay", "40", "--carrier-failure-rate", "0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().strip()
        assert base.endswith("/v2")
        admin = base.rsplit("/v2", 1)[0] + "/_admin"
        timing = httpx.get(admin + "/state").json()["timing"]
        assert timing == {"task_delay": 10, "order_delay": 20, "assignment_delay": 7200, "unassignment_delay": 30,
                          "jitter": 0, "late_failure_rate": 0.5, "carrier_mapping_delay": 40,
                          "carrier_failure_rate": 0.1, "time_scale": 0}
        with loopback.client(headers={"Authorization": "Bearer sandbox-key"}) as client:
            before = client.get(base + "/messaging_profiles").headers["date"]
            assert httpx.post(admin + "/advance", json={"seconds": 3600}).status_code == 200
            after = client.get(base + "/messaging_profiles").headers["date"]
        from email.utils import parsedate_to_datetime

        assert (parsedate_to_datetime(after) - parsedate_to_datetime(before)).total_seconds() == 3600
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--timing-jitter", "2"], "timing_jitter must be between 0 and 1"),
        (["--late-failure-rate", "-1"], "late_failure_rate must be between 0 and 1"),
        (["--task-delay", "nan"], "task_delay must be a finite number"),
        (["--unassignment-delay", "-3"], "unassignment_delay must be >= 0"),
        (["--time-scale", "-1"], "time_scale must be >= 0"),
        (["--timing", "slow"], "'slow' is not one of 'instant', 'realistic'"),
    ],
)
def test_cli_bad_timing_options(args: list[str], fragment: str) -> None:
    result = _run(*args)
    assert result.returncode != 0 and result.stdout == ""
    assert fragment in result.stderr and "Traceback" not in result.stderr


def test_advance_moves_a_running_sandboxs_clock_from_the_command_line() -> None:
    """`reconciler sandbox advance 3h` (issue 20 item 5): the virtual clock moves without curl, and a
    bad duration or an unreachable sandbox is one line and exit 1."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler.sandbox", "--port", "0", "--time-scale", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        before = httpx.get(url.replace("/v2", "/_admin/state")).json()
        r = _run("advance", "1h30m", "--url", url)
        assert r.returncode == 0 and r.stdout.startswith("sandbox clock advanced 1.5 h; now "), r.stdout + r.stderr
        r = subprocess.run([sys.executable, "-m", "reconciler.sandbox", "advance", "2d"], capture_output=True,
                           text=True, timeout=20, env={**os.environ, "TELNYX_API_BASE_URL": url})
        assert r.returncode == 0 and "advanced 48 h" in r.stdout
        assert httpx.get(url.replace("/v2", "/_admin/state")).json() != before
        bad = _run("advance", "3x", "--url", url)
        assert (bad.returncode, bad.stderr.strip()) == (1, "sandbox advance: '3x' is not a duration (e.g. 90m, 3h, 2d, "
                                                            "1h30m)")
    finally:
        proc.kill()
        proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    gone = _run("advance", "1h", "--url", "http://127.0.0.1:1/v2")
    assert gone.returncode == 1 and "cannot reach http://127.0.0.1:1/_admin/advance" in gone.stderr
    assert "Traceback" not in gone.stderr


@pytest.mark.parametrize("text, seconds", [("90m", 5400), ("3h", 10800), ("2d", 172800), ("1h30m", 5400),
                                           ("45s", 45), ("600", 600), ("0.5h", 1800)])
def test_durations_the_advance_command_takes(text: str, seconds: float) -> None:
    from reconciler.sandbox.cli import parse_duration

    assert parse_duration(text) == seconds
