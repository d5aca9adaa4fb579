"""The OS keyring through `keyring`, every call bounded by TRUTO_KEYRING_TIMEOUT.

A locked or absent Secret Service can block a D-Bus call forever on a headless machine (gh wraps
its keyring for the same reason), so each call runs in a daemon thread we stop waiting for.
"""

import os
import time

from ..errors import NO_KEYRING_HINT, SecretStoreUnavailable, TrutoError
from ..kinds import KEYRING
from ..settings import ENV_KEYRING_TIMEOUT, default_config_dir, seconds
from .base import SecretStore

SERVICE = "truto"
DEFAULT_TIMEOUT = 10.0


def service_name(config_dir):
    """Keyring service for a config directory: 'truto' for ~/.truto; a separate namespace for any
    other TRUTO_CONFIG_DIR, so a test or second setup never reads or deletes the main profiles."""
    if os.path.abspath(config_dir) == os.path.abspath(default_config_dir()):
        return SERVICE
    return f"{SERVICE}:{os.path.abspath(config_dir)}"


def item_username(profile, field):
    return f"{profile}:{field}"


def keyring_timeout():
    return seconds(ENV_KEYRING_TIMEOUT, DEFAULT_TIMEOUT)


def bounded(action, fn, *args, deadline=None):
    """Run fn(*args) with the keyring timeout (or until `deadline`, a time.monotonic() value, when
    part of the budget is already spent); turn every keyring failure into exit 6."""
    import threading  # here, not at the top: the Secret Service fast path of `get` needs no thread

    timeout = keyring_timeout()
    if _silent(timeout):
        raise timeout_failure(action, timeout)
    outcome = {}

    def run():
        try:
            outcome["value"] = fn(*args)
        except BaseException as e:  # handed to the caller's thread below
            outcome["error"] = e

    worker = threading.Thread(target=run, name="keyring", daemon=True)
    worker.start()
    worker.join(timeout if deadline is None else max(0.0, deadline - time.monotonic()))
    if worker.is_alive():
        _went_silent(timeout, worker)
        raise timeout_failure(action, timeout)
    if "error" in outcome:
        raise keyring_failure(action, outcome["error"])
    return outcome.get("value")


# A keyring that let one call run out its time is not asked again, in this process, until that
# much time has passed and no call of ours is still waiting on it: a command that needs several
# calls (doctor: the backend, the probe, the listing) then ends within one TRUTO_KEYRING_TIMEOUT,
# not one per call, while a long-lived process asks again once the keyring may have woken.
_quiet = {"until": 0.0, "waiting": None}


def _went_silent(timeout, waiting=None):
    _quiet["until"] = time.monotonic() + timeout
    _quiet["waiting"] = waiting


def _silent(timeout):
    waiting = _quiet["waiting"]
    if waiting is not None and waiting.is_alive():
        return True
    return time.monotonic() < _quiet["until"]


def forget_silence():
    """Ask the keyring again at the next call (a test, or a caller that knows it was unlocked)."""
    _went_silent(-float("inf"))


def timeout_failure(action, timeout):
    return SecretStoreUnavailable(
        f"the OS keyring did not answer within {timeout:g} s while trying to {action} (locked, or no "
        f"Secret Service running?); unlock it and retry, raise TRUTO_KEYRING_TIMEOUT, or {NO_KEYRING_HINT}"
    )


def keyring_failure(action, error):
    if isinstance(error, TrutoError):
        return error
    name = type(error).__name__
    if name == "NoKeyringError" or "No recommended backend" in str(error):
        return SecretStoreUnavailable(f"no usable OS keyring is available to {action}; {NO_KEYRING_HINT}")
    if name in ("LockedException", "KeyringLocked"):
        return SecretStoreUnavailable(
            f"the OS keyring is locked, so truto cannot {action}; unlock it and retry, or {NO_KEYRING_HINT}"
        )
    # Only the exception's type: some backends put item attributes or payloads in the message.
    return SecretStoreUnavailable(
        f"the OS keyring failed to {action} ({name}); check that it is running and unlocked, or {NO_KEYRING_HINT}"
    )


class KeyringStore(SecretStore):
    kind = KEYRING

    def __init__(self, config_dir):
        self.config_dir = config_dir
        self.service = service_name(config_dir)

    def get(self, profile, field):
        def read():
            import keyring

            return keyring.get_password(self.service, item_username(profile, field))

        return self._direct("read a secret", "get_password", read, item_username(profile, field))

    def set(self, profile, field, value):
        def write():
            import keyring

            for attempt in (1, 2):
                try:
                    return keyring.set_password(self.service, item_username(profile, field), value)
                except Exception as e:
                    # gnome-keyring, with other clients writing at once, may announce the item it has
                    # just made and then not find it; writing the same item again is safe.
                    if attempt == 2 or type(e).__name__ != "ItemNotFoundException":
                        raise

        self._direct("save a secret", "set_password", write, item_username(profile, field), value)

    def delete(self, profile, field):
        def remove():
            import keyring
            import keyring.errors

            try:
                keyring.delete_password(self.service, item_username(profile, field))
            except keyring.errors.PasswordDeleteError:
                pass  # already gone

        self._direct("delete a secret", "delete_password", remove, item_username(profile, field))

    def _direct(self, action, call, through_keyring, *args):
        """The Secret Service spoken directly (no `import keyring`, which alone takes longer than a
        whole `get`), for what keyring would do there anyway; whatever it cannot do plainly goes
        through keyring, so results, prompts and errors stay keyring's. One budget for both paths,
        not one each."""
        from . import secret_service

        timeout = keyring_timeout()
        if _silent(timeout):
            raise timeout_failure(action, timeout)
        deadline = time.monotonic() + timeout
        try:
            return getattr(secret_service, call)(self.service, *args, timeout, memo_dir=self.config_dir)
        except secret_service.TimedOut:
            _went_silent(timeout)
            raise timeout_failure(action, timeout) from None
        except secret_service.Unanswerable:
            pass
        return bounded(action, through_keyring, deadline=deadline)

    def names(self):
        """Items of this service, by their user name `<profile>:<field>`. keyring has no listing
        call: only the Secret Service backend (a search by attribute) can answer; None otherwise."""

        def listing():
            import keyring

            backend = keyring.get_keyring()
            for candidate in [backend] + list(getattr(backend, "backends", ())):  # a ChainerBackend's
                if hasattr(candidate, "get_preferred_collection"):
                    collection = candidate.get_preferred_collection()
                    return [
                        item.get_attributes().get("username", "")
                        for item in collection.search_items({"service": self.service})
                    ]
            return None

        usernames = bounded("list the secrets", listing)
        if usernames is None:
            return None
        return sorted(tuple(u.split(":", 1)) for u in usernames if ":" in u)

    def describe(self):
        backend = backend_path()
        return f"OS keyring{f' ({backend})' if backend else ''}, service '{self.service}'"


def backend_path():
    """module.Class of the keyring backend, found within the keyring timeout (finding it may ask
    the session bus); None when it could not be found."""

    def find():
        import keyring

        kind = type(keyring.get_keyring())
        return f"{kind.__module__}.{kind.__name__}"

    try:
        return bounded("find the keyring backend", find)
    except TrutoError:
        return None
