"""Every setting from the environment with a number or a fixed set of values goes through one
parser: garbage, empty, nan, inf, zero, negative or absurdly large is exit 2 with one line naming
the variable (never repeating the value: it may be a misplaced token), for every command that reads
it, and `truto doctor` gives the same verdict from the same parser."""

import fcntl
import json
import os

import pytest
from conftest import BIN

from .conftest import assert_clean_error, assert_no_secret, git_input, new_canary

CANARY = new_canary()  # garbage that is also a secret: must not be echoed
BAD_SECONDS = ["abc", "", " ", "nan", "NaN", "inf", "-inf", "Infinity", "0", "-1", "1e12", "10s", CANARY]
GOOD_SECONDS = ["2.5", "30", " 7 "]
BAD_DEBUG = ["", "yes", "true", "2", CANARY]
GOOD_DEBUG = ["0", "1"]


def consumers(url):
    """variable -> [(argv, stdin)] of commands that read it."""
    host = url.split("://")[1]
    get = (["git-credential-truto", "get"], git_input(protocol="http", host=host))
    return {
        "TRUTO_TIMEOUT": [
            (["truto", "whoami", "-p", "p"], None),
            (["truto", "doctor", "--online", "-o", "json"], None),
        ],
        "TRUTO_KEYRING_TIMEOUT": [
            get,
            (["docker-credential-truto", "get"], url),
            (["truto", "auth", "token", "-p", "p"], None),
        ],
        "TRUTO_LOCK_TIMEOUT": [
            (
                ["git-credential-truto", "store"],
                git_input(protocol="https", host="x.example", username="u", password="pw-123456"),
            ),
            (["truto", "profiles", "use", "p"], None),
        ],
        "TRUTO_DEBUG": [
            get,
            (["truto", "profiles", "list"], None),
            (["truto-credential-helper", "--protocol", "docker", "list"], ""),
        ],
    }


def doctor_verdict(run, env):
    p = run(BIN / "truto", "doctor", "-o", "json", env=env)
    return p, {
        c["message"].split(" ")[0].split("=")[0].split(":")[0]: c
        for c in json.loads(p.stdout)["checks"]
        if c["check"] == "environment"
    }


CASES = [
    (name, value) for name in ("TRUTO_TIMEOUT", "TRUTO_KEYRING_TIMEOUT", "TRUTO_LOCK_TIMEOUT") for value in BAD_SECONDS
]
CASES += [("TRUTO_DEBUG", value) for value in BAD_DEBUG]


# The canary is new each run: named by its role, so every xdist worker collects the same tests.
@pytest.mark.parametrize("name, value", CASES, ids=lambda v: "canary" if v == CANARY else None)
def test_bad_setting_is_a_usage_error_everywhere_and_doctor_agrees(run, env, canary_profile, name, value):
    e = dict(env, **{name: value})
    for argv, data in consumers(canary_profile.url)[name]:
        if argv[:2] == ["truto", "doctor"]:
            continue  # doctor reports, below
        p = run(BIN / argv[0], *argv[1:], input=data, env=e, timeout=30)
        where = "stdout" if argv[0] == "docker-credential-truto" or "docker" in argv else "stderr"
        line = assert_clean_error(p, code=1 if where == "stdout" else 2, where=where, mentions=[name])
        assert_no_secret(CANARY, p.stdout, p.stderr)
        if value.strip():
            assert f"={value}" not in line and f"'{value}'" not in line, line
    p, checks = doctor_verdict(run, e)
    assert p.returncode == 1, p.stdout
    assert checks[name]["status"] == "fail", checks[name]
    assert name in checks[name]["fix"], checks[name]
    assert_no_secret(CANARY, p.stdout, p.stderr)


@pytest.mark.parametrize(
    "name, value",
    [(n, v) for n in ("TRUTO_TIMEOUT", "TRUTO_KEYRING_TIMEOUT", "TRUTO_LOCK_TIMEOUT") for v in GOOD_SECONDS]
    + [("TRUTO_DEBUG", v) for v in GOOD_DEBUG],
)
def test_good_setting_works_everywhere_and_doctor_agrees(run, env, canary_profile, name, value):
    e = dict(env, **{name: value})
    for argv, data in consumers(canary_profile.url)[name]:
        p = run(BIN / argv[0], *argv[1:], input=data, env=e, timeout=60)
        assert p.returncode == 0, (argv, p.stdout, p.stderr)
    p, checks = doctor_verdict(run, e)
    assert checks[name]["status"] == "info", checks[name]
    if name != "TRUTO_DEBUG":
        assert f"{name}={float(value):g}" in checks[name]["message"]


def test_lock_timeout_inf_no_longer_waits_forever(run, env, canary_profile, config_dir):
    """With the lock held by someone else, inf used to wait forever; now it is refused at once, and a
    finite wait ends in a one-line error."""
    fd = os.open(config_dir / "config.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        for value, code in (("inf", 2), ("nan", 2), ("0.5", 1)):
            p = run(BIN / "truto", "profiles", "use", "p", env=dict(env, TRUTO_LOCK_TIMEOUT=value), timeout=30)
            assert_clean_error(p, code=code, mentions=["TRUTO_LOCK_TIMEOUT"] if code == 2 else ["lock"])
    finally:
        os.close(fd)
