"""The Python API, truto_credential_helper.credentials(): profiles written by the installed `truto`
command, read in-process (and in a fresh interpreter where the process matters), checked against
the stub API; then the real truto-python-sdk from PyPI, on a Python it supports (3.12+)."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import requests
from cli_support import login
from conftest import GOOD_TOKEN, OTHER_TOKEN, ROOT, TRUTO_VARS

import truto_credential_helper
from truto_credential_helper import errors


@pytest.fixture
def api_env(env, monkeypatch):
    """The test process's own environment as `env` sets it for the console scripts."""
    for name in TRUTO_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRUTO_CONFIG_DIR", env["TRUTO_CONFIG_DIR"])
    return env


def test_credentials_of_the_active_profile_work_against_the_api(run, api_env, stub_api):
    login(run, stub_api, "work", env=api_env)
    assert run("truto", "profiles", "set", "defaultIntegratedAccount", "acct_42", env=api_env).returncode == 0
    c = truto_credential_helper.credentials()
    assert (c.api_url, c.token, c.default_integrated_account, c.profile) == (
        stub_api.url,
        GOOD_TOKEN,
        "acct_42",
        "work",
    )
    assert (c.token_source, c.api_url_source) == ("profile", "profile")
    answer = requests.get(c.api_url + "/team", headers={"Authorization": f"Bearer {c.token}"}, timeout=10)
    assert answer.status_code == 200 and answer.json()["name"] == "Acme Integrations"


def test_resolution_order_is_the_cli_s(run, api_env, stub_api, monkeypatch):
    login(run, stub_api, "first", env=api_env)
    login(run, stub_api, "second", OTHER_TOKEN, env=api_env)  # the active one now
    assert run("truto", "profiles", "set", "defaultIntegratedAccount", "acct_2", env=api_env).returncode == 0
    assert truto_credential_helper.credentials().token == OTHER_TOKEN
    assert truto_credential_helper.credentials(profile="first").token == GOOD_TOKEN
    monkeypatch.setenv("TRUTO_PROFILE", "first")
    assert truto_credential_helper.credentials().profile == "first"
    assert truto_credential_helper.credentials(profile="second").profile == "second"  # argument > environment
    monkeypatch.setenv("TRUTO_API_TOKEN", "tok-from-env-000")
    monkeypatch.setenv("TRUTO_API_URL", "https://env.example.com/")
    c = truto_credential_helper.credentials()
    assert (c.token, c.token_source, c.api_url, c.api_url_source) == (
        "tok-from-env-000",
        "environment",
        "https://env.example.com",
        "environment",
    )
    assert c.profile is None and c.default_integrated_account is None  # nothing of it came from a profile
    c = truto_credential_helper.credentials(token="tok-arg-111", api_url="https://arg.example.com")
    assert (c.token, c.token_source, c.api_url, c.api_url_source) == (
        "tok-arg-111",
        "argument",
        "https://arg.example.com",
        "argument",
    )
    monkeypatch.delenv("TRUTO_API_TOKEN")
    monkeypatch.delenv("TRUTO_API_URL")
    monkeypatch.delenv("TRUTO_PROFILE")
    c = truto_credential_helper.credentials(token="tok-arg-111")  # URL still from the profile
    assert (c.api_url, c.api_url_source, c.profile) == (stub_api.url, "profile", "second")


def test_default_api_url_with_only_a_token(api_env):
    c = truto_credential_helper.credentials(token="tok-arg-222")
    assert (c.api_url, c.api_url_source, c.profile, c.default_integrated_account) == (
        "https://api.truto.one",
        "default",
        None,
        None,
    )


def test_repr_never_shows_the_token(run, api_env, stub_api):
    login(run, stub_api, env=api_env)
    c = truto_credential_helper.credentials()
    for text in (repr(c), str(c), f"{c!r}", repr([c])):
        assert GOOD_TOKEN not in text and "<hidden>" in text
    assert stub_api.url in repr(c)


def test_exceptions_share_one_public_base(run, api_env, stub_api, config_dir):
    public = truto_credential_helper
    for name in (
        "NotLoggedIn",
        "SecretStoreUnavailable",
        "ConfigError",
        "UsageError",
        "TokenRejected",
        "ApiUnavailable",
    ):
        assert getattr(public, name) is getattr(errors, name) and issubclass(getattr(public, name), public.TrutoError)
        assert name in public.__all__ and name in dir(public)
    with pytest.raises(public.NotLoggedIn, match="truto login"):
        public.credentials()
    login(run, stub_api, "work", env=api_env)
    with pytest.raises(public.NotLoggedIn, match="no profile '\\*\\*\\*\\*' \\(4 characters\\)"):  # not repeated
        public.credentials(profile="nope")
    # A stored token is not handed out for another origin, as every command refuses to send it there.
    with pytest.raises(public.UsageError, match="not for another origin"):
        public.credentials(api_url="https://elsewhere.example.com")
    with pytest.raises(public.UsageError, match="plain http"):
        public.credentials(token="t", api_url="http://api.example.com")
    (config_dir / "config.json").write_text("{ not json")
    with pytest.raises(public.ConfigError, match="not valid JSON"):
        public.credentials()
    with pytest.raises(AttributeError):
        public.no_such_name  # noqa: B018


# A fresh interpreter: what the import costs, and the keyring when there is no D-Bus session.
PROBE = """
import json, sys
import truto_credential_helper as t
loaded_by_import = sorted(m for m in sys.modules if m.startswith("truto_credential_helper."))
try:
    c = t.credentials()
    outcome = {"token": c.token}
except t.TrutoError as e:
    outcome = {"error": type(e).__name__, "exit_code": e.exit_code, "message": str(e)}
heavy = sorted(m for m in ("requests", "urllib3", "jsonschema", "keyring", "argparse", "subprocess")
               if m in sys.modules)
print(json.dumps({"loaded_by_import": loaded_by_import, "outcome": outcome, "heavy": heavy}))
"""


def probe(run, env, cwd):
    done = run(sys.executable, "-c", PROBE, env=env, cwd=cwd)  # cwd: the installed package, not the tree
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_import_is_cheap_and_credentials_imports_nothing_heavy(run, env, stub_api, tmp_path):
    login(run, stub_api, env=env)
    seen = probe(run, env, tmp_path)
    assert seen["loaded_by_import"] == []  # `import truto_credential_helper` is on every `get`
    assert seen["outcome"] == {"token": GOOD_TOKEN}
    assert seen["heavy"] == []


def test_unavailable_keyring_is_secret_store_unavailable(run, env, stub_api, no_dbus_env, tmp_path):
    login(run, stub_api, env=env)
    seen = probe(run, no_dbus_env, tmp_path)
    assert seen["outcome"]["error"] == "SecretStoreUnavailable" and seen["outcome"]["exit_code"] == 6
    assert "keyring" in seen["outcome"]["message"]


# ---------------------------------------------------------------------------------------------
# The real truto-python-sdk (it requires Python 3.12+)

SDK = "truto-python-sdk"
SDK_SCRIPT = """
import asyncio, sys
import truto_credential_helper
from truto_python_sdk import TrutoApi

c = truto_credential_helper.credentials()
api = TrutoApi(token=c.token, base_url=c.api_url)
page = asyncio.run(api.api_tokens.list(limit=2).next_page())
print(" ".join(item["id"] for item in page))
"""


def python_for_sdk():
    """A Python >= 3.12 on this machine: pyenv's, else python3.X on PATH; None when there is none."""
    candidates = []
    if shutil.which("pyenv"):
        for version in ("3.13", "3.12"):
            done = subprocess.run(["pyenv", "prefix", version], capture_output=True, text=True)
            if done.returncode == 0 and done.stdout.strip():
                candidates.append(os.path.join(done.stdout.strip().splitlines()[0], "bin", "python3"))
    candidates += [shutil.which(f"python3.{minor}") for minor in (14, 13, 12)]
    for path in candidates:
        if not path or not os.access(path, os.X_OK):
            continue
        done = subprocess.run(
            [path, "-c", "import sys, venv; print(sys.version_info >= (3, 12))"], capture_output=True, text=True
        )
        if done.returncode == 0 and done.stdout.strip() == "True":
            return path
    return None


def sdk_venv(python):
    """A venv with the SDK and this package's dependencies, built once per machine in a cache outside
    the work tree (built aside, then renamed into place, so two runs never share a half-built one)."""
    version = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True, check=True
    ).stdout.strip()
    requirements = [SDK, "keyring>=23", "requests>=2.25", "jsonschema>=4.18", "setuptools>=61", "wheel"]
    key = hashlib.sha256(json.dumps([version, requirements]).encode()).hexdigest()[:12]
    cache = os.environ.get("TRUTO_SDK_CACHE") or os.path.join(tempfile.gettempdir(), f"truto-sdk-cache-{os.getuid()}")
    target = os.path.join(cache, f"py{version}-{key}")
    if os.path.exists(os.path.join(target, ".ready")):
        return target
    os.makedirs(cache, exist_ok=True)
    build = tempfile.mkdtemp(prefix=".build.", dir=cache)
    try:
        subprocess.run([python, "-m", "venv", build], check=True, capture_output=True)
        done = subprocess.run(
            [os.path.join(build, "bin", "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
            + requirements,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.fail(f"installing {SDK} from PyPI failed: {done.stderr.strip()[-500:]}")
        Path(build, ".ready").touch()
        try:
            os.rename(build, target)  # a venv does not care where it was built from (no scripts run)
        except OSError:
            pass  # another run finished first: use its venv
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return target


@pytest.fixture(scope="module")
def sdk_python(tmp_path_factory):
    python = python_for_sdk()
    if python is None:
        pytest.skip(f"{SDK} needs Python 3.12 or newer, and this machine has none (pyenv or python3.12+ on PATH)")
    venv = sdk_venv(python)
    # This package, installed fresh for this run into a private directory put first on sys.path.
    src = tmp_path_factory.mktemp("src")
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for name in ("truto_credential_helper", "schemas", "launchers"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    site = tmp_path_factory.mktemp("site")
    venv_python = os.path.join(venv, "bin", "python")
    done = subprocess.run(
        [
            venv_python,
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(src),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return venv_python, str(site)


def test_truto_python_sdk_calls_the_api_with_these_credentials(run, env, stub_api, sdk_python, tmp_path):
    python, site = sdk_python
    login(run, stub_api, env=env)
    e = dict(env, PYTHONPATH=site)
    done = run(python, "-c", SDK_SCRIPT, env=e, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["tok_000", "tok_001"]
    sdk_requests = [(path, headers) for _, path, headers in stub_api.state.requests if path.startswith("/api-token")]
    assert len(sdk_requests) == 1
    assert sdk_requests[0][1]["Authorization"] == f"Bearer {GOOD_TOKEN}"
    assert "aiohttp" in sdk_requests[0][1].get("User-Agent", "")  # it really was the SDK's client
