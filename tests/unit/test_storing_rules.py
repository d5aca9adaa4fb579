"""What a credential helper `store` keeps (store.store_credential) and under which name
(store.choose_profile_name): as tables, one row per case, over the in-memory secret store."""

import re

import pytest

from truto_credential_helper.credential import Credential
from truto_credential_helper.credential_ops import choose_profile_name
from truto_credential_helper.errors import UsageError
from truto_credential_helper.profiles import Profiles

from .rules_support import HOST, docker, git, git_authtype, profiles, store_all, subset

LATER = 2_000_000_000


# (id, steps stored in order, {profile: expected settings (None = absent)}, {(profile, field): secret})
STORES = [
    (
        "a new credential is a profile named after its user",
        [git("alice", "s1")],
        {"alice": {"apiUrl": f"https://{HOST}", "credentialType": "password", "username": None}},
        {("alice", "apiToken"): "s1"},
    ),
    (
        "two users of one origin are two profiles",
        [git("alice", "s1"), git("bob", "s2")],
        {"alice": {"apiUrl": f"https://{HOST}"}, "bob": {"apiUrl": f"https://{HOST}"}},
        {("alice", "apiToken"): "s1", ("bob", "apiToken"): "s2"},
    ),
    (
        "a new secret for the same user replaces the old one",
        [git("alice", "s1"), git("alice", "s2")],
        {"alice": {"apiUrl": f"https://{HOST}"}},
        {("alice", "apiToken"): "s2"},
    ),
    (
        "the same user at another host is another profile",
        [git("alice", "s1"), git("alice", "s2", host="other.example")],
        {
            "alice": {"apiUrl": f"https://{HOST}"},
            "alice@other.example": {"apiUrl": "https://other.example", "username": "alice"},
        },
        {("alice", "apiToken"): "s1", ("alice@other.example", "apiToken"): "s2"},
    ),
    (
        "http and https of one host are separate credentials",
        [git("alice", "s1"), git("alice", "s2", protocol="http")],
        {"alice": {"apiUrl": f"https://{HOST}"}, f"alice@{HOST}": {"apiUrl": f"http://{HOST}"}},
        {("alice", "apiToken"): "s1", (f"alice@{HOST}", "apiToken"): "s2"},
    ),
    (
        "a port is part of the origin, and of the name",
        [git("alice", "s1"), git("alice", "s2", host=f"{HOST}:8443")],
        {"alice": {"apiUrl": f"https://{HOST}"}, f"alice@{HOST}-8443": {"apiUrl": f"https://{HOST}:8443"}},
        {("alice", "apiToken"): "s1", (f"alice@{HOST}-8443", "apiToken"): "s2"},
    ),
    (
        "a path is part of the API URL",
        [git("alice", "s1", path="v1")],
        {"alice": {"apiUrl": f"https://{HOST}/v1"}},
        {("alice", "apiToken"): "s1"},
    ),
    (
        "a user name that is no profile name is made one",
        [git("Alice Smith/ops", "s1")],
        {"Alice-Smith-ops": {"username": "Alice Smith/ops"}},
        {("Alice-Smith-ops", "apiToken"): "s1"},
    ),
    ("no user name: the protocol's base name", [git("", "s1")], {"git": {"username": ""}}, {("git", "apiToken"): "s1"}),
    (
        "an expiry is kept",
        [git("alice", "s1", password_expiry_utc=LATER)],
        {"alice": {"passwordExpiryUtc": LATER}},
        {("alice", "apiToken"): "s1"},
    ),
    (
        "an approve of the secret it has only updates the expiry",
        [git("alice", "s1"), git("alice", "s1", password_expiry_utc=LATER)],
        {"alice": {"passwordExpiryUtc": LATER, "credentialType": "password"}},
        {("alice", "apiToken"): "s1"},
    ),
    (
        "an approve without the expiry keeps it (git before 2.41 drops it)",
        [git("alice", "s1", password_expiry_utc=LATER), git("alice", "s1")],
        {"alice": {"passwordExpiryUtc": LATER}},
        {("alice", "apiToken"): "s1"},
    ),
    (
        "a refresh token is kept beside the secret",
        [git("alice", "s1", oauth_refresh_token="r1")],
        {"alice": {}},
        {("alice", "apiToken"): "s1", ("alice", "oauthRefreshToken"): "r1"},
    ),
    (
        "a new secret without a refresh token drops the old refresh token",
        [git("alice", "s1", oauth_refresh_token="r1"), git("alice", "s2")],
        {"alice": {}},
        {("alice", "apiToken"): "s2"},
    ),
    (
        "an authtype credential keeps its scheme",
        [git_authtype("Bearer", "c1")],
        {"git": {"credentialType": "authtype", "authtype": "Bearer", "username": ""}},
        {("git", "apiToken"): "c1"},
    ),
    (
        "docker stores a token and marks its login",
        [docker("robot", "d1")],
        {"robot": {"credentialType": None, "dockerServerUrl": f"https://{HOST}"}},
        {("robot", "apiToken"): "d1"},
    ),
    (
        "docker's next login for the registry takes the mark",
        [docker("robot", "d1"), docker("other", "d2")],
        {"robot": {"dockerServerUrl": None}, "other": {"dockerServerUrl": f"https://{HOST}"}},
        {("robot", "apiToken"): "d1", ("other", "apiToken"): "d2"},
    ),
    (
        "a password for docker's token profile keeps it a token",
        [docker("robot", "d1"), git("robot", "s2")],
        {"robot": {"credentialType": None}},
        {("robot", "apiToken"): "s2"},
    ),
    (
        "a token for a password profile keeps it a password",
        [git("alice", "s1"), docker("alice", "d2")],
        {"alice": {"credentialType": "password"}},
        {("alice", "apiToken"): "d2"},
    ),
    (
        "nothing for another protocol",
        [("password", Credential(protocol="ssh", host=HOST, username="alice", password="s1"))],
        {},
        {},
    ),
    ("nothing without a secret", [("password", Credential(protocol="https", host=HOST, username="alice"))], {}, {}),
    ("nothing without a host", [("password", Credential(protocol="https", username="alice", password="s1"))], {}, {}),
]


@pytest.mark.parametrize(
    "steps, expected_profiles, expected_secrets", [row[1:] for row in STORES], ids=[row[0] for row in STORES]
)
def test_store(config_dir, stored_secrets, steps, expected_profiles, expected_secrets):
    store_all(config_dir, steps)
    found = profiles(config_dir)
    assert sorted(found) == sorted(expected_profiles)
    for name, expected in expected_profiles.items():
        assert subset(found[name], expected) == expected, name
    assert stored_secrets() == expected_secrets


def test_a_store_returns_the_profile_name_or_none(config_dir):
    assert store_all(
        config_dir, [git("alice", "s1"), git("alice", "s2", host="other.example"), git("alice", "s3")]
    ) == ["alice", "alice@other.example", "alice"]
    assert store_all(config_dir, [("password", Credential(protocol="ssh", host=HOST, username="a", password="s"))]) == [
        None
    ]


def test_ci_token_is_never_stored(config_dir, stored_secrets, monkeypatch):
    monkeypatch.setenv("TRUTO_API_TOKEN", "ci-token")
    assert store_all(config_dir, [git("alice", "ci-token")]) == [None]
    assert not config_dir.exists() and stored_secrets() == {}
    assert store_all(config_dir, [git("alice", "not-the-ci-token")]) == ["alice"]


def test_a_login_profile_stays_a_token_profile(config_dir, stored_secrets):
    """A password stored for a `truto login` profile's origin and user is its new token."""
    with Profiles(str(config_dir)).edit() as edit:
        edit.save_profile("work", {"apiUrl": f"https://{HOST}"}, {"apiToken": "t1", "anthropicApiKey": "k1"})
    assert store_all(config_dir, [git("work", "t2")]) == ["work"]
    assert subset(profiles(config_dir)["work"], {"credentialType": None}) == {"credentialType": None}
    assert stored_secrets() == {("work", "apiToken"): "t2", ("work", "anthropicApiKey"): "k1"}


REFUSED = [
    ("a user name over 1024 characters", git("u" * 1025, "s1"), "longer than 1024"),
    ("a path with a query", git("alice", "s1", path="a?b=1"), "query or fragment"),
    ("a path with an @", git("alice", "s1", path="a@b"), "'@'"),
    (
        "a profile= naming another origin's profile",
        git("bob", "s2", host="other.example", profile="alice"),
        "already exists",
    ),
    ("a profile= that is no profile name", git("bob", "s2", profile="-bad"), "not a valid profile name"),
]


@pytest.mark.parametrize("incoming, says", [row[1:] for row in REFUSED], ids=[row[0] for row in REFUSED])
def test_store_refuses(config_dir, stored_secrets, incoming, says):
    store_all(config_dir, [git("alice", "s1")])
    before = (profiles(config_dir), stored_secrets())
    with pytest.raises(UsageError, match=re.escape(says)):
        store_all(config_dir, [incoming])
    assert (profiles(config_dir), stored_secrets()) == before  # nothing half-written


class Taken:
    """The one thing choose_profile_name asks of an edit: whether a name is taken."""

    def __init__(self, *names):
        self.names = set(names)

    def profile(self, name):
        return object() if name in self.names else None


# (id, names taken, user name, host, base name, expected name)
NAMES = [
    ("the user name", (), "alice", "api.example", "git", "alice"),
    ("user@host when the user name is taken", ("alice",), "alice", "api.example", "git", "alice@api.example"),
    ("the port joins the host with a dash", ("alice",), "alice", "api.example:8443", "git", "alice@api.example-8443"),
    (
        "a number when both are taken",
        ("alice", "alice@api.example"),
        "alice",
        "api.example",
        "git",
        "alice@api.example-2",
    ),
    (
        "the next free number",
        ("alice", "alice@api.example", "alice@api.example-2"),
        "alice",
        "api.example",
        "git",
        "alice@api.example-3",
    ),
    ("runs of invalid characters become one dash", (), "a b//c", "h", "git", "a-b-c"),
    ("a leading non-alphanumeric is dropped", (), "--.alice", "h", "git", "alice"),
    ("a trailing dash or dot is dropped", (), "alice.-", "h", "git", "alice"),
    ("no user name: the base name", (), "", "h", "docker", "docker"),
    ("nothing usable: the base name", (), "///", "h", "git", "git"),
    ("long user names are cut to 60", (), "u" * 100, "h", "git", "u" * 60),
    ("an e-mail address stays as it is", (), "me@corp.example", "h", "git", "me@corp.example"),
    ("an IPv6 host loses its brackets' invalid characters", ("alice",), "alice", "[::1]:8443", "git", "alice@1-8443"),
]


@pytest.mark.parametrize(
    "taken, username, host, base, expected", [row[1:] for row in NAMES], ids=[row[0] for row in NAMES]
)
def test_choose_profile_name(taken, username, host, base, expected):
    assert choose_profile_name(Taken(*taken), username, host, base) == expected


@pytest.mark.parametrize(
    "selected_store, how, expected",
    [
        ("file", "active", "file"),
        ("keyring", "active", "keyring"),
        ("file", "TRUTO_PROFILE", "file"),
        (None, "none", "keyring"),
    ],
)
def test_a_new_profile_keeps_its_secret_where_the_selected_profile_does(
    config_dir, stored_secrets, monkeypatch, selected_store, how, expected
):
    """A machine whose user logged in with --secret-store file (or pass) may have no keyring: what
    git or docker stores there goes where the selected profile's secrets are."""
    if selected_store:
        with Profiles(str(config_dir)).edit() as edit:
            edit.save_profile(
                "mine", {"apiUrl": "https://api.truto.one"}, {"apiToken": "t0"}, store_kind=selected_store
            )
            edit.save_profile("other", {"apiUrl": "https://api.truto.one"}, {"apiToken": "t1"}, store_kind="keyring")
            if how == "active":
                edit.set_active("mine")
            else:
                edit.set_active("other")
        if how == "TRUTO_PROFILE":
            monkeypatch.setenv("TRUTO_PROFILE", "mine")
    assert store_all(config_dir, [git("alice", "s1")]) == ["alice"]
    assert profiles(config_dir)["alice"]["secretStore"] == expected
    in_file = (config_dir / "credentials.json").exists() and "s1" in (config_dir / "credentials.json").read_text()
    assert in_file == (expected == "file")
    assert (("alice", "apiToken") in stored_secrets()) == (expected == "keyring")
