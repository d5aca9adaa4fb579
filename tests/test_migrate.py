"""A config.json written by the standalone Truto CLI (secrets inline): read-only with a warning that
names `truto auth migrate`, and the migration itself: secrets into the real keyring, the file
rewritten without them, no plaintext left, safe to re-run and to kill at any point."""

import json
import os
import random
import signal
import subprocess
import time

import pytest
from cli_support import auth_headers
from conftest import GOOD_TOKEN, OTHER_TOKEN, files_containing, keyring_items

ANTHROPIC = "sk-ant-legacy-7d3f9a"
FIRECRAWL = "fc-legacy-51c2e8"


def legacy_doc(stub_url):
    # Hand-written in the standalone CLI's shape; 'staging' lacks most keys, 'old' even apiUrl.
    return {
        "activeProfile": "default",
        "profiles": {
            "default": {
                "apiUrl": stub_url,
                "apiToken": GOOD_TOKEN,
                "defaultIntegratedAccount": "acct_42",
                "anthropicApiKey": ANTHROPIC,
                "firecrawlApiKey": FIRECRAWL,
            },
            "staging": {"apiUrl": stub_url + "/", "apiToken": OTHER_TOKEN},
            "old": {"apiToken": "tok-old-never-verified"},
        },
    }


def write_legacy(config_dir, doc):
    config_dir.mkdir(mode=0o700, exist_ok=True)
    path = config_dir / "config.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f, indent=2)
    return path.read_bytes()


def service(config_dir):
    return f"truto:{os.path.abspath(config_dir)}"


def stored(config_dir):
    return {user: secret for svc, user, secret in keyring_items(service(config_dir)) if svc == service(config_dir)}


def test_legacy_file_works_read_only_with_a_warning(run, env, stub_api, config_dir):
    original = write_legacy(config_dir, legacy_doc(stub_api.url))
    done = run("truto", "auth", "token")
    assert (done.returncode, done.stdout) == (0, GOOD_TOKEN + "\n")
    assert "truto auth migrate" in done.stderr and GOOD_TOKEN not in done.stderr
    who = run("truto", "whoami", "-p", "staging", "-o", "json")
    assert who.returncode == 0, who.stderr
    assert auth_headers(stub_api)[-1] == f"Bearer {OTHER_TOKEN}"
    assert run("truto", "profiles", "get", "anthropic-api-key", "--reveal").stdout.strip() == ANTHROPIC
    listed = run("truto", "profiles", "list", "-o", "json")
    assert listed.returncode == 0 and {p["name"] for p in json.loads(listed.stdout)} == {"default", "staging", "old"}
    assert GOOD_TOKEN not in listed.stdout and ANTHROPIC not in listed.stdout
    # git gets the token through the helper, over the same read-only store
    fill = run(
        "git",
        "-c",
        "credential.helper=",
        "-c",
        "credential.helper=truto",
        "credential",
        "fill",
        input=f"url={stub_api.url}\n\n",
    )
    assert fill.returncode == 0 and f"password={GOOD_TOKEN}" in fill.stdout
    # writes are refused with the way out, and the file is untouched
    change = run("truto", "profiles", "set", "default-integrated-account", "acct_9")
    assert change.returncode == 1 and "truto auth migrate" in change.stderr and "Traceback" not in change.stderr
    assert (config_dir / "config.json").read_bytes() == original
    assert stored(config_dir) == {}


def test_schema_still_rejects_inline_secrets_in_todays_format(run, stub_api, config_dir):
    doc = {"version": 1, "profiles": {"p": {"apiUrl": stub_api.url, "secretStore": "keyring", "apiToken": GOOD_TOKEN}}}
    write_legacy(config_dir, doc)
    done = run("truto", "profiles", "list")
    assert done.returncode == 1 and "apiToken" in done.stderr and GOOD_TOKEN not in done.stderr


def test_migrate_moves_every_secret_and_leaves_no_plaintext(run, stub_api, config_dir, read_config, tmp_path):
    write_legacy(config_dir, legacy_doc(stub_api.url))
    done = run("truto", "auth", "migrate")
    assert done.returncode == 0, done.stderr
    assert "moved 5 secrets of 3 profiles" in done.stderr
    assert stored(config_dir) == {
        "default:apiToken": GOOD_TOKEN,
        "default:anthropicApiKey": ANTHROPIC,
        "default:firecrawlApiKey": FIRECRAWL,
        "staging:apiToken": OTHER_TOKEN,
        "old:apiToken": "tok-old-never-verified",
    }
    for secret in (GOOD_TOKEN, OTHER_TOKEN, ANTHROPIC, FIRECRAWL, "tok-old-never-verified"):
        assert files_containing(tmp_path, secret) == []
    cfg = read_config()
    assert cfg["version"] == 1 and cfg["activeProfile"] == "default"
    assert cfg["profiles"]["default"] == {
        "apiUrl": stub_api.url,
        "defaultIntegratedAccount": "acct_42",
        "secretStore": "keyring",
        "secrets": ["anthropicApiKey", "apiToken", "firecrawlApiKey"],
    }
    assert cfg["profiles"]["old"]["apiUrl"] == "https://api.truto.one"
    after = run("truto", "auth", "token", "-p", "staging")
    assert (after.returncode, after.stdout, after.stderr) == (0, OTHER_TOKEN + "\n", "")  # no warning any more
    assert run("truto", "profiles", "set", "default-integrated-account", "acct_9").returncode == 0
    again = run("truto", "auth", "migrate")
    assert again.returncode == 0 and "nothing to migrate" in again.stderr


def test_migrate_insecure_storage_without_a_keyring(run, no_dbus_env, stub_api, config_dir, read_config):
    write_legacy(config_dir, legacy_doc(stub_api.url))
    refused = run("truto", "auth", "migrate", env=no_dbus_env)
    assert refused.returncode == 6 and "--insecure-storage" in refused.stderr
    assert "apiToken" in json.loads((config_dir / "config.json").read_text())["profiles"]["default"]
    done = run("truto", "auth", "migrate", "--insecure-storage", env=no_dbus_env)
    assert done.returncode == 0, done.stderr
    assert "plaintext" in done.stderr
    assert {p["secretStore"] for p in read_config()["profiles"].values()} == {"file"}
    creds = config_dir / "credentials.json"
    assert oct(os.stat(creds).st_mode & 0o777) == "0o600"
    assert run("truto", "auth", "token", env=no_dbus_env).stdout == GOOD_TOKEN + "\n"


def test_migrate_refuses_a_bad_profile_name_before_storing_anything(run, stub_api, config_dir):
    doc = legacy_doc(stub_api.url)
    doc["profiles"]["bad name!"] = {"apiToken": "tok-bad-name"}
    original = write_legacy(config_dir, doc)
    done = run("truto", "auth", "migrate")
    assert done.returncode == 1 and str(config_dir / "config.json") in done.stderr
    assert "tok-bad-name" not in done.stderr
    assert (config_dir / "config.json").read_bytes() == original
    assert stored(config_dir) == {}


def test_nothing_to_migrate_without_a_file(run, config_dir):
    done = run("truto", "auth", "migrate")
    assert done.returncode == 0 and "nothing to migrate" in done.stderr
    assert not (config_dir / "config.json").exists()


# ---------------------------------------------------------------------------------------------
# Interrupted runs


def many_profiles_doc(stub_url, n=15):
    return {
        "activeProfile": "p0",
        "profiles": {
            f"p{i}": {
                "apiUrl": stub_url,
                "apiToken": f"tok-many-{i:03d}-x",
                "anthropicApiKey": f"sk-ant-{i:03d}",
                "firecrawlApiKey": f"fc-{i:03d}",
            }
            for i in range(n)
        },
    }


def assert_consistent(run, config_dir, original, doc):
    """Whatever the moment of the kill: the file is the old one or the migrated one, never a mix,
    and every secret is readable through truto."""
    data = (config_dir / "config.json").read_bytes()
    if data != original:
        cfg = json.loads(data)
        assert cfg["version"] == 1
        assert all("apiToken" not in p for p in cfg["profiles"].values())
        items = stored(config_dir)
        for name, p in doc["profiles"].items():
            assert items[f"{name}:apiToken"] == p["apiToken"]
    for name in ("p0", "p7", "p14"):
        got = run("truto", "auth", "token", "-p", name)
        assert got.stdout == doc["profiles"][name]["apiToken"] + "\n", got.stderr
    leftovers = [n for n in os.listdir(config_dir) if n.endswith(".tmp")]
    for name in leftovers:  # a temp file a kill left behind may only hold the new, secret-free file
        assert b"tok-many" not in (config_dir / name).read_bytes()
    return data != original


def finish_and_check(run, config_dir, doc, tmp_path):
    done = run("truto", "auth", "migrate")
    assert done.returncode == 0, done.stderr
    items = stored(config_dir)
    for name, p in doc["profiles"].items():
        for field in ("apiToken", "anthropicApiKey", "firecrawlApiKey"):
            assert items[f"{name}:{field}"] == p[field]
    assert files_containing(tmp_path, "tok-many-") == [] and files_containing(tmp_path, "sk-ant-0") == []


def start_migrate(env):
    from conftest import BIN

    # A shell that ran the suite in the background hands SIGINT down ignored, and Python then never
    # turns it into KeyboardInterrupt: give the child the default disposition, as a terminal would.
    return subprocess.Popen(
        [str(BIN / "truto"), "auth", "migrate"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


@pytest.mark.parametrize("kill_after_items", [1, 22, 44])
def test_killed_while_storing_secrets_then_rerun(run, env, stub_api, config_dir, tmp_path, kill_after_items):
    doc = many_profiles_doc(stub_api.url)
    original = write_legacy(config_dir, doc)
    proc = start_migrate(env)
    deadline = time.monotonic() + 60
    while proc.poll() is None and len(stored(config_dir)) < kill_after_items and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert_consistent(run, config_dir, original, doc)
    finish_and_check(run, config_dir, doc, tmp_path)


def test_killed_at_random_points_then_rerun(run, env, stub_api, config_dir, tmp_path):
    doc = many_profiles_doc(stub_api.url)
    rng = random.Random(6)
    for attempt in range(4):
        original = write_legacy(config_dir, doc)
        proc = start_migrate(env)
        time.sleep(rng.uniform(0, 0.8))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        migrated = assert_consistent(run, config_dir, original, doc)
        finish_and_check(run, config_dir, doc, tmp_path)
        if migrated:
            break  # a kill after the rename: also consistent


def test_ctrl_c_leaves_the_file_as_it_was(run, env, stub_api, config_dir):
    doc = many_profiles_doc(stub_api.url, n=60)  # long enough that it cannot finish before the signal lands
    original = write_legacy(config_dir, doc)
    proc = start_migrate(env)
    deadline = time.monotonic() + 60
    while proc.poll() is None and len(stored(config_dir)) < 1 and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    assert (config_dir / "config.json").read_bytes() == original
