"""Why a connection failed, in words a user can act on: a certificate, TLS spoken to plain http,
nothing listening, a host DNS does not know, a connect that timed out.

The transport catches the connect error; this module only reads it (the exception, its cause and
context chain), so it needs no httpx and holds no key: the texts name the base URL, never a header.
"""

from __future__ import annotations

import ssl

from reconciler.errors import ApiUnavailable

# What resolvers say when the host has no address (glibc, macOS, Python's socket module).
DNS_FAILURES = ("name or service not known", "nodename nor servname", "getaddrinfo",
                "temporary failure in name resolution", "no address associated")
# What OpenSSL says when the other end answers a TLS hello in plain text.
PLAIN_HTTP = ("WRONG_VERSION_NUMBER", "record layer", "wrong version")


def tls_failure(exc: BaseException) -> str | None:
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


def tls_refusal(call: str, base_url: str, tls: str) -> ApiUnavailable:
    """The error for a TLS failure: a certificate that does not verify, or a server that does not
    speak TLS, will not change on retry, so it is said at once, naming which."""
    if any(m in tls for m in PLAIN_HTTP):
        return ApiUnavailable(call, None, code="tls", title="TLS handshake failed",
                              detail=f"{base_url} does not answer in TLS: is it a plain http:// server (the "
                                     f"sandbox is)? ({tls})")
    return ApiUnavailable(call, None, code="tls", title="TLS certificate verification failed",
                          detail=f"{base_url}: {tls}")


def connect_problem(exc: BaseException, base_url: str, timeout: float, *, timed_out: bool) -> str:
    """What a failed connect means (`timed_out`: the connect itself ran out of time)."""
    text = " ".join(str(e) for e in (exc, exc.__cause__, exc.__context__) if e).lower()
    if timed_out:
        hint = (" (TLS handshake included: an https:// URL to a plain-http server can hang like this)"
                if base_url.startswith("https://") else "")
        return f"timed out connecting to {base_url} after {timeout:.0f}s{hint}"
    if "refused" in text:
        return f"connection refused by {base_url}: nothing listens there (wrong port, or the server is down)"
    if any(m in text for m in DNS_FAILURES):
        return f"cannot resolve the host of {base_url} (DNS): check TELNYX_API_BASE_URL / --api-base-url"
    return f"cannot connect to {base_url} ({type(exc).__name__})"


__all__ = ["connect_problem", "tls_failure", "tls_refusal"]
