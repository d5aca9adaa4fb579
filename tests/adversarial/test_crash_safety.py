"""2. Crash safety: writers killed with SIGKILL at random points leave config.json either the old
or the new version, always valid, never without an unrelated profile; a lock left by a killed
process never blocks the next one."""

import fcntl
import json
import os
import random
import signal
import subprocess
import time

import pytest
from conftest import BIN

from .conftest import HERE, assert_valid_config, git_input, new_canary


@pytest.fixture(autouse=True)
def own_keyring(private_keyring_session):
    """A keyring session per test: a client killed in the middle of a call sends gnome-keyring down
    its error paths, which the tests running beside this one must not share."""


UNRELATED = [f"keep{i}" for i in range(4)]
LOOPS = 36  # 12 per kind of writer


def popen(argv, env, data=None):
    p = subprocess.Popen(
        [str(a) for a in argv], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    if data is not None:
        p.stdin.write(data.encode())
    p.stdin.close()
    return p


def writer(kind, k, env):
    """(argv, stdin, profile it changes, the change as (key, new value)) for writer `kind`, round k."""
    url = f"https://t{k}.example"
    if kind == "store":
        return (
            [BIN / "git-credential-truto", "store"],
            git_input(protocol="https", host=f"t{k}.example", username=f"s{k}", password=new_canary()),
            f"s{k}",
        )
    if kind == "login":
        return (
            [
                BIN / "truto",
                "login",
                "--token",
                new_canary(),
                "--api-url",
                url,
                "--profile-name",
                "target",
                "-f",
                "--no-verify",
            ],
            None,
            "target",
        )
    return ([BIN / "truto", "profiles", "set", "api-url", url, "-p", "target"], None, "target")


def duration(argv, data, env):
    start = time.monotonic()
    p = popen(argv, env, data)
    p.wait(120)
    assert p.returncode == 0, p.stderr.read()
    return time.monotonic() - start


@pytest.fixture
def populated(run, config_dir):
    for name in UNRELATED + ["target"]:
        p = run(
            BIN / "truto",
            "login",
            "--token",
            new_canary(),
            "--api-url",
            f"https://{name}.example",
            "--profile-name",
            name,
            "-f",
            "--no-verify",
        )
        assert p.returncode == 0, p.stderr
    with open(config_dir / "config.json") as f:
        return json.load(f)


def test_sigkill_at_random_points_leaves_old_or_new(run, env, config_dir, populated):
    rng = random.Random(os.environ.get("ADV_SEED") or None)
    path = config_dir / "config.json"
    kinds = ["store", "login", "set"]
    # How long each writer lives when left alone, so kills land anywhere in its life, writes included.
    spans = {kind: duration(*writer(kind, 1000 + i, env)[:2], env) for i, kind in enumerate(kinds)}
    env = dict(env, TRUTO_LOCK_TIMEOUT="20")
    outcomes = {"old": 0, "new": 0}
    for k in range(LOOPS):
        kind = kinds[k % 3]
        with open(path, "rb") as f:
            old_bytes = f.read()
        old = json.loads(old_bytes)
        argv, data, changed = writer(kind, k, env)
        p = popen(argv, env, data)
        time.sleep(rng.uniform(0.2, 1.15) * spans[kind])
        p.send_signal(signal.SIGKILL)
        p.wait(60)

        doc = assert_valid_config(path)
        for name in UNRELATED:
            assert doc["profiles"].get(name) == old["profiles"][name], f"round {k} ({kind}): {name} was lost or changed"
        others_old = {n: v for n, v in old["profiles"].items() if n != changed}
        others_new = {n: v for n, v in doc["profiles"].items() if n != changed}
        assert others_new == others_old, f"round {k} ({kind}) changed a profile it was not writing"
        if doc == old:
            outcomes["old"] += 1
        else:
            outcomes["new"] += 1
            assert doc["profiles"][changed]["apiUrl"] == f"https://t{k}.example", (
                f"round {k} ({kind}): neither old nor new"
            )
        if k % 6 == 5:
            # The kill may have hit a lock holder: the next writer still gets through.
            p = run(
                BIN / "truto", "profiles", "set", "default-integrated-account", f"acct-{k}", "-p", "target", env=env
            )
            assert p.returncode == 0, p.stderr
    print("kill outcomes", outcomes)
    # Whatever point the kills hit, no keyring item is left that no profile names.
    assert orphan_items(config_dir) == []
    row = doctor_orphan_row(run)
    assert row["status"] == "ok", row


def orphan_items(config_dir):
    """Keyring items of this config's service that no profile of config.json names (read
    independently of our code: secretstorage and the file itself)."""
    from conftest import keyring_items

    doc = assert_valid_config(config_dir / "config.json")
    named = {f"{name}:{field}" for name, p in doc["profiles"].items() for field in p.get("secrets", ())}
    service = f"truto:{config_dir}"
    return sorted(u for s, u, _ in keyring_items(service) if s == service and u not in named)


def doctor_orphan_row(run, env=None):
    p = run(BIN / "truto", "doctor", "-o", "json", env=env)
    rows = [c for c in json.loads(p.stdout)["checks"] if c["check"] == "orphan secrets"]
    assert len(rows) == 1, rows
    return rows[0]


STALLING = {
    # kind: (argv, stdin, the profile it writes, the URL it writes)
    "login-new": (
        [
            BIN / "truto",
            "login",
            "--token",
            "tok-stall-new-0123456789",
            "--api-url",
            "https://fresh.example",
            "--profile-name",
            "fresh",
            "-f",
            "--no-verify",
        ],
        None,
        "fresh",
        "https://fresh.example",
    ),
    "login-elsewhere": (
        [
            BIN / "truto",
            "login",
            "--token",
            "tok-stall-moved-0123456789",
            "--api-url",
            "https://moved.example",
            "--profile-name",
            "target",
            "-f",
            "--no-verify",
        ],
        None,
        "target",
        "https://moved.example",
    ),
    "git-store": (
        [BIN / "git-credential-truto", "store"],
        git_input(protocol="https", host="new.example", username="newu", password="pw-stall-0123456789"),
        "newu",
        "https://new.example",
    ),
}


@pytest.mark.parametrize("stall", ["before", "after"])
@pytest.mark.parametrize("kind", sorted(STALLING))
def test_a_writer_killed_at_its_keyring_write_leaves_no_orphan(run, env, config_dir, populated, tmp_path, kind, stall):
    """SIGKILL exactly while the secret is being saved (before or after the item is written): no
    item is left that no profile names, and no secret answers for an origin it was not saved for."""
    from conftest import keyring_items

    service = f"truto:{config_dir}"
    old_tokens = {u: secret for s, u, secret in keyring_items(service) if s == service}
    argv, data, name, url = STALLING[kind]
    mark = tmp_path / "stalled"
    stalling = dict(
        env,
        PYTHONPATH=str(HERE / "backends"),
        PYTHON_KEYRING_BACKEND="adv_keyring.StallsOnSave",
        ADV_STALL=stall,
        ADV_STALL_MARK=str(mark),
        TRUTO_KEYRING_TIMEOUT="300",
    )
    p = popen(argv, stalling, data)
    deadline = time.monotonic() + 60
    while not mark.exists():
        assert p.poll() is None, p.stderr.read()
        assert time.monotonic() < deadline, "the writer never reached its keyring write"
        time.sleep(0.05)
    p.kill()
    p.wait(30)

    assert orphan_items(config_dir) == []
    row = doctor_orphan_row(run)
    assert row["status"] == "ok", row
    doc = assert_valid_config(config_dir / "config.json")
    for other in UNRELATED:
        assert doc["profiles"][other] == populated["profiles"][other]
    # The new URL never gets the profile's old token; the old URL never gets the new one.
    host = url.split("://", 1)[1]
    got = run(BIN / "git-credential-truto", "get", input=git_input(protocol="https", host=host))
    assert got.returncode == 0, got.stderr
    for old in old_tokens.values():
        assert f"password={old}" not in got.stdout
    if kind == "login-elsewhere":
        got = run(BIN / "git-credential-truto", "get", input=git_input(protocol="https", host="target.example"))
        assert "tok-stall-moved" not in got.stdout


@pytest.fixture
def hanging_keyring_env(env):
    e = dict(env)
    e["PYTHONPATH"] = str(HERE / "backends")
    e["PYTHON_KEYRING_BACKEND"] = "adv_keyring.Hanging"
    e["TRUTO_KEYRING_TIMEOUT"] = "300"
    return e


def lock_is_held(config_dir):
    try:
        fd = os.open(config_dir / "config.lock", os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


@pytest.mark.parametrize("kind", ["store", "login"])
def test_a_killed_lock_holder_does_not_block_the_next(run, env, config_dir, populated, hanging_keyring_env, kind):
    """A writer stuck in the keyring while holding the config lock is killed; the next one proceeds."""
    if kind == "store":
        argv, data = (
            [BIN / "git-credential-truto", "store"],
            git_input(protocol="https", host="stuck.example", username="stuck", password="pw-stuck"),
        )
    else:
        argv, data = (
            [
                BIN / "truto",
                "login",
                "--token",
                "tok-stuck-0123456789",
                "--api-url",
                "https://stuck.example",
                "--profile-name",
                "stuck",
                "-f",
                "--no-verify",
            ],
            None,
        )
    before = (config_dir / "config.json").read_bytes()
    p = popen(argv, hanging_keyring_env, data)
    deadline = time.monotonic() + 60
    while not lock_is_held(config_dir):
        assert p.poll() is None, p.stderr.read()
        assert time.monotonic() < deadline, "the writer never took the lock"
        time.sleep(0.05)
    p.kill()
    p.wait(30)
    assert (config_dir / "config.json").read_bytes() == before
    nxt = run(
        BIN / "git-credential-truto",
        "store",
        env=dict(env, TRUTO_LOCK_TIMEOUT="10"),
        input=git_input(protocol="https", host="next.example", username="next", password="pw-next"),
    )
    assert nxt.returncode == 0, nxt.stderr
    doc = assert_valid_config(config_dir / "config.json")
    assert "next" in doc["profiles"] and "stuck" not in doc["profiles"]
