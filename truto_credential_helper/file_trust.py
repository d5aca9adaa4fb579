"""Which files and directories truto trusts, and the modes it keeps its own at. Owned by this user
and writable by nobody else: truto's own files (config.json, credentials.json, the caches, the
lock) and directory are refused otherwise, and so are stores of others' making it reads (a pass store).
"""

import os
import stat

from .console import warn
from .errors import ConfigError
from .settings import default_config_dir


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


def tighten_file(path: str) -> None:
    """Warn when an existing file was readable by others; the rewrite that follows makes it 0600."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISREG(st.st_mode) and st.st_mode & 0o077:
        warn(f"{path} was accessible by others (mode {stat.S_IMODE(st.st_mode):04o}); rewriting it 0600")


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
