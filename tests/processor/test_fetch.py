"""Fetching `src`: every hop checked, limits enforced, failures named. Traffic only to loopback."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from ipaddress import ip_address
from pathlib import Path
from urllib.parse import quote

import pytest

from app.processor.addresses import IPAddress, parse_allow_private
from app.processor.errors import ItemFailure
from app.processor.fetch import Fetcher, FetchLimits
from tests.processor.source_server import SourceServer, serving

LOOPBACK = parse_allow_private("127.0.0.0/8")


def fetcher(**limits: float) -> Fetcher:
    return Fetcher(allow_private=LOOPBACK, limits=FetchLimits(**limits))  # type: ignore[arg-type]


async def failure_of(fetch: Fetcher, url: str, directory: Path) -> ItemFailure:
    with pytest.raises(ItemFailure) as caught:
        await fetch.fetch(url, directory)
    leftovers = await asyncio.to_thread(lambda: list(directory.glob("*")))
    assert leftovers == [], "a failed fetch leaves no file behind"
    return caught.value


async def test_fetches_an_image_typed_by_its_bytes(source_server: SourceServer, tmp_path: Path) -> None:
    fetched = await fetcher().fetch(source_server.url("/image.png"), tmp_path)

    assert fetched.format == "png"  # served as text/html
    assert fetched.path.parent == tmp_path
    assert fetched.path.read_bytes() == source_server.image
    assert fetched.bytes == len(source_server.image)
    assert fetched.sha256 == hashlib.sha256(source_server.image).hexdigest()


async def test_connects_to_the_address_it_checked(source_server: SourceServer, tmp_path: Path) -> None:
    """`images.test` exists only in this resolver: a second resolution anywhere would fail."""
    calls: list[str] = []

    async def resolver(host: str, port: int) -> list[IPAddress]:
        calls.append(host)
        return [ip_address("127.0.0.1")]

    fetch = Fetcher(allow_private=LOOPBACK, resolver=resolver)
    fetched = await fetch.fetch(f"http://images.test:{source_server.port}/redirect/1", tmp_path)

    assert fetched.url == f"http://images.test:{source_server.port}/image.png"
    assert calls == ["images.test", "images.test"]  # once per hop
    assert source_server.requests[-1] == ("/image.png", f"images.test:{source_server.port}")


async def test_http_error_names_the_status(source_server: SourceServer, tmp_path: Path) -> None:
    failure = await failure_of(fetcher(), source_server.url("/status/404"), tmp_path)
    assert (failure.code, failure.message) == ("src_http_error", "src answered 404")


async def test_a_slow_source_times_out(source_server: SourceServer, tmp_path: Path) -> None:
    failure = await failure_of(fetcher(total_timeout=0.3), source_server.url("/slow"), tmp_path)
    assert failure.code == "src_timeout"


async def test_stops_reading_past_the_byte_limit(source_server: SourceServer, tmp_path: Path) -> None:
    failure = await failure_of(fetcher(max_bytes=512 * 1024), source_server.url("/endless"), tmp_path)

    assert failure.code == "src_too_large"
    # The body never ends: the server only stops when we hang up.
    assert await asyncio.to_thread(source_server.endless_closed.wait, 5.0)


async def test_a_declared_length_over_the_limit_is_refused_at_once(
    source_server: SourceServer, tmp_path: Path
) -> None:
    failure = await failure_of(fetcher(max_bytes=1000), source_server.url("/declared-large"), tmp_path)
    assert failure.code == "src_too_large"


async def test_five_redirects_are_followed_six_are_not(source_server: SourceServer, tmp_path: Path) -> None:
    fetched = await fetcher().fetch(source_server.url("/redirect/5"), tmp_path)
    assert fetched.format == "png"

    failure = await failure_of(fetcher(), source_server.url("/redirect/6"), tmp_path / "other")
    assert failure.code == "src_redirects"


async def test_a_private_source_is_refused_without_a_connection(
    source_server: SourceServer, tmp_path: Path
) -> None:
    before = len(source_server.requests)
    failure = await failure_of(Fetcher(), source_server.url("/image.png"), tmp_path)

    assert failure.code == "src_forbidden"
    assert len(source_server.requests) == before


@pytest.mark.parametrize("target", ["http://127.0.0.2:{port}/image.png", "http://[::1]:{port}/image.png"])
async def test_a_redirect_to_a_refused_address_is_refused(
    source_server: SourceServer, tmp_path: Path, target: str
) -> None:
    only_one = parse_allow_private("127.0.0.1/32")
    location = quote(target.format(port=source_server.port), safe="")
    failure = await failure_of(
        Fetcher(allow_private=only_one), source_server.url(f"/to?location={location}"), tmp_path
    )
    assert failure.code == "src_forbidden"
    assert source_server.requests[-1][0] == "/to"


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1/image.png", "data:image/png;base64,AA"]
)
async def test_only_http_and_https(tmp_path: Path, url: str) -> None:
    failure = await failure_of(fetcher(), url, tmp_path)
    assert failure.code == "src_scheme"


async def test_a_redirect_to_another_scheme_is_refused(source_server: SourceServer, tmp_path: Path) -> None:
    location = quote("file:///etc/passwd", safe="")
    failure = await failure_of(fetcher(), source_server.url(f"/to?location={location}"), tmp_path)
    assert failure.code == "src_scheme"


async def test_an_international_name_is_resolved_in_ascii(
    source_server: SourceServer, tmp_path: Path
) -> None:
    asked: list[str] = []

    async def resolver(host: str, port: int) -> list[IPAddress]:
        asked.append(host)
        return [ip_address("127.0.0.1")]

    fetch = Fetcher(allow_private=LOOPBACK, resolver=resolver)
    await fetch.fetch(f"http://bücher.test:{source_server.port}/image.png", tmp_path)
    assert asked == ["xn--bcher-kva.test"]
    assert source_server.requests[-1][1] == f"xn--bcher-kva.test:{source_server.port}"


async def test_an_unresolvable_host_is_unreachable(tmp_path: Path) -> None:
    async def resolver(host: str, port: int) -> list[IPAddress]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    fetch = Fetcher(allow_private=LOOPBACK, resolver=resolver)
    failure = await failure_of(fetch, "http://no-such-host.invalid/image.png", tmp_path)
    assert failure.code == "src_unreachable"


async def test_a_refused_connection_is_unreachable(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    failure = await failure_of(fetcher(), f"http://127.0.0.1:{port}/image.png", tmp_path)
    assert failure.code == "src_unreachable"


async def test_not_an_image_is_unsupported(source_server: SourceServer, tmp_path: Path) -> None:
    failure = await failure_of(fetcher(), source_server.url("/text"), tmp_path)
    assert failure.code == "unsupported_format"


async def test_concurrent_fetches_per_host_are_bounded(source_server: SourceServer, tmp_path: Path) -> None:
    fetch = fetcher(per_host=2)
    source_server.most_in_flight = 0
    await asyncio.gather(*(fetch.fetch(source_server.url("/concurrent"), tmp_path) for _ in range(5)))
    assert source_server.most_in_flight == 2


# HTTPS: the connection goes to the IP, the certificate is verified against the hostname (SNI).


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    key_options = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    subject = ["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"]
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            *key_options,
            "-days",
            "1",
            *subject,
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def tls_server(certificate: tuple[Path, Path]) -> Iterator[SourceServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    with serving(tls=context) as server:
        yield server


def trusting(certificate: tuple[Path, Path]) -> Fetcher:
    return Fetcher(allow_private=LOOPBACK, verify=ssl.create_default_context(cafile=str(certificate[0])))


async def test_https_verifies_the_hostname_over_the_checked_address(
    tls_server: SourceServer, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    fetched = await trusting(certificate).fetch(tls_server.url("/image.png", "localhost", "https"), tmp_path)

    assert fetched.format == "png"
    assert tls_server.requests[-1] == ("/image.png", f"localhost:{tls_server.port}")


async def test_https_refuses_a_certificate_for_another_name(
    tls_server: SourceServer, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    """The certificate names `localhost`, not `127.0.0.1`: verification is really on."""
    url = tls_server.url("/image.png", "127.0.0.1", "https")
    failure = await failure_of(trusting(certificate), url, tmp_path)
    assert failure.code == "src_unreachable"
