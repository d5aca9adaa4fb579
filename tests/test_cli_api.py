"""The API client as `truto` uses it: retries, timeouts, rate limits, redirects, plain-http refusal,
TLS trust from the environment, -v redaction and exit codes. Real HTTP against the stub on 127.0.0.1."""

import subprocess

import pytest
from cli_support import as_json, auth_headers
from conftest import GOOD_TOKEN, stub_api_module

from truto_credential_helper import api


@pytest.fixture
def ci_env(env, stub_api):
    """A CI-style environment: token and URL from the environment, so each test is one request."""
    return dict(env, TRUTO_API_TOKEN=GOOD_TOKEN, TRUTO_API_URL=stub_api.url)


def whoami(run, env, *extra):
    return run("truto", "whoami", "-o", "json", *extra, env=env, timeout=30)


def test_5xx_is_retried_and_then_succeeds(run, stub_api, ci_env):
    stub_api.state.faults[:] = [{"status": 503}, {"status": 502}]
    assert as_json(whoami(run, ci_env))["teamId"] == "team_7f3a"
    assert len(stub_api.state.requests) == 3


def test_persistent_5xx_gives_up_after_a_bounded_retry(run, stub_api, ci_env):
    stub_api.state.faults[:] = [{"status": 500}] * 10
    done = whoami(run, ci_env)
    assert done.returncode == 5 and "500" in done.stderr
    assert len(stub_api.state.requests) == 3


def test_429_waits_for_a_short_retry_after(run, stub_api, ci_env):
    stub_api.state.faults[:] = [{"status": 429, "headers": [("Retry-After", "1")]}]
    assert as_json(whoami(run, ci_env))["teamId"] == "team_7f3a"
    assert len(stub_api.state.requests) == 2


def test_429_with_a_long_retry_after_fails_at_once(run, stub_api, ci_env):
    stub_api.state.faults[:] = [{"status": 429, "headers": [("Retry-After", "3600")]}]
    done = whoami(run, ci_env)
    assert done.returncode == 5 and "rate limiting" in done.stderr and "3600" in done.stderr
    assert len(stub_api.state.requests) == 1


def test_timeout_is_bounded_by_truto_timeout(run, stub_api, ci_env):
    stub_api.state.faults[:] = [{"delay": 30}] * 3
    # The subprocess timeout only guards against a hang: without TRUTO_TIMEOUT it would wait 30 s.
    done = run("truto", "whoami", env=dict(ci_env, TRUTO_TIMEOUT="1"), timeout=15)
    assert done.returncode == 5 and "did not answer within 1 s" in done.stderr


def test_bad_truto_timeout_is_a_usage_error(run, ci_env):
    done = whoami(run, dict(ci_env, TRUTO_TIMEOUT="soon"))
    assert done.returncode == 2 and "TRUTO_TIMEOUT" in done.stderr


def test_redirect_is_not_followed_and_names_the_target_host(run, stub_api, ci_env):
    stub_api.state.faults[:] = [{"status": 302, "headers": [("Location", "http://collector.example/team")]}]
    done = whoami(run, ci_env)
    assert done.returncode == 5 and "collector.example" in done.stderr
    assert len(stub_api.state.requests) == 1


def test_redirect_to_another_port_of_this_host_gets_no_token(run, stub_api, ci_env):
    other = stub_api_module.make_server([GOOD_TOKEN])
    try:
        stub_api.state.faults[:] = [{"status": 307, "headers": [("Location", other.url + "/team")]}]
        assert whoami(run, ci_env).returncode == 5
        assert other.state.requests == []
    finally:
        other.shutdown()
        other.server_close()


def test_malformed_json_is_api_failing(run, stub_api, ci_env):
    stub_api.state.faults[:] = [{"status": 200, "body": b"<html>maintenance</html>"}]
    done = whoami(run, ci_env)
    assert done.returncode == 5 and "not JSON" in done.stderr


def test_forbidden_is_token_rejected(run, stub_api, ci_env):
    stub_api.state.faults[:] = [{"status": 403, "body": {"message": "token lacks access"}}]
    done = whoami(run, ci_env)
    assert done.returncode == 4 and "token lacks access" in done.stderr


def test_server_message_echoing_the_token_is_redacted(run, stub_api, ci_env):
    stub_api.state.faults[:] = [{"status": 400, "body": {"message": f"malformed token {GOOD_TOKEN}"}}]
    done = whoami(run, ci_env)
    assert done.returncode == 1 and "malformed token" in done.stderr
    assert GOOD_TOKEN not in done.stderr


@pytest.mark.parametrize("url", ["http://api.example.com", "http://192.168.1.10:8080", "http://127.0.0.1.nip.io"])
def test_plain_http_to_a_remote_host_is_refused_before_sending(run, ci_env, url):
    done = whoami(run, dict(ci_env, TRUTO_API_URL=url))
    assert done.returncode == 2 and "https" in done.stderr and "TRUTO_API_URL" in done.stderr


def test_plain_http_to_localhost_is_allowed(run, stub_api, ci_env):
    port = stub_api.url.rsplit(":", 1)[1]
    assert as_json(whoami(run, dict(ci_env, TRUTO_API_URL=f"http://localhost:{port}")))["teamId"] == "team_7f3a"


def test_verbose_shows_requests_with_authorization_redacted(run, stub_api, ci_env):
    done = whoami(run, ci_env, "-v")
    assert done.returncode == 0
    assert f"> GET {stub_api.url}/team" in done.stderr
    assert "> Authorization: Bearer ****" + GOOD_TOKEN[-4:] in done.stderr
    assert "< 200" in done.stderr
    assert GOOD_TOKEN not in done.stderr and GOOD_TOKEN not in done.stdout
    assert auth_headers(stub_api) == [f"Bearer {GOOD_TOKEN}"]


@pytest.fixture
def tls_stub(tmp_path):
    """The stub over https with a self-signed certificate for 127.0.0.1."""
    import ssl

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = stub_api_module.make_server([GOOD_TOKEN], ssl_context=context)
    server.cert = cert
    yield server
    server.shutdown()
    server.server_close()


def test_tls_is_verified_and_trust_comes_from_ssl_cert_file(run, env, tls_stub):
    e = dict(env, TRUTO_API_TOKEN=GOOD_TOKEN, TRUTO_API_URL=tls_stub.url)
    e.pop("SSL_CERT_FILE", None), e.pop("REQUESTS_CA_BUNDLE", None), e.pop("CURL_CA_BUNDLE", None)
    done = whoami(run, e)
    assert done.returncode == 5 and "TLS verification failed" in done.stderr
    assert tls_stub.state.requests == []  # the token never went to an unverified server
    assert as_json(whoami(run, dict(e, SSL_CERT_FILE=str(tls_stub.cert))))["teamId"] == "team_7f3a"
    assert as_json(whoami(run, dict(e, REQUESTS_CA_BUNDLE=str(tls_stub.cert))))["teamId"] == "team_7f3a"


# ---------------------------------------------------------------------------------------------
# Pure functions


def test_mask_shows_at_most_the_last_four():
    assert api.mask("abcdefghijklmnop") == "****mnop"
    assert api.mask("short-tok") == "****"
    assert api.mask("") == ""


def test_retry_after_parses_seconds_and_dates():
    assert api.retry_after("2") == 2.0
    assert api.retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert api.retry_after("soon") is None and api.retry_after(None) is None
