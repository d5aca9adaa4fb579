"""`truto profiles ...` (alias `profile`), `truto use` and `truto api-tokens ...` through the installed
console script."""

import csv
import io
import json
import subprocess
import sys

import pytest
from cli_support import as_json, login
from conftest import BIN, OTHER_TOKEN, keyring_items

ALIASES = {
    "apiUrl": ["apiUrl", "api_url", "api-url"],
    "defaultIntegratedAccount": [
        "defaultIntegratedAccount",
        "default_integrated_account",
        "default-integrated-account",
    ],
    "anthropicApiKey": ["anthropicApiKey", "anthropic_api_key", "anthropic-api-key"],
    "firecrawlApiKey": ["firecrawlApiKey", "firecrawl_api_key", "firecrawl-api-key"],
}


@pytest.fixture
def two_profiles(run, stub_api):
    login(run, stub_api, "prod")
    login(run, stub_api, "staging", OTHER_TOKEN)  # active


def test_list_in_every_format(run, two_profiles, stub_api):
    rows = as_json(run("truto", "profiles", "list", "-o", "json"))
    assert [(r["name"], r["active"], r["apiUrl"], r["secretStore"]) for r in rows] == [
        ("prod", False, stub_api.url, "keyring"),
        ("staging", True, stub_api.url, "keyring"),
    ]
    nd = run("truto", "profiles", "list", "-o", "ndjson").stdout.splitlines()
    assert [json.loads(line) for line in nd] == rows
    parsed = list(csv.DictReader(io.StringIO(run("truto", "profiles", "list", "-o", "csv").stdout)))
    assert [(r["name"], r["active"]) for r in parsed] == [("prod", "false"), ("staging", "true")]
    table = run("truto", "profile", "list").stdout.splitlines()
    assert table[0].split()[:2] == ["ACTIVE", "NAME"] and table[2].split()[:2] == ["*", "staging"]


def test_list_never_touches_the_keyring_nor_imports_requests(run, two_profiles, no_dbus_env, env, tmp_path):
    # No D-Bus session at all: any keyring access would fail (exit 6) or hang.
    assert len(as_json(run("truto", "profiles", "list", "-o", "json", env=no_dbus_env))) == 2
    probe = (
        "import sys\n"
        "from truto_credential_helper.cli.main import main\n"
        "main(['profiles', 'list', '-o', 'json'])\n"
        "print(sorted(m for m in ('requests', 'keyring', 'jsonschema', 'urllib3') if m in sys.modules), file=sys.stderr)"
    )
    # cwd outside the checkout, so the installed package is what gets imported
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_empty_list(run):
    assert as_json(run("truto", "profiles", "list", "-o", "json")) == []
    done = run("truto", "profiles", "list")
    assert done.returncode == 0 and done.stdout == "" and "truto login" in done.stderr


def test_use_and_the_use_shortcut_and_current(run, two_profiles, read_config):
    assert run("truto", "profiles", "use", "prod").returncode == 0
    assert read_config()["activeProfile"] == "prod"
    assert run("truto", "profiles", "current").stdout == "prod\n"
    assert run("truto", "use", "staging").returncode == 0
    assert read_config()["activeProfile"] == "staging"
    current = as_json(run("truto", "profile", "current", "-o", "json", "-p", "prod"))
    assert (current["name"], current["source"]) == ("prod", "flag")


def test_use_of_a_missing_profile_changes_nothing(run, two_profiles, config_dir):
    before = (config_dir / "config.json").read_bytes()
    done = run("truto", "use", "nope")
    assert done.returncode == 3 and "no profile named" in done.stderr and "nope" not in done.stderr  # not echoed
    assert (config_dir / "config.json").read_bytes() == before


@pytest.mark.parametrize("key", ALIASES["defaultIntegratedAccount"])
def test_set_and_get_with_every_alias(run, two_profiles, read_config, key):
    assert run("truto", "profiles", "set", key, "acct_7").returncode == 0
    assert read_config()["profiles"]["staging"]["defaultIntegratedAccount"] == "acct_7"
    for alias in ALIASES["defaultIntegratedAccount"]:
        assert run("truto", "profiles", "get", alias).stdout == "acct_7\n"
    assert as_json(run("truto", "profiles", "get", key, "-o", "json")) == {"defaultIntegratedAccount": "acct_7"}


@pytest.mark.parametrize("key", ALIASES["apiUrl"])
def test_set_api_url_validates_it(run, two_profiles, read_config, key):
    assert run("truto", "profiles", "set", key, "https://custom.truto.example/").returncode == 0
    assert read_config()["profiles"]["staging"]["apiUrl"] == "https://custom.truto.example"
    done = run("truto", "profiles", "set", key, "http://plain.example")
    assert done.returncode == 2 and "https" in done.stderr
    assert read_config()["profiles"]["staging"]["apiUrl"] == "https://custom.truto.example"


@pytest.mark.parametrize("key", ["token", "apiToken", "api-token", "ApiUrl", "API_URL", "secrets"])
def test_unknown_keys_are_usage_errors_listing_the_allowed_ones(run, two_profiles, key):
    for argv in (["set", key, "x"], ["get", key]):
        done = run("truto", "profiles", *argv)
        assert done.returncode == 2
        assert "apiUrl" in done.stderr and "firecrawl-api-key" in done.stderr


@pytest.mark.parametrize("field", ["anthropicApiKey", "firecrawlApiKey"])
def test_byok_set_goes_to_the_keyring_and_get_masks_it(run, two_profiles, config_dir, read_config, field):
    secret = f"sk-{field}-0123456789abcdef"
    for alias in ALIASES[field]:
        assert run("truto", "profiles", "set", alias, secret).returncode == 0
    assert (f"truto:{config_dir}", f"staging:{field}", secret) in keyring_items(f"truto:{config_dir}")
    assert secret not in (config_dir / "config.json").read_text()
    assert field in read_config()["profiles"]["staging"]["secrets"]
    got = run("truto", "profiles", "get", ALIASES[field][2])
    assert got.stdout == "****cdef\n" and secret not in got.stdout + got.stderr
    assert run("truto", "profiles", "get", ALIASES[field][1], "--reveal").stdout == secret + "\n"


def test_get_of_an_unset_key_says_how_to_set_it(run, two_profiles):
    done = run("truto", "profiles", "get", "anthropic-api-key")
    assert done.returncode == 1 and "set-key anthropic" in done.stderr and done.stdout == ""


def test_unset_removes_setting_and_secret(run, two_profiles, config_dir, read_config):
    run("truto", "profiles", "set", "default-integrated-account", "acct_1")
    run("truto", "profiles", "set-key", "firecrawl", "fc-0123456789abcdef")
    assert run("truto", "profiles", "unset", "default-integrated-account").returncode == 0
    assert run("truto", "profiles", "unset", "firecrawl-api-key").returncode == 0
    assert "defaultIntegratedAccount" not in read_config()["profiles"]["staging"]
    assert not [u for _, u, _ in keyring_items(f"truto:{config_dir}") if "firecrawl" in u]
    assert run("truto", "profiles", "unset", "api-url").returncode == 2


def test_set_key_validates_kind(run, two_profiles):
    done = run("truto", "profiles", "set-key", "openai", "sk-xxxxxxxxxxxxxxx")
    assert done.returncode == 2 and "anthropic" in done.stderr and "firecrawl" in done.stderr


def test_set_key_from_stdin_and_without_terminal(run, two_profiles, config_dir):
    done = run("truto", "profiles", "set-key", "anthropic", "-", input="sk-ant-from-stdin-0001\n")
    assert done.returncode == 0, done.stderr
    assert ("staging:anthropicApiKey", "sk-ant-from-stdin-0001") in [
        (u, s) for _, u, s in keyring_items(f"truto:{config_dir}")
    ]
    done = run("truto", "profiles", "set-key", "firecrawl", input="")
    assert done.returncode == 2 and "set-key firecrawl -" in done.stderr


def test_set_key_insecure_storage_moves_the_profile_to_credentials_json(run, two_profiles, config_dir, read_config):
    done = run("truto", "profiles", "set-key", "anthropic", "sk-ant-insecure-00001", "--insecure-storage")
    assert done.returncode == 0 and "plaintext" in done.stderr
    creds = json.loads((config_dir / "credentials.json").read_text())
    assert creds["profiles"]["staging"] == {"apiToken": OTHER_TOKEN, "anthropicApiKey": "sk-ant-insecure-00001"}
    assert read_config()["profiles"]["staging"]["secretStore"] == "file"
    assert not [u for _, u, _ in keyring_items(f"truto:{config_dir}") if u.startswith("staging:")]
    assert as_json(run("truto", "whoami", "-o", "json"))["secretLocation"]["path"].endswith("credentials.json")


def test_set_on_a_missing_profile_is_not_logged_in(run, two_profiles):
    done = run("truto", "profiles", "set", "api-url", "https://x.example", "-p", "ghost")
    assert done.returncode == 3 and "no profile named" in done.stderr and "ghost" not in done.stderr  # not echoed


@pytest.mark.parametrize("group, action", [("profiles", "set-key"), ("auth", "status"), ("api-tokens", "list")])
def test_a_group_without_action_shows_its_help(run, group, action):
    done = run("truto", group)
    assert (done.returncode, done.stderr) == (0, "") and action in done.stdout and f"truto {group}" in done.stdout


# ---------------------------------------------------------------------------------------------
# api-tokens


def test_api_tokens_list_pages_and_says_how_to_get_the_next(run, stub_api):
    login(run, stub_api)
    done = run("truto", "api-tokens", "list", "--limit", "3", "-o", "json")
    page1 = as_json(done)
    assert [t["id"] for t in page1["items"]] == ["tok_000", "tok_001", "tok_002"] and page1["nextCursor"] == "3"
    assert "truto api-tokens list --next-cursor 3 --limit 3" in done.stderr
    page2 = as_json(run("truto", "api-tokens", "list", "--limit", "3", "--next-cursor", "3", "-o", "json"))
    assert [t["id"] for t in page2["items"]] == ["tok_003", "tok_004", "tok_005"]
    paths = [p for _, p, _ in stub_api.state.requests]
    assert "/api-token?limit=3&next_cursor=3" in paths


def test_api_tokens_list_default_limit_and_name_filter(run, stub_api):
    login(run, stub_api)
    assert len(as_json(run("truto", "api-tokens", "list", "-o", "json"))["items"]) == 25
    done = run("truto", "api-tokens", "list", "--name", "ci-staging", "-o", "ndjson")
    assert [json.loads(line)["id"] for line in done.stdout.splitlines()] == ["tok_001"]
    assert "next-cursor" not in done.stderr


def test_api_tokens_get_and_not_found(run, stub_api):
    login(run, stub_api)
    token = as_json(run("truto", "api-tokens", "get", "tok_004", "-o", "json"))
    assert (token["id"], token["name"]) == ("tok_004", "cli-linux")
    done = run("truto", "api-tokens", "get", "tok_999")
    assert done.returncode == 1 and "no API token with the id" in done.stderr and "tok_999" not in done.stderr
    done = run("truto", "api-tokens", "get", "../team")
    assert done.returncode == 1
    assert stub_api.state.requests[-1][1] == "/api-token/..%2Fteam"


def test_api_tokens_need_a_login(run, stub_api):
    done = run("truto", "api-tokens", "list", "--api-url", stub_api.url)
    assert done.returncode == 3 and stub_api.state.requests == []


def test_with_many_profiles_list_stays_correct(run, env, config_dir):
    doc = {
        "version": 1,
        "activeProfile": "p0500",
        "profiles": {
            f"p{i:04d}": {"apiUrl": "https://api.truto.one", "secretStore": "keyring", "secrets": ["apiToken"]}
            for i in range(1000)
        },
    }
    config_dir.mkdir(mode=0o700)
    (config_dir / "config.json").write_text(json.dumps(doc))
    (config_dir / "config.json").chmod(0o600)
    rows = as_json(run("truto", "profiles", "list", "-o", "json"))
    assert len(rows) == 1000 and [r["name"] for r in rows if r["active"]] == ["p0500"]
    assert (BIN / "truto").exists()
