"""Webhooks as the Standard Webhooks specification has them: per-endpoint secrets, signed
requests, and the addresses a webhook may be sent to. No I/O but name resolution.

- **Secrets** never enter the log: an endpoint's secret of generation *g* is
  ``whsec_`` + base64(HMAC-SHA256(webhook key, "<endpoint id>/<g>")), so any replica holding
  the service's webhook key derives it again, and a leaked log reveals none.
- **Signing** is the `standardwebhooks` library's: ``webhook-id`` (the delivery id, the same
  for every attempt of one message to one state), ``webhook-timestamp`` and
  ``webhook-signature``, which carries one ``v1,<signature>`` per secret in force (the new and
  the previous one while a rotation's grace period lasts), separated by spaces.
- **Addresses**: a URL must be ``https`` and every address its host resolves to must be
  global (not private, loopback, link-local, multicast, reserved or unspecified, nor an IPv6
  address embedding such an IPv4 address by 6to4, Teredo or NAT64), unless the deployment
  allows private endpoints for development. It is checked when an endpoint is registered and
  again before each attempt (the name may resolve elsewhere by then), and the attempt connects
  to the address checked (`Destination`). A refused name is refused in words that do not say
  what it resolved to.
- **The body** a ministry receives: one JSON object per message, in the endpoint's languages
  (`webhook_body`, documented there).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import json
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn
from urllib.parse import urlsplit
from uuid import UUID

import structlog
from standardwebhooks import Webhook

from shared.http.problems import ProblemError

log = structlog.get_logger("cica.notifications.webhooks")

SECRET_PREFIX = "whsec_"
MIN_KEY_BYTES = 32


class EndpointAddressRefusedError(
    ProblemError,
    status=422,
    title="Endpoint address refused",
    type_="/problems/endpoint-address-refused",
):
    """422: the URL is not one the service may send webhooks to."""


    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url} cannot receive webhooks: {reason}", url=url, reason=reason)


def endpoint_secret(key: bytes, endpoint_id: UUID, generation: int) -> str:
    """The endpoint's signing secret of `generation`, derived from the service's webhook key."""
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the webhook key must be at least {MIN_KEY_BYTES} bytes")
    digest = hmac.new(key, f"{endpoint_id}/{generation}".encode(), hashlib.sha256).digest()
    return SECRET_PREFIX + base64.b64encode(digest).decode()


def signature_headers(
    secrets: Sequence[str], *, webhook_id: str, timestamp: datetime, body: str
) -> dict[str, str]:
    """The Standard Webhooks headers of `body`, signed with every one of `secrets`."""
    if not secrets:
        raise ValueError("sign with at least one secret")
    instant = timestamp.astimezone(UTC)
    signatures = [
        Webhook(secret).sign(msg_id=webhook_id, timestamp=instant, data=body) for secret in secrets
    ]
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(instant.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


# ------------------------------------------------------------------------------ addresses

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
"""RFC 6052's well-known prefix: the last 32 bits are an IPv4 address a NAT64 gateway reaches
(global ones only, by the RFC; judged here by that IPv4 address)."""

NAME_REFUSED = "its host name must resolve to public (global unicast) addresses only"
"""The one reason given for any name refused for what it resolves to, or for not resolving:
the answer says nothing of how the name resolved from inside the service (which would make
the endpoint API a probe of the internal DNS). The service's log says more."""


@dataclass(frozen=True)
class Destination:
    """Where a webhook may go: the endpoint's URL, and the addresses its host was checked to
    resolve to. The request goes to one of `addresses` (pinned: `delivery` connects to the
    address checked, never to a second resolution of the name, which could answer otherwise:
    DNS rebinding), with the URL's host as the Host header, the TLS server name and the name
    its certificate must match. No `addresses` in development (private endpoints allowed): the
    request goes where the URL says."""

    url: str
    addresses: tuple[IPAddress, ...] = ()


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address stands for, and the mechanism that embeds each:
    IPv4-mapped (::ffff:0:0/96), 6to4 (2002::/16), Teredo (2001::/32: its server and its
    client) and NAT64 (64:ff9b::/96)."""
    found: list[tuple[str, ipaddress.IPv4Address]] = []
    if address.ipv4_mapped is not None:
        found.append(("IPv4-mapped", address.ipv4_mapped))
    if address.sixtofour is not None:
        found.append(("6to4", address.sixtofour))
    if address.teredo is not None:
        server, client = address.teredo
        found += [("Teredo", server), ("Teredo", client)]
    if address in NAT64_WELL_KNOWN:
        found.append(("NAT64", ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)))
    return found


def refusal(address: IPAddress) -> str | None:
    """Why a webhook may not go to `address`; None when it is a global unicast address. An
    IPv6 address that embeds an IPv4 address (6to4, Teredo, NAT64, IPv4-mapped) is refused when
    the IPv4 address would be: a private address does not become public by a tunnel's prefix."""
    if isinstance(address, ipaddress.IPv6Address):
        for mechanism, ipv4 in embedded_ipv4(address):
            reason = refusal(ipv4)
            if reason is not None:
                return f"{address} is a {mechanism} address standing for {ipv4}: {reason}"
        if address.ipv4_mapped is not None or address in NAT64_WELL_KNOWN:
            return None  # it is its IPv4 address, judged above
    for reason, flag in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    ):
        if flag:
            return f"{address} is a {reason} address"
    if not address.is_global:  # shared address space (100.64/10) and the like
        return f"{address} is not a global address"
    return None


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, by the event loop's resolver."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise OSError(f"{host} does not resolve: {error.strerror}") from error
    except UnicodeError:  # not a name IDNA can encode: an empty or overlong label
        raise ValueError(f"{host!r} is not a host name") from None
    return sorted({str(info[4][0]) for info in infos})


async def check_address(url: str, *, allow_private: bool) -> Destination:
    """Where a webhook to `url` may go, or `EndpointAddressRefusedError`: https, a host, no
    credentials in it, and every address the host resolves to global (see `Destination`). With
    `allow_private` (development), http and any address will do, and nothing is resolved."""
    if any(character.isspace() or not character.isprintable() for character in url):
        raise EndpointAddressRefusedError(url, "not a URL (space or control character)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise EndpointAddressRefusedError(url, f"not a URL ({error})") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise EndpointAddressRefusedError(url, "an endpoint is an https URL with a host")
    if parts.username or parts.password:
        raise EndpointAddressRefusedError(url, "an endpoint's URL carries no credentials")
    if parts.fragment:
        raise EndpointAddressRefusedError(url, "an endpoint's URL has no fragment")
    if allow_private:
        return Destination(url)
    if parts.scheme != "https":
        raise EndpointAddressRefusedError(url, "webhooks go over https only")
    host = parts.hostname
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:  # the client named the address itself: its reason tells it nothing new
        reason = refusal(literal)
        if reason is not None:
            raise EndpointAddressRefusedError(url, reason)
        return Destination(url, (literal,))
    try:
        resolved = await resolve(host, port or 443)
    except ValueError as error:  # refused before any query: nothing was resolved
        raise EndpointAddressRefusedError(url, str(error)) from None
    except OSError as error:
        _refuse_name(url, host, str(error))
    addresses = tuple(ipaddress.ip_address(a.split("%", 1)[0]) for a in resolved)
    if not addresses:
        _refuse_name(url, host, "no address")
    for address in addresses:
        reason = refusal(address)
        if reason is not None:
            _refuse_name(url, host, reason)
    return Destination(url, addresses)


def _refuse_name(url: str, host: str, why: str) -> NoReturn:
    """Refuse `url` for what its `host` resolved to (or did not): `why` goes to the service's
    log only, the client gets `NAME_REFUSED`."""
    log.info("webhooks.address_refused", host=host, why=why)
    raise EndpointAddressRefusedError(url, NAME_REFUSED)


# ------------------------------------------------------------------------------ the body


def _in(texts: Mapping[str, str], languages: Iterable[str]) -> dict[str, str]:
    return {language: texts[language] for language in languages if language in texts}


def body_languages(message_languages: Sequence[str], wanted: Sequence[str]) -> list[str]:
    """The languages a ministry receives a message in: those it asked for that the message
    has; all of the message's when it has none of them (never an empty text)."""
    common = [language for language in message_languages if language in wanted]
    return common or list(message_languages)


def webhook_body(
    message: Mapping[str, Any],
    *,
    kind: str,
    delivery_id: UUID,
    state: str,
    languages: Sequence[str],
) -> dict[str, Any]:
    """The JSON object a ministry receives for a message (`message` is the data of its
    ``NoteVerbaleIssued`` or ``NoticeIssued``)::

        {"type": "cica.note_verbale", "delivery_id": ..., "message_id": ..., "recipient": "KAZ",
         "number": "SOC/OI/1280", "place": "Astana", "dated": "2022-10-07",
         "languages": ["en", "ru"], "subject": {"en": ..., "ru": ...}, "text": {...},
         "enclosures": [{"symbol": "SUM/2022/DRAFT/1/Rev.8", "pages": null, "title": {...}}],
         "pages": 10, "corrects": null, "reference": "", "issued_at": "...",
         "links": {"message": "/notes/SOC-OI-1280?year=2022",
                   "receipt": "/notes/SOC-OI-1280/receipt?year=2022",
                   "delivery": "/deliveries/<id>"}}

    ``number``, ``place``, ``dated``, ``enclosures``, ``pages`` (enclosed in all; an
    enclosure's own count only when the note gives it) and ``corrects`` are a note verbale's
    (null or empty for a notice); ``reference`` a notice's. ``links`` are paths of this
    service's API: the message as the ministry may read it, where it acknowledges receipt
    (``POST``, with its own token), and the delivery's history."""
    is_note = kind == "note_verbale"
    message_id = message["note_id"] if is_note else message["notice_id"]
    message_path = (
        f"/notes/{str(message['number']).replace('/', '-')}"
        if is_note
        else f"/notices/{message_id}"
    )
    # A note's number repeats from one year's register to the next: its links name the year.
    year = f"?year={str(message.get('dated'))[:4]}" if is_note and message.get("dated") else ""
    chosen = body_languages(message.get("languages") or [], languages)
    enclosures = [
        {**enclosure, "title": _in(enclosure.get("title") or {}, chosen)}
        for enclosure in message.get("enclosures") or []
    ]
    return {
        "type": f"cica.{kind}",
        "delivery_id": str(delivery_id),
        "message_id": str(message_id),
        "recipient": state,
        "number": message.get("number"),
        "place": message.get("place"),
        "dated": message.get("dated"),
        "languages": chosen,
        "subject": _in(message.get("subject") or {}, chosen),
        "text": _in(message.get("text") or {}, chosen),
        "enclosures": enclosures,
        "pages": message.get("pages"),
        "corrects": message.get("corrects"),
        "reference": message.get("reference", ""),
        "issued_at": message.get("issued_at"),
        "links": {
            "message": message_path + year,
            "receipt": f"{message_path}/receipt{year}",
            "delivery": f"/deliveries/{delivery_id}",
        },
    }


def encode_body(body: Mapping[str, Any]) -> str:
    """The exact text that is signed and sent (UTF-8 JSON, no ASCII escaping)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
