"""The in-process tier (scripts/test --quick): pure rules and the entry points called as
functions, over the in-memory secret store. Needs no D-Bus, keyring daemon, server or installed
console script, so it runs in seconds on every Python the package supports.

Every test here gets a private config directory and HOME, no TRUTO_* variable from the developer's
shell, and the in-memory store in the OS keyring's place; a keyring left reachable by mistake
would fail loudly (the `fail` backend, no D-Bus address) rather than touch a real one.
"""

import pytest
from env_support import TRUTO_VARS
from inprocess_support import run_cli

from truto_credential_helper.secrets import memory, os_keyring


@pytest.fixture(autouse=True)
def hermetic(tmp_path, monkeypatch):
    """A private HOME and config directory; the in-memory store in the keyring's place."""
    for name in TRUTO_VARS + ("DBUS_SESSION_BUS_ADDRESS",):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TRUTO_CONFIG_DIR", str(tmp_path / "truto-config"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setattr(os_keyring, "KeyringStore", memory.MemoryStore)
    yield
    memory.forget_all()
    os_keyring.forget_silence()


@pytest.fixture
def config_dir(tmp_path):
    return tmp_path / "truto-config"


@pytest.fixture
def stored_secrets(config_dir):
    """What the (in-memory) keyring holds for the test's config directory: {(profile, field): secret}."""
    return lambda: memory.MemoryStore(str(config_dir)).items()


@pytest.fixture
def cli():
    """cli(*argv, stdin=b"", env=None, **extra_env): run_cli with the test's environment plus extra_env."""
    import os

    def _cli(*argv, stdin=b"", env=None, **extra_env):
        environment = dict(os.environ if env is None else env)
        environment.update(extra_env)
        return run_cli(argv, env=environment, stdin=stdin)

    return _cli
