"""--rate-limit, --latency-ms, --fail-rate, --random-seed."""

from __future__ import annotations

import time


from tests import loopback
from .helpers import Api, error_of


def test_rate_limit_headers_and_429(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(rate_limit=5)
    seen = []
    for _ in range(12):
        r = api.get("/messaging_profiles")
        seen.append(r.status_code)
        assert r.headers["x-ratelimit-limit"] == "5"
        assert int(r.headers["x-ratelimit-remaining"]) >= 0
        assert int(r.headers["x-ratelimit-reset"]) >= 0
    assert seen[:5] == [200] * 5
    assert 429 in seen
    r429 = next(r for r in [api.get("/messaging_profiles") for _ in range(3)] if r.status_code == 429)
    err = error_of(r429)
    assert err["code"] == "10011" and err["title"] == "Too many requests"
    assert int(r429.headers["x-ratelimit-reset"]) >= 1
    assert "retry-after" not in r429.headers
    counters = api.admin("GET", "/counters")
    assert counters["status"]["429"] >= 1
    time.sleep(0.5)  # refills at 5/s
    assert api.get("/messaging_profiles").status_code == 200


def test_no_rate_limit_headers_by_default(api: Api) -> None:
    assert "x-ratelimit-limit" not in api.get("/messaging_profiles").headers


def test_latency(make_api) -> None:  # type: ignore[no-untyped-def]
    # Long enough that "the admin surface is never slowed" holds with a bound of a whole second (a busy
    # 2-core runner can pause a process for a few hundred milliseconds).
    api = make_api(latency_ms=1200)
    started = time.monotonic()
    assert api.get("/messaging_profiles").status_code == 200
    assert time.monotonic() - started >= 1.19
    started = time.monotonic()
    api.admin("GET", "/counters")  # the admin surface is never slowed
    assert time.monotonic() - started < 1.0


def test_fail_rate_fails_before_any_effect(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(fail_rate=1.0)
    r = api.post("/messaging_numbers_bulk_updates", json={"messaging_profile_id": "", "numbers": ["+13125550100"]})
    assert r.status_code == 500 and error_of(r)["code"] == "10007"
    assert api.state()["orders"] == []
    r = api.post("/10dlc/phoneNumberAssignmentByProfile", json={"messagingProfileId": "x", "tcrCampaignId": "CWZTFH1"})
    assert r.status_code == 500 and r.json()["message"]  # that operation's declared 500 shape


def test_fail_rate_is_reproducible(make_api) -> None:  # type: ignore[no-untyped-def]
    def pattern(seed: int) -> list[int]:
        api = make_api(fail_rate=0.5, random_seed=seed)
        return [api.get("/messaging_profiles").status_code for _ in range(30)]

    first = pattern(7)
    assert first == pattern(7)
    assert 500 in first and 200 in first


def test_random_seed_fixes_ids(make_api) -> None:  # type: ignore[no-untyped-def]
    a = make_api(random_seed=3).number_id("+13125550100")
    b = make_api(random_seed=3).number_id("+13125550100")
    c = make_api(random_seed=4).number_id("+13125550100")
    assert a == b != c


def test_keep_alive_and_pipelining_order(make_api) -> None:  # type: ignore[no-untyped-def]
    api = make_api(latency_ms=20)
    with loopback.client(base_url=api.sb.base_url, headers={"Authorization": "Bearer sandbox-key"}) as client:
        codes = [client.get("/messaging_profiles").status_code for _ in range(5)]
    assert codes == [200] * 5


def test_options_are_one_checked_value_and_a_typo_is_named() -> None:
    """The sandbox's options are one dataclass (sandbox/options.py): a misspelt keyword is an error naming
    it, never silently ignored, and every value is checked before a sandbox is built."""
    import pytest

    from reconciler.sandbox import ModeError, Options, build_app, start_sandbox

    with pytest.raises(TypeError, match="unknown sandbox option\\(s\\) late_failure"):
        start_sandbox(late_failure=0.5)
    for bad, said in (({"fail_rate": 2}, "fail_rate"), ({"latency_ms": -1}, "latency_ms"),
                      ({"rate_limit": 0}, "rate_limit"), ({"timing": "slow"}, "timing must be one of")):
        with pytest.raises(ValueError, match=said):
            build_app(options=Options.of(**bad))
    with pytest.raises(ModeError):
        build_app(options=Options(modes={"sparse": "sometimes"}))
    modes, timing, scale = Options(timing="realistic", task_delay=5, modes={"sparse": "full"}).check()
    assert modes == {"sparse": "full"} and timing.task_delay == 5 and timing.assignment_delay == 7200 and scale == 1.0
