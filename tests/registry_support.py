"""A real container registry on 127.0.0.1 for the client tests: Debian's docker-registry (the CNCF
distribution registry) with htpasswd (bcrypt) users, filesystem storage in the test's directory,
over http or over https with a throwaway self-signed certificate. It listens on port 0 and the
port is read from its own "listening on" log line, so no other process can take the port between
a probe and the start.

In front of the registry, TrutoOrigin plays an origin (http, or https with the same certificate)
that serves both the Truto API (GET /team, as scripts/stub_api.py) and the registry (everything
else is forwarded): the profile's API URL is then the registry's URL, as it must be for docker to
ask truto for it. It records the Authorization header of every registry request, so a test checks
what the server received; the registry's log shows that it accepted them.
"""

import base64
import hashlib
import http.client
import io
import json
import os
import re
import shutil
import ssl
import subprocess
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REGISTRY = shutil.which("docker-registry")
IMAGE = "truto/hello"
TAG = "v1"


def tls_certificate(directory):
    """(cert.pem, key.pem): self-signed for IP 127.0.0.1, valid for a day."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            key,
            "-out",
            cert,
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class Registry:
    def __init__(self, directory, users, tls=None):
        """users: {name: password}; tls: (cert, key) or None for plain http."""
        self.directory = directory
        self.tls = tls
        self.log_path = os.path.join(directory, "registry.log")
        htpasswd = os.path.join(directory, "htpasswd")
        with open(htpasswd, "w") as f:
            for name, password in users.items():
                f.write(
                    subprocess.run(
                        ["htpasswd", "-Bbn", name, password], check=True, capture_output=True, text=True
                    ).stdout.strip()
                    + "\n"
                )
        http_section = {"addr": "127.0.0.1:0", "secret": "test-only-upload-secret"}
        if tls:
            http_section["tls"] = {"certificate": tls[0], "key": tls[1]}
        config = {
            "version": 0.1,
            "log": {"level": "info", "formatter": "json"},
            "storage": {"filesystem": {"rootdirectory": os.path.join(directory, "data")}, "delete": {"enabled": True}},
            "http": http_section,
            "auth": {"htpasswd": {"realm": "truto-test-registry", "path": htpasswd}},
        }
        self.config_path = os.path.join(directory, "config.yml")
        with open(self.config_path, "w") as f:
            json.dump(config, f)  # YAML is a superset of JSON
        self.process = None
        self.port = None

    def start(self, timeout=30):
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [REGISTRY, "serve", self.config_path], stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(rb'"msg":"listening on 127\.0\.0\.1:(\d+)[",]', self._read_log())
            if found:
                self.port = int(found.group(1))
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"docker-registry did not start: {self._read_log()[-2000:].decode(errors='replace')}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "_log", None):
            self._log.close()

    @property
    def host(self):
        return f"127.0.0.1:{self.port}"

    @property
    def scheme(self):
        return "https" if self.tls else "http"

    def _read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read()

    def log_entries(self):
        entries = []
        for line in self._read_log().splitlines():
            if line.startswith(b"{"):  # the access log's combined-format lines are not JSON
                entries.append(json.loads(line))
        return entries

    def authorized(self, uri_part=""):
        """[(method, uri)] of the requests the registry let through after checking their
        credentials against its htpasswd file (its log names no user on success: the origin in
        front records who asked)."""
        return [
            (e.get("http.request.method"), e.get("http.request.uri"))
            for e in self.log_entries()
            if e.get("msg") == "authorized request" and uri_part in e.get("http.request.uri", "")
        ]


def oci_layout(directory):
    """A one-layer image (a tarball holding hello.txt) as an OCI layout tagged TAG; returns its path."""
    root = os.path.join(directory, "oci-image")
    os.makedirs(os.path.join(root, "blobs", "sha256"))

    def blob(data):
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(root, "blobs", "sha256", digest), "wb") as f:
            f.write(data)
        return {"digest": "sha256:" + digest, "size": len(data)}

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        content = b"hello from truto's registry test\n"
        info = tarfile.TarInfo("hello.txt")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    layer = blob(buf.getvalue())
    config = blob(
        json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "config": {},
                "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]},
            }
        ).encode()
    )
    manifest = blob(
        json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": dict(config, mediaType="application/vnd.oci.image.config.v1+json"),
                "layers": [dict(layer, mediaType="application/vnd.oci.image.layer.v1.tar")],
            }
        ).encode()
    )
    with open(os.path.join(root, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump(
            {
                "schemaVersion": 2,
                "manifests": [
                    dict(
                        manifest,
                        mediaType="application/vnd.oci.image.manifest.v1+json",
                        annotations={"org.opencontainers.image.ref.name": TAG},
                    )
                ],
            },
            f,
        )
    return root


def push_image(registry, user, password, directory, env, cert_dir=None):
    """Push the tiny image with skopeo, with explicit credentials (never through any helper)."""
    tls = ["--dest-cert-dir", cert_dir] if cert_dir else ["--dest-tls-verify=false"]
    authfile = os.path.join(directory, "push-auth.json")  # empty: nothing of the test's config is read
    with open(authfile, "w") as f:
        f.write("{}")
    policy = os.path.join(directory, "policy.json")  # our own: a fresh machine may have no /etc/containers
    with open(policy, "w") as f:
        json.dump({"default": [{"type": "insecureAcceptAnything"}]}, f)
    done = subprocess.run(
        [
            "skopeo",
            "--policy",
            policy,
            "copy",
            "--authfile",
            authfile,
            *tls,
            "--dest-creds",
            f"{user}:{password}",
            f"oci:{oci_layout(directory)}:{TAG}",
            f"docker://{registry.host}/{IMAGE}:{TAG}",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def cert_dir_for(directory, cert):
    """A containers-certs.d style directory (ca.crt) trusting the self-signed certificate."""
    path = os.path.join(directory, "certs")
    os.makedirs(path, exist_ok=True)
    shutil.copy(cert, os.path.join(path, "ca.crt"))
    return path


class TrutoOrigin:
    """One origin serving GET /team for `tokens` and forwarding the rest to `registry`; over https
    with the registry's own certificate when it has one."""

    def __init__(self, registry, tokens):
        self.registry = registry
        self.tokens = set(tokens)
        self.seen = []  # (method, path, Authorization header or None) of each forwarded request
        origin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # A TLS hello to the http origin then gets an HTTP status line (as from Go's server),
            # which docker reads as "an http registry" and retries over http.
            default_request_version = "HTTP/1.0"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path == "/team":
                    return self.team()
                self.forward()

            def do_HEAD(self):
                self.forward()

            def team(self):
                header = self.headers.get("Authorization", "")
                ok = header.startswith("Bearer ") and header[7:] in origin.tokens
                body = json.dumps(
                    {"id": "team_reg", "name": "Registry Team"} if ok else {"error": "unauthorized"}
                ).encode()
                self.send_response(200 if ok else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def forward(self):
                origin.seen.append((self.command, self.path, self.headers.get("Authorization")))
                if origin.registry.tls:
                    context = ssl.create_default_context(cafile=origin.registry.tls[0])
                    conn = http.client.HTTPSConnection("127.0.0.1", origin.registry.port, timeout=30, context=context)
                else:
                    conn = http.client.HTTPConnection("127.0.0.1", origin.registry.port, timeout=30)
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():  # every Accept line: clients send several
                    if name.lower() not in ("connection", "keep-alive"):
                        conn.putheader(name, value)
                conn.endheaders()
                answer = conn.getresponse()
                body = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length"):
                        self.send_header(name, value)
                length = answer.getheader("Content-Length")
                self.send_header("Content-Length", length if self.command == "HEAD" and length else str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
                conn.close()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if registry.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*registry.tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def host(self):
        return f"127.0.0.1:{self.port}"

    def basic_users(self):
        """[(user, password)] of the Basic credentials the registry requests carried."""
        found = []
        for _, _, header in self.seen:
            if header and header.startswith("Basic "):
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                found.append((user, password))
        return found

    def close(self):
        self.server.shutdown()
        self.server.server_close()
