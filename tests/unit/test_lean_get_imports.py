"""The import graph of a credential `get` (docs/performance.md), checked in the quick tier: the
checkout's launchers run in a child `python -S -X importtime` as git and docker run the installed ones,
answered by the environment's token, by no profile, or by a scripted Secret Service on a real socket
(the fast path's D-Bus read), and nothing of lean_get_support.HEAVY may be imported. A failure names
the chain that brought the import in, read from importtime's nesting, and the line of ours that
started it. tests/test_lean_get.py checks the installed scripts against a real keyring and Vault.
"""

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from lean_get_support import GIT_GET, gets_by_every_entry_point, heavy_in

from truto_credential_helper.profiles import Profiles

from .secret_service_support import SESSION, ScriptedService

SOURCE = Path(__file__).resolve().parents[2]  # the checkout: its code, not an installed copy
LAUNCHERS = SOURCE / "launchers"
# The child runs with -S: what the interpreter's site step imports belongs to the environment, not to
# the package (a virtualenv's _virtualenv.pth, as in nox's venvs, imports typing and contextlib), and
# a module it had imported would hide the package importing it too. So site-packages is put on
# PYTHONPATH instead, after the checkout: the plugin scan reads it as an installed helper's would.
SEARCH_PATH = list(dict.fromkeys([str(SOURCE), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]))
TOKEN = "tok-lean-4f9c2e71d8a4b6"

# Run a launcher as its own __main__ (as the exec of the script would). At exit, write sys.modules
# and, for each import, the line that asked for it: an audit hook sees every import as it starts,
# and its caller is the first frame outside importlib. sys and atexit are builtin: nothing added.
PROBE = """
import sys
out, script = sys.argv[1], sys.argv[2]
callers = {}
def hook(event, args):
    if event == "import" and args[0] not in callers:
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename.startswith("<frozen"):
            frame = frame.f_back
        callers[args[0]] = "?" if frame is None else frame.f_code.co_filename + ":" + str(frame.f_lineno)
sys.addaudithook(hook)
import atexit
def dump():
    with open(out, "w") as f:
        f.write("\\n".join(sorted(sys.modules)) + "\\n\\n" + "\\n".join(k + " " + v for k, v in callers.items()))
atexit.register(dump)
sys.argv = sys.argv[2:]
sys.path[0] = script.rpartition("/")[0]  # as when the script is run: its directory, not the cwd
with open(script) as f:
    code = compile(f.read(), script, "exec")
exec(code, {"__name__": "__main__", "__file__": script})
"""


def importtime_entries(stderr):
    """[(depth, module)] of `-X importtime` lines, in their order: a module's line comes when its
    import ends, after those of what it imported, each of those indented two spaces more."""
    entries = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or line.endswith("| imported package"):
            continue
        field = line.split("|", 2)[2][1:]
        name = field.lstrip(" ")
        entries.append(((len(field) - len(name)) // 2, name))
    return entries


def chain(entries, module):
    """The modules whose imports nest down to `module`'s first import, outermost first, or None."""
    for i, (depth, name) in enumerate(entries):
        if name == module:
            found = [name]
            for outer_depth, outer in entries[i + 1 :]:
                if outer_depth < depth:
                    found.insert(0, outer)
                    depth = outer_depth
            return found
    return None


def explain(modules, entries, callers):
    """One line per heavy module that no other heavy one brought in: the import chain that did, and
    the line of ours (or of the standard library) where it started; then what those brought."""
    heavy = heavy_in(modules)
    lines, brought = [], []
    for module in heavy:
        found = chain(entries, module) or [module]
        if any(m in heavy for m in found[:-1]):
            brought.append(module)
            continue
        where = callers.get(found[0], "?")
        where = os.path.relpath(where, SOURCE) if where.startswith(str(SOURCE)) else where
        lines.append(f"{module}: {where} imports {' -> '.join(found)}")
    if brought:
        lines.append("and, imported by those: " + ", ".join(brought))
    return "\n".join(lines)


class Probe:
    def __init__(self, modules, entries, callers, done):
        self.modules, self.entries, self.callers, self.done = modules, entries, callers, done

    @property
    def heavy(self):
        """'' when nothing heavy was imported, else explain()'s lines."""
        return explain(self.modules, self.entries, self.callers)


@pytest.fixture
def child_env(tmp_path):
    """The hermetic environment, as a user's shell would have it for the fast path: no keyring
    setting (the tier's `fail` backend is for in-process code), the checkout on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if "KEYRING_PROPERTY_" not in k}
    for name in ("PYTHON_KEYRING_BACKEND", "XDG_CURRENT_DESKTOP", "DBUS_SESSION_BUS_ADDRESS", "PYTHONSTARTUP"):
        env.pop(name, None)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")  # no keyringrc.cfg there
    env["PYTHONPATH"] = os.pathsep.join(SEARCH_PATH)
    return env


@pytest.fixture
def probe(child_env, tmp_path):
    """probe(launcher, *args, input=..., env=...) -> Probe of that launcher's run."""
    counter = iter(range(1000))

    def _probe(launcher, *args, input="", env=None):
        out = tmp_path / f"probe-{next(counter)}.txt"
        done = subprocess.run(
            [sys.executable, "-S", "-X", "importtime", "-c", PROBE, str(out), str(LAUNCHERS / launcher), *args],
            input=input,
            capture_output=True,
            text=True,
            env=child_env if env is None else env,
            cwd=str(tmp_path),
            timeout=120,
        )
        if not out.exists():
            pytest.fail(f"the probe wrote nothing (exit {done.returncode}): {done.stderr[-2000:]}")
        modules, _, calls = out.read_text().partition("\n\n")
        callers = dict(line.split(" ", 1) for line in calls.splitlines())
        lines = done.stderr.splitlines()
        entries = importtime_entries("\n".join(line for line in lines if line.startswith("import time:")))
        done.stderr = "\n".join(line for line in lines if not line.startswith("import time:"))
        return Probe(set(modules.split("\n")), entries, callers, done)

    return _probe


@pytest.fixture
def bus(tmp_path, child_env):
    """A scripted Secret Service holding TOKEN, the child's session bus."""
    path = str(tmp_path / "bus")
    answers = {"GetSecret": ("(oayays)", ((SESSION, b"", TOKEN.encode(), "text/plain"),))}
    service = ScriptedService(path, lambda member, attempt: None, answers)
    child_env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=" + path
    yield service
    service.close()


@pytest.fixture
def keyring_profile(config_dir):
    """A profile whose token is in the OS keyring, saved as `truto login` saves it (the validation
    cache included); the token itself comes from the scripted service."""
    with Profiles(str(config_dir)).edit() as edit:
        edit.save_profile("default", {"apiUrl": "https://api.truto.one"}, secrets={"apiToken": TOKEN})


def test_the_chain_is_read_from_importtimes_nesting():
    """The reader itself, on importtime's own layout: a.b was imported by a, which imported c
    first; d alone, at the top (a function's import at run time)."""
    stderr = """import time: self [us] | cumulative | imported package
import time:       120 |        120 |     c.deep
import time:       200 |        320 |   c
import time:        50 |         50 |   a.b
import time:       300 |        670 | a
import time:        10 |         10 | d
"""
    entries = importtime_entries(stderr)
    assert entries == [(2, "c.deep"), (1, "c"), (1, "a.b"), (0, "a"), (0, "d")]
    assert chain(entries, "c.deep") == ["a", "c", "c.deep"]
    assert chain(entries, "a.b") == ["a", "a.b"]
    assert chain(entries, "d") == ["d"]
    assert chain(entries, "e") is None


def assert_lean(result, answered):
    assert result.done.returncode == 0, result.done.stderr
    assert answered in result.done.stdout.replace('":"', '": "')
    assert result.heavy == "", "a get imports what it must not (docs/performance.md):\n" + result.heavy


@pytest.mark.parametrize(
    "launcher, args, request_text, answered",
    gets_by_every_entry_point(TOKEN),
)
def test_get_via_the_secret_service_is_lean(probe, bus, keyring_profile, launcher, args, request_text, answered):
    result = probe(launcher, *args, input=request_text)
    assert_lean(result, answered)
    assert "truto_credential_helper.secrets.secret_service" in result.modules  # the fast path answered
    assert "GetSecret" in bus.connections[0]


def test_get_with_no_match_is_lean(probe, bus, keyring_profile):
    result = probe("git-credential-truto", "get", input="protocol=https\nhost=other.example\n\n")
    assert_lean(result, "")
    assert result.done.stdout == ""
    assert "truto_credential_helper.secrets.secret_service" not in result.modules  # no secret read for no match


@pytest.mark.parametrize(
    "launcher, request_text, answered",
    [
        ("git-credential-truto", GIT_GET, f"password={TOKEN}"),
        ("docker-credential-truto", "https://api.truto.one", TOKEN),
    ],
)
def test_get_via_environment_token_is_lean(probe, child_env, launcher, request_text, answered):
    result = probe(launcher, "get", input=request_text, env=dict(child_env, TRUTO_API_TOKEN=TOKEN))
    assert_lean(result, answered)
    assert not any(m.startswith("truto_credential_helper.secrets.") for m in result.modules)  # no store touched


def test_an_edited_config_is_validated_once_without_jsonschema(probe, bus, keyring_profile, config_dir):
    """A hand-edited config.json is validated by the first get (the schema's own keywords: re for
    its patterns, json to record the verdict), never by jsonschema, and the next get is lean again."""
    path = config_dir / "config.json"
    path.write_text(json.dumps(json.loads(path.read_text()), indent=4) + "\n")  # same content, new bytes
    first = probe("git-credential-truto", "get", input=GIT_GET)
    assert first.done.returncode == 0 and f"password={TOKEN}" in first.done.stdout, first.done.stderr
    assert "truto_credential_helper.schema_subset" in first.modules
    assert not any(m == "jsonschema" or m.startswith("jsonschema.") for m in first.modules), first.heavy
    again = probe("git-credential-truto", "get", input=GIT_GET)
    assert_lean(again, f"password={TOKEN}")
    assert "truto_credential_helper.schema_subset" not in again.modules


def test_a_heavy_import_is_reported_with_its_chain(probe, child_env, bus, keyring_profile):
    """The same probe with a keyring backend configured: keyring answers (its `fail` backend: an
    error), and the report names keyring's import, the line of ours that made it, and the chain
    that brought in what keyring imports."""
    result = probe(
        "git-credential-truto",
        "get",
        input=GIT_GET,
        env=dict(child_env, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring"),
    )
    lines = dict(line.split(": ", 1) for line in result.heavy.splitlines())
    assert lines["keyring"].startswith("truto_credential_helper/secrets/os_keyring.py:"), result.heavy
    assert lines["keyring"].endswith(" imports keyring"), result.heavy
    assert "keyring.core" in lines["and, imported by those"].split(", "), result.heavy  # keyring's own imports
