"""Hostile servers of our own, real sockets on loopback: an HTTP(S) server whose every answer is
scripted (hang, 5xx, 429, garbage, endless body, redirect), which records what reached it, and a
Unix socket that accepts a connection and never says a word (a wedged D-Bus peer)."""

import json
import os
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from conftest import stub_api_module

TEAM = stub_api_module.TEAM


# --- behaviours: each is called with the request handler and writes (or withholds) the answer


def reply(status, body=None, headers=(), raw=None):
    def behave(h):
        data = raw if raw is not None else json.dumps(body if body is not None else {}).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    return behave


def team():
    return reply(200, TEAM)


def hang():
    """Read the request, then never answer (until the test ends)."""

    def behave(h):
        h.server.stopping.wait(120)
        h.close_connection = True

    return behave


def endless_json():
    """200 with a JSON array that never ends: only a size cap on the client ends this."""

    def behave(h):
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        chunk = b"0," * 32768
        try:
            h.wfile.write(b"[")
            while not h.server.stopping.is_set():
                h.wfile.write(chunk)
        except OSError:
            pass  # the client hung up: what it should do

    return behave


def huge_json(size=64 << 20):
    """A well-formed but absurdly large JSON document with an honest Content-Length."""

    def behave(h):
        head = b'{"id": "team_7f3a", "name": "'
        tail = b'"}'
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(head) + size + len(tail)))
        h.end_headers()
        chunk = b"a" * (1 << 20)
        try:
            h.wfile.write(head)
            for _ in range(size >> 20):
                h.wfile.write(chunk)
            h.wfile.write(tail)
        except OSError:
            pass

    return behave


def redirect(location, status=302):
    def behave(h):
        h.send_response(status)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return behave


def echo_token(status=401):
    """An error whose message quotes the Authorization header back: a careless server."""

    def behave(h):
        auth = h.headers.get("Authorization", "")
        return reply(status, {"error": "Unauthorized", "message": f"Invalid API token: {auth}"})(h)

    return behave


class HostileServer(ThreadingHTTPServer):
    """serve(*behaviours): the n-th request gets behaviours[n] (the last one repeats)."""

    daemon_threads = True

    def __init__(self, behaviours, host="127.0.0.1", tls_context=None):
        self.behaviours = list(behaviours)
        self.requests = []  # (method, path, headers)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        super().__init__((host, 0), _Handler)
        if tls_context is not None:
            self.socket = tls_context.wrap_socket(self.socket, server_side=True)
        scheme = "https" if tls_context is not None else "http"
        self.url = f"{scheme}://{host}:{self.server_address[1]}"
        self.tls_errors = []
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def handle_error(self, request, client_address):  # a client refusing our certificate is expected
        import sys

        self.tls_errors.append(repr(sys.exc_info()[1]))

    def next_behaviour(self, handler):
        with self.lock:
            self.requests.append((handler.command, handler.path, dict(handler.headers)))
            n = len(self.requests) - 1
        return self.behaviours[min(n, len(self.behaviours) - 1)]

    def authorizations(self):
        return [h.get("Authorization") for _, _, h in self.requests if h.get("Authorization")]

    def stop(self):
        self.stopping.set()
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _any(self):
        self.server.next_behaviour(self)(self)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_CONNECT = _any


_HELD = []  # bound, never listening: refused, and no other process (a parallel run) can take the port


def closed_port():
    """A loopback port nothing listens on (connection refused), held until the tests end."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    _HELD.append(s)
    return s.getsockname()[1]


class SilentUnixPeer:
    """A Unix socket server that accepts every connection and never reads or writes: a D-Bus
    address whose peer is there but wedged. stop() shuts every socket down and joins every thread:
    a thread left blocked on a closed socket would read from whatever later reuses its descriptor."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.accepted = []
        self.threads = []
        self.stopping = threading.Event()
        self._start(self._accept)

    def _start(self, target, *args):
        thread = threading.Thread(target=target, args=args, daemon=True)
        self.threads.append(thread)
        thread.start()

    def _next(self):
        """The next connection, or None once stopping."""
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return None
            conn.settimeout(None)
            self.accepted.append(conn)
            return conn
        return None

    def _accept(self):
        while self._next() is not None:
            pass  # kept open, never answered

    def stop(self):
        self.stopping.set()
        for c in self.accepted:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in self.threads:
            t.join(10)
        for c in self.accepted:
            c.close()
        self.sock.close()


# --- a throwaway certificate authority, made with the openssl command line


def make_ca(directory):
    """(ca.pem, server.pem, server.key) for 127.0.0.1 and localhost, signed by a fresh private CA."""
    d = str(directory)

    def ossl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    ossl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=truto adversarial test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    )
    ossl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"
    )
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write(
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
            "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
        )
    ossl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    )
    return tuple(os.path.join(d, n) for n in ("ca.pem", "server.pem", "server.key"))


def tls_context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


class ScriptedUnixPeer(SilentUnixPeer):
    """A Unix socket server that runs script(conn, stopping) on each accepted connection in a thread:
    a D-Bus peer that answers late, answers garbage, or promises a huge message."""

    def __init__(self, path, script):
        self.script = script
        super().__init__(path)

    def _accept(self):
        while True:
            conn = self._next()
            if conn is None:
                return
            self._start(self._run, conn)

    def _run(self, conn):
        try:
            self.script(conn, self.stopping)
        except OSError:
            pass


DBUS_OK = b"OK 0123456789abcdef0123456789abcdef\r\n"


def dbus_late_hangup(delay):
    """Authenticates after `delay` seconds, then hangs up: each attempt costs the client `delay`."""

    def script(conn, stopping):
        conn.recv(4096)
        if stopping.wait(delay):
            return
        conn.sendall(DBUS_OK)
        conn.close()

    return script


def dbus_mute_after_auth(conn, stopping):
    """Authenticates at once, then reads everything (BEGIN, Hello, every call) and never answers:
    a session bus whose daemon is wedged."""
    conn.settimeout(0.2)
    authenticated = False
    while not stopping.is_set():
        try:
            if not conn.recv(65536):
                return
        except socket.timeout:
            continue
        if not authenticated:
            conn.sendall(DBUS_OK)
            authenticated = True


def dbus_garbage(conn, stopping):
    conn.recv(4096)
    conn.sendall(DBUS_OK + os.urandom(4096))
    stopping.wait(1)
    conn.close()


def dbus_huge_message(conn, stopping):
    """Authenticates, then announces a 100 MiB message and trickles it."""
    import struct

    conn.recv(4096)
    header = b"l" + bytes([2, 0, 1]) + struct.pack("<III", 100 << 20, 1, 0)
    conn.sendall(DBUS_OK + header)
    while not stopping.wait(0.05):
        conn.sendall(b"\0" * 1024)


# --- a server that repeats secrets in every place it controls, dressed to attack a terminal


def loud(word, cr="\r"):
    """word wrapped in what a terminal obeys: colour, a window title, a clear-screen (7- and 8-bit),
    a carriage return that would overwrite the line."""
    return f"\x1b[31m{word}\x1b[0m{cr}\x9b2J\x1b]0;{word}\x07\x1b7{word}\x08"


def echo_everywhere(status, extra=(), padding=3000, json_body=True):
    """Answers `status` with the token it was sent (as sent, upper-case, swapped case) and `extra`
    strings in the reason phrase, Content-Type, Location, Retry-After, a header of its own and a
    JSON body shaped like every answer the CLI reads (team, API token list); padded to lengths no
    message should carry. Bidi overrides only in the body: HTTP headers are Latin-1. No CR in a
    header: the client would end the headers there and never see Content-Length."""

    def behave(h):
        sent = h.headers.get("Authorization", "").partition(" ")[2]
        words = [w for w in (sent, sent.upper(), sent.swapcase(), *extra) if w]
        noise = " ".join(loud(w) for w in words)
        quiet = " ".join(loud(w, cr="") for w in words)
        pad = "x" * padding
        text = f"\u202e{noise}\u2066 {pad}"
        body = {
            "error": text,
            "message": text,
            "id": noise,
            "name": text,
            "domain": sent,
            "result": [{"id": w, "name": text, "environment_id": w} for w in words],
            "next_cursor": sent,
        }
        data = json.dumps(body).encode() if json_body else f"<html>{text}</html>".encode()
        h.send_response(status, f"Echo {noise} {pad}")
        h.send_header("Content-Length", str(len(data)))
        h.send_header("Content-Type", f"text/html; {quiet}; {pad}")
        # 7-bit: requests decodes a Location as UTF-8 (an 8-bit one is refused as unreadable).
        h.send_header("Location", f"https://{sent}.example/{sent.upper()}?\x1b[31m{sent.swapcase()}\x1b]0;x\x07&{pad}")
        h.send_header("Retry-After", f"{quiet} {pad}")
        h.send_header("X-Echo", quiet)
        h.end_headers()
        h.wfile.write(data)

    return behave
