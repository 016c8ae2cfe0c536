"""The sandbox's virtual clock: real time × a scale, plus whatever `/_admin/advance` added."""

from __future__ import annotations

import time

# The latest virtual time (9000-01-01T00:00:00Z). Timestamps are rendered with `datetime`, which
# stops at year 9999: capping the clock well below keeps a fast clock or many advances harmless.
MAX_VIRTUAL_TIME = 221_845_392_000.0


class Clock:
    """Virtual clock: real elapsed time × `scale`, plus whatever `/_admin/advance` added.

    `scale` is virtual seconds per real second: 1 follows real time, 60 runs an hour a minute,
    0 freezes the clock so that only `advance` moves it (deterministic tests)."""

    def __init__(self, scale: float = 1.0) -> None:
        self._wall0 = time.time()
        self._mono0 = time.monotonic()
        self.scale = scale
        self.offset = 0.0

    def now(self) -> float:
        return min(self._wall0 + (time.monotonic() - self._mono0) * self.scale + self.offset, MAX_VIRTUAL_TIME)

    def advance(self, seconds: float) -> None:
        """Move forward; ValueError (clock untouched) past MAX_VIRTUAL_TIME."""
        if self.now() + seconds > MAX_VIRTUAL_TIME:
            raise ValueError("that would move the virtual clock past 9000-01-01")
        self.offset += seconds
