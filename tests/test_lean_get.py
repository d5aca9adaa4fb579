"""A `get` runs once per git fetch or docker pull, so its import graph is part of its contract
(docs/performance.md): these tests run the installed console scripts exactly as git and docker do, and read the
process's sys.modules at exit. Timings live in scripts/bench; this guards the structure that makes
them possible: no HTTP client, no schema validator, no `keyring` (the Secret Service is read directly),
and none of the heavy standard-library modules a helper does not need.
"""

import json
import sys

import pytest
from conftest import BIN, GOOD_TOKEN
from lean_get_support import GIT_GET, gets_by_every_entry_point, heavy_in

# Run a console script as its own __main__ (as the exec of the real script would) and write
# sys.modules to a file at exit; atexit is a builtin module, so the probe adds nothing else.
PROBE = """
import atexit, sys
out, script = sys.argv[1], sys.argv[2]
atexit.register(lambda: open(out, "w").write("\\n".join(sorted(sys.modules))))
sys.argv = sys.argv[2:]
sys.path[0] = script.rpartition("/")[0]  # as when the script is run: its bin dir, not the cwd
with open(script) as f:
    code = compile(f.read(), script, "exec")
exec(code, {"__name__": "__main__", "__file__": script})
"""


@pytest.fixture
def imports_of(run, tmp_path):
    """imports_of(script, *args, input=..., env=...) -> (CompletedProcess, set of module names)."""
    counter = iter(range(1000))

    def _imports_of(script, *args, input="", env=None):
        out = tmp_path / f"modules-{next(counter)}.txt"
        r = run(sys.executable, "-c", PROBE, out, BIN / script, *args, input=input, env=env)
        return r, set(out.read_text().split("\n"))

    return _imports_of


SAVE_PROFILE = """
import sys
from truto_credential_helper.profiles import Profiles
with Profiles(sys.argv[1]).edit() as edit:
    if sys.argv[2] == "save":
        edit.save_profile("default", {"apiUrl": "https://api.truto.one"}, secrets={"apiToken": sys.argv[3]})
    else:
        edit.remove_profile("default")
"""


@pytest.fixture
def keyring_profile(run, config_dir, tmp_path):
    """A profile saved by the installed package, as `truto login` saves it (and so with the
    validation cache the installed schema file keys)."""

    def store(*args):
        r = run(sys.executable, "-c", SAVE_PROFILE, config_dir, *args, cwd=tmp_path)  # cwd: not the source tree
        assert r.returncode == 0, r.stderr

    store("save", GOOD_TOKEN)
    yield
    store("remove")


@pytest.mark.parametrize(
    "script, args, request_text, answered",
    gets_by_every_entry_point(GOOD_TOKEN),
)
def test_get_via_keyring_is_lean(imports_of, keyring_profile, script, args, request_text, answered):
    r, modules = imports_of(script, *args, input=request_text)
    assert r.returncode == 0, r.stderr
    assert answered in r.stdout.replace('":"', '": "')
    assert "truto_credential_helper.secrets.secret_service" in modules  # the fast path answered
    assert heavy_in(modules) == []


def test_get_with_no_match_is_lean(imports_of, keyring_profile):
    r, modules = imports_of("git-credential-truto", "get", input="protocol=https\nhost=other.example\n\n")
    assert r.returncode == 0 and r.stdout == "", (r.stdout, r.stderr)
    assert heavy_in(modules) == [], " ".join(heavy_in(modules))
    assert "truto_credential_helper.secrets.secret_service" not in modules  # no secret read for no match


@pytest.mark.parametrize(
    "script, request_text, answered",
    [
        ("git-credential-truto", GIT_GET, f"password={GOOD_TOKEN}"),
        ("docker-credential-truto", "https://api.truto.one", GOOD_TOKEN),
    ],
)
def test_get_via_environment_token_is_lean(imports_of, no_dbus_env, script, request_text, answered):
    env = dict(no_dbus_env, TRUTO_API_TOKEN=GOOD_TOKEN)
    r, modules = imports_of(script, "get", input=request_text, env=env)
    assert r.returncode == 0, r.stderr
    assert answered in r.stdout
    assert heavy_in(modules) == []
    assert not any(m.startswith("truto_credential_helper.secrets.") for m in modules)  # no store touched


def test_edited_config_is_validated_once_then_cached(imports_of, keyring_profile, config_dir):
    """The cache only skips validation for bytes already validated: a hand-edited config.json is
    validated by the first get (by the schema's own keywords, without jsonschema, for a valid file)
    and not again by the next."""
    path = config_dir / "config.json"
    doc = json.loads(path.read_text())
    path.write_text(json.dumps(doc, indent=4) + "\n")  # same content, new bytes
    r, modules = imports_of("git-credential-truto", "get", input=GIT_GET)
    assert r.returncode == 0 and f"password={GOOD_TOKEN}" in r.stdout, r.stderr
    assert "truto_credential_helper.schema_subset" in modules
    assert "jsonschema" not in modules
    r, modules = imports_of("git-credential-truto", "get", input=GIT_GET)
    assert r.returncode == 0 and f"password={GOOD_TOKEN}" in r.stdout, r.stderr
    assert "truto_credential_helper.schema_subset" not in modules
    assert heavy_in(modules) == []


def test_edited_config_the_subset_cannot_judge_is_validated_by_jsonschema(imports_of, keyring_profile, config_dir):
    """A float where the schema wants an integer: only jsonschema knows 4102444800.0 is one."""
    path = config_dir / "config.json"
    doc = json.loads(path.read_text())
    doc["profiles"]["default"]["passwordExpiryUtc"] = 4102444800.0  # 2100, as a float
    path.write_text(json.dumps(doc))
    r, modules = imports_of("git-credential-truto", "get", input=GIT_GET)
    assert r.returncode == 0 and f"password={GOOD_TOKEN}" in r.stdout, r.stderr
    assert "jsonschema" in modules


# What a write may import beyond a get's: json to write config.json (and what it imports),
# re for the profile-name rule and the schema's patterns. Never keyring, jsonschema, tempfile.
WRITE_ALLOWS = ("json", "re", "enum", "functools", "collections", "contextlib")
STORE = "protocol=https\nhost=store.example.test\nusername=someone\npassword=" + GOOD_TOKEN + "\n\n"


@pytest.mark.parametrize(
    "script, stored, erased",
    [
        ("git-credential-truto", STORE, STORE),
        (
            "docker-credential-truto",
            json.dumps({"ServerURL": "https://registry.example.test", "Username": "someone", "Secret": GOOD_TOKEN}),
            "https://registry.example.test",
        ),
    ],
)
def test_store_and_erase_via_keyring_are_lean(imports_of, config_dir, script, stored, erased):
    """A store of a new credential, then the erase of it: both through the direct Secret Service
    channel (keyring would write there too), so neither imports keyring or jsonschema."""
    for action, request_text in (("store", stored), ("erase", erased)):
        r, modules = imports_of(script, action, input=request_text)
        assert r.returncode == 0, r.stderr
        assert "truto_credential_helper.secrets.secret_service" in modules, action  # the direct channel did it
        heavy = [m for m in heavy_in(modules) if not any(m == a or m.startswith(a + ".") for a in WRITE_ALLOWS)]
        assert heavy == [], (action, heavy)
    assert json.loads((config_dir / "config.json").read_text())["profiles"] == {}  # the erase did erase


def test_probe_sees_keyring_when_the_fast_path_steps_aside(imports_of, keyring_profile, env):
    """The same probe with another keyring backend configured: keyring answers, and the probe says so
    (so an empty heavy_in() above is a measurement, not a blind spot)."""
    env = dict(env, PYTHON_KEYRING_BACKEND="keyring.backends.SecretService.Keyring")
    r, modules = imports_of("git-credential-truto", "get", input=GIT_GET, env=env)
    assert r.returncode == 0 and f"password={GOOD_TOKEN}" in r.stdout, r.stderr
    assert "keyring" in heavy_in(modules)


# A Vault profile's get speaks HTTP over a socket with its own small reader: not http.client (nor the
# email package it parses headers with), urllib, json or re (the idna codec brings re). socket itself
# imports enum, functools and, by selectors, collections: nothing else of HEAVY, never hvac or requests.
VAULT_GET_ALLOWS = ("collections", "functools", "enum")


def test_get_via_vault_is_lean(imports_of, run, env, tmp_path):
    from vault_support import READ_POLICY, start_dev, vault_login

    server = start_dev(tmp_path / "bao")
    try:
        server.standard_policies()
        server.kv_put("teams/lean", {"apiToken": GOOD_TOKEN})
        e = dict(env, HOME=str(tmp_path), VAULT_TOKEN=server.token([READ_POLICY]))
        done = vault_login(run, server, "teams/lean", None, "--no-verify", env=e)
        assert done.returncode == 0, done.stderr
        r, modules = imports_of("git-credential-truto", "get", input=GIT_GET, env=e)
        assert r.returncode == 0 and f"password={GOOD_TOKEN}" in r.stdout, r.stderr
        assert "truto_credential_helper.secrets.vault" in modules  # Vault answered
        heavy = [m for m in heavy_in(modules) if not any(m == a or m.startswith(a + ".") for a in VAULT_GET_ALLOWS)]
        assert heavy == [], heavy
        assert not any(m.startswith(("urllib", "http", "encodings.idna")) for m in modules), sorted(modules)
        assert not any(m == "hvac" or m.startswith("hvac.") for m in modules)
    finally:
        server.stop()
