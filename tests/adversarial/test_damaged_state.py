"""3. Damaged state: every way config.json can be broken gives a one-line error naming the file and
the problem, a non-zero exit, no traceback, and leaves the file exactly as it was, for the `truto`
commands and for the helpers' get alike."""

import json
import os
import shutil
import subprocess

import pytest
from cli_support import offline_login
from conftest import BIN

from .conftest import IS_ROOT, assert_clean_error, git_input

GOOD = {
    "version": 1,
    "activeProfile": "default",
    "profiles": {"default": {"apiUrl": "https://api.truto.one", "secretStore": "keyring", "secrets": []}},
}
GOOD_BYTES = (json.dumps(GOOD, indent=2) + "\n").encode()

DAMAGE = {
    # name: (bytes written as config.json, words the error must contain)
    "truncated": (GOOD_BYTES[: len(GOOD_BYTES) // 2], ["not valid JSON"]),
    "not-json": (b"profiles: [default]\n", ["not valid JSON"]),
    "binary": (b"\x00\xff\xfe\x80garbage", ["UTF-8"]),
    "schema-invalid": (
        json.dumps({"profiles": {"default": {"apiUrl": 42, "secretStore": "keyring"}}}).encode(),
        ["apiUrl"],
    ),
    "schema-wrong-top": (b"[1, 2, 3]", ["type"]),
    "inline-secret-unknown-key": (
        json.dumps(
            {"profiles": {"default": {"apiUrl": "https://api.truto.one", "secretStore": "keyring", "password": "x"}}}
        ).encode(),
        ["password"],
    ),
    "empty": (b"", ["empty"]),
    "whitespace": (b"  \n\t\n", ["empty"]),
}

# Commands that read config.json; each must fail cleanly on a damaged one. (argv, input, error on)
COMMANDS = {
    "profiles-list": (["truto", "profiles", "list"], None, "stderr"),
    "profiles-list-json": (["truto", "profiles", "list", "-o", "json"], None, "stderr"),
    "whoami": (["truto", "whoami"], None, "stderr"),
    "login": (
        [
            "truto",
            "login",
            "--token",
            "tok-x",
            "--api-url",
            "https://api.truto.one",
            "--profile-name",
            "new",
            "-f",
            "--no-verify",
        ],
        None,
        "stderr",
    ),
    "profiles-set": (["truto", "profiles", "set", "api-url", "https://other.truto.one"], None, "stderr"),
    "logout": (["truto", "logout", "-f"], None, "stderr"),
    "git-get": (["git-credential-truto", "get"], git_input(protocol="https", host="api.truto.one"), "stderr"),
    "git-store": (
        ["git-credential-truto", "store"],
        git_input(protocol="https", host="x.example", username="u", password="p"),
        "stderr",
    ),
    "docker-get": (["docker-credential-truto", "get"], "https://api.truto.one", "stdout"),
    "docker-list": (["docker-credential-truto", "list"], "", "stdout"),
}


def snapshot(path):
    """What is at path, precisely: kind, bytes or link target, mode."""
    if os.path.islink(path):
        return ("link", os.readlink(path))
    if os.path.isdir(path):
        return ("dir", sorted(os.listdir(path)), os.stat(path).st_mode)
    with open(path, "rb") as f:
        return ("file", f.read(), os.stat(path).st_mode)


def run_cmd(run, env, name):
    argv, data, where = COMMANDS[name]
    return run(BIN / argv[0], *argv[1:], input=data, env=env), where


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_config_fails_cleanly(run, env, config_dir, damage, command):
    data, words = DAMAGE[damage]
    config_dir.mkdir(mode=0o700)
    path = config_dir / "config.json"
    path.write_bytes(data)
    os.chmod(path, 0o600)
    before = snapshot(path)
    proc, where = run_cmd(run, env, command)
    line = assert_clean_error(proc, where=where, mentions=[str(path)] + words)
    assert before == snapshot(path), "the damaged file was changed"
    assert proc.returncode in (1, 2) or command.startswith("docker"), (proc.returncode, line)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_config_that_is_a_directory(run, env, config_dir, command):
    config_dir.mkdir(mode=0o700)
    path = config_dir / "config.json"
    path.mkdir()
    (path / "keep").write_text("x")
    before = snapshot(path)
    proc, where = run_cmd(run, env, command)
    assert_clean_error(proc, where=where, mentions=[str(path), "directory"])
    assert before == snapshot(path)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_config_that_is_a_dangling_symlink(run, env, config_dir, tmp_path, command):
    config_dir.mkdir(mode=0o700)
    path = config_dir / "config.json"
    os.symlink(tmp_path / "nowhere" / "config.json", path)
    before = snapshot(path)
    proc, where = run_cmd(run, env, command)
    assert_clean_error(proc, where=where, mentions=[str(path), "symlink"])
    assert before == snapshot(path)
    assert not (tmp_path / "nowhere").exists(), "a write followed the dangling link"


def drop_file_override_capabilities():
    """preexec_fn: take CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH out of the bounding set, so the
    root process about to be exec'd obeys permission bits like any user (prctl PR_CAPBSET_DROP)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.mark.parametrize("command", ["profiles-list", "whoami", "login", "git-get", "git-store", "docker-get"])
def test_unreadable_config(run, env, config_dir, command):
    """config.json mode 000. Permission bits do not stop root, so as root the command runs without
    the capabilities that bypass them (the situation any other user is in)."""
    config_dir.mkdir(mode=0o700)
    path = config_dir / "config.json"
    path.write_bytes(GOOD_BYTES)
    os.chmod(path, 0)
    kw = {"preexec_fn": drop_file_override_capabilities} if IS_ROOT else {}
    before = snapshot(path)
    argv, data, where = COMMANDS[command]
    proc = subprocess.run(
        [str(BIN / argv[0]), *argv[1:]], input=data, env=env, capture_output=True, text=True, timeout=60, **kw
    )
    assert_clean_error(proc, where=where, mentions=[str(path), "permission"])
    assert before == snapshot(path)


def test_damaged_credentials_json_fails_cleanly(run, env, config_dir, read_config):
    """The plaintext store (--insecure-storage) damaged: same rules."""
    offline_login(run, "plain", "tok-insecure-123456", "--insecure-storage")
    creds = config_dir / "credentials.json"
    for data in (b"{", b"", b'{"profiles": {"plain": {"apiToken": 5}}}', b"[]"):
        creds.write_bytes(data)
        before = snapshot(creds)
        for argv, inp in (
            (["git-credential-truto", "get"], git_input(protocol="https", host="api.truto.one")),
            (["truto", "whoami", "-p", "plain"], None),
        ):
            proc = run(BIN / argv[0], *argv[1:], input=inp)
            assert_clean_error(proc, mentions=[str(creds)])
        assert snapshot(creds) == before


def test_broken_state_then_repair_works(run, env, config_dir):
    """After the error, doing what it says (delete the file) gets the user going again."""
    config_dir.mkdir(mode=0o700)
    (config_dir / "config.json").write_bytes(b"{not json")
    proc = run(BIN / "truto", "profiles", "list")
    assert proc.returncode != 0 and "delete" in proc.stderr.lower()
    os.unlink(config_dir / "config.json")
    proc = run(
        BIN / "truto",
        "login",
        "--token",
        "tok-x-123456789",
        "--api-url",
        "https://api.truto.one",
        "--profile-name",
        "p",
        "-f",
        "--no-verify",
    )
    assert proc.returncode == 0, proc.stderr
    shutil.rmtree(config_dir)
