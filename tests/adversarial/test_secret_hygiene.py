"""7. Secret hygiene: a canary token (and a canary BYOK key) through every command, with -v and in
every output format, and through failures: it appears in no stderr, in no stdout except the
answers whose job is to print it (helper get, `truto auth token`, `profiles get --reveal`), and in no
file the tools write (config.json, lock, cache, git and docker configuration)."""

import pytest
from conftest import BIN, files_containing

from . import hostile as h
from .conftest import HERE, assert_no_secret, git_input, new_canary

FORMATS = ["table", "json", "ndjson", "csv", "yaml"]


@pytest.fixture
def logged_in(run, env, canary_api, canary):
    key = new_canary()
    p = run(BIN / "truto", "login", "--token", canary, "--api-url", canary_api.url, "--profile-name", "p", "-f", "-v")
    assert p.returncode == 0, p.stderr
    assert_no_secret(canary, p.stdout, p.stderr)
    p = run(BIN / "truto", "profiles", "set-key", "anthropic", key, "-p", "p", "-v")
    assert p.returncode == 0, p.stderr
    assert_no_secret(key, p.stdout, p.stderr)
    return canary, key


def everything(url):
    """(argv, stdin, may stdout print the token?) for every command that can run unattended."""
    cmds = []
    for fmt in FORMATS:
        cmds += [
            (["truto", "whoami", "-v", "-o", fmt], None, False),
            (["truto", "profiles", "list", "-v", "-o", fmt], None, False),
            (["truto", "profiles", "get", "anthropic-api-key", "-o", fmt], None, False),
            (["truto", "profiles", "get", "api-url", "-o", fmt], None, False),
            (["truto", "api-tokens", "list", "-v", "-o", fmt], None, False),
            (["truto", "api-tokens", "get", "tok_001", "-v", "-o", fmt], None, False),
        ]
    cmds += [
        (["truto", "profiles", "current", "-v"], None, False),
        (["truto", "profiles", "use", "p", "-v"], None, False),
        (["truto", "profiles", "set", "default-integrated-account", "acct-1", "-v"], None, False),
        (["truto", "api-tokens", "get", "tok_missing", "-v"], None, False),
        (["truto", "doctor", "-v"], None, False),
        (["truto", "doctor", "-o", "json", "--online", "-v"], None, False),
        (["truto", "auth", "setup-git", "-v"], None, False),
        (["truto", "auth", "setup-docker", "-v"], None, False),
        (["truto", "completion", "bash"], None, False),
        (["truto", "auth", "token"], None, True),
        (["truto", "profiles", "get", "anthropic-api-key", "--reveal"], None, True),
        (["git-credential-truto", "get"], git_input(protocol=url.split("://")[0], host=url.split("://")[1]), True),
        (["docker-credential-truto", "get"], url, True),
        (["docker-credential-truto", "list"], "", False),
        (["truto-credential-helper", "--protocol", "docker", "list"], "", False),
    ]
    return cmds


def test_canary_through_every_command(run, env, config_dir, tmp_path, logged_in, canary_api):
    token, key = logged_in
    for argv, data, may_print in everything(canary_api.url):
        p = run(BIN / argv[0], *argv[1:], input=data)
        assert "Traceback" not in p.stderr, (argv, p.stderr)
        assert_no_secret(token, p.stderr)
        assert_no_secret(key, p.stderr)
        if not may_print:
            assert_no_secret(token, p.stdout)
            assert_no_secret(key, p.stdout)
        elif p.returncode == 0 and argv[-1] != "--reveal":
            assert token in p.stdout  # the command that exists to print it does
    # git's credential approve/reject path and logout, with -v where there is one.
    for argv, data in (
        (
            ["git-credential-truto", "store"],
            git_input(protocol="https", host="x.example", username="u", password=token),
        ),
        (["git-credential-truto", "erase"], git_input(protocol="https", host="x.example")),
        (["truto", "logout", "--profile-name", "p", "-f", "-v"], None),
    ):
        p = run(BIN / argv[0], *argv[1:], input=data)
        assert p.returncode == 0, (argv, p.stderr)
        assert_no_secret(token, p.stdout, p.stderr)
    leaks = files_containing(tmp_path, token) + files_containing(tmp_path, key)
    assert leaks == [], f"secret written to {leaks}"


FAILURES = {
    # name: (argv without the token, env additions)
    "rejected": (["whoami", "-v"], {}),
    "echoing-server": (["whoami", "-v"], "echo"),
    "bad-url": (["whoami", "--api-url", "ftp://x", "-v"], {}),
    "http-non-loopback": (["whoami", "--api-url", "http://truto-adversarial.invalid", "-v"], {}),
    "unreachable": (["whoami", "--api-url", "https://truto-adversarial.invalid", "-v"], {}),
    "bad-flag": (["whoami", "--no-such-flag"], {}),
    "bad-profile-name": (["login", "--profile-name", "bad name!", "-f"], {}),
    "bad-output": (["whoami", "-o", "xml"], {}),
    "login-rejected": (["login", "--profile-name", "q", "-f", "-v"], {}),
    "keyring-raising": (["login", "--profile-name", "q", "-f", "--no-verify"], "raising"),
    "keyring-raising-debug": (["login", "--profile-name", "q", "-f", "--no-verify"], "raising-debug"),
    "debug-rejected": (["whoami", "-v"], {"TRUTO_DEBUG": "1"}),
    "debug-unreachable": (["whoami", "--api-url", "https://truto-adversarial.invalid"], {"TRUTO_DEBUG": "1"}),
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_token_given_with_flag_never_echoed_in_errors(run, env, config_dir, tmp_path, hostile, canary_api, failure):
    token = new_canary()  # not accepted by the stub API: every call with it fails
    argv, extra = FAILURES[failure]
    e = dict(env)
    if extra == "echo":
        server = hostile(h.echo_token(401))
        argv = argv + ["--api-url", server.url]
    elif extra in ("raising", "raising-debug"):
        e.update(PYTHONPATH=str(HERE / "backends"), PYTHON_KEYRING_BACKEND="adv_keyring.Raising")
        if extra == "raising-debug":
            e["TRUTO_DEBUG"] = "1"
    else:
        e.update(extra)
    if "--api-url" not in argv:
        argv = argv + ["--api-url", canary_api.url]
    p = run(BIN / "truto", *argv, "--token", token, env=e, timeout=60)
    assert p.returncode != 0
    assert_no_secret(token, p.stdout, p.stderr)
    assert files_containing(tmp_path, token) == []


def test_token_from_stdin_and_environment_never_echoed(run, env, tmp_path, canary_api):
    token = new_canary()
    p = run(BIN / "truto", "login", "--with-token", "--api-url", canary_api.url, "-f", "-v", input=token + "\n")
    assert p.returncode == 4
    assert_no_secret(token, p.stdout, p.stderr)
    p = run(BIN / "truto", "whoami", "-v", env=dict(env, TRUTO_API_TOKEN=token, TRUTO_API_URL=canary_api.url))
    assert p.returncode == 4
    assert_no_secret(token, p.stdout, p.stderr)
    assert files_containing(tmp_path, token) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["whoami", "-o", "{t}"],  # a token pasted after the wrong option
        ["whoami", "{t}"],  # or where no argument goes
        ["api-tokens", "list", "--limit", "{t}"],  # or into a typed option
        ["profiles", "{t}"],  # or as a subcommand
    ],
)
def test_token_misplaced_on_the_command_line_is_not_echoed(run, argv):
    token = new_canary()
    p = run(BIN / "truto", *[a.format(t=token) for a in argv])
    assert p.returncode == 2
    assert_no_secret(token, p.stdout, p.stderr)
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr  # one line, as every other error


def test_insecure_storage_keeps_the_secret_in_credentials_json_only(run, env, config_dir, tmp_path, canary_api, canary):
    p = run(BIN / "truto", "login", "--token", canary, "--api-url", canary_api.url, "-f", "--insecure-storage", "-v")
    assert p.returncode == 0, p.stderr
    assert_no_secret(canary, p.stdout, p.stderr)
    assert files_containing(tmp_path, canary) == [str(config_dir / "credentials.json")]
