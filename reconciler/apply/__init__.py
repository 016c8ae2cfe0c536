"""Run a plan against Telnyx on Telnyx's timeline: submit, see it accepted, record what is left.

Telnyx works in hours: a bulk task is processed in about a minute, then each number stays
PENDING_ASSIGNMENT for about two hours. So apply, by default, returns once Telnyx has
*accepted* every write (its task or order processed, or the numbers show PENDING_*), and the
state folder's journal remembers the work in flight for every later run (`tracking/`).
`until=FINAL` waits for every number to reach its final state, up to the timeout.

Order inside a round (a number needs its messaging profile before a campaign):
  1. profile moves (bulk messaging update per target profile, or PATCH for one), all
     submitted, then confirmed by the cheaper of reading the moved numbers or polling orders;
  2. unassignments (prune);
  3. assignments: one bulk task per profile where the plan chose bulk (all submitted, then
     seen processed), else per number (PUT for a reassignment, POST otherwise).

Telnyx leaves several behaviours unconfirmed (bulk over numbers on another campaign, PUT as a
move, what leaving a profile does...). Rather than guess, apply re-reads live state after each
round and re-plans *only the plan's numbers*, leaving out work in flight. A number that needs
freeing first (Telnyx skipped it because another campaign holds it, or refused a PUT) is
freed, and its assignment is journalled as a *deferred* phase of this approved apply, which
`resume` (the scheduled CI job) carries out once Telnyx has finished the unassignment, hours
later. Every write is journalled before it is sent and after its answer (write-ahead).

Inside: `applier` runs the rounds; `submit` journals and sends every write and follows its task
or order; `moves` and `phases` are the two kinds of work with their own timing (profile moves
first, deferred assignments once Telnyx has freed numbers); `outcomes` judges each number at the
end and `report` says it; `checks` holds the pure checks of a saved plan against fresh state.
"""

from .applier import MAX_LOST_ROUNDS, MAX_ROUNDS, Applier
from .checks import check_against_fresh, check_preconditions
from .outcomes import plan_only_outcomes
from .phases import PhaseOutcome, PhaseResult
from .ports import Progress, Reader, Writer, campaign_of
from .report import ApplyReport, Outcome, Result, Until

__all__ = ["MAX_LOST_ROUNDS", "MAX_ROUNDS", "Applier", "ApplyReport", "Outcome", "PhaseOutcome", "PhaseResult", "Progress",
           "Reader", "Result",
           "Until", "Writer", "campaign_of", "check_against_fresh", "check_preconditions",
           "plan_only_outcomes"]
