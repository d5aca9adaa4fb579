"""Shared fixtures. The suite runs inside scripts/keyring-session (a private D-Bus session with an
unlocked gnome-keyring and a temporary HOME) and drives the console scripts installed in the venv,
so every test exercises what a user gets from `pip install .`.
"""

import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from env_support import TRUTO_VARS as ENV_VARS

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin: truto, truto-credential-helper, git-/docker-credential-truto

TRUTO_VARS = ENV_VARS + ("PYTHON_KEYRING_BACKEND",)  # plus: tests choose the keyring backend themselves


def pytest_configure(config):
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        pytest.exit("run the tests through scripts/test (they need the private keyring session)", 2)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        # Workers share the keyring session, not a HOME: what one test lays there (a keyringrc,
        # a git or docker config) stays out of the tests running beside it.
        home = Path(os.environ["HOME"]) / f"worker-{worker}"
        for name, sub in (
            ("HOME", ""),
            ("XDG_CONFIG_HOME", ".config"),
            ("XDG_CACHE_HOME", ".cache"),
            ("XDG_DATA_HOME", ".local/share"),
        ):
            (home / sub).mkdir(parents=True, exist_ok=True)
            os.environ[name] = str(home / sub)
    for name in ("truto", "truto-credential-helper", "git-credential-truto", "docker-credential-truto"):
        if not (BIN / name).exists():
            pytest.exit(f"{BIN / name} is missing: run the tests through scripts/test (it installs the package)", 2)


def load_script_module(name):
    """Import a module from scripts/ (stub_api.py) without making scripts/ a package."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


stub_api_module = load_script_module("stub_api")


@pytest.fixture
def config_dir(tmp_path):
    return tmp_path / "truto-config"


@pytest.fixture
def env(config_dir, tmp_path):
    """Environment for a console script: our venv first on PATH, a private config dir, no TRUTO_* leaking in."""
    e = {k: v for k, v in os.environ.items() if k not in TRUTO_VARS}
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    e["TRUTO_CONFIG_DIR"] = str(config_dir)
    e["GIT_CONFIG_NOSYSTEM"] = "1"
    e["GIT_TERMINAL_PROMPT"] = "0"
    e["DOCKER_CONFIG"] = str(tmp_path / "docker-config")
    # podman's and buildah's own auth file (setup-docker writes it too): the test's, never the session's
    e["REGISTRY_AUTH_FILE"] = str(tmp_path / "containers-auth.json")
    return e


@pytest.fixture
def private_keyring_session(env, monkeypatch, tmp_path):
    """A keyring session of the test's own (its own D-Bus bus and unlocked gnome-keyring, as
    scripts/keyring-session makes them), for a test that changes the session's state, such as
    locking its collection, which tests running beside it must not see. Set up before the fixtures
    that copy the environment: this test's `env`, and os.environ for in-process calls, name it."""
    import signal

    session = subprocess.Popen(
        [str(ROOT / "scripts" / "keyring-session"), "bash", "-c", 'echo "$DBUS_SESSION_BUS_ADDRESS"; exec sleep 3600'],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=dict(os.environ, TMPDIR=str(tmp_path)),
    )
    address = session.stdout.readline().strip()
    assert address, "scripts/keyring-session did not start"
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    yield address
    os.killpg(session.pid, signal.SIGTERM)
    session.wait(30)
    session.stdout.close()


@pytest.fixture
def no_dbus_env(env):
    """The same, with no D-Bus session at all (a CI container or a headless server)."""
    e = dict(env)
    e.pop("DBUS_SESSION_BUS_ADDRESS", None)
    return e


@pytest.fixture
def run(env):
    """run(*argv, input=None, env=None, timeout=60) -> CompletedProcess; text unless input is bytes."""
    default_env = env

    def _run(*argv, input=None, env=None, timeout=60, **kw):
        return subprocess.run(
            [str(a) for a in argv],
            input=input,
            env=default_env if env is None else env,
            capture_output=True,
            text=not isinstance(input, bytes),
            timeout=timeout,
            **kw,
        )

    return _run


@pytest.fixture
def silent_dbus():
    """A D-Bus address whose peer accepts every connection and never says a word (a hung bus)."""
    directory = tempfile.mkdtemp(prefix="truto-silent-bus.")  # short path: sun_path is 108 bytes
    path = os.path.join(directory, "bus")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"unix:path={path}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()
    os.unlink(path)
    os.rmdir(directory)


GOOD_TOKEN = "tok-good-4f9c2e71d8a4b6"
OTHER_TOKEN = "tok-other-9a1b7c3d2e5f"


@pytest.fixture
def stub_api():
    server = stub_api_module.make_server([GOOD_TOKEN, OTHER_TOKEN])
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def read_config(config_dir):
    def _read():
        with open(config_dir / "config.json", encoding="utf-8") as f:
            return json.load(f)

    return _read


def keyring_items(service_prefix="truto"):
    """Every item in the private Secret Service whose keyring service starts with service_prefix:
    [(service, username, secret)], read over D-Bus with secretstorage, independent of our code.
    A test config directory's own service ('truto:/...') is looked up by attribute, not by a scan."""
    import secretstorage

    conn = secretstorage.dbus_init()
    try:
        collection = secretstorage.get_default_collection(conn)
        collection.unlock()
        if service_prefix.startswith("truto:"):
            candidates = collection.search_items({"service": service_prefix})
        else:
            candidates = collection.get_all_items()
        found = []
        for item in candidates:
            attrs = item.get_attributes()
            if attrs.get("service", "").startswith(service_prefix):
                found.append((attrs["service"], attrs.get("username"), item.get_secret().decode()))
        return found
    finally:
        conn.close()


def files_containing(root, needle):
    """Paths under root whose bytes contain needle: a secret must be in none of them."""
    hits = []
    for dirpath, _, names in os.walk(root):
        for n in names:
            p = os.path.join(dirpath, n)
            try:
                with open(p, "rb") as f:
                    if needle.encode() in f.read():
                        hits.append(p)
            except OSError:
                pass
    return hits
