"""`truto auth setup-git`: the real git reads the configuration it wrote and gets the token through
it for the profile's origin only, in a temporary global config (GIT_CONFIG_GLOBAL)."""

import shlex
import subprocess

import pytest
from cli_support import login
from conftest import BIN, GOOD_TOKEN, OTHER_TOKEN, stub_api_module


@pytest.fixture
def genv(env, tmp_path):
    e = dict(env)
    e["HOME"] = str(tmp_path / "home")
    (tmp_path / "home").mkdir()
    e["GIT_CONFIG_GLOBAL"] = str(tmp_path / "gitconfig")
    return e


@pytest.fixture
def other_api():
    server = stub_api_module.make_server([OTHER_TOKEN])
    yield server
    server.shutdown()
    server.server_close()


def git(run, genv, *args, input=None, cwd=None):
    return run("git", *args, input=input, env=genv, cwd=cwd)


def fill(run, genv, url, cwd=None):
    """`git credential fill` exactly as a fetch would ask: no -c, only what the config says."""
    return git(run, genv, "credential", "fill", input=f"url={url}\n\n", cwd=cwd)


def password_of(done):
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line).get("password")


def test_git_gets_the_token_for_the_profile_origin_only(run, genv, stub_api, other_api, tmp_path):
    login(run, stub_api, "work", env=genv)
    assert fill(run, genv, stub_api.url + "/repo.git").returncode != 0  # nothing configured yet
    done = run("truto", "auth", "setup-git", env=genv)
    assert done.returncode == 0, done.stderr
    assert "now asks truto" in done.stderr and done.stdout == ""
    got = fill(run, genv, stub_api.url + "/some/repo.git")
    assert got.returncode == 0, got.stderr
    assert password_of(got) == GOOD_TOKEN
    other = fill(run, genv, other_api.url + "/repo.git")  # another origin (port): no helper, no prompt
    assert other.returncode != 0 and GOOD_TOKEN not in other.stdout
    assert GOOD_TOKEN not in (tmp_path / "gitconfig").read_text()


def test_scoped_key_value_and_idempotent(run, genv, stub_api, tmp_path):
    login(run, stub_api, "work", env=genv)
    assert run("truto", "auth", "setup-git", env=genv).returncode == 0
    key = f"credential.{stub_api.url}.helper"
    values = git(run, genv, "config", "--global", "--get-all", key).stdout.splitlines()
    # the reset, then us by absolute path: earlier generic helpers never see the token
    assert values == ["", "!" + shlex.quote(str(BIN / "git-credential-truto"))]
    before = (tmp_path / "gitconfig").read_bytes()
    again = run("truto", "auth", "setup-git", env=genv)
    assert again.returncode == 0 and "nothing changed" in again.stderr
    assert (tmp_path / "gitconfig").read_bytes() == before


def test_other_settings_kept_and_generic_store_helper_never_gets_the_token(run, genv, stub_api, tmp_path):
    login(run, stub_api, "work", env=genv)
    for k, v in [
        ("user.name", "Ada"),
        ("credential.helper", "store"),
        ("credential.https://git.example.com.helper", "cache"),
        ("credential.useHttpPath", "false"),
    ]:
        assert git(run, genv, "config", "--global", k, v).returncode == 0
    assert run("truto", "auth", "setup-git", env=genv).returncode == 0
    got = fill(run, genv, stub_api.url)
    assert password_of(got) == GOOD_TOKEN
    # A successful operation makes git approve the credential to every helper in the list.
    approve = git(run, genv, "credential", "approve", input=got.stdout + "\n")
    assert approve.returncode == 0
    assert not (tmp_path / "home" / ".git-credentials").exists()  # `store` was reset away for this origin
    listing = git(run, genv, "config", "--global", "--list").stdout
    for line in (
        "user.name=Ada",
        "credential.helper=store",
        "credential.https://git.example.com.helper=cache",
        "credential.usehttppath=false",
    ):
        assert line in listing


def test_remove_undoes_only_ours(run, genv, stub_api, tmp_path):
    login(run, stub_api, "work", env=genv)
    assert git(run, genv, "config", "--global", "user.name", "Ada").returncode == 0
    original = (tmp_path / "gitconfig").read_text()
    assert run("truto", "auth", "setup-git", env=genv).returncode == 0
    done = run("truto", "auth", "setup-git", "--remove", env=genv)
    assert done.returncode == 0 and "no longer" in done.stderr
    assert (tmp_path / "gitconfig").read_text() == original  # the section is gone, the rest untouched
    assert fill(run, genv, stub_api.url).returncode != 0
    again = run("truto", "auth", "setup-git", "--remove", env=genv)
    assert again.returncode == 0 and "nothing changed" in again.stderr


def test_remove_keeps_a_helper_the_user_added_for_that_origin(run, genv, stub_api):
    login(run, stub_api, "work", env=genv)
    assert run("truto", "auth", "setup-git", env=genv).returncode == 0
    key = f"credential.{stub_api.url}.helper"
    assert git(run, genv, "config", "--global", "--add", key, "cache").returncode == 0
    assert run("truto", "auth", "setup-git", "--remove", env=genv).returncode == 0
    assert git(run, genv, "config", "--global", "--get-all", key).stdout.splitlines() == ["cache"]


def test_profile_flag_selects_the_origin(run, genv, stub_api, other_api):
    login(run, stub_api, "one", env=genv)
    login(run, other_api, "two", OTHER_TOKEN, env=genv)
    assert run("truto", "auth", "setup-git", "-p", "one", env=genv).returncode == 0
    assert password_of(fill(run, genv, stub_api.url)) == GOOD_TOKEN
    assert fill(run, genv, other_api.url).returncode != 0  # 'two' is active, but only 'one' was set up
    assert run("truto", "auth", "setup-git", "-p", "two", env=genv).returncode == 0
    assert password_of(fill(run, genv, other_api.url)) == OTHER_TOKEN


def test_local_writes_the_repository_config(run, genv, stub_api, tmp_path):
    login(run, stub_api, "work", env=genv)
    repo = tmp_path / "repo"
    assert git(run, genv, "init", "-q", str(repo)).returncode == 0
    done = run("truto", "auth", "setup-git", "--local", env=genv, cwd=repo)
    assert done.returncode == 0, done.stderr
    assert "truto" in (repo / ".git" / "config").read_text()
    assert not (tmp_path / "gitconfig").exists() or "truto" not in (tmp_path / "gitconfig").read_text()
    assert password_of(fill(run, genv, stub_api.url, cwd=repo)) == GOOD_TOKEN
    assert fill(run, genv, stub_api.url, cwd=tmp_path).returncode != 0  # outside the repository: not set up
    assert run("truto", "auth", "setup-git", "--local", "--remove", env=genv, cwd=repo).returncode == 0
    assert fill(run, genv, stub_api.url, cwd=repo).returncode != 0


def test_local_outside_a_repository_is_a_usage_error(run, genv, stub_api, tmp_path):
    login(run, stub_api, "work", env=genv)
    outside = tmp_path / "plain"
    outside.mkdir()
    genv = dict(genv, GIT_CEILING_DIRECTORIES=str(tmp_path))
    done = run("truto", "auth", "setup-git", "--local", env=genv, cwd=outside)
    assert done.returncode == 2
    assert "--local needs a git repository" in done.stderr and "Traceback" not in done.stderr


def test_no_profile_is_not_logged_in(run, genv):
    done = run("truto", "auth", "setup-git", env=genv)
    assert done.returncode == 3 and "truto login" in done.stderr
    assert not subprocess.run(["test", "-e", genv["GIT_CONFIG_GLOBAL"]]).returncode == 0
