"""docker's credential-helper protocol through docker's own Python client
(docker.credentials.Store("truto")), which runs the installed docker-credential-truto.

Of the docker CLI, only `docker logout` is run here (where the CLI is installed); `docker login` and
`docker manifest inspect` against a real registry are in test_registry_clients.py."""

import json
import os
import shutil
import warnings

import pytest
from conftest import BIN, GOOD_TOKEN, OTHER_TOKEN, TRUTO_VARS, files_containing
from helper_support import save_profile, secrets_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from docker.credentials import Store
    from docker.credentials.errors import CredentialsNotFound, StoreError


@pytest.fixture
def docker_store(env, monkeypatch):
    """docker's client finds the helper on this process's PATH and runs it with os.environ
    overlaid by `environment`: so PATH gets our venv first and no TRUTO_* of ours leaks in."""
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    for name in TRUTO_VARS:
        monkeypatch.delenv(name, raising=False)
    store = Store("truto", environment=env)
    assert store.exe == str(BIN / "docker-credential-truto")
    return store


def test_store_get_list_erase_with_dockers_client(docker_store, config_dir, read_config):
    docker_store.store("127.0.0.1:5000", "ci-bot", "dock-secret-1")
    assert docker_store.get("127.0.0.1:5000") == {
        "ServerURL": "127.0.0.1:5000",
        "Username": "ci-bot",
        "Secret": "dock-secret-1",
    }
    assert docker_store.list() == {"127.0.0.1:5000": "ci-bot"}
    assert secrets_of(config_dir) == {"ci-bot:apiToken": "dock-secret-1"}
    assert files_containing(config_dir, "dock-secret-1") == []
    profile = read_config()["profiles"]["ci-bot"]
    assert (profile["apiUrl"], profile["dockerServerUrl"]) == ("https://127.0.0.1:5000", "127.0.0.1:5000")
    docker_store.erase("127.0.0.1:5000")
    with pytest.raises(CredentialsNotFound):
        docker_store.get("127.0.0.1:5000")
    assert docker_store.list() == {}
    assert secrets_of(config_dir) == {}


@pytest.mark.parametrize(
    "asked", ["api.truto.one", "https://api.truto.one", "https://api.truto.one/", "api.truto.one/"]
)
def test_server_url_forms_name_the_same_credential(docker_store, asked):
    docker_store.store("https://api.truto.one/", "alice", "s-1")
    got = docker_store.get(asked)
    assert (got["ServerURL"], got["Username"], got["Secret"]) == (asked, "alice", "s-1")
    assert docker_store.list() == {"https://api.truto.one/": "alice"}  # in the form it was stored with


def test_no_scheme_means_https_never_http(docker_store):
    docker_store.store("registry.example:5000", "u", "s-https")
    with pytest.raises(CredentialsNotFound):
        docker_store.get("http://registry.example:5000")
    with pytest.raises(CredentialsNotFound):
        docker_store.get("registry.example:5001")
    with pytest.raises(CredentialsNotFound):
        docker_store.get("other.example:5000")


def test_store_replaces_the_same_user_and_a_new_user_becomes_dockers_login(docker_store, read_config):
    docker_store.store("reg.example", "alice", "s-1")
    docker_store.store("https://reg.example", "alice", "s-2")
    assert list(read_config()["profiles"]) == ["alice"]
    assert docker_store.get("reg.example")["Secret"] == "s-2"
    docker_store.store("reg.example", "bob", "s-3")  # docker login -u bob: docker now uses bob
    assert docker_store.get("reg.example")["Username"] == "bob"
    assert docker_store.list() == {"reg.example": "bob"}
    assert set(read_config()["profiles"]) == {"alice", "bob"}  # alice stays a profile (for git, truto)


def test_truto_login_profile_answers_docker(docker_store, env):
    save_profile(env, "default", "https://api.truto.one", GOOD_TOKEN, active=True)
    assert docker_store.get("api.truto.one") == {
        "ServerURL": "api.truto.one",
        "Username": "default",
        "Secret": GOOD_TOKEN,
    }
    assert docker_store.list() == {"https://api.truto.one": "default"}


def test_erase_removes_every_credential_docker_stored_for_the_origin_only(docker_store, env, read_config):
    save_profile(env, "default", "https://api.truto.one", GOOD_TOKEN)
    save_profile(env, "other", "https://other.example", OTHER_TOKEN)
    docker_store.store("api.truto.one", "alice", "s-1")
    docker_store.erase("https://api.truto.one/")
    assert set(read_config()["profiles"]) == {"default", "other"}  # `truto login`'s profile stays
    with pytest.raises(CredentialsNotFound):  # docker logout tolerates "not found"
        docker_store.erase("api.truto.other")


def test_erase_of_a_truto_login_profile_succeeds_keeps_it_and_says_so(run, env, config_dir):
    save_profile(env, "work", "https://api.truto.one", GOOD_TOKEN)
    done = run("docker-credential-truto", "erase", input="https://api.truto.one")
    assert (done.returncode, done.stdout) == (0, "")
    assert len(done.stderr.strip().splitlines()) == 1
    assert all(
        part in done.stderr for part in ("kept profile 'work'", "`truto login -p work`", "`truto logout -p work`")
    )
    assert secrets_of(config_dir) == {"work:apiToken": GOOD_TOKEN}


@pytest.mark.skipif(shutil.which("docker") is None, reason="the docker CLI is not installed")
def test_docker_cli_logout_shows_the_kept_line_and_no_warning(run, env, config_dir):
    # docker passes its helper's stderr through: the user reads why the login stays, without a
    # "could not erase credentials" warning repeating an error for every address form it tries.
    os.makedirs(env["DOCKER_CONFIG"], exist_ok=True)
    with open(os.path.join(env["DOCKER_CONFIG"], "config.json"), "w") as f:
        json.dump({"credsStore": "truto"}, f)
    save_profile(env, "work", "https://registry.example", GOOD_TOKEN)
    done = run("docker", "logout", "registry.example")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "kept profile 'work'" in done.stderr and "could not erase" not in done.stdout + done.stderr
    assert secrets_of(config_dir) == {"work:apiToken": GOOD_TOKEN}


def test_identity_token_user_name(docker_store, read_config):
    docker_store.store("reg.example", "<token>", "identity-token-1")
    assert docker_store.get("reg.example")["Username"] == "<token>"
    assert read_config()["profiles"]["token"]["username"] == "<token>"


def test_empty_secret_is_stored_and_returned(docker_store):
    docker_store.store("reg.example", "u", "")
    # docker's client reads an empty Secret with a non-empty Username as a credential
    assert docker_store.get("reg.example") == {"ServerURL": "reg.example", "Username": "u", "Secret": ""}


def test_authtype_only_credentials_are_not_for_docker(docker_store, run):
    run(
        "git-credential-truto",
        "store",
        input="protocol=https\nhost=reg.example\nusername=svc\nauthtype=Basic\ncredential=abc\n\n",
    )
    with pytest.raises(CredentialsNotFound):
        docker_store.get("reg.example")
    assert docker_store.list() == {}


# ---------------------------------------------------------------------------------------------
# the wire format as docker-credential-helpers speaks it: errors on stdout, exit 1


def helper(run, action, data, env=None):
    return run("docker-credential-truto", action, input=data, env=env)


@pytest.mark.parametrize(
    "doc,message",
    [
        ({"Username": "u", "Secret": "s"}, "no credentials server URL"),
        ({"ServerURL": "", "Username": "u", "Secret": "s"}, "no credentials server URL"),
        ({"ServerURL": "h", "Secret": "s"}, "no credentials username"),
    ],
)
def test_store_missing_fields_give_dockers_messages(run, config_dir, doc, message):
    done = helper(run, "store", json.dumps(doc))
    assert (done.returncode, done.stdout.strip(), done.stderr) == (1, message, "")
    assert not (config_dir / "config.json").exists()


def test_not_found_is_dockers_message_on_stdout(run):
    done = helper(run, "get", "api.truto.one\n")
    assert (done.returncode, done.stdout, done.stderr) == (1, "credentials not found in native keychain\n", "")
    assert helper(run, "get", "ftp://weird\n").stdout == "credentials not found in native keychain\n"


@pytest.mark.parametrize(
    "action,data,fragment",
    [
        ("store", "not json", "not valid JSON"),
        ("store", '{"ServerURL": "ftp://h", "Username": "u", "Secret": "s"}', "cannot be stored"),
        ("store", '{"ServerURL": "h", "Username": "u", "Secret": "a\\nb"}', "line break"),
        ("get", "", "no credentials server URL"),
        ("erase", "  \n", "no credentials server URL"),
        ("frobnicate", "", "Unknown credential action `frobnicate`"),
    ],
)
def test_errors_are_one_line_on_stdout_exit_1(run, action, data, fragment):
    done = helper(run, action, data)
    assert done.returncode == 1 and fragment in done.stdout and done.stderr == ""
    assert len(done.stdout.strip().splitlines()) == 1 and "Traceback" not in done.stdout


def test_input_over_the_cap_is_refused(run, config_dir):
    done = helper(run, "store", b'{"ServerURL": "h", "Username": "u", "Secret": "' + b"x" * (1 << 20) + b'"}')
    assert done.returncode == 1 and b"larger than 1 MiB" in done.stdout
    assert not (config_dir / "config.json").exists()


def test_client_surfaces_our_errors_as_store_errors(docker_store):
    with pytest.raises(StoreError) as e:
        docker_store.store("ftp://h", "u", "s")
    assert "cannot be stored" in str(e.value)


def test_version_and_usage(run):
    done = run("docker-credential-truto", "version")
    assert done.returncode == 0 and done.stdout.startswith("docker-credential-truto (truto-credential-helper) ")
    done = run("docker-credential-truto")
    assert done.returncode == 1 and done.stdout.startswith("Usage: docker-credential-truto")


def test_keyring_unavailable_on_get_is_an_error_docker_shows(run, env, no_dbus_env):
    save_profile(env, "default", "https://api.truto.one", GOOD_TOKEN)
    done = helper(run, "get", "api.truto.one", env=dict(no_dbus_env, TRUTO_KEYRING_TIMEOUT="5"))
    assert done.returncode == 1 and "TRUTO_API_TOKEN" in done.stdout
    assert GOOD_TOKEN not in done.stdout + done.stderr


def test_generic_entry_point_speaks_docker_with_protocol_flag(run, env):
    save_profile(env, "default", "https://api.truto.one", GOOD_TOKEN)
    done = run("truto-credential-helper", "--protocol", "docker", "get", input="api.truto.one")
    assert json.loads(done.stdout)["Secret"] == GOOD_TOKEN
    done = run("truto-credential-helper", "--protocol=docker", "list")
    assert json.loads(done.stdout) == {"https://api.truto.one": "default"}
    done = run("truto-credential-helper", "get", input="protocol=https\nhost=api.truto.one\n\n")  # git by default
    assert f"password={GOOD_TOKEN}\n" in done.stdout


@pytest.mark.skipif(shutil.which("docker") is None, reason="the docker CLI is not installed")
def test_docker_cli_logout_erases_through_the_helper(docker_store, run, env, read_config):
    # The real CLI with "credsStore": "truto" tries HOST, http://HOST and https://HOST in turn and
    # tolerates "not found": the helper must erase the login and leave other origins alone.
    os.makedirs(env["DOCKER_CONFIG"], exist_ok=True)
    with open(os.path.join(env["DOCKER_CONFIG"], "config.json"), "w") as f:
        json.dump({"credsStore": "truto"}, f)
    docker_store.store("127.0.0.1:5000", "ci-bot", "dock-secret-1")
    docker_store.store("registry.example", "other-bot", "dock-secret-2")
    done = run("docker", "logout", "127.0.0.1:5000")
    assert done.returncode == 0, done.stdout + done.stderr
    with pytest.raises(CredentialsNotFound):
        docker_store.get("127.0.0.1:5000")
    assert docker_store.get("registry.example")["Secret"] == "dock-secret-2"
    assert "dock-secret" not in done.stdout + done.stderr
