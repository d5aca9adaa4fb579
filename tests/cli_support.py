"""Support for the `truto` command's tests: log in through the installed console script."""

import json

from conftest import GOOD_TOKEN


def login(run, stub, name="default", token=GOOD_TOKEN, *extra, env=None):
    """`truto login --token T --api-url STUB --profile-name NAME [extra]`, asserted to succeed."""
    done = run("truto", "login", "--token", token, "--api-url", stub.url, "--profile-name", name, *extra, env=env)
    assert done.returncode == 0, done.stderr
    return done


def offline_login(run, name, token, *extra, env=None):
    """`truto login` of profile NAME with token T for the default API, without asking it
    (--no-verify, -f), asserted to succeed: a profile for tests that need no server."""
    done = run(
        "truto", "login", "--token", token, "--api-url", "https://api.truto.one", "--profile-name", name, "-f",
        "--no-verify", *extra, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


def as_json(done):
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def auth_headers(stub):
    """The Authorization header of every request the stub received, in order."""
    return [headers.get("Authorization") for _, _, headers in stub.state.requests]
