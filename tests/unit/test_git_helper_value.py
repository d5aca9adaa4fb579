"""git_config's pure decisions about credential.helper values: which are ours, and whether git
could start one (resolved as git does)."""

import os
import shutil
import stat

from truto_credential_helper import git_config


def test_ours_are_the_reset_the_bare_name_and_an_absolute_helper_path():
    for value in (
        "",
        "truto",
        "!/opt/truto/bin/git-credential-truto",
        "!'/my tools/bin/git-credential-truto'",
        "/opt/truto/bin/git-credential-truto",
    ):
        assert git_config.is_ours(value), value
    for value in (
        "store",
        "cache --timeout 60",
        "!/opt/bin/git-credential-truto --extra",
        "!git-credential-truto",
        "!/opt/bin/other-helper",
        "!'unterminated",
    ):
        assert not git_config.is_ours(value), value


def test_unstartable_resolves_as_git_does(tmp_path, monkeypatch):
    program = tmp_path / "my tools" / "git-credential-truto"
    program.parent.mkdir()
    program.write_text("#!/bin/sh\n")
    program.chmod(stat.S_IRWXU)
    quoted = "!'" + str(program) + "'"
    assert git_config.unstartable(quoted) is None
    assert "does not exist" in git_config.unstartable("!" + str(tmp_path / "gone" / "git-credential-truto"))
    assert git_config.unstartable('!f() { git-credential-truto "$@"; }; f') is None  # a snippet: not guessed at
    program.chmod(stat.S_IRUSR)
    assert "not executable" in git_config.unstartable(quoted)
    git_dir = os.path.dirname(shutil.which("git"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty") + os.pathsep + git_dir)
    monkeypatch.setenv("GIT_EXEC_PATH", str(tmp_path / "empty"))
    # a bare name runs `git credential-NAME`: git's exec path, then PATH
    assert "git-credential-nothere" in (git_config.unstartable("nothere") or "")
    monkeypatch.setenv("PATH", str(program.parent) + os.pathsep + os.environ.get("PATH", ""))
    program.chmod(stat.S_IRWXU)
    assert git_config.unstartable("truto") is None
