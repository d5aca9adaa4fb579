"""git's credential protocol end to end: real `git credential fill|approve|reject` driving the
installed git-credential-truto over the real Secret Service. The machine's git (2.39) predates the
authtype capability (2.46) and forwards no expiry or refresh token (2.41), so those cases feed the
helper directly, as git would."""

import json
import time

import pytest
from conftest import GOOD_TOKEN, OTHER_TOKEN, files_containing
from helper_support import attributes, git_credential, request, save_profile, secrets_of

API = "https://api.truto.one"


def fill(run, *config, **attrs):
    return git_credential(run, "fill", request(**attrs), *config)


def approve(run, *config, **attrs):
    done = git_credential(run, "approve", request(**attrs), *config)
    assert done.returncode == 0 and done.stdout == "", done.stderr
    return done


def reject(run, **attrs):
    done = git_credential(run, "reject", request(**attrs))
    assert done.returncode == 0, done.stderr
    return done


def helper(run, action, text, env=None):
    return run("git-credential-truto", action, input=text, env=env)


def assert_no_answer(done, *secrets):
    """git found nothing: with prompts disabled, fill fails and prints no password."""
    assert done.returncode != 0
    assert "password=" not in done.stdout
    for secret in secrets:
        assert secret not in done.stdout + done.stderr


# ---------------------------------------------------------------------------------------------
# store and get


def test_approve_then_fill_round_trips_through_the_keyring(run, config_dir, read_config):
    approve(run, protocol="https", host="api.truto.one", username="alice", password="pw-alice-123")
    got = attributes(fill(run, protocol="https", host="api.truto.one").stdout)
    assert (got["username"], got["password"]) == ("alice", "pw-alice-123")
    profile = read_config()["profiles"]["alice"]
    assert profile["apiUrl"] == API and profile["credentialType"] == "password"
    assert secrets_of(config_dir) == {"alice:apiToken": "pw-alice-123"}
    assert files_containing(config_dir, "pw-alice-123") == []  # the secret is in the keyring only


def test_truto_login_profile_answers_fill_with_its_token(run, env):
    save_profile(env, "default", API, GOOD_TOKEN, active=True)
    got = attributes(fill(run, protocol="https", host="api.truto.one").stdout)
    assert (got["username"], got["password"]) == ("default", GOOD_TOKEN)


def test_answer_always_carries_protocol_host_username_password(run, env):
    save_profile(env, "default", API, GOOD_TOKEN)
    out = helper(run, "get", request(protocol="https", host="api.truto.one")).stdout
    assert [line.split("=")[0] for line in out.splitlines()] == ["protocol", "host", "username", "password"]


@pytest.mark.parametrize(
    "attrs",
    [
        dict(protocol="http", host="api.truto.one"),  # never downgraded to http
        dict(protocol="https", host="api.truto.one:8443"),  # another port
        dict(protocol="https", host="evil.example"),  # another host
        dict(protocol="https", host="api.truto.one.evil.example"),
        dict(protocol="https", host="api.truto.one", username="bob"),  # another user
    ],
)
def test_secret_only_goes_to_its_own_origin_and_user(run, env, attrs):
    save_profile(env, "alice", API, GOOD_TOKEN)
    assert_no_answer(fill(run, **attrs), GOOD_TOKEN)


def test_default_port_is_the_same_origin(run, env):
    save_profile(env, "default", "https://api.truto.one:443", GOOD_TOKEN)
    assert attributes(fill(run, protocol="https", host="api.truto.one").stdout)["password"] == GOOD_TOKEN
    save_profile(env, "local", "http://127.0.0.1:8080", OTHER_TOKEN)
    assert attributes(fill(run, protocol="http", host="127.0.0.1:8080").stdout)["password"] == OTHER_TOKEN
    assert_no_answer(fill(run, protocol="http", host="127.0.0.1"), OTHER_TOKEN)


def test_several_users_per_origin(run):
    approve(run, protocol="https", host="api.truto.one", username="alice", password="pw-alice")
    approve(run, protocol="https", host="api.truto.one", username="bob", password="pw-bob")
    assert attributes(fill(run, protocol="https", host="api.truto.one", username="bob").stdout)["password"] == "pw-bob"
    assert (
        attributes(fill(run, protocol="https", host="api.truto.one", username="alice").stdout)["password"] == "pw-alice"
    )
    assert attributes(fill(run, protocol="https", host="api.truto.one").stdout)["username"] in ("alice", "bob")


def test_request_without_username_prefers_the_selected_profile(run, env):
    save_profile(env, "first", API, OTHER_TOKEN)
    save_profile(env, "second", API, GOOD_TOKEN, active=True)
    assert attributes(fill(run, protocol="https", host="api.truto.one").stdout)["username"] == "second"
    env2 = dict(env, TRUTO_PROFILE="first")
    got = attributes(git_credential(run, "fill", request(protocol="https", host="api.truto.one"), env=env2).stdout)
    assert got["username"] == "first"


def test_path_matters_only_when_both_sides_have_one(run, env):
    use_path = "credential.useHttpPath=true"
    save_profile(env, "repo-a", "https://git.example/team/a.git", GOOD_TOKEN)
    save_profile(env, "anywhere", "https://other.example", OTHER_TOKEN)
    assert (
        attributes(fill(run, use_path, protocol="https", host="git.example", path="team/a.git").stdout)["password"]
        == GOOD_TOKEN
    )
    assert_no_answer(fill(run, use_path, protocol="https", host="git.example", path="team/b.git"), GOOD_TOKEN)
    # the request has no path (git's default), the profile has one: it answers
    assert attributes(fill(run, protocol="https", host="git.example").stdout)["password"] == GOOD_TOKEN
    # the profile has no path, the request has one: it answers
    assert (
        attributes(fill(run, use_path, protocol="https", host="other.example", path="x/y").stdout)["password"]
        == OTHER_TOKEN
    )


def test_empty_username_and_password_are_kept_as_empty(run, read_config):
    approve(run, protocol="https", host="api.truto.one", username="", password="")
    got = helper(run, "get", request(protocol="https", host="api.truto.one")).stdout
    assert "username=\n" in got and "password=\n" in got
    assert read_config()["profiles"]["git"]["username"] == ""  # the fixed base name for no user name


def test_store_replaces_what_it_matches(run, config_dir, read_config):
    approve(run, protocol="https", host="api.truto.one", username="alice", password="old-pw")
    approve(run, protocol="https", host="api.truto.one", username="alice", password="new-pw")
    assert (
        attributes(fill(run, protocol="https", host="api.truto.one", username="alice").stdout)["password"] == "new-pw"
    )
    assert list(read_config()["profiles"]) == ["alice"]
    assert secrets_of(config_dir) == {"alice:apiToken": "new-pw"}


def test_approve_after_fill_changes_nothing_and_keeps_a_token_profile_a_token(run, env, config_dir):
    save_profile(env, "default", API, GOOD_TOKEN, defaultIntegratedAccount="acct-1")
    filled = fill(run, protocol="https", host="api.truto.one").stdout
    before = (config_dir / "config.json").read_bytes()
    assert git_credential(run, "approve", filled).returncode == 0
    assert (config_dir / "config.json").read_bytes() == before
    # a new secret for the token profile's own user replaces its token; it stays a token profile
    approve(run, protocol="https", host="api.truto.one", username="default", password=OTHER_TOKEN)
    profile = json.loads((config_dir / "config.json").read_text())["profiles"]["default"]
    assert "credentialType" not in profile and profile["defaultIntegratedAccount"] == "acct-1"
    out = helper(
        run, "get", request(protocol="https", host="api.truto.one").replace("\n\n", "\ncapability[]=authtype\n\n")
    ).stdout
    assert "authtype=Bearer\n" in out and f"credential={OTHER_TOKEN}\n" in out


def test_new_names_are_deterministic_and_never_replace_another_origin(run, env, read_config):
    save_profile(env, "alice", "https://other.example", OTHER_TOKEN)
    approve(run, protocol="https", host="api.truto.one", username="alice", password="pw-1")
    approve(run, protocol="http", host="127.0.0.1:8080", username="alice", password="pw-2")
    save_profile(env, "bob", "https://third.example", OTHER_TOKEN)
    save_profile(env, "bob@api.truto.one", "https://fourth.example", OTHER_TOKEN)
    approve(run, protocol="https", host="api.truto.one", username="bob", password="pw-3")
    approve(run, protocol="https", host="api.truto.one", username="Weird User/Name", password="pw-4")
    profiles = read_config()["profiles"]
    assert profiles["alice"]["apiUrl"] == "https://other.example"
    assert profiles["alice@api.truto.one"]["apiUrl"] == API and profiles["alice@api.truto.one"]["username"] == "alice"
    assert profiles["alice@127.0.0.1-8080"]["apiUrl"] == "http://127.0.0.1:8080"
    assert profiles["bob@api.truto.one-2"]["username"] == "bob"
    assert profiles["Weird-User-Name"]["username"] == "Weird User/Name"
    assert attributes(fill(run, protocol="https", host="other.example").stdout)["password"] == OTHER_TOKEN


def test_ephemeral_credentials_are_not_stored(run, config_dir):
    done = helper(
        run, "store", request(protocol="https", host="api.truto.one", username="u", password="once", ephemeral="1")
    )
    assert done.returncode == 0
    assert not (config_dir / "config.json").exists()


def test_unknown_actions_do_nothing(run, env, config_dir):
    save_profile(env, "default", API, GOOD_TOKEN)
    for action in ("capability", "frobnicate"):
        done = helper(run, action, request(protocol="https", host="api.truto.one"))
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


# ---------------------------------------------------------------------------------------------
# expiry and refresh tokens (git 2.41+), fed directly


def test_expiry_and_refresh_token_are_kept_and_returned(run, config_dir):
    future = int(time.time()) + 3600
    helper(
        run,
        "store",
        request(
            protocol="https",
            host="api.truto.one",
            username="o",
            password="access-1",
            password_expiry_utc=future,
            oauth_refresh_token="refresh-1",
        ),
    )
    got = attributes(helper(run, "get", request(protocol="https", host="api.truto.one")).stdout)
    assert (got["password"], got["password_expiry_utc"], got["oauth_refresh_token"]) == (
        "access-1",
        str(future),
        "refresh-1",
    )
    assert secrets_of(config_dir) == {"o:apiToken": "access-1", "o:oauthRefreshToken": "refresh-1"}
    assert files_containing(config_dir, "refresh-1") == []
    # an approve from a git that drops both (older than 2.41) keeps them
    helper(run, "store", request(protocol="https", host="api.truto.one", username="o", password="access-1"))
    got = attributes(helper(run, "get", request(protocol="https", host="api.truto.one")).stdout)
    assert got["oauth_refresh_token"] == "refresh-1" and got["password_expiry_utc"] == str(future)


def test_expired_credential_is_not_returned(run, config_dir):
    past = int(time.time()) - 10
    helper(
        run,
        "store",
        request(protocol="https", host="api.truto.one", username="o", password="stale", password_expiry_utc=past),
    )
    done = helper(run, "get", request(protocol="https", host="api.truto.one"))
    assert done.returncode == 0 and done.stdout == ""
    # but erase still finds it
    helper(run, "erase", request(protocol="https", host="api.truto.one"))
    assert secrets_of(config_dir) == {}


# ---------------------------------------------------------------------------------------------
# Bearer tokens (git 2.46+ capability[]=authtype), fed directly


def test_token_profile_is_bearer_to_a_client_with_the_capability(run, env):
    save_profile(env, "default", API, GOOD_TOKEN)
    got = attributes(helper(run, "get", "capability[]=authtype\nprotocol=https\nhost=api.truto.one\n\n").stdout)
    assert (got["capability[]"], got["authtype"], got["credential"]) == ("authtype", "Bearer", GOOD_TOKEN)
    assert "password" not in got


def test_authtype_credentials_are_stored_and_only_returned_with_the_capability(run, read_config):
    stored = helper(
        run,
        "store",
        "capability[]=authtype\nprotocol=https\nhost=api.truto.one\nusername=svc\n"
        "authtype=Basic\ncredential=YWxhZGRpbjpvcGVuc2VzYW1l\n\n",
    )
    assert stored.returncode == 0, stored.stderr
    profile = read_config()["profiles"]["svc"]
    assert (profile["credentialType"], profile["authtype"]) == ("authtype", "Basic")
    without = helper(run, "get", request(protocol="https", host="api.truto.one"))
    assert without.stdout == "" and "YWxhZGRp" not in without.stderr
    got = attributes(helper(run, "get", "capability[]=authtype\nprotocol=https\nhost=api.truto.one\n\n").stdout)
    assert (got["authtype"], got["credential"]) == ("Basic", "YWxhZGRpbjpvcGVuc2VzYW1l")


# ---------------------------------------------------------------------------------------------
# erase


def test_reject_without_username_erases_every_credential_of_that_origin(run, env, config_dir, read_config):
    approve(run, protocol="https", host="api.truto.one", username="alice", password="pw-a")
    approve(run, protocol="https", host="api.truto.one", username="bob", password="pw-b")
    save_profile(env, "elsewhere", "https://other.example", OTHER_TOKEN)
    helper(run, "erase", request(protocol="https", host="api.truto.one"))
    assert list(read_config()["profiles"]) == ["elsewhere"]
    assert set(secrets_of(config_dir)) == {"elsewhere:apiToken"}


def test_reject_with_username_and_password_erases_only_that_credential(run, read_config):
    approve(run, protocol="https", host="api.truto.one", username="alice", password="pw-a")
    approve(run, protocol="https", host="api.truto.one", username="bob", password="pw-b")
    reject(run, protocol="https", host="api.truto.one", username="alice", password="not-alices")
    assert set(read_config()["profiles"]) == {"alice", "bob"}  # a different password: kept
    reject(run, protocol="https", host="api.truto.one", username="alice", password="pw-a")
    assert set(read_config()["profiles"]) == {"bob"}


def test_reject_keeps_the_byok_keys_of_a_profile_whose_token_git_stored(run, env, config_dir, read_config):
    # git replaced the token of a profile holding BYOK keys and settings: git's reject removes its
    # token, never the hand-entered rest.
    save_profile(env, "default", API, GOOD_TOKEN, defaultIntegratedAccount="ia_1")
    assert run("truto", "profiles", "set-key", "anthropic", "sk-ant-kept", "-p", "default").returncode == 0
    approve(run, protocol="https", host="api.truto.one", username="default", password="pw-from-git")
    assert read_config()["profiles"]["default"]["storedBy"] == "git"
    reject(run, protocol="https", host="api.truto.one", username="default", password="pw-from-git")
    profile = read_config()["profiles"]["default"]
    assert profile["defaultIntegratedAccount"] == "ia_1"
    assert set(secrets_of(config_dir)) == {"default:anthropicApiKey"}
    assert_no_answer(fill(run, protocol="https", host="api.truto.one"), "pw-from-git")


def kept_line(name):
    return (f"kept profile '{name}'", f"`truto login -p {name}`", f"`truto logout -p {name}`")


def test_reject_keeps_a_truto_login_profile_and_says_so_in_one_line(run, config_dir, read_config, stub_api):
    done = run("truto", "login", "--profile-name", "work", "--api-url", stub_api.url, "--token", GOOD_TOKEN)
    assert done.returncode == 0, done.stderr
    assert read_config()["profiles"]["work"]["storedBy"] == "truto"
    origin = dict(protocol="http", host=stub_api.url.split("://")[1])
    rejected = reject(run, **origin, username="work", password=GOOD_TOKEN)
    assert len(rejected.stderr.strip().splitlines()) == 1, rejected.stderr
    assert all(part in rejected.stderr for part in kept_line("work")) and GOOD_TOKEN not in rejected.stderr
    assert secrets_of(config_dir) == {"work:apiToken": GOOD_TOKEN}
    # the server refused it just now: a fill right after gets nothing (a client retrying at once
    # stops), with one line saying why and the ways out
    withheld = fill(run, **origin)
    assert "password=" not in withheld.stdout and "not offering profile 'work'" in withheld.stderr
    assert GOOD_TOKEN not in withheld.stderr
    # a reject naming another secret is not about this token: kept without a word
    quiet = reject(run, **origin, username="work", password="some-other-secret")
    assert quiet.stderr == ""
    # a reject without user name or password (erase the whole origin) keeps it too
    assert all(part in reject(run, **origin).stderr for part in kept_line("work"))
    assert secrets_of(config_dir) == {"work:apiToken": GOOD_TOKEN}
    # `truto login` again (the same token here) and it answers at once
    again = run("truto", "login", "--profile-name", "work", "--api-url", stub_api.url, "--token", GOOD_TOKEN, "-f")
    assert again.returncode == 0, again.stderr
    assert attributes(fill(run, **origin).stdout)["password"] == GOOD_TOKEN


def test_an_approve_of_a_refused_token_offers_it_again(run, stub_api):
    """The token works again (git approves after a request that succeeded, say through another
    helper or a prompt): the refusal is over."""
    done = run("truto", "login", "--profile-name", "work", "--api-url", stub_api.url, "--token", GOOD_TOKEN)
    assert done.returncode == 0, done.stderr
    origin = dict(protocol="http", host=stub_api.url.split("://")[1])
    reject(run, **origin, username="work", password=GOOD_TOKEN)
    assert "password=" not in fill(run, **origin).stdout
    approve(run, **origin, username="work", password=GOOD_TOKEN)
    assert attributes(fill(run, **origin).stdout)["password"] == GOOD_TOKEN


def test_a_profile_git_stored_becomes_the_users_once_edited_with_truto(run, config_dir, read_config):
    approve(run, protocol="https", host="api.truto.one", username="alice", password="pw-a")
    assert read_config()["profiles"]["alice"]["storedBy"] == "git"
    assert run("truto", "profiles", "set", "default-integrated-account", "ia_2", "-p", "alice").returncode == 0
    assert read_config()["profiles"]["alice"]["storedBy"] == "truto"
    rejected = reject(run, protocol="https", host="api.truto.one", username="alice", password="pw-a")
    assert all(part in rejected.stderr for part in kept_line("alice"))
    assert secrets_of(config_dir) == {"alice:apiToken": "pw-a"}


@pytest.mark.parametrize(
    "settings,erased",
    [
        ({"credentialType": "password", "username": "alice"}, True),  # git stored it
        ({"credentialType": "authtype", "authtype": "Bearer", "username": "alice"}, True),
        ({"dockerServerUrl": "api.truto.one", "username": "alice"}, True),  # docker stored it
        ({"username": "alice"}, False),  # a plain token profile: `truto login`
    ],
)
def test_profiles_without_the_marker_are_classified_by_their_shape(run, env, config_dir, settings, erased):
    save_profile(env, "p", API, "tok-legacy-1", **settings)
    doc = json.loads((config_dir / "config.json").read_text())
    del doc["profiles"]["p"]["storedBy"]  # as an older version wrote it
    (config_dir / "config.json").write_text(json.dumps(doc))
    rejected = reject(run, protocol="https", host="api.truto.one", username="alice")
    assert (secrets_of(config_dir) == {}) is erased
    assert ("kept profile 'p'" in rejected.stderr) is not erased


def test_reject_for_another_origin_or_protocol_erases_nothing(run, env, read_config):
    save_profile(env, "default", API, GOOD_TOKEN)
    reject(run, protocol="http", host="api.truto.one")
    reject(run, protocol="https", host="api.truto.one:8443")
    assert set(read_config()["profiles"]) == {"default"}
    helper(run, "erase", "")  # an empty erase is never a wildcard
    assert set(read_config()["profiles"]) == {"default"}


# ---------------------------------------------------------------------------------------------
# the extension for other tools: profile=NAME and the empty request


def test_profile_attribute_selects_a_profile(run, env):
    save_profile(env, "prod", API, GOOD_TOKEN, active=True)
    save_profile(env, "staging", "https://staging.truto.one", OTHER_TOKEN)
    got = attributes(helper(run, "get", request(profile="staging")).stdout)
    assert (got["protocol"], got["host"], got["username"], got["password"]) == (
        "https",
        "staging.truto.one",
        "staging",
        OTHER_TOKEN,
    )
    assert helper(run, "get", request(profile="staging", protocol="https", host="api.truto.one")).stdout == ""
    assert helper(run, "get", request(profile="missing")).stdout == ""


def test_empty_request_answers_for_truto_profile_else_the_active_one(run, env):
    save_profile(env, "prod", API, GOOD_TOKEN, active=True)
    save_profile(env, "staging", "https://staging.truto.one", OTHER_TOKEN)
    assert attributes(helper(run, "get", "").stdout)["password"] == GOOD_TOKEN
    assert (
        attributes(helper(run, "get", "\n", env=dict(env, TRUTO_PROFILE="staging")).stdout)["password"] == OTHER_TOKEN
    )


# ---------------------------------------------------------------------------------------------
# bad input and failures: one line on stderr, a documented exit code, no traceback, no secret


@pytest.mark.parametrize(
    "data",
    [
        b"protocol=https\nhost=api.truto.one\nno-equals-sign\n\n",
        b"protocol=https\nhost=api.truto.one\nusername=a\rb\n\n",
        b"protocol=https\nhost=api.truto.one\nusername=a\0b\n\n",
        b"protocol=https\nhost=api.truto.one\nusername=\xc3\x28\n\n",
        b"protocol=https\nhost=api.truto.one\nusername=" + b"x" * (1 << 20) + b"\n\n",
    ],
)
@pytest.mark.parametrize("action", ["get", "store", "erase"])
def test_malformed_input_is_refused_with_one_line(run, env, config_dir, data, action):
    save_profile(env, "default", API, GOOD_TOKEN)
    before = (config_dir / "config.json").read_bytes()
    done = run("git-credential-truto", action, input=data)
    assert done.returncode == 2
    assert done.stdout == b""
    assert len(done.stderr.decode().strip().splitlines()) == 1 and b"Traceback" not in done.stderr
    assert (config_dir / "config.json").read_bytes() == before


def test_a_request_over_the_cap_is_refused_without_reading_it_all(run):
    # 64 MiB on stdin: the helper stops at 1 MiB + 1 and exits; run() tolerates the closed pipe.
    done = run("git-credential-truto", "get", input=b"username=" + b"x" * (64 << 20) + b"\n")
    assert done.returncode == 2 and b"larger than 1 MiB" in done.stderr


def test_a_broken_config_is_one_line_naming_the_file(run, config_dir):
    config_dir.mkdir(mode=0o700)
    (config_dir / "config.json").write_text("{not json")
    done = helper(run, "get", request(protocol="https", host="api.truto.one"))
    assert done.returncode == 1 and "config.json" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_stored_secret_with_a_line_break_is_never_sent(run, env):
    save_profile(env, "default", API, "c4nary-head\nusername=c4nary-tail")
    done = helper(run, "get", request(protocol="https", host="api.truto.one"))
    assert done.returncode == 1 and done.stdout == ""
    assert "c4nary" not in done.stderr and "username=" not in done.stderr


def test_keyring_unavailable_is_exit_6(run, env, no_dbus_env):
    save_profile(env, "default", API, GOOD_TOKEN)
    env_no_keyring = dict(no_dbus_env, TRUTO_KEYRING_TIMEOUT="5")
    done = helper(run, "get", request(protocol="https", host="api.truto.one"), env=env_no_keyring)
    assert done.returncode == 6 and "TRUTO_API_TOKEN" in done.stderr
    assert GOOD_TOKEN not in done.stdout + done.stderr and "Traceback" not in done.stderr


def test_traceback_only_with_truto_debug(run, env):
    quiet = helper(run, "get", "junk\n")
    assert quiet.returncode == 2 and "Traceback" not in quiet.stderr
    loud = helper(run, "get", "junk\n", env=dict(env, TRUTO_DEBUG="1"))
    assert loud.returncode != 0 and "Traceback" in loud.stderr
