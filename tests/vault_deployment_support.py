"""Vault as companies run it, for tests/test_vault_deployments.py: a throwaway CA and an OpenBao
server with TLS listeners (one that requires and verifies client certificates), an OpenBao Proxy
with AppRole auto-auth on a unix socket and a loopback port, a recording CONNECT proxy and a
recording standby that answers 307. All on 127.0.0.1, on ports picked free, stopped by the tests.
"""

import datetime
import http.server
import ipaddress
import json
import select
import socket
import subprocess
import threading
from pathlib import Path

from vault_support import BAO, READ_POLICY, free_port, server_env, start_dev, wait_until

TLS_NAME = "vault.test"  # the Vault host's name in the server certificate (and through the proxy)


class ThrowawayCA:
    """A CA made for one test run, issuing server and client certificates as PEM files."""

    def __init__(self, directory):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "truto tests throwaway CA")])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.pem = self.cert.public_bytes(serialization.Encoding.PEM).decode()
        self.path = self.directory / "ca.pem"
        self.path.write_text(self.pem)

    def issue(self, name, dns=(), ips=(), client=False):
        """(cert path, key path) of a new certificate for `name`."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH]),
                critical=False,
            )
        )
        alt = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        if alt:
            builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        cert_path, key_path = self.directory / f"{name}.pem", self.directory / f"{name}-key.pem"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        key_path.chmod(0o600)
        return cert_path, key_path


def start_tls_server(directory, ca):
    """A dev server (admin over its plain loopback listener) with two more TLS listeners whose
    certificate names only vault.test and localhost: server.tls_port (no client certificate) and
    server.mtls_port (requires one the CA signed)."""
    cert, key = ca.issue("vault-server", dns=(TLS_NAME, "localhost"))
    tls_port, mtls_port = free_port(), free_port()
    config = (
        f'listener "tcp" {{\n  address = "127.0.0.1:{tls_port}"\n  tls_cert_file = "{cert}"\n'
        f'  tls_key_file = "{key}"\n}}\n'
        f'listener "tcp" {{\n  address = "127.0.0.1:{mtls_port}"\n  tls_cert_file = "{cert}"\n'
        f'  tls_key_file = "{key}"\n  tls_client_ca_file = "{ca.path}"\n'
        "  tls_require_and_verify_client_cert = true\n}\n"
    )
    server = start_dev(directory, config=config)
    server.tls_port, server.mtls_port = tls_port, mtls_port
    return server


def enable_cert_auth(server, ca, policies=(READ_POLICY,), mount="cert", role="devs"):
    """The TLS certificate auth method at `mount`, trusting client certificates the CA signed."""
    server.ok("POST", f"sys/auth/{mount}", {"type": "cert"})
    server.ok(
        "POST",
        f"auth/{mount}/certs/{role}",
        {"certificate": ca.pem, "token_policies": list(policies), "token_ttl": "10m"},
    )


class BaoProxy:
    """`bao proxy` with AppRole auto-auth in front of `server`: requests without a token get the
    proxy's. Listens on a unix socket (self.socket) and a loopback port (self.address); the port's
    listener requires `X-Vault-Request: true`, as Vault's clients send it."""

    def __init__(self, directory, server, role_id, secret_id):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "role-id").write_text(role_id)
        (self.directory / "secret-id").write_text(secret_id)
        run = self.directory / "run"
        run.mkdir(mode=0o700)
        self.socket = run / "agent.sock"
        port = free_port()
        self.address = f"http://127.0.0.1:{port}"
        (self.directory / "proxy.hcl").write_text(
            f'vault {{\n  address = "{server.address}"\n}}\n'
            'auto_auth {\n  method "approle" {\n    mount_path = "auth/approle"\n    config = {\n'
            f'      role_id_file_path = "{self.directory / "role-id"}"\n'
            f'      secret_id_file_path = "{self.directory / "secret-id"}"\n'
            "      remove_secret_id_file_after_reading = false\n    }\n  }\n}\n"
            "api_proxy {\n  use_auto_auth_token = true\n}\n"
            f'listener "unix" {{\n  address = "{self.socket}"\n  tls_disable = true\n}}\n'
            f'listener "tcp" {{\n  address = "127.0.0.1:{port}"\n  tls_disable = true\n'
            "  require_request_header = true\n}\n"
        )
        self.log = open(self.directory / "proxy.log", "w+")
        self.process = subprocess.Popen(
            [str(BAO), "proxy", f"-config={self.directory / 'proxy.hcl'}"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=server_env(self.directory),
        )
        log_path = self.directory / "proxy.log"
        wait_until(
            lambda: (
                self.process.poll() is not None
                or (self.socket.exists() and "authentication successful" in log_path.read_text())
            ),
            what="bao proxy",
        )
        assert self.process.poll() is None, log_path.read_text()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class RecordingConnectProxy:
    """An HTTP proxy that only tunnels (CONNECT), recording each CONNECT line and every byte the
    client sent through it. `names` maps a host name to the address to connect to (vault.test is
    127.0.0.1): the client resolves nothing itself when it goes through a proxy."""

    def __init__(self, names=None):
        self.names = dict(names or {})
        self.connects = []
        self.client_bytes = bytearray()
        self.lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.closing = False
        self.listener.settimeout(0.2)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.closing:
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(None)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn):
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            head, _, rest = head.partition(b"\r\n\r\n")
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            with self.lock:
                self.connects.append(line)
                self.client_bytes += head + rest
            method, target = line.split(" ")[:2]
            if method != "CONNECT":
                conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            host, _, port = target.rpartition(":")
            try:
                upstream = socket.create_connection((self.names.get(host, host), int(port)), timeout=10)
            except OSError:
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            with upstream:
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                if rest:
                    upstream.sendall(rest)
                self._relay(conn, upstream)

    def _relay(self, client, upstream):
        pair = {client: upstream, upstream: client}
        while True:
            ready, _, _ = select.select(list(pair), [], [], 10)
            if not ready:
                return
            for s in ready:
                try:
                    data = s.recv(65536)
                except OSError:  # a side reset its connection: the tunnel ends, as a proxy's does
                    return
                if not data:
                    return
                if s is client:
                    with self.lock:
                        self.client_bytes += data
                pair[s].sendall(data)

    def stop(self):
        """Joins the accepting thread before closing its socket: a thread left blocked on a closed
        socket would read from whatever later reuses its descriptor."""
        self.closing = True
        self.thread.join(10)
        self.listener.close()


class RecordingStandby:
    """A standby node with request forwarding off, as far as a client sees it: every request is
    answered 307 to `active` + the same path, and sys/leader names `leader` as the active node.
    Records (method, path, headers) of each request."""

    def __init__(self, active, leader=None):
        self.active = active
        self.leader = active if leader is None else leader
        self.requests = []
        standby = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self):
                standby.requests.append((self.command, self.path, dict(self.headers)))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                if self.path.startswith("/v1/sys/leader"):
                    body = json.dumps({"ha_enabled": True, "is_self": False, "leader_address": standby.leader}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(307)
                self.send_header("Location", standby.active + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = do_DELETE = do_LIST = answer

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
