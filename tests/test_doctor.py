"""`truto doctor`: each check ok/warn/fail/info with a fix, exit 1 only when something fails, and
never a secret in what it prints."""

import json
import os

import pytest
from cli_support import login
from conftest import GOOD_TOKEN, OTHER_TOKEN, keyring_items

SECRETS = (GOOD_TOKEN, OTHER_TOKEN, "tok-env-secret-1234", "tok-rejected-5678")


def doctor(run, *args, env=None):
    done = run("truto", "doctor", "-o", "json", *args, env=env)
    for secret in SECRETS:
        assert secret not in done.stdout and secret not in done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] == (done.returncode == 0)
    assert {c["status"] for c in report["checks"]} <= {"ok", "warn", "fail", "info"}
    return done.returncode, report["checks"]


def find(checks, name, contains=""):
    found = [c for c in checks if c["check"] == name and contains in c["message"]]
    assert found, f"no {name!r} check mentioning {contains!r} in {checks}"
    return found[0]


def statuses(checks):
    return {(c["check"], c["status"]) for c in checks}


def test_healthy_setup_passes_and_git_docker_not_set_up_is_info(run, stub_api, config_dir):
    login(run, stub_api, "work")
    code, checks = doctor(run)
    assert code == 0
    assert find(checks, "config directory")["status"] == "ok"
    assert find(checks, "config file")["status"] == "ok"
    assert find(checks, "config schema")["status"] == "ok"
    keyring = find(checks, "keyring", "probe item")
    assert keyring["status"] == "ok" and "SecretService" in keyring["message"]
    git = find(checks, "git", "profile 'work'")
    assert git["status"] == "info" and git["fix"] == "truto auth setup-git -p work"
    assert find(checks, "docker", "profile 'work'")["status"] == "info"
    # the probe item is gone: only the profile's own item remains
    assert [u for _, u, _ in keyring_items(f"truto:{config_dir}")] == ["work:apiToken"]


def test_git_and_docker_set_up_are_ok(run, env, stub_api, tmp_path):
    e = dict(env, GIT_CONFIG_GLOBAL=str(tmp_path / "gitconfig"))
    login(run, stub_api, "work", env=e)
    assert run("truto", "auth", "setup-git", env=e).returncode == 0
    assert run("truto", "auth", "setup-docker", env=e).returncode == 0
    _, checks = doctor(run, env=e)
    assert find(checks, "git", "profile 'work'")["status"] == "ok"
    assert find(checks, "docker", "profile 'work'")["status"] == "ok"
    assert run("truto", "doctor", env=e).returncode == 0


def test_loose_permissions_fail_with_a_chmod_fix(run, stub_api, config_dir):
    login(run, stub_api, "work")
    os.chmod(config_dir, 0o705)  # with group bits, a directory the user named is shared on purpose: left as is
    os.chmod(config_dir / "config.json", 0o644)
    code, checks = doctor(run)
    assert code == 1
    d, f = find(checks, "config directory"), find(checks, "config file")
    assert d["status"] == f["status"] == "fail"
    assert d["fix"] == f"chmod 700 {config_dir}" and f["fix"] == f"chmod 600 {config_dir / 'config.json'}"
    table = run("truto", "doctor")
    assert table.returncode == 1 and "fix: chmod 600" in table.stdout and "failed" in table.stdout


def test_schema_error_fails_and_leaves_the_file(run, stub_api, config_dir):
    login(run, stub_api, "work")
    path = config_dir / "config.json"
    doc = json.loads(path.read_text())
    doc["profiles"]["work"]["apiUrl"] = "ftp://nope"
    path.write_text(json.dumps(doc))
    before = path.read_bytes()
    code, checks = doctor(run)
    schema = find(checks, "config schema")
    assert code == 1 and schema["status"] == "fail" and "$.profiles.work.apiUrl" in schema["message"]
    assert path.read_bytes() == before


def test_inline_legacy_secrets_fail_with_the_migrate_fix(run, config_dir):
    config_dir.mkdir(mode=0o700)
    fd = os.open(config_dir / "config.json", os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(
            {"activeProfile": "a", "profiles": {"a": {"apiUrl": "https://api.truto.one", "apiToken": GOOD_TOKEN}}}, f
        )
    code, checks = doctor(run)
    inline = find(checks, "inline secrets")
    assert code == 1 and inline["status"] == "fail" and inline["fix"] == "truto auth migrate"


def test_insecure_storage_is_a_warning(run, stub_api):
    login(run, stub_api, "plain", GOOD_TOKEN, "--insecure-storage")
    code, checks = doctor(run)
    assert code == 0
    assert find(checks, "insecure storage", "'plain'")["status"] == "warn"
    assert find(checks, "credentials file")["status"] == "ok"


def test_environment_variables_and_what_they_override(run, env, stub_api):
    login(run, stub_api, "work")
    e = dict(env, TRUTO_API_TOKEN="tok-env-secret-1234", TRUTO_PROFILE="work", TRUTO_TIMOUT="5", TRUTO_TIMEOUT="soon")
    code, checks = doctor(run, env=e)
    assert code == 1  # TRUTO_TIMEOUT is not a number
    assert find(checks, "environment", "TRUTO_API_TOKEN is set")["status"] == "info"
    assert "overrides the stored token" in find(checks, "environment", "TRUTO_API_TOKEN")["message"]
    assert find(checks, "environment", "TRUTO_PROFILE=work")["status"] == "info"
    assert find(checks, "environment", "TRUTO_TIMOUT")["status"] == "warn"  # a typo
    assert find(checks, "environment", "TRUTO_TIMEOUT is not usable")["status"] == "fail"
    assert find(checks, "git", "TRUTO_API_TOKEN")["status"] == "info"  # the CI credential's origin too


def test_keyring_unavailable_fails_only_when_a_profile_needs_it(run, no_dbus_env, stub_api):
    # No profile: `truto login`, the next command, stores into the keyring and would fail.
    code, checks = doctor(run, env=no_dbus_env)
    assert code == 1 and find(checks, "keyring")["status"] == "fail"
    # TRUTO_API_TOKEN (CI) needs no keyring: a warning, and the summary says so, not "no problems found".
    ci = dict(no_dbus_env, TRUTO_API_TOKEN="tok-env-secret-1234")
    code, checks = doctor(run, env=ci)
    assert code == 0 and find(checks, "keyring")["status"] == "warn"
    text = run("truto", "doctor", env=ci)
    assert text.returncode == 0 and "no problems found" not in text.stdout
    assert text.stdout.splitlines()[-1].endswith("warnings") or text.stdout.splitlines()[-1].endswith("warning")
    login(run, stub_api, "work")  # in the keyring (with D-Bus)
    code, checks = doctor(run, env=no_dbus_env)
    keyring = find(checks, "keyring")
    assert code == 1 and keyring["status"] == "fail" and "TRUTO_API_TOKEN" in keyring["fix"]


def test_online_checks_each_token_against_its_api(run, env, stub_api):
    login(run, stub_api, "good")
    done = run(
        "truto",
        "login",
        "--no-verify",
        "--token",
        "tok-rejected-5678",
        "--api-url",
        stub_api.url,
        "--profile-name",
        "stale",
    )
    assert done.returncode == 0, done.stderr
    code, checks = doctor(run)
    assert code == 0 and not [c for c in checks if c["check"] == "online"]  # offline by default
    assert stub_api.state.requests[-1][1] == "/team" and len(stub_api.state.requests) == 1  # only login's
    ci = dict(env, TRUTO_API_TOKEN="tok-env-secret-1234", TRUTO_API_URL=stub_api.url)
    code, checks = doctor(run, "--online", env=ci)
    assert code == 1
    good = find(checks, "online", "profile 'good'")
    assert good["status"] == "ok" and "Acme Integrations" in good["message"]
    stale = find(checks, "online", "profile 'stale'")
    assert stale["status"] == "fail" and stale["fix"] == "truto login --profile-name stale"
    assert find(checks, "online", "TRUTO_API_TOKEN")["status"] == "fail"  # checked against TRUTO_API_URL


@pytest.mark.parametrize("fmt", ["table", "ndjson", "csv", "yaml"])
def test_no_secret_in_any_format(run, env, stub_api, fmt):
    login(run, stub_api, "work")
    done = run(
        "truto", "doctor", "--online", "-o", fmt, env=dict(env, TRUTO_API_TOKEN=OTHER_TOKEN, TRUTO_API_URL=stub_api.url)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for secret in SECRETS:
        assert secret not in done.stdout + done.stderr
