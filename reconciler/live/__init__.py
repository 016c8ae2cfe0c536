"""The live-state layer: Telnyx HTTP client, pagination, reads and writes.

httpx is confined to this package; nothing here imports click, yaml or the sandbox.
"""

from .client import TelnyxClient
from .pagination import collect_10dlc, collect_classic, iter_10dlc, iter_classic
from .ratelimit import RateLimiter
from .reader import learn_server_clock, read_live, read_profiles_for_import
from .urls import validate_base_url
from .writer import TelnyxWriter

__all__ = [
    "RateLimiter",
    "TelnyxClient",
    "TelnyxWriter",
    "collect_10dlc",
    "collect_classic",
    "iter_10dlc",
    "iter_classic",
    "learn_server_clock",
    "read_live",
    "read_profiles_for_import",
    "validate_base_url",
]
