"""config.json: where it lives, reading it (validated against schemas/config.schema.json), and
locked, atomic edits. Holds no secret ever; see secrets/ for those.

The read path is on every `get`, so it avoids importing jsonschema: a file whose exact bytes were
already validated (its SHA-256 recorded in .config.json.valid) is not validated again.
"""

import errno
import os
import stat
import sys
import time

from .console import warn
from .errors import ConfigError
from .kinds import KEYRING
from .lean_context import contextmanager
from .settings import ENV_LOCK_TIMEOUT, config_dir, default_config_dir, seconds

TYPE_CHECKING = False  # typing is not imported at run time: `get` never loads it
if TYPE_CHECKING:
    from re import Pattern
    from typing import Any, Iterator

CONFIG_NAME = "config.json"
LOCK_NAME = "config.lock"
VALID_CACHE_NAME = ".config.json.valid"
DEFAULT_PROFILE = "default"
SCHEMA_NAME = "config.schema.json"


def empty_config() -> dict:
    return {"version": 1, "profiles": {}}


def config_path(directory: "str | None" = None) -> str:
    return os.path.join(directory or config_dir(), CONFIG_NAME)


def schema_path(name: str = SCHEMA_NAME) -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    installed = os.path.join(here, "schemas", name)  # installed: schemas/ mapped into the package
    if os.path.exists(installed):
        return installed
    return os.path.join(os.path.dirname(here), "schemas", name)  # running from a source checkout


# ---------------------------------------------------------------------------------------------
# Reading


def load(directory: "str | None" = None) -> dict:
    """The validated config document; an empty one when the file does not exist yet."""
    directory = directory or config_dir()
    path = os.path.join(directory, CONFIG_NAME)
    data = read_private(path)
    check_dir(directory, must_exist=data is not None)
    if data is None:
        return empty_config()
    doc = parse(path, data)
    if isinstance(doc, dict) and "version" not in doc:  # every file we write has it: legacy.py only then
        from . import legacy

        if legacy.is_legacy(doc):
            _validate_cached(directory, path, data, legacy_as_validated(path, doc))
            legacy.warn_read_only(path)
            return legacy.as_config(doc)
    _validate_cached(directory, path, data, doc)
    return doc


def legacy_as_validated(path: str, doc: dict) -> dict:
    """A standalone Truto CLI document is held to the same rules as any config.json (schema, URL,
    profile names) plus its inline secrets': checks those, and returns the document of today's
    shape to validate (`truto doctor` checks a file through this too)."""
    from . import legacy

    legacy.check_inline_secrets(path, doc)
    return legacy.as_config(doc, store_kind=KEYRING)


def read_private(path: str) -> "bytes | None":
    """The bytes of one of our files (config.json, credentials.json), None when it does not exist.
    Refused when another user controls it (checked on the descriptor read from: no second lookup)."""
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        if os.path.islink(path):
            raise ConfigError(
                f"{path}: is a symlink to a file that does not exist; remove it or point it at a config file"
            )
        return None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a file; move it aside")
    except PermissionError:
        raise ConfigError(f"{path}: cannot be read (permission denied); fix its owner or mode (chmod 600)")
    except OSError as e:
        raise ConfigError(f"{path}: cannot be read ({e.strerror}); check the file")
    with f:
        check_private(path, os.fstat(f.fileno()))
        try:
            return f.read()
        except OSError as e:
            raise ConfigError(f"{path}: cannot be read ({e.strerror}); check the file")


def parse(path: str, data: bytes) -> "Any":
    from .jsondepth import loads  # not at the top: the TRUTO_API_TOKEN path of `get` never parses config.json

    if not data.strip():
        raise ConfigError(f"{path}: is empty, not JSON; delete it to start afresh or restore it from a backup")
    try:
        doc = loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text; restore it from a backup or delete it")
    except ValueError as e:
        # JSONDecodeError's msg/lineno/colno say where; its str() never includes the document.
        where = f" at line {e.lineno} column {getattr(e, 'colno', '?')}" if hasattr(e, "lineno") else ""
        reason = getattr(e, "msg", "invalid JSON")
        raise ConfigError(f"{path}: is not valid JSON{where} ({reason}); fix it or delete it to start afresh")
    return doc


def _uid():
    return os.geteuid() if hasattr(os, "geteuid") else None


def others_control(path: str, st: "os.stat_result") -> "tuple[str, str] | None":
    """(what is wrong, the fix) when another user controls `path` (`st`, its stat): owned by another
    uid, or writable by group or others. None when only we do. The rule of every file and directory
    truto trusts (check_private, check_dir), for stores of others' making too (a pass store)."""
    uid = _uid()
    if uid is None:
        return None
    if st.st_uid != uid:
        return (
            f"is owned by uid {st.st_uid}, not by you (uid {uid})",
            f"check its contents, then `chown {uid} {path}`",
        )
    if st.st_mode & 0o022:
        mode = stat.S_IMODE(st.st_mode)
        return (f"is writable by other users (mode {mode:04o})", f"check its contents, then `chmod go-w {path}`")
    return None


def check_private(path: str, st: "os.stat_result") -> None:
    """Refuse a file another user controls: owned by another uid, or writable by group or others
    (who could have pointed a profile's apiUrl at their server, or planted a secret)."""
    uid = _uid()
    if uid is None:
        return
    if st.st_uid != uid:
        raise ConfigError(
            f"{path}: is owned by uid {st.st_uid}, not by you (uid {uid}); refusing a file another "
            f"user controls: check its contents, then `chown {uid} {path}`, or delete it"
        )
    if st.st_mode & 0o022:
        raise ConfigError(
            f"{path}: is writable by other users (mode {stat.S_IMODE(st.st_mode):04o}), who could have "
            f"changed it; check its contents, then `chmod 600 {path}`"
        )


def check_dir(directory: str, must_exist: bool) -> "os.stat_result | None":
    """One stat of the config directory: refused when another user owns it or can write in it (and
    so replace our files). A shared directory (sticky, setgid) is refused, never re-moded."""
    try:
        st = os.stat(directory)
    except FileNotFoundError:
        if must_exist:
            raise ConfigError(f"{directory}: disappeared while reading it; try again")
        return None
    uid = _uid()
    if uid is None:
        return st
    if st.st_uid != uid:
        raise ConfigError(
            f"{directory}: is owned by uid {st.st_uid}, not by you (uid {uid}); refusing to use "
            "a config directory another user controls: fix its owner or set TRUTO_CONFIG_DIR"
        )
    if st.st_mode & 0o022 and stat.S_ISDIR(st.st_mode):
        mode = stat.S_IMODE(st.st_mode)
        if mode & (stat.S_ISVTX | stat.S_ISGID):
            raise ConfigError(
                f"{directory}: is a shared directory other users can write in (mode {mode:04o}); "
                "set TRUTO_CONFIG_DIR to a private directory (mkdir -m 700) for truto's files"
            )
        raise ConfigError(
            f"{directory}: is writable by other users (mode {mode:04o}), who could replace config.json; "
            f"check its files, then `chmod go-w {directory}`, or set TRUTO_CONFIG_DIR to a private directory"
        )
    return st


def is_shared_dir(directory: str, mode: int) -> bool:
    """A directory shared on purpose (sticky, setgid, or one the user named with group access):
    we never change its bits; our files in it are 0600 anyway."""
    if mode & (stat.S_ISVTX | stat.S_ISGID):
        return True
    named = os.path.abspath(directory) != os.path.abspath(default_config_dir())
    return named and bool(mode & 0o070)


def _schema_stamp():
    st = os.stat(schema_path())
    return f"{st.st_size}:{st.st_mtime_ns}"


def _sha256():
    # CPython's own SHA-256 module (the same digest): hashlib would load OpenSSL's libcrypto first,
    # ~2.5 ms of every `get`. Picked by version, not by trying: a failed import searches sys.path.
    if sys.version_info >= (3, 12):
        from _sha2 import sha256  # type: ignore[import-not-found]
    else:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found]
        except ImportError:  # a Python built without it
            from hashlib import sha256
    return sha256


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of data in hex, by the module the `get` path already loads (see _sha256)."""
    return _sha256()(data).hexdigest()


def _content_key(data):
    # A digest, never the bytes themselves: a standalone Truto CLI's config.json holds tokens inline,
    # and a cache must not become a second copy of them.
    return (sha256_hex(data) + " " + _schema_stamp()).encode("ascii")


def _validate_cached(directory, path, data, doc):
    key = _content_key(data)
    # Another user's cache could vouch for a bad file: recall() refuses one.
    if recall(directory, VALID_CACHE_NAME) == key:
        return
    validate(path, doc)
    remember(directory, VALID_CACHE_NAME, key)


def recall(directory: str, name: str) -> "bytes | None":
    """The contents of cache file `name` in the config directory; None when it cannot be read.
    A cache another user controls is refused (ConfigError), as every file of ours is."""
    path = os.path.join(directory, name)
    try:
        with open(path, "rb") as f:
            check_private(path, os.fstat(f.fileno()))
            return f.read()
    except OSError:
        return None


def remember(directory: str, name: str, data: bytes) -> None:
    """Write cache file `name` atomically, if the directory lets us: a cache only, so a read-only
    config directory still works, just slower."""
    try:
        _atomic_write(directory, name, data)
    except OSError:
        pass


_validator = None
_schema_doc = None


def _schema():
    from .jsondepth import loads

    global _schema_doc
    if _schema_doc is None:
        with open(schema_path(), encoding="utf-8") as f:
            _schema_doc = loads(f.read())
    return _schema_doc


def validate(path: str, doc: dict) -> None:
    """Raise ConfigError naming the file, the JSON path and the rule, never the offending value
    (it could be a pasted token)."""
    from .schema_subset import verdict

    if verdict(_schema(), doc) is True:  # the common case, without jsonschema's import (~40 ms)
        _check_beyond_schema(path, doc)
        return
    import json

    global _validator
    if _validator is None:
        import jsonschema

        with open(schema_path(), encoding="utf-8") as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(schema)
        _validator = cls(schema)
    errors = sorted(_validator.iter_errors(doc), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        e = errors[0]
        where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path)
        more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
        raise ConfigError(
            f"{path}: at {where}: {describe_schema_error(e)}{more}; fix the file or delete it to start afresh"
        )
    _check_beyond_schema(path, doc)


def _check_beyond_schema(path, doc):
    """What the schema cannot say for Python: its patterns are searched with `$`, which also
    matches before a trailing newline, so names get the schema's pattern as a full match; and an
    apiUrl must be what every command accepts as one (credential.origin_from_url)."""
    from .credential import origin_from_url

    pattern = profile_name_pattern()
    names = list(doc["profiles"]) + ([doc["activeProfile"]] if "activeProfile" in doc else [])
    for name in names:
        if not pattern.fullmatch(name):
            raise ConfigError(
                f"{path}: at $.profiles: {describe_name_problem()}; fix the file or delete it to start afresh"
            )
    for name, profile in doc["profiles"].items():
        for key, value in profile.items():
            # `$` lets a trailing newline through any pattern, and most settings have none: a control
            # character would reach a helper's answer (authtype=..., username=...) or a header.
            if isinstance(value, str) and any(c < " " or c == "\x7f" for c in value):
                raise ConfigError(
                    f"{path}: at $.profiles.{name}.{key}: contains a control character; "
                    "fix the file or delete it to start afresh"
                )
        try:
            origin_from_url(profile["apiUrl"])
        except ValueError as e:
            raise ConfigError(f"{path}: at $.profiles.{name}.apiUrl: {e}; fix the file or delete it to start afresh")


def describe_name_problem() -> str:
    return "has a profile name that is not allowed (letters, digits, . _ @ + -, starting with a letter or digit)"


_name_pattern = None


def profile_name_pattern() -> "Pattern[str]":
    """The profile-name rule, read from the schema so there is one definition of it."""
    import json
    import re

    global _name_pattern
    if _name_pattern is None:
        with open(schema_path(), encoding="utf-8") as f:
            _name_pattern = re.compile(json.load(f)["$defs"]["profileName"]["pattern"])
    return _name_pattern


def describe_schema_error(e):
    import json

    v = e.validator
    if v in ("required", "additionalProperties", "unevaluatedProperties"):
        return e.message.replace(" (", " ").replace(")", "") if v != "required" else e.message
    if v == "type":
        return f"must be of type {e.validator_value}"
    if v in ("enum", "const"):
        allowed = e.validator_value if v == "enum" else [e.validator_value]
        return "must be one of " + ", ".join(json.dumps(a) for a in allowed)
    if v == "pattern":
        return "does not have the expected form"
    if v == "propertyNames":
        return describe_name_problem()
    return f"breaks the schema's '{v}' rule"


# ---------------------------------------------------------------------------------------------
# Writing


def ensure_dir(directory: str) -> None:
    """Create the config directory 0700 (never briefly wider), or tighten an existing one."""
    try:
        os.makedirs(directory, mode=0o700)
        return
    except FileExistsError:
        pass
    except OSError as e:
        raise ConfigError(
            f"{directory}: cannot create the config directory ({e.strerror}); set TRUTO_CONFIG_DIR to a writable place"
        )
    st = check_dir(directory, must_exist=True)
    assert st is not None  # must_exist: it raised instead
    if not stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"{directory}: is not a directory; move it aside or set TRUTO_CONFIG_DIR")
    if is_shared_dir(directory, stat.S_IMODE(st.st_mode)):
        return
    if st.st_mode & 0o077:
        os.chmod(directory, 0o700)
        warn(f"{directory} was accessible by others (mode {stat.S_IMODE(st.st_mode):04o}); tightened to 0700")


def tighten_file(path: str) -> None:
    """Warn when an existing file was readable by others; the rewrite that follows makes it 0600."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISREG(st.st_mode) and st.st_mode & 0o077:
        warn(f"{path} was accessible by others (mode {stat.S_IMODE(st.st_mode):04o}); rewriting it 0600")


def _exclusive_temp(directory, name):
    """tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory) without importing tempfile
    (~4 ms of every write): a new name, O_EXCL and O_NOFOLLOW (never a planted file or symlink), 0600."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".{name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary file name", tmp)


def _atomic_write(directory, name, data):
    """Write directory/name atomically: a fresh 0600 temp file (O_EXCL: never a planted symlink),
    fsync, rename over the target, fsync the directory."""
    fd, tmp = _exclusive_temp(directory, name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, os.path.join(directory, name))
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def write_file(directory: str, name: str, data: bytes) -> None:
    tighten_file(os.path.join(directory, name))
    try:
        _atomic_write(directory, name, data)
    except OSError as e:
        raise ConfigError(f"{os.path.join(directory, name)}: cannot be written ({e.strerror}); check the directory")


def dump(doc: dict) -> bytes:
    import json

    return (json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False) + "\n").encode("utf-8")


@contextmanager
def locked(directory: str) -> "Iterator[None]":
    """Serialize writers across processes with flock on config.lock. The kernel drops the lock
    when its holder dies, so a killed process never leaves a lock that blocks the next one."""
    import fcntl

    wait = seconds(ENV_LOCK_TIMEOUT)  # a bad value fails before anything is created
    ensure_dir(directory)
    lock_path = os.path.join(directory, LOCK_NAME)
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as e:
        raise ConfigError(f"{lock_path}: cannot open the lock file ({e.strerror}); check the config directory")
    try:
        check_private(lock_path, os.fstat(fd))  # another user's lock file could stall every write
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
                if time.monotonic() > deadline:
                    raise ConfigError(f"{lock_path}: another truto process has held the lock too long; try again")
                time.sleep(0.01)
        yield
    finally:
        os.close(fd)


def _refuse_legacy(directory, doc):
    """A standalone Truto CLI file is read-only until `truto auth migrate` (legacy.py) rewrites it."""
    from . import legacy

    if legacy.is_converted(doc):
        raise legacy.read_only_error(os.path.join(directory, CONFIG_NAME))


@contextmanager
def edit(directory: "str | None" = None) -> "Iterator[dict]":
    """Yield the config document under the lock; if the block ends without error and changed it,
    validate and write it atomically. Concurrent editors never lose each other's changes. Inside
    the block, commit() writes the document early (profiles.py orders its writes with it)."""
    import json

    directory = directory or config_dir()
    with locked(directory):
        existed = os.path.lexists(os.path.join(directory, CONFIG_NAME))
        doc = load(directory)
        _refuse_legacy(directory, doc)
        _committed[directory] = initial = json.dumps(doc, sort_keys=True)
        try:
            yield doc
            if json.dumps(doc, sort_keys=True) != _committed[directory]:
                commit(directory, doc)
        except BaseException:
            if not existed and _committed[directory] == initial:
                # An early commit was rolled back to where we started: a failed first login leaves no file.
                _remove_quietly(os.path.join(directory, CONFIG_NAME))
            raise
        finally:
            del _committed[directory]


def _remove_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


_committed = {}  # config dir -> the document as last written (or read) inside edit()


def commit(directory: str, doc: dict) -> None:
    """Validate and write config.json now; only inside edit(), which holds the lock."""
    import json

    path = os.path.join(directory, CONFIG_NAME)
    validate(path, doc)
    data = dump(doc)
    write_file(directory, CONFIG_NAME, data)
    remember(directory, VALID_CACHE_NAME, _content_key(data))
    _committed[directory] = json.dumps(doc, sort_keys=True)
