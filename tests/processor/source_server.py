"""A tiny HTTP(S) server on 127.0.0.1 playing the `src` hosts of the fetch tests, in a thread."""

from __future__ import annotations

import io
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from PIL import Image


def small_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


class SourceServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__((host, 0), _Handler)
        self.image = small_png()
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        self.endless_sent = 0
        self.endless_closed = threading.Event()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"


class _Handler(BaseHTTPRequestHandler):
    server: SourceServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        with self.server.lock:
            self.server.requests.append((parts.path, self.headers.get("Host", "")))
        route = parts.path.strip("/").split("/")
        if route[0] == "image.png":
            # The wrong Content-Type on purpose: the type must come from the bytes.
            self._send(200, self.server.image, content_type="text/html")
        elif route[0] == "text":
            self._send(200, b"<html>" + b"not an image " * 20 + b"</html>", content_type="image/png")
        elif route[0] == "status":
            self._send(int(route[1]), b"nope")
        elif route[0] == "slow":
            time.sleep(2.0)
            self._send(200, self.server.image)
        elif route[0] == "concurrent":
            self._concurrent()
        elif route[0] == "endless":
            self._endless()
        elif route[0] == "declared-large":
            self.send_response(200)
            self.send_header("Content-Length", str(10**10))
            self.end_headers()
            self.wfile.write(self.server.image[:8])
        elif route[0] == "redirect":
            # /redirect/N answers with N redirects before the image.
            left = int(route[1])
            location = "/image.png" if left <= 1 else f"/redirect/{left - 1}"
            self._redirect(location)
        elif route[0] == "to":
            self._redirect(parse_qs(parts.query)["location"][0])
        else:
            self._send(404, b"no such route")

    def _send(self, status: int, body: bytes, content_type: str = "image/png") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _concurrent(self) -> None:
        with self.server.lock:
            self.server.in_flight += 1
            self.server.most_in_flight = max(self.server.most_in_flight, self.server.in_flight)
        time.sleep(0.3)
        with self.server.lock:
            self.server.in_flight -= 1
        self._send(200, self.server.image)

    def _endless(self) -> None:
        """A chunked body that never ends: only a client that stops reading ends it."""
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = self.server.image[:8] + bytes(64 * 1024 - 8)
        try:
            while True:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.server.endless_sent += len(chunk)
        except OSError:
            self.server.endless_closed.set()
            self.close_connection = True


@contextmanager
def serving(host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> Iterator[SourceServer]:
    server = SourceServer(host)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
