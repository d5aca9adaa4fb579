"""Git's configuration for this helper: `credential.<origin>.helper` entries, read and written
through the `git config` command itself (git owns its file formats, includes and locking).

setup-git writes, as `gh auth setup-git` does, an empty value first and then `truto`: the empty
value resets the helper list for that origin, so a generic helper configured earlier (e.g.
`credential.helper=store`) is not handed the Truto token by `git credential approve` and never
writes it to a plaintext file. Other credential settings and other origins stay as they are.
"""
import os
import shutil
import subprocess

from .credential import origin_from_url, url_from_origin
from .errors import TrutoError, UsageError

HELPER = "truto"  # git runs `git credential-truto`, i.e. the git-credential-truto console script
OUR_VALUES = ("", HELPER)


def origin_url(api_url):
    """The origin git matches credential.<url>.* against: scheme, host and port, no path (git
    only sends a path with credential.useHttpPath, and the helper matches paths itself)."""
    protocol, host, _ = origin_from_url(api_url)
    return url_from_origin(protocol, host)


def helper_key(origin):
    return f"credential.{origin}.helper"


def git_available():
    return shutil.which("git") is not None


def _git(args, scope=None, check=True):
    if not git_available():
        raise TrutoError("git is not installed (or not on PATH); install git first")
    cmd = ["git", "config"] + ([f"--{scope}"] if scope else []) + list(args)
    done = subprocess.run(cmd, capture_output=True, text=True)
    if check and done.returncode not in (0, 1, 5):
        # 1: key not found / nothing to unset; 5: nothing matched the value pattern.
        raise TrutoError(f"`{' '.join(cmd)}` failed: {_first_line(done.stderr)}")
    return done


def _first_line(text):
    text = (text or "").strip()
    return text.splitlines()[0] if text else "no message"


def check_scope(scope):
    """--local needs a repository: say so instead of git's own error."""
    if scope == "local":
        inside = subprocess.run(["git", "rev-parse", "--git-dir"], capture_output=True, text=True)
        if inside.returncode != 0:
            raise UsageError("--local needs a git repository: run it inside one, or drop --local to set it globally")


def helpers_for(origin, scope):
    """The values of credential.<origin>.helper in that scope, in order."""
    done = _git(["--get-all", helper_key(origin)], scope)
    return done.stdout.splitlines() if done.returncode == 0 else []


def is_set_up(origin, scope):
    return helpers_for(origin, scope) == list(OUR_VALUES)


def set_up(origin, scope):
    """Make credential.<origin>.helper exactly ["", "truto"]; returns False when it already was."""
    if is_set_up(origin, scope):
        return False
    key = helper_key(origin)
    _git(["--replace-all", key, ""], scope)
    _git(["--add", key, HELPER], scope)
    return True


def remove(origin, scope):
    """Remove our values (the reset and `truto`) for that origin, and the section if it ends up
    empty; any other value a user put there stays. Returns whether anything changed."""
    if not any(v in OUR_VALUES for v in helpers_for(origin, scope)):
        return False
    _git(["--unset-all", helper_key(origin), f"^({HELPER})?$"], scope)
    section = f"credential.{origin}"
    left = _git(["--get-regexp", "^" + _regex_escape(section) + r"\."], scope)
    if left.returncode != 0 or not left.stdout.strip():
        _git(["--remove-section", section], scope, check=False)
    return True


def _regex_escape(text):
    return "".join("\\" + c if c in r".^$*+?()[]{}|\/" else c for c in text)


def effective_helper(url):
    """What git would run for a request to url (the last credential.helper matching it, with
    url-specific sections taken into account), or None; for doctor."""
    if not git_available():
        return None
    done = subprocess.run(["git", "config", "--get-urlmatch", "credential.helper", url], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def points_at_us(helper_value):
    """Whether a credential.helper value runs this helper: `truto`, a path to git-credential-truto,
    or a shell snippet running it."""
    if not helper_value:
        return False
    value = helper_value.strip()
    return value == HELPER or os.path.basename(value.split()[0].lstrip("!")) in ("git-credential-truto",) or (
        value.startswith("!") and "git-credential-truto" in value)
