"""One HTTP POST to a receiver, protecting the server: the host is resolved once and every
address it resolves to must be public (in production), the request goes to that address (so a
second DNS answer cannot point it elsewhere), no redirect is followed, the time is bounded and
only the first 2 KB of the answer are read."""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import HTTPError

from comarketing.db import utcnow

EXCERPT_BYTES = 2048
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


class Refused(Exception):
    """The URL may not be called (scheme, host, or an address that is not public)."""


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer (refused, timeout, connection error)
    excerpt: bytes = b""
    latency_ms: int | None = None
    error: str = ""
    retry_after: float | None = None  # seconds, from a Retry-After header
    refused: bool = False  # never sent: the URL or its address is not allowed

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def check_url(url: str, *, allow_http_loopback: bool) -> None:
    """The shape of an endpoint URL: https (or http to a loopback host when allowed), a host,
    no credentials. Addresses are checked when delivering (:func:`resolve`)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise Refused("This is not a valid URL.") from exc
    if not parts.hostname:
        raise Refused("Give the full URL, starting with https://.")
    if parts.username or parts.password:
        raise Refused("Leave credentials out of the URL.")
    if parts.fragment:
        raise Refused("Leave the #fragment out of the URL.")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and allow_http_loopback and parts.hostname in LOOPBACK_NAMES:
        return
    raise Refused("The URL must start with https://.")


def address_allowed(address: str, *, allow_loopback: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if allow_loopback and ip.is_loopback:
        return True
    # Private, loopback, link-local (cloud metadata at 169.254.169.254), shared, reserved and
    # multicast addresses are none of them global.
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int, *, allow_loopback: bool) -> str:
    """The address to connect to; refused if any address the name has is not allowed (a name
    resolving to one public and one private address is not trusted either)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise ConnectionError(f"The host name could not be resolved ({host}).") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise ConnectionError(f"The host name has no address ({host}).")
    for address in addresses:
        if not address_allowed(address, allow_loopback=allow_loopback):
            raise Refused(f"{host} resolves to an address that is not public ({address}).")
    return addresses[0]


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    allow_http_loopback: bool,
) -> Answer:
    """POST ``body``; never raises for what the receiver or the network does."""
    started = time.monotonic()

    def elapsed() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        check_url(url, allow_http_loopback=allow_http_loopback)
        parts = urlsplit(url)
        host = str(parts.hostname)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = resolve(host, port, allow_loopback=allow_http_loopback)
    except Refused as exc:
        return Answer(None, error=f"Refused: {exc}", refused=True)
    except ConnectionError as exc:
        return Answer(None, error=str(exc), latency_ms=elapsed())
    default_port = port == (443 if parts.scheme == "https" else 80)
    host_header = host if default_port else f"{host}:{port}"
    if ":" in host and default_port:
        host_header = f"[{host}]"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    limits = urllib3.Timeout(connect=timeout, read=timeout)
    pool: urllib3.HTTPConnectionPool
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            port,
            timeout=limits,
            retries=False,
            maxsize=1,
            server_hostname=host,
            assert_hostname=host,
            cert_reqs="CERT_REQUIRED",
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=limits, retries=False, maxsize=1)
    try:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            excerpt = response.read(EXCERPT_BYTES, decode_content=False) or b""
        finally:
            response.close()  # the rest is never read
        return Answer(
            response.status,
            excerpt[:EXCERPT_BYTES],
            elapsed(),
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )
    except (HTTPError, OSError) as exc:
        return Answer(None, error=_describe(exc), latency_ms=elapsed())
    finally:
        pool.close()


def _describe(exc: Exception) -> str:
    name = type(exc).__name__
    if "Timeout" in name:
        return "Timed out."
    if "SSL" in name:
        return "TLS error: the certificate could not be verified."
    return f"Connection failed ({name})."


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - utcnow()).total_seconds(), 0.0)
