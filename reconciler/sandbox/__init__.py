"""The Telnyx API sandbox: a local simulator of the 10DLC / messaging-profile API subset.

In-process use (tests, demos)::

    from reconciler.sandbox import start_sandbox
    with start_sandbox(seed={...}, modes={"put_existing": "replace"}) as sb:
        httpx.get(sb.base_url + "/messaging_profiles", headers={"Authorization": "Bearer sandbox-key"})

Telnyx's real timeline (a task in a minute, records pending for hours) with a frozen clock that
only `POST /_admin/advance` moves: `start_sandbox(timing="realistic", time_scale=0)`.

The reconciler's core never imports this package (docs/architecture.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.sandbox.app import App, Config
from reconciler.sandbox.engine import World
from reconciler.sandbox.httpserver import Limits, Server
from reconciler.sandbox.modes import MODE_SPECS, ModeError, check_modes
from reconciler.sandbox.seed import SeedError, resolve_seed
from reconciler.sandbox.timing import PRESETS, check_time_scale, resolve_timing

__all__ = ["MODE_SPECS", "PRESETS", "Limits", "ModeError", "Sandbox", "SeedError", "build_app", "start_sandbox"]


def build_app(
    seed: dict[str, Any] | str | Path | None = None,
    modes: dict[str, str] | None = None,
    assignment_delay: float | None = None,
    rate_limit: float | None = None,
    latency_ms: float = 0,
    fail_rate: float = 0.0,
    random_seed: int = 0,
    api_key: str = "sandbox-key",
    *,
    task_delay: float | None = None,
    order_delay: float | None = None,
    unassignment_delay: float | None = None,
    timing_jitter: float | None = None,
    late_failure_rate: float | None = None,
    carrier_mapping_delay: float | None = None,
    carrier_failure_rate: float | None = None,
    timing: str = "instant",
    time_scale: float = 1.0,
) -> App:
    """Validate everything and build the App (raises SeedError / ModeError / ValueError).

    Timing (virtual seconds; timing.py): `timing` picks a preset ("instant" | "realistic"); any
    delay, `timing_jitter` or `late_failure_rate` given overrides it. `assignment_delay` given
    alone times every step, as it always did. `time_scale`: virtual seconds per real second."""
    effective = resolve_timing(
        timing,
        assignment_delay=assignment_delay,
        task_delay=task_delay,
        order_delay=order_delay,
        unassignment_delay=unassignment_delay,
        timing_jitter=timing_jitter,
        late_failure_rate=late_failure_rate,
        carrier_mapping_delay=carrier_mapping_delay,
        carrier_failure_rate=carrier_failure_rate,
    )
    scale = check_time_scale(time_scale)
    if latency_ms < 0:
        raise ValueError("latency_ms must be >= 0")
    if not 0.0 <= fail_rate <= 1.0:
        raise ValueError("fail_rate must be between 0 and 1")
    if rate_limit is not None and rate_limit <= 0:
        raise ValueError("rate_limit must be > 0")
    world = World(modes=check_modes(modes or {}), timing=effective, time_scale=scale, random_seed=random_seed)
    doc, source, ours = resolve_seed(seed)
    world.load(doc, source, consume=ours)
    config = Config(api_key=api_key, rate_limit=rate_limit, latency_ms=latency_ms, fail_rate=fail_rate, random_seed=random_seed)
    return App(world, config)


class Sandbox:
    """A running sandbox on a loopback socket, served from a background thread."""

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0, limits: Limits | None = None) -> None:
        self.app = app
        self.server = Server(app, host, port, limits)
        self.server.start_background()
        self.host = host
        self.port = self.server.port
        self.base_url = f"http://{host}:{self.port}/v2"
        self.admin_url = f"http://{host}:{self.port}/_admin"
        self.api_key = app.config.api_key

    def call(self, fn: Any) -> Any:
        """Run `fn()` on the server thread (for direct, race-free access to `self.app.world`)."""
        return self.server.call(fn)

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_sandbox(
    seed: dict[str, Any] | str | Path | None = None,
    modes: dict[str, str] | None = None,
    assignment_delay: float | None = None,
    rate_limit: float | None = None,
    latency_ms: float = 0,
    fail_rate: float = 0.0,
    random_seed: int = 0,
    api_key: str = "sandbox-key",
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    task_delay: float | None = None,
    order_delay: float | None = None,
    unassignment_delay: float | None = None,
    timing_jitter: float | None = None,
    late_failure_rate: float | None = None,
    carrier_mapping_delay: float | None = None,
    carrier_failure_rate: float | None = None,
    timing: str = "instant",
    time_scale: float = 1.0,
    header_timeout: float = Limits.header_timeout,
    idle_timeout: float = Limits.idle_timeout,
    max_connections: int = Limits.max_connections,
) -> Sandbox:
    """Start a sandbox on a real loopback socket in a background thread; `.stop()` it (or use `with`).

    The timing keywords are build_app's; the last three are the server's `Limits` (how long a
    request head, a body's pause or an idle keep-alive connection may take, and how many
    connections it holds)."""
    limits = Limits(header_timeout, idle_timeout, max_connections)
    app = build_app(
        seed,
        modes,
        assignment_delay,
        rate_limit,
        latency_ms,
        fail_rate,
        random_seed,
        api_key,
        task_delay=task_delay,
        order_delay=order_delay,
        unassignment_delay=unassignment_delay,
        timing_jitter=timing_jitter,
        late_failure_rate=late_failure_rate,
        carrier_mapping_delay=carrier_mapping_delay,
        carrier_failure_rate=carrier_failure_rate,
        timing=timing,
        time_scale=time_scale,
    )
    return Sandbox(app, host, port, limits)
