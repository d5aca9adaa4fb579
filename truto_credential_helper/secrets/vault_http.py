"""Vault's HTTP API over the standard library (socket; ssl for https): this is on the path of a
helper `get`. http.client is not used: it imports the email package to parse headers, which cost a
Vault `get` more than all the rest of its work. One request per connection (Connection: close) needs
only the small, strict HTTP/1.1 reader below.

One call = one deadline (TRUTO_TIMEOUT) shared by every address given: on a refused connection, a
timeout, a sealed node or a standby that has no active node to forward to, the next address is
tried, round after round, until one answers or the deadline passes (a raft election takes seconds).
Where a request goes, as Vault's Go client decides it: a `unix:///path` address is a Vault Agent's
or Proxy's socket (trusted only when it and its directory are the user's or root's and nobody else
may write them); https goes through VAULT_PROXY_ADDR / VAULT_HTTP_PROXY, else HTTPS_PROXY and
NO_PROXY as Go's ProxyFromEnvironment reads them (http_proxy.py), always as a CONNECT tunnel, so
TLS is end to end and the proxy never sees the token; plain http (loopback only) never goes through
a proxy. A 307/308 from a standby is followed to a node of the same cluster only (redirect()).

Nothing here ever puts a Vault token or a secret in a message: callers pass what to scrub.
"""

import os
import socket
import time

from .. import jsondepth
from ..credential import split_authority
from ..errors import SecretStoreUnavailable

MAX_BODY = 4 << 20  # a KV secret of three tokens is a few KiB; a broken or hostile server is cut off
MAX_LINE = 65536  # a status, header or chunk-size line, as http.client bounds them
MAX_HEADERS = 100
ROUND_PAUSE = 0.25  # seconds between two rounds over the addresses, while a cluster elects a leader
NOT_ACTIVE_HINTS = (
    "active cluster node not found",
    "local node not active",
    "no active node",
    "node not active",
    "standby",
)
# A KV v2 engine on a node that just became active answers 400 with this until it has loaded.
STARTING_HINT = "waiting for the primary to upgrade"
REDIRECTS = 3  # a standby's 307 to the active node, with a little slack (Vault's client follows one)
UNIX = "unix://"
PROXY_VARS = (
    "VAULT_PROXY_ADDR",
    "VAULT_HTTP_PROXY",
    "HTTPS_PROXY",
    "https_proxy",
)


class Answer:
    def __init__(self, status, doc, address):
        self.status = status
        self.doc = doc if isinstance(doc, dict) else {}
        self.address = address

    @property
    def errors(self):
        errors = self.doc.get("errors")
        return [str(e) for e in errors] if isinstance(errors, list) else []

    @property
    def data(self):
        data = self.doc.get("data")
        return data if isinstance(data, dict) else None


class Unreachable(Exception):
    """This address cannot answer now (refused, timed out, sealed, standby without an active node):
    the next one may. reason: a few words for the final message."""

    def __init__(self, reason, sealed=False, transient=False):
        super().__init__(reason)
        self.reason = reason
        self.sealed = sealed
        self.transient = transient  # a cluster between two active nodes: worth another round


def tls_context():
    """TLS as the vault CLI configures it: VAULT_CACERT (a PEM file), VAULT_CACERT_BYTES (PEM text)
    and VAULT_CAPATH (a directory of them) add trust anchors; the system's trust store otherwise.
    VAULT_CLIENT_CERT + VAULT_CLIENT_KEY (PEM files) are the client certificate for a listener that
    requires one. VAULT_SKIP_VERIFY is not honoured: a Vault token is never sent to a server whose
    certificate was not checked."""
    import ssl

    cafile = os.environ.get("VAULT_CACERT") or None
    cadata = os.environ.get("VAULT_CACERT_BYTES") or None
    capath = os.environ.get("VAULT_CAPATH") or None
    try:
        context = ssl.create_default_context(cafile=cafile, capath=capath, cadata=cadata)
    except (OSError, ssl.SSLError, ValueError) as e:
        what = (
            f"VAULT_CACERT={cafile}"
            if cafile
            else f"VAULT_CAPATH={capath}"
            if capath and not cadata
            else "VAULT_CACERT_BYTES"
        )
        raise SecretStoreUnavailable(
            f"{what} cannot be used as Vault's CA ({getattr(e, 'strerror', None) or type(e).__name__}); "
            "point it at the PEM file of the CA that signed Vault's certificate"
        )
    cert = os.environ.get("VAULT_CLIENT_CERT") or None
    key = os.environ.get("VAULT_CLIENT_KEY") or None
    if cert or key:
        if not (cert and key):
            missing = "VAULT_CLIENT_KEY" if cert else "VAULT_CLIENT_CERT"
            raise SecretStoreUnavailable(
                f"{missing} is not set, but a client certificate needs both VAULT_CLIENT_CERT and VAULT_CLIENT_KEY "
                "(PEM files); set it, or unset the other"
            )
        try:
            context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as e:
            raise SecretStoreUnavailable(
                f"VAULT_CLIENT_CERT={cert} with VAULT_CLIENT_KEY={key} cannot be used as a client certificate "
                f"({getattr(e, 'strerror', None) or getattr(e, 'reason', None) or type(e).__name__}); point them at "
                "the PEM certificate and its unencrypted PEM key"
            )
    return context


def split_address(address):
    """(scheme, host, port, prefix) of a Vault address such as https://vault.example:8200: host
    lower-cased and without an IPv6 address's brackets, its authority read as every URL is
    (credential.split_authority). ValueError for what is not such an address (urllib.parse would
    have been the only user of re on the path of a `get`)."""
    scheme, sep, rest = address.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in ("http", "https"):
        raise ValueError("not an http:// or https:// address")
    # As urlsplit reads it: a query or fragment ends the path, user info is not part of the host.
    for cut in "#?":
        rest = rest.partition(cut)[0]
    hostport, slash, path = rest.partition("/")
    userinfo, _, hostport = hostport.rpartition("@")
    if "[" in userinfo or "]" in userinfo:
        raise ValueError("invalid IPv6 address")
    host, port = split_authority(hostport)
    host = host[1:-1] if host.startswith("[") else host
    port = port or (443 if scheme == "https" else 80)
    return scheme, host.lower(), port, (slash + path).rstrip("/")


_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~/")


def quote(text):
    """urllib.parse.quote(text) (safe="/"): percent-encoded UTF-8, without importing urllib."""
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8"))


class BrokenAnswer(Exception):
    """The bytes that came back are not an HTTP/1.1 answer. str(): a few words, never the bytes."""


class TooLarge(Exception):
    """The answer's body is larger than MAX_BODY."""


class _Reader:
    """Buffered reads from one socket, every read bounded by the attempt's deadline."""

    def __init__(self, sock, deadline):
        self.sock = sock
        self.deadline = deadline
        self.buf = bytearray()
        self.eof = False

    def fill(self):
        """Read more; False at EOF."""
        if self.eof:
            return False
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("timed out")
        self.sock.settimeout(left)
        data = self.sock.recv(65536)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def line(self):
        """One line without its CRLF (or bare LF); None at EOF before any byte of it."""
        start = 0
        while True:
            end = self.buf.find(b"\n", start)
            if end >= 0:
                break
            if len(self.buf) > MAX_LINE:
                raise BrokenAnswer("LineTooLong")
            start = len(self.buf)
            if not self.fill():
                if self.buf:
                    raise BrokenAnswer("IncompleteRead")
                return None
        if end > MAX_LINE:
            raise BrokenAnswer("LineTooLong")
        line = bytes(self.buf[:end])
        del self.buf[: end + 1]
        return line[:-1] if line.endswith(b"\r") else line

    def take(self, count):
        """Exactly `count` bytes; BrokenAnswer at EOF before them."""
        while len(self.buf) < count:
            if not self.fill():
                raise BrokenAnswer("IncompleteRead")
        data = bytes(self.buf[:count])
        del self.buf[:count]
        return data

    def rest(self, limit):
        """Everything up to EOF; TooLarge past `limit` bytes."""
        while len(self.buf) <= limit and self.fill():
            pass
        if len(self.buf) > limit:
            raise TooLarge()
        data = bytes(self.buf)
        self.buf.clear()
        return data


_TOKEN_CHARS = frozenset(b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def read_head(reader):
    """(status, {lower-case name: [values]}) of the next answer's status line and header section."""
    line = reader.line()
    if line is None:
        raise BrokenAnswer("RemoteDisconnected")
    version, _, rest = line.partition(b" ")
    code, _, _reason = rest.partition(b" ")
    if version not in (b"HTTP/1.1", b"HTTP/1.0") or len(code) != 3 or not code.isdigit() or code[:1] == b"0":
        raise BrokenAnswer("BadStatusLine")
    headers = {}
    for _ in range(MAX_HEADERS + 1):
        line = reader.line()
        if line is None:
            raise BrokenAnswer("IncompleteRead")
        if not line:
            return int(code), headers
        if line[:1] in (b" ", b"\t"):
            raise BrokenAnswer("folded header line")  # obs-fold, which RFC 9112 lets a client reject
        name, colon, value = line.partition(b":")
        if not colon or not name or not all(c in _TOKEN_CHARS for c in name):
            raise BrokenAnswer("malformed header line")
        headers.setdefault(name.decode("ascii").lower(), []).append(value.strip(b" \t").decode("latin-1"))
    raise BrokenAnswer("too many headers")


def read_chunked(reader, limit):
    """The body of a chunked answer (chunk extensions ignored, trailers skipped); TooLarge past limit."""
    parts, size = [], 0
    while True:
        line = reader.line()
        if line is None:
            raise BrokenAnswer("IncompleteRead")
        digits = line.split(b";", 1)[0].strip(b" \t")
        if not digits or not all(c in b"0123456789abcdefABCDEF" for c in digits) or len(digits) > 16:
            raise BrokenAnswer("bad chunk size")
        length = int(digits, 16)
        if length == 0:
            break
        size += length
        if size > limit:
            raise TooLarge()
        parts.append(reader.take(length))
        if reader.line() != b"":
            raise BrokenAnswer("chunk without its CRLF")
    for _ in range(MAX_HEADERS + 1):  # the trailer section: nothing of it is used
        line = reader.line()
        if not line:  # the blank line that ends it, or EOF right after the last chunk
            return b"".join(parts)
    raise BrokenAnswer("too many trailer lines")


def read_body(reader, method, status, headers, limit):
    """The body of the answer whose head was just read, framed as RFC 9112 section 6.3 says."""
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return b""
    codings = ",".join(headers.get("transfer-encoding", [])).lower()
    if codings:
        if [c.strip() for c in codings.split(",")] != ["chunked"]:
            raise BrokenAnswer("unsupported Transfer-Encoding")
        return read_chunked(reader, limit)
    lengths = {v.strip() for v in ",".join(headers.get("content-length", [])).split(",")} - {""}
    if lengths:
        if len(lengths) != 1:
            raise BrokenAnswer("conflicting Content-Length")
        length = lengths.pop()
        if not (length.isdigit() and length.isascii()):
            raise BrokenAnswer("bad Content-Length")
        if int(length) > limit:
            raise TooLarge()
        return reader.take(int(length))
    return reader.rest(limit)


def read_answer(reader, method, limit=MAX_BODY):
    """(status, body) of one HTTP/1.1 answer, interim (1xx) answers skipped."""
    status, _, body = read_response(reader, method, limit)
    return status, body


def read_response(reader, method, limit=MAX_BODY):
    """(status, headers, body) of one HTTP/1.1 answer, interim (1xx) answers skipped."""
    while True:
        status, headers = read_head(reader)
        if status >= 200 or status == 101:
            return status, headers, read_body(reader, method, status, headers, limit)


def _header_bytes(name, value):
    if any(c in value for c in "\r\n\0"):
        raise SecretStoreUnavailable(
            f"the {name} to send to Vault contains a line break or NUL; check where it comes from"
        )
    try:
        return f"{name}: {value}\r\n".encode("latin-1")
    except UnicodeEncodeError:
        raise SecretStoreUnavailable(
            f"the {name} to send to Vault has characters HTTP headers cannot carry; check where it comes from"
        )


def format_request(method, host, port, default_port, target, headers, data):
    """The bytes of one HTTP/1.1 request that asks the server to close the connection after it."""
    if any(c <= " " or c == "\x7f" for c in target) or not target.startswith("/"):
        raise BrokenAnswer("InvalidURL")
    authority = f"[{host}]" if ":" in host else host
    if port != default_port:
        authority = f"{authority}:{port}"
    out = [f"{method} {target} HTTP/1.1\r\nHost: {authority}\r\nAccept-Encoding: identity\r\n".encode("ascii")]
    out.extend(_header_bytes(name, value) for name, value in headers.items())
    if data is not None or method in ("POST", "PUT", "PATCH"):
        out.append(f"Content-Length: {len(data or b'')}\r\n".encode("ascii"))
    out.append(b"Connection: close\r\n\r\n")
    if data:
        out.append(data)
    return b"".join(out)


class Redirected(Exception):
    """A 307/308 answer: `location` is its Location header."""

    def __init__(self, status, location):
        super().__init__(status)
        self.status = status
        self.location = location


def parse_address(address):
    """(scheme, host, port, prefix) of a Vault address; a `unix:///path` one is ("unix", path, 0, ""),
    its path absolute. ValueError for what is neither."""
    if address.startswith(UNIX):
        path = address[len(UNIX) :]
        if not path.startswith("/") or "\0" in path:
            raise ValueError("a unix:// address names an absolute socket path, as unix:///run/bao-agent.sock")
        return "unix", path, 0, ""
    return split_address(address)


def agent_address():
    """VAULT_AGENT_ADDR, as Vault's client reads it: when set, every request goes there (a Vault
    Agent or Proxy in front of the cluster, adding its auto-auth token), instead of the profile's
    addresses; None when unset."""
    return os.environ.get("VAULT_AGENT_ADDR") or None


def check_agent_address(address):
    """VAULT_AGENT_ADDR as truto accepts a Vault address: unix://, https://, or plain http to this
    machine only (the Vault token, if any, travels in every request)."""
    from ..credential import is_loopback

    try:
        scheme, host, _, _ = parse_address(address)
    except ValueError as e:
        raise SecretStoreUnavailable(
            f"VAULT_AGENT_ADDR is not an agent address ({e}); set it to unix:///path/to/socket or http://127.0.0.1:PORT"
        )
    if scheme == "http" and not is_loopback(f"[{host}]" if ":" in host else host):
        raise SecretStoreUnavailable(
            "VAULT_AGENT_ADDR is plain http to another machine, which would send requests unencrypted; "
            "use the agent's loopback listener, its unix:// socket, or https://"
        )


def node(address):
    """(scheme, host, port) naming one Vault node, for comparing two addresses; None if invalid."""
    try:
        return parse_address(address)[:3]
    except ValueError:
        return None


def redirect(from_address, location, cluster, leader=None):
    """(address, target) to resend a request to after a 307/308 from `from_address`, or an
    Unreachable saying why not. Followed only within the cluster: the Location's node is among
    `cluster` (the profile's addresses) or is the active node that `leader()` (sys/leader of the
    node that redirected) names; https only to https, plain http only to a loopback http node, and
    never away from an agent's socket. The token goes with the request, so nowhere else."""
    from ..credential import is_loopback

    scheme = parse_address(from_address)[0]
    if location.startswith("/") and not location.startswith("//"):
        return from_address, location.partition("#")[0]  # the same node: nothing new learns the token
    try:
        new_scheme, host, port, _ = split_address(location)
    except ValueError:
        raise Unreachable("redirected to something that is not a Vault address")
    rest = location.partition("://")[2]
    target = "/" + rest.partition("/")[2].partition("#")[0] if "/" in rest.partition("#")[0] else "/"
    authority = f"[{host}]" if ":" in host else host
    where = f"{new_scheme}://{authority}:{port}"
    if scheme == "unix":
        raise Unreachable(f"the agent's socket redirected to {where}; an agent forwards requests itself")
    if scheme == "https" and new_scheme != "https":
        raise Unreachable(f"redirected from https to {where}, which would send the token unencrypted")
    if new_scheme == "http" and not is_loopback(authority):
        raise Unreachable(f"redirected to {where}, plain http to another machine")
    wanted = (new_scheme, host, port)
    if wanted not in {node(a) for a in cluster}:
        active = leader() if leader is not None else None
        if active is None or node(active) != wanted:
            raise Unreachable(
                f"redirected to {where}, which is neither one of the profile's Vault addresses nor the active "
                "node this cluster names (sys/leader); not followed"
            )
    return where, target


class Client:
    def __init__(self, addresses, deadline, timeout, what):
        # The profile's addresses: the cluster a redirect may lead to.
        self.cluster = list(addresses)
        agent = agent_address()
        if agent:
            check_agent_address(agent)
        self.addresses = [agent] if agent else list(addresses)
        self.what = what  # the secret's MOUNT/PATH, for messages
        self.deadline = deadline  # time.monotonic() value: every request of the operation shares it
        self.timeout = timeout
        self.namespace = os.environ.get("VAULT_NAMESPACE") or None
        self._tls = None
        self.last_address = self.addresses[0]

    def remaining(self):
        return self.deadline - time.monotonic()

    def request(self, method, path, token=None, body=None, content_type="application/json"):
        """One Vault API request (path under /v1/), tried on each address in turn. Returns the
        Answer of the first address that can answer; raises SecretStoreUnavailable when none did
        before the deadline."""
        if body is None:
            data = None
        else:
            import json  # only a login or a write sends a body

            data = json.dumps(body).encode("utf-8")
        # X-Vault-Request, as Vault's client sends it: Vault refuses requests without it on some
        # routes (a CSRF guard for browsers), and an agent's listener may require it.
        headers = {"Accept": "application/json", "X-Vault-Request": "true"}
        if data is not None:
            headers["Content-Type"] = content_type
        if token:
            headers["X-Vault-Token"] = token
        if self.namespace:
            headers["X-Vault-Namespace"] = self.namespace
        failures = {}
        while True:
            for index, address in enumerate(self.addresses):
                left = self.remaining()
                if left <= 0:
                    raise self._none_answered(failures)
                # A node that hangs must not eat the whole budget while others are untried.
                untried = len(self.addresses) - index
                attempt = left if untried == 1 and failures else max(min(left, 1.0), left / untried)
                try:
                    answer = self._exchange(address, method, path, headers, data, attempt)
                except Unreachable as e:
                    failures[address] = e
                    continue
                self.last_address = answer.address
                return answer
            # Refused, hung or sealed everywhere: waiting would not help. A cluster electing a new
            # active node answers within seconds: another round, until the deadline.
            if self.remaining() <= ROUND_PAUSE or not any(f.transient for f in failures.values()):
                raise self._none_answered(failures)
            time.sleep(ROUND_PAUSE)

    def _exchange(self, address, method, path, headers, data, timeout):
        """One request to `address`, following a standby's redirects within the cluster."""
        deadline = time.monotonic() + timeout
        try:
            prefix = parse_address(address)[3]
        except ValueError as e:
            raise SecretStoreUnavailable(
                f"'{address}' is not a Vault address ({e}); give the profile a valid one (truto login --vault-addr URL)"
            )
        at, target = address, f"{prefix}/v1/{path}"
        for _ in range(REDIRECTS):
            try:
                return self._once(at, method, target, headers, data, max(deadline - time.monotonic(), 0.001))
            except Redirected as r:

                def leader(at=at):
                    return self._leader(at, deadline)

                at, target = redirect(at, r.location, self.cluster, leader)
        raise Unreachable(f"redirected more than {REDIRECTS} times")

    def _leader(self, address, deadline):
        """The active node's address as the node at `address` reports it (sys/leader needs no
        token), or None."""
        try:
            prefix = parse_address(address)[3]
            answer = self._once(
                address,
                "GET",
                f"{prefix}/v1/sys/leader",
                {"Accept": "application/json", "X-Vault-Request": "true"},
                None,
                max(deadline - time.monotonic(), 0.001),
            )
        except (Unreachable, Redirected, SecretStoreUnavailable):
            return None
        found = answer.doc.get("leader_address")
        return found if answer.status == 200 and isinstance(found, str) and found else None

    def _connect(self, scheme, host, port, deadline):
        """A connected socket to the node (TLS set up for https), through a proxy if one applies."""
        left = max(deadline - time.monotonic(), 0.001)
        if scheme == "unix":
            check_socket(host)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(left)
                sock.connect(host)
            except BaseException:
                sock.close()
                raise
            return sock
        proxy = None
        if scheme == "https" and any(os.environ.get(n) for n in PROXY_VARS):
            from . import http_proxy

            proxy = http_proxy.proxy_for(host, port)
        if proxy is None:
            # An ASCII name as bytes: a str would be run through the idna codec, which imports re.
            sock = socket.create_connection((host.encode("ascii") if host.isascii() else host, port), timeout=left)
        else:
            sock = tunnel(proxy, host, port, deadline)
        if scheme == "https":
            try:
                sock.settimeout(max(deadline - time.monotonic(), 0.001))
                name = os.environ.get("VAULT_TLS_SERVER_NAME") or host
                sock = self._tls.wrap_socket(sock, server_hostname=name)  # the handshake within the deadline too
            except BaseException:
                sock.close()
                raise
        return sock

    def _once(self, address, method, target, headers, data, timeout):
        try:
            scheme, host, port, _ = parse_address(address)
        except ValueError as e:
            raise SecretStoreUnavailable(
                f"'{address}' is not a Vault address ({e}); give the profile a valid one (truto login --vault-addr URL)"
            )
        default_port = 443 if scheme == "https" else 80
        if scheme == "https" and self._tls is None:
            self._tls = tls_context()
        deadline = time.monotonic() + timeout  # the whole exchange, however slowly the bytes trickle in
        sock = None
        try:
            if scheme == "unix":
                request = format_request(method, "localhost", 80, default_port, target, headers, data)
            else:
                request = format_request(method, host, port, default_port, target, headers, data)
            sock = self._connect(scheme, host, port, deadline)
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            sock.sendall(request)
            status, response_headers, raw = read_response(_Reader(sock, deadline), method, MAX_BODY)
        except socket.timeout:
            raise Unreachable(f"no answer within {timeout:.3g} s")
        except ConnectionRefusedError:
            raise Unreachable("connection refused")
        except OSError as e:
            import ssl

            if isinstance(e, ssl.SSLCertVerificationError):
                raise SecretStoreUnavailable(
                    f"Vault at {address} presented a certificate that is not trusted ({e.verify_message}); "
                    "set VAULT_CACERT to the PEM file of its CA"
                )
            if isinstance(e, ssl.SSLError):
                reason = str(e.reason or type(e).__name__)
                if any(
                    w in reason for w in ("CERTIFICATE_REQUIRED", "BAD_CERTIFICATE", "UNKNOWN_CA", "HANDSHAKE_FAILURE")
                ):
                    having = "the one VAULT_CLIENT_CERT names" if os.environ.get("VAULT_CLIENT_CERT") else "none"
                    raise SecretStoreUnavailable(
                        f"Vault at {address} refused the TLS client certificate ({reason}; sent: {having}); set "
                        "VAULT_CLIENT_CERT and VAULT_CLIENT_KEY to a certificate its listener's CA signed"
                    )
                raise Unreachable(f"TLS failed ({reason})")
            raise Unreachable(e.strerror or type(e).__name__)
        except BrokenAnswer as e:
            raise Unreachable(f"broken HTTP answer ({e})")
        except TooLarge:
            raise SecretStoreUnavailable(
                f"Vault at {address} sent an answer larger than {MAX_BODY >> 20} MiB; check --vault-addr"
            )
        finally:
            if sock is not None:
                sock.close()
        if status in (307, 308) and response_headers.get("location"):
            raise Redirected(status, response_headers["location"][0])
        try:
            doc = jsondepth.loads(raw.decode("utf-8")) if raw.strip() else {}
        except (ValueError, RecursionError):
            if status in (502, 503, 504):
                raise Unreachable(f"HTTP {status} from something that is not Vault")
            raise SecretStoreUnavailable(
                f"{address} answered HTTP {status} with something that is not Vault's JSON; "
                "check that --vault-addr points at Vault"
            )
        answer = Answer(status, doc, address)
        text = " ".join(answer.errors).lower()
        if status == 503 and "sealed" in text:
            raise Unreachable("sealed", sealed=True)
        if status in (429, 472, 473) or (status >= 500 and any(h in text for h in NOT_ACTIVE_HINTS)):
            raise Unreachable("a standby with no active node to answer", transient=True)
        if status == 400 and STARTING_HINT in text:
            raise Unreachable("the KV engine is starting on a newly active node", transient=True)
        if 300 <= status < 400:
            raise Unreachable(f"redirected (HTTP {status}) to another node")
        return answer

    def _none_answered(self, failures):
        where = ", ".join(self.addresses)
        if failures and all(f.sealed for f in failures.values()):
            return SecretStoreUnavailable(
                f"Vault at {where} is sealed, so {self.what} cannot be read; ask its operators to unseal it "
                "(vault/bao operator unseal), then retry"
            )
        reasons = "; ".join(f"{a}: {f.reason}" for a, f in failures.items()) or f"no answer within {self.timeout:g} s"
        return SecretStoreUnavailable(
            f"cannot reach Vault for {self.what} ({reasons}); check that Vault is running and the profile's Vault address "
            f"(truto login --vault-addr URL), or raise TRUTO_TIMEOUT (now {self.timeout:g} s)"
        )


def vault_message(answer, scrub=()):
    """Vault's own error text, cleaned by the one sanitiser (untrusted.clean: every secret held, and
    what we sent, redacted in any case and however split, before the length is capped), or ''."""
    from ..untrusted import clean

    return clean("; ".join(answer.errors), also=tuple(scrub))


def check_socket(path):
    """An agent's unix socket is trusted only if it and its directory belong to this user or root
    and nobody else may write them: anyone who could replace the socket would receive every
    request, token and all. (A socket's group write bit only lets the group connect: allowed.)"""
    import stat

    from .ownership import untrusted_because

    if not os.path.exists(path):
        raise Unreachable(f"no socket at {path}")
    problem = untrusted_because(path, stat.S_ISSOCK)
    if problem:
        raise SecretStoreUnavailable(
            f"the Vault agent socket {path} {problem}, so it is not trusted with Vault requests; "
            "let only your user (or root) own and write the socket and its directory"
        )


def tunnel(proxy, host, port, deadline):
    """A socket connected through `proxy` to host:port with CONNECT, ready for the TLS handshake."""
    left = max(deadline - time.monotonic(), 0.001)
    try:
        sock = socket.create_connection(
            (proxy.host.encode("ascii") if proxy.host.isascii() else proxy.host, proxy.port), timeout=left
        )
    except socket.timeout:
        raise Unreachable(f"{proxy.label} did not answer within {left:.3g} s")
    except OSError as e:
        raise Unreachable(f"{proxy.label}: {e.strerror or type(e).__name__}")
    try:
        authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        request = [f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n".encode("ascii")]
        if proxy.authorization:
            request.append(_header_bytes("Proxy-Authorization", proxy.authorization))
        request.append(b"\r\n")
        sock.settimeout(left)
        sock.sendall(b"".join(request))
        reader = _Reader(sock, deadline)
        try:
            status, _ = read_head(reader)
        except BrokenAnswer as e:
            raise Unreachable(f"{proxy.label} sent a broken answer to CONNECT ({e})")
        if status == 407:
            raise SecretStoreUnavailable(
                f"{proxy.label} asks for authentication (HTTP 407); put the proxy's user and password in "
                f"{proxy.source} (http://USER:PASSWORD@HOST:PORT)"
            )
        if not 200 <= status < 300:
            raise Unreachable(f"{proxy.label} refused to connect to {authority} (HTTP {status})")
        if reader.buf:
            raise Unreachable(f"{proxy.label} sent bytes of its own after CONNECT")
        return sock
    except BaseException:
        sock.close()
        raise
