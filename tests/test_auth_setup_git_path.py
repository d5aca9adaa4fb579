"""`truto auth setup-git` writes the helper's absolute path, so git finds it with a PATH that lacks
the directory truto is installed in (IDEs, GUIs, cron); --remove removes that and the bare `truto`
older versions wrote; doctor reports a helper git cannot start."""

import json
import os

import pytest
from cli_support import login
from conftest import BIN, GOOD_TOKEN
from test_auth_setup_git import fill, genv, git, password_of  # noqa: F401 (genv: a fixture)


@pytest.fixture
def bare_path_env(genv):  # noqa: F811
    """The same environment with BIN taken off PATH, as git started from a desktop or cron sees it."""
    e = dict(genv)
    e["PATH"] = os.pathsep.join(p for p in e["PATH"].split(os.pathsep) if p and os.path.abspath(p) != str(BIN))
    return e


def helpers(run, genv, url):  # noqa: F811
    return git(run, genv, "config", "--global", "--get-all", f"credential.{url}.helper").stdout.splitlines()


def doctor_git(run, env):
    done = run(str(BIN / "truto"), "doctor", "-o", "json", env=env)
    return done.returncode, [c for c in json.loads(done.stdout)["checks"] if c["check"] == "git"]


def test_git_without_truto_on_path_still_gets_the_token(run, genv, bare_path_env, stub_api):  # noqa: F811
    login(run, stub_api, "work", env=genv)
    assert run("truto", "auth", "setup-git", env=genv).returncode == 0
    assert git(run, bare_path_env, "--version").returncode == 0  # git itself is still there
    got = fill(run, bare_path_env, stub_api.url + "/repo.git")
    assert got.returncode == 0, got.stderr
    assert password_of(got) == GOOD_TOKEN


def test_the_bare_name_older_versions_wrote_is_replaced_and_removed(run, genv, stub_api, tmp_path):  # noqa: F811
    login(run, stub_api, "work", env=genv)
    key = f"credential.{stub_api.url}.helper"
    original = (tmp_path / "gitconfig").read_text() if (tmp_path / "gitconfig").exists() else ""
    assert git(run, genv, "config", "--global", "--add", key, "").returncode == 0
    assert git(run, genv, "config", "--global", "--add", key, "truto").returncode == 0
    done = run("truto", "auth", "setup-git", "--remove", env=genv)
    assert done.returncode == 0 and "no longer" in done.stderr
    assert helpers(run, genv, stub_api.url) == [] and (tmp_path / "gitconfig").read_text() == original
    # set up over the old value: replaced by the absolute path, not added beside it
    assert git(run, genv, "config", "--global", "--add", key, "truto").returncode == 0
    done = run("truto", "auth", "setup-git", env=genv)
    assert done.returncode == 0 and "now asks truto" in done.stderr
    values = helpers(run, genv, stub_api.url)
    assert values[0] == "" and len(values) == 2 and values[1].endswith("/git-credential-truto")


def test_doctor_reports_a_helper_git_cannot_start(run, genv, bare_path_env, stub_api):  # noqa: F811
    login(run, stub_api, "work", env=genv)
    assert run("truto", "auth", "setup-git", env=genv).returncode == 0
    code, checks = doctor_git(run, bare_path_env)
    assert [c["status"] for c in checks] == ["ok"], checks
    key = f"credential.{stub_api.url}.helper"
    # what older versions wrote, with a PATH git would not find git-credential-truto on
    assert git(run, genv, "config", "--global", "--replace-all", key, "truto", "^!").returncode == 0
    assert helpers(run, genv, stub_api.url) == ["", "truto"]
    assert fill(run, bare_path_env, stub_api.url).returncode != 0  # git indeed cannot get the token
    code, checks = doctor_git(run, bare_path_env)
    assert code == 1 and checks[0]["status"] == "fail" and "git-credential-truto" in checks[0]["message"]
    assert doctor_git(run, genv)[1][0]["status"] == "ok"  # on this PATH git finds it
    # an absolute path that is not there (truto reinstalled elsewhere)
    gone = "!" + str(BIN / "gone" / "git-credential-truto")
    assert git(run, genv, "config", "--global", "--replace-all", key, gone, "^truto$").returncode == 0
    code, checks = doctor_git(run, genv)
    assert code == 1 and checks[0]["status"] == "fail" and "does not exist" in checks[0]["message"]
    assert "truto auth setup-git" in checks[0]["fix"]
