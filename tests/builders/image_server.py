"""A local 127.0.0.1 HTTP server for the fetcher tests: serves registered images and misbehaves on
purpose (404, 429 then OK, always 429, slow, too large, X-Robots-Tag noai, not an image)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ImageServer:
    """Routes: ``/img/NAME`` (registered bytes), ``/404``, ``/flaky/NAME`` (429 once, then the image),
    ``/429``, ``/slow``, ``/big``, ``/noai/NAME``, ``/html``."""

    def __init__(self) -> None:
        self.images: dict[str, bytes] = {}
        self.hits: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self.delay_s = 0.0
        self.delay_match = ""
        """Only paths containing this are delayed (all when empty)."""
        self._lock = threading.Lock()
        self.base_url = ""

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        with self._lock:
            self.hits[path] += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            hits = self.hits[path]
        try:
            if self.delay_match in path:
                time.sleep(self.delay_s)
            self._respond(handler, path, hits)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _respond(self, handler: BaseHTTPRequestHandler, path: str, hits: int) -> None:
        name = path.split("?")[0].rsplit("/", 1)[-1]
        headers = {"Content-Type": "image/png"}
        if path == "/slow":
            time.sleep(1.5)
        if path.startswith("/noai/"):
            headers["X-Robots-Tag"] = "googlebot: noindex, otherbot: noai"
        if path == "/html":
            headers["Content-Type"] = "text/html"
        status, body = 200, self.images.get(name, b"\x89PNG fake")
        if path == "/404" or (path.startswith("/img/") and name not in self.images):
            status, body = 404, b"not found"
        elif path == "/429" or (path.startswith("/flaky/") and hits == 1):
            status, body = 429, b"slow down"
        elif path == "/big":
            body = b"\0" * 300_000
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up on purpose
            handler.wfile.write(body)


@contextmanager
def serve_images() -> Iterator[ImageServer]:
    """Start an ImageServer on a free 127.0.0.1 port for the block."""
    state = ImageServer()

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

        def do_GET(self) -> None:
            state.handle(self)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
