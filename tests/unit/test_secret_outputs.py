"""A stored secret with a line break or NUL is not a token: every output of a secret refuses it in
one line (git and docker get, `truto auth token`, auth exec's environment, `profiles get --reveal`,
the Python API: all read it through Profiles.read_secret), and storing a good one again replaces it. Every store's get and set hold what
they handle, whoever calls them."""

import json

import pytest

from truto_credential_helper import untrusted
from truto_credential_helper.secrets import memory

APPROVE = b"protocol=https\nhost=api.example\nusername=alice\npassword=tok-alice-1\n\n"
REQUEST = b"protocol=https\nhost=api.example\n\n"


def assert_refused(argv, r, said):
    """One line that says `said`, a failing exit, nothing of the planted value, nothing on stdout
    but docker's error (docker reads its helpers' errors there)."""
    text = (r.stdout + r.stderr).decode()
    assert r.returncode != 0, (argv, text)
    assert "evil" not in text and "password=x" not in text, (argv, text)
    assert said in text and len(text.strip().splitlines()) == 1, (argv, text)
    if argv[0] != "docker-credential-truto":
        assert r.stdout == b"", (argv, text)


@pytest.fixture
def planted(cli, config_dir):
    """A profile whose stored token (and BYOK key) a writer other than truto left with a line break."""

    def plant(value):
        assert cli("git-credential-truto", "store", stdin=APPROVE).returncode == 0
        assert cli("truto", "profiles", "set-key", "anthropic", "sk-ant-good-123456", "-p", "alice").returncode == 0
        store = memory.MemoryStore(str(config_dir))
        store.set("alice", "apiToken", value)
        return value

    return plant


@pytest.mark.parametrize("bad", ["tok-alice\nusername=evil", "tok-alice\rpassword=x", "tok-alice\0evil"])
def test_every_output_refuses_a_secret_with_a_line_break_or_nul(cli, planted, bad):
    planted(bad)
    for argv, stdin in (
        (["truto", "auth", "token", "-p", "alice"], b""),
        (["truto", "auth", "token", "-p", "alice", "-o", "json"], b""),
        (["truto", "auth", "exec", "-p", "alice", "--", "true"], b""),
        (["git-credential-truto", "get"], REQUEST),
        (["docker-credential-truto", "get"], b"https://api.example"),
    ):
        assert_refused(argv, cli(*argv, stdin=stdin), "line break or NUL")


def test_the_python_api_refuses_it_too(cli, planted, monkeypatch):
    import truto_credential_helper as api

    planted("tok-alice\nusername=evil")
    monkeypatch.delenv("TRUTO_API_TOKEN", raising=False)
    with pytest.raises(api.TrutoError) as raised:
        api.credentials(profile="alice")
    assert "line break or NUL" in str(raised.value) and "evil" not in str(raised.value)


def test_a_byok_key_with_a_line_break_is_not_handed_to_auth_exec(cli, planted, config_dir):
    planted("tok-alice-1")
    memory.MemoryStore(str(config_dir)).set("alice", "anthropicApiKey", "sk-ant\nEVIL=1")
    for argv in (
        ["truto", "auth", "exec", "-p", "alice", "--with-keys", "--", "true"],
        ["truto", "profiles", "get", "anthropic-api-key", "--reveal", "-p", "alice"],
    ):
        r = cli(*argv)
        assert r.returncode != 0 and b"line break or NUL" in r.stderr and b"EVIL" not in r.stderr + r.stdout, r


def test_storing_a_good_secret_again_replaces_the_bad_one(cli, planted, stored_secrets):
    planted("tok-alice\nusername=evil")
    assert cli("git-credential-truto", "store", stdin=APPROVE.replace(b"-1", b"-2")).returncode == 0
    assert stored_secrets()[("alice", "apiToken")] == "tok-alice-2"
    assert b"password=tok-alice-2" in cli("git-credential-truto", "get", stdin=REQUEST).stdout
    assert cli("truto", "auth", "token", "-p", "alice").stdout == b"tok-alice-2\n"


def test_a_relogin_leaves_a_bad_byok_key_behind_with_a_warning(cli, planted, config_dir, stored_secrets):
    planted("tok-alice-1")
    memory.MemoryStore(str(config_dir)).set("alice", "anthropicApiKey", "sk-ant\nEVIL=1")
    r = cli(
        "truto",
        "login",
        "--token",
        "tok-alice-3",
        "-p",
        "alice",
        "--api-url",
        "https://api.example",
        "--no-verify",
        "-f",
    )
    assert r.returncode == 0, r
    assert b"not carried over" in r.stderr and b"EVIL" not in r.stderr
    assert cli("truto", "auth", "token", "-p", "alice").stdout == b"tok-alice-3\n"


def test_every_store_holds_what_it_reads_and_writes(config_dir):
    """The base class wraps every store's get and set (secrets/base.py): nothing read or written
    through any of them can be printed back, by whichever caller."""
    from truto_credential_helper.secrets.base import SecretStore
    from truto_credential_helper.secrets.file import FileStore

    config_dir.mkdir(mode=0o700)
    read, written, other = "tok-read-" + "a1b2c3d4e5", "tok-written-" + "f6a7b8c9d0", "tok-other-" + "0f9e8d7c6b"

    class Plain(SecretStore):
        def get(self, profile, field):
            return read

        def set(self, profile, field, value):
            pass

    Plain().get("p", "apiToken")
    Plain().set("p", "apiToken", written)
    for secret in (read, written):
        assert secret.lower() not in untrusted.clean(f"x {secret.upper()} y").lower()
    # A store that reads every profile's secrets at once holds them all, not only the one asked for.
    (config_dir / "credentials.json").write_text(json.dumps({"profiles": {"q": {"apiToken": other}}}))
    (config_dir / "credentials.json").chmod(0o600)
    assert FileStore(str(config_dir)).get("p", "apiToken") is None
    assert other not in untrusted.clean(f"x {other} y")


@pytest.mark.parametrize(
    "bad", ["tok-env\nusername=evil", "tok-env\rpassword=x", " tok-env-evil", "tok\tevil", "tok\x1b[2Jevil"]
)
def test_a_token_from_the_environment_that_is_no_token_is_refused_everywhere(cli, bad):
    """TRUTO_API_TOKEN is read, not stored (and can hold no NUL): every command that would use it refuses it in one line
    naming the variable, never its value, and doctor and auth status say so in a row."""
    env = {"TRUTO_API_TOKEN": bad}
    for argv, stdin in (
        (["truto", "auth", "token"], b""),
        (["truto", "auth", "token", "-o", "json"], b""),
        (["truto", "auth", "exec", "--", "true"], b""),
        (["truto", "whoami"], b""),
        (["git-credential-truto", "get"], b"protocol=https\nhost=api.truto.one\n\n"),
        (["docker-credential-truto", "get"], b"https://api.truto.one"),
    ):
        assert_refused(argv, cli(*argv, stdin=stdin, **env), "TRUTO_API_TOKEN holds")
    for argv in (["truto", "doctor", "-o", "json"], ["truto", "doctor", "--online", "-o", "json"]):
        r = cli(*argv, **env)
        assert r.returncode == 1 and b"evil" not in r.stdout + r.stderr, r
        rows = [
            c for c in json.loads(r.stdout)["checks"] if c["status"] == "fail" and "TRUTO_API_TOKEN" in c["message"]
        ]
        assert rows, r.stdout
    r = cli("truto", "auth", "status", "-o", "json", **env)
    assert b"evil" not in r.stdout + r.stderr and b"TRUTO_API_TOKEN holds" in r.stdout, r


def test_the_python_api_refuses_a_bad_environment_token(monkeypatch):
    import truto_credential_helper as api

    monkeypatch.setenv("TRUTO_API_TOKEN", "tok-env\nusername=evil")
    with pytest.raises(api.TrutoError) as raised:
        api.credentials()
    assert "TRUTO_API_TOKEN holds" in str(raised.value) and "evil" not in str(raised.value)
