"""9. Transport: a token never goes over plain http to a non-loopback host (refused before any
connection is even attempted), never to a host other than the one asked for, and TLS verification
stays on, with REQUESTS_CA_BUNDLE / SSL_CERT_FILE honoured for a private CA."""

import json

import pytest
from conftest import BIN

from . import hostile as h
from .conftest import assert_clean_error, assert_no_secret


@pytest.fixture
def proxy_trap(env, hostile):
    """Every proxy variable pointing at a recorder: any connection attempt, to any host, lands there."""
    trap = hostile(h.reply(502, {}))
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env[name] = trap.url
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    return trap


NON_LOOPBACK_HTTP = [
    "http://truto-adversarial.invalid",
    "http://localhost.truto-adversarial.invalid",
    "http://127.0.0.1.truto-adversarial.invalid",
    "http://10.255.255.1:8080",
    "http://[::ffff:10.0.0.1]",
]


@pytest.mark.parametrize("url", NON_LOOPBACK_HTTP)
def test_plain_http_to_non_loopback_is_refused_before_connecting(run, env, config_dir, proxy_trap, canary, url):
    for argv in (
        ["login", "--token", canary, "--api-url", url, "-f"],
        ["whoami", "--token", canary, "--api-url", url],
        ["api-tokens", "list", "--token", canary, "--api-url", url, "-v"],
    ):
        p = run(BIN / "truto", *argv, timeout=30)
        assert_clean_error(p, code=2, mentions=["https"])
        assert_no_secret(canary, p.stdout, p.stderr)
    p = run(BIN / "truto", "whoami", env=dict(env, TRUTO_API_URL=url, TRUTO_API_TOKEN=canary), timeout=30)
    assert_clean_error(p, code=2, mentions=["https"])
    assert proxy_trap.requests == [], "a connection was attempted before the refusal"
    assert not (config_dir / "config.json").exists()


def test_stored_profile_with_plain_http_url_is_refused(run, env, config_dir, proxy_trap, canary):
    """A config.json edited by hand to point a stored token at http://: the token stays home."""
    p = run(
        BIN / "truto",
        "login",
        "--token",
        canary,
        "--api-url",
        "https://api.truto-adversarial.invalid",
        "--profile-name",
        "p",
        "-f",
        "--no-verify",
    )
    assert p.returncode == 0, p.stderr
    doc = json.loads((config_dir / "config.json").read_text())
    doc["profiles"]["p"]["apiUrl"] = "http://api.truto-adversarial.invalid"
    (config_dir / "config.json").write_text(json.dumps(doc))
    for argv in (["whoami", "-p", "p"], ["api-tokens", "list", "-p", "p", "-v"]):
        p = run(BIN / "truto", *argv, timeout=30)
        assert_clean_error(p, code=2, mentions=["https"])
        assert_no_secret(canary, p.stdout, p.stderr)
    assert proxy_trap.requests == []


def test_loopback_http_is_allowed(run, canary_api, canary):
    p = run(BIN / "truto", "whoami", "--token", canary, "--api-url", canary_api.url.replace("127.0.0.1", "localhost"))
    assert p.returncode == 0, p.stderr


def test_stored_token_never_goes_to_another_origin(run, env, config_dir, canary, canary_api, hostile):
    """--api-url or TRUTO_API_URL naming another origin does not take the profile's stored token
    there: a token given for one origin is not handed to whoever another URL points at."""
    p = run(BIN / "truto", "login", "--token", canary, "--api-url", canary_api.url, "--profile-name", "p", "-f")
    assert p.returncode == 0, p.stderr
    other = hostile(h.team(), host="127.0.0.2")
    for argv, extra in (
        (["whoami", "-p", "p", "--api-url", other.url], {}),
        (["api-tokens", "list", "-p", "p", "--api-url", other.url], {}),
        (["whoami", "-p", "p"], {"TRUTO_API_URL": other.url}),
    ):
        p = run(BIN / "truto", *argv, env=dict(env, **extra), timeout=60)
        assert_clean_error(p, code=2, mentions=["--token"])
        assert_no_secret(canary, p.stdout, p.stderr)
    assert not any(canary in a for a in other.authorizations()), "the stored token was sent to another origin"
    # The same origin spelled differently is the profile's own; a token given explicitly may go anywhere.
    p = run(BIN / "truto", "whoami", "-p", "p", "--api-url", canary_api.url + "/")
    assert p.returncode == 0, p.stderr
    p = run(BIN / "truto", "whoami", "-p", "p", "--api-url", other.url, "--token", "tok-explicit-0123456789")
    assert p.returncode == 0, p.stderr
    assert other.authorizations() == ["Bearer tok-explicit-0123456789"]


@pytest.fixture(scope="module")
def private_ca(tmp_path_factory):
    return h.make_ca(tmp_path_factory.mktemp("ca"))


CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")


@pytest.fixture
def tls_api(hostile, private_ca, env):
    for name in CA_VARIABLES:  # the machine's own settings would decide otherwise
        env.pop(name, None)
    ca, cert, key = private_ca
    return hostile(h.team(), tls_context=h.tls_context(cert, key))


def test_tls_verification_is_on(run, env, config_dir, tls_api, canary):
    for argv in (
        ["login", "--token", canary, "--api-url", tls_api.url, "-f"],
        ["whoami", "--token", canary, "--api-url", tls_api.url],
        ["api-tokens", "list", "--token", canary, "--api-url", tls_api.url],
    ):
        p = run(BIN / "truto", *argv, timeout=60)
        assert_clean_error(p, code=5, mentions=["TLS", "SSL_CERT_FILE"])
        assert_no_secret(canary, p.stdout, p.stderr)
    assert tls_api.requests == [], "an HTTP request went over an unverified connection"
    assert not (config_dir / "config.json").exists()


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"])
def test_private_ca_through_the_environment(run, env, tls_api, private_ca, canary, variable, hostile):
    ca, cert, key = private_ca
    p = run(
        BIN / "truto",
        "login",
        "--token",
        canary,
        "--api-url",
        tls_api.url,
        "--profile-name",
        "tls",
        "-f",
        env=dict(env, **{variable: ca}),
        timeout=60,
    )
    assert p.returncode == 0, p.stderr
    assert tls_api.authorizations() == [f"Bearer {canary}"]
    # The certificate names 127.0.0.1 and localhost only: served as 127.0.0.2, it is refused.
    other = hostile(h.team(), host="127.0.0.2", tls_context=h.tls_context(cert, key))
    p = run(
        BIN / "truto", "whoami", "--token", canary, "--api-url", other.url, env=dict(env, **{variable: ca}), timeout=60
    )
    assert_clean_error(p, code=5, mentions=["TLS"])
    assert other.requests == []


def test_a_proxy_for_https_only_sees_a_tunnel(run, env, proxy_trap, canary):
    """Through an HTTPS proxy the token travels inside TLS (CONNECT), never in the clear to the proxy."""
    p = run(
        BIN / "truto", "whoami", "--token", canary, "--api-url", "https://api.truto-adversarial.invalid", timeout=60
    )
    assert p.returncode == 5
    for method, path, headers in proxy_trap.requests:
        assert method == "CONNECT", (method, path)
        assert canary not in json.dumps(headers)
