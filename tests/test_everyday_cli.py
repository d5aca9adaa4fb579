"""Everyday use of `truto` through the installed console script: the overview and "did you mean",
global options between a command group and its subcommand, help with examples, login from
TRUTO_API_TOKEN without a terminal, and a profile edited while another process logs it out."""

import json
import os
import subprocess
import time

import pytest
from cli_support import as_json, login
from conftest import BIN, GOOD_TOKEN, OTHER_TOKEN, keyring_items


def test_truto_alone_prints_an_overview_to_stdout(run):
    done = run("truto")
    assert done.returncode == 0 and done.stderr == ""
    assert "commands:" in done.stdout and "examples:" in done.stdout
    for command in ("login", "whoami", "profiles", "api-tokens", "auth", "doctor"):
        assert f"\n  {command} " in done.stdout
    assert len(done.stdout.splitlines()) < 30  # an overview, not the full help


@pytest.mark.parametrize(
    "argv, suggestion",
    [
        (["logn"], "did you mean `truto login`?"),
        (["auth", "tokn"], "did you mean `truto auth token`?"),
        (["profiles", "lst"], "did you mean `truto profiles list`?"),
    ],
)
def test_a_mistyped_command_gets_a_suggestion_on_one_line(run, argv, suggestion):
    done = run("truto", *argv)
    assert done.returncode == 2 and done.stdout == ""
    assert suggestion in done.stderr and len(done.stderr.splitlines()) == 1
    assert f"'{argv[-1]}'" not in done.stderr  # what was typed is not echoed (it could be a pasted token)


def test_nothing_close_gets_no_suggestion(run):
    done = run("truto", "xyzzyq")
    assert done.returncode == 2 and "did you mean" not in done.stderr and len(done.stderr.splitlines()) == 1


def test_global_options_work_between_a_group_and_its_subcommand(run, stub_api):
    login(run, stub_api, "default", OTHER_TOKEN)
    login(run, stub_api, "staging", GOOD_TOKEN)
    run("truto", "profiles", "use", "default")
    done = run("truto", "auth", "-p", "staging", "token")
    assert done.returncode == 0 and done.stdout == GOOD_TOKEN + "\n", done.stderr
    done = run("truto", "profiles", "-p", "staging", "current")
    assert done.returncode == 0 and done.stdout.strip() == "staging"
    listing = run("truto", "api-tokens", "-o", "json", "list")
    assert listing.returncode == 0 and "items" in json.loads(listing.stdout)


def test_help_shows_examples_and_lists_global_options_once(run):
    top = run("truto", "--help").stdout
    assert "--api-url URL" in top and "exit codes:" in top and "examples:" in top
    for argv in (
        ["login"],
        ["logout"],
        ["whoami"],
        ["profiles"],
        ["api-tokens"],
        ["api-tokens", "list"],
        ["auth"],
        ["auth", "setup-git"],
        ["auth", "token"],
        ["doctor"],
        ["completion"],
    ):
        done = run("truto", *argv, "--help")
        assert done.returncode == 0, argv
        assert (
            "examples:\n  truto " in done.stdout
            or "examples:\n  curl " in done.stdout
            or "examples:\n  source " in done.stdout
        ), argv
        assert "--api-url URL" not in done.stdout and "$TRUTO_API_TOKEN, else" not in done.stdout, argv
        assert "`truto --help`" in done.stdout, argv  # the pointer to them


def no_terminal(run, *argv, env):
    return run(*argv, env=env, stdin=subprocess.DEVNULL)


def test_login_without_terminal_takes_truto_api_token(run, env, stub_api, read_config, config_dir):
    ci = dict(env, TRUTO_API_TOKEN=GOOD_TOKEN, TRUTO_API_URL=stub_api.url, TRUTO_PROFILE="ci")
    done = no_terminal(run, "truto", "login", env=ci)
    assert done.returncode == 0, done.stderr
    assert GOOD_TOKEN not in done.stdout + done.stderr and GOOD_TOKEN[:-4] not in done.stdout + done.stderr
    assert [p for _, p, _ in stub_api.state.requests] == ["/team"]  # verified as usual
    config = read_config()
    assert config["activeProfile"] == "ci" and config["profiles"]["ci"]["apiUrl"] == stub_api.url
    assert ("ci:apiToken", GOOD_TOKEN) in [(u, s) for _, u, s in keyring_items(f"truto:{config_dir}")]
    # --profile-name wins over TRUTO_PROFILE; without either the profile is 'default'
    assert no_terminal(run, "truto", "login", "--profile-name", "named", env=ci).returncode == 0
    bare = {k: v for k, v in ci.items() if k != "TRUTO_PROFILE"}
    assert no_terminal(run, "truto", "login", env=bare).returncode == 0
    assert sorted(read_config()["profiles"]) == ["ci", "default", "named"]


def test_login_without_terminal_verifies_the_environment_token(run, env, stub_api, config_dir):
    ci = dict(env, TRUTO_API_TOKEN="tok-rejected-5678", TRUTO_API_URL=stub_api.url)
    done = no_terminal(run, "truto", "login", env=ci)
    assert done.returncode == 4 and "tok-rejected-5678" not in done.stdout + done.stderr
    assert not (config_dir / "config.json").exists()
    done = no_terminal(run, "truto", "login", "--no-verify", env=ci)
    assert done.returncode == 0 and len(stub_api.state.requests) == 1  # --no-verify: no request


def test_login_without_terminal_or_token_still_says_what_to_do(run, env):
    done = no_terminal(run, "truto", "login", env=env)
    assert done.returncode == 2 and "no terminal" in done.stderr and "TRUTO_API_TOKEN" in done.stderr


def test_api_tokens_json_carries_the_cursor_and_all_walks_every_page(run, stub_api):
    login(run, stub_api)
    first = as_json(run("truto", "api-tokens", "list", "--limit", "10", "-o", "json"))
    assert [t["id"] for t in first["items"]] == [f"tok_{i:03d}" for i in range(10)]
    assert first["nextCursor"] == "10"
    second = as_json(
        run("truto", "api-tokens", "list", "--limit", "10", "--next-cursor", first["nextCursor"], "-o", "json")
    )
    assert second["items"][0]["id"] == "tok_010"
    before = len(stub_api.state.requests)
    every = as_json(run("truto", "api-tokens", "list", "--limit", "10", "--all", "-o", "json"))
    assert [t["id"] for t in every["items"]] == [f"tok_{i:03d}" for i in range(35)] and every["nextCursor"] is None
    assert len(stub_api.state.requests) - before == 4  # 10 + 10 + 10 + 5
    lines = run("truto", "api-tokens", "list", "--all", "-o", "ndjson").stdout.splitlines()
    assert len(lines) == 35 and json.loads(lines[0])["id"] == "tok_000"


def test_api_tokens_all_stops_at_a_repeated_cursor(run, stub_api):
    login(run, stub_api)
    page = {"status": 200, "body": {"result": [{"id": "tok_x", "name": "x"}], "next_cursor": "same"}}
    stub_api.state.faults.extend([page, page])
    done = run("truto", "api-tokens", "list", "--all", "-o", "json")
    assert done.returncode == 5 and "cursor" in done.stderr and len(done.stderr.splitlines()) == 1


def test_api_tokens_all_stops_at_the_page_limit_and_says_where_to_go_on(run, stub_api):
    from truto_credential_helper.cli.api_tokens import MAX_PAGES

    login(run, stub_api)
    stub_api.state.faults.extend(
        {"status": 200, "body": {"result": [{"id": f"tok_{i}"}], "next_cursor": f"c{i + 1}"}}
        for i in range(MAX_PAGES + 5)
    )  # an API that never stops handing out cursors
    done = run("truto", "api-tokens", "list", "--all", "-o", "json")
    assert done.returncode == 1 and f"stopped after {MAX_PAGES} pages" in done.stderr
    assert f"--next-cursor c{MAX_PAGES}" in done.stderr
    page = json.loads(done.stdout)
    assert len(page["items"]) == MAX_PAGES and page["nextCursor"] == f"c{MAX_PAGES}"


def _holds_lock_file(pid, lock_path):
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == str(lock_path):
                return True
        except OSError:
            pass
    return False


@pytest.mark.parametrize(
    "argv",
    [
        ["profiles", "set", "default-integrated-account", "acct_1"],
        ["profiles", "unset", "default-integrated-account"],
        ["profiles", "set", "secret-store", "file"],
    ],
)
def test_editing_a_profile_logged_out_meanwhile_is_no_such_profile(run, env, stub_api, config_dir, argv):
    """The command has read config.json (the profile is there) and waits for the lock; the profile
    goes away (as a `truto logout` holding the lock would remove it) before it gets the lock."""
    from truto_credential_helper import config, locked_io

    login(run, stub_api, "work")
    e = dict(env, TRUTO_LOCK_TIMEOUT="120")
    with config.edit(str(config_dir)) as doc:
        child = subprocess.Popen(
            [str(BIN / "truto"), *argv, "-p", "work"], env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 60
        while not _holds_lock_file(child.pid, config_dir / locked_io.LOCK_NAME):  # it waits for our lock now
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the command never opened the lock file"
            time.sleep(0.02)
        del doc["profiles"]["work"]
        doc.pop("activeProfile", None)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 3, err
    assert "no profile named" in err and "internal error" not in err
