"""git-lfs (Debian's) with git-credential-truto as the only helper, against a loopback LFS server
(batch API + object storage, tests/lfs_server_support.py) behind Basic or Bearer, driven by
Debian's git and by git 2.55: a push uploads, a clone smudges, and a token the server refuses
ends git-lfs with its own authentication error after a few requests instead of a loop of
get -> erase (kept) -> get with the same token. Each check counts what the server received."""

import hashlib
import os
import shutil
import signal
import subprocess

import pytest
from conftest import GOOD_TOKEN, OTHER_TOKEN
from git_server_support import Account, basic, built_git, make_bare_repo, system_git
from lfs_server_support import start_lfs_server

# git-lfs asks again after each erase: without the refusal window it never stops on its own, so
# it runs under a timeout, and the requests it made are counted at the server.
LFS_TIMEOUT = 30
MOST_BATCH_REQUESTS = 3  # at most: one without credentials, one with the token, one more

DATA = os.urandom(4096)
OID = hashlib.sha256(DATA).hexdigest()

FAILING_ASKPASS = """#!/bin/sh
# Records that git asked the user, and answers as a user who gives up would.
printf '%s\\n' "$1" >> "{log}"
exit 1
"""


@pytest.fixture(params=["2.39", "2.55"])
def git(request):
    return system_git() if request.param == "2.39" else built_git()


@pytest.fixture
def lfs_env(env, tmp_path, git):
    """git (on PATH first, so git-lfs's own `git credential` is this git) with only our helper, the
    LFS filter, and an askpass that records each prompt and fails."""
    log = tmp_path / "askpass.log"
    askpass = tmp_path / "askpass"
    askpass.write_text(FAILING_ASKPASS.format(log=log))
    askpass.chmod(0o755)
    config = tmp_path / "gitconfig"
    config.write_text(
        "[credential]\n\thelper =\n\thelper = truto\n"
        '[filter "lfs"]\n\tclean = git-lfs clean -- %f\n\tsmudge = git-lfs smudge -- %f\n'
        "\tprocess = git-lfs filter-process\n\trequired = true\n"
        "[lfs]\n\tlocksverify = false\n"
        "[user]\n\tname = Test\n\temail = test@example.invalid\n"
        "[init]\n\tdefaultBranch = main\n"
    )
    e = dict(env, GIT_CONFIG_GLOBAL=str(config), GIT_ASKPASS=str(askpass), HOME=str(tmp_path))
    e.pop("SSH_ASKPASS", None)
    if git.name == "2.55":
        e["PATH"] = os.path.dirname(git.argv[0]) + os.pathsep + e["PATH"]
    return {**e, **git.env}


def asked(tmp_path):
    log = tmp_path / "askpass.log"
    return log.read_text().splitlines() if log.exists() else []


def run_git(env, *args, cwd=None, timeout=LFS_TIMEOUT):
    """git under a timeout, in its own process group: a git-lfs that loops is killed with the git
    that started it (never left running), and that is a failure, not a hang."""
    proc = subprocess.Popen(
        ["git", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"git {' '.join(args)} still running after {timeout} s (looping?): {err[-1500:]}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def login(run, server, token=GOOD_TOKEN):
    done = run(
        "truto",
        "login",
        "--profile-name",
        "work",
        "--api-url",
        f"http://{server.host}",
        "--token",
        token,
        "--no-verify",
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def server_for(tmp_path, env):
    started = []

    def _start(scheme):
        root = tmp_path / f"srv-{scheme.lower()}"
        root.mkdir()
        make_bare_repo(root, "repo.git", env)
        server = start_lfs_server(root, scheme)
        started.append(server)
        return server

    yield _start
    for server in started:
        server.shutdown()
        server.server_close()


def push_lfs_file(env, server, work):
    """A clone that adds one LFS-tracked file and pushes it (git-lfs's pre-push hook uploads)."""
    done = run_git(env, "clone", "-q", server.url("repo.git"), str(work))
    assert done.returncode == 0, done.stderr
    assert run_git(env, "lfs", "install", "--local", cwd=work).returncode == 0
    (work / ".gitattributes").write_text("*.bin filter=lfs diff=lfs merge=lfs -text\n")
    (work / "data.bin").write_bytes(DATA)
    assert run_git(env, "add", ".gitattributes", "data.bin", cwd=work).returncode == 0
    assert run_git(env, "commit", "-q", "-m", "lfs", cwd=work).returncode == 0
    return run_git(env, "push", "-q", "origin", "main", cwd=work)


def test_push_uploads_and_clone_smudges_with_the_login_token(git, lfs_env, server_for, run, tmp_path):
    server = server_for("Basic")
    server.accounts.append(Account("work", GOOD_TOKEN))
    login(run, server)
    pushed = push_lfs_file(lfs_env, server, tmp_path / "w")
    assert pushed.returncode == 0, pushed.stderr
    assert server.objects == {OID: DATA}  # uploaded through the batch API
    batch = server.batch_requests()
    assert batch and {auth for _, _, auth in batch if auth} == {basic("work", GOOD_TOKEN)}
    before = len(server.lfs_requests())
    cloned = run_git(lfs_env, "clone", "-q", server.url("repo.git"), str(tmp_path / "c"))
    assert cloned.returncode == 0, cloned.stderr
    assert (tmp_path / "c" / "data.bin").read_bytes() == DATA  # smudged: the object, not a pointer
    downloads = [r for r in server.lfs_requests()[before:] if r[0] == "GET"]
    assert downloads and {auth for _, _, auth in downloads} == {basic("work", GOOD_TOKEN)}
    assert asked(tmp_path) == []


def forget_local_objects(work):
    shutil.rmtree(work / ".git" / "lfs" / "objects", ignore_errors=True)
    (work / "data.bin").unlink()


@pytest.mark.parametrize("scheme", ["Basic", "Bearer"])
def test_a_refused_token_ends_git_lfs_after_a_few_requests(git, lfs_env, server_for, run, tmp_path, scheme):
    """The server stops accepting the token (rotated) after the clone: `git lfs pull` must end with
    git-lfs's own error within a few batch requests, keep the login, and work again once
    `truto login` saves the new token. git-lfs 3.3 sends no Bearer (it declares no authtype), so
    against a Bearer-only server every token is refused: bounded all the same."""
    server = server_for(scheme)
    server.accounts.append(Account("work", GOOD_TOKEN))
    login(run, server)
    work = tmp_path / "w"
    if scheme == "Basic":
        assert push_lfs_file(lfs_env, server, work).returncode == 0
        forget_local_objects(work)
    else:
        # git 2.39 cannot fetch from a Bearer-only server at all: the work tree comes from disk.
        server.objects[OID] = DATA
        assert run_git(lfs_env, "clone", "-q", str(server.root / "repo.git"), str(work)).returncode == 0
        assert run_git(lfs_env, "remote", "set-url", "origin", server.url("repo.git"), cwd=work).returncode == 0
        seed_pointer(lfs_env, work)
    server.accounts[:] = [Account("work", OTHER_TOKEN)]  # rotated on the server
    seen = len(server.batch_requests())
    pulled = run_git(lfs_env, "lfs", "pull", cwd=work)
    batch = server.batch_requests()[seen:]
    assert pulled.returncode != 0
    assert len(batch) <= MOST_BATCH_REQUESTS, f"{len(batch)} batch requests: {pulled.stderr[-2000:]}"
    assert any(auth for _, _, auth in batch)  # the server did see (and refuse) a credential
    assert GOOD_TOKEN not in pulled.stdout + pulled.stderr
    # the helper said why it offered nothing; git then asked the user (once), who gave up
    assert "not offering profile 'work'" in pulled.stderr and "`truto login -p work`" in pulled.stderr, pulled.stderr
    assert len(asked(tmp_path)) <= 1
    profiles = run("truto", "profiles", "list", "-o", "json")
    assert "work" in profiles.stdout  # the login stays
    # `truto login` with the new token: the next pull works, no other step
    login(run, server, OTHER_TOKEN)
    again = run_git(lfs_env, "lfs", "pull", cwd=work)
    if scheme == "Basic":
        assert again.returncode == 0, again.stderr
        assert (work / "data.bin").read_bytes() == DATA
        assert server.batch_requests()[-1][2] == basic("work", OTHER_TOKEN)


def seed_pointer(env, work):
    """A commit holding an LFS pointer to DATA (the object already on the server), made locally
    without git-lfs talking to the server."""
    (work / ".gitattributes").write_text("*.bin filter=lfs diff=lfs merge=lfs -text\n")
    pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{OID}\nsize {len(DATA)}\n"
    (work / "data.bin").write_text(pointer)
    env = dict(env, GIT_LFS_SKIP_SMUDGE="1")
    assert run_git(env, "-c", "filter.lfs.clean=cat", "add", ".gitattributes", "data.bin", cwd=work).returncode == 0
    assert run_git(env, "commit", "-q", "-m", "pointer", cwd=work).returncode == 0
    (work / "data.bin").unlink()
