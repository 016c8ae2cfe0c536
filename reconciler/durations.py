"""How long Telnyx typically takes, in one place: every estimate the reconciler prints (a plan's
timeline, the hours of service a plan interrupts) is made from these figures.

Telnyx support's figures (../shared/research/10dlc-domain.md §1.3 and §8), the same the sandbox's
`realistic` timing preset uses (tests check that the two agree): a bulk task is processed in about a
minute, a number stays PENDING_ASSIGNMENT for about two hours (sometimes days), PENDING_UNASSIGNMENT
about an hour, and a messaging-profile move order takes about a minute.
"""

from __future__ import annotations

TASK = 60.0  # a bulk assignment task: created → processed
ORDER = 60.0  # a messaging-profile bulk update order: created → done
ASSIGNMENT = 7200.0  # PENDING_ASSIGNMENT → ASSIGNED
UNASSIGNMENT = 3600.0  # PENDING_UNASSIGNMENT → the record is gone

# A number freed from its old campaign and then assigned to its new one: without a campaign while
# Telnyx frees it, then PENDING_ASSIGNMENT (the task or request in between is about a minute).
FREE_THEN_ASSIGN = UNASSIGNMENT + TASK + ASSIGNMENT
# A number moved in place (bulk task or PUT): PENDING_ASSIGNMENT on its new campaign.
IN_PLACE = TASK + ASSIGNMENT


def hours(seconds: float) -> str:
    """`about 3 h`, `about 45 min`: how a duration is said in reports."""
    if seconds < 3600 - 1:
        return f"about {max(1, round(seconds / 60))} min"
    return f"about {round(seconds / 3600):g} h"


# ------------------------------------------------------------------ this account's own figures

KINDS = ("task", "order", "assignment", "unassignment")
TYPICAL = {"task": TASK, "order": ORDER, "assignment": ASSIGNMENT, "unassignment": UNASSIGNMENT}
# Below these a figure is not Telnyx's own processing: a sandbox on its instant timeline, or a clock
# that stood still (a duration of zero). Telnyx processes no task in under seconds and leaves no
# number PENDING_* for under minutes; such figures are never learned, and ignored where an older
# history holds them (one of them once made `status` promise "in 4 min" for a two-hour wait).
FLOOR = {"task": 5.0, "order": 5.0, "assignment": 300.0, "unassignment": 300.0}
# Observations of a kind needed before they replace Telnyx's typical figure for it.
MIN_OBSERVED = 5
# The share of observed durations an estimate covers: an ETA is a promise, so the slow end counts.
PERCENTILE = 0.9


def real(kind: str, seconds: float) -> bool:
    """Whether a measured duration may be Telnyx's own (at or over the kind's FLOOR)."""
    return seconds >= FLOOR.get(kind, 0.0)


def percentile(values: list[float], share: float = PERCENTILE) -> float:
    """The nearest-rank percentile of `values` (sorted or not; not empty)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))  # ceil, at least the first
    return ordered[int(rank) - 1]


class Figures:
    """How long each kind of work takes: this account's observed durations (their PERCENTILE) where
    the state folder's history holds at least MIN_OBSERVED real ones (at or over FLOOR) of that kind,
    else Telnyx's typical figure. The one source of every estimate the reconciler prints (a plan's
    timeline and number-hours, status's ETAs, drift's in-flight lines). Estimates only: nothing the
    reconciler writes ever depends on them."""

    def __init__(self, observed: dict[str, list[float]] | None = None) -> None:
        self.observed: dict[str, list[float]] = {}
        self.ignored: dict[str, int] = {}  # figures under the kind's FLOOR, per kind
        for k, v in (observed or {}).items():
            if k not in TYPICAL or not v:
                continue
            kept = sorted(x for x in v if real(k, x))
            if kept:
                self.observed[k] = kept
            if len(kept) < len(v):
                self.ignored[k] = len(v) - len(kept)
        self.seconds: dict[str, float] = {}
        self.source: dict[str, str] = {}
        for kind, typical in TYPICAL.items():
            seen = self.observed.get(kind, [])
            if len(seen) >= MIN_OBSERVED:
                self.seconds[kind] = percentile(seen)
                self.source[kind] = "observed"
            else:
                self.seconds[kind] = typical
                self.source[kind] = "typical"

    def __getitem__(self, kind: str) -> float:
        return self.seconds[kind]

    def words(self, kinds: tuple[str, ...] | list[str] = KINDS) -> str:
        """Where the figures of `kinds` come from, said once: `this account's observed durations (12 assignments)`."""
        observed = [k for k in kinds if self.source.get(k) == "observed"]
        if not observed:
            return "Telnyx's typical figures"
        seen = ", ".join(f"{len(self.observed[k])} {k}{'s' if len(self.observed[k]) != 1 else ''}" for k in observed)
        rest = [k for k in kinds if k not in observed]
        return (f"this account's observed durations ({seen})"
                + (f"; Telnyx's typical figures for {', '.join(rest)}" if rest else ""))

    def as_dict(self) -> dict[str, object]:
        return {k: {"seconds": round(self.seconds[k]), "source": self.source[k],
                    "observations": len(self.observed.get(k, [])),
                    **({"ignored_under_floor": self.ignored[k]} if self.ignored.get(k) else {})} for k in KINDS}
