"""For tests: a real HTTP server on 127.0.0.1 answering as a Flink JobManager's REST API does, from answers the test
sets per request, so submit.py and checkpoints.py talk to it over HTTP as to Flink.

Each answer is a status and a JSON body, or a callable that computes one from the request (for a request that must
hang, fail once, or change the model). Requests without an answer get 404 as Flink gives for an unknown path;
with `answering` off every request gets 503, as from a JobManager that has no leader yet.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes


# (status, JSON body)
Answer = tuple[int, object]


@dataclass
class RestStandIn:
    # By "METHOD /path" (the path with its query string): a fixed answer, or one computed from the request.
    answers: dict[str, Answer | Callable[[Request], Answer]] = field(default_factory=dict)
    answering: bool = True
    requests: list[Request] = field(default_factory=list)
    url: str = ""

    def answer(self, request: Request) -> Answer:
        self.requests.append(request)
        if not self.answering:
            return 503, {"errors": ["Service temporarily unavailable due to an ongoing leader election."]}
        found = self.answers.get(f"{request.method} {request.path}")
        if found is None:
            return 404, {"errors": [f"Not found: {request.path}"]}
        return found(request) if callable(found) else found

    def asked(self, method: str, path: str) -> int:
        """How often `method path` was requested."""
        return sum(1 for r in self.requests if r.method == method and r.path == path)


def _handler(stand_in: RestStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, body = stand_in.answer(Request(self.command, self.path, self.rfile.read(length)))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = _serve

        def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's signature
            pass  # the test reads `requests`, not a log

    return Handler


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that gave up waiting (a timeout under test) closed the connection: expected, not news


class running_stand_in:
    """`with running_stand_in() as flink:` a stand-in serving on an ephemeral port of 127.0.0.1 until the block ends."""

    def __init__(self, stand_in: RestStandIn | None = None):
        self.stand_in = stand_in or RestStandIn()

    def __enter__(self) -> RestStandIn:
        self.server = _QuietServer(("127.0.0.1", 0), _handler(self.stand_in))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.stand_in.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        return self.stand_in

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
