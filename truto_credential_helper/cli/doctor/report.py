"""What every check of `truto doctor` shares: the statuses, the list the checks add their rows
to, and how an error or a profile is named in a row. Imports nothing of the checks."""

import os
import stat

from ... import resolution
from ...errors import TrutoError
from ...file_trust import is_shared_dir

OK, WARN, FAIL, INFO = "ok", "warn", "fail", "info"


class Checks:
    def __init__(self):
        self.rows = []

    def add(self, check, status, message, fix="", **details):
        self.rows.append(dict({"check": check, "status": status, "message": message, "fix": fix}, **details))

    @property
    def failed(self):
        return any(r["status"] == FAIL for r in self.rows)


def one_line(e):
    return str(e).splitlines()[0] if str(e) else type(e).__name__


def profile_flag(name):
    return f" -p {name}" if name else ""


def profile_origins(checks, profiles):
    """[(label, api_url)] for every profile, plus the CI credential when TRUTO_API_TOKEN is set."""
    origins = [(f"profile '{p.name}'", p.api_url, p.name) for p in profiles]
    try:
        token = resolution.env_token()
    except TrutoError:
        token = None  # not a token: the environment row says why
    if token:
        url = resolution.env_credential_url()
        origins.append(("TRUTO_API_TOKEN", url, None))
    return origins


def mode_owner(path, want_mode, kind):
    """(status, message, fix) for a path that must be ours and at most want_mode."""
    st = os.lstat(path)
    mode = stat.S_IMODE(st.st_mode)
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return FAIL, f"{path} is owned by uid {st.st_uid}, not by you", f"chown {os.getuid()} {path}"
    if mode & 0o022:  # refused by every command: another user could have changed it
        return FAIL, f"{path} is mode {mode:04o}: others can write it", f"check it, then chmod go-w {path}"
    if kind == "directory" and is_shared_dir(path, mode):
        return OK, f"{path} (shared directory, mode {mode:04o}, yours; truto's files in it are private)", ""
    if mode & ~want_mode & 0o777:
        return FAIL, f"{path} is mode {mode:04o}: others can read it", f"chmod {want_mode:o} {path}"
    return OK, f"{path} ({kind}, mode {mode:04o}, yours)", ""
