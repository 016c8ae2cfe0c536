"""The Telnyx HTTP client: one place for transport, retries, rate limiting and errors.

Everything that talks HTTP goes through `TelnyxClient.request`. It

- refuses a plain `http://` base URL unless the host is loopback (the API key would
  travel in clear text), and never turns TLS verification off;
- sends the key only as `Authorization: Bearer ...`, and scrubs it from every error
  text it builds (a hostile server could echo it back);
- bounds every attempt by a timeout (connect/read/write/pool and a total per attempt,
  checked between body chunks so a trickling server cannot hold it forever) and every
  call by an optional global deadline (`ApiUnavailable("deadline exceeded")`);
- retries idempotent requests (GET/PUT/DELETE, and writes the caller marks idempotent)
  on 429, 408, 5xx and transport errors, with exponential backoff and full jitter,
  honouring `x-ratelimit-reset` and `Retry-After`;
- never blindly retries a non-idempotent POST: after an ambiguous failure (5xx, a
  timeout or a dropped connection after the request went out) it calls the caller's
  `took_effect()` re-read, and retries only if that says the write did not happen;
- shares one token-bucket `RateLimiter` fed by `x-ratelimit-limit/remaining/reset`;
- bounds in-flight requests with a semaphore of `concurrency`, so nested
  `map_concurrent` calls cannot exceed it;
- counts requests per `METHOD /path/template` (`client.counters`).

httpx stays inside `reconciler.live`; callers see only `ApiError`/`ApiUnavailable`/
`ConfigError` and plain JSON values.
"""

from __future__ import annotations

import html
import ipaddress
import json
import logging
import random
import re
import ssl
import threading
import time
from collections import Counter
from email.utils import parsedate_to_datetime
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any, Callable, Iterable, Mapping, Sequence, TypeVar
from urllib.parse import quote, urlsplit

import httpx

from reconciler import __version__
from reconciler.errors import ApiError, ApiUnavailable, ConfigError

log = logging.getLogger("reconciler.live")

T = TypeVar("T")
R = TypeVar("R")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
MAX_BODY_BYTES = 64 * 1024 * 1024  # a list page of 500 records is ~0.5 MB; anything near this is hostile
EXCERPT_CHARS = 200
RATE_MARGIN = 0.97  # pace a little under the learned refill rate: clocks and rounding differ
DEFAULT_USER_AGENT = f"telnyx-10dlc-reconciler/{__version__}"


# --------------------------------------------------------------------------- helpers


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    h = host.strip("[]").lower()
    if h in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def validate_base_url(base_url: str) -> str:
    """Return the normalised base URL or raise ConfigError (never echoing credentials)."""
    if not isinstance(base_url, str) or not base_url.strip():
        raise ConfigError("API base URL is empty")
    try:
        parts = urlsplit(base_url.strip())
        host = parts.hostname
        _ = parts.port  # raises ValueError on a bad port
    except ValueError:
        raise ConfigError("API base URL is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not host:
        raise ConfigError(f"API base URL must be https://HOST/...; got scheme {scheme or '(none)'!r}")
    if parts.username or parts.password:
        raise ConfigError("API base URL must not carry credentials; the key comes from TELNYX_API_KEY")
    if parts.query or parts.fragment:
        raise ConfigError("API base URL must not have a query or fragment")
    if scheme == "http" and not is_loopback_host(host):
        raise ConfigError(
            f"refusing plain http:// to {host}: the API key would travel unencrypted; "
            "use https:// (plain http is allowed only for loopback hosts such as 127.0.0.1)"
        )
    return base_url.strip().rstrip("/")


_TAG_RE = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.S | re.I)
_WS_RE = re.compile(r"\s+")


def excerpt(raw: bytes | str, secret: str | None = None, limit: int = EXCERPT_CHARS) -> str:
    """A short, printable, tag-free excerpt of a body, with the secret scrubbed."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, (bytes, bytearray)) else str(raw)
    text = text[: limit * 20]
    text = _TAG_RE.sub(" ", text)
    text = html.unescape(text)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = _WS_RE.sub(" ", text).strip()
    text = scrub(text, secret)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text or "(empty body)"


def scrub(text: str | None, secret: str | None) -> str | None:
    if text is None or not secret:
        return text
    return text.replace(secret, "[REDACTED]")


def _short(value: Any, secret: str | None, limit: int = 500) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = scrub(text, secret) or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_error(
    call: str, status: int | None, body: bytes, headers: Mapping[str, str] | None, secret: str | None
) -> ApiError:
    """Both Telnyx error shapes (`errors[]`, FastAPI `detail[]`) and `{message}` → one ApiError."""
    request_id = None
    if headers is not None:
        request_id = _short(headers.get("x-request-id") or headers.get("x-telnyx-request-id"), secret, 100)
    code = title = detail = None
    try:
        data = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        data = None
        ctype = (headers or {}).get("content-type", "")
        title = "non-JSON error body" + (f" ({_short(ctype.split(';')[0], secret, 60)})" if ctype else "")
        detail = excerpt(body, secret)
    else:
        if isinstance(data, dict):
            errs = data.get("errors")
            det = data.get("detail")
            if isinstance(errs, list) and errs:
                first = errs[0] if isinstance(errs[0], dict) else {"detail": errs[0]}
                code = _short(first.get("code"), secret, 60)
                title = _short(first.get("title"), secret)
                detail = _short(first.get("detail"), secret)
                src = first.get("source")
                if isinstance(src, dict) and (src.get("pointer") or src.get("parameter")):
                    where = _short(src.get("pointer") or src.get("parameter"), secret, 100)
                    detail = f"{detail} ({where})" if detail else where
                if len(errs) > 1:
                    detail = f"{detail or ''} (+{len(errs) - 1} more error{'s' if len(errs) > 2 else ''})".strip()
            elif isinstance(det, list) and det:
                parts = []
                for item in det[:3]:
                    if isinstance(item, dict):
                        loc = item.get("loc")
                        loc_s = ".".join(str(x) for x in loc) if isinstance(loc, list) else None
                        msg = item.get("msg")
                        parts.append(f"{loc_s}: {msg}" if loc_s else str(msg))
                        if code is None and isinstance(item.get("type"), str):
                            code = item["type"]
                    else:
                        parts.append(str(item))
                title = "validation error"
                detail = "; ".join(parts) + (f" (+{len(det) - 3} more)" if len(det) > 3 else "")
                code = _short(code, secret, 60)
                detail = _short(detail, secret)
            elif isinstance(det, str):
                detail = _short(det, secret)
            elif isinstance(data.get("message"), str):
                title = _short(data["message"], secret)
            else:
                title = "unrecognised error body"
                detail = excerpt(body, secret)
        else:
            title = "unrecognised error body"
            detail = excerpt(body, secret)
    cls = ApiUnavailable if status is not None and (status == 429 or status >= 500) else ApiError
    return cls(call, status, code=code, title=title, detail=detail, request_id=request_id)


def bad_response(call: str, problem: str, status: int | None = 200) -> ApiError:
    """A 2xx whose body does not have the shape the spec promises: nothing may be built on it."""
    return ApiError(call, status, code="invalid_response", title="unexpected response from Telnyx", detail=problem)


# --------------------------------------------------------------------------- rate limiter


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
        limit = _num(headers.get("x-ratelimit-limit"))
        remaining = _num(headers.get("x-ratelimit-remaining"))
        reset = _num(headers.get("x-ratelimit-reset"))
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


def _num(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        f = float(str(value).strip())
    except ValueError:
        return None
    if f != f or f in (float("inf"), float("-inf")):
        return None
    return f


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from Retry-After (seconds form) or x-ratelimit-reset, whichever is longer."""
    waits = []
    for name in ("retry-after", "x-ratelimit-reset"):
        v = _num(headers.get(name))
        if v is not None and v >= 0:
            waits.append(min(v, 3600.0))
    ra_ms = _num(headers.get("retry-after-ms"))
    if ra_ms is not None and ra_ms >= 0:
        waits.append(min(ra_ms / 1000.0, 3600.0))
    return max(waits) if waits else None


# --------------------------------------------------------------------------- the client


def _tls_failure(exc: BaseException) -> str | None:
    """The certificate problem behind a connect error, if that is what it is."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, ssl.SSLCertVerificationError):
            return e.verify_message or str(e)
        if isinstance(e, ssl.SSLError):
            return str(e)
        e = e.__cause__ or e.__context__
    text = str(exc)
    return text if "CERTIFICATE_VERIFY_FAILED" in text else None


class _Ambiguous(Exception):
    """Internal: a write failed in a way that leaves its effect unknown."""


class _ConnectFailed(Exception):
    """Internal: no connection (refused, no such host, timed out connecting): retried briefly only."""


# A server that refuses connections or cannot be found rarely comes back within seconds: two quick
# retries cover a blip, and a wrong URL is reported in seconds, not minutes.
CONNECT_RETRIES = 2


def _connect_problem(exc: BaseException, base_url: str, timeout: float) -> str:
    text = " ".join(str(e) for e in (exc, exc.__cause__, exc.__context__) if e).lower()
    if isinstance(exc, httpx.ConnectTimeout):
        return (f"timed out connecting to {base_url} after {timeout:.0f}s (TLS handshake included: an https:// "
                "URL to a plain-http server can hang like this)")
    if "refused" in text:
        return f"connection refused by {base_url}: nothing listens there (wrong port, or the server is down)"
    if any(m in text for m in ("name or service not known", "nodename nor servname", "getaddrinfo",
                               "temporary failure in name resolution", "no address associated")):
        return f"cannot resolve the host of {base_url} (DNS): check TELNYX_API_BASE_URL / --api-base-url"
    return f"cannot connect to {base_url} ({type(exc).__name__})"


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
        if not isinstance(api_key, str) or not api_key.strip():
            raise ConfigError("TELNYX_API_KEY is not set")
        if any(ch in api_key for ch in "\r\n") or not api_key.isprintable():
            raise ConfigError("TELNYX_API_KEY contains control characters")
        if not (timeout and timeout > 0):
            raise ConfigError("timeout must be a positive number of seconds")
        if concurrency < 1:
            raise ConfigError("concurrency must be at least 1")
        self.__key = api_key.strip()
        self.timeout = float(timeout)
        self.concurrency = int(concurrency)
        self.max_retries = max(0, int(max_retries))
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._deadline_at: float | None = None
        self.set_deadline(deadline)
        self.limiter = RateLimiter()
        self._slots = threading.BoundedSemaphore(self.concurrency)
        self._lock = threading.Lock()
        self.counters: Counter[str] = Counter()  # "GET /10dlc/phone_number_campaigns" -> requests sent
        self.status_counts: Counter[int] = Counter()
        self.retries = 0
        self.hints: dict[str, Any] = {}  # learned API behaviour (pagination), see pagination.py
        # Telnyx's clock minus ours, from the last `Date` header: ages of work in flight are
        # measured on the API's clock (a CI runner's clock can be off; the sandbox's is virtual).
        self._server_offset: float | None = None
        host = urlsplit(self.base_url).hostname
        self._http = httpx.Client(
            headers={
                "Authorization": f"Bearer {self.__key}",
                "Accept": "application/json",
                "User-Agent": user_agent,
            },
            timeout=httpx.Timeout(self.timeout),
            limits=httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency),
            transport=transport,
            follow_redirects=False,
            verify=True,
            trust_env=not is_loopback_host(host),
        )

    # ---- hygiene
    def __repr__(self) -> str:
        return f"TelnyxClient(base_url={self.base_url!r}, concurrency={self.concurrency})"

    def __reduce__(self):  # never pickle the key anywhere
        raise TypeError("TelnyxClient cannot be pickled")

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "TelnyxClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _scrub(self, text: str | None) -> str | None:
        return scrub(text, self.__key)

    # ---- deadline
    def set_deadline(self, seconds: float | None) -> None:
        """Every call after `seconds` from now raises ApiUnavailable('deadline exceeded')."""
        self._deadline_at = None if seconds is None else time.monotonic() + max(0.0, float(seconds))

    def remaining_time(self) -> float | None:
        return None if self._deadline_at is None else self._deadline_at - time.monotonic()

    def _check_deadline(self, call: str) -> None:
        rem = self.remaining_time()
        if rem is not None and rem <= 0:
            raise ApiUnavailable(call, None, code="deadline", title="deadline exceeded")

    def _sleep(self, call: str, seconds: float) -> None:
        rem = self.remaining_time()
        if rem is not None and seconds >= rem:
            raise ApiUnavailable(call, None, code="deadline", title="deadline exceeded",
                                 detail=f"the next retry would come after the deadline ({rem:.1f}s left)")
        if seconds > 0:
            time.sleep(seconds)

    def _backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.backoff_cap, self.backoff_base * (2**attempt)))

    # ---- the API's clock
    def server_now(self) -> float:
        """Now on the API's clock (epoch seconds), as its last `Date` header said; ours until one came."""
        offset = self._server_offset
        return time.time() + (offset or 0.0)

    def _learn_date(self, headers: Mapping[str, str]) -> None:
        raw = headers.get("date")
        if not raw:
            return
        try:
            when = parsedate_to_datetime(raw).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return  # an odd Date header is not worth failing a request over
        # +0.5: a Date header is truncated to the second
        self._server_offset = when + 0.5 - time.time()

    # ---- counting
    def count(self, call: str) -> int:
        with self._lock:
            return self.counters[call]

    def total_requests(self) -> int:
        with self._lock:
            return sum(self.counters.values())

    def reset_counters(self) -> None:
        with self._lock:
            self.counters.clear()
            self.status_counts.clear()
            self.retries = 0

    # ---- the one request path
    def url_for(self, template: str, path: Mapping[str, str] | None = None) -> str:
        p = template
        for k, v in (path or {}).items():
            if not isinstance(v, str) or not v:
                raise ValueError(f"path parameter {k} must be a non-empty string")
            p = p.replace("{" + k + "}", quote(v, safe=""))
        if "{" in p:
            raise ValueError(f"unfilled path parameter in {template}")
        return self.base_url + p

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
            self._check_deadline(call)
            try:
                status, headers, body = self._attempt(call, method, url, params, json_body)
            except _Ambiguous as exc:
                reason = str(exc)
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
                self._sleep(call, 0.5 * connect_failures)
                continue

            if 200 <= status < 300:
                return status, self._parse_json(call, status, body, headers)
            if status in allow:
                try:
                    return status, json.loads(body) if body else None
                except ValueError:
                    return status, None
            err = parse_error(call, status, body, headers, self.__key)
            if status in RETRY_STATUSES:
                if status == 429:
                    wait_s = _retry_after(headers)
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
        if attempt >= self.max_retries:
            if err is not None:
                raise ApiUnavailable(call, err.status, code=err.code, title=err.title,
                                     detail=f"{err.detail or reason} (gave up after {attempt + 1} attempts)",
                                     request_id=err.request_id)
            raise ApiUnavailable(call, None, code="unreachable", title=self._scrub(reason),
                                 detail=f"gave up after {attempt + 1} attempts")
        delay = self._backoff(attempt)
        if min_wait is not None:
            delay = min_wait + random.uniform(0, min(1.0, 0.1 + min_wait * 0.1))
        with self._lock:
            self.retries += 1
        log.info("%s: %s; retry %d/%d in %.2fs", call, reason, attempt + 1, self.max_retries, delay)
        self._sleep(call, delay)
        return attempt + 1

    def _attempt(self, call, method, url, params, json_body) -> tuple[int, httpx.Headers, bytes]:
        rem = self.remaining_time()
        attempt_timeout = self.timeout if rem is None else max(0.001, min(self.timeout, rem))
        deadline_at = time.monotonic() + attempt_timeout
        if not self._slots.acquire(timeout=attempt_timeout if rem is not None else None):
            raise ApiUnavailable(call, None, code="deadline", title="deadline exceeded")
        try:
            ticket = self.limiter.acquire(self._deadline_at)
        except TimeoutError:
            self._slots.release()
            raise ApiUnavailable(call, None, code="deadline", title="deadline exceeded",
                                 detail="waiting for the rate limit would pass the deadline") from None
        except BaseException:
            self._slots.release()
            raise
        headers = None
        status = None
        try:
            headers = None
            status = None
            try:
                with self._lock:
                    self.counters[call] += 1
                req = self._http.build_request(
                    method, url, params=params, json=json_body,
                    timeout=httpx.Timeout(attempt_timeout),
                )
                log.debug("%s", call)
                try:
                    resp = self._http.send(req, stream=True)
                except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                    tls = _tls_failure(exc)
                    if tls:
                        # A certificate that does not verify, or a server that does not speak TLS,
                        # will not change on retry: say which, at once.
                        plain = any(m in tls for m in ("WRONG_VERSION_NUMBER", "record layer", "wrong version"))
                        raise ApiUnavailable(
                            call, None, code="tls",
                            title="TLS handshake failed" if plain else "TLS certificate verification failed",
                            detail=(f"{self.base_url} does not answer in TLS: is it a plain http:// server (the "
                                    f"sandbox is)? ({tls})") if plain else f"{self.base_url}: {tls}") from None
                    if isinstance(exc, httpx.PoolTimeout):
                        raise _SafeRetry(f"cannot connect ({type(exc).__name__})") from None
                    raise _ConnectFailed(_connect_problem(exc, self.base_url, attempt_timeout)) from None
                try:
                    status = resp.status_code
                    headers = resp.headers
                    self._learn_date(headers)
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
                if isinstance(exc, httpx.TimeoutException):
                    what = f"timed out after {attempt_timeout:.1f}s ({what})"
                else:
                    what = f"connection failed ({what})"
                raise _Ambiguous(what) from None
            with self._lock:
                self.status_counts[status] += 1
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
            return json.loads(body)
        except (ValueError, UnicodeDecodeError):
            ctype = headers.get("content-type", "")
            raise ApiError(call, status, code="invalid_response",
                           title=f"response is not JSON ({self._scrub(ctype.split(';')[0]) or 'no content-type'})",
                           detail=excerpt(body, self.__key)) from None

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

    # ---- pagination (see pagination.py)
    def iter_10dlc(self, template: str, params=None, page_size: int = 500, **kw: Any):
        from .pagination import iter_10dlc
        return iter_10dlc(self, template, params, page_size=page_size, **kw)

    def iter_classic(self, template: str, params=None, page_size: int = 250, **kw: Any):
        from .pagination import iter_classic
        return iter_classic(self, template, params, page_size=page_size, **kw)

    # ---- bounded concurrency
    def map_concurrent(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """`[fn(x) for x in items]`, run on up to `concurrency` threads; results in input order.

        The first exception cancels what has not started and is re-raised. In-flight HTTP
        requests stay bounded by the client's semaphore even when calls nest.
        """
        items = list(items)
        if len(items) <= 1 or self.concurrency == 1:
            return [fn(x) for x in items]
        results: list[Any] = [None] * len(items)
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(items)),
                                thread_name_prefix="telnyx") as pool:
            futs = {pool.submit(fn, x): i for i, x in enumerate(items)}
            done, pending = wait(futs, return_when=FIRST_EXCEPTION)
            for f in done:
                if f.exception() is not None:
                    for p in pending:
                        p.cancel()
                    raise f.exception()  # type: ignore[misc]
            for f, i in futs.items():
                results[i] = f.result()
        return results


class _SafeRetry(Exception):
    """Internal: the request provably never reached the server (connect failed)."""
