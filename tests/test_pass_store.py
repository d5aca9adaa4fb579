"""The `pass` secret store against Debian's real pass and gpg (a throwaway key, pass_support.py): the
conformance suite, where its entries live, and the installed console scripts with a pass profile,
working and failing (each failure one line, exit 6, no secret)."""

import os
import subprocess
import sys

import pytest
from cli_support import as_json, login
from conftest import BIN, GOOD_TOKEN, keyring_items
from pass_support import entry_files, gpg, gpg_key, new_gpg_home, pass_env, pass_here, pass_init, stop_agent  # noqa: F401
from secret_store_conformance import SecretStoreConformance

from truto_credential_helper.errors import EXIT_SECRET_STORE
from truto_credential_helper.secrets.pass_store import PassStore, namespace, path_component

GIT_GET = "protocol={protocol}\nhost={host}\n\n"


@pytest.mark.usefixtures("pass_here")
class TestPassStore(SecretStoreConformance):
    STORE = PassStore

    def test_entries_live_under_truto_and_the_config_dirs_namespace(self, store, tmp_path, pass_here):
        store.set("default", "apiToken", "in-pass")
        ns = namespace(str(tmp_path / "a"))
        assert entry_files(pass_here["PASSWORD_STORE_DIR"]) == [f"truto/{ns}/default/apiToken"]

    def test_an_entry_reads_as_pass_shows_it(self, store, tmp_path, pass_here):
        # What truto writes, `pass show` prints as any pass entry (a newline after the secret), and an
        # entry a user inserted by hand with pass reads back as the secret alone.
        store.set("default", "apiToken", "written-by-truto")
        name = f"truto/{namespace(str(tmp_path / 'a'))}/default/apiToken"
        shown = subprocess.run(["pass", "show", name], env=pass_here, capture_output=True, text=True)
        assert shown.stdout == "written-by-truto\n"
        subprocess.run(
            ["pass", "insert", "-e", "-f", name],
            input="typed-by-hand\n",
            env=pass_here,
            text=True,
            capture_output=True,
            check=True,
        )
        assert store.get("default", "apiToken") == "typed-by-hand"

    def test_the_secret_never_reaches_argv(self, store, monkeypatch):
        import subprocess as sp

        seen = []
        real = sp.Popen

        def spy(argv, *a, **kw):
            seen.append(list(argv))
            return real(argv, *a, **kw)

        monkeypatch.setattr(sp, "Popen", spy)
        store.set("default", "apiToken", "never-in-argv-7c1")
        assert seen and not any("never-in-argv-7c1" in arg for argv in seen for arg in argv)


@pytest.mark.parametrize("name", ["..", "../x", ".", "-rf", "a/b", "", "x.gpg/..", "=abc", "Prod"])
def test_no_name_climbs_out_or_starts_an_option(name):
    component = path_component(name)
    assert "/" not in component and component not in (".", "..") and not component.startswith("-")
    assert component and component == component.lower()


def test_names_differing_only_in_case_get_different_entries():
    names = ["prod", "Prod", "PROD", "=prod", "a.b", "A.b"]
    assert len({path_component(n) for n in names}) == len(names)


# ---------------------------------------------------------------------------------------------
# The installed console scripts with a pass profile


@pytest.fixture
def pass_profile(run, stub_api, pass_env, config_dir):
    login(run, stub_api, "default", GOOD_TOKEN, "--secret-store", "pass", env=pass_env)
    return stub_api


def git_request(stub):
    protocol, rest = stub.url.split("://", 1)
    return GIT_GET.format(protocol=protocol, host=rest.split("/", 1)[0])


def git_get(run, env, stub):
    return run(BIN / "git-credential-truto", "get", input=git_request(stub), env=env)


def test_login_keeps_the_token_in_pass_only(run, pass_profile, pass_env, read_config, config_dir):
    profile = read_config()["profiles"]["default"]
    assert profile["secretStore"] == "pass" and profile["secrets"] == ["apiToken"]
    ns = namespace(str(config_dir))
    assert entry_files(pass_env["PASSWORD_STORE_DIR"]) == [f"truto/{ns}/default/apiToken"]
    assert keyring_items(f"truto:{config_dir}") == []
    assert not (config_dir / "credentials.json").exists()
    assert not any(GOOD_TOKEN.encode() in p.read_bytes() for p in config_dir.iterdir() if p.is_file())


def test_git_helper_whoami_and_logout(run, pass_profile, pass_env):
    got = git_get(run, pass_env, pass_profile)
    assert got.returncode == 0 and f"password={GOOD_TOKEN}\n" in got.stdout, got.stderr

    who = as_json(run("truto", "whoami", "-o", "json", env=pass_env))
    assert who["secretStore"] == "pass" and who["secretLocation"]["entry"].endswith("/apiToken")
    assert who["teamName"]
    text = run("truto", "whoami", env=pass_env)
    assert text.returncode == 0 and "Secret store: pass" in " ".join(text.stdout.split())

    listed = as_json(run("truto", "profiles", "list", "-o", "json", env=pass_env))
    assert [(p["name"], p["secretStore"]) for p in listed] == [("default", "pass")]

    out = run("truto", "logout", "-f", env=pass_env)
    assert out.returncode == 0, out.stderr
    assert entry_files(pass_env["PASSWORD_STORE_DIR"]) == []


def test_a_store_kept_in_git_gets_a_commit_per_change(run, stub_api, pass_env, config_dir):
    env = dict(
        pass_env,
        GIT_AUTHOR_NAME="T",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="T",
        GIT_COMMITTER_EMAIL="t@example.invalid",
    )
    assert run("pass", "git", "init", env=env).returncode == 0
    login(run, stub_api, "default", GOOD_TOKEN, "--secret-store", "pass", env=env)
    assert run("truto", "logout", "-f", env=env).returncode == 0
    entry = f"truto/{namespace(str(config_dir))}/default/apiToken"
    log = run("git", "-C", env["PASSWORD_STORE_DIR"], "log", "--format=%s", env=env).stdout.splitlines()
    assert log[:2] == [f"Remove {entry} from store.", f"Add given password for {entry} to store."]


def test_password_store_key_stands_for_an_initialised_store(run, stub_api, pass_env, gpg_key, tmp_path):
    # pass encrypts to PASSWORD_STORE_KEY when it is set, with or without a .gpg-id.
    env = dict(pass_env, PASSWORD_STORE_DIR=str(tmp_path / "keyed"), PASSWORD_STORE_KEY=gpg_key[1])
    login(run, stub_api, "default", GOOD_TOKEN, "--secret-store", "pass", env=env)
    got = git_get(run, env, stub_api)
    assert got.returncode == 0 and f"password={GOOD_TOKEN}" in got.stdout, got.stderr


def test_byok_keys_go_to_pass_too(run, pass_profile, pass_env, config_dir):
    done = run("truto", "profiles", "set-key", "anthropic", "-", input="sk-ant-in-pass-123\n", env=pass_env)
    assert done.returncode == 0, done.stderr
    ns = namespace(str(config_dir))
    assert f"truto/{ns}/default/anthropicApiKey" in entry_files(pass_env["PASSWORD_STORE_DIR"])
    shown = run("truto", "profiles", "get", "anthropic-api-key", "--reveal", env=pass_env)
    assert shown.stdout.strip() == "sk-ant-in-pass-123"


def test_doctor_shows_each_profiles_store_and_checks_pass(run, pass_profile, pass_env):
    doc = run("truto", "doctor", "-o", "json", env=pass_env)
    rows = __import__("json").loads(doc.stdout)["checks"]
    assert {"profile": "default", "secretStore": "pass"}.items() <= next(
        r for r in rows if r["check"] == "secret store"
    ).items()
    passes = [r for r in rows if r["check"] == "pass"]
    assert [r["status"] for r in passes] == ["ok"], passes


# ---------------------------------------------------------------------------------------------
# Failures: one line, exit 6, no secret, no traceback


def assert_one_line_exit_6(done, *words):
    assert done.returncode == EXIT_SECRET_STORE, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr and GOOD_TOKEN not in done.stderr + done.stdout
    for word in words:
        assert word in lines[0], lines[0]


def test_no_pass_on_path(run, pass_profile, pass_env):
    env = dict(pass_env, PATH=str(BIN))  # the console scripts, and no pass
    assert_one_line_exit_6(git_get(run, env, pass_profile), "`pass` command is not installed")
    assert_one_line_exit_6(run("truto", "whoami", env=env), "`pass` command is not installed")
    done = run(
        "truto",
        "login",
        "--token",
        GOOD_TOKEN,
        "--api-url",
        pass_profile.url,
        "--profile-name",
        "other",
        "--secret-store",
        "pass",
        "--no-verify",
        env=env,
    )
    assert_one_line_exit_6(done, "`pass` command is not installed")
    doc = run("truto", "doctor", "-o", "json", env=env)
    assert doc.returncode == 1 and "`pass` command is not installed" in doc.stdout


def test_uninitialised_store(run, stub_api, pass_env, tmp_path):
    env = dict(pass_env, PASSWORD_STORE_DIR=str(tmp_path / "never-initialised"))
    done = run(
        "truto",
        "login",
        "--token",
        GOOD_TOKEN,
        "--api-url",
        stub_api.url,
        "--secret-store",
        "pass",
        "--no-verify",
        env=env,
    )
    assert_one_line_exit_6(done, "is not initialised", "pass init")
    assert not (tmp_path / "truto-config" / "config.json").exists()  # nothing saved

    # A profile whose store is gone (another PASSWORD_STORE_DIR) fails; it does not look logged out.
    login(run, stub_api, "default", GOOD_TOKEN, "--secret-store", "pass", env=pass_env)
    assert_one_line_exit_6(git_get(run, env, stub_api), "is not initialised")


@pytest.fixture
def own_key(tmp_path):
    """A key of this test's own, which it may damage."""
    home, fingerprint = new_gpg_home(tmp_path)
    yield home, fingerprint
    stop_agent(home)


def test_gpg_without_the_secret_key(run, stub_api, env, tmp_path, own_key):
    home, fingerprint = own_key
    env = dict(env, GNUPGHOME=str(home), PASSWORD_STORE_DIR=str(tmp_path / "store"))
    pass_init(env, fingerprint)
    login(run, stub_api, "default", GOOD_TOKEN, "--secret-store", "pass", env=env)
    gpg(home, "--yes", "--delete-secret-keys", fingerprint)
    assert_one_line_exit_6(git_get(run, env, stub_api), "pass failed to read a secret", "decryption failed")
    assert_one_line_exit_6(run("truto", "whoami", env=env), "pass failed to read a secret")
    doc = run("truto", "doctor", "-o", "json", env=env)
    assert doc.returncode == 1 and f"GPG has no secret key for {fingerprint}" in doc.stdout

    gpg(home, "--yes", "--delete-keys", fingerprint)  # now not even a key to encrypt to
    done = run("truto", "profiles", "set-key", "firecrawl", "fc-key-1234", env=env)
    assert_one_line_exit_6(done, "pass failed to save a secret")
    assert "fc-key-1234" not in done.stderr


def test_a_key_that_needs_a_passphrase_fails_instead_of_prompting(run, stub_api, env, tmp_path):
    # The helper has no terminal for pinentry: gpg cannot decrypt, and git gets one line, not a hang.
    home, fingerprint = new_gpg_home(tmp_path, passphrase="typed-by-nobody")
    try:
        env = dict(env, GNUPGHOME=str(home), PASSWORD_STORE_DIR=str(tmp_path / "store"), TRUTO_KEYRING_TIMEOUT="20")
        for headless in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS"):  # no desktop to prompt on
            env.pop(headless, None)
        pass_init(env, fingerprint)
        login(run, stub_api, "default", GOOD_TOKEN, "--secret-store", "pass", env=env)  # encrypting needs no passphrase
        stop_agent(home)  # forget any passphrase the key generation left in the agent
        assert_one_line_exit_6(git_get(run, env, stub_api), "pass")
    finally:
        stop_agent(home)


def test_a_pass_that_never_answers_is_bounded(run, pass_profile, pass_env, tmp_path):
    # Stands for gpg waiting on a pinentry nobody sees: the pass it runs does not return.
    fake = tmp_path / "hung-bin"
    fake.mkdir()
    (fake / "pass").write_text('#!/bin/sh\nsleep 300 &\necho $! > "$PID_FILE"\nwait\n')  # as pass runs gpg
    (fake / "pass").chmod(0o755)
    pid_file = tmp_path / "pid"
    env = dict(
        pass_env, PATH=f"{fake}{os.pathsep}{pass_env['PATH']}", TRUTO_KEYRING_TIMEOUT="1", PID_FILE=str(pid_file)
    )
    assert_one_line_exit_6(git_get(run, env, pass_profile), "did not answer within 1 s")
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):  # the child it started was ended too, not left behind
        for _ in range(100):
            os.kill(pid, 0)
            __import__("time").sleep(0.05)


# ---------------------------------------------------------------------------------------------
# The get path: subprocess only here, nothing else heavy


def test_get_from_pass_imports_only_subprocess(run, pass_profile, pass_env, tmp_path):
    from test_lean_get import PROBE, heavy_in

    out = tmp_path / "modules.txt"
    r = run(
        sys.executable,
        "-c",
        PROBE,
        out,
        BIN / "git-credential-truto",
        "get",
        input=git_request(pass_profile),
        env=pass_env,
    )
    assert r.returncode == 0 and f"password={GOOD_TOKEN}" in r.stdout, r.stderr
    modules = set(out.read_text().split("\n"))
    assert "truto_credential_helper.secrets.pass_store" in modules
    # Running pass needs subprocess (and a thread for the timeout), and the entries' namespace a
    # SHA-256 (hashlib): what they bring themselves is allowed, nothing else the lean list names.
    brought = subprocess.run(
        [sys.executable, "-I", "-c", "import subprocess, threading, hashlib, sys; print(*sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "subprocess" in heavy_in(modules)
    assert [m for m in heavy_in(modules) if m not in brought] == []


def test_auth_status_shows_the_pass_store_and_whether_it_can_serve(run, pass_profile, pass_env, tmp_path):
    import json

    done = run("truto", "auth", "status", "-o", "json", env=pass_env)
    record = json.loads(done.stdout)["profiles"][0]
    assert (record["secretStore"], record["secretStoreAvailable"]) == ("pass", True), done.stdout
    gone = dict(pass_env, PASSWORD_STORE_DIR=str(tmp_path / "elsewhere"))
    done = run("truto", "auth", "status", env=gone)
    assert (
        done.returncode == 1
        and "secret store (pass) is unavailable" in done.stdout
        and "not initialised" in done.stdout
    )


def test_on_a_machine_with_pass_and_no_keyring_git_and_docker_logins_go_to_pass(
    run, stub_api, pass_env, config_dir, read_config
):
    """A server or container with GPG but no Secret Service: after `truto login --secret-store pass`,
    what git approves and docker logs in with for other origins is kept in pass too, not refused for
    want of a keyring."""
    no_keyring = {k: v for k, v in pass_env.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    login(run, stub_api, "default", GOOD_TOKEN, "--secret-store", "pass", env=no_keyring)
    approve = "protocol=https\nhost=git.example\nusername=alice\npassword=git-secret-8d1f\n\n"
    stored = run(BIN / "git-credential-truto", "store", input=approve, env=no_keyring)
    assert stored.returncode == 0, stored.stderr
    docker_login = '{"ServerURL": "registry.example", "Username": "robot", "Secret": "docker-secret-3c7a"}'
    stored = run(BIN / "docker-credential-truto", "store", input=docker_login, env=no_keyring)
    assert stored.returncode == 0, stored.stderr

    profiles = read_config()["profiles"]
    assert {name: p["secretStore"] for name, p in profiles.items()} == {
        "default": "pass",
        "alice": "pass",
        "robot": "pass",
    }
    got = run(BIN / "git-credential-truto", "get", input="protocol=https\nhost=git.example\n\n", env=no_keyring)
    assert "password=git-secret-8d1f\n" in got.stdout, got.stderr
    got = run(BIN / "docker-credential-truto", "get", input="registry.example", env=no_keyring)
    assert '"Secret": "docker-secret-3c7a"' in got.stdout, got.stderr

    erased = run(BIN / "git-credential-truto", "erase", input=approve, env=no_keyring)
    assert erased.returncode == 0, erased.stderr
    ns = namespace(str(config_dir))
    assert f"truto/{ns}/alice/apiToken" not in entry_files(pass_env["PASSWORD_STORE_DIR"])
    assert f"truto/{ns}/robot/apiToken" in entry_files(pass_env["PASSWORD_STORE_DIR"])


def test_a_store_another_user_controls_is_refused(run, pass_profile, pass_env, config_dir, tmp_path):
    """Whoever can write in the store can swap .gpg-id for a key they hold (the next login encrypts
    to it) or replace an entry: the config directory's ownership and mode rule refuses it first."""
    root = tmp_path / "password-store"
    entry = root / f"truto/{namespace(str(config_dir))}/default/apiToken.gpg"
    gpg_id = root / ".gpg-id"

    gpg_id.chmod(0o622)  # a .gpg-id others could have swapped: no login encrypts to it
    done = run(
        "truto", "login", "--token", GOOD_TOKEN, "--api-url", pass_profile.url, "--profile-name", "other",
        "--secret-store", "pass", "--no-verify", env=pass_env,
    )  # fmt: skip
    assert_one_line_exit_6(done, f"{gpg_id}: is writable by other users", f"chmod go-w {gpg_id}")
    assert entry_files(root) == [f"truto/{namespace(str(config_dir))}/default/apiToken"]
    gpg_id.chmod(0o600)

    entry.chmod(0o660)  # an entry the group could have replaced is not read
    assert_one_line_exit_6(run("truto", "auth", "token", env=pass_env), f"{entry}: is writable by other users")
    entry.chmod(0o600)

    root.chmod(0o733)  # a store directory others can write in
    assert_one_line_exit_6(git_get(run, pass_env, pass_profile), f"{root}: is writable by other users")
    doc = run("truto", "doctor", "-o", "json", env=pass_env)
    rows = [r for r in __import__("json").loads(doc.stdout)["checks"] if r["check"] == "pass"]
    assert [r["status"] for r in rows] == ["fail"] and str(root) in rows[0]["message"], rows
    root.chmod(0o700)

    if os.geteuid() == 0:  # a store another uid owns (root can hand it over)
        os.chown(gpg_id, 65534, 65534)
        assert_one_line_exit_6(git_get(run, pass_env, pass_profile), f"{gpg_id}: is owned by uid 65534", "chown")
        os.chown(gpg_id, 0, 0)
    assert git_get(run, pass_env, pass_profile).returncode == 0
