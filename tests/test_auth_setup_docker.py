"""`truto auth setup-docker`: credHelpers in $DOCKER_CONFIG/config.json, read back by docker's own
Python client (`docker.auth`), which then runs docker-credential-truto for that host only."""

import json
import os
import stat

import pytest
from conftest import BIN, GOOD_TOKEN
from helper_support import save_profile

REGISTRY_URL = "https://registry.example.test:5000"  # docker registries are https; no API call needed
HOST = "registry.example.test:5000"


@pytest.fixture
def docker_config(env):
    return os.path.join(env["DOCKER_CONFIG"], "config.json")


def login_registry(run, name="work", url=REGISTRY_URL, token=GOOD_TOKEN):
    done = run("truto", "login", "--no-verify", "--token", token, "--api-url", url, "--profile-name", name)
    assert done.returncode == 0, done.stderr


def resolve(env, docker_config, registry, monkeypatch):
    """What docker's client resolves for registry from the config we wrote (it runs our helper)."""
    import docker.auth

    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")  # docker finds helpers on PATH
    auth = docker.auth.load_config(config_path=docker_config, credstore_env=env)
    return auth.resolve_authconfig(registry)


def test_creates_0600_file_and_docker_uses_truto_for_that_host_only(run, env, docker_config, monkeypatch):
    login_registry(run)
    done = run("truto", "auth", "setup-docker")
    assert done.returncode == 0, done.stderr
    assert json.load(open(docker_config)) == {"credHelpers": {HOST: "truto"}}
    assert stat.S_IMODE(os.stat(docker_config).st_mode) == 0o600
    got = resolve(env, docker_config, HOST, monkeypatch)
    assert got["Password"] == GOOD_TOKEN and got["Username"] == "work"
    assert resolve(env, docker_config, "other.example.test:5000", monkeypatch) is None


def test_keeps_every_other_key_and_is_idempotent(run, docker_config):
    login_registry(run)
    os.makedirs(os.path.dirname(docker_config), exist_ok=True)
    before = {
        "auths": {"ghcr.io": {"auth": "dXNlcjpwYXNz"}},
        "credsStore": "desktop",
        "credHelpers": {"gcr.io": "gcloud"},
        "proxies": {"default": {"httpProxy": "http://proxy:3128"}},
        "psFormat": "table {{.ID}}",
    }
    with open(docker_config, "w") as f:
        json.dump(before, f)
    assert run("truto", "auth", "setup-docker").returncode == 0
    after = json.load(open(docker_config))
    assert after == dict(before, credHelpers={"gcr.io": "gcloud", HOST: "truto"})
    data = open(docker_config, "rb").read()
    again = run("truto", "auth", "setup-docker")
    assert again.returncode == 0 and "nothing changed" in again.stderr
    assert open(docker_config, "rb").read() == data
    done = run("truto", "auth", "setup-docker", "--remove")
    assert done.returncode == 0 and "no longer" in done.stderr
    assert json.load(open(docker_config)) == before


def test_remove_drops_credhelpers_it_emptied_and_never_touches_a_foreign_value(run, docker_config):
    login_registry(run)
    assert run("truto", "auth", "setup-docker").returncode == 0
    assert run("truto", "auth", "setup-docker", "--remove").returncode == 0
    assert json.load(open(docker_config)) == {}
    with open(docker_config, "w") as f:
        json.dump({"credHelpers": {HOST: "someone-else"}}, f)
    done = run("truto", "auth", "setup-docker", "--remove")
    assert done.returncode == 0 and "nothing changed" in done.stderr
    assert json.load(open(docker_config)) == {"credHelpers": {HOST: "someone-else"}}


def test_write_is_atomic_through_a_symlink_and_a_broken_file_is_left_alone(run, docker_config, tmp_path):
    login_registry(run)
    target = tmp_path / "dotfiles-docker.json"
    target.write_text('{"auths": {}}')
    os.makedirs(os.path.dirname(docker_config), exist_ok=True)
    os.symlink(target, docker_config)
    assert run("truto", "auth", "setup-docker").returncode == 0
    assert os.path.islink(docker_config)  # the link is kept; its target rewritten
    assert json.loads(target.read_text()) == {"auths": {}, "credHelpers": {HOST: "truto"}}
    assert [n for n in os.listdir(tmp_path) if n.endswith(".tmp")] == []
    target.write_text('{"auths": ')
    done = run("truto", "auth", "setup-docker", "--remove")
    assert done.returncode == 1 and "not valid JSON" in done.stderr and "Traceback" not in done.stderr
    assert target.read_text() == '{"auths": '


def test_default_location_is_home_docker(run, env, tmp_path):
    e = dict(env, HOME=str(tmp_path / "home"))
    del e["DOCKER_CONFIG"]
    done = run("truto", "auth", "setup-docker", "--api-url", REGISTRY_URL, env=e)
    assert done.returncode == 0, done.stderr
    assert json.load(open(tmp_path / "home" / ".docker" / "config.json")) == {"credHelpers": {HOST: "truto"}}


def test_json_output_and_default_port_dropped(run, docker_config):
    login_registry(run, url="https://API.Truto.example:443/")
    done = run("truto", "auth", "setup-docker", "-o", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["host"] == "api.truto.example"
    assert json.load(open(docker_config)) == {"credHelpers": {"api.truto.example": "truto"}}


@pytest.mark.parametrize("url", ["http://registry.example.test:5000", "http://10.1.2.3:5000"])
def test_refuses_an_http_registry_docker_would_ask_for_as_https(run, env, docker_config, url):
    # docker asks for "host:port" without a scheme: for a host that is not loopback that means
    # https, and an http profile's token is never sent there, so the wiring could never answer.
    # truto login refuses such a URL; git stores one on `git credential approve` of an http origin.
    save_profile(env, "gitstored", url, GOOD_TOKEN, active=True)
    done = run("truto", "auth", "setup-docker")
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "is plain http" in done.stderr and "not a loopback host" in done.stderr and "https://" in done.stderr
    assert not os.path.exists(docker_config)


@pytest.mark.parametrize(
    "url,host",
    [
        ("http://127.0.0.1:5000", "127.0.0.1:5000"),
        ("http://localhost:8080", "localhost:8080"),
        ("http://[::1]:5000", "[::1]:5000"),
    ],
)
def test_an_http_loopback_registry_is_set_up_and_docker_py_gets_its_token(
    run, env, docker_config, monkeypatch, url, host
):
    login_registry(run, url=url)
    assert run("truto", "auth", "setup-docker").returncode == 0
    assert json.load(open(docker_config)) == {"credHelpers": {host: "truto"}}
    got = resolve(env, docker_config, host, monkeypatch)
    assert (got["Username"], got["Password"]) == ("work", GOOD_TOKEN)
