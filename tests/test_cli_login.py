"""`truto login`, `whoami`, `logout` and the resolution of profile, token and API URL, through the
installed console script against the stub API and the private gnome-keyring."""

import json

import pytest
from cli_support import as_json, auth_headers, login
from conftest import GOOD_TOKEN, OTHER_TOKEN, files_containing, keyring_items


def test_login_verifies_saves_to_keyring_and_activates(run, stub_api, read_config, config_dir, tmp_path):
    done = login(run, stub_api, "staging")
    assert "Acme Integrations" in done.stderr and done.stdout == ""
    assert auth_headers(stub_api) == [f"Bearer {GOOD_TOKEN}"]
    assert [p for _, p, _ in stub_api.state.requests] == ["/team"]
    cfg = read_config()
    assert cfg["activeProfile"] == "staging"
    assert cfg["profiles"]["staging"]["apiUrl"] == stub_api.url
    assert cfg["profiles"]["staging"]["secretStore"] == "keyring"
    items = keyring_items(f"truto:{config_dir}")
    assert (f"truto:{config_dir}", "staging:apiToken", GOOD_TOKEN) in items
    assert files_containing(tmp_path, GOOD_TOKEN) == []


def test_rejected_token_saves_nothing(run, stub_api, config_dir):
    done = run("truto", "login", "--token", "tok-unknown-0000000000", "--api-url", stub_api.url)
    assert done.returncode == 4
    assert "rejected" in done.stderr and "tok-unknown" not in done.stderr
    assert not (config_dir / "config.json").exists()
    assert keyring_items(f"truto:{config_dir}") == []


def test_unreachable_api_saves_nothing(run, config_dir):
    import socket

    with socket.socket() as s:  # bound but not listening: refused, and no parallel run can take the port
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        done = run("truto", "login", "--token", GOOD_TOKEN, "--api-url", f"http://127.0.0.1:{port}")
    assert done.returncode == 5
    assert "cannot reach" in done.stderr and GOOD_TOKEN not in done.stderr
    assert not (config_dir / "config.json").exists()


def test_no_verify_saves_without_calling_the_api(run, stub_api, read_config):
    done = run("truto", "login", "--token", "tok-unverified-123456", "--api-url", stub_api.url, "--no-verify")
    assert done.returncode == 0, done.stderr
    assert stub_api.state.requests == []
    assert read_config()["profiles"]["default"]["apiUrl"] == stub_api.url


def test_with_token_reads_stdin_and_strips_one_newline(run, stub_api, env):
    done = run("truto", "login", "--with-token", "--api-url", stub_api.url, input=GOOD_TOKEN + "\n")
    assert done.returncode == 0, done.stderr
    assert auth_headers(stub_api) == [f"Bearer {GOOD_TOKEN}"]
    assert as_json(run("truto", "whoami", "-o", "json"))["tokenSource"] == "profile"


@pytest.mark.parametrize(
    "stdin,needle", [("", "empty"), ("\n", "empty"), (GOOD_TOKEN + "\nsecond-line\n", "whitespace")]
)
def test_with_token_refuses_empty_or_multiline(run, stub_api, config_dir, stdin, needle):
    done = run("truto", "login", "--with-token", "--api-url", stub_api.url, input=stdin)
    assert done.returncode == 2 and needle in done.stderr
    assert stub_api.state.requests == [] and not (config_dir / "config.json").exists()


def test_login_without_terminal_or_token_is_a_usage_error(run, stub_api, config_dir):
    done = run("truto", "login", "--api-url", stub_api.url, input="")
    assert done.returncode == 2
    assert "--with-token" in done.stderr and "--token" in done.stderr
    assert not (config_dir / "config.json").exists()


@pytest.mark.parametrize("name", ["-bad", "has space", "a/b", "x" * 129, "ünï"])
def test_login_rejects_bad_profile_names(run, stub_api, name, config_dir):
    done = run("truto", "login", "--token", GOOD_TOKEN, "--api-url", stub_api.url, f"--profile-name={name}")
    assert done.returncode == 2 and "profile name" in done.stderr
    assert stub_api.state.requests == [] and not (config_dir / "config.json").exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://api.example.com",
        "http://10.0.0.1:8080",
        "ftp://127.0.0.1",
        "api.truto.one",
        "https://user:pw@api.truto.one",
    ],
)
def test_login_refuses_unsafe_or_invalid_urls(run, url, config_dir):
    done = run("truto", "login", "--token", GOOD_TOKEN, "--api-url", url)
    assert done.returncode == 2
    assert GOOD_TOKEN not in done.stderr
    if url.startswith("http://"):
        assert "https" in done.stderr
    assert not (config_dir / "config.json").exists()


def test_relogin_replaces_token_and_url_but_keeps_byok_and_default_account(run, stub_api, config_dir):
    login(run, stub_api)
    assert run("truto", "profiles", "set", "default-integrated-account", "acct_42").returncode == 0
    assert run("truto", "profiles", "set-key", "anthropic", "sk-ant-kept-0123456789").returncode == 0
    login(run, stub_api, "default", OTHER_TOKEN)
    items = {u: s for _, u, s in keyring_items(f"truto:{config_dir}")}
    assert items == {"default:apiToken": OTHER_TOKEN, "default:anthropicApiKey": "sk-ant-kept-0123456789"}
    assert run("truto", "profiles", "get", "default-integrated-account").stdout.strip() == "acct_42"


def test_logout_removes_secrets_and_profile(run, stub_api, read_config, config_dir):
    login(run, stub_api, "a")
    login(run, stub_api, "b", OTHER_TOKEN)
    done = run("truto", "logout", "--profile-name", "a", "-f")
    assert done.returncode == 0, done.stderr
    assert list(read_config()["profiles"]) == ["b"]
    assert [u for _, u, _ in keyring_items(f"truto:{config_dir}")] == ["b:apiToken"]


def test_logout_of_the_active_profile_by_default(run, stub_api, read_config):
    login(run, stub_api, "a")
    login(run, stub_api, "b", OTHER_TOKEN)
    assert run("truto", "logout", "-f").returncode == 0
    cfg = read_config()
    assert list(cfg["profiles"]) == ["a"] and "activeProfile" not in cfg


def test_logout_of_missing_profile_is_not_logged_in(run, stub_api):
    login(run, stub_api)
    done = run("truto", "logout", "--profile-name", "nope", "-f")
    assert done.returncode == 3 and "no profile named" in done.stderr and "nope" not in done.stderr  # not echoed


def test_logout_without_terminal_asks_for_f_and_keeps_everything(run, stub_api, read_config, config_dir):
    login(run, stub_api)
    done = run("truto", "logout", input="")
    assert done.returncode == 2 and "-f" in done.stderr
    assert "default" in read_config()["profiles"]
    assert keyring_items(f"truto:{config_dir}") != []


def test_whoami_shows_profile_team_source_store_and_masked_token(run, stub_api, config_dir):
    login(run, stub_api)
    who = as_json(run("truto", "whoami", "-o", "json"))
    assert who["profile"] == "default" and who["apiUrl"] == stub_api.url
    assert (who["teamName"], who["teamId"]) == ("Acme Integrations", "team_7f3a")
    assert who["tokenSource"] == "profile" and who["secretStore"] == "keyring"
    assert who["secretLocation"] == {"service": f"truto:{config_dir}", "entry": "default:apiToken"}
    assert "tokenStore" not in who  # prose: table output only
    assert "Stored in" in run("truto", "whoami").stdout
    assert who["token"] == "****" + GOOD_TOKEN[-4:]
    table = run("truto", "whoami")
    assert table.returncode == 0 and "Acme Integrations" in table.stdout
    for shown in (table.stdout, table.stderr, json.dumps(who)):
        assert GOOD_TOKEN not in shown and GOOD_TOKEN[:-4] not in shown


def test_whoami_not_logged_in(run, stub_api):
    done = run("truto", "whoami", "--api-url", stub_api.url)
    assert done.returncode == 3 and "truto login" in done.stderr
    assert stub_api.state.requests == []


def test_whoami_with_revoked_token_is_exit_4(run, stub_api):
    login(run, stub_api)
    stub_api.state.tokens.discard(GOOD_TOKEN)
    done = run("truto", "whoami")
    assert done.returncode == 4 and GOOD_TOKEN not in done.stderr


def test_token_resolution_flag_over_environment_over_profile(run, stub_api, env):
    login(run, stub_api)
    assert as_json(run("truto", "whoami", "-o", "json"))["tokenSource"] == "profile"
    e = dict(env, TRUTO_API_TOKEN=OTHER_TOKEN)
    who = as_json(run("truto", "whoami", "-o", "json", env=e))
    assert (who["tokenSource"], who["secretLocation"], who["token"][-4:]) == ("environment", None, OTHER_TOKEN[-4:])
    who = as_json(run("truto", "whoami", "-o", "json", "--token", GOOD_TOKEN, env=e))
    assert who["tokenSource"] == "flag" and who["token"][-4:] == GOOD_TOKEN[-4:]
    assert auth_headers(stub_api)[-3:] == [f"Bearer {GOOD_TOKEN}", f"Bearer {OTHER_TOKEN}", f"Bearer {GOOD_TOKEN}"]


def test_ci_token_from_environment_needs_no_profile_and_no_keyring(run, stub_api, no_dbus_env, config_dir):
    e = dict(no_dbus_env, TRUTO_API_TOKEN=GOOD_TOKEN, TRUTO_API_URL=stub_api.url)
    who = as_json(run("truto", "whoami", "-o", "json", env=e))
    assert who["tokenSource"] == "environment" and who["teamId"] == "team_7f3a"
    assert not (config_dir / "config.json").exists()


def test_api_url_resolution_flag_over_environment_over_profile(run, stub_api, env):
    other = __import__("conftest").stub_api_module.make_server([GOOD_TOKEN])
    try:
        login(run, stub_api)
        assert as_json(run("truto", "whoami", "-o", "json"))["apiUrl"] == stub_api.url
        # The token comes from the environment here: a stored token never goes to another origin.
        e = dict(env, TRUTO_API_URL=other.url, TRUTO_API_TOKEN=GOOD_TOKEN)
        assert as_json(run("truto", "whoami", "-o", "json", env=e))["apiUrl"] == other.url
        assert as_json(run("truto", "whoami", "-o", "json", "--api-url", stub_api.url, env=e))["apiUrl"] == stub_api.url
        assert len(other.state.requests) == 1 and len(stub_api.state.requests) == 3
    finally:
        other.shutdown()
        other.server_close()


def test_profile_resolution_flag_over_environment_over_active(run, stub_api, env):
    login(run, stub_api, "a")
    login(run, stub_api, "b", OTHER_TOKEN)  # b is active now
    assert as_json(run("truto", "whoami", "-o", "json"))["profile"] == "b"
    e = dict(env, TRUTO_PROFILE="a")
    assert as_json(run("truto", "whoami", "-o", "json", env=e))["profile"] == "a"
    assert as_json(run("truto", "whoami", "-o", "json", "-p", "b", env=e))["profile"] == "b"


@pytest.mark.parametrize(
    "argv",
    [
        ["whoami", "-p", "staging", "-o", "json"],
        ["-p", "staging", "-o", "json", "whoami"],
        ["-p", "default", "whoami", "-o", "json", "-p", "staging"],
    ],
)
def test_global_options_after_or_before_the_command(run, stub_api, argv):
    login(run, stub_api, "staging")
    login(run, stub_api, "default", OTHER_TOKEN)
    assert as_json(run("truto", *argv))["profile"] == "staging"


def test_structured_output_keeps_messages_off_stdout(run, stub_api):
    done = run("truto", "login", "--token", GOOD_TOKEN, "--api-url", stub_api.url, "-o", "json")
    record = as_json(done)
    assert record["profile"] == "default" and record["verified"] is True
    assert "Logged in" in done.stderr


def test_quiet_silences_messages_not_errors(run, stub_api):
    done = run("truto", "login", "--token", GOOD_TOKEN, "--api-url", stub_api.url, "-q")
    assert done.returncode == 0 and done.stderr == ""
    done = run("truto", "logout", "-p", "nope", "-f", "-q")
    assert done.returncode == 3 and "no profile named" in done.stderr


def test_help_lists_exit_codes_and_version(run):
    done = run("truto", "--help")
    assert done.returncode == 0
    for code in range(7):
        assert f"\n  {code}  " in done.stdout
    assert run("truto", "--version").stdout.startswith("truto ")
    assert "exit codes" in run("truto", "login", "--help").stdout


def test_bad_usage_is_exit_2_without_traceback(run):
    for argv in (["nonsense"], ["whoami", "-o", "xml"], ["api-tokens", "list", "--limit", "0"]):
        done = run("truto", *argv)
        assert done.returncode == 2, argv
        assert "Traceback" not in done.stderr


def test_unexpected_failure_is_one_line_without_traceback_unless_debug(run, env, config_dir):
    # A config directory that is a file makes config loading fail with a plain OSError path.
    config_dir.parent.mkdir(parents=True, exist_ok=True)
    config_dir.write_text("not a directory")
    done = run("truto", "profiles", "list")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    debug = run("truto", "profiles", "list", env=dict(env, TRUTO_DEBUG="1"))
    assert debug.returncode != 0 and "Traceback" in debug.stderr
