"""The HTTP transport: one httpx session, one attempt at a time, and the retry policy around it.

Every request the reconciler sends goes through `Transport.request`. It

- sends the key only as `Authorization: Bearer ...`, and scrubs it from every error text it
  builds and from every string of every answer it returns (a hostile server could echo it
  back, in a profile's name say); never turns TLS verification off, never follows a redirect;
- bounds every attempt by a timeout (connect/read/write/pool and a total per attempt,
  checked between body chunks so a trickling server cannot hold it forever) and every call
  by the caller's optional deadline (`ApiUnavailable("deadline exceeded")`);
- retries idempotent requests (GET/PUT/DELETE, and writes the caller marks idempotent)
  on 429, 408, 5xx and transport errors, with exponential backoff and full jitter,
  honouring `x-ratelimit-reset` and `Retry-After`;
- never blindly retries a non-idempotent POST: after an ambiguous failure (5xx, a
  timeout or a dropped connection after the request went out) it calls the caller's
  `took_effect()` re-read, and retries only if that says the write did not happen;
- takes a token from the client's `RateLimiter` before each attempt and feeds it the answer;
- bounds in-flight requests with a semaphore of `concurrency`, so nested `map_concurrent`
  calls cannot exceed it.

httpx stays inside `reconciler.live`; callers see only `ApiError`/`ApiUnavailable`/
`ConfigError` and plain JSON values.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import random
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from urllib.parse import urlsplit

import httpx

from reconciler import __version__
from reconciler.errors import ApiError, ApiUnavailable, ConfigError

from .clocks import Deadline, ServerClock
from .connection import connect_problem, tls_failure, tls_refusal
from .counters import RequestCounters
from .errors import bad_response, excerpt, parse_error, scrub, scrub_data
from .ratelimit import RateLimiter, retry_after
from .urls import fill_path, is_loopback_host

log = logging.getLogger("reconciler.live")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_BODY_BYTES = 64 * 1024 * 1024  # a list page of 500 records is ~0.5 MB; anything near this is hostile
DEFAULT_USER_AGENT = f"telnyx-10dlc-reconciler/{__version__}"


# A server that refuses connections or cannot be found rarely comes back within seconds: two quick
# retries cover a blip, and a wrong URL is reported in seconds, not minutes.
CONNECT_RETRIES = 2


def checked_key(api_key: str) -> str:
    """The API key, stripped; ConfigError (never echoing it) if it is missing or malformed."""
    if not isinstance(api_key, str) or not api_key.strip():
        raise ConfigError("TELNYX_API_KEY is not set")
    if any(ch in api_key for ch in "\r\n") or not api_key.isprintable():
        raise ConfigError("TELNYX_API_KEY contains control characters")
    return api_key.strip()


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failed attempt is repeated."""

    max_retries: int = 6
    backoff_base: float = 0.5
    backoff_cap: float = 30.0

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter."""
        return random.uniform(0, min(self.backoff_cap, self.backoff_base * (2**attempt)))


def _tls_context(trust_env: bool) -> ssl.SSLContext:
    """The verifying TLS context httpx builds for `verify=True` (certifi's CAs, or SSL_CERT_FILE /
    SSL_CERT_DIR when the environment is trusted), built once per process and setting: loading the
    CA bundle costs about 75 ms, and a process can open many clients (the tests open thousands)."""
    env = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")) if trust_env else (None, None)
    return _cached_tls_context(trust_env, *env)


@functools.lru_cache(maxsize=4)
def _cached_tls_context(trust_env: bool, cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    return httpx.create_ssl_context(verify=True, trust_env=trust_env)


class _Ambiguous(Exception):
    """Internal: a write failed in a way that leaves its effect unknown."""

    def __init__(self, what: str, *, timed_out: bool) -> None:
        super().__init__(what)
        self.timed_out = timed_out


class _ConnectFailed(Exception):
    """Internal: no connection (refused, no such host, timed out connecting): retried briefly only."""


class _SafeRetry(Exception):
    """Internal: the request provably never reached the server (connect failed)."""


class Transport:
    """The one request path of a client (see the module docstring); thread-safe.

    It alone holds the API key. The limiter, counters, deadline and server clock are the
    client's, shared with it: the transport feeds them, the client reads them.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout: float,
        concurrency: int,
        retry: RetryPolicy,
        limiter: RateLimiter,
        counters: RequestCounters,
        deadline: Deadline,
        server_clock: ServerClock,
        user_agent: str = DEFAULT_USER_AGENT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url
        self.__key = api_key
        self.timeout = timeout
        self.retry = retry
        self.limiter = limiter
        self.counters = counters
        self.deadline = deadline
        self.server_clock = server_clock
        self._slots = threading.BoundedSemaphore(concurrency)
        # Callables told (call, status, headers) of every answer: `doctor` reads rate-limit headers
        # and `Date` this way. None by default; nothing else uses it.
        self.observers: list[Callable[[str, int, Mapping[str, str]], None]] = []
        # Whether anything at base_url has answered in this run: a timeout before the first answer is
        # a wrong URL far more often than a slow Telnyx, so it is said at once instead of retried.
        self._heard = False
        host = urlsplit(self.base_url).hostname
        self._http = httpx.Client(
            headers={
                "Authorization": f"Bearer {self.__key}",
                "Accept": "application/json",
                "User-Agent": user_agent,
            },
            timeout=httpx.Timeout(self.timeout),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            transport=transport,
            follow_redirects=False,
            verify=_tls_context(trust_env=not is_loopback_host(host)),  # verifying, as verify=True
            trust_env=not is_loopback_host(host),
        )

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

    def __reduce__(self):  # never pickle the key anywhere
        raise TypeError("Transport cannot be pickled")

    def close(self) -> None:
        self._http.close()

    def _scrub(self, text: str | None) -> str | None:
        return scrub(text, self.__key)

    def url_for(self, template: str, path: Mapping[str, str] | None = None) -> str:
        return self.base_url + fill_path(template, path)

    def request(
        self,
        method: str,
        template: str,
        *,
        path: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        json_body: Any = None,
        idempotent: bool | None = None,
        took_effect: Callable[[], Any] | None = None,
        allow_status: Iterable[int] = (),
    ) -> tuple[int, Any]:
        """Send one logical call; return (status, parsed JSON body or None).

        `allow_status`: non-2xx statuses returned to the caller instead of raised (e.g. 404).
        `idempotent`: defaults by method. A non-idempotent call is retried after an
        ambiguous failure only if `took_effect()` returns a falsy value; a truthy value
        is returned as the body (status 0), so the caller gets the re-read instead.
        """
        method = method.upper()
        call = f"{method} {template}"
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        allow = frozenset(allow_status)
        url = self.url_for(template, path)
        attempt = 0
        connect_failures = 0
        while True:
            self.deadline.check(call)
            try:
                status, headers, body = self._attempt(call, method, url, params, json_body)
            except _Ambiguous as exc:
                reason = str(exc)
                if exc.timed_out and not self._heard and idempotent:
                    raise ApiUnavailable(
                        call, None, code="no_answer", title="no answer",
                        detail=(f"{self.base_url} took the connection but did not answer within {self.timeout:g}s "
                                "(--request-timeout), and nothing there has answered in this run: is it the Telnyx "
                                "API (or the sandbox)? A port that speaks another protocol looks like this. Not "
                                "retried")) from None
                if not idempotent:
                    if took_effect is None:
                        raise ApiUnavailable(call, None, code="ambiguous", title="write outcome unknown",
                                             detail=f"{reason}; not retried because the write may have taken effect") from None
                    verified = self._verify(call, took_effect)
                    if verified:
                        return 0, verified
                attempt = self._next_attempt(call, attempt, reason, None)
                continue
            except _SafeRetry as exc:  # the request never reached the server
                attempt = self._next_attempt(call, attempt, str(exc), None)
                continue
            except _ConnectFailed as exc:  # likewise, but a wrong URL must be said in seconds
                connect_failures += 1
                if connect_failures > CONNECT_RETRIES:
                    raise ApiUnavailable(call, None, code="connect", title="cannot connect",
                                         detail=f"{exc} (tried {connect_failures} times)") from None
                self.deadline.sleep(call, 0.5 * connect_failures)
                continue

            if 200 <= status < 300:
                return status, self._parse_json(call, status, body, headers)
            if status in allow:
                try:
                    return status, scrub_data(json.loads(body), self.__key) if body else None
                except ValueError:
                    return status, None
            err = parse_error(call, status, body, headers, self.__key)
            if status in RETRY_STATUSES:
                if status == 429:
                    wait_s = retry_after(headers)
                    if wait_s is not None:
                        self.limiter.block_for(wait_s)
                    attempt = self._next_attempt(call, attempt, "HTTP 429", err, min_wait=wait_s)
                    continue
                if not idempotent:  # a 408 too: nothing says the server had not begun
                    if took_effect is None:
                        raise err
                    verified = self._verify(call, took_effect)
                    if verified:
                        return 0, verified
                attempt = self._next_attempt(call, attempt, f"HTTP {status}", err)
                continue
            raise err

    def _verify(self, call: str, took_effect: Callable[[], Any]) -> Any:
        log.info("%s: outcome unknown, re-reading state before any retry", call)
        try:
            return took_effect()
        except ApiError:
            raise
        except Exception as exc:  # a buggy verifier must not hide the original problem
            raise ApiUnavailable(call, None, code="verify_failed", title="could not verify write",
                                 detail=self._scrub(type(exc).__name__)) from None

    def _next_attempt(self, call: str, attempt: int, reason: str, err: ApiError | None,
                      min_wait: float | None = None) -> int:
        if attempt >= self.retry.max_retries:
            if err is not None:
                raise ApiUnavailable(call, err.status, code=err.code, title=err.title,
                                     detail=f"{err.detail or reason} (gave up after {attempt + 1} attempts)",
                                     request_id=err.request_id)
            raise ApiUnavailable(call, None, code="unreachable", title=self._scrub(reason),
                                 detail=f"gave up after {attempt + 1} attempts")
        delay = self.retry.backoff(attempt)
        if min_wait is not None:
            delay = min_wait + random.uniform(0, min(1.0, 0.1 + min_wait * 0.1))
        self.counters.retried()
        log.info("%s: %s; retry %d/%d in %.2fs", call, reason, attempt + 1, self.retry.max_retries, delay)
        self.deadline.sleep(call, delay)
        return attempt + 1

    def _attempt(self, call, method, url, params, json_body) -> tuple[int, httpx.Headers, bytes]:
        rem = self.deadline.remaining()
        attempt_timeout = self.timeout if rem is None else max(0.001, min(self.timeout, rem))
        deadline_at = time.monotonic() + attempt_timeout
        if not self._slots.acquire(timeout=attempt_timeout if rem is not None else None):
            raise ApiUnavailable(call, None, code="deadline", title="deadline exceeded")
        try:
            ticket = self.limiter.acquire(self.deadline.at)
        except TimeoutError:
            self._slots.release()
            raise ApiUnavailable(call, None, code="deadline", title="deadline exceeded",
                                 detail="waiting for the rate limit would pass the deadline") from None
        except BaseException:
            self._slots.release()
            raise
        headers = None  # what the limiter is told if no answer comes
        status = None
        try:
            try:
                self.counters.sent(call)
                req = self._http.build_request(
                    method, url, params=params, json=json_body,
                    timeout=httpx.Timeout(attempt_timeout),
                )
                log.debug("%s", call)
                try:
                    resp = self._http.send(req, stream=True)
                except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                    tls = tls_failure(exc)
                    if tls:
                        raise tls_refusal(call, self.base_url, tls) from None
                    if isinstance(exc, httpx.PoolTimeout):
                        raise _SafeRetry(f"cannot connect ({type(exc).__name__})") from None
                    raise _ConnectFailed(connect_problem(exc, self.base_url, attempt_timeout,
                                                         timed_out=isinstance(exc, httpx.ConnectTimeout))) from None
                try:
                    status = resp.status_code
                    self._heard = True
                    headers = resp.headers
                    self.server_clock.learn(headers)
                    for observe in self.observers:
                        observe(call, status, headers)
                    chunks = []
                    size = 0
                    for chunk in resp.iter_bytes():
                        chunks.append(chunk)
                        size += len(chunk)
                        if size > MAX_BODY_BYTES:
                            raise ApiError(call, status, code="invalid_response",
                                           title="response body too large",
                                           detail=f"more than {MAX_BODY_BYTES} bytes")
                        if time.monotonic() > deadline_at:
                            raise httpx.ReadTimeout("response took longer than the timeout")
                    body = b"".join(chunks)
                finally:
                    resp.close()
            except httpx.TransportError as exc:
                what = type(exc).__name__
                timed_out = isinstance(exc, httpx.TimeoutException)
                if timed_out:
                    what = f"timed out after {attempt_timeout:.1f}s ({what})"
                else:
                    what = f"connection failed ({what})"
                raise _Ambiguous(what, timed_out=timed_out) from None
            self.counters.answered(status)
            log.debug("%s -> %s", call, status)
            return status, headers, body
        finally:
            self.limiter.release(ticket, headers, status)
            self._slots.release()

    def _parse_json(self, call: str, status: int, body: bytes, headers: httpx.Headers) -> Any:
        if not body or not body.strip():
            if status in (202, 204) or status == 200 and call.startswith("DELETE"):
                return None
            raise bad_response(call, "empty body where JSON was expected", status)
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            ctype = headers.get("content-type", "")
            raise ApiError(call, status, code="invalid_response",
                           title=f"response is not JSON ({self._scrub(ctype.split(';')[0]) or 'no content-type'})",
                           detail=excerpt(body, self.__key)) from None
        return scrub_data(data, self.__key)  # a server that echoes the key gets it into no name, report or file
