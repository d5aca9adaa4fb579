"""Secrets in `pass`, the standard Unix password store (GPG-encrypted files under PASSWORD_STORE_DIR,
else ~/.password-store), as docker-credential-helpers' pass backend keeps them: for servers,
containers and WSL that have GPG but no Secret Service.

Each secret is one entry `truto/<namespace>/<profile>/<field>`. The namespace separates config
directories as the keyring's service name does (os_keyring.service_name): `home` for ~/.truto,
`dir-<sha256 of the directory>` for any other. A profile name is used as it is when it is a plain
lower-case name, a field when it is one of SECRET_FIELDS; any other name is written `=` + base32 of
its UTF-8 bytes, so no name can climb out of its directory, start an option, or meet another name on
a case-insensitive file system.

Secrets reach pass on stdin (`insert -m`), never in argv. An entry holds the secret and a newline, as
pass's own entries do (`pass show` prints it, `pass -c` copies it), and reads back exactly. Every
call is bounded by TRUTO_KEYRING_TIMEOUT; any failure is one line and exit 6, without a secret.
"""

import os

from ..errors import SecretStoreUnavailable
from ..kinds import PASS, SECRET_FIELDS
from ..settings import ENV_KEYRING_TIMEOUT, default_config_dir, seconds
from .base import SecretStore

PREFIX = "truto"
DEFAULT_TIMEOUT = 10.0
HINT = "or keep this profile in another store with --secret-store"


def store_dir():
    return os.environ.get("PASSWORD_STORE_DIR") or os.path.join(os.path.expanduser("~"), ".password-store")


def namespace(config_dir):
    if os.path.abspath(config_dir) == os.path.abspath(default_config_dir()):
        return "home"
    import hashlib

    return "dir-" + hashlib.sha256(os.fsencode(os.path.abspath(config_dir))).hexdigest()[:40]


def path_component(name, plain=None):
    """A name as one safe, case-insensitively distinct path component (see the module docstring);
    plain(name) says whether it may stay as it is."""
    import re

    if (plain or re.compile(r"[a-z0-9][a-z0-9._@+-]{0,127}").fullmatch)(name):
        return name
    import base64

    return "=" + base64.b32encode(name.encode("utf-8")).decode("ascii").rstrip("=").lower()


def name_of(component):
    """The name path_component() wrote as `component` (None when it is not one it writes)."""
    if not component.startswith("="):
        return component
    import base64
    import binascii

    text = component[1:].upper()
    try:
        return base64.b32decode(text + "=" * (-len(text) % 8)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def entry_name(config_dir, profile, field):
    field_part = path_component(field, plain=SECRET_FIELDS.__contains__)
    return "/".join((PREFIX, namespace(config_dir), path_component(profile), field_part))


def gpg_id_file(directory, entry):
    """The .gpg-id pass encrypts `entry` for (its own lookup: the entry's folder, then up), or None."""
    current = os.path.dirname(entry)
    while True:
        path = os.path.join(directory, current, ".gpg-id")
        if os.path.isfile(path):
            return path
        if not current:
            return None
        current = os.path.dirname(current)


def initialised(directory, entry):
    """Whether pass has a key for `entry`: PASSWORD_STORE_KEY (pass prefers it), else a .gpg-id."""
    return bool(os.environ.get("PASSWORD_STORE_KEY")) or gpg_id_file(directory, entry) is not None


def check_trusted(directory, entry, files=()):
    """Refuse (SecretStoreUnavailable) a password store another user controls (trust_problem)."""
    problem = trust_problem(directory, entry, files)
    if problem:
        path, what, fix = problem
        raise SecretStoreUnavailable(
            f"{path}: {what}; refusing a password store another user controls: {fix}, "
            "or set PASSWORD_STORE_DIR to a store of your own"
        )


def trust_problem(directory, entry, files=()):
    """(path, what is wrong, fix) when another user controls the password store, before pass reads or
    writes it: one who can write in it can swap a .gpg-id for a key they hold (the next login
    encrypts to them) or replace an entry. The rule for config.json and its directory applies to
    the store directory, every folder down to `entry`'s, the .gpg-id pass encrypts `entry` to, and
    `files` (the entry file read). None when all is ours; what does not exist is not checked (pass
    creates it private)."""
    from ..file_trust import others_control

    folders = [directory]
    for part in entry.split("/")[:-1]:
        folders.append(os.path.join(folders[-1], part))
    gpg_id = gpg_id_file(directory, entry)
    for path in folders + ([gpg_id] if gpg_id else []) + list(files):
        try:
            st = os.stat(path)
        except FileNotFoundError:
            continue
        except OSError as e:
            return path, f"cannot be read ({e.strerror})", "check its owner and mode"
        problem = others_control(path, st)
        if problem:
            return (path,) + problem
    return None


class PassStore(SecretStore):
    kind = PASS

    def __init__(self, config_dir):
        self.config_dir = config_dir

    def _entry(self, profile, field):
        return entry_name(self.config_dir, profile, field)

    def _file(self, entry):
        return os.path.join(store_dir(), entry + ".gpg")

    def _require_initialised(self, entry, action):
        directory = store_dir()
        check_trusted(directory, entry)
        if not initialised(directory, entry):
            raise SecretStoreUnavailable(
                f"the password store {os.path.abspath(directory)} is not initialised, so truto cannot {action}; "
                f"run `pass init GPG-KEY-ID` (or set PASSWORD_STORE_DIR to an initialised store), {HINT}"
            )

    def get(self, profile, field):
        entry = self._entry(profile, field)
        if not os.path.isfile(self._file(entry)):
            self._require_initialised(entry, "read a secret")  # an empty or absent store is not "no secret"
            return None
        check_trusted(store_dir(), entry, [self._file(entry)])
        out = run_pass(["show", entry], None, "read a secret")
        value = out.decode("utf-8", "surrogateescape")
        return value[:-1] if value.endswith("\n") else value

    def set(self, profile, field, value):
        if not isinstance(value, str):
            raise TypeError("a secret is a str")
        entry = self._entry(profile, field)
        self._require_initialised(entry, "save a secret")
        run_pass(
            ["insert", "--multiline", "--force", entry],
            (value + "\n").encode("utf-8", "surrogateescape"),
            "save a secret",
        )

    def delete(self, profile, field):
        entry = self._entry(profile, field)
        if os.path.isfile(self._file(entry)):
            check_trusted(store_dir(), entry)
            run_pass(["rm", "--force", entry], None, "delete a secret")

    def names(self):
        # The entries' file names, never their contents: listing needs neither pass nor GPG.
        root = os.path.join(store_dir(), PREFIX, namespace(self.config_dir))
        check_trusted(store_dir(), f"{PREFIX}/{namespace(self.config_dir)}/-")
        found = []
        try:
            profiles = sorted(os.listdir(root))
        except FileNotFoundError:
            return []
        except OSError as e:
            raise SecretStoreUnavailable(f"cannot list {root} ({e.strerror}); check its permissions") from None
        for component in profiles:
            profile = name_of(component)
            folder = os.path.join(root, component)
            if profile is None or not os.path.isdir(folder):
                continue
            for entry in sorted(os.listdir(folder)):
                field = name_of(entry[:-4]) if entry.endswith(".gpg") else None
                if field is not None and path_component(profile) == component:
                    found.append((profile, field))
        return found

    def describe(self):
        where = os.path.abspath(store_dir())
        return f"pass ({where}), entries under {PREFIX}/{namespace(self.config_dir)}/"


def timeout():
    return seconds(ENV_KEYRING_TIMEOUT, DEFAULT_TIMEOUT)


def run_pass(args, data, action):
    """stdout of `pass ARGS` fed `data`, or SecretStoreUnavailable. Its own process group, so a
    timeout also ends the gpg it started."""
    import signal
    import subprocess

    limit = timeout()
    try:
        p = subprocess.Popen(
            ["pass"] + args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise SecretStoreUnavailable(
            f"the `pass` command is not installed (or not on PATH), so truto cannot {action}; "
            f"install pass (Debian: apt-get install pass), {HINT}"
        ) from None
    except OSError as e:
        raise SecretStoreUnavailable(f"`pass` cannot be started ({e.strerror}) to {action}; {HINT}") from None
    try:
        out, err = p.communicate(data or b"", timeout=limit)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        p.wait()
        raise SecretStoreUnavailable(
            f"pass did not answer within {limit:g} s while trying to {action} (gpg waiting for a passphrase?); "
            f"unlock the key in gpg-agent (a git or docker helper cannot prompt for it), or raise "
            f"TRUTO_KEYRING_TIMEOUT"
        ) from None
    if p.returncode != 0:
        raise SecretStoreUnavailable(
            f"pass failed to {action} in {os.path.abspath(store_dir())} ({reason(err)}); check that gpg has the "
            f"store's key and that gpg-agent can use it without a prompt, {HINT}"
        )
    return out


def reason(stderr):
    """The line of pass's or gpg's stderr that says what went wrong, printable and short. It holds no
    secret: pass never echoes what it was given, and a failed decryption has nothing to print."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    chosen = next((line for line in lines if line.startswith(("gpg: decryption failed", "Error:"))), None)
    chosen = (
        chosen
        or next((line for line in reversed(lines) if line.startswith("gpg:")), None)
        or (lines[-1] if lines else "")
    )
    chosen = "".join(c if c.isprintable() else "?" for c in chosen)[:200]
    return chosen or "no message"


def diagnose(config_dir):
    """[(problem, fix)] that stop pass from serving this config directory: pass not on PATH, the
    store not initialised, a GPG id of the store without its secret key. Empty when usable. Reads
    only: nothing is written (a probe would add commits to a store kept in git)."""
    import shutil
    import subprocess

    directory = os.path.abspath(store_dir())
    if shutil.which("pass") is None:
        return [("the `pass` command is not installed (or not on PATH)", "install pass (Debian: apt-get install pass)")]
    entry = entry_name(config_dir, "probe", "probe")
    problem = trust_problem(directory, entry)
    if problem:
        path, what, fix = problem
        return [(f"{path} {what}: a password store another user controls", f"{fix}, or set PASSWORD_STORE_DIR")]
    if not initialised(directory, entry):
        return [
            (
                f"the password store {directory} is not initialised (no .gpg-id)",
                "pass init GPG-KEY-ID, or set PASSWORD_STORE_DIR to an initialised store",
            )
        ]
    gpg_id = gpg_id_file(directory, entry)
    try:
        if os.environ.get("PASSWORD_STORE_KEY"):
            ids = os.environ["PASSWORD_STORE_KEY"].split()
        else:
            with open(gpg_id, encoding="utf-8") as f:
                ids = [line.split("#")[0].strip() for line in f if line.split("#")[0].strip()]
    except OSError as e:
        return [(f"{gpg_id} cannot be read ({e.strerror})", "fix its owner or mode, or run pass init again")]
    problems = []
    for key in ids:
        try:
            r = subprocess.run(
                ["gpg", "--batch", "--list-secret-keys", "--with-colons", "--", key],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout(),
            )
            present = r.returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            present = False
        if not present:
            problems.append(
                (
                    f"GPG has no secret key for {key}, the key of the password store {directory}",
                    "import that key into gpg (GNUPGHOME), or re-encrypt the store: pass init YOUR-KEY-ID",
                )
            )
    return problems
