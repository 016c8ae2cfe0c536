"""What apply says it did: one outcome per number, and the run's exit code (the contract's)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from reconciler.errors import ExitCode
from reconciler.journal import Write


class Until(StrEnum):
    """How long apply waits."""

    SUBMITTED = "submitted"  # --no-wait: return once every write is sent
    ACCEPTED = "accepted"  # default: once Telnyx has taken every write
    FINAL = "final"  # once every number is ASSIGNED / removed / failed


class Result(StrEnum):
    """One number's outcome. Values appear in JSON output."""

    CONVERGED = "converged"  # on its declared profile and campaign
    UNASSIGNED = "unassigned"  # pruned: no declared campaign holds it any more
    IN_FLIGHT = "in_flight"  # accepted by Telnyx, not final yet (PENDING_*)
    NEXT_PHASE = "next_phase"  # freed; its assignment is a deferred phase (`reconciler resume`)
    SUBMITTED = "submitted"  # --no-wait: sent, not yet seen accepted
    NOT_ACCEPTED = "not_accepted"  # the wait ended before Telnyx confirmed it took the write (exit 5)
    FAILED = "failed"  # Telnyx said so, or a change it confirmed did not hold (exit 4)
    BLOCKED = "blocked"  # the plan could not make this change (exit 4)
    STALE = "stale"  # a saved plan's precondition no longer holds (exit 3)



@dataclass
class Outcome:
    number: str
    profile_id: str | None
    tcr_campaign_id: str | None
    result: Result
    detail: str | None = None
    declared: bool = True  # an undeclared number's blocked prune is reported, not an exit 4 (contract)
    # Telnyx's assignment status when in flight (PENDING_ASSIGNMENT / PENDING_UNASSIGNMENT): the footer's
    # durations come from it, never from the wording of `detail`.
    status: str | None = None


@dataclass
class ApplyReport:
    outcomes: list[Outcome] = field(default_factory=list)
    rounds: int = 0
    writes: int = 0
    stale: list[str] = field(default_factory=list)
    timed_out: bool = False
    until: Until = Until.ACCEPTED
    deferred: list[Write] = field(default_factory=list)  # phases left for `resume`
    resent_pending: int = 0  # numbers its bulk tasks re-sent that are PENDING_ASSIGNMENT again (`left_open`)
    journal_problems: list[str] = field(default_factory=list)

    def count(self, result: Result) -> int:
        return sum(1 for o in self.outcomes if o.result is result)

    @property
    def exit_code(self) -> ExitCode:
        """Contract: 4 failed or blocked, 3 stale, 5 stopped waiting before Telnyx accepted, else 0."""
        results = {o.result for o in self.outcomes if o.declared or o.result is not Result.BLOCKED}
        if Result.FAILED in results or Result.BLOCKED in results:
            return ExitCode.NOT_CONVERGED
        if self.stale:
            return ExitCode.REFUSED
        if Result.NOT_ACCEPTED in results:
            return ExitCode.NOT_ACCEPTED
        return ExitCode.OK
