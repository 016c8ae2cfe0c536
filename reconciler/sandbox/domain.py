"""What the world says when it refuses a request: domain exceptions, free of HTTP.

The engine and its queries raise these; the HTTP layer (`errors.from_domain`, called by
`api.dispatch` and `app.App`) turns each into the Telnyx error body and status a real
Telnyx answers with. `pointer` (a JSON pointer into the body) or `parameter` (a path or
query parameter) names the input at fault, so the answer can point at it.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request the world refuses; `detail` is the sentence a client sees."""

    def __init__(self, detail: str, *, pointer: str | None = None, parameter: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.pointer = pointer
        self.parameter = parameter


class NotFound(DomainError):
    """No such number, campaign, profile, task or order (or none this account may see)."""


class Invalid(DomainError):
    """The input itself is wrong, whatever the state (a malformed or contradictory field)."""


class NotE164(Invalid):
    """A phone number that is not written in +E.164."""


class Missing(Invalid):
    """A required input is absent."""


class Refused(DomainError):
    """Well-formed, but a 10DLC rule or the mode in force says no (the number, the campaign, the cap)."""


class Conflict(Refused):
    """The number already has another assignment: one campaign per number."""


class InUse(Refused):
    """Work on that resource is in progress (an assignment or an unassignment under way)."""
