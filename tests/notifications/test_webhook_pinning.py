"""Where a webhook goes, against a hostile network: the attempt connects to the address that was
checked, never to a second resolution of the name (DNS rebinding), while the Host header, the
TLS server name and the certificate's name stay the endpoint's host; IPv6 addresses that embed
a private IPv4 address (6to4, Teredo, NAT64) are refused; and a name refused for what it
resolves to is refused in words that do not say what that was."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.notifications.delivery import DeliveryWorker, WorkerSettings
from services.notifications.webhooks import (
    NAME_REFUSED,
    Destination,
    EndpointAddressRefusedError,
    check_address,
    refusal,
)
from tests.notifications.support import member, notifications

HOST = "mfa.example.kz"
PUBLIC = "93.184.216.34"


@pytest.mark.parametrize(
    ("address", "embedded"),
    [
        ("2002:a00:1::1", "10.0.0.1"),  # 6to4
        ("2002:7f00:1::", "127.0.0.1"),
        ("2002:a9fe:a9fe::", "169.254.169.254"),
        ("2002:6440:1::", "100.64.0.1"),  # shared address space
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "10.0.0.1"),  # Teredo, client 10.0.0.1
        ("64:ff9b::a00:1", "10.0.0.1"),  # NAT64
        ("64:ff9b::c0a8:101", "192.168.1.1"),
        ("64:ff9b::f000:1", "240.0.0.1"),  # reserved
    ],
)
def test_an_ipv6_address_embedding_a_private_or_reserved_ipv4_address_is_refused(
    address, embedded
):
    reason = refusal(ipaddress.ip_address(address))
    assert reason is not None
    assert f"standing for {embedded}" in reason


@pytest.mark.parametrize("address", ["2002:808:808::1", "64:ff9b::808:808"])
def test_6to4_and_nat64_addresses_of_a_public_ipv4_address_may_receive_webhooks(address):
    assert refusal(ipaddress.ip_address(address)) is None


def test_teredo_is_refused_even_for_a_public_client():
    assert refusal(ipaddress.ip_address("2001:0:4136:e378:8000:63bf:f7f7:f7f7")) is not None


@dataclass
class Resolver:
    """The event loop's resolver, answering for HOST from `answers` (the next each time) and
    recording every name asked."""

    answers: list[list[str]]
    asked: list[str] = field(default_factory=list)

    async def getaddrinfo(self, host, port, **_):  # type: ignore[no-untyped-def]
        self.asked.append(host)
        if host != HOST or not self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        family = {4: socket.AF_INET, 6: socket.AF_INET6}
        return [
            (family[ipaddress.ip_address(a).version], socket.SOCK_STREAM, 6, "", (a, port))
            for a in self.answers.pop(0)
        ]


@pytest.fixture
async def resolver(monkeypatch) -> Resolver:  # type: ignore[no-untyped-def]
    resolver = Resolver([])
    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", resolver.getaddrinfo)
    return resolver


async def test_a_name_that_does_not_resolve_and_one_that_resolves_inside_are_refused_alike(
    resolver,
):
    resolver.answers = [["10.1.2.3"], ["8.8.8.8", "::1"]]
    answers = []
    for _ in range(3):  # private, partly loopback, no answer at all
        with pytest.raises(EndpointAddressRefusedError) as refused:
            await check_address(f"https://{HOST}/cica", allow_private=False)
        answers.append((refused.value.detail, refused.value.members))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][1]["reason"] == NAME_REFUSED
    assert "10.1.2.3" not in str(answers) and "::1" not in str(answers)


async def test_the_endpoint_api_refuses_a_name_without_saying_what_it_resolved_to(
    database_url, servers, resolver
):
    resolver.answers = [["10.20.30.40"]]
    async with notifications(
        database_url, servers.nats_url, allow_private_endpoints=False, webhook_key="k" * 32
    ) as (_, client):
        answer = await client.post(
            "/endpoints",
            headers=member("KAZ"),
            json={"state": "KAZ", "url": f"https://{HOST}/cica", "languages": ["en"],
                  "kinds": ["note_verbale"]},
        )

    assert answer.status_code == 422, answer.text
    assert answer.json()["type"] == "/problems/endpoint-address-refused"
    assert answer.json()["reason"] == NAME_REFUSED
    assert "10.20.30.40" not in answer.text and "private" not in answer.text


def _worker(ssl_context: ssl.SSLContext | None = None) -> DeliveryWorker:
    settings = WorkerSettings(
        timeout=5.0,
        max_attempts=1,
        base_delay=1.0,
        max_delay=1.0,
        poll_interval=1.0,
        concurrency=1,
        allow_private=False,
    )
    return DeliveryWorker(store=None, settings=settings, key=None, ssl_context=ssl_context)  # type: ignore[arg-type]


async def test_the_attempt_connects_to_the_address_checked_not_to_what_the_name_says_next(
    resolver, monkeypatch
):
    """DNS rebinding: the name is public when checked and loopback a moment later. The
    connection goes to the public address the check saw, and the name is not asked again."""
    resolver.answers = [[PUBLIC], ["127.0.0.1"]]
    connected: list[tuple[str, int]] = []

    async def connect_tcp(remote_host, remote_port, **_):  # type: ignore[no-untyped-def]
        connected.append((str(remote_host), remote_port))
        raise OSError("connection refused (the test's network)")

    monkeypatch.setattr(anyio, "connect_tcp", connect_tcp)
    destination = await check_address(f"https://{HOST}:8443/cica", allow_private=False)
    with pytest.raises(httpx.ConnectError):
        await _worker().post(destination, content=b"{}", headers={})

    assert destination.addresses == (ipaddress.ip_address(PUBLIC),)
    assert connected == [(PUBLIC, 8443)]
    assert resolver.asked == [HOST]  # by the check, once


async def test_each_address_checked_is_tried_in_turn_when_one_refuses_the_connection(
    resolver, monkeypatch
):
    resolver.answers = [[PUBLIC, "2a00:1450:4001:80b::200e"]]
    connected: list[str] = []

    async def connect_tcp(remote_host, remote_port, **_):  # type: ignore[no-untyped-def]
        connected.append(str(remote_host))
        raise OSError("connection refused (the test's network)")

    monkeypatch.setattr(anyio, "connect_tcp", connect_tcp)
    destination = await check_address(f"https://{HOST}/cica", allow_private=False)
    with pytest.raises(httpx.ConnectError):
        await _worker().post(destination, content=b"{}", headers={})

    assert sorted(connected) == sorted(str(a) for a in destination.addresses)
    assert len(connected) == 2


# ----------------------------------------------------------------- over real TLS, on loopback


@dataclass
class Certificates:
    ca: Path
    chain: Path
    key: Path


def _certificates(directory: Path, name: str) -> Certificates:
    """A test CA, and a server certificate it issued for `name`."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CICA test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    paths = Certificates(directory / "ca.pem", directory / "chain.pem", directory / "key.pem")
    paths.ca.write_bytes(ca.public_bytes(pem))
    paths.chain.write_bytes(leaf.public_bytes(pem))
    paths.key.write_bytes(
        key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


@dataclass
class Seen:
    server_names: list[str | None] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)


@asynccontextmanager
async def tls_receiver(certificates: Certificates) -> AsyncIterator[tuple[int, Seen]]:
    """An HTTPS server on 127.0.0.1 that answers 200 and records the TLS server name (SNI)
    and the Host header of each request."""
    seen = Seen()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates.chain, certificates.key)

    def server_name(_socket, name, _context):  # type: ignore[no-untyped-def]
        seen.server_names.append(name)

    context.sni_callback = server_name

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            fields = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            seen.hosts.append(fields.get("host", fields.get("Host", "")))
            await reader.readexactly(int(fields.get("content-length", "0")))
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    try:
        yield server.sockets[0].getsockname()[1], seen
    finally:
        server.close()
        await server.wait_closed()


async def test_pinned_to_an_address_the_request_keeps_the_host_its_tls_name_and_its_cert_check(
    tmp_path, resolver
):
    """The check is bypassed here (it would refuse 127.0.0.1): the destination is what a check
    of a public address gives, with the test's server standing in for that address."""
    certificates = _certificates(tmp_path, HOST)
    trusting = ssl.create_default_context(cafile=str(certificates.ca))
    async with tls_receiver(certificates) as (port, seen):
        destination = Destination(
            f"https://{HOST}:{port}/cica", (ipaddress.ip_address("127.0.0.1"),)
        )
        status = await _worker(trusting).post(destination, content=b"{}", headers={})

    assert status == 200
    assert seen.server_names == [HOST]
    assert seen.hosts == [f"{HOST}:{port}"]
    assert HOST not in resolver.asked  # nothing resolved the name


async def test_pinned_to_an_address_a_certificate_for_another_name_is_refused(tmp_path):
    certificates = _certificates(tmp_path, "elsewhere.example.org")
    trusting = ssl.create_default_context(cafile=str(certificates.ca))
    async with tls_receiver(certificates) as (port, seen):
        destination = Destination(
            f"https://{HOST}:{port}/cica", (ipaddress.ip_address("127.0.0.1"),)
        )
        with pytest.raises(httpx.ConnectError, match=r"(?i)certificate|hostname"):
            await _worker(trusting).post(destination, content=b"{}", headers={})

    assert seen.hosts == []  # no request was sent over it
