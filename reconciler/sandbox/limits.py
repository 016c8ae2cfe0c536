"""What one client may cost the server: how big a request may be, how long a connection may keep
the server waiting, and how many connections it holds. httpserver.py enforces them (its
docstring says how); the CLI and `start_sandbox` build a `Limits` from their options."""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_HEAD = 64 * 1024
# POST /_admin/seed only: about 300,000 numbers with their assignments (a bigger estate starts
# from `--seed FILE`, read item by item). Once 1 GiB, which a junk upload filled: 3.17 GB resident.
MAX_SEED_BODY = 64 * 1024 * 1024
MAX_REQUEST_BODY = 16 * 1024 * 1024  # every other request: far above any real one
ADMIN_BODIES = 4  # admin request bodies that may be arriving at once


@dataclass(frozen=True)
class Limits:
    """How long a connection may keep the server waiting, and how many it may hold open."""

    header_timeout: float = 10.0
    idle_timeout: float = 60.0
    max_connections: int = 512

    def __post_init__(self) -> None:
        for name in ("header_timeout", "idle_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not 0 < value <= 86400:
                raise ValueError(f"{name.replace('_', '-')} must be a number of seconds above 0 and at most 86400")
        if isinstance(self.max_connections, bool) or not isinstance(self.max_connections, int) \
                or self.max_connections < 1:
            raise ValueError("max-connections must be a whole number of at least 1")

    @property
    def sweep_every(self) -> float:
        """How often deadlines are checked: a timeout is kept to within a quarter of itself."""
        return min(1.0, max(0.005, min(self.header_timeout, self.idle_timeout) / 4))
