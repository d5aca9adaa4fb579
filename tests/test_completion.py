"""`truto completion`: the bash script sourced into a real bash, `complete -p truto`, then the
completion function called with COMP_WORDS/COMP_CWORD for partial words."""

import shutil

import pytest
from cli_support import login

BASH_DRIVER = r"""
set -e
source <(truto completion bash)
complete -p truto
words=("$@")
COMP_WORDS=("${words[@]}")
COMP_CWORD=$(( ${#words[@]} - 1 ))
COMP_LINE="${words[*]}"
COMP_POINT=${#COMP_LINE}
_truto
printf '%s\n' "${COMPREPLY[@]}"
"""


def bash_complete(run, *words, env=None):
    """Candidates bash offers for the last word (an empty string: the cursor after a space)."""
    done = run("bash", "-c", BASH_DRIVER, "bash", "truto", *words, env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "complete -F _truto truto"
    return [line for line in lines[1:] if line]


@pytest.fixture
def profiles(run, stub_api):
    for name in ("staging", "stage-eu", "prod"):
        login(run, stub_api, name)


def test_commands_and_subcommands(run):
    top = bash_complete(run, "")
    for command in ("login", "logout", "whoami", "profiles", "api-tokens", "auth", "doctor", "completion"):
        assert command in top
    assert bash_complete(run, "pro") == ["profile", "profiles"]
    assert bash_complete(run, "auth", "setup-") == ["setup-docker", "setup-git"]
    assert bash_complete(run, "profiles", "set") == ["set", "set-key"]


def test_options(run):
    assert bash_complete(run, "auth", "setup-git", "--") == sorted(
        ["--api-url", "--help", "--local", "--output", "--profile", "--quiet", "--remove", "--token", "--verbose"]
    )
    assert "--online" in bash_complete(run, "doctor", "--o")
    assert bash_complete(run, "whoami", "-o", "") == ["csv", "json", "ndjson", "table", "yaml"]
    assert bash_complete(run, "whoami", "--output", "j") == ["json"]
    assert bash_complete(run, "completion", "") == ["bash", "fish", "zsh"]


def test_profile_names(run, profiles):
    assert bash_complete(run, "whoami", "-p", "sta") == ["stage-eu", "staging"]
    assert bash_complete(run, "-p", "") == ["prod", "stage-eu", "staging"]
    assert bash_complete(run, "profiles", "use", "p") == ["prod"]
    assert bash_complete(run, "use", "stagi") == ["staging"]
    assert bash_complete(run, "logout", "--profile-name", "st") == ["stage-eu", "staging"]
    assert bash_complete(run, "whoami", "--profile", "=", "pr") == ["prod"]  # bash splits --profile=pr at '='


def test_only_options_taking_a_profile_complete_profile_names(run, profiles):
    # --name of api-tokens list is a token name, whatever its dest is called
    assert bash_complete(run, "api-tokens", "list", "--name", "") == []
    assert bash_complete(run, "api-tokens", "list", "-p", "pr") == ["prod"]
    assert bash_complete(run, "login", "--profile-name", "pr") == ["prod"]
    assert bash_complete(run, "auth", "-p", "pr") == ["prod"]  # between a group and its subcommand


def test_global_options_complete_though_subcommand_help_omits_them(run):
    assert "--api-url" in bash_complete(run, "profiles", "list", "--")
    assert "--api-url URL" not in run("truto", "profiles", "list", "--help").stdout


def test_profile_keys(run, profiles):
    assert bash_complete(run, "profiles", "get", "api") == ["api-url", "apiUrl", "api_url"]
    assert bash_complete(run, "profiles", "set", "default-") == ["default-integrated-account"]
    assert "firecrawl-api-key" in bash_complete(run, "profiles", "set", "")
    assert bash_complete(run, "profiles", "set", "api-url", "") == []  # a value: nothing to offer
    assert bash_complete(run, "profiles", "set-key", "") == ["anthropic", "firecrawl"]


def test_no_profiles_no_error(run):
    assert bash_complete(run, "use", "") == []


def test_unknown_shell_is_a_usage_error(run):
    done = run("truto", "completion", "tcsh")
    # what was typed is not echoed (it could be a pasted token); the shells that are known are
    assert done.returncode == 2 and "invalid choice" in done.stderr and "'fish'" in done.stderr
    done = run("truto", "completion")
    assert done.returncode == 2 and "bash|zsh|fish" in done.stderr


def test_fish_completes_through_the_script(run, profiles):
    if shutil.which("fish") is None:
        pytest.skip("fish is not installed")
    done = run(
        "fish",
        "-c",
        'truto completion fish | source; complete -C "truto profiles use st"; complete -C "truto auth setup-"',
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["stage-eu", "staging", "setup-docker", "setup-git"]


def test_zsh_script_registers_the_function(run, env, tmp_path):
    assert "truto completion --complete" in run("truto", "completion", "zsh").stdout
    if shutil.which("zsh") is None:
        pytest.skip("zsh is not installed")
    script = "autoload -U compinit; compinit -u; source <(truto completion zsh); print -r -- $_comps[truto]"
    done = run("zsh", "-fc", script, env=dict(env, HOME=str(tmp_path)))  # compinit writes its dump in HOME
    assert done.returncode == 0 and done.stdout.strip() == "_truto", done.stderr
