"""config.json and the secret stores as the `truto` command uses them: modes from creation, atomic
locked writes, clear schema errors that leave the file alone, concurrent processes, and the paths
without a usable keyring (none, hung, --insecure-storage)."""

import json
import os
import stat
import subprocess
import threading

import pytest
from cli_support import login
from conftest import BIN, GOOD_TOKEN, files_containing, keyring_items


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_modes_are_private_from_creation_even_with_umask_0(env, stub_api, config_dir, tmp_path):
    seen = {}
    stop = threading.Event()

    def watch():  # records the widest mode ever observed for each entry while truto writes
        while not stop.is_set():
            try:
                entries = [config_dir] + [config_dir / n for n in os.listdir(config_dir)]
            except FileNotFoundError:
                continue
            for p in entries:
                try:
                    seen[p.name] = seen.get(p.name, 0) | mode(p)
                except FileNotFoundError:
                    pass

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for i in range(5):
            argv = [
                str(BIN / "truto"),
                "login",
                "--token",
                GOOD_TOKEN,
                "--api-url",
                stub_api.url,
                "--profile-name",
                f"p{i}",
            ]
            if i % 2:
                argv.append("--insecure-storage")
            done = subprocess.run(argv, env=env, capture_output=True, text=True, preexec_fn=lambda: os.umask(0))
            assert done.returncode == 0, done.stderr
    finally:
        stop.set()
        watcher.join()
    assert mode(config_dir) == 0o700
    for name in ("config.json", "credentials.json"):
        assert mode(config_dir / name) == 0o600
    assert seen[config_dir.name] == 0o700
    assert all(m & 0o077 == 0 for n, m in seen.items() if n != config_dir.name), seen


INVALID = [
    ('{"profiles": {"x": {"apiUrl": 5, "secretStore": "keyring"}}}', "$.profiles.x.apiUrl"),
    ('{"profiles": {"x": {"apiUrl": "https://a.example", "secretStore": "gopass"}}}', "$.profiles.x.secretStore"),
    ('{"profiles": {"bad name": {"apiUrl": "https://a.example", "secretStore": "keyring"}}}', "$.profiles"),
    ('{"profiles": {}, "token": "leaked-in-config-123"}', "$"),
    ('{"profiles": [}', "line 1 column 15"),
    ("", "empty"),
]


@pytest.mark.parametrize("text,where", INVALID)
def test_invalid_config_names_file_and_path_and_is_left_untouched(run, stub_api, config_dir, text, where):
    config_dir.mkdir(mode=0o700)
    path = config_dir / "config.json"
    path.write_text(text)
    path.chmod(0o600)
    for argv in (
        ["profiles", "list"],
        ["login", "--token", GOOD_TOKEN, "--api-url", stub_api.url],
        ["profiles", "use", "x"],
        ["logout", "-f", "-p", "x"],
    ):
        done = run("truto", *argv)
        assert done.returncode != 0, argv
        assert str(path) in done.stderr and where in done.stderr, done.stderr
        assert "Traceback" not in done.stderr and "leaked-in-config" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
        assert path.read_text() == text
    assert keyring_items(f"truto:{config_dir}") == []


def test_concurrent_truto_processes_keep_each_others_profiles(env, stub_api, read_config, config_dir):
    names = [f"team-{i}" for i in range(8)]
    procs = [
        subprocess.Popen(
            [str(BIN / "truto"), "login", "--token", GOOD_TOKEN, "--api-url", stub_api.url, "--profile-name", n, "-q"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in names
    ]
    # Readers meanwhile must never see a half-written file (the write is atomic).
    readers = []
    for _ in range(6):
        readers.append(
            subprocess.run(
                [str(BIN / "truto"), "profiles", "list", "-o", "json"], env=env, capture_output=True, text=True
            )
        )
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read()
    for r in readers:
        assert r.returncode == 0, r.stderr
        json.loads(r.stdout)
    assert sorted(read_config()["profiles"]) == names
    assert sorted(u for _, u, _ in keyring_items(f"truto:{config_dir}")) == sorted(f"{n}:apiToken" for n in names)


def test_tokens_live_in_the_keyring_and_in_no_file(run, stub_api, config_dir, env):
    login(run, stub_api, "work")
    run("truto", "profiles", "set-key", "firecrawl", "fc-secret-in-keyring-01")
    items = keyring_items(f"truto:{config_dir}")
    assert {(u, s) for _, u, s in items} == {
        ("work:apiToken", GOOD_TOKEN),
        ("work:firecrawlApiKey", "fc-secret-in-keyring-01"),
    }
    for root in (config_dir, env["HOME"]):
        assert files_containing(root, GOOD_TOKEN) == []
        assert files_containing(root, "fc-secret-in-keyring-01") == []


def test_no_dbus_session_fails_with_exit_6_naming_both_ways_on(run, stub_api, no_dbus_env, config_dir):
    done = run("truto", "login", "--token", GOOD_TOKEN, "--api-url", stub_api.url, env=no_dbus_env)
    assert done.returncode == 6
    assert "TRUTO_API_TOKEN" in done.stderr and "--insecure-storage" in done.stderr
    assert GOOD_TOKEN not in done.stderr and "Traceback" not in done.stderr
    assert (
        not (config_dir / "config.json").exists()
        or json.loads((config_dir / "config.json").read_text())["profiles"] == {}
    )
    assert files_containing(config_dir.parent, GOOD_TOKEN) == []


@pytest.mark.parametrize("argv", [["login", "--token", GOOD_TOKEN], ["whoami"]])
def test_hung_keyring_ends_within_truto_keyring_timeout_with_exit_6(run, stub_api, env, silent_dbus, config_dir, argv):
    if argv == ["whoami"]:
        login(run, stub_api)  # a stored profile, so whoami has to read the keyring
    e = dict(env, DBUS_SESSION_BUS_ADDRESS=silent_dbus, TRUTO_KEYRING_TIMEOUT="1")
    # The subprocess timeout only detects a hang: the bound itself is TRUTO_KEYRING_TIMEOUT.
    done = run("truto", *argv, "--api-url", stub_api.url, env=e, timeout=30)
    assert done.returncode == 6, done.stderr
    assert "did not answer within 1 s" in done.stderr and "TRUTO_API_TOKEN" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_insecure_storage_writes_credentials_json_0600_with_a_warning(
    run, stub_api, no_dbus_env, config_dir, read_config
):
    done = run(
        "truto", "login", "--token", GOOD_TOKEN, "--api-url", stub_api.url, "--insecure-storage", env=no_dbus_env
    )
    assert done.returncode == 0, done.stderr
    assert "warning" in done.stderr and "plaintext" in done.stderr
    creds = config_dir / "credentials.json"
    assert mode(creds) == 0o600
    assert json.loads(creds.read_text())["profiles"]["default"]["apiToken"] == GOOD_TOKEN
    assert read_config()["profiles"]["default"]["secretStore"] == "file"
    assert GOOD_TOKEN not in (config_dir / "config.json").read_text()
    # Reads go straight to the remembered store: works with no D-Bus session at all.
    who = run("truto", "whoami", "-o", "json", env=no_dbus_env)
    assert who.returncode == 0 and json.loads(who.stdout)["secretLocation"]["path"].endswith("credentials.json")
    # Logging back in without the flag moves the profile to the keyring and out of the file.
    login(run, stub_api)
    assert not creds.exists()
    assert [(u, s) for _, u, s in keyring_items(f"truto:{config_dir}")] == [("default:apiToken", GOOD_TOKEN)]
