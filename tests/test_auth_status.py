"""`truto auth status`: every profile at once, offline unless --online, through the installed
console script against the stub API and the private keyring. Its parts (the facts gathered, the
output rendered) and the cases that need neither are tests/unit/test_auth_status_parts.py's."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from adversarial.hostile import closed_port
from cli_support import login
from conftest import GOOD_TOKEN, OTHER_TOKEN


@pytest.fixture
def genv(env, tmp_path):
    """With a private global git config, so setup-git and status read the test's own."""
    e = dict(env)
    e["GIT_CONFIG_GLOBAL"] = str(tmp_path / "gitconfig")
    return e


def status(run, *args, env=None):
    return run("truto", "auth", "status", *args, env=env)


def status_json(run, *args, env=None):
    done = status(run, "-o", "json", *args, env=env)
    return done, json.loads(done.stdout)


def by_name(doc):
    return {p["profile"]: p for p in doc["profiles"]}


def test_offline_shows_every_profile_and_calls_no_api(run, genv, stub_api):
    login(run, stub_api, "default", env=genv)
    login(run, stub_api, "staging", OTHER_TOKEN, env=genv)
    assert run("truto", "use", "staging", env=genv).returncode == 0
    before = len(stub_api.state.requests)
    done = status(run, env=genv)
    assert done.returncode == 0, done.stderr
    assert len(stub_api.state.requests) == before  # offline: no request at all
    lines = done.stdout.splitlines()
    assert "default" in lines and "staging (active)" in lines
    assert f"  - API URL: {stub_api.url}" in lines
    assert done.stdout.count("Token: stored, not shown") == 2
    done, doc = status_json(run, env=genv)
    assert doc["ok"] is True
    profiles = by_name(doc)
    assert set(profiles) == {"default", "staging"}
    assert profiles["staging"]["active"] and not profiles["default"]["active"]
    assert profiles["default"]["tokenPresent"] and profiles["default"]["secretStore"] == "keyring"
    assert profiles["default"]["secretStoreAvailable"] is True
    assert profiles["default"]["origin"] == stub_api.url
    assert profiles["default"]["online"] is None  # not checked


def test_online_accepted_and_rejected(run, genv, stub_api):
    login(run, stub_api, "good", env=genv)
    login(run, stub_api, "revoked", OTHER_TOKEN, env=genv)
    stub_api.state.tokens.discard(OTHER_TOKEN)  # revoked on the server after login
    done = status(run, "--online", env=genv)
    assert done.returncode == 1, done.stderr
    assert f"{stub_api.url} accepts the token (team Acme Integrations)" in done.stdout
    assert "rejected the token" in done.stdout
    done, doc = status_json(run, "--online", env=genv)
    profiles = by_name(doc)
    assert profiles["good"]["online"] == "ok" and profiles["good"]["team"] == "Acme Integrations"
    assert profiles["good"]["problem"] is None
    assert profiles["revoked"]["online"] == "rejected" and "rejected" in profiles["revoked"]["problem"]
    assert doc["ok"] is False
    assert run("truto", "logout", "-f", "-p", "revoked", env=genv).returncode == 0
    assert status(run, "--online", env=genv).returncode == 0  # all well again


def test_online_unreachable_api(run, genv, stub_api):
    login(run, stub_api, "gone", env=genv)
    dead = f"http://127.0.0.1:{closed_port()}"
    assert run("truto", "profiles", "set", "apiUrl", dead, "-p", "gone", env=genv).returncode == 0
    assert status(run, env=genv).returncode == 0  # offline, nothing is wrong with it
    done, doc = status_json(run, "--online", env=genv)
    assert done.returncode == 1
    record = doc["profiles"][0]
    assert record["online"] == "unreachable" and "connection refused" in record["problem"]


class _Rendezvous(BaseHTTPRequestHandler):
    """Answers GET /team only once `parties` requests are in flight at the same time: a client
    checking one profile after the other never gets past the first."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        try:
            self.server.barrier.wait()
            status, body = 200, b'{"id": "t", "name": "Together"}'
        except threading.BrokenBarrierError:
            status, body = 503, b'{"error": "alone"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_online_checks_profiles_at_once(run, genv, stub_api):
    login(run, stub_api, "one", env=genv)
    login(run, stub_api, "two", OTHER_TOKEN, env=genv)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Rendezvous)
    server.barrier = threading.Barrier(2, timeout=3)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        for name in ("one", "two"):
            assert run("truto", "profiles", "set", "apiUrl", url, "-p", name, env=genv).returncode == 0
        e = dict(genv, TRUTO_TIMEOUT="20")
        done, doc = status_json(run, "--online", env=e)
        assert done.returncode == 0, doc
        assert [p["team"] for p in doc["profiles"]] == ["Together", "Together"]
    finally:
        server.shutdown()
        server.server_close()


def test_profile_narrows_and_an_unknown_one_is_not_logged_in(run, genv, stub_api):
    login(run, stub_api, "default", env=genv)
    login(run, stub_api, "other", OTHER_TOKEN, env=genv)
    done, doc = status_json(run, "-p", "other", env=genv)
    assert done.returncode == 0
    assert [p["profile"] for p in doc["profiles"]] == ["other"]
    done = status(run, "-p", "other", env=genv)
    titles = [line for line in done.stdout.splitlines() if not line.startswith(" ")]
    assert titles == ["other (active)"]
    done = status(run, "-p", "nope", env=genv)
    assert done.returncode == 3 and "no profile named" in done.stderr and "nope" not in done.stderr  # not echoed


def test_environment_overrides_are_reported_never_the_token_value(run, genv, stub_api):
    login(run, stub_api, "default", env=genv)
    canary = "env-canary-7d1e0c55aa93b2"
    stub_api.state.tokens.add(canary)
    e = dict(genv, TRUTO_API_TOKEN=canary, TRUTO_API_URL=stub_api.url, TRUTO_PROFILE="default")
    done, doc = status_json(run, "--online", "--show-token", env=e)
    assert done.returncode == 0, doc
    assert doc["environment"] == {"TRUTO_API_TOKEN": True, "TRUTO_API_URL": stub_api.url, "TRUTO_PROFILE": "default"}
    env_entry = [p for p in doc["profiles"] if p["source"] == "environment"]
    assert len(env_entry) == 1 and env_entry[0]["online"] == "ok" and "token" not in env_entry[0]
    assert canary not in done.stdout + done.stderr
    text = status(run, "--show-token", env=e)
    assert "TRUTO_API_TOKEN is set (not shown)" in text.stdout
    assert f"TRUTO_API_URL={stub_api.url}" in text.stdout and "TRUTO_PROFILE=default" in text.stdout
    assert canary not in text.stdout + text.stderr


def test_show_token_reveals_and_nothing_else_does(run, genv, stub_api):
    login(run, stub_api, "default", env=genv)
    revealed = status(run, "--show-token", env=genv)
    assert revealed.returncode == 0 and f"Token: {GOOD_TOKEN}" in revealed.stdout
    done, doc = status_json(run, "--show-token", env=genv)
    assert doc["profiles"][0]["token"] == GOOD_TOKEN
    for args in (
        [],
        ["--online"],
        ["--online", "-v"],
        ["-o", "json", "--online"],
        ["-o", "yaml"],
        ["-o", "csv", "--online"],
        ["-o", "ndjson"],
    ):
        done = status(run, *args, env=genv)
        assert done.returncode == 0, (args, done.stderr)
        assert GOOD_TOKEN not in done.stdout + done.stderr, args
        assert GOOD_TOKEN[-4:] not in done.stdout, args  # not even masked


def test_unavailable_secret_store_is_a_problem(run, genv, stub_api, no_dbus_env):
    login(run, stub_api, "default", env=genv)
    e = dict(no_dbus_env, GIT_CONFIG_GLOBAL=genv["GIT_CONFIG_GLOBAL"])
    done = status(run, env=e)
    assert done.returncode == 1
    assert "secret store (keyring) is unavailable" in done.stdout
    done, doc = status_json(run, env=e)
    assert doc["profiles"][0]["secretStoreAvailable"] is False and done.returncode == 1


def test_git_and_docker_wiring(run, genv, stub_api):
    login(run, stub_api, "default", env=genv)
    _, doc = status_json(run, env=genv)
    assert (doc["profiles"][0]["git"], doc["profiles"][0]["docker"]) == (False, False)
    assert doc["profiles"][0]["containers"] is False
    assert "truto auth setup-git -p default" in status(run, env=genv).stdout
    assert run("truto", "auth", "setup-git", env=genv).returncode == 0
    assert run("truto", "auth", "setup-docker", env=genv).returncode == 0
    _, doc = status_json(run, env=genv)
    assert (doc["profiles"][0]["git"], doc["profiles"][0]["docker"]) == (True, True)
    assert doc["profiles"][0]["containers"] is True  # podman's and buildah's auth file, which setup-docker wires too
    host = stub_api.url.split("://", 1)[1]
    text = status(run, env=genv).stdout
    assert f"Git: asks truto for {stub_api.url}" in text and f"Docker: asks truto for {host}" in text
    assert f"Podman/buildah: ask truto for {host}" in text


def test_offline_status_reads_no_secret(run, genv, stub_api):
    """With a keyring backend on which every read fails (locked), offline status still succeeds:
    whether a token is there comes from config.json. Reading it (--show-token) fails."""
    from conftest import ROOT

    login(run, stub_api, "default", env=genv)
    locked = dict(
        genv, PYTHONPATH=str(ROOT / "tests" / "adversarial" / "backends"), PYTHON_KEYRING_BACKEND="adv_keyring.Locked"
    )
    done, doc = status_json(run, env=locked)
    assert done.returncode == 0, done.stderr
    assert doc["profiles"][0]["tokenPresent"] is True and doc["profiles"][0]["secretStoreAvailable"] is True
    done, doc = status_json(run, "--show-token", env=locked)
    assert done.returncode == 1 and "locked" in doc["profiles"][0]["problem"]
    assert "token" not in doc["profiles"][0]
