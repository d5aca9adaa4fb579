"""Real gits (Debian's 2.39 and 2.55) cloning and fetching over smart HTTP from `git http-backend`
behind a loopback server that demands Basic or Bearer, with git-credential-truto as the only
credential helper. Each flow checks what the server received, not only git's exit status."""

import json
import subprocess

import pytest
from conftest import GOOD_TOKEN, OTHER_TOKEN
from git_server_support import (
    Account,
    basic,
    built_git,
    make_bare_repo,
    prompts,
    start_server,
    stop_server,
    system_git,
    write_askpass,
)
from helper_support import secrets_of


@pytest.fixture(params=["2.39", "2.55"])
def git(request):
    return system_git() if request.param == "2.39" else built_git()


@pytest.fixture
def git_env(env, tmp_path):
    """git with only our helper (an empty value resets any other), a recording GIT_ASKPASS, and a
    private global config."""
    askpass, _ = write_askpass(tmp_path)
    config = tmp_path / "gitconfig"
    config.write_text("[credential]\n\thelper =\n\thelper = truto\n")
    return dict(
        env, GIT_CONFIG_GLOBAL=str(config), GIT_ASKPASS=str(askpass), ASKPASS_USER="alice", ASKPASS_SECRET="pw-alice-1"
    )


def _server(tmp_path, env, scheme, *repos):
    root = tmp_path / f"srv-{scheme.lower()}"
    root.mkdir()
    for repo in repos:
        make_bare_repo(root, repo, env)
    return start_server(root, scheme)


@pytest.fixture
def basic_server(tmp_path, env):
    server = _server(tmp_path, env, "Basic", "repo.git", "a.git", "b.git")
    yield server
    stop_server(server)


@pytest.fixture
def bearer_server(tmp_path, env):
    server = _server(tmp_path, env, "Bearer", "repo.git")
    yield server
    stop_server(server)


def run_git(git, env, *args, cwd=None):
    return subprocess.run(
        git.argv + list(args), env={**env, **git.env}, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def clone(git, env, url, dest):
    return run_git(git, env, "clone", "-q", url, str(dest))


def fetch(git, env, dest):
    return run_git(git, env, "fetch", "-q", "origin", cwd=dest)


def config_of(config_dir):
    return json.loads((config_dir / "config.json").read_text())["profiles"]


def kept_line_in(stderr, name):
    lines = [line for line in stderr.splitlines() if f"kept profile '{name}'" in line]
    return len(lines) == 1 and f"`truto login -p {name}`" in lines[0] and f"`truto logout -p {name}`" in lines[0]


def askpass_log(tmp_path):
    return tmp_path / "askpass.log"


# ---------------------------------------------------------------------------------------------
# a password git prompted for: stored, reused, erased when the server refuses it


def test_first_use_prompts_and_stores_later_uses_do_not(git, git_env, basic_server, config_dir, tmp_path):
    basic_server.accounts.append(Account("alice", "pw-alice-1"))
    log = askpass_log(tmp_path)
    done = clone(git, git_env, basic_server.url("repo.git"), tmp_path / "w")
    assert done.returncode == 0, done.stderr
    assert [p.split(" ")[0] for p in prompts(log)] == ["Username", "Password"]
    assert set(basic_server.authorizations()) == {basic("alice", "pw-alice-1")}
    assert secrets_of(config_dir) == {"alice:apiToken": "pw-alice-1"}
    assert config_of(config_dir)["alice"]["storedBy"] == "git"
    seen = len(basic_server.received)
    again = fetch(git, dict(git_env, ASKPASS_SECRET="never-typed"), tmp_path / "w")
    assert again.returncode == 0, again.stderr
    assert len(prompts(log)) == 2  # no new prompt
    later = [auth for _, _, auth in basic_server.received[seen:] if auth]
    assert later and set(later) == {basic("alice", "pw-alice-1")}


def test_a_refused_password_git_stored_is_erased(git, git_env, basic_server, config_dir, tmp_path):
    basic_server.accounts.append(Account("alice", "pw-alice-1"))
    assert clone(git, git_env, basic_server.url("repo.git"), tmp_path / "w").returncode == 0
    basic_server.accounts[:] = [Account("alice", "pw-alice-2")]  # the password changed on the server
    failed = fetch(git, git_env, tmp_path / "w")
    assert failed.returncode != 0 and "kept profile" not in failed.stderr
    assert basic_server.authorizations()[-1] == basic("alice", "pw-alice-1")
    assert secrets_of(config_dir) == {} and config_of(config_dir) == {}
    # the next use prompts again, and stores the new password
    done = fetch(git, dict(git_env, ASKPASS_SECRET="pw-alice-2"), tmp_path / "w")
    assert done.returncode == 0, done.stderr
    assert [p.split(" ")[0] for p in prompts(askpass_log(tmp_path))] == ["Username", "Password", "Username", "Password"]
    assert secrets_of(config_dir) == {"alice:apiToken": "pw-alice-2"}


def test_use_http_path_keeps_one_credential_per_repository(git, git_env, basic_server, config_dir, tmp_path):
    basic_server.accounts += [Account("alice", "pw-for-a", "/a.git"), Account("alice", "pw-for-b", "/b.git")]
    env = dict(git_env, GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="credential.useHttpPath", GIT_CONFIG_VALUE_0="true")
    assert clone(git, dict(env, ASKPASS_SECRET="pw-for-a"), basic_server.url("a.git"), tmp_path / "a").returncode == 0
    assert clone(git, dict(env, ASKPASS_SECRET="pw-for-b"), basic_server.url("b.git"), tmp_path / "b").returncode == 0
    assert len(prompts(askpass_log(tmp_path))) == 4  # each repository prompted once
    urls = sorted(p["apiUrl"] for p in config_of(config_dir).values())
    assert urls == [basic_server.url("a.git"), basic_server.url("b.git")]
    for repo, secret in (("a", "pw-for-a"), ("b", "pw-for-b")):
        seen = len(basic_server.received)
        done = fetch(git, dict(env, ASKPASS_SECRET="wrong"), tmp_path / repo)
        assert done.returncode == 0, done.stderr
        assert {auth for _, _, auth in basic_server.received[seen:] if auth} == {basic("alice", secret)}
    assert len(prompts(askpass_log(tmp_path))) == 4


# ---------------------------------------------------------------------------------------------
# a `truto login` token against Basic-only and Bearer-only servers


def login(run, server, token=GOOD_TOKEN, name="work"):
    done = run(
        "truto", "login", "--profile-name", name, "--api-url", f"http://{server.host}", "--token", token, "--no-verify"
    )
    assert done.returncode == 0, done.stderr


def test_token_profile_against_a_basic_only_server_is_basic_with_both_gits(git, git_env, basic_server, run, tmp_path):
    # 2.39 has no authtype: user name + token. 2.55 declares authtype, but the server's challenge
    # (wwwauth[]) offers only Basic: it must get Basic too, never a Bearer the server refuses.
    basic_server.accounts.append(Account("work", GOOD_TOKEN))
    login(run, basic_server)
    done = clone(git, git_env, basic_server.url("repo.git"), tmp_path / "w")
    assert done.returncode == 0, done.stderr
    assert prompts(askpass_log(tmp_path)) == []
    assert set(basic_server.authorizations()) == {basic("work", GOOD_TOKEN)}


def test_token_profile_against_a_bearer_only_server(git, git_env, bearer_server, run, config_dir, tmp_path):
    bearer_server.accounts.append(Account("work", GOOD_TOKEN))
    login(run, bearer_server)
    done = clone(git, git_env, bearer_server.url("repo.git"), tmp_path / "w")
    if git.name == "2.55":
        assert done.returncode == 0, done.stderr
        assert set(bearer_server.authorizations()) == {f"Bearer {GOOD_TOKEN}"}
    else:
        # 2.39 cannot send Bearer: the clone fails, git rejects the token, and the login stays.
        assert done.returncode != 0
        assert f"Bearer {GOOD_TOKEN}" not in bearer_server.authorizations()
        assert kept_line_in(done.stderr, "work"), done.stderr
    assert prompts(askpass_log(tmp_path)) == []
    assert secrets_of(config_dir) == {"work:apiToken": GOOD_TOKEN}


@pytest.mark.parametrize("scheme", ["Basic", "Bearer"])
def test_a_refused_truto_login_token_is_kept_with_one_line(git, git_env, run, config_dir, tmp_path, env, scheme):
    server = _server(tmp_path, env, scheme, "repo.git")
    try:
        server.accounts.append(Account("work", OTHER_TOKEN))  # the token was rotated on the server
        login(run, server)
        done = clone(git, git_env, server.url("repo.git"), tmp_path / "w")
        assert done.returncode != 0
        assert kept_line_in(done.stderr, "work"), done.stderr
        assert GOOD_TOKEN not in done.stderr
        sent = server.authorizations()
        expected = f"Bearer {GOOD_TOKEN}" if scheme == "Bearer" else basic("work", GOOD_TOKEN)
        can_bearer = not (git.name == "2.39" and scheme == "Bearer")
        if can_bearer:
            assert expected in sent  # the server saw the stored token and refused it
        assert secrets_of(config_dir) == {"work:apiToken": GOOD_TOKEN}
        assert config_of(config_dir)["work"]["storedBy"] == "truto"
        # `truto login -p work` with the new token, as the line says, and the clone works
        login(run, server, OTHER_TOKEN)
        assert (clone(git, git_env, server.url("repo.git"), tmp_path / "w2").returncode == 0) is can_bearer
    finally:
        stop_server(server)


# ---------------------------------------------------------------------------------------------
# url=: the helper reads it as git itself does


# git asks its helpers (fill) only for what it lacks: with user and password in the URL it stores.
@pytest.mark.parametrize(
    "url,action",
    [
        ("https://api.truto.one?@evil.example/", "fill"),
        ("https://api.truto.one#@evil.example", "fill"),
        ("https://al%69ce:p%40ss@h.example/a%20b/", "approve"),
        ("https://a@b@h.example/r", "fill"),
        ("https://h%2Eexample/x", "fill"),
        ("https://ex%41mple.com:8080/r.git", "fill"),
        ("https://u:a%3Ab:c%3A@h.example", "approve"),
        ("http://127.0.0.1:8080//x/y//", "fill"),
    ],
)
def test_url_attribute_is_read_as_git_reads_it(git, env, tmp_path, url, action):
    # git parses url= itself and hands its helpers the parts: the helper, given the same url=,
    # must see the very same protocol, host, path, user name and password.
    from truto_credential_helper.protocols import git as git_protocol

    record = tmp_path / "sent"
    recorder = f"!f() {{ cat > '{record}'; }}; f"
    done = subprocess.run(
        git.argv
        + [
            "-c",
            "credential.helper=",
            "-c",
            f"credential.helper={recorder}",
            "-c",
            "credential.useHttpPath=true",
            "credential",
            action,
        ],
        input=f"url={url}\n\n",
        env={**env, **git.env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert record.exists(), done.stderr
    by_git = git_protocol.parse(record.read_bytes())
    by_us = git_protocol.parse(f"url={url}\n".encode())
    fields = ("protocol", "host", "path", "username", "password")
    assert [getattr(by_us, f) for f in fields] == [getattr(by_git, f) for f in fields]


def test_a_percent_encoded_line_break_in_url_is_refused_by_git_and_by_the_helper(git, env, run, config_dir):
    for encoded in ("%0A", "%0D"):
        url = f"https://a{encoded}b@h.example"
        by_git = subprocess.run(
            git.argv + ["-c", "credential.helper=", "-c", "credential.helper=truto", "credential", "approve"],
            input=f"url={url}\npassword=p\n\n",
            env={**env, **git.env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert by_git.returncode != 0
        by_helper = run("git-credential-truto", "store", input=f"url={url}\npassword=p\n\n")
        assert by_helper.returncode == 2 and "line break" in by_helper.stderr
    assert not (config_dir / "config.json").exists()  # nothing stored
