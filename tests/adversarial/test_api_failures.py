"""6. API failures for login, whoami and api-tokens, against hostile servers of our own on 127.0.0.1:
clear one-line messages, the documented exit codes, bounded time, nothing saved on a failed login,
and the token never in any output."""

import subprocess
import time

import pytest
from conftest import BIN, keyring_items

from . import hostile as h
from .conftest import assert_clean_error, assert_no_secret

TIMEOUT = 2  # TRUTO_TIMEOUT for these tests


def api_commands(url, token):
    return {
        "login": ["truto", "login", "--token", token, "--api-url", url, "--profile-name", "p", "-f"],
        "whoami": ["truto", "whoami", "--token", token, "--api-url", url],
        "whoami-json": ["truto", "whoami", "--token", token, "--api-url", url, "-o", "json"],
        "api-tokens-list": ["truto", "api-tokens", "list", "--token", token, "--api-url", url],
        "api-tokens-get": ["truto", "api-tokens", "get", "tok_001", "--token", token, "--api-url", url],
    }


def run_api(env, argv, guard=TIMEOUT * 6 + 10):
    e = dict(env, TRUTO_TIMEOUT=str(TIMEOUT))
    start = time.monotonic()
    p = subprocess.run([str(BIN / argv[0]), *argv[1:]], env=e, capture_output=True, text=True, timeout=guard)
    return p, time.monotonic() - start


def nothing_saved(config_dir):
    assert not (config_dir / "config.json").exists(), "a failed login saved a profile"
    service = f"truto:{config_dir}"
    assert not [i for i in keyring_items(service) if i[0] == service], "a failed login left its token in the keyring"


FAULTS = {
    # kind: (behaviours, exit code, words in the message)
    "5xx": ([h.reply(503, {"error": "Service Unavailable"})], 5, ["503"]),
    "500-html": ([h.reply(500, raw=b"<html>oops</html>")], 5, ["500"]),
    "429-long": ([h.reply(429, {"error": "slow down"}, headers=[("Retry-After", "3600")])], 5, ["429"]),
    "429-date": ([h.reply(429, {}, headers=[("Retry-After", "Wed, 21 Oct 2099 07:28:00 GMT")])], 5, ["429"]),
    "429-garbage": ([h.reply(429, {}, headers=[("Retry-After", "soon")])], 5, ["429"]),
    "not-json": ([h.reply(200, raw=b"<html>login page</html>")], 5, ["JSON"]),
    "truncated-json": ([h.reply(200, raw=b'{"id": "team_7f3a", "na')], 5, ["JSON"]),
    "deeply-nested-json": ([h.reply(200, raw=b"[" * 200000 + b"]" * 200000)], 5, []),
    "json-list": ([h.reply(200, raw=b"[]")], 5, []),
    "json-string": ([h.reply(200, raw=b'"team"')], 5, []),
    "json-null": ([h.reply(200, raw=b"null")], 5, []),
    "json-wrong-types": ([h.reply(200, {"id": {"x": 1}, "name": [1, 2], "result": "x", "next_cursor": {}})], 5, []),
    "huge-json": ([h.huge_json()], 5, []),
    "endless-json": ([h.endless_json()], 5, []),
    "hang": ([h.hang()], 5, [str(TIMEOUT)]),
    "redirect-other-host": ([h.redirect("http://localhost:9/team")], 5, ["redirect"]),
    "redirect-https": ([h.redirect("https://evil.example/team", 301)], 5, ["redirect"]),
    "401": ([h.reply(401, {"error": "Unauthorized"})], 4, ["401"]),
    "403": ([h.reply(403, {"message": "forbidden"})], 4, ["403"]),
}


@pytest.mark.parametrize("command", ["login", "whoami", "api-tokens-list"])
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_api_fault(env, config_dir, hostile, canary, fault, command):
    behaviours, code, words = FAULTS[fault]
    if command == "api-tokens-list" and fault.startswith("json-") and fault != "json-wrong-types":
        pytest.skip("covered by the login and whoami cases")
    server = hostile(*behaviours)
    p, elapsed = run_api(env, api_commands(server.url, canary)[command])
    if fault == "json-wrong-types" and command != "api-tokens-list" and p.returncode == 0:
        pass  # odd field types in a team are only shown, not trusted: showing them is fine
    else:
        line = assert_clean_error(p, code=code, mentions=words)
        assert "internal error" not in line, line
    assert_no_secret(canary, p.stdout, p.stderr)
    if command == "login" and code != 0 and p.returncode != 0:
        nothing_saved(config_dir)
    # Bounded: retries and waits all fit in TRUTO_TIMEOUT (plus process start-up).
    assert elapsed < TIMEOUT + 5, f"{fault}: {command} took {elapsed:.1f}s with TRUTO_TIMEOUT={TIMEOUT}"


@pytest.mark.parametrize("command", ["login", "whoami", "api-tokens-get"])
def test_connection_refused(env, config_dir, canary, command):
    url = f"http://127.0.0.1:{h.closed_port()}"
    p, _ = run_api(env, api_commands(url, canary)[command])
    assert_clean_error(p, code=5, mentions=["refused"])
    assert_no_secret(canary, p.stdout, p.stderr)
    if command == "login":
        nothing_saved(config_dir)


@pytest.mark.parametrize("command", ["login", "whoami", "api-tokens-list"])
def test_dns_failure(env, config_dir, canary, command):
    p, _ = run_api(env, api_commands("https://truto-adversarial.invalid", canary)[command])
    assert_clean_error(p, code=5, mentions=["truto-adversarial.invalid"])
    assert_no_secret(canary, p.stdout, p.stderr)
    if command == "login":
        nothing_saved(config_dir)


def test_trickling_server_is_bounded_by_the_total_timeout(env, config_dir, hostile, canary):
    """A server that answers one byte at a time never trips a per-read timeout."""

    def trickle(hd):
        hd.send_response(200)
        hd.send_header("Content-Type", "application/json")
        hd.send_header("Content-Length", "100000")
        hd.end_headers()
        try:
            while not hd.server.stopping.wait(0.2):
                hd.wfile.write(b" ")
                hd.wfile.flush()
        except OSError:
            pass

    server = hostile(trickle)
    p, elapsed = run_api(env, api_commands(server.url, canary)["login"])
    assert_clean_error(p, code=5)
    nothing_saved(config_dir)
    assert elapsed < TIMEOUT + 5, elapsed


def test_retry_after_and_5xx_are_retried_then_succeed(env, config_dir, hostile, canary):
    server = hostile(h.reply(503, {}), h.reply(429, {}, headers=[("Retry-After", "1")]), h.team())
    p, _ = run_api(env, api_commands(server.url, canary)["login"])
    assert p.returncode == 0, p.stderr
    assert len(server.requests) == 3
    assert_no_secret(canary, p.stdout, p.stderr)


def test_redirect_never_carries_the_token_to_another_host(env, config_dir, hostile, canary):
    """The redirect target is a second server on another loopback address: it must not see the token."""
    other = hostile(h.team(), host="127.0.0.2")
    for status in (301, 302, 303, 307, 308):
        server = hostile(h.redirect(other.url + "/team", status))
        for command in ("login", "whoami", "api-tokens-list"):
            p, _ = run_api(env, api_commands(server.url, canary)[command])
            assert p.returncode == 5, (status, command, p.stderr)
            assert "127.0.0.2" in p.stderr
    assert not any(canary in (a or "") for a in other.authorizations()), "the token followed a redirect"
    nothing_saved(config_dir)


def test_server_echoing_the_token_back_is_redacted(env, config_dir, hostile, canary):
    server = hostile(h.echo_token(401))
    for command in ("login", "whoami", "api-tokens-list"):
        argv = api_commands(server.url, canary)[command] + ["-v"]
        p, _ = run_api(env, argv)
        assert p.returncode == 4, p.stderr
        assert_no_secret(canary, p.stdout, p.stderr)
    nothing_saved(config_dir)


@pytest.mark.parametrize("value", ["abc", "0", "-3", "nan", "inf"])
def test_bad_truto_timeout_is_a_usage_error(env, canary, value, hostile):
    server = hostile(h.team())
    p = subprocess.run(
        [str(BIN / "truto"), "whoami", "--token", canary, "--api-url", server.url],
        env=dict(env, TRUTO_TIMEOUT=value),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert_clean_error(p, code=2, mentions=["TRUTO_TIMEOUT"])
