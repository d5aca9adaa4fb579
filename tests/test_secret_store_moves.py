"""--secret-store everywhere a store is chosen, and moving a profile between the real keyring, the
file store and pass through the installed `truto`: nothing lost, even when a store fails or the
move is killed at a random point."""

import os
import random
import signal
import subprocess
import time

import pytest
from cli_support import login
from conftest import BIN, GOOD_TOKEN, OTHER_TOKEN, keyring_items
from pass_support import entry_files, gpg_key, pass_env  # noqa: F401
from test_pass_store import git_get

BYOK = "sk-ant-moving-5d2e"


@pytest.fixture
def keyring_profile(run, stub_api, pass_env):
    login(run, stub_api, "default", GOOD_TOKEN, env=pass_env)
    done = run("truto", "profiles", "set-key", "anthropic", BYOK, env=pass_env)
    assert done.returncode == 0, done.stderr
    return stub_api


def assert_readable(run, env, stub, store):
    """The profile answers git with its token and still has its BYOK key, from `store`."""
    got = git_get(run, env, stub)
    assert got.returncode == 0 and f"password={GOOD_TOKEN}\n" in got.stdout, got.stderr
    key = run("truto", "profiles", "get", "anthropic-api-key", "--reveal", env=env)
    assert key.returncode == 0 and key.stdout.strip() == BYOK, key.stderr
    kind = run("truto", "profiles", "get", "secret-store", env=env)
    assert kind.stdout.strip() == store


def test_profiles_set_secret_store_moves_keyring_to_pass(run, keyring_profile, pass_env, config_dir, read_config):
    done = run("truto", "profiles", "set", "secret-store", "pass", "-p", "default", env=pass_env)
    assert done.returncode == 0 and "Moved 2 secrets" in done.stderr + done.stdout, done.stderr
    assert read_config()["profiles"]["default"]["secrets"] == ["anthropicApiKey", "apiToken"]
    assert len(entry_files(pass_env["PASSWORD_STORE_DIR"])) == 2
    assert keyring_items(f"truto:{config_dir}") == []  # deleted from the old store, after the switch
    assert_readable(run, pass_env, keyring_profile, "pass")


def test_auth_migrate_to_moves_every_profile(run, keyring_profile, pass_env, config_dir, read_config):
    login(run, keyring_profile, "second", OTHER_TOKEN, "--secret-store", "pass", env=pass_env)
    done = run("truto", "auth", "migrate", "--to", "file", "-o", "json", env=pass_env)
    assert done.returncode == 0, done.stderr
    assert sorted(read_config()["profiles"][n]["secretStore"] for n in ("default", "second")) == ["file", "file"]
    assert entry_files(pass_env["PASSWORD_STORE_DIR"]) == [] and keyring_items(f"truto:{config_dir}") == []
    run("truto", "use", "default", env=pass_env)
    assert_readable(run, pass_env, keyring_profile, "file")
    # --insecure-storage stays the name of `file`; a second run has nothing left to move.
    again = run("truto", "auth", "migrate", "--insecure-storage", env=pass_env)
    assert again.returncode == 0 and "moved 0 secrets" in again.stderr, again.stderr


def test_set_key_with_a_store_moves_the_profile_there_first(run, keyring_profile, pass_env, config_dir):
    done = run("truto", "profiles", "set-key", "firecrawl", "fc-key-9", "--secret-store", "pass", env=pass_env)
    assert done.returncode == 0, done.stderr
    assert len(entry_files(pass_env["PASSWORD_STORE_DIR"])) == 3 and keyring_items(f"truto:{config_dir}") == []
    assert_readable(run, pass_env, keyring_profile, "pass")


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["login", "--token", GOOD_TOKEN, "--no-verify", "--insecure-storage", "--secret-store", "pass"],
            "--insecure-storage means",
        ),
        (["login", "--token", GOOD_TOKEN, "--no-verify", "--secret-store", "gopass"], "invalid choice"),
        (["profiles", "set", "secret-store", "gopass"], "unknown secret store 'gopass'"),
        (["profiles", "set", "secret-store", "vault"], "--vault-path"),
        (["auth", "migrate", "--to", "vault"], "--vault-path"),
        (["profiles", "unset", "secret-store"], "cannot be removed"),
    ],
)
def test_bad_store_choices_are_usage_errors(run, keyring_profile, pass_env, argv, message):
    done = run("truto", *argv, env=pass_env)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert_readable(run, pass_env, keyring_profile, "keyring")


def test_a_new_store_that_fails_leaves_the_profile_where_it_was(run, keyring_profile, pass_env, tmp_path):
    broken = dict(pass_env, PASSWORD_STORE_DIR=str(tmp_path / "not-initialised"))
    done = run("truto", "profiles", "set", "secret-store", "pass", env=broken)
    assert done.returncode == 6 and "not initialised" in done.stderr, done.stderr
    assert_readable(run, pass_env, keyring_profile, "keyring")


def test_an_old_store_that_fails_leaves_the_profile_where_it_was(run, keyring_profile, pass_env):
    assert run("truto", "profiles", "set", "secret-store", "pass", env=pass_env).returncode == 0
    no_pass = dict(pass_env, PATH=str(BIN))
    done = run("truto", "profiles", "set", "secret-store", "keyring", env=no_pass)
    assert done.returncode == 6 and "`pass` command is not installed" in done.stderr, done.stderr
    assert_readable(run, pass_env, keyring_profile, "pass")


def test_sigkill_at_random_points_of_a_move_loses_nothing(run, keyring_profile, pass_env):
    """Moves back and forth between the keyring and pass, each killed at a random point of its life
    (reading, writing the new store, switching config.json, deleting the old copies): afterwards the
    profile always reads its token and key, from whichever store config.json names."""
    rng = random.Random(os.environ.get("ADV_SEED") or None)
    spans = {}
    for target in ("pass", "keyring"):  # how long a move lives when left alone
        start = time.monotonic()
        done = run("truto", "profiles", "set", "secret-store", target, env=pass_env)
        assert done.returncode == 0, done.stderr
        spans[target] = time.monotonic() - start
    for k in range(10):
        current = run("truto", "profiles", "get", "secret-store", env=pass_env).stdout.strip()
        target = "pass" if current == "keyring" else "keyring"
        p = subprocess.Popen(
            [str(BIN / "truto"), "profiles", "set", "secret-store", target],
            env=pass_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.3, 1.1) * spans[target])
        p.send_signal(signal.SIGKILL)
        p.wait(60)
        now = run("truto", "profiles", "get", "secret-store", env=pass_env).stdout.strip()
        assert now in ("keyring", "pass")
        assert_readable(run, pass_env, keyring_profile, now)


def test_auth_migrate_to_with_a_profile_moves_only_that_one(run, keyring_profile, pass_env, read_config):
    login(run, keyring_profile, "second", OTHER_TOKEN, env=pass_env)
    done = run("truto", "auth", "migrate", "--to", "pass", "-p", "second", env=pass_env)
    assert done.returncode == 0, done.stderr
    profiles = read_config()["profiles"]
    assert (profiles["default"]["secretStore"], profiles["second"]["secretStore"]) == ("keyring", "pass")
    run("truto", "use", "default", env=pass_env)
    assert_readable(run, pass_env, keyring_profile, "keyring")


def test_a_standalone_cli_config_migrates_into_pass(run, stub_api, pass_env, config_dir, read_config):
    from test_migrate import ANTHROPIC, legacy_doc, write_legacy

    write_legacy(config_dir, legacy_doc(stub_api.url))
    done = run("truto", "auth", "migrate", "--to", "pass", env=pass_env)
    assert done.returncode == 0, done.stderr
    assert {p["secretStore"] for p in read_config()["profiles"].values()} == {"pass"}
    assert GOOD_TOKEN not in (config_dir / "config.json").read_text()
    assert len(entry_files(pass_env["PASSWORD_STORE_DIR"])) == 5
    got = git_get(run, pass_env, stub_api)
    assert got.returncode == 0 and f"password={GOOD_TOKEN}\n" in got.stdout, got.stderr
    key = run("truto", "profiles", "get", "anthropic-api-key", "--reveal", env=pass_env)
    assert key.stdout.strip() == ANTHROPIC
