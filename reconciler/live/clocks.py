"""Two clocks: the caller's deadline (ours, monotonic) and the API's wall clock (its `Date`).

The deadline bounds a whole run: every call after it raises `ApiUnavailable("deadline
exceeded")`, and no retry sleeps past it. The API's clock is what ages of work in flight are
measured on: a CI runner's clock can be off, and the sandbox's is virtual.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import Mapping

from reconciler.errors import ApiUnavailable


class Deadline:
    """An optional point in time (monotonic) after which no call may start or sleep."""

    def __init__(self, seconds: float | None = None) -> None:
        self.at: float | None = None
        self.set(seconds)

    def set(self, seconds: float | None) -> None:
        """Every call after `seconds` from now raises ApiUnavailable('deadline exceeded')."""
        self.at = None if seconds is None else time.monotonic() + max(0.0, float(seconds))

    def remaining(self) -> float | None:
        return None if self.at is None else self.at - time.monotonic()

    def check(self, call: str) -> None:
        rem = self.remaining()
        if rem is not None and rem <= 0:
            raise ApiUnavailable(call, None, code="deadline", title="deadline exceeded")

    def sleep(self, call: str, seconds: float) -> None:
        """Sleep `seconds`, unless that would end after the deadline (then raise at once)."""
        rem = self.remaining()
        if rem is not None and seconds >= rem:
            raise ApiUnavailable(call, None, code="deadline", title="deadline exceeded",
                                 detail=f"the next retry would come after the deadline ({rem:.1f}s left)")
        if seconds > 0:
            time.sleep(seconds)


class ServerClock:
    """Telnyx's clock minus ours, from the last `Date` header (ours until one came)."""

    def __init__(self) -> None:
        self._offset: float | None = None
        # The sandbox says so in every answer (`X-Telnyx-Sandbox: clock=frozen`, `clock=x120`); Telnyx
        # never does. Only to say how a wait on it ends (`reconciler sandbox advance`); nothing depends on it.
        self.sandbox: str | None = None

    def now(self) -> float:
        """Now on the API's clock (epoch seconds), as its last `Date` header said; ours until one came."""
        offset = self._offset
        return time.time() + (offset or 0.0)

    def learn(self, headers: Mapping[str, str]) -> None:
        sandbox = headers.get("x-telnyx-sandbox")
        if sandbox:
            self.sandbox = sandbox[:40]
        raw = headers.get("date")
        if not raw:
            return
        try:
            when = parsedate_to_datetime(raw).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return  # an odd Date header is not worth failing a request over
        # +0.5: a Date header is truncated to the second
        self._offset = when + 0.5 - time.time()
