"""What a command's options become: the Telnyx client, the desired state narrowed to the scope
asked for, and the plan options. Each imports its layer only when called (startup time)."""

from __future__ import annotations

import os
from typing import Any

from reconciler.errors import ConfigError

DEFAULT_BASE_URL = "https://api.telnyx.com/v2"


def _api_key() -> str:
    key = os.environ.get("TELNYX_API_KEY", "").strip()
    if not key:
        raise ConfigError("TELNYX_API_KEY is not set (the API key is read only from the environment)")
    return key


def client_for(api_base_url: str, concurrency: int, request_timeout: float, deadline: float) -> Any:
    from reconciler.live import TelnyxClient

    raw = os.environ.get("TELNYX_API_BASE_URL")
    if raw is not None and not raw.strip() and api_base_url == DEFAULT_BASE_URL:
        # Set but empty is a mistake (a CI variable that did not resolve), never "use production".
        raise ConfigError("TELNYX_API_BASE_URL is set but empty: set it to the API's base URL, or unset it to "
                          f"use {DEFAULT_BASE_URL}")
    return TelnyxClient(base_url=api_base_url, api_key=_api_key(), concurrency=concurrency,
                        timeout=request_timeout, deadline=deadline)


def load_desired(desired_path: str, only_profiles: tuple[str, ...] = (), only_campaigns: tuple[str, ...] = ()) -> Any:
    from reconciler.desired import load_desired

    desired = load_desired(desired_path)
    only_profiles = _profile_ids(desired, only_profiles)
    # A typo in a CI matrix must not pass as an empty, successful run.
    unknown = [f"profile {p}" + (f" (ids are lower case: {p.lower()})" if p.lower() in desired.profiles else "")
               for p in only_profiles if p not in desired.profiles]
    unknown += [f"campaign {c}" + (f" (TCR ids are upper case: {c.upper()})" if c.upper() in desired.campaigns() else "")
                for c in only_campaigns if c not in desired.campaigns()]
    if unknown:
        raise ConfigError(f"{', '.join(unknown)} not declared in {desired_path}")
    return desired.subset(frozenset(only_profiles), frozenset(only_campaigns))


def _profile_ids(desired: Any, given: tuple[str, ...]) -> tuple[str, ...]:
    """`--profile` takes a declared id or a declared name (the files' `name:`); a name two profiles
    share is an error naming their ids, never a guess."""
    by_name: dict[str, list[str]] = {}
    for p in desired.profiles.values():
        if p.name:
            by_name.setdefault(p.name, []).append(p.id)
    out = []
    for g in given:
        ids = by_name.get(g, []) if g not in desired.profiles else [g]
        if len(ids) > 1:
            raise ConfigError(f"profile name {g!r} is declared for {len(ids)} profiles ({', '.join(sorted(ids))}): "
                              "give --profile the id")
        out.append(ids[0] if ids else g)
    return tuple(out)


def options_from(prune: bool | None, allow_unassign: int | None, allow_reassign: int | None,
             shared_per_number: bool) -> Any:
    from reconciler.plan import PlanOptions

    return PlanOptions(prune=prune, allow_unassign=allow_unassign, allow_reassign=allow_reassign,
                       shared_per_number=shared_per_number)
