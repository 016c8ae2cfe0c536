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
from reconciler.sandbox.httpserver import Server
from reconciler.sandbox.limits import Limits
from reconciler.sandbox.modes import MODE_SPECS, ModeError
from reconciler.sandbox.options import Options
from reconciler.sandbox.seed import SeedError, resolve_seed
from reconciler.sandbox.timing import PRESETS

__all__ = ["MODE_SPECS", "PRESETS", "Limits", "ModeError", "Options", "Sandbox", "SeedError", "build_app",
           "start_sandbox"]


def build_app(seed: dict[str, Any] | str | Path | None = None, options: Options | None = None, **given: Any) -> App:
    """Validate everything and build the App (raises SeedError / ModeError / ValueError).

    `options`, or the same as keywords (`modes=`, `timing=`, `time_scale=`, ...: see Options)."""
    opts = options if options is not None else Options.of(**given)
    modes, timing, scale = opts.check()
    world = World(modes=modes, timing=timing, time_scale=scale, random_seed=opts.random_seed)
    doc, source, ours = resolve_seed(seed)
    world.load(doc, source, consume=ours)
    config = Config(api_key=opts.api_key, rate_limit=opts.rate_limit, latency_ms=opts.latency_ms,
                    fail_rate=opts.fail_rate, random_seed=opts.random_seed)
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


def start_sandbox(seed: dict[str, Any] | str | Path | None = None, *, host: str = "127.0.0.1", port: int = 0,
                  limits: Limits | None = None, options: Options | None = None, **given: Any) -> Sandbox:
    """Start a sandbox on a real loopback socket in a background thread; `.stop()` it (or use `with`).

    `options` or keywords as for build_app; `limits`: the server's (how long a request head, a body's
    pause or an idle keep-alive connection may take, and how many connections it holds)."""
    bounds = {k: given.pop(k) for k in ("header_timeout", "idle_timeout", "max_connections") if k in given}
    if bounds:  # the Limits' fields as keywords, as the tests and scripts write them
        limits = Limits(**{**vars(limits or Limits()), **bounds})
    return Sandbox(build_app(seed, options, **given), host, port, limits)
