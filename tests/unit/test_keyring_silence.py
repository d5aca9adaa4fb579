"""A keyring that let one call run out TRUTO_KEYRING_TIMEOUT is not waited on again by the calls
that follow in the same process (doctor makes several), and is asked again once its stuck call has
ended and that much time has passed (a long-lived process, after the keyring was unlocked)."""

import threading
import time

import pytest

from truto_credential_helper.errors import SecretStoreUnavailable
from truto_credential_helper.secrets import os_keyring

TIMEOUT = 0.3
KeyringStore = os_keyring.KeyringStore  # the real one: the tier puts the in-memory store in its place


@pytest.fixture(autouse=True)
def short_timeout(monkeypatch):
    monkeypatch.setenv("TRUTO_KEYRING_TIMEOUT", str(TIMEOUT))
    os_keyring.forget_silence()
    yield
    os_keyring.forget_silence()


def test_after_one_call_runs_out_the_time_the_next_ones_fail_at_once():
    release = threading.Event()
    with pytest.raises(SecretStoreUnavailable, match="did not answer within"):
        os_keyring.bounded("read a secret", release.wait)
    asked = []
    started = time.monotonic()
    for _ in range(5):
        with pytest.raises(SecretStoreUnavailable, match="did not answer within"):
            os_keyring.bounded("list the secrets", lambda: asked.append(1))
    assert not asked and time.monotonic() - started < TIMEOUT, "a later call waited on the silent keyring"
    release.set()


def test_it_is_asked_again_once_the_stuck_call_ended_and_the_time_passed():
    release = threading.Event()
    with pytest.raises(SecretStoreUnavailable):
        os_keyring.bounded("read a secret", release.wait)
    threading.Event().wait(TIMEOUT * 1.5)
    with pytest.raises(SecretStoreUnavailable):  # its call is still waiting: still silent
        os_keyring.bounded("read a secret", lambda: "answered")
    release.set()
    threading.Event().wait(TIMEOUT * 1.5)
    assert os_keyring.bounded("read a secret", lambda: "answered") == "answered"


def test_a_describe_on_a_silent_keyring_names_no_backend_and_does_not_wait(monkeypatch):
    release = threading.Event()
    with pytest.raises(SecretStoreUnavailable):
        os_keyring.bounded("read a secret", release.wait)
    started = time.monotonic()
    text = KeyringStore("/nonexistent/truto").describe()
    assert text == "OS keyring, service 'truto:/nonexistent/truto'"
    assert time.monotonic() - started < TIMEOUT
    release.set()


def test_a_write_gnome_keyring_loses_track_of_is_written_again(monkeypatch):
    """With other clients writing at once, gnome-keyring may announce an item and then not find it
    (secretstorage's ItemNotFoundException): the write is made once more; a second loss is exit 6."""
    import keyring

    class ItemNotFoundException(Exception):
        pass

    written, losses = [], [2]

    def set_password(service, username, value):
        if losses[0]:
            losses[0] -= 1
            raise ItemNotFoundException("item /org/freedesktop/secrets/collection/login/7")
        written.append((service, username, value))

    monkeypatch.setattr(keyring, "set_password", set_password)
    store = KeyringStore("/nonexistent/truto")
    with pytest.raises(SecretStoreUnavailable, match="ItemNotFoundException"):
        store.set("work", "apiToken", "tok-1")
    assert written == [] and losses == [0]
    losses[0] = 1
    store.set("work", "apiToken", "tok-2")
    assert written == [("truto:/nonexistent/truto", "work:apiToken", "tok-2")]
