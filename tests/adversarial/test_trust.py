"""Files another user controls are never trusted: config.json, credentials.json, the validation
cache, the lock and the config directory must be ours and writable by nobody else, on every read.
Otherwise one line naming the path and the fix, exit 1, and the token goes nowhere.

Run as root here: "another user" is uid 65534 (os.chown) or a group/world write bit."""

import json
import os
import stat

import pytest
from conftest import BIN

from .conftest import IS_ROOT, assert_clean_error, assert_no_secret, git_input, login, new_canary

OTHER_UID = 65534

needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root to hand a file to another uid")


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def attacker(hostile):
    """A loopback server that records every request: where a trusting helper would send the token."""
    from . import hostile as h

    return hostile(h.team())


@pytest.fixture
def victim(run, env, config_dir, canary_api, canary):
    """A profile 'work' for the real API (the stub), its token in the keyring."""
    login(run, env, "work", canary, canary_api.url, "--no-verify")
    return canary


def point_at(config_dir, url):
    """What the attacker writes: the same profile, its apiUrl now their server."""
    path = config_dir / "config.json"
    doc = json.loads(path.read_text())
    doc["profiles"]["work"]["apiUrl"] = url
    return json.dumps(doc)


def commands(attacker_url):
    host = attacker_url.split("://", 1)[1]
    return {
        "whoami": ([BIN / "truto", "whoami", "-p", "work"], None),
        "git-get": ([BIN / "git-credential-truto", "get"], git_input(protocol="http", host=host)),
        "docker-get": ([BIN / "docker-credential-truto", "get"], attacker_url),
    }


def assert_refused(proc, secret, attacker, path, fix_words, where="stderr"):
    line = assert_clean_error(proc, code=1, where=where, mentions=[str(path)] + list(fix_words))
    assert_no_secret(secret, proc.stdout, proc.stderr)
    assert attacker.requests == [], "the token was sent to the attacker's server"
    return line


# --- the attack from the report: a replaceable config.json pointing the profile elsewhere


TAMPERINGS = {
    # name: (how, what the error names, words of its fix)
    "config world-writable": ("file-mode", 0o666, "config.json", ("chmod 600",)),
    "config group-writable": ("file-mode", 0o664, "config.json", ("chmod 600",)),
    "config replaced by another uid": ("file-owner", 0o644, "config.json", ("chown",)),
    "directory world-writable": ("dir-mode", 0o777, "", ("chmod go-w",)),
    "directory group-writable": ("dir-mode", 0o770, "", ("chmod go-w",)),
    "directory sticky and world-writable": ("dir-mode", 0o1777, "", ("TRUTO_CONFIG_DIR",)),
    "directory setgid and group-writable": ("dir-mode", 0o2775, "", ("TRUTO_CONFIG_DIR",)),
}


@pytest.mark.parametrize("command", ["whoami", "git-get", "docker-get"])
@pytest.mark.parametrize("tampering", sorted(TAMPERINGS))
def test_tampered_config_never_sends_the_token(run, config_dir, victim, attacker, tampering, command):
    how, bits, name, fix = TAMPERINGS[tampering]
    if how == "file-owner" and not IS_ROOT:
        pytest.skip("needs root to hand a file to another uid")
    path = config_dir / "config.json"
    path.write_text(point_at(config_dir, attacker.url))
    if how == "file-mode":
        os.chmod(path, bits)
    elif how == "file-owner":
        os.chown(path, OTHER_UID, OTHER_UID)
        os.chmod(path, bits)
    else:
        os.chmod(config_dir, bits)
    argv, data = commands(attacker.url)[command]
    p = run(*argv, input=data)
    named = config_dir / name if name else config_dir
    assert_refused(p, victim, attacker, named, fix, where="stdout" if command == "docker-get" else "stderr")
    if how == "dir-mode":
        assert mode(config_dir) == bits, "a directory we refuse is never re-moded"


@needs_root
@pytest.mark.parametrize("bits", [0o600, 0o666], ids=oct)
def test_credentials_json_of_another_user_is_refused(run, env, config_dir, canary_api, attacker, bits):
    secret = new_canary()
    login(run, env, "work", secret, canary_api.url, "--no-verify", "--insecure-storage")
    creds = config_dir / "credentials.json"
    os.chown(creds, OTHER_UID, OTHER_UID)
    os.chmod(creds, bits)
    for argv, data in commands(canary_api.url).values():
        p = run(*argv, input=data)
        # docker answers its errors on stdout, as docker's own helpers do
        where = "stdout" if "docker" in str(argv[0]) else "stderr"
        assert_refused(p, secret, attacker, creds, ("chown",), where=where)
    assert canary_api.state.requests == []


def test_writable_credentials_json_is_refused(run, env, config_dir, canary_api, attacker):
    secret = new_canary()
    login(run, env, "work", secret, canary_api.url, "--no-verify", "--insecure-storage")
    creds = config_dir / "credentials.json"
    os.chmod(creds, 0o622)
    p = run(BIN / "truto", "whoami", "-p", "work")
    assert_refused(p, secret, attacker, creds, ("chmod 600",))
    assert canary_api.state.requests == []


def hand_over(path, owner, writable_mode):
    """Give path to another uid, or make it writable by others."""
    assert path.exists()
    if owner == "another uid":
        if not IS_ROOT:
            pytest.skip("needs root to hand a file to another uid")
        os.chown(path, OTHER_UID, OTHER_UID)
    else:
        os.chmod(path, writable_mode)


@pytest.mark.parametrize("owner", ["another uid", "group-writable"])
def test_a_validation_cache_another_user_controls_is_refused(run, config_dir, victim, attacker, owner):
    """Another user's cache could vouch for a config.json the schema refuses."""
    run(BIN / "truto", "profiles", "list")  # the cache exists
    cache = config_dir / ".config.json.valid"
    hand_over(cache, owner, 0o664)
    p = run(BIN / "git-credential-truto", "get", input=git_input(protocol="http", host=attacker.url.split("://")[1]))
    assert_refused(p, victim, attacker, cache, ())


@pytest.mark.parametrize("owner", ["another uid", "world-writable"])
def test_a_lock_another_user_controls_is_refused(run, config_dir, victim, attacker, owner):
    lock = config_dir / "config.lock"
    hand_over(lock, owner, 0o666)
    before = (config_dir / "config.json").read_bytes()
    p = run(
        BIN / "git-credential-truto",
        "store",
        input=git_input(protocol="https", host="x.example", username="u", password="pw-lock-0123456789"),
    )
    assert_clean_error(p, code=1, mentions=[str(lock)])
    assert (config_dir / "config.json").read_bytes() == before


# --- a directory the user named and shares on purpose keeps its bits


@pytest.mark.parametrize("bits", [0o750, 0o2750, 0o2710], ids=oct)
def test_a_shared_directory_the_user_named_is_never_re_moded(run, env, config_dir, canary_api, bits):
    config_dir.mkdir()
    os.chmod(config_dir, bits)
    login(run, env, "work", new_canary(), canary_api.url, "--no-verify", "--insecure-storage")
    p = run(BIN / "truto", "profiles", "set", "default-integrated-account", "acct-1", "-p", "work")
    assert p.returncode == 0, p.stderr
    assert mode(config_dir) == bits
    for name in os.listdir(config_dir):
        assert mode(config_dir / name) & 0o077 == 0, (name, oct(mode(config_dir / name)))
    listed = run(BIN / "truto", "profiles", "list")
    assert listed.returncode == 0 and "work" in listed.stdout, listed.stderr


@pytest.mark.parametrize("bits", [0o1777, 0o2775, 0o777], ids=oct)
def test_a_directory_others_can_write_is_refused_before_anything_is_written(run, env, config_dir, canary_api, bits):
    config_dir.mkdir()
    os.chmod(config_dir, bits)
    p = run(
        BIN / "truto",
        "login",
        "--token",
        new_canary(),
        "--api-url",
        canary_api.url,
        "--profile-name",
        "work",
        "-f",
        "--no-verify",
    )
    assert_clean_error(p, code=1, mentions=[str(config_dir)])
    assert os.listdir(config_dir) == []
    assert mode(config_dir) == bits


def test_doctor_online_never_sends_the_token_from_a_tampered_config(run, config_dir, victim, attacker):
    path = config_dir / "config.json"
    path.write_text(point_at(config_dir, attacker.url))
    os.chmod(path, 0o666)
    p = run(BIN / "truto", "doctor", "--online")
    assert p.returncode == 1
    assert "writable by other users" in p.stdout
    assert_no_secret(victim, p.stdout, p.stderr)
    assert attacker.requests == [], "doctor --online sent the token to the server a tampered config names"
