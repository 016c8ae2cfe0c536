"""The GitHub REST client of the `reconciler ci` helpers: one that holds up, on httpx.

It reads GITHUB_API_URL (default https://api.github.com), GITHUB_TOKEN and GITHUB_REPOSITORY from
the environment, as GitHub Actions sets them, so the tests can point it at a fake GitHub on
loopback. The token is sent only in the Authorization header, only to the API's own scheme and
host, and never printed. Which comments and issues are ours (markers, our login, the sticky
comment) is `marked.py`, on top of this client.

What a scheduled job needs from it (issue 21 item 6), all in `_send`, the one request path:

- **retries** with exponential backoff and full jitter on 5xx answers and dropped connections, and
  on GitHub's primary and secondary rate limits (429, or 403 with `x-ratelimit-remaining: 0` or a
  "secondary rate limit" message), waiting what `Retry-After` or `x-ratelimit-reset` says. Every
  POST the helpers make is safe to repeat (the sticky comment folds duplicates, the drift issue
  closes them, a commit status is last-wins), so 5xx is retried for every method;
- a **total deadline per call** (every attempt, every wait and the body together; a body dripping
  in byte by byte is cut off at the deadline), and a wait the deadline cannot hold fails at once,
  saying when the limit resets;
- a **page cap** on every list (`paginate` raises past it; `pages` says it was cut);
- **https only**, plain http only to a loopback host (the tests' fake GitHub), never `file:` or
  anything else: for the API URL, every `Link` and every download redirect;
- **bounded bodies**: a JSON answer over 32 MiB, a download over its bound, are refused; an error
  body is read only as far as its first 64 KiB;
- **the URL named in every error** (scheme, host and path; never the token).

httpx is the one third-party library here, and this module is the only one in `reconciler/ci/`
that imports it (`.importlinter`, contract `httpx-in-ci-github`): it brings real per-phase
timeouts, streaming reads, connection reuse and no redirect following by default, which the
standard library's urllib does not (urllib followed a `file://` redirect and read whole bodies).
"""

from __future__ import annotations

import email.utils
import json
import os
import random
import re
import time
import urllib.parse
from typing import Any, Callable, Iterator

import httpx

from reconciler.ci.actions import CIError, say
from reconciler.live.urls import is_loopback_host  # one loopback rule for the Telnyx and GitHub clients


class GitHubError(CIError):
    """GitHub refused or could not be reached (exit 1); `status` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


DEFAULT_API = "https://api.github.com"
DEADLINE = 120.0  # seconds for one call: every attempt, wait and body
DOWNLOAD_DEADLINE = 600.0
ATTEMPTS = 6
BACKOFF, BACKOFF_CAP = 1.0, 30.0
MAX_PAGES = 100
MAX_JSON = 32 * 1024 * 1024
MAX_ERROR_BODY = 64 * 1024
MAX_DOWNLOAD = 512 * 1024 * 1024
def check_url(url: str, what: str = "GitHub API URL") -> urllib.parse.SplitResult:
    """https, or plain http to a loopback host; nothing else (no file:, no credentials in the URL)."""
    try:
        parts = urllib.parse.urlsplit(url)
        _ = parts.port
    except ValueError:
        raise GitHubError(f"{what} is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.hostname:
        raise GitHubError(f"{what} must be https://HOST/...; refusing scheme {scheme or '(none)'!r}")
    if parts.username or parts.password:
        raise GitHubError(f"{what} must not carry credentials")
    if scheme == "http" and not is_loopback_host(parts.hostname):
        raise GitHubError(f"{what}: refusing plain http:// to {parts.hostname} (the token would travel in clear "
                          "text); plain http is allowed only to a loopback host")
    return parts


def shown(url: str) -> str:
    """The URL as an error names it: scheme, host and path (no query, never a token)."""
    p = urllib.parse.urlsplit(url)
    return f"{p.scheme}://{p.netloc.rsplit('@', 1)[-1]}{p.path}"


class _Retry(Exception):
    def __init__(self, why: str, wait: float | None = None, status: int | None = None) -> None:
        super().__init__(why)
        self.why, self.wait, self.status = why, wait, status


class GitHub:
    def __init__(self, api_url: str | None = None, token: str | None = None, repository: str | None = None, *,
                 deadline: float = DEADLINE, attempts: int = ATTEMPTS, max_pages: int = MAX_PAGES,
                 backoff: float = BACKOFF, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time,
                 transport: httpx.BaseTransport | None = None, anonymous: bool = False) -> None:
        self.api_url = (api_url or os.environ.get("GITHUB_API_URL") or DEFAULT_API).rstrip("/")
        self.token = token if token is not None else os.environ.get("GITHUB_TOKEN", "")
        self.repository = repository or os.environ.get("GITHUB_REPOSITORY", "")
        check_url(self.api_url, "GITHUB_API_URL")
        if not self.token and not anonymous:
            raise GitHubError("GITHUB_TOKEN is not set (pass `env: GITHUB_TOKEN: ${{ github.token }}` to the step)")
        if self.repository.count("/") != 1:
            raise GitHubError("GITHUB_REPOSITORY is not set to owner/name")
        self.deadline, self.attempts, self.max_pages, self.backoff = deadline, attempts, max_pages, backoff
        self.sleep, self.clock, self.wall = sleep, clock, wall
        self.retries = 0  # how many attempts were repeated (for tests and logs)
        self._http = httpx.Client(follow_redirects=False, transport=transport, trust_env=False,
                                  headers={"User-Agent": "telnyx-10dlc-reconciler-ci",
                                           "X-GitHub-Api-Version": "2022-11-28"})

    def close(self) -> None:
        """Close the pooled connections (also when the client is collected: a helper is one short process)."""
        http = self.__dict__.pop("_http", None)
        if http is not None:
            http.close()

    def __enter__(self) -> "GitHub":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finaliser
            pass

    # ------------------------------------------------------------------ transport

    def _send(self, method: str, url: str, body: Any = None, *, accept: str = "application/vnd.github+json",
              token: bool = True, max_bytes: int = MAX_JSON, deadline: float | None = None
              ) -> tuple[int, dict[str, str], bytes]:
        """One call: attempts until an answer that is not retried, within the deadline. Returns a 2xx or
        3xx answer (status, lower-case headers, body); raises GitHubError for the rest, naming the URL."""
        check_url(url, "URL")
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": accept}
        if token and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if data is not None:
            headers["Content-Type"] = "application/json"
        end = self.clock() + (deadline or self.deadline)
        where = f"{method} {shown(url)}"
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(method, url, data, headers, end, max_bytes, where)
            except _Retry as r:
                left = end - self.clock()
                if attempt >= self.attempts:
                    raise GitHubError(f"GitHub API {where} failed after {attempt} attempts: {r.why}", r.status) from None
                wait = r.wait if r.wait is not None else random.uniform(0, min(BACKOFF_CAP, self.backoff * 2 ** (attempt - 1)))
                if wait >= left:
                    raise GitHubError(f"GitHub API {where} failed: {r.why}; waiting {wait:.0f} s more would pass the "
                                      f"{deadline or self.deadline:.0f} s deadline", r.status) from None
                say(f"notice: GitHub API {where}: {r.why}; retrying in {wait:.1f} s "
                    f"(attempt {attempt + 1} of {self.attempts})")
                self.retries += 1
                self.sleep(max(wait, 0.0))

    def _attempt(self, method: str, url: str, data: bytes | None, headers: dict[str, str], end: float,
                 max_bytes: int, where: str) -> tuple[int, dict[str, str], bytes]:
        left = end - self.clock()
        if left <= 0:
            raise GitHubError(f"GitHub API {where}: no answer within the deadline")
        timeout = httpx.Timeout(min(30.0, left), connect=min(10.0, left))
        try:
            with self._http.stream(method, url, content=data, headers=headers, timeout=timeout) as resp:
                status = resp.status_code
                got = {k.lower(): v for k, v in resp.headers.items()}
                ok = status < 400
                limit = max_bytes if ok else MAX_ERROR_BODY
                length = got.get("content-length", "")
                if ok and length.isdigit() and int(length) > limit:
                    raise GitHubError(f"GitHub API {where}: the answer is {int(length)} bytes, over the "
                                      f"{limit}-byte bound", status)
                raw = self._read(resp, limit, end, where, truncate=not ok)
        except httpx.TimeoutException:
            raise _Retry("timed out") from None
        except httpx.TransportError as e:
            raise _Retry(f"connection failed ({type(e).__name__})") from None
        if ok:
            return status, got, raw
        detail = raw.decode("utf-8", "replace")
        try:
            detail = str(json.loads(detail).get("message") or detail)
        except (ValueError, AttributeError):
            pass
        detail = " ".join((detail.replace(self.token, "***") if self.token else detail).split())[:300]
        wait = self._rate_limited(status, got, detail)
        if wait is not None:
            raise _Retry(f"rate limited (HTTP {status})", wait, status)
        if status >= 500:
            raise _Retry(f"HTTP {status} {detail}".strip(), None, status)
        raise GitHubError(f"GitHub API {where} failed: HTTP {status} {detail}".rstrip(), status)

    def _read(self, resp: httpx.Response, limit: int, end: float, where: str, truncate: bool) -> bytes:
        buf = bytearray()
        for chunk in resp.iter_bytes():
            buf += chunk
            if len(buf) > limit:
                if truncate:
                    return bytes(buf[:limit])
                raise GitHubError(f"GitHub API {where}: the answer is over the {limit}-byte bound")
            if self.clock() > end:
                raise GitHubError(f"GitHub API {where}: the answer did not finish within the deadline "
                                  f"({len(buf)} bytes so far)")
        return bytes(buf)

    def _rate_limited(self, status: int, headers: dict[str, str], detail: str) -> float | None:
        """Seconds to wait when GitHub says a rate limit was hit (primary or secondary); None otherwise."""
        secondary = "secondary rate limit" in detail.lower() or "abuse" in detail.lower()
        primary = headers.get("x-ratelimit-remaining") == "0"
        if status not in (403, 429) or not (status == 429 or secondary or primary or "retry-after" in headers):
            return None
        after = headers.get("retry-after", "").strip()
        if after.isdigit():
            return float(after)
        if after:
            try:
                return max(0.0, email.utils.parsedate_to_datetime(after).timestamp() - self.wall())
            except (TypeError, ValueError):
                pass
        reset = headers.get("x-ratelimit-reset", "").strip()
        if primary and reset.isdigit():
            return max(0.0, int(reset) - self.wall()) + 1.0
        return 60.0 if secondary else None  # GitHub: wait at least a minute after a secondary limit

    def _open(self, method: str, url: str, body: Any = None, accept: str = "application/vnd.github+json"
              ) -> tuple[int, dict[str, str], bytes]:
        status, headers, raw = self._send(method, url, body, accept=accept)
        if 300 <= status < 400:  # never followed with the token: it must not leave GitHub's API host
            raise GitHubError(f"GitHub API {method} {shown(url)} answered HTTP {status} (a redirect): not followed "
                              "with the token", status)
        return status, headers, raw

    def url(self, path: str) -> str:
        path = path.replace("{repo}", self.repository)
        if "://" not in path:
            return f"{self.api_url}{path}"
        # An absolute URL (a `Link` header) is followed only on the API's own scheme and host.
        want, got = urllib.parse.urlsplit(self.api_url), urllib.parse.urlsplit(path)
        if (got.scheme, got.netloc) != (want.scheme, want.netloc):
            raise GitHubError(f"refusing to send the token to {got.scheme}://{got.netloc} (not {want.netloc})")
        return path

    def request(self, method: str, path: str, body: Any = None) -> Any:
        url = self.url(path)
        _, _, raw = self._open(method, url, body)
        try:
            return json.loads(raw) if raw.strip() else None
        except ValueError:
            raise GitHubError(f"GitHub API {method} {shown(url)}: the answer is not JSON") from None

    def paginate(self, path: str, key: str | None = None) -> Iterator[Any]:
        """Every item of a list endpoint, following `Link: <...>; rel="next"`; more than the page cap is an
        error (an endless chain of links must not run a job forever)."""
        listing = self.pages(path, key, self.max_pages)
        if listing.truncated:
            raise GitHubError(f"GitHub API GET {shown(listing.pages_read[0])}: more than {self.max_pages} pages; "
                              "refusing to read on")
        yield from listing

    def pages(self, path: str, key: str | None = None, max_pages: int | None = None) -> "Listing":
        """Every item of a list endpoint up to `max_pages` pages; `.truncated` says whether more were left."""
        cap = max_pages or self.max_pages
        out = Listing()
        sep = "&" if "?" in path else "?"
        url: str | None = self.url(path if "per_page=" in path else f"{path}{sep}per_page=100")
        while url:
            if len(out.pages_read) >= cap:
                out.truncated = True
                break
            _, headers, raw = self._open("GET", url)
            try:
                page = json.loads(raw)
                items = page[key] if key else page
            except (ValueError, KeyError, TypeError):
                raise GitHubError(f"GitHub API GET {shown(url)}: not the list expected") from None
            if not isinstance(items, list):
                raise GitHubError(f"GitHub API GET {shown(url)}: not the list expected")
            out.pages_read.append(url)
            out.extend(items)
            nxt = _next_link(headers.get("link", ""))
            url = self.url(nxt) if nxt else None
        return out

    def default_branch(self) -> str:
        """The repository's default branch, as GitHub says it (an event may not carry it: a schedule's does not)."""
        branch = str((self.request("GET", "/repos/{repo}") or {}).get("default_branch") or "")
        if not re.fullmatch(r"[A-Za-z0-9._/-]{1,200}", branch):
            raise GitHubError("GitHub names no default branch for the repository")
        return branch

    def download(self, path: str, max_bytes: int | None = None) -> bytes:
        """A binary download (artifact zips), at most `max_bytes`. GitHub answers with a redirect to short-lived
        storage; the redirect is followed once, *without* the token (which must never leave GitHub's API
        host), and only to https (plain http only on loopback; never file:)."""
        url = self.url(path)
        bound = max_bytes or MAX_DOWNLOAD
        status, headers, raw = self._send("GET", url, max_bytes=bound, deadline=DOWNLOAD_DEADLINE)
        if status < 300:
            return raw
        location = headers.get("location") if status in (301, 302, 303, 307, 308) else None
        if not location:
            raise GitHubError(f"GitHub API GET {shown(url)} answered HTTP {status} without a Location", status)
        location = urllib.parse.urljoin(url, location)
        check_url(location, "the artifact's download URL")
        status, _, raw = self._send("GET", location, token=False, accept="*/*", max_bytes=bound,
                                    deadline=DOWNLOAD_DEADLINE)
        if status >= 300:
            raise GitHubError(f"artifact download {shown(location)} answered HTTP {status}: not followed", status)
        return raw


def resolve_commit(repository: str, ref: str) -> str:
    """The commit a tag or branch of `repository` names now (GET /repos/{repo}/commits/{ref}), with
    GITHUB_TOKEN when set, anonymously otherwise; GitHubError when GitHub cannot say."""
    gh = GitHub(repository=repository, anonymous=True, deadline=30, attempts=3)
    try:
        _, _, raw = gh._open("GET", gh.url(f"/repos/{{repo}}/commits/{urllib.parse.quote(ref, safe='')}"),
                             accept="application/vnd.github.sha")
    finally:
        gh.close()
    sha = raw.decode("ascii", "replace").strip()
    if not re.fullmatch(r"[0-9a-f]{40}", sha):
        raise GitHubError(f"GitHub named no commit for {repository}@{ref[:80]}")
    return sha


class Listing(list):
    """A list read page by page: `truncated` when the page cap stopped it."""

    def __init__(self) -> None:
        super().__init__()
        self.truncated = False
        self.pages_read: list[str] = []


def _next_link(link: str) -> str | None:
    for part in link.split(","):
        bits = part.split(";")
        if len(bits) >= 2 and 'rel="next"' in bits[1]:
            return bits[0].strip().strip("<>")
    return None
