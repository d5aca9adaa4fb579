"""Which files and directories truto trusts, and the modes it keeps its own at. The one rule: owned
by this user (or root, for a system file a Vault agent or helper sits in) and writable by nobody
else. truto's own files (config.json, credentials.json, the caches, the lock) and directory are
refused otherwise, and so are stores of others' making it reads (a pass store, secrets/ownership.py).
"""

import os
import stat

from .console import warn
from .errors import ConfigError
from .settings import default_config_dir

OWNER, WRITERS = "owner", "writers"  # which half of the rule a path breaks


def _uid():
    return os.geteuid() if hasattr(os, "geteuid") else None


def _broken(path, st, root_too=False, group_may_write=False, chmod="go-w"):
    """(OWNER or WRITERS, what is wrong, the fix) when another user controls `path` (`st`, its
    stat), None when only we (or root, with root_too) do. group_may_write: a socket's group write
    bit only lets the group connect."""
    uid = _uid()
    if uid is None:  # no user ids on this platform: nothing to compare
        return None
    if st.st_uid != uid and not (root_too and st.st_uid == 0):
        fix = f"check its contents, then `chown {uid} {path}`"
        if root_too:
            return OWNER, f"is owned by another user (uid {st.st_uid}), not by you (uid {uid}) or root", fix
        return OWNER, f"is owned by uid {st.st_uid}, not by you (uid {uid})", fix
    if st.st_mode & (0o002 if group_may_write else 0o022):
        mode = stat.S_IMODE(st.st_mode)
        return (
            WRITERS,
            f"is writable by other users (mode {mode:04o})",
            f"check its contents, then `chmod {chmod} {path}`",
        )
    return None


def others_control(
    path: str, st: "os.stat_result", root_too: bool = False, group_may_write: bool = False
) -> "tuple[str, str] | None":
    """(what is wrong, the fix) when another user controls `path` (`st`, its stat): owned by another
    uid (root is trusted with root_too), or writable by group or others. None when only we do."""
    broken = _broken(path, st, root_too, group_may_write)
    return None if broken is None else broken[1:]


def check_private(path: str, st: "os.stat_result") -> None:
    """Refuse a file another user controls: owned by another uid, or writable by group or others
    (who could have pointed a profile's apiUrl at their server, or planted a secret)."""
    broken = _broken(path, st, chmod="600")  # 600, not go-w: our files are never for others to read
    if broken is None:
        return
    rule, what, fix = broken
    if rule == OWNER:
        raise ConfigError(f"{path}: {what}; refusing a file another user controls: {fix}, or delete it")
    raise ConfigError(f"{path}: {what}, who could have changed it; {fix}")


def check_dir(directory: str, must_exist: bool) -> "os.stat_result | None":
    """One stat of the config directory: refused when another user owns it or can write in it (and
    so replace our files). A shared directory (sticky, setgid) is refused, never re-moded."""
    try:
        st = os.stat(directory)
    except FileNotFoundError:
        if must_exist:
            raise ConfigError(f"{directory}: disappeared while reading it; try again")
        return None
    broken = _broken(directory, st)
    if broken is None:
        return st
    rule, what, fix = broken
    if rule == OWNER:
        raise ConfigError(
            f"{directory}: {what}; refusing to use a config directory another user controls: "
            "fix its owner or set TRUTO_CONFIG_DIR"
        )
    if not stat.S_ISDIR(st.st_mode):  # not a directory at all: the caller says so
        return st
    mode = stat.S_IMODE(st.st_mode)
    if mode & (stat.S_ISVTX | stat.S_ISGID):
        raise ConfigError(
            f"{directory}: is a shared directory other users can write in (mode {mode:04o}); "
            "set TRUTO_CONFIG_DIR to a private directory (mkdir -m 700) for truto's files"
        )
    raise ConfigError(
        f"{directory}: {what}, who could replace config.json; {fix}, or set TRUTO_CONFIG_DIR to a private directory"
    )


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
