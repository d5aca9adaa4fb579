"""The real `pass` with a throwaway GPG key: one key per test session in its own GNUPGHOME (ed25519,
no passphrase: generated in well under a second), and a password store per test in its tmp_path.
Import the fixtures into a test module: `from pass_support import gpg_key, pass_env, ...`."""

import os
import subprocess

import pytest


def gpg(home, *args, check=True):
    return subprocess.run(
        ["gpg", "--batch", "--homedir", str(home), *args],
        capture_output=True,
        text=True,
        check=check,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


def new_gpg_home(root, passphrase=""):
    """(GNUPGHOME, fingerprint) of a fresh key (without passphrase unless given), under `root` (kept
    short: the agent's socket path must fit in 108 bytes)."""
    home = root / "gnupg"
    home.mkdir(mode=0o700)
    gpg(
        home,
        "--pinentry-mode",
        "loopback",
        "--passphrase",
        passphrase,
        "--quick-gen-key",
        "Truto Test <t@example.invalid>",
        "future-default",
        "default",
        "never",
    )
    listing = gpg(home, "--list-secret-keys", "--with-colons").stdout
    fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    return home, fingerprint


def stop_agent(home):
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], capture_output=True, timeout=30)


@pytest.fixture(scope="session")
def gpg_key(tmp_path_factory):
    home, fingerprint = new_gpg_home(tmp_path_factory.mktemp("g"))
    yield home, fingerprint
    stop_agent(home)


def pass_init(env, key):
    r = subprocess.run(["pass", "init", key], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


@pytest.fixture
def pass_env(env, tmp_path, gpg_key):
    """The console scripts' environment with an initialised password store of this test's own."""
    home, fingerprint = gpg_key
    e = dict(env, GNUPGHOME=str(home), PASSWORD_STORE_DIR=str(tmp_path / "password-store"))
    pass_init(e, fingerprint)
    return e


@pytest.fixture
def pass_here(monkeypatch, pass_env):
    """The same store for code running in this process (the conformance suite)."""
    for name in ("GNUPGHOME", "PASSWORD_STORE_DIR"):
        monkeypatch.setenv(name, pass_env[name])
    return pass_env


def entry_files(store_dir):
    """The entries in a password store, as pass names them (relative path without .gpg)."""
    found = []
    for dirpath, _, names in os.walk(store_dir):
        for n in names:
            if n.endswith(".gpg"):
                found.append(os.path.relpath(os.path.join(dirpath, n), store_dir)[:-4])
    return sorted(found)
