"""The `get` fast path (secrets/secret_service.py) against keyring itself, differentially, on the real
gnome-keyring of the test session: under every keyring setting that changes where keyring reads or
writes, after writes and rewrites through keyring with and without the setting, the fast path gives
keyring.get_password's answer or steps aside (raises Unanswerable, so keyring answers).

Each write and read runs in a fresh process with the setting in its environment, as a user's shell
would have it: keyring reads its settings once per process (backend, properties, plugins).
"""

import json
import os
import sys
import textwrap

import pytest
from cli_support import login
from conftest import BIN, GOOD_TOKEN, OTHER_TOKEN

# One process = one write or one read. A read reports both answers: the fast path's first (it never
# imports keyring), then keyring's.
PROBE = textwrap.dedent("""
    import json, sys
    op, service, username = sys.argv[1:4]
    if op == "set":
        import keyring
        keyring.set_password(service, username, sys.argv[4])
        sys.exit(0)
    from truto_credential_helper.secrets import secret_service
    try:
        fast = {"answer": secret_service.get_password(service, username, 10)}
    except secret_service.Unanswerable as e:
        fast = {"declined": str(e)}
    import keyring
    try:
        slow = {"answer": keyring.get_password(service, username)}
    except Exception as e:
        slow = {"error": type(e).__name__}
    backend = type(keyring.get_keyring())
    print(json.dumps({"fast": fast, "keyring": slow, "backend": backend.__module__ + "." + backend.__name__}))
""")

# A keyring backend installed as a plugin the way keyrings.alt and others are: a distribution on
# sys.path whose entry_points.txt registers it in the `keyring.backends` group. Its priority beats
# the Secret Service (5) and the chainer (10), so keyring reads and writes only there.
PLUGIN_MODULE = textwrap.dedent("""
    import json, os
    from keyring.backend import KeyringBackend

    class FileKeyring(KeyringBackend):
        priority = 20

        def _load(self):
            try:
                with open(os.environ["TEST_PLUGIN_STORE"]) as f:
                    return json.load(f)
            except FileNotFoundError:
                return {}

        def get_password(self, service, username):
            return self._load().get(service + "\\0" + username)

        def set_password(self, service, username, password):
            data = self._load()
            data[service + "\\0" + username] = password
            with open(os.environ["TEST_PLUGIN_STORE"], "w") as f:
                json.dump(data, f)
""")


def install_plugin(directory):
    (directory / "truto_test_keyring_plugin.py").write_text(PLUGIN_MODULE)
    dist = directory / "truto_test_keyring_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: truto-test-keyring-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[keyring.backends]\nfile = truto_test_keyring_plugin\n")


def keyringrc(directory, backend="keyring.backends.SecretService.Keyring"):
    (directory / "python_keyring").mkdir(parents=True)
    (directory / "python_keyring" / "keyringrc.cfg").write_text(f"[backend]\ndefault-keyring={backend}\n")


SESSION_COLLECTION = "/org/freedesktop/secrets/collection/session"

# Each world: (environment changes, or a function of tmp_path returning them after laying files).
WORLDS = {
    "scheme-keepassxc": {"KEYRING_PROPERTY_SCHEME": "KeePassXC"},
    "scheme-in-a-longer-name": {"MY_KEYRING_PROPERTY_SCHEME": "KeePassXC"},  # keyring matches any name containing it
    "preferred-collection": {"KEYRING_PROPERTY_PREFERRED_COLLECTION": SESSION_COLLECTION},
    "appid": {"KEYRING_PROPERTY_APPID": "another application"},
    "backend-env-secretservice": {"PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring"},
    "kde-desktop": {"XDG_CURRENT_DESKTOP": "KDE"},
    "keyringrc-xdg": lambda tmp: (keyringrc(tmp / "xdg"), {"XDG_CONFIG_HOME": str(tmp / "xdg")})[1],
    "keyringrc-home-config": lambda tmp: (
        keyringrc(tmp / "home" / ".config"),
        {"XDG_CONFIG_HOME": "", "HOME": str(tmp / "home")},
    )[1],
    "plugin": lambda tmp: (install_plugin(tmp), {"PYTHONPATH": str(tmp), "TEST_PLUGIN_STORE": str(tmp / "store.json")})[
        1
    ],
}

# Which environment each write uses, in order: D = the defaults, W = the world's setting.
WRITES = "DWWDW"


def read(run, env, service, username):
    r = run(sys.executable, "-c", PROBE, "get", service, username, env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def write(run, env, service, username, value):
    r = run(sys.executable, "-c", PROBE, "set", service, username, value, env=env)
    assert r.returncode == 0, r.stderr


def assert_equivalent(outcome, context):
    fast, slow = outcome["fast"], outcome["keyring"]
    assert "declined" in fast or fast == slow, (context, outcome)
    return fast


@pytest.fixture
def probe_env(env, tmp_path):
    e = {k: v for k, v in env.items() if "KEYRING_PROPERTY_" not in k and k != "PYTHON_KEYRING_BACKEND"}
    e["XDG_CONFIG_HOME"] = str(tmp_path / "empty-config-home")  # no keyringrc.cfg unless a world lays one
    e["TEST_PLUGIN_STORE"] = str(tmp_path / "unused-store.json")
    return e


@pytest.mark.parametrize("world", sorted(WORLDS))
def test_fast_path_agrees_with_keyring_or_steps_aside(run, probe_env, tmp_path, world):
    setting = WORLDS[world]
    world_env = dict(probe_env, **(setting(tmp_path) if callable(setting) else setting))
    envs = {"D": probe_env, "W": world_env}
    service, username = f"truto:equivalence/{world}/{os.getpid()}", "default:apiToken"
    declined_in_world = []
    try:
        for n, which in enumerate(WRITES, 1):
            write(run, envs[which], service, username, f"value-{n}-written-{which}")
            for reader in "DW":
                outcome = read(run, envs[reader], service, username)
                fast = assert_equivalent(outcome, f"after write {n} ({which}), read with {reader}")
                if reader == "W":
                    declined_in_world.append("declined" in fast)
    finally:
        cleanup(run, envs, service, username)
    assert all(declined_in_world), "the fast path must step aside under this setting"


def test_fast_path_answers_with_the_defaults_after_rewrites(run, probe_env):
    """The control: with no setting, the fast path answers (and agrees) after every rewrite."""
    service, username = f"truto:equivalence/defaults/{os.getpid()}", "default:apiToken"
    try:
        for n in range(1, 4):
            write(run, probe_env, service, username, f"value-{n}")
            outcome = read(run, probe_env, service, username)
            assert outcome["fast"] == outcome["keyring"] == {"answer": f"value-{n}"}, outcome
    finally:
        cleanup(run, {"D": probe_env}, service, username)


def test_several_matching_items_make_the_fast_path_step_aside(run, probe_env):
    """Two items with the same service and user name (written under two application ids): keyring
    takes whichever its collection lists first, so the fast path does not guess."""
    service, username = f"truto:equivalence/duplicates/{os.getpid()}", "default:apiToken"
    other_app = dict(probe_env, KEYRING_PROPERTY_APPID="another application")
    try:
        write(run, probe_env, service, username, "from keyring's default application id")
        write(run, other_app, service, username, "from another application id")
        outcome = read(run, probe_env, service, username)
        assert outcome["fast"] == {"declined": "several items match in the default collection"}, outcome
        assert outcome["keyring"]["answer"] in ("from keyring's default application id", "from another application id")
    finally:
        cleanup(run, {"D": probe_env, "W": other_app}, service, username)


NO_DEFAULT_SESSION = textwrap.dedent("""
    set -e
    # A gnome-keyring that was never unlocked with a login password: it has no login collection, so
    # nothing answers to the `default` alias, only the in-memory `session` collection exists.
    gnome-keyring-daemon --start --components=secrets >/dev/null
    KEYRING_PROPERTY_PREFERRED_COLLECTION=/org/freedesktop/secrets/collection/session \\
        "$PYTHON" -c "$PROBE" set "$SERVICE" default:apiToken "kept in the session collection"
    "$PYTHON" -c "$PROBE" get "$SERVICE" default:apiToken
""")


def test_no_default_collection_makes_the_fast_path_step_aside(run, probe_env, tmp_path):
    """With no collection behind the `default` alias, keyring creates one (here: asks for a password
    with no display to ask on, and fails) and never reads the other collections; the fast path must
    not answer from them. A gnome-keyring of its own, on a D-Bus session of its own."""
    home = tmp_path / "fresh-home"
    home.mkdir()
    e = {k: v for k, v in probe_env.items() if not k.startswith(("DBUS_", "GNOME_KEYRING"))}
    e.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_RUNTIME_DIR=str(home),
        PYTHON=sys.executable,
        PROBE=PROBE,
        SERVICE="truto:equivalence/no-default",
    )
    r = run("dbus-run-session", "--", "bash", "-c", NO_DEFAULT_SESSION, env=e, timeout=120)
    assert r.returncode == 0, r.stderr
    outcome = json.loads(r.stdout.strip().splitlines()[-1])
    assert outcome["fast"] == {"declined": "there is no default collection"}, outcome
    assert outcome["keyring"] != {"answer": "kept in the session collection"}, outcome


CLEANUP = textwrap.dedent("""
    import sys, keyring, keyring.errors
    for _ in range(5):
        try:
            keyring.delete_password(sys.argv[1], sys.argv[2])
        except keyring.errors.PasswordDeleteError:
            break
""")


def cleanup(run, envs, service, username):
    for e in envs.values():
        run(sys.executable, "-c", CLEANUP, service, username, env=e)


# ---------------------------------------------------------------------------------------------
# End to end, through the installed console scripts


@pytest.mark.parametrize("world", ["scheme-keepassxc", "scheme-in-a-longer-name", "preferred-collection", "plugin"])
def test_login_twice_then_every_reader_returns_the_second_token(run, env, stub_api, config_dir, tmp_path, world):
    """Under a setting that moves keyring's items (KEYRING_PROPERTY_SCHEME=KeePassXC names the
    attributes Title/UserName), a second `truto login` replaces the token where keyring looks, and
    `git-credential-truto get` and `truto auth token` return the new one, never the token of an item
    under the default attribute names in the default collection."""
    setting = WORLDS[world]
    moved = dict(env, **(setting(tmp_path) if callable(setting) else setting))
    # An item where the fast path looks, as a login without the setting would have left it.
    service = f"truto:{config_dir}"
    write(run, env, service, "default:apiToken", "tok-stale-default-place-0000")
    try:
        login(run, stub_api, "default", GOOD_TOKEN, env=moved)
        login(run, stub_api, "default", OTHER_TOKEN, "-f", env=moved)
        host = stub_api.url.split("://", 1)[1]
        got = run(BIN / "git-credential-truto", "get", input=f"protocol=http\nhost={host}\n\n", env=moved)
        assert got.returncode == 0, got.stderr
        assert f"password={OTHER_TOKEN}" in got.stdout.splitlines(), got.stdout
        token = run(BIN / "truto", "auth", "token", env=moved)
        assert token.returncode == 0, token.stderr
        assert token.stdout == OTHER_TOKEN + "\n"
    finally:
        cleanup(run, {"D": env, "W": moved}, service, "default:apiToken")


# ---------------------------------------------------------------------------------------------
# What the fast path reads to decide (in-process: environment and files)


def test_empty_backend_variable_makes_the_fast_path_step_aside(monkeypatch, tmp_path):
    """PYTHON_KEYRING_BACKEND set but empty: keyring tries to load a backend named '' and fails, so
    the fast path must not answer in its place."""
    from truto_credential_helper.secrets import secret_service

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert secret_service.applies()
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "")
    assert not secret_service.applies()
    import keyring.core

    with pytest.raises(ValueError):
        keyring.core.load_env()


def dist_info(directory, name, entry_points):
    dist = directory / f"{name}-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "entry_points.txt").write_text(entry_points)


def test_plugin_detection_reads_entry_points_as_importlib_metadata_does(tmp_path):
    from importlib import metadata

    from truto_credential_helper.secrets import secret_service

    own = tmp_path / "own"
    dist_info(
        own,
        "keyring",
        "[console_scripts]\nkeyring = keyring.cli:main\n\n[keyring.backends]\n"
        "SecretService = keyring.backends.SecretService\nchainer = keyring.backends.chainer\n",
    )
    dist_info(own, "other", "[console_scripts]\nother = other:main\n# keyring.backends mentioned in a comment\n")

    def importlib_says(paths):  # what keyring's _load_plugins would find there
        return any(
            ep.module not in secret_service.KEYRING_OWN_BACKENDS
            for dist in metadata.distributions(path=paths)
            for ep in dist.entry_points
            if ep.group == "keyring.backends"
        )

    paths = [str(own), str(tmp_path / "missing")]
    assert secret_service.keyring_plugin_installed(paths) is importlib_says(paths) is False
    for value in ("keyrings.alt.file", "x.y:Backend", "keyring.backends.evil"):
        plugin = tmp_path / value
        dist_info(plugin, "plugin", f"[keyring.backends]\n  name = {value}\n")
        paths = [str(own), str(plugin)]
        assert secret_service.keyring_plugin_installed(paths) is importlib_says(paths) is True, value
    archive = tmp_path / "plugins.zip"
    archive.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    assert secret_service.keyring_plugin_installed([str(own), str(archive)])
