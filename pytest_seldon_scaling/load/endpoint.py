"""A minimal V2 inference endpoint on 127.0.0.1, for tests and benchmarks of the load driver.

Answers every ``POST`` with a fixed V2 response (or a chosen status), keep-alive, on asyncio
streams: about as cheap per request as an HTTP server gets in Python, so a benchmark measures
the load generator rather than the server. Run it in its own process::

    python -m pytest_seldon_scaling.load.endpoint --port 8080 [--status 503] [--delay-ms 20]

It prints ``listening on http://127.0.0.1:PORT`` once it accepts connections.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json

RESPONSE_BODY = json.dumps(
    {
        "model_name": "iris",
        "outputs": [{"name": "predict", "shape": [1, 1], "datatype": "INT64", "data": [2]}],
    }
).encode()
REASONS = {200: "OK", 404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable"}


def response(status: int) -> bytes:
    body = RESPONSE_BODY if status < 300 else b'{"error":"unavailable"}'
    head = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: keep-alive\r\n\r\n"
    )
    return head.encode() + body


async def _serve_connection(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, answer: bytes, delay: float
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if length:
                await reader.readexactly(length)
            if delay:
                await asyncio.sleep(delay)
            writer.write(answer)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def serve(port: int, status: int = 200, delay_ms: float = 0.0) -> None:
    answer = response(status)
    server = await asyncio.start_server(
        lambda r, w: _serve_connection(r, w, answer, delay_ms / 1000),
        "127.0.0.1",
        port,
        backlog=1024,
    )
    bound = server.sockets[0].getsockname()[1]
    print(f"listening on http://127.0.0.1:{bound}", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pytest_seldon_scaling.load.endpoint")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--status", type=int, default=200)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.status, args.delay_ms))


if __name__ == "__main__":
    main()
