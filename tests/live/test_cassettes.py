"""vcrpy cassettes pin the client's parsing of real responses.

The committed cassettes under tests/cassettes/ were recorded from the sandbox (see the
README there). In CI they replay with record_mode="none": no network. They are
(re)recorded when RECORD_CASSETTES=1, or when a cassette is missing:
- with TELNYX_API_KEY set and RECORD_CASSETTES=1 (`make record`), from the real API
  (TELNYX_API_BASE_URL, default https://api.telnyx.com/v2): an import read of every
  profile, whose replay is checked for shape only;
- otherwise from an in-process sandbox seeded with tests/live/seed_data.py.
The Authorization header is filtered out of every cassette; a test checks it.
No test here uses a fake transport.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

vcr = pytest.importorskip("vcr")

from reconciler.live import TelnyxClient, read_live, read_profiles_for_import  # noqa: E402
from reconciler.model import SHARED, TELNYX  # noqa: E402

from .seed_data import DESIRED, P1, P2, n  # noqa: E402

pytestmark = pytest.mark.recorded

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
RECORD = os.environ.get("RECORD_CASSETTES") == "1"
REAL_KEY = os.environ.get("TELNYX_API_KEY")
REPLAY_URL = "http://127.0.0.1:8765/v2"  # any loopback URL: matching ignores host and port


def _vcr(mode: str):
    return vcr.VCR(cassette_library_dir=str(CASSETTES), record_mode=mode, filter_headers=["authorization"],
                   match_on=["method", "path", "query"], decode_compressed_response=True)


def _record(name: str, action) -> None:
    """Record `action(client)` into cassette `name` (from the real API with `make record`)."""
    path = CASSETTES / name
    if path.exists():
        path.unlink()
    if RECORD and REAL_KEY:
        base = os.environ.get("TELNYX_API_BASE_URL", "https://api.telnyx.com/v2")
        with _vcr("all").use_cassette(name), TelnyxClient(base_url=base, api_key=REAL_KEY, concurrency=1) as c:
            action(c, real=True)
        return
    try:
        from reconciler.sandbox import start_sandbox
    except ImportError:
        pytest.skip("cassette missing and the sandbox is not available to record it")
    from .seed_data import SEED

    with start_sandbox(seed=SEED) as sb, _vcr("all").use_cassette(name), \
            TelnyxClient(base_url=sb.base_url, api_key=sb.api_key, concurrency=1) as c:
        action(c, real=False)


def _replay(name: str, action):
    if RECORD or not (CASSETTES / name).exists():
        _record(name, action)
    with _vcr("none").use_cassette(name, allow_playback_repeats=True) as cas, \
            TelnyxClient(base_url=REPLAY_URL, api_key="replay-key", concurrency=1) as c:
        result = action(c, real=False)
        from_sandbox = all("127.0.0.1" in r.uri for r in cas.requests)
    return result, from_sandbox


def _read_live(c: TelnyxClient, real: bool):
    if real:  # a real account does not hold the sandbox seed: record an import of everything instead
        return read_profiles_for_import(c, None)
    return read_live(c, DESIRED)


def _import_all(c: TelnyxClient, real: bool):
    return read_profiles_for_import(c, None)


def test_cassette_read_live():
    live, from_sandbox = _replay("read_live.yaml", _read_live)
    for num, x in live.numbers.items():
        assert x.number == num and x.type in ("longcode", "tollfree", "shortcode") and x.id
    for num, a in live.assignments.items():
        assert a.number == num and a.tcr_campaign_id and a.status
    if not from_sandbox:
        return
    assert live.profiles == {P1: "acme-marketing", P2: "acme-alerts"}
    assert live.assignments[n(103)].failure_reasons == "carrier rejected"
    assert live.campaigns["CSHARE1"].kind == SHARED and live.campaigns["CTLNX01"].kind == TELNYX
    assert live.campaigns["CPEND01"].sharing_status == "PENDING"
    assert n(199) not in live.numbers


def test_cassette_import_all():
    live, from_sandbox = _replay("import_all.yaml", _import_all)
    assert all(x.profile_id in live.profiles for x in live.numbers.values())
    if from_sandbox:
        assert len(live.profiles) == 3 and live.assignments[n(110)].tcr_campaign_id == "CTLNX01"


def _doctor(c: TelnyxClient, real: bool):
    from reconciler.live.doctor import diagnose

    return diagnose(c)


def test_cassette_doctor():
    """`doctor`'s probes, recorded (from a real account with `make record`: the evidence of what that account
    answers) and replayed: the report read from the cassette names a mode for every question reading settles,
    and from the sandbox's recording, its default answers."""
    from reconciler.live.doctor_report import READABLE_MODES
    from reconciler.sandbox.modes import default_modes

    report, from_sandbox = _replay("doctor.yaml", _doctor)
    learned = report.learned()
    assert set(learned) <= set(READABLE_MODES) and len(learned) >= len(READABLE_MODES) - 2, learned
    if from_sandbox:
        assert {m: v for m, v in learned.items()} == {m: default_modes()[m] for m in learned}


@pytest.mark.parametrize("name", ["read_live.yaml", "import_all.yaml", "doctor.yaml"])
def test_cassettes_hold_no_credentials(name):
    path = CASSETTES / name
    if not path.exists():
        pytest.skip("cassette not recorded yet")
    text = path.read_text(encoding="utf-8")
    assert "authorization" not in text.lower()
    assert "Bearer" not in text and "sandbox-key" not in text
    if REAL_KEY:
        assert REAL_KEY not in text
