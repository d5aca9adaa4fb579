"""Vault's HTTP API over the standard library (http.client, ssl, json): this is on the path of a
helper `get`, which must not import an HTTP library heavier than that.

One call = one deadline (TRUTO_TIMEOUT) shared by every address given: on a refused connection, a
timeout, a sealed node or a standby that has no active node to forward to, the next address is
tried, round after round, until one answers or the deadline passes (a raft election takes seconds).
Nothing here ever puts a Vault token or a secret in a message: callers pass what to scrub.
"""
import json
import os
import socket
import time

from ..errors import SecretStoreUnavailable

MAX_BODY = 4 << 20  # a KV secret of three tokens is a few KiB; a broken or hostile server is cut off
ROUND_PAUSE = 0.25  # seconds between two rounds over the addresses, while a cluster elects a leader
NOT_ACTIVE_HINTS = ("active cluster node not found", "local node not active", "no active node",
                    "node not active", "standby")
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
        raise SecretStoreUnavailable(f"{what} cannot be used as Vault's CA ({getattr(e, 'strerror', None) or type(e).__name__}); "
                                     "point it at the PEM file of the CA that signed Vault's certificate")


def split_address(address):
    """(scheme, host, port, prefix) of a Vault address such as https://vault.example:8200."""
    from urllib.parse import urlsplit

    parts = urlsplit(address)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, parts.hostname, port, parts.path.rstrip("/")


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
        data = None if body is None else json.dumps(body).encode("utf-8")
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
        import http.client

        scheme, host, port, prefix = split_address(address)
        if scheme == "https":
            if self._tls is None:
                self._tls = tls_context()
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=self._tls)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            conn.request(method, f"{prefix}/v1/{path}", body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read(MAX_BODY + 1)
            status = response.status
        except socket.timeout:
            raise Unreachable(f"no answer within {timeout:.3g} s")
        except ConnectionRefusedError:
            raise Unreachable("connection refused")
        except OSError as e:
            import ssl

            if isinstance(e, ssl.SSLCertVerificationError):
                raise SecretStoreUnavailable(
                    f"Vault at {address} presented a certificate that is not trusted ({e.verify_message}); "
                    "set VAULT_CACERT to the PEM file of its CA")
            if isinstance(e, ssl.SSLError):
                raise Unreachable(f"TLS failed ({e.reason or type(e).__name__})")
            raise Unreachable(e.strerror or type(e).__name__)
        except http.client.HTTPException as e:
            raise Unreachable(f"broken HTTP answer ({type(e).__name__})")
        finally:
            conn.close()
        if len(raw) > MAX_BODY:
            raise SecretStoreUnavailable(f"Vault at {address} sent an answer larger than {MAX_BODY >> 20} MiB; check --vault-addr")
        try:
            doc = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        except ValueError:
            if status in (502, 503, 504):
                raise Unreachable(f"HTTP {status} from something that is not Vault")
            raise SecretStoreUnavailable(f"{address} answered HTTP {status} with something that is not Vault's JSON; "
                                         "check that --vault-addr points at Vault")
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
                "(vault/bao operator unseal), then retry")
        reasons = "; ".join(f"{a}: {f.reason}" for a, f in failures.items()) or f"no answer within {self.timeout:g} s"
        return SecretStoreUnavailable(
            f"cannot reach Vault for {self.what} ({reasons}); check that Vault is running and the profile's Vault address "
            f"(truto login --vault-addr URL), or raise TRUTO_TIMEOUT (now {self.timeout:g} s)")


def vault_message(answer, scrub=()):
    """Vault's own error text, on one line, with anything we sent scrubbed out, or ''."""
    text = "; ".join(answer.errors)
    for secret in scrub:
        if secret:
            text = text.replace(secret, "***")
    text = " ".join(text.split())
    return text[:200]
