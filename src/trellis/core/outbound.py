"""Outbound calls made on a user's behalf (HTTP request nodes) may not reach denied networks.

The check happens where the socket is opened: the host is resolved once, every address it resolves to is
checked (a public name pointing at 169.254.169.254 is refused too), and the connection goes to the address
that was checked. A DNS answer that changes between a check and the connection (rebinding) therefore
cannot slip through, and neither can a redirect, since each hop opens its own connection here.
TLS still verifies the certificate against the URL's host name (httpcore passes it as the server name).
"""

from __future__ import annotations

import ipaddress
import socket
import typing
from collections.abc import Sequence

import httpcore
import httpx

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class OutboundDenied(Exception):
    """The URL's host is, or resolves to, an address in a denied network."""


def allowed_address(host: str, port: int, networks: Sequence[Network]) -> str:
    """The address to connect to for host:port; OutboundDenied when any address it resolves to is denied."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc.strerror}") from exc
    addresses = [str(info[4][0]) for info in infos]
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if any(ip in network for network in networks):
            raise OutboundDenied(
                f"{host} resolves to {ip}, in a network this server does not call (TRELLIS_OUTBOUND_DENIED_NETWORKS)"
            )
    return addresses[0]


class _GuardedBackend(httpcore.SyncBackend):
    def __init__(self, networks: Sequence[Network]) -> None:
        self._networks = networks

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        address = allowed_address(host, port, self._networks)
        return super().connect_tcp(address, port, timeout, local_address, socket_options)


def guarded_client(denied_networks: Sequence[str], *, timeout: float) -> httpx.Client:
    """An httpx client whose connections never reach `denied_networks`; direct connections only (no proxy from
    the environment: through a proxy the address checked would be the proxy's, not the target's)."""
    if not denied_networks:
        return httpx.Client(timeout=timeout, follow_redirects=False)
    networks = [ipaddress.ip_network(network, strict=False) for network in denied_networks]
    transport = httpx.HTTPTransport(trust_env=False)
    # httpx.HTTPTransport takes no network backend; its pool is rebuilt with the same TLS context and ours.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=httpx.Limits().max_connections,
        network_backend=_GuardedBackend(networks),
    )
    return httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False, transport=transport)
