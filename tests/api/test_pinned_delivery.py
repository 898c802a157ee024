"""SSRF by DNS rebinding: the webhook's host is resolved once, when its URL is checked
before a delivery, and the connection goes to that address; on https the TLS server
name and the certificate check still use the host's name. The resolver is a stub: it
answers the check with loopback (allowed here) and any later lookup of the name with
the cloud metadata address, which a second lookup would reach."""
from __future__ import annotations

import datetime as dt
import socket
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from engine.integrations import urls
from tests.api.webhook_helpers import allow_loopback, deliver_all, subscribe
from tests.receivers import Receiver

HOST = "hooks.example.test"
METADATA = "169.254.169.254"


def _certificate(subject: str, key, issuer: x509.Name, issuer_key, *, ca: bool,
                 dns: str | None = None) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5))
               .not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if dns is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]),
                                        critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture
def tls(tmp_path) -> tuple[ssl.SSLContext, ssl.SSLContext, list[str]]:
    """(server context with a certificate for HOST, client context trusting its CA,
    the server names the server was asked for)."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(
        ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = _certificate("Test CA", ca_key, ca_name, ca_key, ca=True)
    leaf = _certificate(HOST, key, ca_name, ca_key, ca=False, dns=HOST)
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "key.pem")
    names: list[str] = []
    server.sni_callback = lambda _socket, name, _context: names.append(name)
    return server, ssl.create_default_context(cafile=str(tmp_path / "ca.pem")), names


@pytest.fixture
def rebinding(monkeypatch) -> list[str]:
    """The check's lookups get loopback; any other lookup of HOST (a connection that
    resolves again) gets the metadata address. Returns the names looked up again."""
    real = socket.getaddrinfo
    again: list[str] = []

    def checked(host, port):
        assert host == HOST
        return real("127.0.0.1", port, type=socket.SOCK_STREAM)

    def later(host, port, *args, **kwargs):
        if host == HOST:
            again.append(host)
            return real(METADATA, port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(urls, "lookup", checked)
    monkeypatch.setattr(socket, "getaddrinfo", later)
    return again


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_a_delivery_goes_to_the_address_checked_under_the_hosts_name(
        client, app, tls, rebinding, scheme):
    server_tls, client_tls, server_names = tls
    integrations = allow_loopback(app, timeout_seconds=2)
    integrations.tls_context = client_tls
    receiver = Receiver(tls=server_tls if scheme == "https" else None).start()
    try:
        port = receiver.server.server_address[1]
        subscribe(client, f"{scheme}://{HOST}:{port}/hooks", ["order_submitted"],
                  as_="crm")
        number = client.submit(as_="crm")["number"]
        deliver_all(integrations)
        [received] = receiver.received
        assert received.json["data"]["order"] == number
        assert received.headers["Host"] == f"{HOST}:{port}"
        assert server_names == ([HOST] if scheme == "https" else [])
        assert rebinding == []  # the connection did not look the name up again
    finally:
        receiver.close()
