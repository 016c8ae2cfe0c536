"""What one client sent: requests per `METHOD /path/template`, answers per status, retries.

The benchmark and the tests read these; the reconciler's output never depends on them.
"""

from __future__ import annotations

import threading
from collections import Counter


class RequestCounters:
    """Thread-safe counts, shared by every thread of one client."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_call: Counter[str] = Counter()  # "GET /10dlc/phone_number_campaigns" -> requests sent
        self.by_status: Counter[int] = Counter()
        self.retries = 0

    def sent(self, call: str) -> None:
        with self._lock:
            self.by_call[call] += 1

    def answered(self, status: int) -> None:
        with self._lock:
            self.by_status[status] += 1

    def retried(self) -> None:
        with self._lock:
            self.retries += 1

    def count(self, call: str) -> int:
        with self._lock:
            return self.by_call[call]

    def total(self) -> int:
        with self._lock:
            return sum(self.by_call.values())

    def reset(self) -> None:
        with self._lock:
            self.by_call.clear()
            self.by_status.clear()
            self.retries = 0
