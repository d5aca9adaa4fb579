"""config.json: where it lives, reading it (validated against schemas/config.schema.json), and
locked, atomic edits. Holds no secret ever; see secrets/ for those.

The read path is on every `get`, so it avoids importing jsonschema: a file whose exact bytes were
already validated (recorded by content hash in .config.json.valid) is not validated again.
"""
import errno
import os
import stat
import time
from contextlib import contextmanager

from .errors import ConfigError, UsageError, warn

CONFIG_NAME = "config.json"
LOCK_NAME = "config.lock"
VALID_CACHE_NAME = ".config.json.valid"
DEFAULT_API_URL = "https://api.truto.one"
DEFAULT_PROFILE = "default"
SCHEMA_NAME = "config.schema.json"


def empty_config():
    return {"version": 1, "profiles": {}}


def config_dir():
    configured = os.environ.get("TRUTO_CONFIG_DIR")
    if configured:
        return os.path.abspath(os.path.expanduser(configured))
    return default_config_dir()


def default_config_dir():
    return os.path.join(os.path.expanduser("~"), ".truto")


def config_path(directory=None):
    return os.path.join(directory or config_dir(), CONFIG_NAME)


def schema_path(name=SCHEMA_NAME):
    here = os.path.dirname(os.path.abspath(__file__))
    installed = os.path.join(here, "schemas", name)  # installed: schemas/ mapped into the package
    if os.path.exists(installed):
        return installed
    return os.path.join(os.path.dirname(here), "schemas", name)  # running from a source checkout


def seconds_setting(name, default):
    """A timeout from the environment (TRUTO_TIMEOUT, TRUTO_KEYRING_TIMEOUT): a finite number of
    seconds above 0, else a usage error (inf would overflow socket and thread timeouts)."""
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{name}={raw!r} is not a number of seconds; set it to e.g. 10")
    if not 0 < value < float("inf"):
        raise UsageError(f"{name}={raw!r} must be a finite number of seconds above 0")
    return value


# ---------------------------------------------------------------------------------------------
# Reading


def load(directory=None):
    """The validated config document; an empty one when the file does not exist yet."""
    directory = directory or config_dir()
    path = os.path.join(directory, CONFIG_NAME)
    data = _read_bytes(path)
    if data is None:
        _check_dir_owner(directory, must_exist=False)
        return empty_config()
    _check_dir_owner(directory, must_exist=True)
    doc = parse(path, data)
    if isinstance(doc, dict) and "version" not in doc:  # every file we write has it: legacy.py only then
        from . import legacy

        if legacy.is_legacy(doc):
            legacy.warn_read_only(path)
            return legacy.as_config(doc)
    _validate_cached(directory, path, data, doc)
    return doc


def _read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        if os.path.islink(path):
            raise ConfigError(f"{path}: is a symlink to a file that does not exist; remove it or point it at a config file")
        return None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a file; move it aside")
    except PermissionError:
        raise ConfigError(f"{path}: cannot be read (permission denied); fix its owner or mode (chmod 600)")
    except OSError as e:
        raise ConfigError(f"{path}: cannot be read ({e.strerror}); check the file")


def parse(path, data):
    from .jsondepth import loads  # not at the top: the TRUTO_API_TOKEN path of `get` never parses config.json

    if not data.strip():
        raise ConfigError(f"{path}: is empty, not JSON; delete it to start afresh or restore it from a backup")
    try:
        doc = loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text; restore it from a backup or delete it")
    except ValueError as e:
        # JSONDecodeError's msg/lineno/colno say where; its str() never includes the document.
        where = f" at line {e.lineno} column {e.colno}" if hasattr(e, "lineno") else ""
        reason = getattr(e, "msg", "invalid JSON")
        raise ConfigError(f"{path}: is not valid JSON{where} ({reason}); fix it or delete it to start afresh")
    return doc


def _check_dir_owner(directory, must_exist):
    try:
        st = os.stat(directory)
    except FileNotFoundError:
        if must_exist:
            raise ConfigError(f"{directory}: disappeared while reading it; try again")
        return None
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise ConfigError(
            f"{directory}: is owned by uid {st.st_uid}, not by you (uid {os.getuid()}); refusing to use "
            "a config directory another user controls: fix its owner or set TRUTO_CONFIG_DIR"
        )
    return st


def _schema_stamp():
    st = os.stat(schema_path())
    return f"{st.st_size}:{st.st_mtime_ns}"


def _sha256():
    # CPython's built-in SHA-256 (the same digest) loads in microseconds; hashlib loads OpenSSL's
    # libcrypto first, ~2.5 ms of every `get` (issue 4).
    try:
        from _sha2 import sha256  # Python 3.12+
    except ImportError:
        try:
            from _sha256 import sha256  # Python 3.9-3.11
        except ImportError:
            from hashlib import sha256
    return sha256


def _content_key(data):
    return _sha256()(data).hexdigest() + " " + _schema_stamp()


def _validate_cached(directory, path, data, doc):
    key = _content_key(data)
    cache = os.path.join(directory, VALID_CACHE_NAME)
    try:
        with open(cache, "r", encoding="ascii") as f:
            if f.read() == key:
                return
    except (OSError, ValueError):
        pass
    validate(path, doc)
    try:
        _atomic_write(directory, VALID_CACHE_NAME, key.encode("ascii"))
    except OSError:
        pass  # a cache only: a read-only config directory still works, just slower


_validator = None


def validate(path, doc):
    """Raise ConfigError naming the file, the JSON path and the rule, never the offending value
    (it could be a pasted token)."""
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
        raise ConfigError(f"{path}: at {where}: {describe_schema_error(e)}{more}; fix the file or delete it to start afresh")


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
        return "has a profile name that is not allowed (letters, digits, . _ @ + -, starting with a letter or digit)"
    return f"breaks the schema's '{v}' rule"


# ---------------------------------------------------------------------------------------------
# Writing


def ensure_dir(directory):
    """Create the config directory 0700 (never briefly wider), or tighten an existing one."""
    try:
        os.makedirs(directory, mode=0o700)
        return
    except FileExistsError:
        pass
    except OSError as e:
        raise ConfigError(f"{directory}: cannot create the config directory ({e.strerror}); set TRUTO_CONFIG_DIR to a writable place")
    st = _check_dir_owner(directory, must_exist=True)
    if not stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"{directory}: is not a directory; move it aside or set TRUTO_CONFIG_DIR")
    if st.st_mode & 0o077:
        os.chmod(directory, 0o700)
        warn(f"{directory} was accessible by others (mode {stat.S_IMODE(st.st_mode):04o}); tightened to 0700")


def tighten_file(path):
    """Warn when an existing file was readable by others; the rewrite that follows makes it 0600."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISREG(st.st_mode) and st.st_mode & 0o077:
        warn(f"{path} was accessible by others (mode {stat.S_IMODE(st.st_mode):04o}); rewriting it 0600")


def _atomic_write(directory, name, data):
    """Write directory/name atomically: a fresh 0600 temp file (O_EXCL: never a planted symlink),
    fsync, rename over the target, fsync the directory."""
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
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


def write_file(directory, name, data):
    tighten_file(os.path.join(directory, name))
    try:
        _atomic_write(directory, name, data)
    except OSError as e:
        raise ConfigError(f"{os.path.join(directory, name)}: cannot be written ({e.strerror}); check the directory")


def dump(doc):
    import json

    return (json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False) + "\n").encode("utf-8")


@contextmanager
def locked(directory):
    """Serialize writers across processes with flock on config.lock. The kernel drops the lock
    when its holder dies, so a killed process never leaves a lock that blocks the next one."""
    import fcntl

    ensure_dir(directory)
    lock_path = os.path.join(directory, LOCK_NAME)
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as e:
        raise ConfigError(f"{lock_path}: cannot open the lock file ({e.strerror}); check the config directory")
    try:
        deadline = time.monotonic() + float(os.environ.get("TRUTO_LOCK_TIMEOUT", "60"))
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
def edit(directory=None):
    """Yield the config document under the lock; if the block ends without error and changed it,
    validate and write it atomically. Concurrent editors never lose each other's changes."""
    import json

    directory = directory or config_dir()
    with locked(directory):
        doc = load(directory)
        _refuse_legacy(directory, doc)
        before = json.dumps(doc, sort_keys=True)
        yield doc
        if json.dumps(doc, sort_keys=True) != before:
            path = os.path.join(directory, CONFIG_NAME)
            validate(path, doc)
            data = dump(doc)
            write_file(directory, CONFIG_NAME, data)
            try:
                _atomic_write(directory, VALID_CACHE_NAME, _content_key(data).encode("ascii"))
            except OSError:
                pass

