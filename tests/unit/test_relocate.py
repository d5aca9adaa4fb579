"""Moving a profile between secret stores (relocate.py), in-process over the in-memory store (the
keyring's stand-in) and the file store, with one of them made to fail at each step: whatever fails,
the profile keeps reading its secrets and none is lost. The same moves run against the real keyring
and pass, with SIGKILL at random points, in tests/test_secret_store_moves.py."""

import pytest

from truto_credential_helper import relocate
from truto_credential_helper.errors import SecretStoreUnavailable
from truto_credential_helper.profiles import Profiles
from truto_credential_helper.secrets.file import FileStore

SECRETS = {"apiToken": "tok-moving-1", "anthropicApiKey": "sk-moving-2"}


@pytest.fixture
def store(config_dir):
    s = Profiles(str(config_dir))
    with s.edit() as edit:
        edit.save_profile("p", {"apiUrl": "https://api.example"}, dict(SECRETS), store_kind="keyring")
        edit.save_profile("other", {"apiUrl": "https://other.example"}, {"apiToken": "tok-other"}, store_kind="keyring")
    return Profiles(str(config_dir))


def readable(config_dir, name="p"):
    s = Profiles(str(config_dir))
    profile = s.profile(name)
    return {f: s.read_secret(profile, f) for f in profile.secrets}, profile.secret_store


def test_a_move_copies_switches_then_deletes(store, config_dir, stored_secrets):
    assert relocate.move_profile(store, "p", "file") == sorted(SECRETS)
    assert readable(config_dir) == (SECRETS, "file")
    assert set(stored_secrets()) == {("other", "apiToken")}  # the old copies are gone, the other profile's not
    assert relocate.move_profile(store, "p", "file") is None  # already there


def test_failing_to_write_the_new_store_leaves_the_profile_where_it_was(store, config_dir, monkeypatch, stored_secrets):
    def broken(self, profile, field, value):
        if field == "anthropicApiKey":
            raise SecretStoreUnavailable("the new store broke mid-way")
        return real(self, profile, field, value)

    real = FileStore.set
    monkeypatch.setattr(FileStore, "set", broken)
    with pytest.raises(SecretStoreUnavailable):
        relocate.move_profile(store, "p", "file")
    assert readable(config_dir) == (SECRETS, "keyring")
    assert len(stored_secrets()) == 3


def test_a_store_that_does_not_give_the_secret_back_stops_the_move(store, config_dir, monkeypatch):
    monkeypatch.setattr(FileStore, "get", lambda self, profile, field: "something else")
    with pytest.raises(SecretStoreUnavailable, match="did not give back"):
        relocate.move_profile(store, "p", "file")
    assert readable(config_dir) == (SECRETS, "keyring")


def test_failing_to_delete_the_old_copies_keeps_the_move_and_says_so(
    store, config_dir, monkeypatch, capsys, stored_secrets
):
    from truto_credential_helper.secrets import memory

    def broken(self, profile, field):
        raise SecretStoreUnavailable("the old store broke")

    monkeypatch.setattr(memory.MemoryStore, "delete", broken)
    relocate.move_profile(store, "p", "file")
    assert readable(config_dir) == (SECRETS, "file")
    assert "could not be deleted" in capsys.readouterr().err
    assert "tok-moving-1" not in capsys.readouterr().err


def test_old_copies_are_kept_when_the_profile_was_moved_back_meanwhile(store, config_dir, stored_secrets):
    # Step 3 of a move runs after the lock was let go once: a move back in between owns them again.
    relocate.forget_old_copies(store, "p", "keyring", list(SECRETS))
    assert readable(config_dir) == (SECRETS, "keyring")


def test_a_shared_store_keeps_its_secret_when_a_profile_moves_away(store, config_dir, monkeypatch, stored_secrets):
    from truto_credential_helper.secrets import memory

    monkeypatch.setattr(memory.MemoryStore, "owned", False, raising=False)
    relocate.move_profile(store, "p", "file")
    assert readable(config_dir) == (SECRETS, "file")
    assert ("p", "apiToken") in stored_secrets()
