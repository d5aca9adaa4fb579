"""Interactive `truto login` and confirmations through a real pty (pexpect): prompts with defaults,
the token never echoed, confirmation before overwriting, -f skipping it."""

import pexpect
import pytest
from cli_support import login
from conftest import BIN, GOOD_TOKEN, OTHER_TOKEN, keyring_items


def spawn(env, *argv):
    child = pexpect.spawn(str(BIN / "truto"), list(argv), env=env, encoding="utf-8", timeout=30)
    return child


def finish(child):
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus


def test_interactive_login_prompts_with_defaults_and_hides_the_token(env, stub_api, read_config, config_dir):
    child = spawn(dict(env, TRUTO_API_URL=stub_api.url), "login")
    child.expect_exact("Profile name [default]: ")
    child.sendline("")  # Enter takes the default
    child.expect_exact(f"API base URL [{stub_api.url}]: ")
    child.sendline("")
    child.expect_exact("API token: ")
    child.sendline(GOOD_TOKEN)
    child.expect("Logged in to team Acme Integrations")
    rest = child.before + child.after
    assert finish(child) == 0
    # Everything the terminal showed after the prompt: the token was not echoed.
    assert GOOD_TOKEN not in rest + (child.before or "")
    assert read_config()["profiles"]["default"]["apiUrl"] == stub_api.url
    assert ("default:apiToken", GOOD_TOKEN) in [(u, s) for _, u, s in keyring_items(f"truto:{config_dir}")]


def test_transcript_never_contains_the_token(env, stub_api, tmp_path):
    log = tmp_path / "transcript"
    with open(log, "w") as f:
        child = spawn(env, "login")
        child.logfile_read = f  # what the terminal displayed (echo included)
        child.expect_exact("Profile name [default]: ")
        child.sendline("work")
        child.expect_exact("API base URL [https://api.truto.one]: ")  # the documented default
        child.sendline(stub_api.url)
        child.expect_exact("API token: ")
        child.sendline(GOOD_TOKEN)
        assert finish(child) == 0
    shown = log.read_text()
    assert "work" in shown and stub_api.url in shown  # echo works for the non-secret answers
    assert GOOD_TOKEN not in shown


def test_existing_profile_asks_before_overwriting_and_no_keeps_it(env, run, stub_api, config_dir):
    login(run, stub_api, "staging")
    before = (config_dir / "config.json").read_bytes()
    child = spawn(env, "login", "--profile-name", "staging", "--api-url", stub_api.url)
    child.expect_exact("Profile 'staging' already exists. Overwrite it? [y/N] ")
    child.sendline("n")
    assert finish(child) == 1
    assert (config_dir / "config.json").read_bytes() == before
    assert ("staging:apiToken", GOOD_TOKEN) in [(u, s) for _, u, s in keyring_items(f"truto:{config_dir}")]


def test_existing_profile_overwritten_after_yes(env, run, stub_api, config_dir):
    login(run, stub_api, "staging")
    child = spawn(env, "login", "-p", "staging", "--api-url", stub_api.url)
    child.expect_exact("Overwrite it? [y/N] ")
    child.sendline("y")
    child.expect_exact("API token: ")
    child.sendline(OTHER_TOKEN)
    assert finish(child) == 0
    assert [(u, s) for _, u, s in keyring_items(f"truto:{config_dir}")] == [("staging:apiToken", OTHER_TOKEN)]


def test_force_skips_the_confirmation(env, run, stub_api, config_dir):
    login(run, stub_api, "staging")
    child = spawn(env, "login", "-f", "--profile-name", "staging", "--api-url", stub_api.url)
    index = child.expect_exact(["Overwrite", "API token: "])
    assert index == 1
    child.sendline(OTHER_TOKEN)
    assert finish(child) == 0
    assert [(u, s) for _, u, s in keyring_items(f"truto:{config_dir}")] == [("staging:apiToken", OTHER_TOKEN)]


def test_invalid_profile_name_is_asked_again(env, stub_api, read_config):
    child = spawn(env, "login", "--api-url", stub_api.url)
    child.expect_exact("Profile name [default]: ")
    child.sendline("not valid!")
    child.expect("not a valid profile name")
    child.expect_exact("Profile name [default]: ")
    child.sendline("ok-name")
    child.expect_exact("API token: ")
    child.sendline(GOOD_TOKEN)
    assert finish(child) == 0
    assert list(read_config()["profiles"]) == ["ok-name"]


def test_invalid_api_url_is_asked_again(env, stub_api, read_config):
    child = spawn(env, "login")
    child.expect_exact("Profile name [default]: ")
    child.sendline("work")
    child.expect_exact("API base URL [https://api.truto.one]: ")
    child.sendline("ftp://example.com")
    child.expect("is not a valid API URL")
    child.expect_exact("API base URL [https://api.truto.one]: ")
    child.sendline("http://example.com")  # plain http to another machine: refused, asked again
    child.expect("plain http://")
    child.expect_exact("API base URL [https://api.truto.one]: ")
    child.sendline(stub_api.url)
    child.expect_exact("API token: ")
    child.sendline(GOOD_TOKEN)
    assert finish(child) == 0
    assert read_config()["profiles"]["work"]["apiUrl"] == stub_api.url


def test_rejected_token_in_interactive_login_saves_nothing(env, stub_api, config_dir):
    child = spawn(env, "login", "--profile-name", "x", "--api-url", stub_api.url)
    child.expect_exact("API token: ")
    child.sendline("tok-wrong-000000000000")
    child.expect("rejected")
    assert finish(child) == 4
    assert not (config_dir / "config.json").exists()


def test_logout_confirmation_on_a_terminal(env, run, stub_api, read_config):
    login(run, stub_api, "a")
    child = spawn(env, "logout", "--profile-name", "a")
    child.expect_exact("Log out of profile 'a'")
    child.sendline("")  # the default is no
    assert finish(child) == 1
    assert "a" in read_config()["profiles"]
    child = spawn(env, "logout", "--profile-name", "a")
    child.expect_exact("[y/N] ")
    child.sendline("yes")
    assert finish(child) == 0
    assert read_config()["profiles"] == {}


@pytest.mark.parametrize("kind,field", [("anthropic", "anthropicApiKey"), ("firecrawl", "firecrawlApiKey")])
def test_set_key_prompts_masked(env, run, stub_api, config_dir, tmp_path, kind, field):
    login(run, stub_api)
    secret = f"sk-{kind}-secret-0123456789"
    with open(tmp_path / "t", "w") as f:
        child = spawn(env, "profiles", "set-key", kind)
        child.logfile_read = f
        child.expect("API key: ")
        child.sendline(secret)
        assert finish(child) == 0
    assert secret not in (tmp_path / "t").read_text()
    assert (f"default:{field}", secret) in [(u, s) for _, u, s in keyring_items(f"truto:{config_dir}")]
