"""CI: with TRUTO_API_TOKEN set, `get` answers from the environment alone, for TRUTO_API_URL's
origin only, with no D-Bus session at all (no keyring to ask) and without reading config.json."""

import json

import pytest
from conftest import GOOD_TOKEN, OTHER_TOKEN
from helper_support import attributes, git_credential, request, save_profile


@pytest.fixture
def ci_env(no_dbus_env, config_dir):
    # A config.json that cannot be parsed proves it is never read on this path.
    config_dir.mkdir(mode=0o700)
    (config_dir / "config.json").write_text("{ this is not json")
    return dict(no_dbus_env, TRUTO_API_TOKEN=GOOD_TOKEN, TRUTO_KEYRING_TIMEOUT="5")


def test_git_fill_answers_from_the_environment(run, ci_env):
    done = git_credential(run, "fill", request(protocol="https", host="api.truto.one"), env=ci_env)
    assert done.returncode == 0, done.stderr
    got = attributes(done.stdout)
    assert (got["username"], got["password"]) == ("default", GOOD_TOKEN)


def test_profile_name_from_truto_profile(run, ci_env):
    done = run(
        "git-credential-truto",
        "get",
        input=request(protocol="https", host="api.truto.one"),
        env=dict(ci_env, TRUTO_PROFILE="ci"),
    )
    assert attributes(done.stdout)["username"] == "ci"


def test_only_truto_api_urls_origin_is_answered(run, ci_env):
    local = dict(ci_env, TRUTO_API_URL="http://127.0.0.1:8080/")
    got = attributes(
        run("git-credential-truto", "get", input=request(protocol="http", host="127.0.0.1:8080"), env=local).stdout
    )
    assert got["password"] == GOOD_TOKEN
    for attrs, env in [
        (dict(protocol="https", host="api.truto.one"), local),  # not TRUTO_API_URL's origin
        (dict(protocol="http", host="api.truto.one"), ci_env),  # never down to http
        (dict(protocol="https", host="evil.example"), ci_env),
    ]:
        done = run("git-credential-truto", "get", input=request(**attrs), env=env)
        assert (done.returncode, done.stdout) == (0, "")


def test_environment_wins_over_a_stored_profile_and_the_keyring_is_not_asked(run, env, no_dbus_env):
    save_profile(env, "default", "https://api.truto.one", OTHER_TOKEN)  # in the real keyring
    ci = dict(no_dbus_env, TRUTO_API_TOKEN=GOOD_TOKEN, TRUTO_KEYRING_TIMEOUT="5")
    got = attributes(
        run("git-credential-truto", "get", input=request(protocol="https", host="api.truto.one"), env=ci).stdout
    )
    assert got["password"] == GOOD_TOKEN


def test_bearer_and_the_empty_request(run, ci_env):
    out = run(
        "git-credential-truto", "get", input="capability[]=authtype\nprotocol=https\nhost=api.truto.one\n\n", env=ci_env
    ).stdout
    assert "authtype=Bearer\n" in out and f"credential={GOOD_TOKEN}\n" in out
    got = attributes(run("git-credential-truto", "get", input="", env=ci_env).stdout)
    assert (got["protocol"], got["host"], got["password"]) == ("https", "api.truto.one", GOOD_TOKEN)


def test_approve_after_fill_writes_nothing_and_fails_nothing(run, no_dbus_env, config_dir):
    ci = dict(no_dbus_env, TRUTO_API_TOKEN=GOOD_TOKEN, TRUTO_KEYRING_TIMEOUT="5")
    filled = git_credential(run, "fill", request(protocol="https", host="api.truto.one"), env=ci).stdout
    done = git_credential(run, "approve", filled, env=ci)
    assert (done.returncode, done.stderr) == (0, "")
    assert not config_dir.exists()  # CI's token is never written anywhere


def test_docker_get_and_list_from_the_environment(run, ci_env):
    done = run("docker-credential-truto", "get", input="https://api.truto.one/", env=ci_env)
    assert json.loads(done.stdout) == {
        "ServerURL": "https://api.truto.one/",
        "Username": "default",
        "Secret": GOOD_TOKEN,
    }
    assert json.loads(run("docker-credential-truto", "list", env=ci_env).stdout) == {"https://api.truto.one": "default"}
    done = run("docker-credential-truto", "get", input="other.example", env=ci_env)
    assert (done.returncode, done.stdout) == (1, "credentials not found in native keychain\n")


def test_an_invalid_truto_api_url_is_one_line(run, ci_env):
    done = run(
        "git-credential-truto",
        "get",
        input=request(protocol="https", host="api.truto.one"),
        env=dict(ci_env, TRUTO_API_URL="ftp://nope"),
    )
    assert done.returncode == 1 and "TRUTO_API_URL" in done.stderr and "Traceback" not in done.stderr
    assert GOOD_TOKEN not in done.stderr


def test_without_the_token_the_same_machine_has_no_keyring(run, no_dbus_env):
    """The contrast showing the tests above really ran without a keyring: storing needs one."""
    done = run(
        "git-credential-truto",
        "store",
        input=request(protocol="https", host="h.example", username="u", password="p"),
        env=dict(no_dbus_env, TRUTO_KEYRING_TIMEOUT="5"),
    )
    assert done.returncode == 6 and "TRUTO_API_TOKEN" in done.stderr
