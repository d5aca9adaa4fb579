"""Secrets in this process's memory: the stand-in for the OS keyring in the in-process tests, so
the rules above the store run in-process, without a D-Bus session or a keyring daemon.

No user can select it: open_store() does not know this kind and the config schema does not allow
it, so nothing a user writes or types reaches it, and `get` never imports it. A test puts it in
the keyring's place for the duration of one test (tests/unit/conftest.py).

Like the keyring, every store of one config directory sees the same items (one namespace per
directory, as os_keyring.service_name), and two directories never see each other's.
"""

import os

from .base import SecretStore

MEMORY = "memory"

_items: dict[str, dict[tuple[str, str], str]] = {}  # {abspath(config_dir): {(profile, field): secret}}


class MemoryStore(SecretStore):
    kind = MEMORY

    def __init__(self, config_dir):
        self.directory = os.path.abspath(config_dir)

    def _namespace(self):
        return _items.setdefault(self.directory, {})

    def get(self, profile, field):
        return self._namespace().get((profile, field))

    def set(self, profile, field, value):
        if not isinstance(value, str):
            raise TypeError("a secret is a str")  # as keyring: catch a caller storing None or bytes
        self._namespace()[(profile, field)] = value

    def delete(self, profile, field):
        self._namespace().pop((profile, field), None)

    def names(self):
        return sorted(self._namespace())

    def describe(self):
        return f"process memory (tests only), namespace '{self.directory}'"

    def items(self):
        """{(profile, field): secret} of this directory, for tests to look inside."""
        return dict(self._namespace())


def forget_all():
    """Drop every namespace: a test's secrets do not outlive it."""
    _items.clear()
