"""nox sessions. `quick`: the in-process tier (tests/unit) on every Python the package supports,
run from the source tree with only the package's requirements and its test tools installed, so a venv
made once per Python serves every later run. Use it through `scripts/test --quick`, which puts
pyenv's interpreters on PATH and installs nox; the full suite is `scripts/test`."""

import configparser
import hashlib
import os
import sys

import nox

# setup.cfg's python_requires (>=3.9) up to the newest release.
PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
DEFAULT = f"{sys.version_info[0]}.{sys.version_info[1]}"
if DEFAULT not in PYTHONS:
    PYTHONS.append(DEFAULT)  # a newer default python still runs the tier

nox.options.sessions = ["quick"]
nox.options.reuse_venv = "yes"
nox.options.download_python = "never"  # only interpreters this machine has
nox.options.error_on_missing_interpreters = (
    False  # skipped and reported; scripts/test-quick always links the default python3
)


QUICK_TEST_TOOLS = ("pytest", "hypothesis", "pyyaml")


def requirements():
    """install_requires, pytest, hypothesis and pyyaml (the tier's property tests; pyyaml is the
    real parser the YAML output is read back with), read from setup.cfg (the one list of them).
    jeepney, the D-Bus decoder's reference, comes with keyring on Linux."""
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(os.path.dirname(os.path.abspath(__file__)), "setup.cfg"))
    needed = cfg["options"]["install_requires"].split()
    needed += [r for r in cfg["options.extras_require"]["test"].split() if r.startswith(QUICK_TEST_TOOLS)]
    return needed


@nox.session(python=PYTHONS)
def quick(session):
    needed = requirements()
    stamp = os.path.join(session.virtualenv.location, "requirements.installed")
    digest = hashlib.sha256("\n".join(needed).encode()).hexdigest()
    try:
        with open(stamp, encoding="utf-8") as f:
            current = f.read() == digest
    except FileNotFoundError:
        current = False
    if not current:  # installs only in a new venv or when setup.cfg's requirements change
        session.install(*needed)
        with open(stamp, "w", encoding="utf-8") as f:
            f.write(digest)
    # `python -m pytest` from the work tree imports the package from the sources (schemas too);
    # --confcutdir keeps the full suite's conftest (it needs the keyring session) out.
    # One worker per core (at most 4; TRUTO_TEST_WORKERS sets it, 0 for one process): the tier is
    # mostly computation (property tests), so cores, not waits, bound it.
    workers = int(os.environ.get("TRUTO_TEST_WORKERS") or min(os.cpu_count() or 1, 4))
    parallel = ["-n", str(workers)] if workers > 0 else []
    session.run("python", "-m", "pytest", "--confcutdir=tests/unit", "-q", *parallel, "tests/unit", *session.posargs)
