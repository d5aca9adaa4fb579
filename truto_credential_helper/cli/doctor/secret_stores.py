"""`truto doctor`'s checks of the secret stores: plaintext storage, the OS keyring (a timed round
trip with a probe item it deletes after), and each profile's store (for pass, the read a get does)."""

import os
import time

from ...errors import TrutoError
from ...settings import ENV_TOKEN
from .report import FAIL, INFO, OK, WARN, mode_owner, one_line

PROBE_PROFILE = "_truto-doctor-probe"  # not a valid profile name: can never be a real profile's item


def check_secret_storage(checks, directory, doc, profiles):
    from ...secrets import FILE
    from ...secrets.file import FILE_NAME

    insecure = [p.name for p in profiles if p.secret_store == FILE]
    for name in insecure:
        checks.add(
            "insecure storage",
            WARN,
            f"profile '{name}' keeps its secrets in plaintext {FILE_NAME}",
            f"truto profiles set secret-store keyring -p {name} (or pass) to move them out of plaintext",
        )
    path = os.path.join(directory, FILE_NAME)
    if os.path.lexists(path):
        status, message, fix = mode_owner(path, 0o600, "plaintext secrets")
        checks.add("credentials file", status, message, fix)
    elif not insecure:
        checks.add("insecure storage", OK, "no profile keeps secrets in plaintext")


def check_keyring(checks, directory, profiles):
    """The keyring backend in use and a timed store/read/delete round trip of a probe item."""
    import secrets as random_source

    from ...secrets import KEYRING
    from ...secrets.os_keyring import KeyringStore, bounded

    # Needed by a profile that keeps its secrets there, and, with no profile and no TRUTO_API_TOKEN,
    # by the next ordinary command: `truto login` stores into the keyring by default.
    needed = any(p.secret_store == KEYRING for p in profiles) or not (profiles or os.environ.get(ENV_TOKEN))
    failing = FAIL if needed else WARN
    fix = "unlock or start the OS keyring (Secret Service); in CI use TRUTO_API_TOKEN, or --insecure-storage"

    def backend_name():
        import keyring

        backend = keyring.get_keyring()
        return f"{getattr(backend, 'name', type(backend).__name__)} ({type(backend).__module__})"

    try:
        name = bounded("find the keyring backend", backend_name)
    except TrutoError as e:
        checks.add("keyring", failing, one_line(e), fix)
        return
    if "fail" in name.lower() or "null" in name.lower():
        checks.add("keyring", failing, f"no usable OS keyring: backend {name}", fix)
        return
    store = KeyringStore(directory)
    field = "probe-" + random_source.token_hex(4)
    value = random_source.token_urlsafe(16)
    started = time.monotonic()
    try:
        try:
            store.set(PROBE_PROFILE, field, value)
            ok = store.get(PROBE_PROFILE, field) == value
        finally:
            store.delete(PROBE_PROFILE, field)
        left = store.get(PROBE_PROFILE, field)
    except TrutoError as e:
        checks.add("keyring", failing, f"{name}: {one_line(e)}", fix)
        return
    elapsed = (time.monotonic() - started) * 1000
    if not ok or left is not None:
        checks.add("keyring", FAIL, f"{name}: the probe item did not read back as written, or was not deleted", fix)
    else:
        checks.add("keyring", OK, f"{name}: store, read and delete of a probe item took {elapsed:.0f} ms")


def check_profile_stores(checks, directory, profiles):
    """Which store each profile uses; for pass, that its store can serve it (the same read a get does)."""
    from ...secrets import PASS

    for p in profiles:
        checks.add(
            "secret store",
            INFO,
            f"profile '{p.name}' keeps its secrets in {p.secret_store}",
            profile=p.name,
            secretStore=p.secret_store,
        )
    users = [p for p in profiles if p.secret_store == PASS]
    if users:
        from ...secrets.pass_store import PassStore, diagnose

        problems = diagnose(directory)
        for message, fix in problems:
            checks.add("pass", FAIL, message, fix)
        store = PassStore(directory)
        for p in users if not problems else ():
            field = "apiToken" if "apiToken" in p.secrets else next(iter(p.secrets), None)
            try:
                ok = field is None or store.get(p.name, field) is not None
            except TrutoError as e:
                checks.add("pass", FAIL, f"profile '{p.name}': {one_line(e)}", "unlock the store's key in gpg-agent")
                continue
            checks.add(
                "pass",
                OK if ok else FAIL,
                f"profile '{p.name}': {store.describe()}" + ("" if ok else f" lacks {field}"),
                "" if ok else f"truto login --profile-name {p.name} --secret-store pass",
            )
