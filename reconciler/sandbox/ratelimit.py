"""Token bucket for `--rate-limit RPS`, with Telnyx's headers (telnyx-api.md §7, source S3).

`x-ratelimit-limit`: the bucket's size (requests per second); `x-ratelimit-remaining`: whole
tokens left; `x-ratelimit-reset`: seconds (rounded up) until the bucket is full again, or, on a
429, until the next request would be admitted. Telnyx documents no `Retry-After`, so none is sent.
The bucket runs on real time, not the virtual clock: it models the server's throughput.
"""

from __future__ import annotations

import math
import time


class TokenBucket:
    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate limit must be positive")
        self.rate = float(rate)
        self.capacity = max(1.0, self.rate)
        self.tokens = self.capacity
        self.last = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now

    def take(self) -> tuple[bool, list[tuple[str, str]]]:
        """Try to admit one request; → (admitted, headers for the response)."""
        self._refill()
        admitted = self.tokens >= 1.0
        if admitted:
            self.tokens -= 1.0
            reset = math.ceil((self.capacity - self.tokens) / self.rate)
        else:
            reset = max(1, math.ceil((1.0 - self.tokens) / self.rate))
        headers = [
            ("x-ratelimit-limit", str(math.ceil(self.capacity))),
            ("x-ratelimit-remaining", str(int(self.tokens))),
            ("x-ratelimit-reset", str(reset)),
        ]
        return admitted, headers
