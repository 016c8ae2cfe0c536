"""Fixtures for the sandbox's own tests: a real loopback server per test, an httpx client that
checks every /v2 response against the OpenAPI subset when the spec is available."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests import loopback
from reconciler.sandbox import Sandbox, start_sandbox
from .spec_check import SpecChecker

PROFILE_A = "4001767e-ce0f-4cae-9d5f-0d5e636e7809"
PROFILE_B = "5b2e0c1d-3f4a-4b6c-8d7e-9f0a1b2c3d4e"
PROFILE_EMPTY = "6c3f1d2e-4a5b-4c7d-9e8f-0a1b2c3d4e5f"
SHARED = "CWZTFH1"
SHARED_PENDING = "CPEND01"
TELNYX = "CTELNX1"
TELNYX_B = "CTELNX2"
DORMANT = "CDORM01"
EXPIRED = "CEXPIR1"

BASE_SEED: dict[str, Any] = {
    "messaging_profiles": [
        {"id": PROFILE_A, "name": "acme-marketing"},
        {"id": PROFILE_B, "name": "acme-alerts"},
        {"id": PROFILE_EMPTY, "name": "empty"},
    ],
    "phone_numbers": [
        {"phone_number": "+13125550100", "messaging_profile_id": PROFILE_A},
        {"phone_number": "+13125550101", "messaging_profile_id": PROFILE_A},
        {"phone_number": "+13125550102", "messaging_profile_id": PROFILE_A},
        {"phone_number": "+13125550200", "messaging_profile_id": PROFILE_B},
        {"phone_number": "+13125550201", "messaging_profile_id": PROFILE_B},
        {"phone_number": "+13125550300", "messaging_profile_id": None},
        {"phone_number": "+18885550100", "messaging_profile_id": PROFILE_B, "type": "tollfree"},
    ],
    "campaigns": [
        {"tcr_campaign_id": SHARED, "kind": "shared", "sharing_status": "ACCEPTED", "campaign_status": "MNO_PROVISIONED"},
        {"tcr_campaign_id": SHARED_PENDING, "kind": "shared", "sharing_status": "PENDING", "campaign_status": "MNO_PROVISIONED"},
        {"tcr_campaign_id": TELNYX, "kind": "telnyx", "campaign_status": "MNO_PROVISIONED"},
        {"tcr_campaign_id": TELNYX_B, "kind": "telnyx"},
        {"tcr_campaign_id": DORMANT, "kind": "telnyx", "campaign_status": "TCR_SUSPENDED"},
        {"tcr_campaign_id": EXPIRED, "kind": "telnyx", "campaign_status": "TCR_EXPIRED"},
    ],
    "assignments": [
        {"phone_number": "+13125550100", "tcr_campaign_id": SHARED, "status": "ASSIGNED"},
    ],
}


def base_seed() -> dict[str, Any]:
    return copy.deepcopy(BASE_SEED)


_CHECKER = SpecChecker.load()


@pytest.fixture(scope="session")
def checker() -> SpecChecker | None:
    return _CHECKER


class Api:
    """An httpx client on the sandbox, plus admin helpers. Every /v2 exchange is checked
    against the spec (responses always; requests too when the sandbox accepted them)."""

    def __init__(self, sb: Sandbox, checker: SpecChecker | None) -> None:
        self.sb = sb
        self.checker = checker
        self.problems: list[str] = []
        self.http = loopback.client(
            base_url=sb.base_url,
            headers={"Authorization": f"Bearer {sb.api_key}"},
            event_hooks={"response": [self._check]},
            timeout=10,
        )
        # JSON on every admin write, a body or none (the sandbox refuses anything else: cross-site posts)
        self.admin_http = loopback.client(base_url=sb.admin_url, timeout=30, headers={"Content-Type": "application/json"})

    def _check(self, response: httpx.Response) -> None:
        if self.checker is None:
            return
        url = response.request.url
        if not url.path.startswith("/v2/"):
            return
        response.read()
        path = url.raw_path.decode().split("?", 1)[0][3:]
        from urllib.parse import unquote

        path = "/".join(unquote(p) for p in path.split("/"))
        if response.status_code >= 500 and response.status_code != 500:
            return
        if response.status_code == 500:
            found = self.checker.operation(response.request.method, path)
            if found is None or "500" not in found[1]["responses"]:
                return  # injected faults on operations that declare no 5xx
        self.problems += self.checker.check_response(response.request.method, path, response.status_code, response.content)
        if response.status_code < 400:
            self.problems += self.checker.check_request(
                response.request.method, path, url.query.decode(), response.request.content
            )

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.post(path, **kw)

    def put(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.put(path, **kw)

    def patch(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.patch(path, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.delete(path, **kw)

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        r = self.admin_http.request(method, path, json=body)
        assert r.status_code == 200, r.text
        return r.json()

    def state(self) -> dict[str, Any]:
        return self.admin("GET", "/state")  # type: ignore[no-any-return]

    def campaign_uuid(self, tcr: str) -> str:
        for c in self.state()["campaigns"]:
            if c["tcr_campaign_id"] == tcr:
                return c["telnyx_campaign_id"]  # type: ignore[no-any-return]
        raise KeyError(tcr)

    def number_id(self, e164: str) -> str:
        r = self.get("/phone_numbers/messaging", params={"filter[phone_number]": e164})
        return r.json()["data"][0]["id"]  # type: ignore[no-any-return]

    def record(self, e164: str) -> httpx.Response:
        return self.get(f"/10dlc/phone_number_campaigns/{e164}")

    def close(self) -> None:
        self.http.close()
        self.admin_http.close()


@pytest.fixture
def make_api(checker: SpecChecker | None) -> Iterator[Callable[..., Api]]:
    made: list[Api] = []

    def make(**kwargs: Any) -> Api:
        kwargs.setdefault("seed", base_seed())
        # These tests check the life cycles and rules by what a 404 says; how else Telnyx may say
        # "absent" (mode absent_status) has its own tests in test_modes.py.
        # Likewise every field of a number record (mode sparse has its own test).
        kwargs["modes"] = {"absent_status": "404", "sparse": "full", **(kwargs.get("modes") or {})}
        sb = start_sandbox(**kwargs)
        api = Api(sb, checker)
        made.append(api)
        return api

    yield make
    problems = []
    for api in made:
        problems += api.problems
        api.close()
        api.sb.stop()
    assert not problems, "responses/requests outside the OpenAPI subset:\n" + "\n".join(problems)


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    return make_api()
