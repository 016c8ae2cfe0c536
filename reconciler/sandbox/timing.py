"""How long the life cycles take on the virtual clock: the delays, jitter and late failures.

Telnyx's real timeline is hours, not seconds: a bulk assignment task is processed in the
background in about a minute, then each number's record sits in PENDING_ASSIGNMENT for about
two hours (sometimes days) before it turns ASSIGNED, and a small share fails hours later as
FAILED_ASSIGNMENT. Unassignment leaves PENDING_UNASSIGNMENT for a while before the record goes,
and profile-move orders take their own time. The `realistic` preset models that; `instant`
(the default) makes every transition visible on the next request, which most tests want.

Precedence, per value: an explicit specific option (`task_delay`, ...) > the legacy single
`assignment_delay` (it used to time every step, so it still does when given alone) > the preset.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Timing:
    task_delay: float  # task created → completed; it turns `processing` halfway
    order_delay: float  # messaging bulk-update order created → done
    assignment_delay: float  # a record's PENDING_ASSIGNMENT → ASSIGNED | FAILED_ASSIGNMENT
    unassignment_delay: float  # PENDING_UNASSIGNMENT → record gone
    jitter: float  # each scheduled delay × a random factor in [1 - jitter, 1 + jitter]
    late_failure_rate: float  # share of resolving PENDING_ASSIGNMENT records that fail
    # Mode carrier_mapping=present only: ASSIGNED → the carriers' mapping ADDED | FAILED.
    carrier_mapping_delay: float = 0.0
    carrier_failure_rate: float = 0.0  # share of carrier mappings that fail (one carrier's)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


PRESETS: dict[str, Timing] = {
    "instant": Timing(0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    "realistic": Timing(
        task_delay=60.0,
        order_delay=60.0,
        assignment_delay=7200.0,
        unassignment_delay=3600.0,
        jitter=0.2,
        late_failure_rate=0.02,
        # "Carrier provisioning takes time … wait 24-72 hours for all carriers to propagate"
        # (10dlc-domain.md §1, DOC-ASSIGN): the lower bound, and a small share failing.
        carrier_mapping_delay=86400.0,
        carrier_failure_rate=0.02,
    ),
}

# What a phone-number campaign's `tmobileNumberMappingStatus` / `nonTmobileNumberMappingStatus`
# say (mode carrier_mapping). The SDK types both as free strings and no Telnyx text lists the
# values; these three are the ones seen in public code that reads them (UNCONFIRMED).
MAPPING_PENDING, MAPPING_ADDED, MAPPING_FAILED = "PENDING", "ADDED", "FAILED"

# What a record that fails late says. Telnyx passes the carrier's words through
# `failureReasons`; these are modelled on the kinds of reasons seen there. A late failure here is
# one a retry can fix (the next assignment may succeed); a number that is gone (ported out,
# disconnected) is seeded or set through the admin surface with such a reason (the reconciler
# blocks it instead of retrying).
LATE_FAILURE_REASONS = (
    "T-Mobile rejected the assignment: number already registered to another brand (MNO error 4102)",
    "AT&T rejected the assignment: number is not provisioned for A2P messaging on the carrier side (MNO error 4503)",
    "Verizon rejected the assignment: number not yet provisioned in the carrier's A2P registry (MNO error 2201)",
    "Assignment timed out at the Campaign Registry (TCR); retry the assignment",
)


# What a failed unassignment says (mode unassign_end=failed_first): the campaign registry's side of a
# removal, modelled on the late failures' kind of reason; a retry of the DELETE goes through.
UNASSIGN_FAILURE_REASON = "Unassignment timed out at the Campaign Registry (TCR); the number is still on the campaign"


def _delay(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    value = _number(name, value)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value:g}")
    return value


def _share(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    value = _number(name, value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {value:g}")
    return value


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return value


def resolve_timing(
    timing: str | None = "instant",
    *,
    assignment_delay: float | None = None,
    task_delay: float | None = None,
    order_delay: float | None = None,
    unassignment_delay: float | None = None,
    timing_jitter: float | None = None,
    late_failure_rate: float | None = None,
    carrier_mapping_delay: float | None = None,
    carrier_failure_rate: float | None = None,
) -> Timing:
    """The effective timing: preset, overridden by whatever was given (raises ValueError)."""
    name = timing or "instant"
    preset = PRESETS.get(name)
    if preset is None:
        raise ValueError(f"timing must be one of {'|'.join(PRESETS)}, got {name!r}")
    legacy = _delay("assignment_delay", assignment_delay)
    task = _delay("task_delay", task_delay)
    order = _delay("order_delay", order_delay)
    unassign = _delay("unassignment_delay", unassignment_delay)
    jitter = _share("timing_jitter", timing_jitter)
    rate = _share("late_failure_rate", late_failure_rate)
    carrier = _delay("carrier_mapping_delay", carrier_mapping_delay)
    carrier_rate = _share("carrier_failure_rate", carrier_failure_rate)
    if legacy is not None:
        # The single legacy delay timed every step, and a task has two (pending → processing
        # → completed), so a task alone takes twice as long: exactly the old timeline.
        fallback = Timing(2 * legacy, legacy, legacy, legacy, preset.jitter, preset.late_failure_rate,
                          preset.carrier_mapping_delay, preset.carrier_failure_rate)
    else:
        fallback = preset
    return Timing(
        task_delay=fallback.task_delay if task is None else task,
        order_delay=fallback.order_delay if order is None else order,
        assignment_delay=fallback.assignment_delay if legacy is None else legacy,
        unassignment_delay=fallback.unassignment_delay if unassign is None else unassign,
        jitter=fallback.jitter if jitter is None else jitter,
        late_failure_rate=fallback.late_failure_rate if rate is None else rate,
        carrier_mapping_delay=fallback.carrier_mapping_delay if carrier is None else carrier,
        carrier_failure_rate=fallback.carrier_failure_rate if carrier_rate is None else carrier_rate,
    )


def check_time_scale(time_scale: Any) -> float:
    value = _number("time_scale", time_scale)
    if value < 0:
        raise ValueError(f"time_scale must be >= 0 (0 freezes the clock), got {value:g}")
    return value
