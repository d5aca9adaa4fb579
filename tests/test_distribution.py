"""The installed distribution as a user and a package index see it: every command and `python -m`
print its version (one source: the package's __version__, read into the metadata by setup.cfg),
`python -m truto_credential_helper` is `truto`, and the metadata says what it is, where it runs
and under which licence. scripts/release-check does the same on the built wheel in a clean venv."""

import sys
from importlib.metadata import distribution

import pytest
from conftest import BIN, GOOD_TOKEN

import truto_credential_helper

DIST = distribution("truto-credential-helper")
VERSION = DIST.version
PYTHON_VERSIONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]  # noxfile.py's PYTHONS


def test_the_installed_version_is_the_package_version():
    assert VERSION == truto_credential_helper.__version__


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["truto", "--version"], f"truto {VERSION}"),
        (["truto-credential-helper", "--version"], f"truto-credential-helper {VERSION}"),
        (["git-credential-truto", "--version"], f"git-credential-truto {VERSION}"),
        (["docker-credential-truto", "version"], f"docker-credential-truto (truto-credential-helper) {VERSION}"),
        (["docker-credential-truto", "--version"], f"docker-credential-truto (truto-credential-helper) {VERSION}"),
        ([sys.executable, "-m", "truto_credential_helper", "--version"], f"truto {VERSION}"),
        ([sys.executable, "-m", "truto_credential_helper.helper", "--version"], f"truto-credential-helper {VERSION}"),
    ],
)
def test_every_command_prints_the_installed_distribution_version(run, argv, expected):
    done = run(*argv)
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected + "\n"


def test_python_m_runs_the_truto_command(run):
    for args in ([], ["whoami"], ["profiles", "list"], ["no-such-command"]):
        launcher = run(BIN / "truto", *args)
        module = run(sys.executable, "-m", "truto_credential_helper", *args)
        assert (module.returncode, module.stdout, module.stderr) == (
            launcher.returncode,
            launcher.stdout,
            launcher.stderr,
        )


def test_python_m_helper_serves_git_and_docker(run, env):
    e = dict(env, TRUTO_API_TOKEN=GOOD_TOKEN)
    helper = [sys.executable, "-m", "truto_credential_helper.helper"]
    git = run(*helper, "get", input="protocol=https\nhost=api.truto.one\n\n", env=e)
    assert git.returncode == 0 and f"password={GOOD_TOKEN}\n" in git.stdout, git.stderr
    docker = run(*helper, "--protocol", "docker", "get", input="https://api.truto.one", env=e)
    assert docker.returncode == 0 and f'"{GOOD_TOKEN}"' in docker.stdout, docker.stderr


def test_the_metadata_says_what_it_is_where_it_runs_and_its_licence():
    meta = DIST.metadata
    classifiers = meta.get_all("Classifier")
    assert meta["Summary"].startswith("Truto API tokens")
    assert meta["Author"] and meta["Maintainer"]
    assert meta["Requires-Python"] == f">={PYTHON_VERSIONS[0]}"
    for version in PYTHON_VERSIONS:
        assert f"Programming Language :: Python :: {version}" in classifiers
    for classifier in (
        "Environment :: Console",
        "Topic :: Security",
        "License :: OSI Approved :: MIT License",
        "Operating System :: POSIX :: Linux",
        "Operating System :: MacOS",
    ):
        assert classifier in classifiers
    assert meta["License"] == "MIT"
    licence = [f for f in DIST.files if f.name == "LICENSE"]
    assert licence and "MIT License" in licence[0].read_text(encoding="utf-8")
