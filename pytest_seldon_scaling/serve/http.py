"""The HTTP shells: the API server and the seldon-mesh data plane on 127.0.0.1.

stdlib ``ThreadingHTTPServer`` with HTTP/1.1 keep-alive (kubectl, the kubernetes client and
Locust reuse connections); streamed replies (watches) go out chunked.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from .api import Reply

Handler = Callable[[str, str, dict[str, str], dict[str, str], bytes], Reply]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client closed its keep-alive connection (Locust stopping its users)
        super().handle_error(request, client_address)


def _handler_class(handle: Handler) -> type[BaseHTTPRequestHandler]:
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "seldon-twin"
        # headers and body leave in two writes: with Nagle's algorithm the body waits for the
        # client's delayed ACK of the headers, 40 ms on Linux, on every keep-alive request
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: object) -> None:
            return  # one line per request would drown the terminal under Locust load

        def _serve(self) -> None:
            url = urlsplit(self.path)
            query = dict(parse_qsl(url.query, keep_blank_values=True))
            headers = {k.lower(): v for k, v in self.headers.items()}
            length = int(headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            try:
                reply = handle(self.command, url.path, query, headers, body)
            except Exception as error:  # a bug must answer 500, not drop the connection
                message = f"internal error in the served twin: {type(error).__name__}: {error}"
                reply = Reply(
                    500,
                    json.dumps(
                        {
                            "kind": "Status",
                            "status": "Failure",
                            "code": 500,
                            "message": message,
                            "reason": "InternalError",
                        }
                    ).encode(),
                )
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            for name, value in reply.headers:
                self.send_header(name, value)
            if isinstance(reply.body, bytes):
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
                return
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                for chunk in reply.body:
                    if chunk:
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                        self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    return RequestHandler


class HTTPService:
    """One handler served on 127.0.0.1:``port`` (0: a free port) in a background thread."""

    def __init__(self, handle: Handler, port: int = 0, host: str = "127.0.0.1") -> None:
        self.server = _Server((host, port), _handler_class(handle))
        self.host = host
        self.port = int(self.server.server_address[1])
        # a short poll: close() (server.shutdown) waits for serve_forever's next poll
        self._thread = threading.Thread(
            target=lambda: self.server.serve_forever(poll_interval=0.05), daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> HTTPService:
        self._thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
