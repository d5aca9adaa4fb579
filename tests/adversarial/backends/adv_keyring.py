"""keyring backends that misbehave, loaded by the processes under test through
PYTHON_KEYRING_BACKEND=adv_keyring.<Class> with this directory on PYTHONPATH."""

import time

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked


class _Base(KeyringBackend):
    priority = 1

    def get_password(self, service, username):
        return self.act(service, username, None)

    def set_password(self, service, username, password):
        return self.act(service, username, password)

    def delete_password(self, service, username):
        return self.act(service, username, None)


class Hanging(_Base):
    """Every call blocks, as a Secret Service waiting on an unlock prompt nobody will answer."""

    def act(self, service, username, password):
        time.sleep(3600)


class Raising(_Base):
    """Every call fails with an error type nobody expects, whose message quotes the secret."""

    def act(self, service, username, password):
        raise RuntimeError(f"backend exploded on {service}/{username} holding {password!r}")


class Locked(_Base):
    def act(self, service, username, password):
        raise KeyringLocked(f"locked while holding {password!r}")


class BrokenInit(_Base):
    """Fails when keyring instantiates it."""

    def __init__(self, *args, **kwargs):
        raise OSError("cannot open the secret database")

    def act(self, service, username, password):
        return None


class ExitsProcess(_Base):
    """Raises SystemExit from inside the keyring call: must not end the command silently with 0."""

    def act(self, service, username, password):
        raise SystemExit(0)


class StallsOnSave(KeyringBackend):
    """The real Secret Service, except that saving a secret never returns: before the item is
    written (ADV_STALL=before) or after (ADV_STALL=after). Lets a test kill a writer exactly between
    its keyring write and its config.json write."""

    priority = 1

    def __init__(self):
        from keyring.backends.SecretService import Keyring

        self._real = Keyring()

    def get_password(self, service, username):
        return self._real.get_password(service, username)

    def delete_password(self, service, username):
        return self._real.delete_password(service, username)

    def get_preferred_collection(self):
        return self._real.get_preferred_collection()

    def set_password(self, service, username, password):
        import os

        if os.environ.get("ADV_STALL") == "after":
            self._real.set_password(service, username, password)
        with open(os.environ["ADV_STALL_MARK"], "a") as f:
            f.write(username + "\n")
        time.sleep(3600)
