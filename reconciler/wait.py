"""The one way to wait for Telnyx: look, nap with growing delays, stop at the deadline.

Every wait in apply (tasks, orders, moved numbers, numbers settling) goes through `Waiter`,
with the clock and sleep injected so tests run hours of polling in no time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Waiter:
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    deadline: float  # on `clock`
    initial: float = 0.2
    maximum: float = 15.0
    grow: float = 1.5
    delay: float = field(init=False)
    looks: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.delay = self.initial

    def more(self) -> bool:
        """Whether to look (again). The first look is always allowed, even past the deadline:
        what Telnyx has already done is worth knowing before giving up."""
        self.looks += 1
        return self.looks == 1 or self.clock() < self.deadline

    def nap(self) -> None:
        """Sleep the current delay (never past the deadline), then grow it up to `maximum`."""
        self.sleep(max(0.0, min(self.delay, self.deadline - self.clock())))
        self.delay = min(self.delay * self.grow, self.maximum)
