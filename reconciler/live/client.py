"""The Telnyx API client: the small facade every reader and writer is handed.

`TelnyxClient` composes one concern per module and holds no HTTP logic itself:

- `urls`: the base URL policy (plain `http://` only to loopback) and path templates;
- `transport`: the httpx session, timeouts, retries and backoff, and the API key (it alone);
- `errors`: Telnyx error bodies → `ApiError`, with the key scrubbed from every text;
- `ratelimit`: one token bucket per client, learned from `x-ratelimit-*`;
- `clocks`: the caller's deadline and the API's clock (its `Date` header);
- `counters`: requests per `METHOD /path/template`, answers per status, retries;
- `concurrency`: bounded fan-out of independent reads;
- `pagination`: what each list has shown about its paging (`client.paging`).

httpx stays inside `reconciler.live`; callers see only `ApiError`/`ApiUnavailable`/
`ConfigError` and plain JSON values.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, TypeVar

import httpx

from reconciler.errors import ConfigError

from .clocks import Deadline, ServerClock
from .concurrency import map_concurrent
from .counters import RequestCounters
from .pagination import PagingFacts
from .ratelimit import RateLimiter
from .transport import DEFAULT_USER_AGENT, RetryPolicy, Transport, checked_key
from .urls import validate_base_url

__all__ = ["TelnyxClient", "validate_base_url"]

T = TypeVar("T")
R = TypeVar("R")


class TelnyxClient:
    """A thread-safe Telnyx API v2 client (see module docstring)."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout: float = 30.0,
        concurrency: int = 8,
        max_retries: int = 6,
        deadline: float | None = None,
        transport: httpx.BaseTransport | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
    ) -> None:
        self.base_url = validate_base_url(base_url)
        key = checked_key(api_key)
        if not (timeout and timeout > 0):
            raise ConfigError("timeout must be a positive number of seconds")
        if concurrency < 1:
            raise ConfigError("concurrency must be at least 1")
        self.concurrency = int(concurrency)
        self.limiter = RateLimiter()
        self.requests = RequestCounters()
        self.deadline = Deadline(deadline)
        self.server_clock = ServerClock()
        self.paging = PagingFacts()  # what each list has shown about its paging (pagination.py)
        self._transport = Transport(
            base_url=self.base_url,
            api_key=key,
            timeout=float(timeout),
            concurrency=self.concurrency,
            retry=RetryPolicy(max(0, int(max_retries)), backoff_base, backoff_cap),
            limiter=self.limiter,
            counters=self.requests,
            deadline=self.deadline,
            server_clock=self.server_clock,
            user_agent=user_agent,
            transport=transport,
        )

    # ---- hygiene
    def __repr__(self) -> str:
        return f"TelnyxClient(base_url={self.base_url!r}, concurrency={self.concurrency})"

    def __reduce__(self):  # never pickle the key anywhere
        raise TypeError("TelnyxClient cannot be pickled")

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> "TelnyxClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- time
    def set_deadline(self, seconds: float | None) -> None:
        """Every call after `seconds` from now raises ApiUnavailable('deadline exceeded')."""
        self.deadline.set(seconds)

    def remaining_time(self) -> float | None:
        return self.deadline.remaining()

    def server_now(self) -> float:
        """Now on the API's clock (epoch seconds), as its last `Date` header said; ours until one came."""
        return self.server_clock.now()

    @property
    def sandbox_clock(self) -> str | None:
        """`frozen` or `x120` where the API is the reconciler's sandbox (it says so); None for Telnyx."""
        said = self.server_clock.sandbox
        return said.removeprefix("clock=") if said else None

    # ---- counting
    def count(self, call: str) -> int:
        return self.requests.count(call)

    def total_requests(self) -> int:
        return self.requests.total()

    def reset_counters(self) -> None:
        self.requests.reset()

    # ---- the one request path (transport.py)
    def url_for(self, template: str, path: Mapping[str, str] | None = None) -> str:
        return self._transport.url_for(template, path)

    def request(self, method: str, template: str, **options: Any) -> tuple[int, Any]:
        """Send one logical call; return (status, parsed JSON body or None).

        The options (`path`, `params`, `json_body`, `idempotent`, `took_effect`, `allow_status`)
        and the retry rules are `Transport.request`'s.
        """
        return self._transport.request(method, template, **options)

    def observe(self, fn: Callable[[str, int, Mapping[str, str]], None]) -> None:
        """Tell `fn(call, status, headers)` of every answer from now on (doctor reads headers so)."""
        self._transport.observers.append(fn)

    # ---- conveniences
    def get(self, template: str, *, path=None, params=None, allow_status=()) -> tuple[int, Any]:
        return self.request("GET", template, path=path, params=params, allow_status=allow_status)

    def get_json(self, template: str, *, path=None, params=None) -> Any:
        return self.request("GET", template, path=path, params=params)[1]

    def post(self, template: str, *, json: Any, path=None, took_effect=None, idempotent: bool = False,
             allow_status=()) -> tuple[int, Any]:
        return self.request("POST", template, path=path, json_body=json, took_effect=took_effect,
                            idempotent=idempotent, allow_status=allow_status)

    def put(self, template: str, *, json: Any, path=None, allow_status=(), took_effect=None) -> tuple[int, Any]:
        """With `took_effect`, an ambiguous failure is re-read before the PUT is repeated."""
        return self.request("PUT", template, path=path, json_body=json, allow_status=allow_status,
                            idempotent=took_effect is None, took_effect=took_effect)

    def patch(self, template: str, *, json: Any, path=None, idempotent: bool = True, took_effect=None,
              allow_status=()) -> tuple[int, Any]:
        return self.request("PATCH", template, path=path, json_body=json, idempotent=idempotent,
                            took_effect=took_effect, allow_status=allow_status)

    def delete(self, template: str, *, path=None, allow_status=(), took_effect=None) -> tuple[int, Any]:
        """With `took_effect`, an ambiguous failure is re-read before the DELETE is repeated."""
        return self.request("DELETE", template, path=path, allow_status=allow_status,
                            idempotent=took_effect is None, took_effect=took_effect)

    # ---- bounded concurrency (concurrency.py)
    def map_concurrent(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """`[fn(x) for x in items]`, run on up to `concurrency` threads; results in input order.

        The first exception cancels what has not started and is re-raised. In-flight HTTP
        requests stay bounded by the transport's semaphore even when calls nest.
        """
        return map_concurrent(fn, items, self.concurrency)
