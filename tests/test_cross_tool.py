"""One store behind every tool: what `truto login` writes, git and docker read; what git and docker
store, `truto profiles list` shows and `truto whoami -p` uses against the (stub) API."""

import json
import os
import warnings

import pytest
from conftest import BIN, GOOD_TOKEN, OTHER_TOKEN, TRUTO_VARS
from helper_support import attributes, git_credential, request, secrets_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from docker.credentials import Store
    from docker.credentials.errors import CredentialsNotFound


def login(run, stub, name, token=GOOD_TOKEN, *extra):
    done = run("truto", "login", "--token", token, "--api-url", stub.url, "--profile-name", name, "-f", *extra)
    assert done.returncode == 0, done.stderr


def origin(stub):
    return dict(protocol="http", host=stub.url.split("://", 1)[1])


def profiles(run):
    done = run("truto", "profiles", "list", "-o", "json")
    assert done.returncode == 0, done.stderr
    return {p["name"]: p for p in json.loads(done.stdout)}


def whoami(run, name):
    return run("truto", "whoami", "-p", name, "-o", "json")


def test_truto_login_then_git_fill(run, stub_api):
    login(run, stub_api, "work")
    done = git_credential(run, "fill", request(**origin(stub_api)))
    got = attributes(done.stdout)
    assert (got["username"], got["password"]) == ("work", GOOD_TOKEN)
    bearer = run("git-credential-truto", "get", input="capability[]=authtype\n" + request(**origin(stub_api)))
    assert f"credential={GOOD_TOKEN}\n" in bearer.stdout and "authtype=Bearer\n" in bearer.stdout


def test_insecure_storage_login_then_git_fill_and_reject_keeps_it(run, stub_api, config_dir):
    login(run, stub_api, "plain", GOOD_TOKEN, "--insecure-storage")
    assert attributes(git_credential(run, "fill", request(**origin(stub_api))).stdout)["password"] == GOOD_TOKEN
    rejected = git_credential(run, "reject", request(**origin(stub_api)))
    assert rejected.returncode == 0 and "kept profile 'plain'" in rejected.stderr
    assert "plain" in profiles(run)
    assert attributes(git_credential(run, "fill", request(**origin(stub_api))).stdout)["password"] == GOOD_TOKEN


def test_truto_logout_then_git_finds_nothing(run, stub_api):
    login(run, stub_api, "work")
    assert run("truto", "logout", "--profile-name", "work", "-f").returncode == 0
    done = run("git-credential-truto", "get", input=request(**origin(stub_api)))
    assert (done.returncode, done.stdout) == (0, "")


def test_git_approve_then_truto_profiles_list_and_whoami(run, stub_api):
    done = git_credential(run, "approve", request(**origin(stub_api), username="ci-bot", password=OTHER_TOKEN))
    assert done.returncode == 0, done.stderr
    assert profiles(run)["ci-bot"]["apiUrl"] == stub_api.url
    me = whoami(run, "ci-bot")
    assert me.returncode == 0, me.stderr
    assert "Acme Integrations" in me.stdout and OTHER_TOKEN not in me.stdout


@pytest.fixture
def docker_store(env, monkeypatch):
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    for name in TRUTO_VARS:
        monkeypatch.delenv(name, raising=False)
    return Store("truto", environment=env)


def test_docker_store_then_truto_profiles_list_and_whoami(run, stub_api, docker_store, config_dir):
    docker_store.store(stub_api.url + "/", "deployer", GOOD_TOKEN)
    listed = profiles(run)
    assert listed["deployer"]["apiUrl"] == stub_api.url
    assert secrets_of(config_dir) == {"deployer:apiToken": GOOD_TOKEN}  # the entry truto login writes
    me = whoami(run, "deployer")
    assert me.returncode == 0, me.stderr
    assert "team_7f3a" in me.stdout and GOOD_TOKEN not in me.stdout


def test_truto_login_then_docker_get_and_git_reject_then_logout_then_docker_not_found(run, stub_api, docker_store):
    login(run, stub_api, "work")
    host = stub_api.url.split("://", 1)[1]
    assert docker_store.get(stub_api.url)["Secret"] == GOOD_TOKEN
    assert docker_store.list() == {stub_api.url: "work"}
    # no scheme means https, and for a loopback host (which docker reaches over http) also http
    assert docker_store.get(host)["Secret"] == GOOD_TOKEN
    git_credential(run, "reject", request(**origin(stub_api), username="work", password=GOOD_TOKEN))
    # the server refused the token just now: docker is not offered it either, for a while
    with pytest.raises(CredentialsNotFound):
        docker_store.get(stub_api.url)
    # a reject never logs the user out: the login is there, and a new login offers it at once
    login(run, stub_api, "work")
    assert docker_store.get(stub_api.url)["Secret"] == GOOD_TOKEN
    assert run("truto", "logout", "--profile-name", "work", "-f").returncode == 0
    with pytest.raises(CredentialsNotFound):
        docker_store.get(stub_api.url)
