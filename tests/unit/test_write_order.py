"""The order of a profile's writes (write_order.py): what is deleted, when config.json is written,
what is written to the secret store, as a recording store and config see it. First write_order's
functions with the recording store and config passed in, then the writers that call them
(Edit.save_profile and set_secret, a git `store`, a move) over the in-memory store, so reordering
either the rule or a caller fails here. tests/adversarial/test_crash_safety.py kills real writers
at these points."""

import contextlib

import pytest

from truto_credential_helper import config, relocate, write_order
from truto_credential_helper.credential_ops import store_credential
from truto_credential_helper.errors import SecretStoreUnavailable
from truto_credential_helper.profiles import Profiles
from truto_credential_helper.secrets import file, memory, os_keyring

from .rules_support import git


class RecordingStore:
    """A secret store that logs each call as (op, store, profile, field), never the value."""

    owned = True

    def __init__(self, label, log, fail_set=None):
        self.label, self.log, self.fail_set = label, log, fail_set
        self.items = {}

    def get(self, profile, field):
        self.log.append(("get", self.label, profile, field))
        return self.items.get((profile, field))

    def set(self, profile, field, value):
        self.log.append(("set", self.label, profile, field))
        if field == self.fail_set:
            raise SecretStoreUnavailable("the store broke")
        self.items[(profile, field)] = value

    def delete(self, profile, field):
        self.log.append(("delete", self.label, profile, field))
        self.items.pop((profile, field), None)


def test_replace_deletes_then_names_then_writes():
    log = []
    store = RecordingStore("keyring", log)
    write_order.replace(
        [(store, "p", "apiToken"), (store, "p", "anthropicApiKey")],
        lambda: log.append(("commit",)),
        [(store, "p", "apiToken", "tok-new")],
        lambda: log.append(("unname",)),
    )
    assert log == [
        ("delete", "keyring", "p", "apiToken"),
        ("delete", "keyring", "p", "anthropicApiKey"),
        ("commit",),
        ("set", "keyring", "p", "apiToken"),
    ]


def test_replace_consumes_the_deletes_one_at_a_time():
    """A caller's generator sees each delete done before it yields the next (save_profile keeps
    track of what it deleted that way)."""
    log = []
    store = RecordingStore("keyring", log)

    def deletes():
        for field in ("apiToken", "anthropicApiKey"):
            yield store, "p", field
            log.append(("deleted", field))

    write_order.replace(deletes(), lambda: log.append(("commit",)))
    assert log == [
        ("delete", "keyring", "p", "apiToken"),
        ("deleted", "apiToken"),
        ("delete", "keyring", "p", "anthropicApiKey"),
        ("deleted", "anthropicApiKey"),
        ("commit",),
    ]


def test_a_failed_write_unnames_before_the_error_goes_on():
    log = []
    store = RecordingStore("keyring", log, fail_set="anthropicApiKey")
    with pytest.raises(SecretStoreUnavailable, match="the store broke"):
        write_order.replace(
            [],
            lambda: log.append(("commit",)),
            [(store, "p", "apiToken", "tok"), (store, "p", "anthropicApiKey", "sk"), (store, "p", "x", "never")],
            lambda: log.append(("unname",)),
        )
    assert log == [
        ("commit",),
        ("set", "keyring", "p", "apiToken"),
        ("set", "keyring", "p", "anthropicApiKey"),
        ("unname",),
    ]


def test_an_unname_that_fails_does_not_hide_the_write_error():
    store = RecordingStore("keyring", [], fail_set="apiToken")

    def unname():
        raise OSError("disk full")

    with pytest.raises(SecretStoreUnavailable):
        write_order.replace([], lambda: None, [(store, "p", "apiToken", "tok")], unname)


def test_a_failed_delete_names_and_writes_nothing():
    log = []
    store = RecordingStore("keyring", log)

    def broken(profile, field):
        log.append(("delete", "keyring", profile, field))
        raise SecretStoreUnavailable("cannot delete")

    store.delete = broken
    with pytest.raises(SecretStoreUnavailable):
        write_order.replace(
            [(store, "p", "apiToken")], lambda: log.append(("commit",)), [(store, "p", "apiToken", "t")]
        )
    assert log == [("delete", "keyring", "p", "apiToken")]


def test_remove_deletes_then_unnames():
    log = []
    store = RecordingStore("keyring", log)
    write_order.remove([(store, "p", "apiToken")], lambda: log.append(("unname",)))
    assert log == [("delete", "keyring", "p", "apiToken"), ("unname",)]


def recording_edit(log):
    """An edit() as Profiles.edit: the lock taken, the editor yielded, config.json written as the
    block ends without an error."""

    @contextlib.contextmanager
    def edit():
        log.append(("lock",))
        try:
            yield "editor"
            log.append(("commit",))
        finally:
            log.append(("unlock",))

    return edit


def mover(log, old, new, fields=("apiToken",)):
    def copy(editor):
        for field in fields:
            new.set("p", field, old.get("p", field))
            new.get("p", field)
        return list(fields)

    def switch(editor, copied):
        log.append(("switch", tuple(copied)))

    def forget(editor, copied):
        for field in copied:
            old.delete("p", field)

    return copy, switch, forget


def test_a_move_copies_and_switches_under_one_lock_then_forgets_under_another():
    log = []
    old, new = RecordingStore("keyring", log), RecordingStore("file", log)
    old.items[("p", "apiToken")] = "tok"
    assert write_order.move(recording_edit(log), *mover(log, old, new)) == ["apiToken"]
    assert log == [
        ("lock",),
        ("get", "keyring", "p", "apiToken"),
        ("set", "file", "p", "apiToken"),
        ("get", "file", "p", "apiToken"),
        ("switch", ("apiToken",)),
        ("commit",),
        ("unlock",),
        ("lock",),
        ("delete", "keyring", "p", "apiToken"),
        ("commit",),
        ("unlock",),
    ]


def test_a_move_with_nothing_to_move_switches_and_forgets_nothing():
    log = []
    _, switch, forget = mover(log, RecordingStore("keyring", log), RecordingStore("file", log))
    assert write_order.move(recording_edit(log), lambda editor: None, switch, forget) is None
    assert log == [("lock",), ("commit",), ("unlock",)]


def test_a_failed_copy_keeps_the_old_copies_and_config():
    log = []
    old, new = RecordingStore("keyring", log), RecordingStore("file", log, fail_set="apiToken")
    with pytest.raises(SecretStoreUnavailable):
        write_order.move(recording_edit(log), *mover(log, old, new))
    assert log == [("lock",), ("get", "keyring", "p", "apiToken"), ("set", "file", "p", "apiToken"), ("unlock",)]


# The callers, over the in-memory store with every call and config.json write recorded.


@pytest.fixture
def log(monkeypatch):
    """The calls of the keyring's and the file store's set/delete, and config.json's commits as what
    config.json names then ({profile: (store, secrets)}), in order."""
    calls = []

    def recording(cls, label):
        class Recording(cls):
            def set(self, profile, field, value):
                calls.append(("set", label, profile, field))
                super().set(profile, field, value)

            def delete(self, profile, field):
                calls.append(("delete", label, profile, field))
                super().delete(profile, field)

        return Recording

    monkeypatch.setattr(os_keyring, "KeyringStore", recording(memory.MemoryStore, "keyring"))
    monkeypatch.setattr(file, "FileStore", recording(file.FileStore, "file"))
    real_commit = config.commit

    def commit(directory, doc):
        named = {n: (s.get("secretStore"), tuple(s.get("secrets", ()))) for n, s in doc["profiles"].items()}
        calls.append(("commit", named))
        real_commit(directory, doc)

    monkeypatch.setattr(config, "commit", commit)
    return calls


@pytest.fixture
def store(config_dir, log):
    s = Profiles(str(config_dir))
    with s.edit() as edit:
        edit.save_profile("p", {"apiUrl": "https://api.example"}, {"apiToken": "t1", "anthropicApiKey": "k1"})
    log.clear()
    return Profiles(str(config_dir))


def test_a_login_elsewhere_deletes_the_old_secrets_names_the_new_then_writes_it(store, log):
    with store.edit() as edit:
        edit.save_profile("p", {"apiUrl": "https://moved.example"}, {"apiToken": "t2"})
    assert log == [
        ("delete", "keyring", "p", "apiToken"),  # the old origin's token, where the new one goes
        ("delete", "keyring", "p", "anthropicApiKey"),  # dropped
        ("commit", {"p": ("keyring", ("apiToken",))}),
        ("set", "keyring", "p", "apiToken"),
    ]


def test_a_login_to_the_same_origin_overwrites_in_place(store, log):
    with store.edit() as edit:
        edit.save_profile("p", {"apiUrl": "https://api.example"}, {"apiToken": "t2"})
    assert log == [
        ("delete", "keyring", "p", "anthropicApiKey"),
        ("commit", {"p": ("keyring", ("apiToken",))}),
        ("set", "keyring", "p", "apiToken"),
    ]


def test_a_failed_login_write_puts_config_back_to_what_still_holds_its_secret(store, log, monkeypatch):
    def broken(self, profile, field, value):
        log.append(("set", "keyring", profile, field))
        raise SecretStoreUnavailable("the keyring broke")

    monkeypatch.setattr(os_keyring.KeyringStore, "set", broken)
    with pytest.raises(SecretStoreUnavailable), store.edit() as edit:
        edit.save_profile("p", {"apiUrl": "https://api.example"}, {"apiToken": "t2"})
    assert log == [
        ("delete", "keyring", "p", "anthropicApiKey"),
        ("commit", {"p": ("keyring", ("apiToken",))}),
        ("set", "keyring", "p", "apiToken"),
        ("commit", {"p": ("keyring", ("apiToken",))}),  # the old settings, naming only the token left
    ]
    assert Profiles(store.directory).profile("p").api_url == "https://api.example"


def test_a_new_secret_is_named_before_it_is_written(store, log):
    with store.edit() as edit:
        edit.set_secret("p", "firecrawlApiKey", "fc-1")
    assert log[:3] == [
        ("delete", "keyring", "p", "firecrawlApiKey"),  # a leftover of that name
        ("commit", {"p": ("keyring", ("anthropicApiKey", "apiToken", "firecrawlApiKey"))}),
        ("set", "keyring", "p", "firecrawlApiKey"),
    ]


def test_logout_deletes_the_secrets_before_config_forgets_the_profile(store, log):
    with store.edit() as edit:
        edit.remove_profile("p")
    assert log == [
        ("delete", "keyring", "p", "anthropicApiKey"),
        ("delete", "keyring", "p", "apiToken"),
        ("commit", {}),
    ]


def test_a_git_store_of_a_new_credential_names_it_before_writing_it(config_dir, log):
    assert store_credential(git("alice", "pw-1")[1], "password", base_name="git", directory=str(config_dir)) == "alice"
    assert log == [
        ("delete", "keyring", "alice", "apiToken"),
        ("commit", {"alice": ("keyring", ("apiToken",))}),
        ("set", "keyring", "alice", "apiToken"),
    ]


def test_a_move_writes_the_new_copies_switches_then_deletes_the_old(store, log):
    assert relocate.move_profile(store, "p", "file") == ["anthropicApiKey", "apiToken"]
    assert log == [
        ("set", "file", "p", "anthropicApiKey"),
        ("set", "file", "p", "apiToken"),
        ("commit", {"p": ("file", ("anthropicApiKey", "apiToken"))}),
        ("delete", "keyring", "p", "anthropicApiKey"),
        ("delete", "keyring", "p", "apiToken"),
    ]
