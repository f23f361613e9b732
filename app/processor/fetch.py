"""Fetch a `src` URL into a temporary file, checking every hop's resolved addresses (processor.md).

Each hop is resolved once, every address it resolves to is checked against the policy, and the
connection goes to a checked address: the URL handed to httpx carries the IP, while the `Host`
header and TLS SNI (the `sni_hostname` extension, also the name the certificate is verified
against) carry the hostname. A fresh transport per hop keeps a connection verified for one
hostname from being reused for another that resolves to the same address.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from ipaddress import ip_address
from pathlib import Path
from typing import BinaryIO

import httpx

from app.processor.addresses import AddressPolicy, IPAddress, resolve
from app.processor.errors import ItemFailure
from app.processor.formats import SNIFF_BYTES, ImageFormat, sniff_format
from app.processor.store import new_temporary_file

Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Chunks are gathered to this size before a (threaded) write, to keep thread hops few.
_WRITE_BUFFER = 256 * 1024
_USER_AGENT = "Darkroom image fetcher"


@dataclass(frozen=True, slots=True)
class FetchLimits:
    connect_timeout: float = 5.0
    # The whole fetch, every hop and DNS included: DARKROOM_FETCH_TIMEOUT.
    total_timeout: float = 30.0
    # DARKROOM_MAX_SOURCE_BYTES; we stop reading past it.
    max_bytes: int = 50 * 1024 * 1024
    max_redirects: int = 5
    per_host: int = 4


@dataclass(frozen=True, slots=True)
class FetchedFile:
    """A downloaded source, still in its temporary file; the caller stores or removes it."""

    path: Path
    bytes: int
    sha256: str
    format: ImageFormat
    url: str


@dataclass(slots=True)
class _HostSlot:
    semaphore: asyncio.Semaphore
    users: int = 0


@dataclass(slots=True)
class _HostLimiter:
    """A semaphore per host, dropped when nobody uses it so the table does not grow forever."""

    limit: int
    slots: dict[str, _HostSlot] = field(default_factory=dict)

    @asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[None]:
        slot = self.slots.get(host)
        if slot is None:
            slot = self.slots[host] = _HostSlot(asyncio.Semaphore(self.limit))
        slot.users += 1
        try:
            async with slot.semaphore:
                yield
        finally:
            slot.users -= 1
            if slot.users == 0:
                del self.slots[host]


def _parse_source(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise ItemFailure("src_scheme", "src is not a valid URL") from None
    if parsed.scheme not in ("http", "https"):
        raise ItemFailure("src_scheme", f"src must be an http or https URL, not {parsed.scheme or 'none'}")
    if not parsed.host:
        raise ItemFailure("src_scheme", "src has no host")
    return parsed


def _is_ip_literal(host: str) -> bool:
    try:
        ip_address(host)
    except ValueError:
        return False
    return True


class Fetcher:
    """Downloads sources for one server; share it, so the per-host limits apply across operations."""

    def __init__(
        self,
        *,
        allow_private: AddressPolicy | None = None,
        limits: FetchLimits | None = None,
        resolver: Resolver = resolve,
        verify: ssl.SSLContext | None = None,
    ) -> None:
        self.policy = allow_private or AddressPolicy()
        self.limits = limits or FetchLimits()
        self._resolve = resolver
        # Built once: loading the CA bundle costs milliseconds per context.
        self._verify = verify or httpx.create_ssl_context()
        self._hosts = _HostLimiter(self.limits.per_host)

    async def fetch(self, url: str, directory: Path) -> FetchedFile:
        """Download `url` into a new temporary file under `directory`, or raise ItemFailure."""
        current = _parse_source(url)
        try:
            async with asyncio.timeout(self.limits.total_timeout):
                for _hop in range(self.limits.max_redirects + 1):
                    addresses = await self._checked_addresses(current)
                    result = await self._request(current, addresses, directory)
                    if isinstance(result, FetchedFile):
                        return result
                    current = _parse_source(str(current.join(result)))
        except TimeoutError:
            raise ItemFailure(
                "src_timeout", f"fetching src took longer than {self.limits.total_timeout:g} s"
            ) from None
        raise ItemFailure("src_redirects", f"src redirected more than {self.limits.max_redirects} times")

    async def _checked_addresses(self, url: httpx.URL) -> list[IPAddress]:
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            async with asyncio.timeout(self.limits.connect_timeout):
                # The ASCII (IDNA 2008) form: what DNS and TLS want, not the Unicode one.
                addresses = await self._resolve(url.raw_host.decode("ascii"), port)
        except TimeoutError:
            raise ItemFailure("src_timeout", f"resolving {url.host} took too long") from None
        except (OSError, UnicodeError) as error:
            raise ItemFailure("src_unreachable", f"could not resolve {url.host}: {error}") from None
        if not addresses:
            raise ItemFailure("src_unreachable", f"{url.host} has no address")
        for address in addresses:
            if not self.policy.permits(address):
                raise ItemFailure("src_forbidden", f"src resolves to {address}, which is not allowed")
        return addresses

    async def _request(
        self, url: httpx.URL, addresses: list[IPAddress], directory: Path
    ) -> FetchedFile | str:
        """One hop: the fetched file, or the Location it redirects to."""
        headers = {
            "Host": url.netloc.decode("ascii"),
            "User-Agent": _USER_AGENT,
            "Accept": "image/*",
            "Accept-Encoding": "identity",
        }
        extensions = {}
        if url.scheme == "https" and not _is_ip_literal(url.host):
            extensions["sni_hostname"] = url.raw_host.decode("ascii")
        timeout = httpx.Timeout(self.limits.total_timeout, connect=self.limits.connect_timeout)
        refused: httpx.ConnectError | None = None
        async with self._hosts.hold(url.host):
            # Addresses in the resolver's order; the next one only when connecting failed.
            for address in addresses:
                transport = httpx.AsyncHTTPTransport(verify=self._verify, retries=0)
                # trust_env=False: a proxy from the environment would connect somewhere unchecked.
                async with httpx.AsyncClient(transport=transport, timeout=timeout, trust_env=False) as client:
                    try:
                        target = url.copy_with(host=str(address))
                        async with client.stream(
                            "GET", target, headers=headers, extensions=extensions
                        ) as response:
                            return await self._answer(response, url, directory)
                    except httpx.ConnectError as error:
                        refused = error
                    except httpx.TimeoutException:
                        raise ItemFailure("src_timeout", f"{url.host} did not answer in time") from None
                    except httpx.TransportError as error:
                        raise ItemFailure(
                            "src_unreachable", f"the connection to {url.host} failed: {error}"
                        ) from None
        raise ItemFailure("src_unreachable", f"could not connect to {url.host}: {refused}")

    async def _answer(self, response: httpx.Response, url: httpx.URL, directory: Path) -> FetchedFile | str:
        status = response.status_code
        if status in _REDIRECTS:
            location: str | None = response.headers.get("Location")
            if not location:
                raise ItemFailure("src_http_error", f"src answered {status} without a Location")
            return location
        if not 200 <= status < 300:
            raise ItemFailure("src_http_error", f"src answered {status}")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.limits.max_bytes:
            raise ItemFailure("src_too_large", f"src is larger than {self.limits.max_bytes} bytes")
        return await self._download(response, str(url), directory)

    async def _download(self, response: httpx.Response, url: str, directory: Path) -> FetchedFile:
        path, file = await asyncio.to_thread(new_temporary_file, directory)
        try:
            with file:
                digest, size, head = await self._stream_into(response, file)
            image_format = sniff_format(head)
            if image_format is None:
                raise ItemFailure("unsupported_format", "src is not an image in a supported format")
            return FetchedFile(path=path, bytes=size, sha256=digest, format=image_format, url=url)
        except BaseException:
            await asyncio.to_thread(path.unlink, True)
            raise

    async def _stream_into(self, response: httpx.Response, file: BinaryIO) -> tuple[str, int, bytes]:
        digest = hashlib.sha256()
        size = 0
        head = b""
        pending: list[bytes] = []
        pending_size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.limits.max_bytes:
                raise ItemFailure("src_too_large", f"src is larger than {self.limits.max_bytes} bytes")
            if len(head) < SNIFF_BYTES:
                head += chunk[: SNIFF_BYTES - len(head)]
                # Refuse early: no need to download 50 MB of something that is not an image.
                if len(head) == SNIFF_BYTES and sniff_format(head) is None:
                    raise ItemFailure("unsupported_format", "src is not an image in a supported format")
            digest.update(chunk)
            pending.append(chunk)
            pending_size += len(chunk)
            if pending_size >= _WRITE_BUFFER:
                await asyncio.to_thread(file.write, b"".join(pending))
                pending, pending_size = [], 0
        if pending:
            await asyncio.to_thread(file.write, b"".join(pending))
        return digest.hexdigest(), size, head
