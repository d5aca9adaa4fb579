"""`docker manifest inspect --insecure` (the docker CLI, no daemon) against a plain-http loopback
registry, as docs/credential-helper.md says it behaves: docker tries https first and falls back to
http only when the server answers the TLS hello with an HTTP response (as Go's server, and so the
distribution registry, does). A server that answers it with anything else makes docker fail on
the TLS handshake, after it asked the helper and got the token: a failure inside docker, not the
helper's. Checked by what the registry received and what the helper was asked."""

import json
import os
import shutil

import pytest
from conftest import BIN, GOOD_TOKEN
from registry_support import IMAGE, REGISTRY, TAG, Registry, TrutoOrigin, push_image

pytestmark = pytest.mark.skipif(
    REGISTRY is None or shutil.which("docker") is None or shutil.which("skopeo") is None,
    reason="needs Debian's docker-registry, skopeo and the docker CLI",
)

RECORDER = """#!/bin/sh
# Records what docker asks the helper, then runs the real one.
printf '%s\\n' "$1" >> "{log}"
exec "{helper}" "$@"
"""


@pytest.fixture
def registry(tmp_path, env):
    directory = tmp_path / "registry"
    directory.mkdir()
    started = Registry(str(directory), {"default": GOOD_TOKEN, "pusher": "push-secret-7c1d"}).start()
    try:
        push_image(started, "pusher", "push-secret-7c1d", str(directory), env)
    except BaseException:
        started.stop()
        raise
    yield started
    started.stop()


@pytest.fixture
def denv(env, tmp_path):
    """docker finds a recording docker-credential-truto first on PATH (it runs the real one)."""
    shim = tmp_path / "shim"
    shim.mkdir()
    log = tmp_path / "helper-calls.log"
    helper = shim / "docker-credential-truto"
    helper.write_text(RECORDER.format(log=log, helper=BIN / "docker-credential-truto"))
    helper.chmod(0o755)
    return dict(env, PATH=f"{shim}{os.pathsep}{env['PATH']}")


def calls(tmp_path):
    log = tmp_path / "helper-calls.log"
    return log.read_text().split() if log.exists() else []


def login_and_set_up(run, env, host):
    done = run("truto", "login", "--no-verify", "--api-url", f"http://{host}", "--token", GOOD_TOKEN, env=env)
    assert done.returncode == 0, done.stderr
    assert run("truto", "auth", "setup-docker", env=env).returncode == 0


def inspect(run, env, host):
    return run("docker", "manifest", "inspect", "--insecure", f"{host}/{IMAGE}:{TAG}", env=env)


def test_against_the_registry_itself_it_falls_back_to_http_and_sends_the_token(run, denv, registry, tmp_path):
    login_and_set_up(run, denv, registry.host)
    done = inspect(run, denv, registry.host)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["schemaVersion"] == 2
    assert "get" in calls(tmp_path)
    assert registry.authorized(f"/v2/{IMAGE}/manifests/")  # the registry authenticated the token
    assert GOOD_TOKEN not in done.stdout + done.stderr


def test_a_server_answering_tls_with_no_http_fails_inside_docker_after_the_helper_answered(
    run, denv, registry, tmp_path
):
    origin = TrutoOrigin(registry, [GOOD_TOKEN])
    # Python's http.server answers a request line it cannot parse (a TLS hello) in HTTP/0.9 form,
    # with no status line: docker then never tries http.
    origin.server.RequestHandlerClass.default_request_version = "HTTP/0.9"
    try:
        login_and_set_up(run, denv, origin.host)
        done = inspect(run, denv, origin.host)
        assert done.returncode != 0
        assert "first record does not look like a TLS handshake" in done.stderr, done.stderr
        assert origin.seen == []  # nothing reached the registry over http
        assert "get" in calls(tmp_path)  # docker did ask the helper
        answered = run("docker-credential-truto", "get", input=origin.host, env=denv)
        assert answered.returncode == 0 and json.loads(answered.stdout)["Secret"] == GOOD_TOKEN
    finally:
        origin.close()
