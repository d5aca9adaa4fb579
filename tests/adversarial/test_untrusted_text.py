"""Whatever a server sends is untrusted: its status line, every header it chooses and its body reach
stdout, stderr, -v and TRUTO_DEBUG output only cleaned: every secret the process holds redacted in
any letter case, terminal escapes and control characters removed, the length capped. A hostile
server on 127.0.0.1 repeats the token it was sent (as sent, upper-case, case swapped) in every
place it controls, wrapped in escapes and padded to huge lengths."""

import re
import subprocess

import pytest
from conftest import BIN

from . import hostile as h
from .conftest import assert_no_secret, login, new_canary

# C0 but newline, DEL, C1, and the invisible formatting characters that reorder or hide text.
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
LONGEST_LINE = 2100  # untrusted.LINE_LIMIT and the "..." it ends with, plus the line's own prefix

SCENARIOS = {
    # name: (status, JSON body?, exit code of a command that fails)
    "401": (401, True, 4),
    "500": (500, True, 5),
    "429": (429, True, 5),
    "302": (302, True, 5),
    "200-not-json": (200, False, 5),
    "200-echoing-data": (200, True, 0),
}


def commands(url, token):
    return {
        "login": ["login", "--token", token, "--api-url", url, "--profile-name", "p", "-f"],
        "whoami": ["whoami", "--token", token, "--api-url", url],
        "whoami-json": ["whoami", "--token", token, "--api-url", url, "-o", "csv"],
        "api-tokens": ["api-tokens", "list", "--token", token, "--api-url", url],
    }


def assert_clean(secret, *texts):
    for text in texts:
        assert_no_secret(secret.lower(), text.lower())  # in no letter case
        bad = CONTROL.findall(text)
        assert not bad, f"control characters reached the terminal: {sorted(set(bad))!r} in {text[:300]!r}"
        longest = max((len(line) for line in text.splitlines()), default=0)
        assert longest <= LONGEST_LINE, f"a line of {longest} characters"


@pytest.mark.parametrize("mode", ["verbose", "debug"])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_hostile_server_text_is_cleaned(env, hostile, scenario, mode):
    status, json_body, code = SCENARIOS[scenario]
    token = new_canary()
    server = hostile(h.echo_everywhere(status, json_body=json_body))
    e = dict(env, TRUTO_TIMEOUT="5")
    if mode == "debug":
        e["TRUTO_DEBUG"] = "1"
    for name, argv in commands(server.url, token).items():
        p = subprocess.run([str(BIN / "truto"), *argv, "-v"], env=e, capture_output=True, text=True, timeout=60)
        if name.startswith("login") and code == 0:
            code_wanted = 0
        else:
            code_wanted = code
        assert p.returncode == code_wanted, (name, p.returncode, p.stderr[-2000:])
        assert_clean(token, p.stdout, p.stderr)
        if mode == "verbose":
            assert "Traceback" not in p.stderr, (name, p.stderr)
            assert f"< {status} Echo" in p.stderr, (name, p.stderr[:500])  # the reason phrase shown, cleaned
        elif code_wanted:
            assert "Traceback" in p.stderr, (name, p.stderr)  # debug: the traceback, cleaned
    assert server.authorizations(), "the server was never asked"


def test_token_held_from_the_environment_and_the_keyring_is_redacted(run, env, hostile, canary_api, canary):
    """The token read from TRUTO_API_TOKEN, and one read from the keyring for a profile, are
    redacted as well as one given on the command line."""
    login(run, env, "p", canary, canary_api.url)
    server = hostile(h.echo_everywhere(500))
    # The stored token goes only to its own origin: point the profile at the hostile server.
    p = run(BIN / "truto", "profiles", "set", "api-url", server.url, "-p", "p")
    assert p.returncode == 0, p.stderr
    for extra, argv in (
        ({}, ["whoami", "-p", "p", "-v"]),
        ({"TRUTO_API_TOKEN": new_canary(), "TRUTO_API_URL": server.url}, ["whoami", "-v"]),
    ):
        p = run(BIN / "truto", *argv, env=dict(env, TRUTO_TIMEOUT="5", **extra))
        assert p.returncode == 5, p.stderr
        assert_clean(extra.get("TRUTO_API_TOKEN", canary), p.stdout, p.stderr)


@pytest.mark.parametrize("output", ["table", "json", "yaml"])
def test_byok_key_echoed_by_the_server_is_redacted_once_held(run, env, hostile, canary_api, canary, output):
    """A re-login reads the profile's BYOK keys to carry them over: from then on they are secrets the
    process holds, and the team the server named (echoing a key, in any case) is printed without it."""
    key = "sk-ant-" + new_canary()
    login(run, env, "p", canary, canary_api.url)
    p = run(BIN / "truto", "profiles", "set-key", "anthropic", key, "-p", "p")
    assert p.returncode == 0, p.stderr
    server = hostile(h.echo_everywhere(200, extra=(key, key.upper())))
    p = run(BIN / "truto", "login", "--token", new_canary(), "--api-url", server.url, "-p", "p", "-f", "-o", output)
    assert p.returncode == 0, p.stderr
    assert_clean(key, p.stdout, p.stderr)
