"""Fixtures and checks shared by the adversarial tests."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BIN, ROOT, stub_api_module

HERE = Path(__file__).resolve().parent
SCHEMA = ROOT / "schemas" / "config.schema.json"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def new_canary():
    # Looks like a token, unique per test, long enough that a masked form (last 4) cannot match it.
    return "tok-canary-" + secrets.token_hex(12)


@pytest.fixture
def canary():
    return new_canary()


@pytest.fixture
def canary_api(canary):
    """The stub Truto API accepting only the canary token."""
    server = stub_api_module.make_server([canary])
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def hostile():
    """hostile(*behaviours, host=..., tls_context=...) -> a started HostileServer, stopped after the test."""
    from .hostile import HostileServer

    servers = []

    def make(*behaviours, **kw):
        server = HostileServer(behaviours, **kw)
        servers.append(server)
        return server

    yield make
    for s in servers:
        s.stop()


def no_traceback(proc):
    out = _text(proc.stdout) + _text(proc.stderr)
    assert "Traceback" not in out, out
    assert 'File "' not in out, out


def error_lines(text):
    """The lines of an error output that are not warnings."""
    return [line for line in _text(text).splitlines() if line.strip() and "warning:" not in line]


def assert_clean_error(proc, code=None, where="stderr", mentions=()):
    """A failure the way the team's rules want it: the documented exit code (or any non-zero one),
    exactly one line of error, every word of `mentions` in it, no traceback."""
    no_traceback(proc)
    if code is None:
        assert proc.returncode != 0, (proc.returncode, proc.stdout, proc.stderr)
    else:
        assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    lines = error_lines(proc.stderr if where == "stderr" else proc.stdout)
    assert len(lines) == 1, lines
    for word in mentions:
        assert word.lower() in lines[0].lower(), (word, lines[0])
    return lines[0]


def assert_no_secret(secret, *texts):
    for t in texts:
        t = _text(t)
        assert secret not in t, t
        assert secret[len(secret) // 2 :] not in t, t  # nor a tail longer than a mask's 4 characters


def _text(value):
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def git_input(**attrs):
    return "".join(f"{k}={v}\n" for k, v in attrs.items()) + "\n"


def load_schema_validator():
    import jsonschema

    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    return jsonschema.validators.validator_for(schema)(schema)


def assert_valid_config(path):
    """config.json parses and satisfies the schema, checked here independently of our code."""
    with open(path, "rb") as f:
        doc = json.loads(f.read().decode("utf-8"))
    errors = list(load_schema_validator().iter_errors(doc))
    assert not errors, [e.message for e in errors]
    return doc


def login(run, env, name, token, api_url, *extra, check=True):
    proc = run(
        BIN / "truto", "login", "--token", token, "--api-url", api_url, "--profile-name", name, "-f", *extra, env=env
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def python_in_venv():
    return str(Path(sys.executable))


def spawn(argv, env, stdin_bytes=None):
    """Popen with pipes; the caller owns the process."""
    proc = subprocess.Popen(
        [str(a) for a in argv], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    return proc


@pytest.fixture
def canary_profile(run, env, canary_api, canary):
    """Profile 'p' (the active one) logged in to the canary API with the canary token; the API server."""
    login(run, env, "p", canary, canary_api.url)
    return canary_api
