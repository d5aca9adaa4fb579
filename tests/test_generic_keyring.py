"""The generic keyring path: what macOS (keyring's Keychain backend) and every Linux without the
Secret Service fast path take. The installed console scripts run with keyrings.alt, a real keyring
plugin (installed by scripts/bootstrap in a directory of its own and put on these processes' path
only: in the venv itself it would turn the fast path off for every other test), as the backend:
login, whoami, git get/store/erase, docker get/list, logout. Each step is checked in the backend's
file through keyring's own API, and the Secret Service, where one runs, never sees an item.

Two worlds: a headless machine (no D-Bus: keyring picks keyrings.alt by priority, unconfigured),
and a desktop whose Secret Service runs but whose keyringrc.cfg names another backend."""

import json
import os
import sys
from pathlib import Path

import pytest
from conftest import GOOD_TOKEN
from git_server_support import not_available
from helper_support import secrets_of

PLUGIN_DIR = Path(sys.prefix) / "keyrings-alt"  # scripts/bootstrap installs it there
BACKEND = "keyrings.alt.file.PlaintextKeyring"
READ = """
import json, sys, keyring
backend = keyring.get_keyring()
print(json.dumps({"backend": type(backend).__module__ + "." + type(backend).__name__,
                  "secret": keyring.get_password(sys.argv[1], sys.argv[2])}))
"""


@pytest.fixture(params=["headless", "keyringrc"])
def alt_env(request, env, tmp_path):
    if not any(PLUGIN_DIR.glob("keyrings.alt-*.dist-info")):
        not_available(f"needs keyrings.alt in {PLUGIN_DIR}: run the tests through scripts/test (bootstrap installs it)")
    e = dict(env, PYTHONPATH=str(PLUGIN_DIR), XDG_DATA_HOME=str(tmp_path / "data"))
    e["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    if request.param == "headless":
        e.pop("DBUS_SESSION_BUS_ADDRESS", None)
    else:
        rc = tmp_path / "config" / "python_keyring" / "keyringrc.cfg"
        rc.parent.mkdir(parents=True)
        rc.write_text(f"[backend]\ndefault-keyring={BACKEND}\n")
    return e


def stored(run, env, config_dir, user):
    """What keyrings.alt holds for this config directory's item `user`, read by keyring itself."""
    done = run(sys.executable, "-c", READ, f"truto:{os.path.abspath(config_dir)}", user, env=env)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["backend"] == BACKEND, found
    return found["secret"]


def git_get(run, env, host):
    return run("git-credential-truto", "get", input=f"protocol=http\nhost={host}\n\n", env=env)


def test_every_command_works_through_a_generic_keyring_backend(run, alt_env, stub_api, config_dir):
    host = stub_api.url.split("://", 1)[1]
    login = run(
        "truto", "login", "--profile-name", "work", "--api-url", stub_api.url, "--token", GOOD_TOKEN, env=alt_env
    )
    assert login.returncode == 0, login.stderr
    assert stored(run, alt_env, config_dir, "work:apiToken") == GOOD_TOKEN

    whoami = run("truto", "whoami", env=alt_env)
    assert whoami.returncode == 0, whoami.stderr
    assert whoami.stdout.strip()

    got = git_get(run, alt_env, host)
    assert got.returncode == 0, got.stderr
    assert f"password={GOOD_TOKEN}\n" in got.stdout

    other = "127.0.0.1:9"  # another origin: git stores a new profile for it, then erases it
    store = run(
        "git-credential-truto",
        "store",
        input=f"protocol=http\nhost={other}\nusername=alice\npassword=pw-alice-1\n\n",
        env=alt_env,
    )
    assert store.returncode == 0, store.stderr
    assert "password=pw-alice-1\n" in git_get(run, alt_env, other).stdout
    erase = run("git-credential-truto", "erase", input=f"protocol=http\nhost={other}\nusername=alice\n\n", env=alt_env)
    assert erase.returncode == 0, erase.stderr
    assert "password=" not in git_get(run, alt_env, other).stdout

    docker = run("docker-credential-truto", "get", input=stub_api.url, env=alt_env)
    assert docker.returncode == 0, docker.stderr
    assert json.loads(docker.stdout)["Secret"] == GOOD_TOKEN
    listed = run("docker-credential-truto", "list", input="", env=alt_env)
    assert listed.returncode == 0, listed.stderr
    assert any(host in url for url in json.loads(listed.stdout)), listed.stdout

    logout = run("truto", "logout", "--profile", "work", "-f", env=alt_env)
    assert logout.returncode == 0, logout.stderr
    assert stored(run, alt_env, config_dir, "work:apiToken") is None
    assert "password=" not in git_get(run, alt_env, host).stdout
    assert secrets_of(config_dir) == {}  # the Secret Service (running beside) never saw an item
