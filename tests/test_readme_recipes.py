"""The recipes of the README and docs/, run as written, so the documents cannot drift from the code.

Convention: under the headings below (each a '## ' heading of the document named with it), every
fenced block whose language is `sh` is run by bash (`set -euo pipefail`), `zsh` by zsh and `fish` by
fish (skipped when that shell is not installed), in order, in a temporary HOME, against the stub API.
Blocks in other languages are not run. A heading that disappears, or has no `sh` block, fails the test.
"""

import json
import re
import shutil

import pytest
from cli_support import login
from conftest import GOOD_TOKEN, OTHER_TOKEN, ROOT, files_containing
from helper_support import secrets_of

# heading -> the document holding it, relative to the repository root
SECTIONS = {
    "Use with git": "README.md",
    "Use with docker": "README.md",
    "Use in CI": "README.md",
    "Uninstall": "README.md",  # its `shell` blocks (pipx uninstall, rm -rf ~/.truto) are not run
    "truto doctor": "docs/troubleshooting.md",
    "Shell completion": "docs/commands.md",
    "Teams and CI at scale": "docs/secret-stores.md",  # run by tests/test_vault_readme.py, against OpenBao
}
RUNNERS = {"sh": ["bash", "-euo", "pipefail", "-c"], "zsh": ["zsh", "-euo", "pipefail", "-c"], "fish": ["fish", "-c"]}


def recipes(section):
    """[(language, code)] of the fenced blocks under '## section' of its document, in order."""
    doc = SECTIONS[section]
    text = (ROOT / doc).read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(section)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"{doc} has no '## {section}' section"
    blocks = re.findall(r"^```(\w*)\n(.*?)^```", match.group(1), re.S | re.M)
    found = [(lang, code) for lang, code in blocks if lang in RUNNERS]
    assert any(lang == "sh" for lang, _ in found), f"'## {section}' has no ```sh recipe"
    return found


def run_recipes(run, section, env, cwd):
    outputs = []
    for lang, code in recipes(section):
        if shutil.which(RUNNERS[lang][0]) is None:
            continue  # that shell is not installed here
        done = run(*RUNNERS[lang], code, env=env, cwd=cwd)
        assert done.returncode == 0, (
            f"{section} ({lang}) failed:\n{code}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        )
        assert GOOD_TOKEN not in done.stdout + done.stderr, f"{section} printed the token"
        outputs.append(done.stdout)
    return "".join(outputs)


@pytest.fixture
def home_env(env, tmp_path):
    """A fresh HOME holding git's and docker's config, as on a user's machine."""
    home = tmp_path / "home"
    home.mkdir()
    e = dict(env, HOME=str(home), XDG_DATA_HOME=str(home / ".local/share"), XDG_CONFIG_HOME=str(home / ".config"))
    e.pop("DOCKER_CONFIG")
    return e


def test_sections_exist_with_runnable_recipes():
    for section in SECTIONS:
        recipes(section)


def test_use_with_git(run, home_env, stub_api, tmp_path):
    login(run, stub_api, env=home_env)
    out = run_recipes(run, "Use with git", home_env, tmp_path)
    assert "password=****" in out and f"host={stub_api.url.split('://')[1]}" in out
    assert "truto" in (tmp_path / "home" / ".gitconfig").read_text()


def test_use_with_docker(run, home_env, stub_api, tmp_path):
    login(run, stub_api, env=home_env)
    out = run_recipes(run, "Use with docker", home_env, tmp_path)
    assert '"truto"' in out and out.rstrip().endswith("default")
    assert "credHelpers" in (tmp_path / "home" / ".docker" / "config.json").read_text()


def test_use_in_ci(run, home_env, stub_api, tmp_path):
    ci = dict(home_env, TRUTO_API_TOKEN=GOOD_TOKEN, TRUTO_API_URL=stub_api.url)
    ci.pop("DBUS_SESSION_BUS_ADDRESS")  # a CI container: no keyring at all
    out = run_recipes(run, "Use in CI", ci, tmp_path)
    assert "Acme Integrations" in out
    assert not (tmp_path / "truto-config").exists()  # nothing written to config.json


def test_uninstall_leaves_no_profile_secret_or_wiring(run, home_env, stub_api, tmp_path, config_dir):
    login(run, stub_api, env=home_env)
    login(run, stub_api, "other", OTHER_TOKEN, "--secret-store", "file", env=home_env)
    for profile in ("default", "other"):
        for setup in ("setup-git", "setup-docker"):
            done = run("truto", "-p", profile, "auth", setup, env=home_env)
            assert done.returncode == 0, done.stderr
    home = tmp_path / "home"
    assert "truto" in (home / ".gitconfig").read_text() and secrets_of(config_dir)
    run_recipes(run, "Uninstall", home_env, tmp_path)
    listed = run("truto", "profiles", "list", "-o", "json", env=home_env)
    assert listed.returncode == 0 and json.loads(listed.stdout) == [], listed.stdout
    assert "truto" not in (home / ".gitconfig").read_text()
    assert not json.loads((home / ".docker" / "config.json").read_text()).get("credHelpers")
    assert secrets_of(config_dir) == {}
    for token in (GOOD_TOKEN, OTHER_TOKEN):
        assert files_containing(tmp_path, token) == []


def test_troubleshooting(run, home_env, stub_api, tmp_path):
    login(run, stub_api, env=home_env)
    out = run_recipes(run, "truto doctor", home_env, tmp_path)
    assert "keyring" in out and '"ok": true' in out


def test_shell_completion(run, home_env, tmp_path):
    run_recipes(run, "Shell completion", home_env, tmp_path)
    home = tmp_path / "home"
    assert "complete -F _truto truto" in (home / ".local/share/bash-completion/completions/truto").read_text()
    if shutil.which("zsh"):
        assert "#compdef truto" in (home / ".zfunc/_truto").read_text()
    if shutil.which("fish"):
        assert "__truto_complete" in (home / ".config/fish/completions/truto.fish").read_text()
