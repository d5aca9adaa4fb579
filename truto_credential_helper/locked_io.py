"""Writing in the config directory: created 0700, one writer at a time (flock on config.lock), and
every file written whole or not at all (a fresh 0600 temp file renamed over the target)."""

import errno
import os
import stat
import time

from .console import warn
from .errors import ConfigError
from .file_trust import check_dir, check_private, is_shared_dir, tighten_file
from .lean_context import contextmanager
from .settings import ENV_LOCK_TIMEOUT, seconds

TYPE_CHECKING = False  # typing is not imported at run time: `get` never loads it
if TYPE_CHECKING:
    from typing import Iterator

LOCK_NAME = "config.lock"


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


def _exclusive_temp(directory, name):
    """tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory) without importing tempfile
    (a cost every write would pay): a new name, O_EXCL and O_NOFOLLOW (never a planted file or symlink), 0600."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".{name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary file name", tmp)


def atomic_write(directory: str, name: str, data: bytes) -> None:
    """Write directory/name atomically: a fresh 0600 temp file (O_EXCL: never a planted symlink),
    fsync, rename over the target, fsync the directory. OSError when it cannot."""
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
    """atomic_write for a file that must be written: a warning if it was readable by others, and
    ConfigError naming it when it cannot be written."""
    tighten_file(os.path.join(directory, name))
    try:
        atomic_write(directory, name, data)
    except OSError as e:
        raise ConfigError(f"{os.path.join(directory, name)}: cannot be written ({e.strerror}); check the directory")


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
