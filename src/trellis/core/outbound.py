"""Outbound calls made on a user's behalf (HTTP request nodes) may not reach denied networks.

Every address the host resolves to is checked, so a public name pointing at 169.254.169.254 is refused
too. The check runs before connecting; a DNS answer that changes between the check and the connection
(rebinding) is not caught here.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence

import httpx


class OutboundDenied(Exception):
    """The URL's host is, or resolves to, an address in a denied network."""


def check_outbound_url(url: str, denied_networks: Sequence[str]) -> None:
    if not denied_networks:
        return
    networks = [ipaddress.ip_network(network, strict=False) for network in denied_networks]
    host = httpx.URL(url).host
    port = httpx.URL(url).port or (443 if url.startswith("https") else 80)
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}
    except socket.gaierror:
        return  # unresolvable: the request itself fails with a clear connection error
    for address in addresses:
        ip = ipaddress.ip_address(str(address).split("%", 1)[0])
        if any(ip in network for network in networks):
            raise OutboundDenied(
                f"{host} resolves to {ip}, in a network this server does not call (TRELLIS_OUTBOUND_DENIED_NETWORKS)"
            )
