"""The console scripts' entry points called in-process (run_cli) over the in-memory secret store:
the protocols end to end (request in, answer out, exit codes), without a subprocess or a keyring.
The same behaviour against the installed scripts, real git, docker and gnome-keyring is in the
full tier (test_git_helper.py, test_docker_helper.py, ...)."""

import json

import pytest

from truto_credential_helper import __version__

REQUEST = b"protocol=https\nhost=api.example\n\n"
APPROVE = b"protocol=https\nhost=api.example\nusername=alice\npassword=tok-alice-1\n\n"


def lines(output):
    return output.decode().splitlines() if isinstance(output, bytes) else output.splitlines()


def test_git_store_get_erase_round_trip(cli, stored_secrets):
    assert cli("git-credential-truto", "store", stdin=APPROVE) == (0, b"", b"")
    assert stored_secrets() == {("alice", "apiToken"): "tok-alice-1"}
    code, out, err = cli("git-credential-truto", "get", stdin=REQUEST)
    assert (code, err) == (0, b"")
    assert {"username=alice", "password=tok-alice-1"} <= set(lines(out))
    assert cli("git-credential-truto", "erase", stdin=APPROVE) == (0, b"", b"")
    assert stored_secrets() == {}
    assert cli("git-credential-truto", "get", stdin=REQUEST) == (0, b"", b"")


def test_the_generic_helper_speaks_both_protocols(cli):
    assert cli("truto-credential-helper", "store", stdin=APPROVE).returncode == 0
    assert "password=tok-alice-1" in lines(cli("truto-credential-helper", "get", stdin=REQUEST).stdout)
    done = cli("truto-credential-helper", "--protocol", "docker", "get", stdin=b"https://api.example")
    assert json.loads(done.stdout) == {"ServerURL": "https://api.example", "Username": "alice", "Secret": "tok-alice-1"}


def test_docker_store_get_list_erase(cli, stored_secrets):
    login = json.dumps({"ServerURL": "api.example", "Username": "robot", "Secret": "tok-robot-1"}).encode()
    assert cli("docker-credential-truto", "store", stdin=login) == (0, b"", b"")
    done = cli("docker-credential-truto", "get", stdin=b"api.example")
    assert json.loads(done.stdout) == {"ServerURL": "api.example", "Username": "robot", "Secret": "tok-robot-1"}
    assert json.loads(cli("docker-credential-truto", "list").stdout) == {"api.example": "robot"}
    assert cli("docker-credential-truto", "erase", stdin=b"api.example").returncode == 0
    assert stored_secrets() == {}
    # docker reads its helpers' errors from stdout, with exit 1.
    assert cli("docker-credential-truto", "get", stdin=b"api.example") == (
        1,
        b"credentials not found in native keychain\n",
        b"",
    )


def test_an_empty_request_answers_with_the_selected_profile(cli):
    cli("git-credential-truto", "store", stdin=APPROVE)
    cli("git-credential-truto", "store", stdin=APPROVE.replace(b"alice", b"bob").replace(b"-1", b"-2"))
    assert "password=tok-bob-2" in lines(cli("git-credential-truto", "get", stdin=b"\n", TRUTO_PROFILE="bob").stdout)
    assert cli("truto", "profiles", "use", "alice").returncode == 0
    assert "password=tok-alice-1" in lines(cli("git-credential-truto", "get", stdin=b"\n").stdout)


def test_ci_token_answers_its_origin_only_and_touches_nothing(cli, config_dir):
    ci = {"TRUTO_API_TOKEN": "tok-ci-1", "TRUTO_API_URL": "https://api.example"}
    assert "password=tok-ci-1" in lines(cli("git-credential-truto", "get", stdin=REQUEST, **ci).stdout)
    other = b"protocol=https\nhost=other.example\n\n"
    assert cli("git-credential-truto", "get", stdin=other, **ci) == (0, b"", b"")
    assert not config_dir.exists()


def test_profiles_list_shows_what_a_helper_stored_without_its_secret(cli):
    cli("git-credential-truto", "store", stdin=APPROVE)
    code, out, err = cli("truto", "profiles", "list", "-o", "json", stdin="")
    assert code == 0, err
    assert "alice" in out and "tok-alice-1" not in out + err


# (id, argv, stdin, exit code, text expected in stdout or stderr)
FAILURES = [
    ("git: a line without '='", ["git-credential-truto", "get"], b"protocol\n\n", 2, "has no '='"),
    ("git: invalid UTF-8", ["git-credential-truto", "get"], b"host=\xff\n\n", 2, "not valid UTF-8"),
    ("git: two actions", ["git-credential-truto", "get", "store"], b"", 2, "exactly one action"),
    (
        "helper: an unknown protocol",
        ["truto-credential-helper", "--protocol", "svn", "get"],
        b"",
        2,
        "unknown protocol",
    ),
    ("helper: an unknown option", ["truto-credential-helper", "--frobnicate", "get"], b"", 2, "unknown option"),
    ("docker: an unknown action", ["docker-credential-truto", "frobnicate"], b"", 1, "Unknown credential action"),
    ("docker: no action", ["docker-credential-truto"], b"", 1, "Usage: docker-credential-truto"),
    ("truto: an unknown command (argparse's SystemExit)", ["truto", "frobnicate"], b"", 2, "invalid choice"),
    (
        "truto: no profile",
        ["truto", "profiles", "use", "nobody"],
        b"",
        3,
        "no profile named '****' (6 characters)",
    ),  # the name not repeated
]


@pytest.mark.parametrize("argv, stdin, code, says", [row[1:] for row in FAILURES], ids=[row[0] for row in FAILURES])
def test_failures_are_one_line_and_an_exit_code(cli, argv, stdin, code, says):
    done = cli(*argv, stdin=stdin)
    assert done.returncode == code
    message = (done.stdout + done.stderr).decode()
    assert says in message and "Traceback" not in message


def test_an_unknown_git_action_is_ignored(cli):
    # git requires its helpers to ignore actions they do not know.
    assert cli("git-credential-truto", "frobnicate", stdin=REQUEST) == (0, b"", b"")


@pytest.mark.parametrize(
    "argv", [["truto", "--version"], ["git-credential-truto", "--version"], ["truto-credential-helper", "--version"]]
)
def test_versions(cli, argv):
    done = cli(*argv, stdin="")
    assert done.returncode == 0 and __version__ in done.stdout


def test_run_cli_restores_the_environment_and_streams(cli):
    import os
    import sys

    before = dict(os.environ), sys.stdin, sys.stdout, sys.stderr
    cli("git-credential-truto", "get", stdin=REQUEST, TRUTO_PROFILE="changed")
    cli("truto", "--version", stdin="")
    assert (dict(os.environ), sys.stdin, sys.stdout, sys.stderr) == before
