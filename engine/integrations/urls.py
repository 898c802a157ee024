"""Where a webhook may point. A subscription's URL is chosen by a caller, so the
engine's own network must be out of its reach (SSRF): only http(s), no credentials in
the URL, and every address the host resolves to public, unless the deployment allows
loopback (tests, a receiver on the same machine) or private networks (an internal CRM).
Link-local (cloud metadata), multicast and reserved addresses are never allowed. The
check runs when the subscription is made and again before every delivery."""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

MAX_URL_LENGTH = 2000
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UrlRefused(ValueError):
    """The URL may not be used; the message says why."""


@dataclass(frozen=True)
class Target:
    """A checked URL and the addresses it may be reached at."""

    url: str
    parts: SplitResult
    addresses: tuple[str, ...]

    @property
    def port(self) -> int:
        return self.parts.port or (443 if self.parts.scheme == "https" else 80)

    @property
    def path(self) -> str:
        path = self.parts.path or "/"
        return f"{path}?{self.parts.query}" if self.parts.query else path


def check_url(url: str, *, allow_loopback: bool, allow_private: bool) -> Target:
    """The URL's target if it may be called; UrlRefused otherwise."""
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused(f"is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise UrlRefused(f"is not a valid URL ({err})") from None
    if parts.scheme not in ("http", "https"):
        raise UrlRefused("must start with https:// (or http://)")
    if not parts.hostname:
        raise UrlRefused("names no host")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("must not carry a user name or password")
    if parts.fragment:
        raise UrlRefused("must not have a #fragment")
    if any(ord(character) < 33 for character in url):
        raise UrlRefused("must not contain spaces or control characters")
    addresses = _resolve(parts.hostname, port or (443 if parts.scheme == "https" else 80))
    for address in addresses:
        if why := _refused(address, allow_loopback, allow_private):
            raise UrlRefused(f"points to {why} address {address}")
    return Target(url, parts, tuple(str(a) for a in addresses))


def _resolve(host: str, port: int) -> list[Address]:
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return [literal]
    try:
        infos = lookup(host, port)
    except (OSError, UnicodeError):
        raise UrlRefused(f"host {host!r} does not resolve") from None
    found = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0])
                               for info in infos))
    if not found:
        raise UrlRefused(f"host {host!r} does not resolve")
    return found


def lookup(host: str, port: int) -> list[tuple]:
    """The resolver's answer (getaddrinfo); resolved once per check, and the connection
    goes to what it checked (see pinned.py)."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def _refused(address: Address, allow_loopback: bool, allow_private: bool) -> str | None:
    """Why `address` may not be called, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None if allow_loopback else "a loopback"
    if address.is_link_local:
        return "a link-local"
    if address.is_multicast or address.is_reserved or address.is_unspecified:
        return "a reserved"
    if address.is_private or not address.is_global:
        return None if allow_private else "a private"
    return None
