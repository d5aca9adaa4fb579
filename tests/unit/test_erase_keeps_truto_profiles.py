"""Who stored a profile's token decides whether a protocol client's erase may remove it: what git
or docker stored is theirs to erase; what the user saved with `truto` stays, and the erase says so
(store.erase_credentials, Profile.stored_by), over the in-memory secret store."""

import pytest

from truto_credential_helper.credential import Credential
from truto_credential_helper.credential_ops import erase_credentials, kept_message, store_credential
from truto_credential_helper.profiles import Profile, Profiles

from .rules_support import HOST, git, profiles, store_all

URL = f"https://{HOST}"


def at(**more):
    return Credential(protocol="https", host=HOST, **more)


def login(config_dir, name="work", token="tok-1", **settings):
    """What `truto login` leaves: a profile written by a `truto` edit."""
    with Profiles(str(config_dir)).edit() as edit:
        edit.save_profile(name, {"apiUrl": URL, **settings}, {"apiToken": token})


def test_a_truto_login_profile_is_kept_and_named(config_dir, stored_secrets):
    login(config_dir)
    erased = erase_credentials(at(username="work"), secret="tok-1", directory=str(config_dir))
    assert (list(erased), erased.kept) == ([], ["work"])
    assert profiles(config_dir)["work"]["storedBy"] == "truto"
    assert stored_secrets() == {("work", "apiToken"): "tok-1"}


def test_an_erase_naming_another_secret_is_not_about_it(config_dir):
    login(config_dir)
    erased = erase_credentials(at(), secret="stale", directory=str(config_dir))
    assert (list(erased), erased.kept) == ([], [])


def test_beside_it_what_git_stored_for_the_origin_is_erased(config_dir, stored_secrets):
    login(config_dir)
    store_all(config_dir, [git("alice", "s1")])
    erased = erase_credentials(at(), directory=str(config_dir))
    assert (list(erased), erased.kept) == (["alice"], ["work"])
    assert sorted(profiles(config_dir)) == ["work"]


def test_a_new_secret_from_git_makes_the_token_gits_the_same_secret_changes_nothing(config_dir):
    login(config_dir)
    store_credential(git("work", "tok-1")[1], "password", base_name="git", directory=str(config_dir))
    assert profiles(config_dir)["work"]["storedBy"] == "truto"  # an approve after a fill
    store_credential(git("work", "tok-2")[1], "password", base_name="git", directory=str(config_dir))
    assert profiles(config_dir)["work"]["storedBy"] == "git"
    assert list(erase_credentials(at(), directory=str(config_dir))) == ["work"]


def test_a_truto_edit_makes_a_git_profile_the_users(config_dir):
    store_all(config_dir, [git("alice", "s1")])
    with Profiles(str(config_dir)).edit() as edit:
        edit.update_settings("alice", defaultIntegratedAccount="ia_1")
    erased = erase_credentials(at(), directory=str(config_dir))
    assert (list(erased), erased.kept) == ([], ["alice"])


def test_the_message_names_the_profile_and_both_ways_out():
    line = kept_message("work")
    assert "\n" not in line and "'work'" in line
    assert "`truto login -p work`" in line and "`truto logout -p work`" in line


@pytest.mark.parametrize(
    "settings, owner",
    [
        ({}, "truto"),
        ({"defaultIntegratedAccount": "ia"}, "truto"),
        ({"credentialType": "password"}, "git"),
        ({"credentialType": "authtype", "authtype": "Bearer"}, "git"),
        ({"dockerServerUrl": "api.example"}, "docker"),
        ({"credentialType": "password", "storedBy": "truto"}, "truto"),  # the marker wins
        ({"storedBy": "docker"}, "docker"),
    ],
)
def test_profiles_without_the_marker_are_classified_by_their_shape(settings, owner):
    assert Profile("p", {"apiUrl": URL, "secretStore": "keyring", **settings}).stored_by == owner
