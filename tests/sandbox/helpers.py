"""Constants and small helpers shared by the sandbox tests (importable, unlike conftest)."""

from __future__ import annotations

from .conftest import (  # noqa: F401 - re-exported
    BASE_SEED,
    DORMANT,
    EXPIRED,
    PROFILE_A,
    PROFILE_B,
    PROFILE_EMPTY,
    SHARED,
    SHARED_PENDING,
    TELNYX,
    TELNYX_B,
    Api,
    base_seed,
)


def error_of(response) -> dict:  # type: ignore[no-untyped-def]
    body = response.json()
    assert "errors" in body and body["errors"], body
    return body["errors"][0]  # type: ignore[no-any-return]
