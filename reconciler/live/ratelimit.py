"""The client-side rate limiter: one token bucket per client, learned from `x-ratelimit-*`.

Telnyx does not document its limits per endpoint; it says them in every response. So the
bucket starts unknown (unlimited; the client's concurrency still bounds it) and from then on
follows what the server said, paced a little under its refill rate (`RATE_MARGIN`).
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Mapping

RATE_MARGIN = 0.97  # pace a little under the learned refill rate: clocks and rounding differ


class RateLimiter:
    """A token bucket shared by every thread of one client, learning from `x-ratelimit-*`.

    Before any header arrives it lets requests through (concurrency still bounds them).
    Each response resets the local estimate to `remaining` minus the requests still in
    flight that were sent *after* it (the server had not counted those yet), and the
    bucket refills continuously at `limit / max(reset seen)` per second: for a token
    bucket that is its refill rate (`reset` is the time to full, longest when empty),
    for a fixed window it is the window's average rate. Once `reset` has passed, the
    full `limit` is available again. A 429 empties the bucket until its reset.

    So the client spends what the server says it may, paced at the server's rate (no
    idling below the limit), and a wrong guess costs at most one 429 per in-flight
    request before the next header corrects it.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._cond = threading.Condition()
        self._limit: int | None = None
        self._tokens: float | None = None  # None: unknown → unlimited
        self._t = 0.0  # when _tokens was last brought up to date
        self._rate: float | None = None  # tokens per second
        self._max_reset = 0.0
        self._reset_at = 0.0
        self._blocked_until = 0.0
        self._seq = 0
        self._inflight: set[int] = set()
        self._learned = 0  # ticket whose headers set the current estimate
        self.waited = 0.0  # seconds spent waiting for tokens (for the benchmark)

    @property
    def limit(self) -> int | None:
        return self._limit

    @property
    def rate(self) -> float | None:
        return self._rate

    def _refill(self, now: float) -> None:
        if self._tokens is None:
            return
        cap = float(self._limit or 1)
        if self._rate:
            self._tokens = min(cap, self._tokens + self._rate * max(0.0, now - self._t))
        if not self._rate and now >= self._reset_at and now >= self._blocked_until:
            # no refill rate known (reset always 0): after the reset the window is full again
            self._tokens = max(self._tokens, cap - len(self._inflight))
        self._t = now

    def acquire(self, deadline_at: float | None = None) -> int:
        """Wait for a token; returns a ticket for `release`."""
        with self._cond:
            while True:
                now = self._clock()
                self._refill(now)
                if now >= self._blocked_until and (self._tokens is None or self._tokens >= 1):
                    if self._tokens is not None:
                        self._tokens -= 1
                    self._seq += 1
                    self._inflight.add(self._seq)
                    return self._seq
                if now < self._blocked_until:
                    wake = self._blocked_until
                else:
                    cands = [self._reset_at] if self._reset_at > now else []
                    if self._rate:
                        cands.append(now + (1.0 - (self._tokens or 0.0)) / self._rate)
                    wake = min(cands) if cands else now + 0.05
                if deadline_at is not None and wake > deadline_at:
                    raise TimeoutError("rate limit wait would pass the deadline")
                delay = max(0.0005, wake - now)
                t0 = self._clock()
                self._cond.wait(timeout=min(delay, 1.0))
                self.waited += self._clock() - t0

    def release(self, ticket: int, headers: Mapping[str, str] | None, status: int | None) -> None:
        with self._cond:
            self._inflight.discard(ticket)
            if headers is not None:
                self._learn(ticket, headers, status)
            self._cond.notify_all()

    def block_for(self, seconds: float) -> None:
        """Admit nothing for `seconds` (a 429 said so)."""
        with self._cond:
            now = self._clock()
            self._blocked_until = max(self._blocked_until, now + max(0.0, seconds))
            if self._tokens is not None:
                self._tokens = min(self._tokens, 0.0)
            self._cond.notify_all()

    def _learn(self, ticket: int, headers: Mapping[str, str], status: int | None) -> None:
        limit = _header_number(headers.get("x-ratelimit-limit"))
        remaining = _header_number(headers.get("x-ratelimit-remaining"))
        reset = _header_number(headers.get("x-ratelimit-reset"))
        if limit is not None and limit > 0:
            self._limit = int(limit)
        if reset is not None:
            reset = min(max(0.0, reset), 3600.0)
            if reset > self._max_reset:
                self._max_reset = reset
                if self._limit:
                    self._rate = self._limit / reset * RATE_MARGIN
        if remaining is None or ticket < self._learned:
            return  # an older request's view of the bucket: a newer one has been applied already
        self._learned = ticket
        now = self._clock()
        later = len(self._inflight)  # still in flight: the server may not have counted them yet
        tokens = remaining - later
        if status == 429:
            tokens = min(tokens, 0.0)
        self._tokens = max(tokens, -float(len(self._inflight)))
        self._t = now
        if reset is not None:
            self._reset_at = now + reset


def _header_number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        f = float(str(value).strip())
    except ValueError:
        return None
    if f != f or f in (float("inf"), float("-inf")):
        return None
    return f


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from Retry-After (seconds form) or x-ratelimit-reset, whichever is longer."""
    waits = []
    for name in ("retry-after", "x-ratelimit-reset"):
        v = _header_number(headers.get(name))
        if v is not None and v >= 0:
            waits.append(min(v, 3600.0))
    ra_ms = _header_number(headers.get("retry-after-ms"))
    if ra_ms is not None and ra_ms >= 0:
        waits.append(min(ra_ms / 1000.0, 3600.0))
    return max(waits) if waits else None

