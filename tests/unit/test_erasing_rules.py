"""What a credential helper `erase` removes (store.erase_credentials), as a table over the
in-memory secret store. Every row erases credentials a protocol client stored (git or docker),
never a `truto login` profile: those have rules of their own."""

import pytest

from truto_credential_helper.credential import Credential
from truto_credential_helper.credential_ops import erase_credentials

from .rules_support import HOST, docker, git, profiles, store_all

PAST = 1_000_000_000


def at(host=HOST, protocol="https", **more):
    return Credential(protocol=protocol, host=host, **more)


BOTH = [git("alice", "s1"), git("bob", "s2")]

# (id, stored in order, erase request, secret given with it, removed, profiles left)
ERASES = [
    ("origin and user: that user only", BOTH, at(username="alice"), None, ["alice"], ["bob"]),
    ("origin alone: every user of it", BOTH, at(), None, ["alice", "bob"], []),
    ("the secret it holds: erased", BOTH, at(username="alice"), "s1", ["alice"], ["bob"]),
    ("another secret: kept (a stale rejection)", BOTH, at(username="alice"), "stale", [], ["alice", "bob"]),
    ("origin with a secret: only the user holding it", BOTH, at(), "s2", ["bob"], ["alice"]),
    ("another host: nothing", BOTH, at(host="other.example"), None, [], ["alice", "bob"]),
    ("http for an https credential: nothing", BOTH, at(protocol="http"), None, [], ["alice", "bob"]),
    ("another port: nothing", BOTH, at(host=f"{HOST}:8443"), None, [], ["alice", "bob"]),
    ("a user it does not have: nothing", BOTH, at(username="carol"), None, [], ["alice", "bob"]),
    ("a request path when none is stored", BOTH, at(path="v1", username="bob"), None, ["bob"], ["alice"]),
    ("another path than the stored one: nothing", [git("alice", "s1", path="v1")], at(path="v2"), None, [], ["alice"]),
    ("its profile by name", BOTH, Credential(profile="bob"), None, ["bob"], ["alice"]),
    ("an empty request erases nothing", BOTH, Credential(), None, [], ["alice", "bob"]),
    ("an expired credential is erased too", [git("alice", "s1", password_expiry_utc=PAST)], at(), None, ["alice"], []),
    (
        "an authtype credential by its credential",
        [
            git("alice", "s1"),
            *[
                (
                    "authtype",
                    Credential(protocol="https", host=HOST, username="tok", authtype="Bearer", credential="c1"),
                )
            ],
        ],
        at(),
        "c1",
        ["tok"],
        ["alice"],
    ),
    (
        "docker's login for the registry",
        [docker("robot", "d1"), git("alice", "s1", host="other.example")],
        at(),
        None,
        ["robot"],
        ["alice"],
    ),
]


@pytest.mark.parametrize(
    "steps, request_credential, secret, removed, left", [row[1:] for row in ERASES], ids=[row[0] for row in ERASES]
)
def test_erase(config_dir, stored_secrets, steps, request_credential, secret, removed, left):
    store_all(config_dir, steps)
    before = stored_secrets()
    assert sorted(erase_credentials(request_credential, secret=secret, directory=str(config_dir))) == removed
    assert sorted(profiles(config_dir)) == left
    # The removed profiles' secrets are gone from the store; the others' are untouched.
    assert stored_secrets() == {key: value for key, value in before.items() if key[0] not in removed}


def test_erase_with_nothing_stored_creates_nothing(config_dir):
    assert erase_credentials(at(username="alice"), directory=str(config_dir)) == []
    assert not config_dir.exists()
