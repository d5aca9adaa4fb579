"""`truto doctor` lists the secrets no profile names (in this config directory's keyring service and
its credentials.json), whatever left them, and `--fix` removes exactly those: after asking on a
terminal, with `--yes` without one. Their values are never shown."""

import json

import keyring
import pexpect
import pytest
from cli_support import login
from conftest import BIN, GOOD_TOKEN, OTHER_TOKEN, keyring_items

GHOST = "tok-ghost-7e1d5c9a3b"


def service(config_dir):
    return f"truto:{config_dir}"


def plant(config_dir, username, secret=GHOST):
    """An item as an older version or a killed writer leaves it: written by keyring itself."""
    keyring.set_password(service(config_dir), username, secret)


def items(config_dir):
    return sorted(u for s, u, _ in keyring_items(service(config_dir)) if s == service(config_dir))


def orphan_row(run, *extra):
    done = run("truto", "doctor", "-o", "json", *extra)
    assert GHOST not in done.stdout + done.stderr
    rows = [c for c in json.loads(done.stdout)["checks"] if c["check"] == "orphan secrets"]
    return done, rows


def test_keyring_items_no_profile_names_are_listed_and_removed_with_yes(run, stub_api, config_dir):
    login(run, stub_api, "work")
    plant(config_dir, "ghost:apiToken")
    plant(config_dir, "work:firecrawlApiKey")  # the profile exists but does not name this secret
    done, rows = orphan_row(run)
    assert done.returncode == 0  # a warning, not a failure
    assert [r["status"] for r in rows] == ["warn"]
    assert "ghost:apiToken" in rows[0]["message"] and "work:firecrawlApiKey" in rows[0]["message"]
    assert "work:apiToken" not in rows[0]["message"]
    assert "--fix" in rows[0]["fix"]

    # No terminal and no --yes: nothing is removed, and the way on is named.
    refused = run("truto", "doctor", "--fix")
    assert refused.returncode == 2 and "--yes" in refused.stderr, refused.stderr
    assert items(config_dir) == ["ghost:apiToken", "work:apiToken", "work:firecrawlApiKey"]

    fixed = run("truto", "doctor", "--fix", "--yes")
    assert fixed.returncode == 0, fixed.stderr
    assert "Removed 2 secrets" in fixed.stderr
    assert items(config_dir) == ["work:apiToken"]
    _, rows = orphan_row(run)
    assert [r["status"] for r in rows] == ["ok"]
    assert run(BIN / "truto", "auth", "token", "-p", "work").returncode == 0


def test_credentials_json_entries_no_profile_names_are_removed(run, stub_api, config_dir, read_config):
    login(run, stub_api, "keep", GOOD_TOKEN, "--insecure-storage")
    login(run, stub_api, "gone", OTHER_TOKEN, "--insecure-storage")
    doc = read_config()
    del doc["profiles"]["gone"]  # removed by hand: its entry in credentials.json stays
    (config_dir / "config.json").write_text(json.dumps(doc))
    _, rows = orphan_row(run)
    warned = [r for r in rows if r["status"] == "warn"]
    assert len(warned) == 1 and "credentials.json" in warned[0]["message"] and "gone:apiToken" in warned[0]["message"]
    assert OTHER_TOKEN not in json.dumps(rows)

    fixed = run("truto", "doctor", "--fix", "--yes")
    assert fixed.returncode == 0, fixed.stderr
    creds = json.loads((config_dir / "credentials.json").read_text())
    assert list(creds["profiles"]) == ["keep"]
    assert OTHER_TOKEN not in (config_dir / "credentials.json").read_text()


def test_nothing_to_fix_changes_nothing(run, stub_api, config_dir):
    login(run, stub_api, "work")
    fixed = run("truto", "doctor", "--fix")  # no terminal needed when there is nothing to remove
    assert fixed.returncode == 0, fixed.stderr
    assert items(config_dir) == ["work:apiToken"]


def spawn_fix(env):
    return pexpect.spawn(str(BIN / "truto"), ["doctor", "--fix"], env=env, encoding="utf-8", timeout=60)


@pytest.mark.parametrize("answer", ["n", "y"])
def test_fix_asks_on_a_terminal_first(run, env, stub_api, config_dir, answer):
    login(run, stub_api, "work")
    plant(config_dir, "ghost:apiToken")
    child = spawn_fix(env)
    child.expect_exact("Remove the 1 secret no profile names (ghost:apiToken)? [y/N] ")
    child.sendline(answer)
    if answer == "y":
        child.expect_exact("Removed 1 secret no profile named.")
    child.expect(pexpect.EOF)
    child.close()
    assert GHOST not in child.before
    if answer == "y":
        assert child.exitstatus == 0
        assert items(config_dir) == ["work:apiToken"]
    else:
        assert child.exitstatus == 1
        assert items(config_dir) == ["ghost:apiToken", "work:apiToken"]


def test_fix_removes_nothing_while_config_json_is_unreadable(run, stub_api, config_dir):
    login(run, stub_api, "work")
    plant(config_dir, "ghost:apiToken")
    (config_dir / "config.json").write_text("{not json")
    fixed = run("truto", "doctor", "--fix", "--yes")
    assert fixed.returncode == 1 and "config.json cannot be read" in fixed.stderr, fixed.stderr
    assert items(config_dir) == ["ghost:apiToken", "work:apiToken"]
