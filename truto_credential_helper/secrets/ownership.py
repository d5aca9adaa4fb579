"""Whether a file that decides where Vault requests or code go can be trusted: file_trust's rule
(owned by this user, writable by nobody else) with root trusted too, for the file and its directory."""

import os

from ..file_trust import others_control


def untrusted_because(path, kind_ok=None):
    """Why `path` is not to be trusted, in a few words, or None. kind_ok(mode): the file type wanted.
    A directory other users may write to is accepted only when it is root's and sticky (/tmp): its
    other users cannot replace what they do not own there."""
    import stat

    directory = os.path.dirname(path) or "/"
    try:
        st = os.lstat(path)
        dst = os.stat(directory)
    except OSError as e:
        return e.strerror or type(e).__name__
    if kind_ok is not None and not kind_ok(st.st_mode):
        return "is not of the expected kind" if not stat.S_ISLNK(st.st_mode) else "is a symbolic link"
    # A socket's group write bit only lets the group connect.
    problem = others_control(path, st, root_too=True, group_may_write=stat.S_ISSOCK(st.st_mode))
    if problem:
        return problem[0]
    if dst.st_uid == 0 and dst.st_mode & stat.S_ISVTX:  # /tmp
        return None
    problem = others_control(directory, dst, root_too=True)
    if problem:
        return f"is in {directory}, which {problem[0]}"
    return None
