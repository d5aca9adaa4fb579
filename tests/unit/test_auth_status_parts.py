"""`truto auth status` in parts: the facts gathered (auth_status_facts, with fakes for the online
check, git's, docker's and podman's configuration and the stores' reachability, over profiles in
the in-memory keyring) and the output rendered from hand-built facts (auth_status_render); then
the command's own argument handling and output, in-process. The console script, the real keyring
and the API are tests/test_auth_status.py's."""

import io
import json
import threading
from contextlib import nullcontext

import pytest

from truto_credential_helper.cli import auth_status_facts as facts_mod
from truto_credential_helper.cli import auth_status_render as render
from truto_credential_helper.cli.auth_status_facts import Entry, Facts, gather
from truto_credential_helper.errors import ApiUnavailable, ConfigError, NotLoggedIn, TokenRejected, TrutoError
from truto_credential_helper.profiles import Profiles

URL = "https://api.example.com"
HOST = "api.example.com"
OTHER_URL = "https://api.other.example"


# ---------------------------------------------------------------------------------------------
# fakes


class FakeWiring:
    """git's helpers by origin ({origin: [values]}, or None: git not installed), docker's and the
    containers auth file's documents (an exception: the file cannot be read)."""

    def __init__(self, git=None, docker=None, containers=None, git_missing=False):
        self.git = git or {}
        self.docker = {} if docker is None else docker
        self.containers = {} if containers is None else containers
        self.git_missing = git_missing
        self.git_asked = []

    def git_helpers(self, origin):
        self.git_asked.append(origin)
        if self.git_missing:
            return None
        value = self.git.get(origin, [])
        if isinstance(value, Exception):
            raise value
        return value

    def docker_config(self):
        if isinstance(self.docker, Exception):
            raise self.docker
        return self.docker

    def containers_auth(self):
        if isinstance(self.containers, Exception):
            raise self.containers
        return self.containers


def reachable_all(profile):
    return True, None


class NoReads(Profiles):
    """Profiles whose every secret read fails the test: offline status must not read one."""

    def read_secret(self, profile, field="apiToken"):
        raise AssertionError(f"read the {field} of {profile.name}")


@pytest.fixture
def profiles(config_dir):
    """profiles(name=token or None, ..., active=name, store=Profiles subclass): profiles saved in
    the config directory, tokens in the in-memory keyring; returns a fresh store over them."""

    def make(active=None, urls=None, cls=Profiles, **tokens):
        with Profiles(str(config_dir)).edit() as edit:
            for name, token in tokens.items():
                url = (urls or {}).get(name, URL)
                edit.save_profile(name, {"apiUrl": url}, {"apiToken": token} if token else {})
            if active:
                edit.set_active(active)
        return cls(str(config_dir))

    return make


def offline(store, environ=None, **kw):
    kw.setdefault("wiring", FakeWiring())
    kw.setdefault("reachable", reachable_all)
    return gather(store, environ or {}, **kw)


# ---------------------------------------------------------------------------------------------
# gathering, offline


def test_offline_facts_of_every_profile_read_no_secret(profiles):
    store = profiles(default="tok-default-1", staging="tok-staging-2", active="staging", cls=NoReads)
    facts = offline(store)
    assert facts.ok is True
    records = {r["profile"]: r for r in facts.records}
    assert set(records) == {"default", "staging"}
    assert records["staging"]["active"] is True and records["default"]["active"] is False
    default = records["default"]
    assert default["tokenPresent"] is True and default["secretStore"] == "keyring"
    assert default["secretStoreAvailable"] is True
    assert default["origin"] == URL and default["apiUrl"] == URL
    assert (default["online"], default["team"], default["problem"]) == (None, None, None)
    assert "token" not in default


def test_a_profile_without_a_token_is_a_problem_of_its_own(profiles):
    facts = offline(profiles(empty=None, full="tok-full-1"))
    by_name = {e.record["profile"]: e for e in facts.entries}
    assert by_name["empty"].problems == ["no token stored; run `truto login --profile-name empty`"]
    assert by_name["empty"].record["problem"] == by_name["empty"].problems[0]
    assert by_name["full"].problems == [] and by_name["full"].record["problem"] is None
    assert facts.ok is False


def test_no_profile_at_all_is_not_ok(profiles):
    facts = offline(Profiles(profiles().directory))
    assert facts.entries == [] and facts.ok is False


def test_an_unreachable_store_comes_first_and_its_tokens_are_not_read(profiles):
    store = profiles(default="tok-default-1", cls=NoReads)
    asked = []

    def verify(url, token):
        asked.append(url)
        return {"name": "never"}

    facts = offline(store, reachable=lambda p: (False, "the bus is gone"), verify=verify, show_token=True)
    (entry,) = facts.entries
    assert entry.record["secretStoreAvailable"] is False
    assert entry.problems == ["the secret store (keyring) is unavailable: the bus is gone"]
    assert entry.record["online"] is None and "token" not in entry.record
    assert asked == [] and facts.ok is False


def test_an_unreachable_store_is_no_problem_for_a_profile_with_no_secret(profiles):
    (entry,) = offline(profiles(empty=None), reachable=lambda p: (False, "gone")).entries
    assert entry.record["secretStoreAvailable"] is False
    assert entry.problems == ["no token stored; run `truto login --profile-name empty`"]


def test_profile_name_narrows_and_leaves_out_the_environment_token(profiles):
    store = profiles(default="tok-default-1", other="tok-other-2")
    facts = offline(store, {"TRUTO_API_TOKEN": "env-canary-1"}, profile_name="other")
    assert [r["profile"] for r in facts.records] == ["other"]
    with pytest.raises(NotLoggedIn):
        offline(store, profile_name="nope")


def test_environment_token_is_an_entry_of_the_given_environment(profiles, monkeypatch):
    monkeypatch.setenv("TRUTO_API_URL", "https://not.this.one")  # the mapping passed in decides
    store = profiles(default="tok-default-1")
    environ = {"TRUTO_API_TOKEN": "env-canary-7d1e", "TRUTO_API_URL": OTHER_URL + "/", "TRUTO_PROFILE": "default"}
    facts = offline(store, environ, show_token=True)
    env_entry = facts.entries[-1]
    assert env_entry.profile is None
    assert env_entry.record["source"] == "environment" and env_entry.record["secretStore"] == "environment"
    assert env_entry.record["apiUrl"] == OTHER_URL and env_entry.record["secretStoreAvailable"] is True
    assert "token" not in env_entry.record  # its value is never shown
    assert facts.entries[0].record["token"] == "tok-default-1"
    assert facts.environment == {"TRUTO_API_TOKEN": True, "TRUTO_API_URL": OTHER_URL + "/", "TRUTO_PROFILE": "default"}
    assert "env-canary-7d1e" not in json.dumps(facts.records) + json.dumps(facts.environment)


@pytest.mark.parametrize(
    "variable, value, shown",
    [
        (
            "TRUTO_API_URL",
            "https://user:secret-pw@api.example.com",
            "(set; not shown: it holds a user name or password)",
        ),
        ("TRUTO_API_URL", "tok-pasted-here", "(set; not shown: it is not a usable API URL)"),
        ("TRUTO_API_URL", "http://api.example.com", "(set; not shown: it is not a usable API URL)"),
        ("TRUTO_PROFILE", "tok-pasted-here", "(set; not shown: it names no profile)"),
    ],
)
def test_an_override_that_would_not_be_used_is_not_shown(profiles, variable, value, shown):
    facts = offline(profiles(default="tok-default-1"), {variable: value})
    assert facts.environment[variable] == shown
    assert facts.environment["TRUTO_API_TOKEN"] is False


def test_wiring_of_git_docker_and_podman(profiles):
    store = profiles(a="tok-a-1", b="tok-b-2", c="tok-c-3", urls={"c": OTHER_URL})  # a and b: one origin
    wiring = FakeWiring(
        git={URL: ["!/usr/bin/git-credential-truto"], OTHER_URL: ["cache"]},
        docker={"credHelpers": {HOST: "truto"}, "credsStore": "truto"},  # credsStore serves OTHER_URL's host
        containers={"credHelpers": {HOST: "truto"}, "credsStore": "truto"},  # which podman ignores
    )
    records = {r["profile"]: r for r in offline(store, wiring=wiring).records}
    assert (records["a"]["git"], records["a"]["docker"], records["a"]["containers"]) == (True, True, True)
    assert (records["c"]["git"], records["c"]["docker"], records["c"]["containers"]) == (False, True, False)
    assert sorted(wiring.git_asked) == sorted([URL, OTHER_URL])  # once per origin, not per profile


def test_wiring_that_cannot_be_read_is_unknown(profiles):
    store = profiles(a="tok-a-1", b="tok-b-2", urls={"b": OTHER_URL})
    wiring = FakeWiring(git={OTHER_URL: TrutoError("bad config")}, docker=ConfigError("x"), containers=ConfigError("y"))
    records = {r["profile"]: r for r in offline(store, wiring=wiring).records}
    assert (records["a"]["git"], records["a"]["docker"], records["a"]["containers"]) == (False, None, None)
    assert records["b"]["git"] is None
    assert [r["git"] for r in offline(store, wiring=FakeWiring(git_missing=True)).records] == [None, None]


def test_the_real_wiring_reads_the_files_the_environment_names(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(tmp_path / "auth.json"))
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "config.json").write_text(json.dumps({"credHelpers": {HOST: "truto"}}))
    (tmp_path / "auth.json").write_text(json.dumps({"credHelpers": {"other": "truto"}}))
    wiring = facts_mod.Wiring()
    assert wiring.docker_config() == {"credHelpers": {HOST: "truto"}}
    assert wiring.containers_auth() == {"credHelpers": {"other": "truto"}}
    (tmp_path / "docker" / "config.json").write_text("[1]")
    (tmp_path / "auth.json").write_text("[1]")
    with pytest.raises(ConfigError):
        wiring.docker_config()
    with pytest.raises(ConfigError):
        wiring.containers_auth()


def test_the_store_probe_asks_once_per_store(profiles, monkeypatch):
    calls = []
    monkeypatch.setattr(facts_mod, "keyring_reachable", lambda: calls.append(1) or (False, "locked out"))
    store = profiles(a="tok-a-1", b="tok-b-2")
    facts = gather(store, {}, wiring=FakeWiring())  # the real probe
    assert calls == [1]
    assert [e.problems[0] for e in facts.entries] == ["the secret store (keyring) is unavailable: locked out"] * 2


VAULT_VARS = ("VAULT_TOKEN", "VAULT_AGENT_ADDR", "VAULT_CONFIG_PATH", "VAULT_CLIENT_CERT", "VAULT_CLIENT_KEY")


@pytest.fixture
def vault_profiles(config_dir, monkeypatch):
    """Two Vault profiles, one at an agent's unix:// socket, one at an https Vault; no Vault token
    anywhere (the test's HOME has no ~/.vault-token)."""
    for name in VAULT_VARS:
        monkeypatch.delenv(name, raising=False)
    config_dir.mkdir(mode=0o700)

    def vault(address):
        return {
            "apiUrl": URL,
            "secretStore": "vault",
            "secrets": ["apiToken"],
            "vault": {"addresses": [address], "mount": "secret", "path": "teams/truto"},
        }

    doc = {
        "version": 1,
        "profiles": {"agent": vault("unix:///run/bao-agent.sock"), "server": vault("https://vault.example:8200")},
    }
    (config_dir / "config.json").write_text(json.dumps(doc))
    return Profiles(str(config_dir))


def test_a_vault_profile_behind_an_agent_socket_needs_no_vault_token(vault_profiles):
    facts = gather(vault_profiles, {}, wiring=FakeWiring())
    records = {e.record["profile"]: e for e in facts.entries}
    agent, server = records["agent"], records["server"]
    assert agent.record["vaultPath"] == "secret/teams/truto"
    assert agent.record["secretStoreAvailable"] is None and agent.problems == []
    assert server.record["secretStoreAvailable"] is False
    assert server.problems[0].startswith("the secret store (vault) is unavailable: no Vault token")


# ---------------------------------------------------------------------------------------------
# gathering, online


class Verifier:
    """verify(api_url, token) by token: a dict is the team, an exception is raised."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, api_url, token):
        self.calls.append((api_url, token))
        answer = self.answers[token]
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_online_outcomes(profiles):
    store = profiles(good="tok-good-1", revoked="tok-revoked-2", gone="tok-gone-3", odd="tok-odd-4")
    verify = Verifier(
        {
            "tok-good-1": {"id": "t", "name": "Acme Integrations"},
            "tok-revoked-2": TokenRejected(f"{URL} rejected the token"),
            "tok-gone-3": ApiUnavailable(f"cannot reach {URL}: connection refused"),
            "tok-odd-4": TrutoError("the API answered something odd"),
        }
    )
    waits = []
    facts = offline(store, verify=verify, timeout=30, waiting=lambda n: waits.append(n) or nullcontext())
    assert waits == [4]
    by_name = {r["profile"]: r for r in facts.records}
    assert (by_name["good"]["online"], by_name["good"]["team"], by_name["good"]["problem"]) == (
        "ok",
        "Acme Integrations",
        None,
    )
    assert by_name["revoked"]["online"] == "rejected" and by_name["revoked"]["problem"] == f"{URL} rejected the token"
    assert by_name["gone"]["online"] == "unreachable" and "connection refused" in by_name["gone"]["problem"]
    assert by_name["odd"]["online"] == "error" and by_name["odd"]["problem"] == "the API answered something odd"
    assert sorted(verify.calls) == sorted((URL, t) for t in ("tok-good-1", "tok-revoked-2", "tok-gone-3", "tok-odd-4"))
    assert facts.ok is False


def test_online_checks_the_environment_token_too(profiles):
    verify = Verifier({"env-canary-1": {"name": "From Env"}})
    facts = offline(profiles(), {"TRUTO_API_TOKEN": "env-canary-1", "TRUTO_API_URL": OTHER_URL}, verify=verify)
    (record,) = facts.records
    assert verify.calls == [(OTHER_URL, "env-canary-1")]
    assert record["online"] == "ok" and record["team"] == "From Env" and facts.ok


def test_online_a_token_gone_from_the_store_is_an_error(profiles, config_dir):
    store = profiles(default="tok-default-1")
    from truto_credential_helper.secrets import memory

    memory.MemoryStore(str(config_dir)).delete("default", "apiToken")  # config.json still names it
    facts = offline(store, verify=Verifier({}))
    (entry,) = facts.entries
    assert entry.record["online"] == "error" and "gone from the secret store" in entry.record["problem"]


def test_online_what_has_not_answered_at_the_deadline_is_unreachable(profiles):
    release = threading.Event()

    def hangs(api_url, token):
        release.wait(60)
        return {"name": "late"}

    try:
        facts = offline(profiles(default="tok-default-1"), verify=hangs, timeout=0)
    finally:
        release.set()
    (record,) = facts.records
    assert record["online"] == "unreachable" and record["team"] is None
    assert record["problem"] == f"{URL} did not answer within 0 s"


def test_online_checks_every_token_at_once(profiles):
    together = threading.Barrier(2, timeout=10)  # one check at a time never gets past it

    def verify(api_url, token):
        together.wait()
        return {"name": "Together"}

    facts = offline(profiles(one="tok-one-1", two="tok-two-2"), verify=verify, timeout=30)
    assert [r["team"] for r in facts.records] == ["Together", "Together"]


# ---------------------------------------------------------------------------------------------
# rendering, from hand-built facts


def record(**changes):
    base = {
        "profile": "default",
        "source": "profile",
        "active": True,
        "apiUrl": URL,
        "secretStore": "keyring",
        "tokenPresent": True,
        "online": None,
        "team": None,
        "origin": URL,
        "git": True,
        "docker": False,
        "containers": None,
        "secretStoreAvailable": True,
        "problem": None,
    }
    base.update(changes)
    return base


def entry(problems=(), **changes):
    problems = list(problems)
    return Entry(record(problem=problems[0] if problems else None, **changes), problems, None)


NO_ENV = {"TRUTO_API_TOKEN": False, "TRUTO_API_URL": None, "TRUTO_PROFILE": None}


def text(facts, encoding="utf-8"):
    stream = io.TextIOWrapper(io.BytesIO(), encoding=encoding, write_through=True)
    render.write_text(facts, stream)
    return stream.buffer.getvalue().decode(encoding)


def test_text_of_a_good_profile():
    shown = text(Facts([entry(online="ok", team="Acme")], NO_ENV))
    assert shown.splitlines() == [
        "default (active)",
        f"  \u2713 Token for {URL} (keyring)",
        f"  - API URL: {URL}",
        "  - Secret store: keyring",
        "  - Token: stored, not shown (--show-token)",
        f"  - Git: asks truto for {URL}",
        "  - Docker: not set up (truto auth setup-docker -p default)",
        "  - Podman/buildah: their auth file cannot be read",
        f"  \u2713 {URL} accepts the token (team Acme)",
    ]
    assert "Environment" not in shown


def test_text_of_problems_escapes_them_and_says_no_token_line():
    shown = text(
        Facts([entry(["no token stored", "odd \x1b[31mred"], tokenPresent=False, git=None, containers=True)], NO_ENV),
        encoding="ascii",
    )
    lines = shown.splitlines()
    assert "  X no token stored" in lines and "  X odd \\x1b[31mred" in lines
    assert "\x1b" not in shown and not any("Token for" in line for line in lines)
    assert "  - Token: none" in lines
    assert "  - Git: git not found" in lines
    assert f"  - Podman/buildah: ask truto for {HOST}" in lines


def test_text_marks_without_a_check_mark_in_the_encoding():
    assert "  + Token for" in text(Facts([entry()], NO_ENV), encoding="ascii")


def test_text_shows_the_token_only_when_the_facts_hold_it():
    assert "  - Token: tok-shown-9" in text(Facts([entry(token="tok-shown-9")], NO_ENV)).splitlines()
    assert "tok-shown-9" not in text(Facts([entry()], NO_ENV))


def test_text_of_the_environment():
    env_entry = Entry(
        record(profile=None, source="environment", active=False, secretStore="environment", git=False), [], None
    )
    env = {"TRUTO_API_TOKEN": True, "TRUTO_API_URL": URL, "TRUTO_PROFILE": "default"}
    lines = text(Facts([env_entry], env)).splitlines()
    assert lines[:4] == [
        "Environment",
        "  - TRUTO_API_TOKEN is set (not shown): commands use it instead of a profile's stored token",
        f"  - TRUTO_API_URL={URL}: commands call it instead of the profile's apiUrl",
        "  - TRUTO_PROFILE=default: commands use that profile instead of the active one",
    ]
    assert "TRUTO_API_TOKEN" in lines and "  - Token: not shown" in lines
    assert "  - Secret store: TRUTO_API_TOKEN" in lines
    assert f"  - Git: not set up for {URL} (truto auth setup-git)" in lines  # no -p for it


def test_text_of_no_profile():
    assert text(Facts([], NO_ENV)) == "X Not logged in to any profile. To log in, run: truto login\n"


def test_text_of_a_vault_profile_names_its_path():
    lines = text(Facts([entry(secretStore="vault", vaultPath="secret/teams/truto")], NO_ENV)).splitlines()
    assert "  - Secret store: vault (secret/teams/truto)" in lines


def test_json_document():
    stream = io.StringIO()
    facts = Facts([entry(), entry(["broken"], profile="other", active=False)], NO_ENV)
    render.emit(facts, "json", stream)
    doc = json.loads(stream.getvalue())
    assert doc == {"ok": False, "environment": NO_ENV, "profiles": facts.records}
    assert doc["profiles"][1]["problem"] == "broken"
    stream = io.StringIO()
    render.emit(Facts([entry()], NO_ENV), "json", stream)
    assert json.loads(stream.getvalue())["ok"] is True


def test_rows_carry_the_token_column_only_with_show_token():
    facts = Facts([entry(token="tok-shown-9")], NO_ENV)
    stream = io.StringIO()
    render.emit(facts, "csv", stream)
    header, row = stream.getvalue().splitlines()[:2]
    assert header.split(",") == [key for key, _ in render.COLUMNS] and "containers" in header
    assert "tok-shown-9" not in stream.getvalue()
    stream = io.StringIO()
    render.emit(facts, "csv", stream, show_token=True)
    assert stream.getvalue().splitlines()[0].endswith(",token") and "tok-shown-9" in stream.getvalue()


# ---------------------------------------------------------------------------------------------
# the command, in-process (moved from tests/test_auth_status.py: they need no keyring or API)


def status(cli, *args, **env):
    return cli("truto", "auth", "status", *args, stdin="", **env)


@pytest.fixture
def wired(tmp_path):
    """The environment of a call: git, docker and podman configuration of the test's own."""
    return {
        "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig"),
        "DOCKER_CONFIG": str(tmp_path / "docker-config"),
        "REGISTRY_AUTH_FILE": str(tmp_path / "containers-auth.json"),
    }


def test_a_profile_without_a_token_is_a_problem(cli, config_dir, wired):
    config_dir.mkdir(mode=0o700)
    (config_dir / "config.json").write_text(
        json.dumps(
            {
                "version": 1,
                "profiles": {"empty": {"apiUrl": "https://api.example.com", "secretStore": "keyring", "secrets": []}},
            }
        )
    )
    done = status(cli, **wired)
    assert done.returncode == 1
    assert "no token stored; run `truto login --profile-name empty`" in done.stdout
    assert "Token: none" in done.stdout
    done = status(cli, "-o", "json", **wired)
    doc = json.loads(done.stdout)
    assert done.returncode == 1 and doc["ok"] is False
    assert doc["profiles"][0]["tokenPresent"] is False and "no token" in doc["profiles"][0]["problem"]


def test_not_logged_in_at_all(cli, wired):
    done = status(cli, **wired)
    assert done.returncode == 1
    assert "Not logged in to any profile" in done.stdout and "truto login" in done.stdout


def test_token_and_api_url_flags_do_not_apply(cli, wired):
    done = status(cli, "--token", "x-canary-flag", **wired)
    assert done.returncode == 2 and "do not apply" in done.stderr and "x-canary-flag" not in done.stderr
    done = status(cli, "--api-url", "https://x-canary-url.example", **wired)
    assert done.returncode == 2 and "do not apply" in done.stderr and "x-canary-url" not in done.stderr
