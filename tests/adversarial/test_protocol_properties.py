"""4 (property-based). Random bytes and random but well-formed requests for both protocols: never a
traceback or an internal error, never a hang, never a secret for an origin that was not stored.

Most examples run in-process through helper.run() with redirected stdin/stdout (a subprocess per
example would take minutes); a smaller sample goes through the installed console scripts.
The oracle below is written independently of credential.py: same origin = same scheme, same
lower-cased host, same port (the scheme's default when none is given)."""

import io
import json
import os
import subprocess
import threading
from contextlib import contextmanager, redirect_stderr

import pytest
from conftest import BIN, TRUTO_VARS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import git_input, new_canary

STORED = {  # secret suffix -> (scheme, host, port, username)
    "git": ("https", "stored.example", 443, "alice"),
    "docker": ("https", "registry.example", 5000, "bob"),
}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=False)
SUBPROCESS_SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A config dir holding one credential stored by git and one by docker, each with its own canary."""
    root = tmp_path_factory.mktemp("props")
    env = {k: v for k, v in os.environ.items() if k not in TRUTO_VARS}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["TRUTO_CONFIG_DIR"] = str(root / "cfg")
    secrets = {"git": new_canary(), "docker": new_canary()}
    p = subprocess.run(
        [str(BIN / "git-credential-truto"), "store"],
        env=env,
        capture_output=True,
        text=True,
        input=git_input(protocol="https", host="stored.example", username="alice", password=secrets["git"]),
    )
    assert p.returncode == 0, p.stderr
    p = subprocess.run(
        [str(BIN / "docker-credential-truto"), "store"],
        env=env,
        capture_output=True,
        text=True,
        input=json.dumps({"ServerURL": "registry.example:5000", "Username": "bob", "Secret": secrets["docker"]}),
    )
    assert p.returncode == 0, p.stdout
    return env, secrets


@contextmanager
def environment(env):
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_in_process(env, protocol, action, data, hang_guard=30):
    """(exit code, stdout bytes, stderr text) of helper.run; fails the test on a hang or an escape."""
    from truto_credential_helper import helper

    out, err, result = io.BytesIO(), io.StringIO(), {}

    def target():
        try:
            with redirect_stderr(err):
                result["code"] = helper.run(protocol, action, stdin=io.BytesIO(data), stdout=out)
        except BaseException as e:  # anything escaping run() would be a traceback for the user
            result["escaped"] = e

    with environment(env):
        t = threading.Thread(target=target, daemon=True)
        t.start()
        t.join(hang_guard)
    assert not t.is_alive(), f"helper {protocol} {action} hung on {data[:200]!r}"
    assert "escaped" not in result, repr(result["escaped"])
    text = out.getvalue().decode("utf-8", "replace") + err.getvalue()
    assert "unexpected internal error" not in text, (data[:300], text)
    return result["code"], out.getvalue(), err.getvalue()


def canon(scheme, hostport):
    """(scheme, host, port) or None when hostport is not a plain host[:port]."""
    scheme = scheme.lower()
    default = {"https": 443, "http": 80}.get(scheme)
    if hostport.startswith("["):
        host, _, rest = hostport.partition("]")
        host += "]"
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = hostport.partition(":")
    if port == "":
        port = default
    elif port.isascii() and port.isdigit():
        port = int(port)
    else:
        return None
    return scheme, host.lower(), port


def leaked(secrets, output):
    return [k for k, s in secrets.items() if s.encode() in output]


# --- random bytes


@SETTINGS
@given(data=st.binary(max_size=600))
def test_random_bytes_git_get(world, data):
    env, secrets = world
    code, out, err = run_in_process(env, "git", "get", data)
    for k in leaked(secrets, out + err.encode()):
        # Only a request that names that host (or names no origin at all: the documented
        # "empty request answers the selected profile") may get the secret.
        host = STORED[k][1].encode()
        assert host in data.lower() or not (b"host=" in data or b"url=" in data), (data, k)
    assert not leaked(secrets, err.encode())


@SETTINGS
@given(data=st.binary(max_size=600))
def test_random_bytes_docker_get(world, data):
    env, secrets = world
    code, out, err = run_in_process(env, "docker", "get", data)
    assert code in (0, 1)
    for k in leaked(secrets, out):
        assert STORED[k][1].encode() in data.lower(), (data, k)


@SETTINGS
@given(data=st.one_of(st.binary(max_size=400), st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_random_bytes_erase_never_removes_an_unnamed_credential(world, data):
    env, secrets = world
    for protocol in ("git", "docker"):
        run_in_process(env, protocol, "erase", data)
    for k, (scheme, host, port, user) in STORED.items():
        if host.encode() in data.lower():
            continue
        code, out, _ = run_in_process(env, "git", "get", git_input(protocol=scheme, host=f"{host}:{port}").encode())
        assert secrets[k].encode() in out, f"erase of {data!r} removed the {k} credential"


# --- random but well-formed requests

HOSTS = st.sampled_from(
    [
        "stored.example",
        "STORED.Example",
        "stored.example:443",
        "stored.example:8443",
        "stored.example:80",
        "stored.example.",
        "evil.stored.example",
        "stored.example.evil",
        "stored.examp\u0435",
        "registry.example:5000",
        "registry.example",
        "REGISTRY.EXAMPLE:5000",
        "registry.example:05000",
        "registry.example:5001",
        "registry.example:443",
        "127.0.0.1",
        "[::1]:5000",
        "localhost",
    ]
) | st.text(alphabet=st.characters(blacklist_characters="\n\r\0", blacklist_categories=("Cs",)), max_size=40)
CANONICAL_SPELLINGS = {
    "stored.example",
    "STORED.Example",
    "stored.example:443",
    "registry.example:5000",
    "REGISTRY.EXAMPLE:5000",
}
SCHEMES = st.sampled_from(["https", "http", "HTTPS", "Https", "ftp", "", "git", "ssh"])
USERS = st.sampled_from([None, "alice", "bob", "ALICE", "", "mallory"])
PATHS = st.sampled_from([None, "", "v1", "a/b", "../x"])


@st.composite
def git_requests(draw):
    attrs = {}
    form = draw(st.sampled_from(["fields", "url"]))
    scheme, host = draw(SCHEMES), draw(HOSTS)
    user, path = draw(USERS), draw(PATHS)
    if form == "fields":
        attrs["protocol"] = scheme
        attrs["host"] = host
        if path is not None:
            attrs["path"] = path
        if user is not None:
            attrs["username"] = user
    else:
        attrs["url"] = f"{scheme}://" + (f"{user}@" if user else "") + host + (f"/{path}" if path else "")
    if draw(st.booleans()):
        attrs["capability[]"] = "authtype"
    return attrs, scheme, host, user


@SETTINGS
@given(req=git_requests())
def test_well_formed_git_requests_only_get_their_own_origin(world, req):
    env, secrets = world
    attrs, scheme, host, user = req
    code, out, err = run_in_process(env, "git", "get", git_input(**attrs).encode())
    asked = canon(scheme, host)
    for k in leaked(secrets, out):
        s_scheme, s_host, s_port, s_user = STORED[k]
        assert asked == (s_scheme, s_host, s_port), (attrs, k)
        assert user in (None, "", s_user), (attrs, k)  # an empty user name in a url is no user name
    if asked is not None and user is None and "url" not in attrs:
        # And the positive side, so the property is not vacuous: the stored origin is answered.
        if host in CANONICAL_SPELLINGS:
            for k, (s_scheme, s_host, s_port, _) in STORED.items():
                if asked == (s_scheme, s_host, s_port):
                    assert secrets[k].encode() in out, (attrs, out, err)


@st.composite
def docker_urls(draw):
    scheme = draw(st.sampled_from([None, "https", "http", "HTTPS", "ftp"]))
    host = draw(HOSTS)
    tail = draw(st.sampled_from(["", "/", "/v1/", "/v2"]))
    return (f"{scheme}://" if scheme else "") + host + tail, scheme or "https", host


@SETTINGS
@given(req=docker_urls())
def test_well_formed_docker_urls_only_get_their_own_origin(world, req):
    env, secrets = world
    url, scheme, host = req
    code, out, err = run_in_process(env, "docker", "get", url.encode())
    for k in leaked(secrets, out):
        s_scheme, s_host, s_port, _ = STORED[k]
        assert canon(scheme, host) == (s_scheme, s_host, s_port), (url, k)


# --- the same properties through the installed console scripts (a smaller sample)


def run_script(env, name, action, data):
    p = subprocess.run([str(BIN / name), action], env=env, input=data, capture_output=True, timeout=60)
    text = (p.stdout + p.stderr).decode("utf-8", "replace")
    assert "Traceback" not in text and "unexpected internal error" not in text, (data, text)
    return p


@SUBPROCESS_SETTINGS
@given(data=st.binary(max_size=300))
def test_random_bytes_through_the_git_script(world, data):
    env, secrets = world
    p = run_script(env, "git-credential-truto", "get", data)
    for k in leaked(secrets, p.stdout):
        assert STORED[k][1].encode() in data.lower() or not (b"host=" in data or b"url=" in data)
    assert not leaked(secrets, p.stderr)


@SUBPROCESS_SETTINGS
@given(req=git_requests())
def test_well_formed_requests_through_the_git_script(world, req):
    env, secrets = world
    attrs, scheme, host, user = req
    p = run_script(env, "git-credential-truto", "get", git_input(**attrs).encode())
    for k in leaked(secrets, p.stdout):
        assert canon(scheme, host) == STORED[k][:3], (attrs, k)


@SUBPROCESS_SETTINGS
@given(req=docker_urls())
def test_well_formed_urls_through_the_docker_script(world, req):
    env, secrets = world
    url, scheme, host = req
    p = run_script(env, "docker-credential-truto", "get", url.encode())
    assert p.returncode in (0, 1)
    for k in leaked(secrets, p.stdout):
        assert canon(scheme, host) == STORED[k][:3], (url, k)
