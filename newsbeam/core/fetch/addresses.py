"""Which addresses newsbeam may connect to, and host name -> one checked address.

The host is resolved once per request and the connection goes to that checked address,
so a DNS answer that changes between the check and the connect (rebinding) cannot
smuggle in a private address.
"""
from __future__ import annotations

import dataclasses
import functools
import ipaddress
import socket

from newsbeam.records.documents import Rejected

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(ip: IPAddress) -> bool:
    """True for globally routable unicast addresses only."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback in disguise
    return not (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast
                or ip.is_reserved or ip.is_unspecified) and ip.is_global


@dataclasses.dataclass(frozen=True)
class AddressPolicy:
    allow_private_networks: bool = False
    allowed_networks: tuple[str, ...] = ()  # CIDR exceptions, e.g. an intranet or loopback

    def permits(self, ip: IPAddress) -> bool:
        if self.allow_private_networks or is_public(ip):
            return True
        return any(ip in network for network in _networks(self.allowed_networks))


@functools.lru_cache(maxsize=64)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Parsed once, not on every request (``permits`` runs for each hop)."""
    return tuple(ipaddress.ip_network(n, strict=False) for n in cidrs)


def resolve(host: str, port: int, policy: AddressPolicy) -> str:
    """The first address of ``host`` the policy permits; raises ``Rejected`` otherwise."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        raise Rejected("dns_error", f"cannot resolve {host}: {err}") from None
    addresses = [info[4][0].split("%")[0] for info in infos]
    for address in addresses:
        if _permitted(address, policy):
            return address
    raise Rejected("private_address",
                   f"{host} resolves to non-public {', '.join(sorted(set(addresses)))}")


@functools.lru_cache(maxsize=4096)
def _permitted(address: str, policy: AddressPolicy) -> bool:
    """The check of one resolved address, cached: DNS is asked on every request (see the
    module's docstring), but parsing and classifying its answer again is wasted CPU."""
    return policy.permits(ipaddress.ip_address(address))
