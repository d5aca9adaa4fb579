"""Every secret a Vault login reads or gets (VAULT_TOKEN, the token file, AppRole's role and secret
IDs, the JWT from the environment or its file, the token a login answers with) is held by the one
sanitiser: a Vault that echoes it back in another case, split by a zero-width space or by an
escape sequence (which the cleaning strips, putting the secret back together) never gets it
printed by whoami, auth token, doctor --online, or git's and docker's get.

The Vault here is a hostile one of our own on 127.0.0.1 (the attacker, not a stand-in for
OpenBao: tests/test_vault_*.py run the real server)."""

import json
import os
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


def canary(kind):
    return f"{kind}-canary-" + secrets.token_hex(12)


def echoes(value):
    """The ways a hostile server sends a secret back: other case, split by a zero-width space, by
    an escape sequence, and by a BOM (all removed by the cleaning)."""
    half = len(value) // 2
    return [
        value.upper(),
        value[:half] + "\u200b" + value[half:],
        value[:half] + "\x1b[0m" + value[half:],
        value.swapcase()[:half] + "\ufeff" + value.swapcase()[half:],
    ]


class EchoingVault:
    """Answers a login with a fresh token ("login" mode) or refuses it, echoing every credential it
    was sent ("refuse-login"); answers every read with HTTP 500 echoing the token it got, except in
    "serve" mode, which serves a secret (for the login that joins it)."""

    def __init__(self):
        self.mode = "serve"
        self.issued = []
        self.requests = []  # (method, path, the token it carried)
        vault = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self, status, doc):
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                vault.requests.append(("POST", self.path, self.headers.get("X-Vault-Token")))
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if vault.mode == "refuse-login":
                    said = [e for v in body.values() for e in echoes(str(v))]
                    return self.answer(400, {"errors": said})
                token = canary("issued")
                vault.issued.append(token)
                return self.answer(200, {"auth": {"client_token": token}})

            def do_GET(self):
                vault.requests.append(("GET", self.path, self.headers.get("X-Vault-Token")))
                if self.path.startswith("/v1/sys/seal-status"):
                    return self.answer(200, {"sealed": False, "version": "hostile"})
                if vault.mode == "serve":
                    return self.answer(200, {"data": {"data": {"apiToken": canary("api")}, "metadata": {"version": 1}}})
                return self.answer(500, {"errors": echoes(self.headers.get("X-Vault-Token", ""))})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def vault():
    server = EchoingVault()
    yield server
    server.close()


def sources(tmp_path):
    """(name, environment, files, the secrets it reads) for each source of the Vault token."""
    role_id, secret_id, jwt, token = canary("role"), canary("secret"), canary("jwt"), canary("vault")
    jwt_file = tmp_path / "jwt"
    return [
        ("VAULT_TOKEN", {"VAULT_TOKEN": token}, {}, [token]),
        ("token file", {}, {"home/.vault-token": token + "\n"}, [token]),
        ("AppRole", {"TRUTO_VAULT_ROLE_ID": role_id, "TRUTO_VAULT_SECRET_ID": secret_id}, {}, [role_id, secret_id]),
        ("JWT", {"TRUTO_VAULT_JWT": jwt, "TRUTO_VAULT_ROLE": "ci"}, {}, [jwt]),
        ("JWT file", {"TRUTO_VAULT_JWT_FILE": str(jwt_file), "TRUTO_VAULT_ROLE": "ci"}, {jwt_file: jwt}, [jwt]),
    ]


COMMANDS = [
    (["truto", "whoami"], b""),
    (["truto", "auth", "token"], b""),
    (["truto", "doctor", "--online"], b""),
    (["git-credential-truto", "get"], b"protocol=https\nhost=api.truto.one\n\n"),
    (["docker-credential-truto", "get"], b"api.truto.one"),
]


def visible(text):
    """What a reader sees once invisible characters and escapes are gone, in one case."""
    return re.sub("\x1b\\[[0-9;]*m|[\u200b\ufeff]", "", text).lower()


@pytest.mark.parametrize("index", range(5), ids=["VAULT_TOKEN", "token file", "AppRole", "JWT", "JWT file"])
def test_an_echoing_vault_never_gets_a_held_secret_printed(cli, vault, tmp_path, index):
    name, env, files, read = sources(tmp_path)[index]
    for path, text in files.items():
        path = tmp_path / path
        path.write_text(text)
        path.chmod(0o600)
    joined = cli(
        "truto", "login", "--secret-store", "vault", "--vault-path", "secret/x", "--vault-addr", vault.address,
        "--no-verify", stdin=b"", TRUTO_TIMEOUT="5", **env,
    )  # fmt: skip
    assert joined.returncode == 0, joined
    modes = ["read"] if name in ("VAULT_TOKEN", "token file") else ["read", "refuse-login"]
    for mode in modes:
        vault.mode = mode
        for argv, stdin in COMMANDS:
            r = cli(*argv, stdin=stdin, TRUTO_TIMEOUT="5", **env)
            out = visible(r.stdout.decode() + r.stderr.decode())
            assert r.returncode != 0 or argv[1:2] == ["doctor"], (argv, mode, out)
            assert "500" in out or "refused" in out, (argv, mode, out)  # the echo reached the message
            for secret in read + vault.issued:
                assert secret.lower() not in out, (name, mode, argv, out)
                assert secret[len(secret) // 2 :].lower() not in out, (name, mode, argv, out)


def test_a_secret_misplaced_into_a_vault_setting_is_never_printed_back(cli, vault):
    """--vault-path, --vault-addr and the TRUTO_VAULT_* settings that are not secrets (mounts, role,
    the JWT's file) are described in a message, at most masked, never repeated: by a usage error,
    the Vault login's errors, whoami, the helpers and doctor in every output format."""
    t = canary("misplaced")
    assert cli("truto", "login", "--secret-store", "vault", "--vault-path", "secret/x", "--vault-addr", vault.address,
               "--no-verify", VAULT_TOKEN=canary("vault")).returncode == 0  # fmt: skip
    runs = [
        (["truto", "login", "--secret-store", "vault", "--vault-path", t, "--vault-addr", vault.address], {}),
        (["truto", "login", "--secret-store", "vault", "--vault-path", t + "/../x", "--vault-addr", vault.address], {}),
        (["truto", "login", "--secret-store", "vault", "--vault-path", "secret/x", "--vault-addr", t], {}),
    ]
    approle = {"TRUTO_VAULT_ROLE_ID": canary("role"), "TRUTO_VAULT_SECRET_ID": canary("secret")}
    jwt = {"TRUTO_VAULT_JWT": canary("jwt")}
    settings = [
        dict(approle, TRUTO_VAULT_APPROLE_MOUNT=t),
        dict(jwt, TRUTO_VAULT_ROLE=t),
        dict(jwt, TRUTO_VAULT_ROLE="ci", TRUTO_VAULT_JWT_MOUNT=t),
        {"TRUTO_VAULT_JWT_FILE": t, "TRUTO_VAULT_ROLE": "ci"},
    ]
    for env in settings:
        for argv in (["truto", "whoami"], ["truto", "auth", "token"], ["git-credential-truto", "get"],
                     ["truto", "doctor"], ["truto", "doctor", "--online"], ["truto", "doctor", "-o", "json"]):  # fmt: skip
            runs.append((argv, env))
    vault.mode = "refuse-login"
    for argv, env in runs:
        r = cli(*argv, stdin=b"protocol=https\nhost=api.truto.one\n\n", TRUTO_TIMEOUT="5", **env)
        out = visible(r.stdout.decode() + r.stderr.decode())
        assert "traceback" not in out, (argv, env, out)
        assert t not in out and t[len(t) // 2 :] not in out, (argv, env, out)
        if argv[1] == "doctor":
            assert any(name.lower() in out for name in env if name.endswith(("MOUNT", "ROLE", "FILE"))), out


def join_with_the_token_file(cli, vault, tmp_path, mode):
    token = canary("vault")
    path = tmp_path / "home" / ".vault-token"
    path.write_text(token + "\n")
    path.chmod(0o600)
    joined = cli("truto", "login", "--secret-store", "vault", "--vault-path", "secret/x", "--vault-addr", vault.address,
                 "--no-verify")  # fmt: skip
    assert joined.returncode == 0, joined
    path.chmod(mode)
    vault.requests.clear()
    return path, token


@pytest.mark.parametrize("mode", [0o602, 0o620, 0o666])
def test_a_token_file_others_can_write_is_refused_before_anything_is_sent(cli, vault, tmp_path, mode):
    path, token = join_with_the_token_file(cli, vault, tmp_path, mode)
    for argv, stdin in COMMANDS:
        if argv[1:2] == ["doctor"]:
            continue
        r = cli(*argv, stdin=stdin)
        text = (r.stdout + r.stderr).decode()
        assert r.returncode != 0, (argv, text)
        assert str(path) in text and "writable by other users" in text and "chmod 600" in text, (argv, text)
        assert len(text.strip().splitlines()) == 1, (argv, text)
    assert not [r for r in vault.requests if r[2]], vault.requests  # the token never left
    report = json.loads(cli("truto", "doctor", "-o", "json").stdout)
    rows = [row for row in report["checks"] if row["check"] == "vault" and str(path) in row["message"]]
    assert rows and rows[0]["status"] == "fail", report


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give a file away")
def test_a_token_file_of_another_user_is_refused(cli, vault, tmp_path):
    path, token = join_with_the_token_file(cli, vault, tmp_path, 0o600)
    os.chown(path, 4242, -1)
    r = cli("truto", "auth", "token")
    assert r.returncode != 0 and r.stdout == b""
    assert f"{path}: is owned by uid 4242".encode() in r.stderr and b"chown" in r.stderr, r
    assert not [r for r in vault.requests if r[2]], vault.requests


def test_a_token_file_others_can_read_is_used_with_one_warning(cli, vault, tmp_path):
    path, token = join_with_the_token_file(cli, vault, tmp_path, 0o644)
    # auth exec --with-keys reads the token and both BYOK keys: three Vault reads, one warning.
    r = cli("truto", "auth", "exec", "--with-keys", "--", "true")
    assert r.returncode == 0, r
    assert len([r for r in vault.requests if r[2] == token]) >= 3, vault.requests
    assert r.stderr.decode().count("readable by other users") == 1, r.stderr
    assert str(path).encode() in r.stderr and b"chmod 600" in r.stderr
    report = json.loads(cli("truto", "doctor", "-o", "json").stdout)
    rows = [row for row in report["checks"] if row["check"] == "vault" and str(path) in row["message"]]
    assert rows and rows[0]["status"] == "warn" and "chmod 600" in rows[0]["fix"], report
    path.chmod(0o600)
    r = cli("truto", "auth", "token")
    assert r.returncode == 0 and r.stdout.strip() and b"readable" not in r.stderr, r
