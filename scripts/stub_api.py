#!/usr/bin/env python3
"""A stub of the Truto API endpoints the CLI uses, as a real HTTP server on 127.0.0.1.

GET /team, GET /api-token (name filter, limit, next_cursor paging), GET /api-token/<id>; any
token not in the accepted set gets 401. Tests import make_server() and may queue faults (server.state.faults:
a 5xx, a 429, a redirect, a slow or malformed answer) to be served before the normal answers; TLS with
make_server(..., ssl_context=ctx). The demo runs it as a script:
    stub_api.py --token TOKEN [--token TOKEN...] [--port 0] [--port-file FILE]
"""

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TEAM = {"id": "team_7f3a", "name": "Acme Integrations", "domain": "acme.example"}
API_TOKENS = [
    {
        "id": f"tok_{i:03d}",
        "name": name,
        "environment_id": "env_dev",
        "created_at": f"2026-0{1 + i % 9}-1{i % 10}T09:00:00Z",
    }
    for i, name in enumerate(
        ["cli-macbook", "ci-staging", "ci-production", "backend", "cli-linux"] + [f"svc-{n}" for n in range(30)]
    )
]


class StubState:
    def __init__(self, tokens):
        self.tokens = set(tokens)
        self.requests = []  # (method, path, headers dict) for tests to inspect
        self.lock = threading.Lock()
        # Answers served, one per request and in order, before the normal ones: dicts with optional
        # "delay" (seconds before answering), "status", "headers" [(name, value)], "body" (bytes
        # sent as-is, anything else as JSON).
        self.faults = []

    def next_fault(self):
        with self.lock:
            return self.faults.pop(0) if self.faults else None


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet: tests read state.requests instead
            pass

        def send_json(self, status, body, headers=()):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def send_fault(self, fault):
            if fault.get("delay"):
                time.sleep(fault["delay"])
            if "status" not in fault:
                return False  # only slow: answer normally
            body = fault.get("body", {"error": "stub fault"})
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(fault["status"])
            self.send_header("Content-Type", "application/json" if not isinstance(body, bytes) else "text/html")
            self.send_header("Content-Length", str(len(data)))
            for k, v in fault.get("headers", ()):
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
            return True

        def do_GET(self):
            with state.lock:
                state.requests.append(("GET", self.path, dict(self.headers)))
            fault = state.next_fault()
            if fault is not None and self.send_fault(fault):
                return
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or auth[len("Bearer ") :] not in state.tokens:
                return self.send_json(401, {"error": "Unauthorized", "message": "Invalid API token"})
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            if url.path == "/team":
                return self.send_json(200, TEAM)
            if url.path == "/api-token":
                return self.list_tokens(query)
            if url.path.startswith("/api-token/"):
                wanted = url.path[len("/api-token/") :]
                for tok in API_TOKENS:
                    if tok["id"] == wanted:
                        return self.send_json(200, tok)
                return self.send_json(404, {"error": "Not Found", "message": f"API token {wanted} not found"})
            return self.send_json(404, {"error": "Not Found"})

        def list_tokens(self, query):
            items = [t for t in API_TOKENS if "name" not in query or t["name"] == query["name"]]
            try:
                limit = max(1, min(100, int(query.get("limit", 25))))
                start = int(query.get("next_cursor", 0))
            except ValueError:
                return self.send_json(400, {"error": "Bad Request", "message": "limit and next_cursor must be numbers"})
            page = items[start : start + limit]
            next_cursor = str(start + limit) if start + limit < len(items) else None
            return self.send_json(200, {"result": page, "next_cursor": next_cursor, "limit": limit})

    return Handler


def make_server(tokens, port=0, ssl_context=None):
    """A started server on 127.0.0.1; .url is its base URL, .state its tokens and request log.
    With ssl_context (an ssl.SSLContext holding the server certificate) it speaks https.
    Call .shutdown() when done."""
    state = StubState(tokens)
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(state))
    if ssl_context is not None:
        server.socket = ssl_context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    server.state = state
    scheme = "https" if ssl_context is not None else "http"
    server.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--token", action="append", default=[], help="an accepted API token (repeatable)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", help="write the chosen port here once listening")
    args = parser.parse_args()
    server = make_server(args.token, args.port)
    if args.port_file:
        with open(args.port_file, "w") as f:
            f.write(str(server.server_address[1]))
    print(server.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
