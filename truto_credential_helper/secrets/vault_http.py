"""Vault's HTTP API over the standard library (socket; ssl for https): this is on the path of a
helper `get`. http.client is not used: it imports the email package to parse headers, which cost a
Vault `get` more than all the rest of its work. One request per connection (Connection: close) needs
only the small, strict HTTP/1.1 reader below.

One call = one deadline (TRUTO_TIMEOUT) shared by every address given: on a refused connection, a
timeout, a sealed node or a standby that has no active node to forward to, the next address is
tried, round after round, until one answers or the deadline passes (a raft election takes seconds).
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
    """TLS as the vault CLI configures it: VAULT_CACERT (a PEM file) and VAULT_CAPATH (a directory
    of them) add trust anchors; the system's trust store otherwise. VAULT_SKIP_VERIFY is not
    honoured: a Vault token is never sent to a server whose certificate was not checked."""
    import ssl

    cafile = os.environ.get("VAULT_CACERT") or None
    capath = os.environ.get("VAULT_CAPATH") or None
    try:
        return ssl.create_default_context(cafile=cafile, capath=capath)
    except (OSError, ssl.SSLError) as e:
        what = f"VAULT_CACERT={cafile}" if cafile else f"VAULT_CAPATH={capath}"
        raise SecretStoreUnavailable(
            f"{what} cannot be used as Vault's CA ({getattr(e, 'strerror', None) or type(e).__name__}); "
            "point it at the PEM file of the CA that signed Vault's certificate"
        )


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
    while True:
        status, headers = read_head(reader)
        if status >= 200 or status == 101:
            return status, read_body(reader, method, status, headers, limit)


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


class Client:
    def __init__(self, addresses, deadline, timeout, what):
        self.addresses = list(addresses)
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
        headers = {"Accept": "application/json"}
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
                    answer = self._once(address, method, path, headers, data, attempt)
                except Unreachable as e:
                    failures[address] = e
                    continue
                self.last_address = address
                return answer
            # Refused, hung or sealed everywhere: waiting would not help. A cluster electing a new
            # active node answers within seconds: another round, until the deadline.
            if self.remaining() <= ROUND_PAUSE or not any(f.transient for f in failures.values()):
                raise self._none_answered(failures)
            time.sleep(ROUND_PAUSE)

    def _once(self, address, method, path, headers, data, timeout):
        try:
            scheme, host, port, prefix = split_address(address)
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
            request = format_request(method, host, port, default_port, f"{prefix}/v1/{path}", headers, data)
            # An ASCII name as bytes: a str would be run through the idna codec, which imports re.
            sock = socket.create_connection((host.encode("ascii") if host.isascii() else host, port), timeout=timeout)
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            if scheme == "https":
                sock = self._tls.wrap_socket(sock, server_hostname=host)  # the handshake within the deadline too
            sock.sendall(request)
            status, raw = read_answer(_Reader(sock, deadline), method, MAX_BODY)
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
                raise Unreachable(f"TLS failed ({e.reason or type(e).__name__})")
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
