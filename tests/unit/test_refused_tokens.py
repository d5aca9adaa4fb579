"""A token a server refused moments ago is not offered again at once (refusals.py): a git erase
naming the token of a profile it keeps withholds that token from `get` for refusals.WINDOW
seconds; a new token, a `truto` write or a client's store of the same token ends it. Over the
in-memory secret store, with the clock passed in."""

import os
import time

import pytest

from truto_credential_helper import refusals
from truto_credential_helper.credential import Credential
from truto_credential_helper.credential_ops import answer_request, erase_credentials, store_credential
from truto_credential_helper.errors import ConfigError
from truto_credential_helper.profiles import Profiles

from .rules_support import HOST, git

URL = f"https://{HOST}"


def at(**more):
    return Credential(protocol="https", host=HOST, **more)


def login(config_dir, token="tok-1", name="work"):
    with Profiles(str(config_dir)).edit() as edit:
        edit.save_profile(name, {"apiUrl": URL}, {"apiToken": token})


def get(config_dir, withheld=None):
    found = answer_request(at(), directory=str(config_dir), withheld=withheld)
    return found.password if found is not None else None


def refuse(config_dir, token="tok-1"):
    """What git sends after a server refused the token: erase with user name and password."""
    erased = erase_credentials(at(username="work"), secret=token, directory=str(config_dir))
    assert erased.kept == ["work"]


def test_a_refused_token_is_withheld_and_says_for_how_long(config_dir):
    login(config_dir)
    assert get(config_dir) == "tok-1"
    refuse(config_dir)
    withheld = []
    assert get(config_dir, withheld) is None
    assert [name for name, _ in withheld] == ["work"] and 0 < withheld[0][1] <= refusals.WINDOW


def test_the_file_holds_no_token(config_dir):
    login(config_dir, token="tok-secret-abc")
    refuse(config_dir, "tok-secret-abc")
    data = (config_dir / refusals.NAME).read_bytes()
    assert b"tok-secret-abc" not in data and data.startswith(b"work ")
    assert os.stat(config_dir / refusals.NAME).st_mode & 0o077 == 0


def test_the_window_ends_by_itself(config_dir):
    login(config_dir)
    refuse(config_dir)
    now = time.time()
    assert refusals.withheld_for(str(config_dir), "work", "tok-1", now=now + refusals.WINDOW - 1) is not None
    assert refusals.withheld_for(str(config_dir), "work", "tok-1", now=now + refusals.WINDOW + 1) is None
    assert refusals.withheld_for(str(config_dir), "work", "tok-1", now=now - 3600) is None  # a clock set back


def test_a_new_login_ends_it_even_with_the_same_token(config_dir):
    login(config_dir)
    refuse(config_dir)
    login(config_dir, token="tok-1")
    assert get(config_dir) == "tok-1"


def test_a_new_token_is_offered_at_once(config_dir):
    login(config_dir)
    refuse(config_dir)
    login(config_dir, token="tok-2")
    assert get(config_dir) == "tok-2"
    # and only the refused token is withheld: an entry for it does not cover the new one
    refusals.record(str(config_dir), {"work": "tok-1"})
    assert get(config_dir) == "tok-2"


def test_a_store_of_the_same_token_ends_it(config_dir):
    """git approves after a request that worked: the token works again."""
    login(config_dir)
    refuse(config_dir)
    store_credential(git("work", "tok-1")[1], "password", base_name="git", directory=str(config_dir))
    assert get(config_dir) == "tok-1"


def test_an_erase_without_the_secret_is_no_refusal(config_dir):
    """docker's logout and a bare `git credential reject` of an origin name no token."""
    login(config_dir)
    assert erase_credentials(at(), directory=str(config_dir)).kept == ["work"]
    assert get(config_dir) == "tok-1"
    assert not (config_dir / refusals.NAME).exists()


def test_an_erase_naming_another_secret_is_no_refusal_of_this_one(config_dir):
    login(config_dir)
    erase_credentials(at(username="work"), secret="stale", directory=str(config_dir))
    assert get(config_dir) == "tok-1"


def test_other_profiles_of_the_origin_still_answer(config_dir):
    login(config_dir)
    store_credential(git("alice", "pw-a")[1], "password", base_name="git", directory=str(config_dir))
    refuse(config_dir)
    assert get(config_dir) == "pw-a"


def test_logout_forgets_it(config_dir):
    login(config_dir)
    refuse(config_dir)
    with Profiles(str(config_dir)).edit() as edit:
        edit.remove_profile("work")
    assert b"work" not in (config_dir / refusals.NAME).read_bytes()


def test_a_file_others_can_write_is_refused(config_dir):
    login(config_dir)
    refuse(config_dir)
    os.chmod(config_dir / refusals.NAME, 0o666)
    with pytest.raises(ConfigError, match="writable by other users"):
        get(config_dir)


@pytest.mark.parametrize("content", [b"", b"garbage\n", b"work nothex notatime\n", b"\xff\xfe\n", b"work a b c\n"])
def test_a_malformed_file_withholds_nothing(config_dir, content):
    login(config_dir)
    (config_dir / refusals.NAME).write_bytes(content)
    os.chmod(config_dir / refusals.NAME, 0o600)
    assert get(config_dir) == "tok-1"
