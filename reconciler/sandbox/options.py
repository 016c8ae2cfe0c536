"""A sandbox's options, in one place: what the CLI, `build_app` and `start_sandbox` take.

One frozen dataclass instead of the same seventeen arguments passed through three signatures:
`check()` validates every value (raising ModeError or ValueError, naming the option) and returns
the effective timing, so a sandbox is never built from options nobody checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Mapping

from reconciler.sandbox.modes import check_modes
from reconciler.sandbox.timing import Timing, check_time_scale, resolve_timing


@dataclass(frozen=True)
class Options:
    modes: Mapping[str, str] = field(default_factory=dict)
    # Timing (virtual seconds; timing.py): `timing` picks a preset; any value given overrides it, and
    # `assignment_delay` given alone times every step, as it always did.
    timing: str = "instant"
    assignment_delay: float | None = None
    task_delay: float | None = None
    order_delay: float | None = None
    unassignment_delay: float | None = None
    timing_jitter: float | None = None
    late_failure_rate: float | None = None
    carrier_mapping_delay: float | None = None
    carrier_failure_rate: float | None = None
    time_scale: float = 1.0  # virtual seconds per real second; 0 freezes the clock
    # Faults and limits of the HTTP surface.
    rate_limit: float | None = None
    latency_ms: float = 0.0
    fail_rate: float = 0.0
    random_seed: int = 0
    api_key: str = "sandbox-key"

    @classmethod
    def of(cls, **given: Any) -> Options:
        """From keyword arguments, naming an unknown one (a typo in a test or a script) instead of ignoring it."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(given) - known)
        if unknown:
            raise TypeError(f"unknown sandbox option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**given)

    def check(self) -> tuple[dict[str, str], Timing, float]:
        """(modes, effective timing, time scale), every value validated (ModeError / ValueError)."""
        timing = resolve_timing(
            self.timing, assignment_delay=self.assignment_delay, task_delay=self.task_delay,
            order_delay=self.order_delay, unassignment_delay=self.unassignment_delay,
            timing_jitter=self.timing_jitter, late_failure_rate=self.late_failure_rate,
            carrier_mapping_delay=self.carrier_mapping_delay, carrier_failure_rate=self.carrier_failure_rate)
        scale = check_time_scale(self.time_scale)
        if self.latency_ms < 0:
            raise ValueError("latency_ms must be >= 0")
        if not 0.0 <= self.fail_rate <= 1.0:
            raise ValueError("fail_rate must be between 0 and 1")
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise ValueError("rate_limit must be > 0")
        return check_modes(dict(self.modes)), timing, scale
