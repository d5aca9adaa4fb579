"""Vault as companies run it, through the installed console scripts against real OpenBao parts on
127.0.0.1, each scenario also run with `bao kv get` to show the real CLI accepts the same setup:
X-Vault-Request on every request and a standby's 307 followed within the cluster only; an OpenBao
Proxy with AppRole auto-auth on a loopback port and a unix socket (no Vault token on the machine);
the CLI's token helper; mutual TLS, VAULT_TLS_SERVER_NAME, VAULT_CACERT_BYTES and the TLS
certificate auth method; an HTTP proxy (CONNECT, NO_PROXY, VAULT_PROXY_ADDR)."""

import json
import os
import subprocess

import pytest
from conftest import GOOD_TOKEN
from vault_deployment_support import (
    TLS_NAME,
    BaoProxy,
    RecordingConnectProxy,
    RecordingStandby,
    ThrowawayCA,
    enable_cert_auth,
    start_tls_server,
)
from vault_support import BAO, READ_POLICY, bao_kv_get, enable_approle, vault_env, vault_login

PATH = "teams/deploy"


def git_get(run, stub, env):
    host = stub.url.split("://", 1)[1]
    return run("git-credential-truto", "get", input=f"protocol=http\nhost={host}\n\n", env=env)


def docker_get(run, stub, env):
    return run("docker-credential-truto", "get", input=stub.url, env=env)


def every_command_reads(run, stub, env):
    """git and docker get, whoami and auth token all answer with the team's token."""
    done = git_get(run, stub, env)
    assert done.returncode == 0 and f"password={GOOD_TOKEN}" in done.stdout, done.stderr
    done = docker_get(run, stub, env)
    assert done.returncode == 0 and json.loads(done.stdout)["Secret"] == GOOD_TOKEN, done.stdout
    done = run("truto", "auth", "token", env=env)
    assert done.returncode == 0 and done.stdout == GOOD_TOKEN + "\n", done.stderr
    done = run("truto", "whoami", "-o", "json", env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A dev server with the secret, AppRole at approle/ for the proxy, and TLS listeners."""
    ca = ThrowawayCA(tmp_path_factory.mktemp("ca"))
    bao = start_tls_server(tmp_path_factory.mktemp("bao"), ca)
    bao.ca = ca
    bao.standard_policies()
    bao.kv_put(PATH, {"apiToken": GOOD_TOKEN})
    yield bao
    bao.stop()


@pytest.fixture
def home(tmp_path):
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


# ---------------------------------------------------------------------------------------------
# a standby that redirects


@pytest.fixture
def standby(server):
    node = RecordingStandby(server.address)
    yield node
    node.stop()


def test_a_standbys_redirect_to_the_active_node_it_names_is_followed(run, env, server, standby, stub_api, home):
    e = vault_env(env, home, server.token([READ_POLICY]))
    done = vault_login(run, server, PATH, stub_api, env=e, addresses=[standby.address])
    assert done.returncode == 0, done.stderr
    every_command_reads(run, stub_api, e)
    asked = [(m, p) for m, p, _ in standby.requests]
    assert ("GET", f"/v1/secret/data/{PATH}") in asked and ("GET", "/v1/sys/leader") in asked
    # As Vault's client sends it, on every request.
    assert all(h.get("X-Vault-Request") == "true" for _, _, h in standby.requests), standby.requests
    done = bao_kv_get(PATH, e, address=standby.address)  # the real CLI follows the same 307
    assert done.returncode == 0 and done.stdout == GOOD_TOKEN, done.stderr


def test_a_redirect_away_from_the_cluster_is_refused_and_gets_no_token(run, env, server, stub_api, home):
    elsewhere = RecordingStandby("http://127.0.0.1:9")  # it records what reaches it
    standby = RecordingStandby(elsewhere.address, leader=server.address)
    try:
        e = vault_env(env, home, server.token([READ_POLICY]))
        done = vault_login(run, server, PATH, stub_api, env=e, addresses=[standby.address])
        assert done.returncode == 6, done.stderr
        assert "not followed" in done.stderr and len(done.stderr.splitlines()) == 1
        assert e["VAULT_TOKEN"] not in done.stderr
        assert elsewhere.requests == []
    finally:
        standby.stop()
        elsewhere.stop()


# ---------------------------------------------------------------------------------------------
# an OpenBao Proxy with auto-auth: no Vault token on the machine


@pytest.fixture(scope="module")
def agent(server, tmp_path_factory):
    role_id, secret_id = enable_approle(server, policies=(READ_POLICY,))
    proxy = BaoProxy(tmp_path_factory.mktemp("bao-proxy"), server, role_id, secret_id)
    yield proxy
    proxy.stop()


def test_an_agents_loopback_listener_adds_its_token(run, env, agent, server, stub_api, home):
    """The listener requires X-Vault-Request (require_request_header): every request carries it."""
    e = vault_env(env, home, None)
    done = vault_login(run, server, PATH, stub_api, env=e, addresses=[agent.address])
    assert done.returncode == 0, done.stderr
    every_command_reads(run, stub_api, e)
    done = bao_kv_get(PATH, e, address=agent.address)
    assert done.returncode == 0 and done.stdout == GOOD_TOKEN, done.stderr


def test_vault_agent_addr_on_a_unix_socket_serves_a_profile_of_the_real_vault(run, env, agent, server, stub_api, home):
    e = dict(vault_env(env, home, None), VAULT_AGENT_ADDR=f"unix://{agent.socket}")
    done = vault_login(run, server, PATH, stub_api, env=e)  # the profile names the real server
    assert done.returncode == 0, done.stderr
    record = every_command_reads(run, stub_api, e)
    assert "Vault Agent" in record["secretLocation"]["vaultTokenFrom"], record
    done = bao_kv_get(PATH, e)
    assert done.returncode == 0 and done.stdout == GOOD_TOKEN, done.stderr
    # A profile whose address is the socket itself works the same way.
    del e["VAULT_AGENT_ADDR"]
    done = vault_login(run, server, PATH, stub_api, env=e, addresses=[f"unix://{agent.socket}"])
    assert done.returncode == 0, done.stderr
    every_command_reads(run, stub_api, e)


def test_an_agent_socket_others_could_replace_is_not_used(run, env, agent, server, stub_api, home):
    e = vault_env(env, home, None)
    address = f"unix://{agent.socket}"
    assert vault_login(run, server, PATH, stub_api, env=e, addresses=[address]).returncode == 0
    run_dir = agent.socket.parent
    try:
        run_dir.chmod(0o777)
        done = run("truto", "auth", "token", env=e)
        assert done.returncode == 6 and "not trusted" in done.stderr and str(run_dir) in done.stderr, done.stderr
        assert GOOD_TOKEN not in done.stdout
    finally:
        run_dir.chmod(0o700)
    os.chown(agent.socket, 65534, -1)  # another user's socket in our directory
    try:
        done = run("truto", "auth", "token", env=e)
        assert done.returncode == 6 and "another user" in done.stderr, done.stderr
    finally:
        os.chown(agent.socket, os.geteuid(), -1)
    assert run("truto", "auth", "token", env=e).stdout == GOOD_TOKEN + "\n"


# ---------------------------------------------------------------------------------------------
# the CLI's token helper


def token_helper(home, token, config_name=".bao"):
    """A token helper script as `bao login` would use one, named in HOME's ~/.bao (the bao CLI's
    config; the vault CLI's is ~/.vault). It prints the token without a newline, as bao wants it."""
    helper = home / "token-helper"
    helper.write_text(f"#!/bin/sh\n[ \"$1\" = get ] && printf '%s' '{token}'\n")
    helper.chmod(0o700)
    (home / config_name).write_text(f'token_helper = "{helper}"\n')
    return helper


def test_the_cli_token_helper_is_run_with_get(run, env, server, stub_api, home):
    e = vault_env(env, home, None)
    token = server.token([READ_POLICY])
    token_helper(home, token)
    done = vault_login(run, server, PATH, stub_api, env=e)
    assert done.returncode == 0, done.stderr
    record = every_command_reads(run, stub_api, e)
    assert "token helper" in record["secretLocation"]["vaultTokenFrom"]
    assert token not in json.dumps(record)
    done = bao_kv_get(PATH, e, address=server.address)
    assert done.returncode == 0 and done.stdout == GOOD_TOKEN, done.stderr


def test_vault_config_path_names_the_cli_config(run, env, server, stub_api, home):
    e = vault_env(env, home, None)
    token_helper(home, server.token([READ_POLICY]), config_name="cli.hcl")
    e["VAULT_CONFIG_PATH"] = str(home / "cli.hcl")
    assert vault_login(run, server, PATH, stub_api, env=e).returncode == 0
    assert bao_kv_get(PATH, e, address=server.address).stdout == GOOD_TOKEN


def test_a_failing_hanging_or_writable_token_helper_is_one_line(run, env, server, stub_api, home):
    e = dict(vault_env(env, home, None), TRUTO_TIMEOUT="2")
    token = server.token([READ_POLICY])
    helper = token_helper(home, token)
    assert vault_login(run, server, PATH, stub_api, env=e).returncode == 0
    helper.write_text(f"#!/bin/sh\necho 'oops {token}' >&2\nexit 3\n")
    done = run("truto", "auth", "token", "-v", env=e)
    assert done.returncode == 6 and "exit 3" in done.stderr and token not in done.stderr, done.stderr
    helper.write_text("#!/bin/sh\nexec sleep 30\n")
    done = run("truto", "auth", "token", env=e)
    assert done.returncode == 6 and "TRUTO_TIMEOUT" in done.stderr, done.stderr
    helper.write_text(f"#!/bin/sh\nprintf '%s\\n' '{token}'\n")
    (home / ".bao").chmod(0o666)
    done = run("truto", "auth", "token", env=e)
    assert done.returncode == 6 and "other users" in done.stderr and "not run" in done.stderr, done.stderr
    (home / ".bao").chmod(0o600)
    assert run("truto", "auth", "token", env=e).stdout == GOOD_TOKEN + "\n"


# ---------------------------------------------------------------------------------------------
# mutual TLS and the TLS certificate auth method


@pytest.fixture(scope="module")
def client_cert(server):
    return server.ca.issue("developer", client=True)


def mtls_env(env, home, server, client_cert, token):
    cert, key = client_cert
    return dict(
        vault_env(env, home, token),
        VAULT_CACERT=str(server.ca.path),
        VAULT_CLIENT_CERT=str(cert),
        VAULT_CLIENT_KEY=str(key),
    )


def test_a_listener_requiring_client_certificates(run, env, server, client_cert, stub_api, home):
    e = mtls_env(env, home, server, client_cert, server.token([READ_POLICY]))
    address = f"https://localhost:{server.mtls_port}"
    done = vault_login(run, server, PATH, stub_api, env=e, addresses=[address])
    assert done.returncode == 0, done.stderr
    every_command_reads(run, stub_api, e)
    assert bao_kv_get(PATH, e, address=address).stdout == GOOD_TOKEN
    without = {k: v for k, v in e.items() if k not in ("VAULT_CLIENT_CERT", "VAULT_CLIENT_KEY")}
    done = run("truto", "auth", "token", env=without)
    assert done.returncode == 6 and "VAULT_CLIENT_CERT" in done.stderr, done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_vault_tls_server_name_and_cacert_bytes(run, env, server, client_cert, stub_api, home):
    e = mtls_env(env, home, server, client_cert, server.token([READ_POLICY]))
    e["VAULT_CACERT_BYTES"] = server.ca.pem
    del e["VAULT_CACERT"]
    address = f"https://127.0.0.1:{server.mtls_port}"  # the certificate names vault.test, not the IP
    done = vault_login(run, server, PATH, stub_api, env=dict(e, VAULT_TLS_SERVER_NAME=TLS_NAME), addresses=[address])
    assert done.returncode == 0, done.stderr
    done = run("truto", "auth", "token", env=e)
    assert done.returncode == 6 and "not trusted" in done.stderr, done.stderr
    e["VAULT_TLS_SERVER_NAME"] = TLS_NAME
    assert run("truto", "auth", "token", env=e).stdout == GOOD_TOKEN + "\n"
    assert bao_kv_get(PATH, e, address=address).stdout == GOOD_TOKEN


def test_cert_auth_login_gives_the_vault_token(run, env, server, client_cert, stub_api, home):
    enable_cert_auth(server, server.ca)
    e = dict(mtls_env(env, home, server, client_cert, None), TRUTO_VAULT_CERT_MOUNT="cert")
    address = f"https://localhost:{server.mtls_port}"
    done = vault_login(run, server, PATH, stub_api, env=e, addresses=[address])
    assert done.returncode == 0, done.stderr
    record = every_command_reads(run, stub_api, e)
    assert "TLS certificate login" in record["secretLocation"]["vaultTokenFrom"]
    # The real CLI logs in the same way, then reads with the token it got.
    login = bao_kv_get(PATH, e, address=address)
    assert login.returncode != 0  # without a token, bao itself cannot read: it needs `bao login -method=cert`
    got = subprocess.run(
        [str(BAO), "login", "-method=cert", "-token-only", "-no-store"],
        env=dict(e, VAULT_ADDR=address),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert got.returncode == 0, got.stderr
    assert bao_kv_get(PATH, dict(e, VAULT_TOKEN=got.stdout.strip()), address=address).stdout == GOOD_TOKEN
    # Half a configuration is one line saying what is missing.
    half = {k: v for k, v in e.items() if k != "VAULT_CLIENT_KEY"}
    done = run("truto", "auth", "token", env=half)
    assert done.returncode == 6 and "VAULT_CLIENT_KEY is not set" in done.stderr, done.stderr


# ---------------------------------------------------------------------------------------------
# an HTTP proxy


@pytest.fixture
def proxy():
    p = RecordingConnectProxy({TLS_NAME: "127.0.0.1"})
    yield p
    p.stop()


def test_https_proxy_tunnels_to_vault_and_never_sees_the_token(run, env, server, proxy, stub_api, home):
    token = server.token([READ_POLICY])
    e = dict(vault_env(env, home, token), VAULT_CACERT=str(server.ca.path), HTTPS_PROXY=proxy.url)
    address = f"https://{TLS_NAME}:{server.tls_port}"  # a name only the proxy resolves
    done = vault_login(run, server, PATH, stub_api, env=e, addresses=[address])
    assert done.returncode == 0, done.stderr
    every_command_reads(run, stub_api, e)
    assert proxy.connects and all(c == f"CONNECT {TLS_NAME}:{server.tls_port} HTTP/1.1" for c in proxy.connects)
    seen = bytes(proxy.client_bytes)
    assert token.encode() not in seen and GOOD_TOKEN.encode() not in seen and b"X-Vault" not in seen
    before = len(proxy.connects)
    assert bao_kv_get(PATH, e, address=address).stdout == GOOD_TOKEN
    assert len(proxy.connects) > before  # the real CLI went through it too
    # NO_PROXY exempts the host: truto then connects directly, and vault.test resolves nowhere.
    before = len(proxy.connects)
    done = run("truto", "auth", "token", env=dict(e, NO_PROXY=f".example.com,{TLS_NAME}", TRUTO_TIMEOUT="5"))
    assert done.returncode == 6 and len(proxy.connects) == before, done.stderr


def test_vault_proxy_addr_proxies_even_loopback(run, env, server, proxy, stub_api, home):
    token = server.token([READ_POLICY])
    e = dict(vault_env(env, home, token), VAULT_CACERT=str(server.ca.path), VAULT_PROXY_ADDR=proxy.url)
    address = f"https://localhost:{server.tls_port}"
    assert vault_login(run, server, PATH, stub_api, env=e, addresses=[address]).returncode == 0
    assert proxy.connects == [f"CONNECT localhost:{server.tls_port} HTTP/1.1"] * len(proxy.connects)
    assert proxy.connects and token.encode() not in bytes(proxy.client_bytes)
    assert bao_kv_get(PATH, e, address=address).stdout == GOOD_TOKEN
    # HTTPS_PROXY alone leaves a loopback address direct, as Go's ProxyFromEnvironment does.
    before = len(proxy.connects)
    plain = {k: v for k, v in e.items() if k != "VAULT_PROXY_ADDR"}
    assert run("truto", "auth", "token", env=dict(plain, HTTPS_PROXY=proxy.url)).stdout == GOOD_TOKEN + "\n"
    assert len(proxy.connects) == before


def test_plain_http_loopback_vault_never_goes_through_a_proxy(run, env, server, proxy, stub_api, home):
    e = dict(vault_env(env, home, server.token([READ_POLICY])), VAULT_PROXY_ADDR=proxy.url)
    assert vault_login(run, server, PATH, stub_api, env=e).returncode == 0  # http://127.0.0.1
    assert proxy.connects == []


def test_proxied_with_client_certificates(run, env, server, proxy, client_cert, stub_api, home):
    e = dict(mtls_env(env, home, server, client_cert, server.token([READ_POLICY])), HTTPS_PROXY=proxy.url)
    address = f"https://{TLS_NAME}:{server.mtls_port}"
    assert vault_login(run, server, PATH, stub_api, env=e, addresses=[address]).returncode == 0
    assert proxy.connects
    assert bao_kv_get(PATH, e, address=address).stdout == GOOD_TOKEN
