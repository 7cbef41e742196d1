"""Where webhooks may go: public unicast addresses only, checked at registration and again at send time.

Registration (`check_url`) refuses what is internal on its face, without resolving anything: an address
literal in any spelling a resolver accepts (decimal `2130706433`, hex `0x7f.1`, octal `017700000001`, short
`127.1`, IPv4-mapped, NAT64 and 6to4 embeddings), names under localhost / local / internal / home.arpa,
user names and passwords in the URL, schemes other than http and https.

Sending (`delivery_client`) resolves the endpoint's name immediately before connecting and refuses the
delivery when ANY answer is not a public unicast address (`AddressNotAllowed`, recorded as the error class
`address_not_allowed`), before a connection is opened. It then connects to the vetted address itself: the
name is not resolved a second time, so an answer that changes between the check and the connect (DNS
rebinding) cannot redirect the request. The Host header, TLS SNI and certificate check still use the
endpoint's name. Names under special-use domains (RFC 2606, 6761, 6762, 7686, 8375: example, test, invalid,
localhost, local, onion, home.arpa, internal) never have a public address, so they are refused without a
lookup. Proxies from the environment are ignored (a proxy would resolve and connect on our behalf) and no
redirect is followed.

TANDEM_WEBHOOK_ALLOW_PRIVATE_URLS=true lets loopback, private, link-local and special-use destinations
through (tests and demos with a receiver on the same machine); never set it in production.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpcore
import httpx

from app.core.config import get_settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Never public, and refused at registration: what these name lives on the local machine or network.
INTERNAL_DOMAINS = ("localhost", "localdomain", "local", "internal", "home.arpa")
# Reserved for documentation and testing (or not DNS at all): accepted at registration, so documented
# examples validate, but never resolved or sent to.
RESERVED_DOMAINS = ("example", "test", "invalid", "onion")

_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_TEREDO = ipaddress.IPv6Network("2001::/32")
_BROADCAST = ipaddress.IPv4Address("255.255.255.255")
_NUMBER = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_IPV4_CHARS = re.compile(r"^[0-9a-fx.]+$")
MAX_ADDRESSES_TRIED = 3

NOT_PUBLIC = ("must be reachable on the public internet (loopback, private, link-local, multicast and "
              "unspecified addresses and local names are refused)")


class AddressNotAllowed(Exception):
    """The endpoint's host is, or resolves to, an address webhooks may not reach."""


class NotAHost(ValueError):
    """A host that ends in a number but is no IPv4 address (as a browser or resolver would read it)."""


def normalize_host(host: str) -> str:
    """Lower case, without IPv6 brackets and without the root label's trailing dot."""
    h = host.strip().lower()
    if h.startswith("[") and h.endswith("]"):
        h = h[1:-1]
    return h[:-1] if h.endswith(".") else h


def literal_address(host: str) -> IPAddress | None:
    """The address a host spells literally, read the way resolvers read it (inet_aton: `127.1`,
    `2130706433`, `0x7f.1`, `017700000001`); None for a name. Raises NotAHost for a host whose last label
    is a number but which is no address (`1.2.3.999`, `cms.0x10`)."""
    h = normalize_host(host)
    if ":" in h:
        try:
            return ipaddress.ip_address(h.replace("%25", "%"))
        except ValueError:
            raise NotAHost(host)
    if not _NUMBER.match(h.rsplit(".", 1)[-1]):
        return None
    if not _IPV4_CHARS.match(h):
        raise NotAHost(host)
    try:
        return ipaddress.IPv4Address(socket.inet_aton(h))
    except OSError:
        raise NotAHost(host)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries: mapped, 6to4, NAT64, or the old IPv4-compatible form."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in net for net in _NAT64) or int(ip) >> 32 == 0:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    """A globally routable unicast address: not loopback, private, shared (100.64/10), link-local,
    unique-local, site-local, multicast, broadcast, reserved or unspecified, nor an IPv6 address embedding
    one of those (Teredo is refused outright)."""
    if isinstance(ip, ipaddress.IPv6Address):
        v4 = _embedded_ipv4(ip)
        if v4 is not None:
            return is_public(v4)
        if ip in _TEREDO or ip.is_site_local:
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_private or ip.is_loopback
                                 or ip.is_link_local or ip.is_unspecified)


def is_allowed(ip: IPAddress, allow_private: bool) -> bool:
    """Public addresses always; with allow_private any unicast address too (never multicast, broadcast
    or unspecified)."""
    if is_public(ip):
        return True
    if not allow_private:
        return False
    target: IPAddress = (_embedded_ipv4(ip) or ip) if isinstance(ip, ipaddress.IPv6Address) else ip
    return not (target.is_multicast or target.is_unspecified or target == _BROADCAST)


def _under(name: str, domains: Iterable[str]) -> bool:
    return any(name == d or name.endswith("." + d) for d in domains)


def internal_name(host: str) -> bool:
    return _under(normalize_host(host), INTERNAL_DOMAINS)


def special_use_name(host: str) -> bool:
    return _under(normalize_host(host), INTERNAL_DOMAINS + RESERVED_DOMAINS)


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse (ValueError with a message that does not echo the URL) what registration can tell is not a
    public http(s) receiver. Nothing is resolved."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        raise ValueError("must be an http or https URL")
    if parts.scheme not in ("http", "https") or not host or any(c.isspace() for c in url):
        raise ValueError("must be an http or https URL")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValueError("must not carry a user name or password")
    if "%" in host and ":" not in host:
        raise ValueError("must name a host or an IP address")
    try:
        ip = literal_address(host)
    except NotAHost:
        raise ValueError("must name a host or a valid IP address")
    if ip is not None and not is_allowed(ip, allow_private):
        raise ValueError(NOT_PUBLIC)
    if ip is None and not allow_private and internal_name(host):
        raise ValueError(NOT_PUBLIC)


async def resolve(host: str, port: int, *, allow_private: bool) -> list[IPAddress]:
    """The vetted addresses to connect to: a literal as it is, a name resolved once. AddressNotAllowed when
    any of them (or the name itself) is not allowed."""
    try:
        ip = literal_address(host)
    except NotAHost:
        raise AddressNotAllowed()
    if ip is not None:
        if not is_allowed(ip, allow_private):
            raise AddressNotAllowed()
        return [ip]
    name = normalize_host(host)
    if not allow_private and special_use_name(name):
        raise AddressNotAllowed()
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(name, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise httpcore.ConnectError("name not resolved")
    ips: list[IPAddress] = []
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            addr = ipaddress.ip_address(str(sockaddr[0]))
            if addr not in ips:
                ips.append(addr)
    if not ips:
        raise httpcore.ConnectError("name not resolved")
    if not all(is_allowed(a, allow_private) for a in ips):
        raise AddressNotAllowed()
    return ips


class VettingBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with the address check: resolves, vets, then connects to the vetted IP."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(  # httpcore's interface
        self, host: str, port: int, timeout: float | None = None,  # noqa: ASYNC109
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        try:
            async with asyncio.timeout(timeout):
                ips = await resolve(host, port, allow_private=get_settings().webhook_allow_private_urls)
        except TimeoutError:
            raise httpcore.ConnectTimeout("name resolution timed out")
        error: Exception = httpcore.ConnectError("no address")
        for ip in ips[:MAX_ADDRESSES_TRIED]:
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                raise httpcore.ConnectTimeout("connect timed out")
            try:
                return await self._inner.connect_tcp(str(ip), port, timeout=remaining,
                                                     local_address=local_address, socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                error = e
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None,  # noqa: ASYNC109
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressNotAllowed()

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class VettedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport, its connection pool connecting through VettingBackend (no proxies, HTTP/1.1)."""

    def __init__(self) -> None:
        super().__init__(trust_env=False)
        limits = httpx.Limits()
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=VettingBackend(),
        )


def delivery_client() -> httpx.AsyncClient:
    """The HTTP client deliveries are sent with."""
    return httpx.AsyncClient(transport=VettedTransport(), timeout=get_settings().webhook_timeout_seconds,
                             follow_redirects=False, trust_env=False)


def error_class(exc: BaseException) -> str:
    """A coarse class for a failed send; never the exception's message (it would tell ports apart)."""
    if isinstance(exc, AddressNotAllowed):
        return "address_not_allowed"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            break
        if isinstance(seen, ssl.SSLError):
            return "tls_error"
        seen = seen.__cause__ or seen.__context__
    return "connection_failed"
