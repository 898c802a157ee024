"""HTTP(S) connections pinned to an address already checked (urls.check_url), so a
host whose DNS answer changes between the check and the connection (DNS rebinding)
cannot steer a webhook into the engine's own network. The request still names the
host: in the Host header, and on https in the TLS server name (SNI) and the
certificate check."""
from __future__ import annotations

import http.client
import socket
import ssl


class PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float,
                 context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self.address = address
        self.tls = context

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        try:
            self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


def pinned_connection(scheme: str, host: str, port: int, address: str, timeout: float,
                      context: ssl.SSLContext | None = None) -> http.client.HTTPConnection:
    """A connection to `address` for a request to `host` (`context`: the TLS
    settings on https, the system's trusted roots if None)."""
    if scheme == "https":
        return PinnedHTTPSConnection(host, port, address, timeout,
                                     context or ssl.create_default_context())
    return PinnedHTTPConnection(host, port, address, timeout)
