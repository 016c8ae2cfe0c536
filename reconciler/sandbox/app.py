"""One request in, one response out: auth, rate limit, faults, counters, then the handlers.

Transport-agnostic (the HTTP server in `http.py` calls `App.handle`), and single-threaded: all
of it runs on the server's event loop, so the world needs no locks.
"""

from __future__ import annotations

import random
import sys
import traceback
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl

from reconciler.sandbox import domain as D
from reconciler.sandbox import errors as E
from reconciler.sandbox.admin import Admin
from reconciler.sandbox.api import ROUTER, dispatch
from reconciler.sandbox.engine import World
from reconciler.sandbox.ratelimit import TokenBucket
from reconciler.sandbox.responses import Response, json_response

JSON = "application/json"
REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    411: "Length Required",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


# The writes whose answer mode write_fault=after loses once it has taken effect.
FAULTY_WRITES = frozenset({"CreatePhoneNumberCampaign", "PutPhoneNumberCampaign", "DeletePhoneNumberCampaign",
                           "PostAssignMessagingProfileToCampaign"})


def error_response(err: E.ApiError, headers: list[tuple[str, str]] | None = None) -> Response:
    return json_response(err.status, err.body(), headers)


@dataclass
class Config:
    api_key: str = "sandbox-key"
    allow_remote: bool = False  # served beyond loopback: the admin surface then needs the key too
    rate_limit: float | None = None
    latency_ms: float = 0.0
    fail_rate: float = 0.0
    random_seed: int = 0


def _host_name(host: str) -> str:
    """The name in a `Host` header, without its port: `[::1]:8080` → `::1`, `localhost:80` → `localhost`."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class Counters:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.by_operation: dict[str, int] = {}
        self.writes = 0
        self.reads = 0
        self.status: dict[str, int] = {}

    def snapshot(self) -> dict[str, Any]:
        return {
            "by_operation": dict(self.by_operation),
            "writes": self.writes,
            "reads": self.reads,
            "status": dict(self.status),
        }


SANDBOX_HEADER = "X-Telnyx-Sandbox"


class App:
    def __init__(self, world: World, config: Config) -> None:
        self.world = world
        self.config = config
        self.counters = Counters()
        self.bucket = TokenBucket(config.rate_limit) if config.rate_limit else None
        self.fault_rng = random.Random(config.random_seed)
        self.write_faults: dict[str, int] = {}  # mode write_fault: writes seen per operation
        self.admin = Admin(self)

    def authorized(self, auth: str) -> bool:
        """`Authorization: Bearer <key>` (the scheme case-insensitive, the key exact)."""
        return auth.lower()[:7] == "bearer " and auth[7:].strip() == self.config.api_key

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Response:
        response = self._handle(method, target, headers, body)
        response.headers.append(("Date", self.http_date()))
        # Says this is the sandbox and how its clock runs, so a client waiting on it can say that
        # `reconciler sandbox advance` moves a clock that stands still. Telnyx sends no such header.
        scale = self.world.clock.scale
        response.headers.append((SANDBOX_HEADER, "clock=frozen" if scale == 0 else f"clock=x{scale:g}"))
        return response

    def http_date(self) -> str:
        """`Date` from the VIRTUAL clock (RFC 7231 IMF-fixdate), so that a client measuring
        how long a record has been pending measures virtual time. The HTTP server adds none."""
        return formatdate(self.world.clock.now(), usegmt=True)

    def _handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Response:
        path, _, query = target.partition("?")
        try:
            self.world.tick()
            if path.startswith("/v2/") or path == "/v2":
                return self._api(method, path[3:], query, headers, body)
            if path.startswith("/_admin/"):
                refused = self.admin_refusal(method, headers)  # the server asked before reading the body
                if refused is not None:
                    return error_response(refused)
                return self.admin.handle(method, path, body)
            return error_response(E.not_found(f"No such path {path}; the API lives under /v2"))
        except E.ApiError as err:
            return error_response(err)
        except D.DomainError as err:  # a refusal from the world outside `api.dispatch` (the admin surface)
            return error_response(E.from_domain(err))
        except Exception:  # a sandbox bug: say so loudly, answer like a server would
            traceback.print_exc(file=sys.stderr)
            return error_response(E.ApiError(500, E.UNEXPECTED, "Unexpected error in the sandbox"))

    def admin_refusal(self, method: str, headers: dict[str, str]) -> E.ApiError | None:
        """The admin surface reseeds and rewrites the world: only for this machine's own tools.
        Asked by the HTTP server from the request's head, before a byte of its body is read.

        A web page can make a browser POST a form or a `text/plain` fetch to 127.0.0.1 with no
        CORS preflight, or rebind a name to it: so the `Host` must be a loopback name and every
        POST, PUT and PATCH must say `application/json`, with a body or without (a browser sends
        that only after a preflight, which the sandbox never grants). Served beyond loopback, the
        key is required too."""
        h = {k.lower(): v for k, v in headers.items()}
        host = _host_name(h.get("host", ""))
        if not self.config.allow_remote and host not in ("127.0.0.1", "localhost", "::1"):
            return E.ApiError(403, E.AUTH_FAILED, f"admin requests must be addressed to a loopback host, not {host[:60]!r}")
        if method in ("POST", "PUT", "PATCH") and \
                h.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return E.ApiError(415, E.BAD_REQUEST, "admin POST, PUT and PATCH requests must be application/json")
        if self.config.allow_remote and not self.authorized(h.get("authorization", "")):
            return E.ApiError(401, E.AUTH_FAILED, "the admin surface of a sandbox served beyond loopback needs the key")
        return None

    def _api(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Response:
        operation, params, path_exists = ROUTER.match(method, path)
        counters = self.counters
        if operation is not None:
            counters.by_operation[operation.op_id] = counters.by_operation.get(operation.op_id, 0) + 1
            if method == "GET":
                counters.reads += 1
            else:
                counters.writes += 1
        response = self._api_inner(method, path, query, headers, body, operation, params, path_exists)
        key = str(response.status)
        counters.status[key] = counters.status.get(key, 0) + 1
        if self.config.latency_ms:
            response.delay = self.config.latency_ms / 1000.0
        return response

    def _api_inner(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes, operation: Any, params: dict[str, str], path_exists: bool) -> Response:
        if not self.authorized(headers.get("authorization", "")):
            return error_response(
                E.ApiError(401, E.AUTH_FAILED, "Missing or invalid API key: send Authorization: Bearer <API key>")
            )
        rl_headers: list[tuple[str, str]] = []
        if self.bucket is not None:
            admitted, rl_headers = self.bucket.take()
            if not admitted:
                return json_response(
                    429,
                    {
                        "errors": [
                            {
                                "code": E.TOO_MANY_REQUESTS,
                                "title": "Too many requests",
                                "detail": "You have exceeded the maximum number of allowed requests.",
                            }
                        ]
                    },
                    rl_headers,
                )
        if operation is None:
            if path_exists:
                return error_response(E.ApiError(405, E.BAD_REQUEST, f"Method {method} is not allowed on /v2{path}"), rl_headers)
            # An SDK user's first call is often outside the subset (GET /v2/phone_numbers): keep Telnyx's
            # 404 and code, which a client must handle, but say why, so "Resource not found" does not read
            # as a missing number or a broken sandbox.
            return error_response(E.not_found(
                f"No such path /v2{path} in this sandbox: it serves only the Telnyx 10DLC subset the reconciler "
                "uses (the list: docs/sandbox.md, \"What it serves\")"), rl_headers)
        if self.config.fail_rate and self.fault_rng.random() < self.config.fail_rate:
            # An injected 5xx happens before any effect, so a retry is always safe.
            payload: dict[str, Any] = {
                "errors": [{"code": E.UNEXPECTED, "title": "Unexpected error", "detail": "Injected failure (--fail-rate)"}]
            }
            if operation.op_id == "PostAssignMessagingProfileToCampaign":
                payload["message"] = "Error searching for phone numbers"  # that operation's 500 shape
            return json_response(500, payload, rl_headers)
        try:
            pairs = parse_qsl(query, keep_blank_values=True) if query else []
            status, payload = dispatch(self.world, operation, params, pairs, body, headers.get("content-type"))
        except E.ApiError as err:
            return error_response(err, rl_headers)
        lost = self._lost_answer(operation.op_id)
        if lost is not None:
            return json_response(lost, {"errors": [{"code": E.UNEXPECTED, "title": "Unexpected error",
                                                    "detail": "Injected failure after the write (mode write_fault)"}]},
                                 rl_headers)
        return json_response(status, payload, rl_headers)

    def _lost_answer(self, op_id: str) -> int | None:
        """Mode write_fault=after: the 1st, 3rd, … write of each 10DLC assignment operation took
        effect, and its answer is a 500 (then a 504 the next odd time)."""
        if op_id not in FAULTY_WRITES or self.world.modes["write_fault"] != "after":
            return None
        seen = self.write_faults[op_id] = self.write_faults.get(op_id, 0) + 1
        if seen % 2 == 0:
            return None
        return 500 if seen % 4 == 1 else 504
