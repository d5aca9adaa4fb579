"""`truto auth token`: the resolved token and a newline, nothing else, by the same resolution order
as every command (--token > TRUTO_API_TOKEN > the selected profile's stored token)."""

import json

from cli_support import login
from conftest import GOOD_TOKEN, OTHER_TOKEN


def test_prints_exactly_the_stored_token(run, stub_api):
    login(run, stub_api, "work")
    done = run("truto", "auth", "token")
    assert (done.returncode, done.stdout, done.stderr) == (0, GOOD_TOKEN + "\n", "")


def test_resolution_order(run, env, stub_api):
    login(run, stub_api, "one", GOOD_TOKEN)
    login(run, stub_api, "two", OTHER_TOKEN)  # now active
    assert run("truto", "auth", "token").stdout == OTHER_TOKEN + "\n"
    assert run("truto", "auth", "token", "-p", "one").stdout == GOOD_TOKEN + "\n"
    assert run("truto", "auth", "token", env=dict(env, TRUTO_PROFILE="one")).stdout == GOOD_TOKEN + "\n"
    with_env = dict(env, TRUTO_API_TOKEN="tok-from-env-1234")
    assert run("truto", "auth", "token", "-p", "one", env=with_env).stdout == "tok-from-env-1234\n"
    assert run("truto", "auth", "token", "--token", "tok-flag-5678", env=with_env).stdout == "tok-flag-5678\n"


def test_not_logged_in_prints_nothing_on_stdout(run):
    done = run("truto", "auth", "token")
    assert done.returncode == 3 and done.stdout == ""
    assert "truto login" in done.stderr


def test_ci_token_without_any_keyring(run, no_dbus_env):
    done = run("truto", "auth", "token", env=dict(no_dbus_env, TRUTO_API_TOKEN="tok-ci-0000"))
    assert (done.returncode, done.stdout) == (0, "tok-ci-0000\n")


def test_json_output(run, stub_api):
    login(run, stub_api)
    done = run("truto", "auth", "token", "-o", "json")
    assert done.returncode == 0 and json.loads(done.stdout) == {"token": GOOD_TOKEN}
