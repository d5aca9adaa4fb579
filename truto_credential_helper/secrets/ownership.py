"""Whether a file that decides where Vault requests or code go can be trusted: it and its
directory belong to this user or root, and nobody else may write them."""

import os


def untrusted_because(path, kind_ok=None):
    """Why `path` is not to be trusted, in a few words, or None. kind_ok(mode): the file type wanted.
    A directory other users may write to is accepted only when it is root's and sticky (/tmp): its
    other users cannot replace what they do not own there."""
    import stat

    me = os.geteuid()
    directory = os.path.dirname(path) or "/"
    try:
        st = os.lstat(path)
        dst = os.stat(directory)
    except OSError as e:
        return e.strerror or type(e).__name__
    if kind_ok is not None and not kind_ok(st.st_mode):
        return "is not of the expected kind" if not stat.S_ISLNK(st.st_mode) else "is a symbolic link"
    if st.st_uid not in (me, 0):
        return f"belongs to another user (uid {st.st_uid})"
    if st.st_mode & 0o002 or (st.st_mode & 0o020 and not stat.S_ISSOCK(st.st_mode)):
        return "may be written by other users"
    if dst.st_uid not in (me, 0):
        return f"is in {directory}, which belongs to another user (uid {dst.st_uid})"
    if dst.st_mode & 0o022 and not (dst.st_mode & stat.S_ISVTX and dst.st_uid == 0):
        return f"is in {directory}, which other users may write to"
    return None
