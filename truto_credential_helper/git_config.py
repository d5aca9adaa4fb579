"""Git's configuration for this helper: `credential.<origin>.helper` entries, read and written
through the `git config` command itself (git owns its file formats, includes and locking).

setup-git writes, as `gh auth setup-git` does, an empty value first and then the helper: the empty
value resets the helper list for that origin, so a generic helper configured earlier (e.g.
`credential.helper=store`) is not handed the Truto token by `git credential approve` and never
writes it to a plaintext file. Other credential settings and other origins stay as they are.

The helper is written as `!/abs/path/git-credential-truto` (shell-quoted), as gh writes its own
absolute path: git started by an IDE, a GUI or cron often has a PATH without the directory truto
is installed in, and the bare name `truto` (which git turns into `git credential-truto`, looked up
on PATH) then fails. Older versions wrote that bare name; it is still recognised and removed.
"""

import os
import shlex
import shutil
import subprocess
import sys

from .credential import origin_from_url, url_from_origin
from .errors import TrutoError, UsageError

HELPER = "truto"  # what older versions wrote: git runs `git credential-truto`, found on PATH
PROGRAM = "git-credential-truto"


def helper_program():
    """The absolute path of the git-credential-truto console script installed beside this `truto`
    (the same bin directory), else the one on PATH, else None."""
    import sysconfig

    dirs = [os.path.dirname(os.path.abspath(sys.argv[0]))] if sys.argv and sys.argv[0] else []
    dirs.append(sysconfig.get_path("scripts"))
    for directory in dirs:
        candidate = os.path.join(directory, PROGRAM)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(PROGRAM)
    return os.path.abspath(found) if found else None


def helper_value():
    """The credential.<origin>.helper value setup-git writes: the helper's absolute path, run
    through the shell (git's `!` form) so that a path with spaces survives quoted."""
    program = helper_program()
    if program is None:
        raise TrutoError(f"cannot find {PROGRAM} (it is installed with truto); reinstall truto")
    return "!" + shlex.quote(program)


def is_ours(value):
    """The reset (''), the bare `truto` older versions wrote, or the absolute-path form this and
    other installations write (one shell word naming git-credential-truto, nothing else)."""
    if value in ("", HELPER):
        return True
    words = _words(value[1:] if value.startswith("!") else value)
    return words is not None and len(words) == 1 and os.path.isabs(words[0]) and os.path.basename(words[0]) == PROGRAM


def _words(command):
    try:
        return shlex.split(command)
    except ValueError:
        return None


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


def is_set_up(origin, scope, value=None):
    return helpers_for(origin, scope) == ["", value or helper_value()]


def set_up(origin, scope):
    """Make credential.<origin>.helper exactly ["", helper_value()]; returns False when it already was."""
    value = helper_value()
    if is_set_up(origin, scope, value):
        return False
    key = helper_key(origin)
    _git(["--replace-all", key, ""], scope)
    _git(["--add", key, value], scope)
    return True


def remove(origin, scope):
    """Remove our values (the reset and `truto`) for that origin, and the section if it ends up
    empty; any other value a user put there stays. Returns whether anything changed."""
    ours = [v for v in helpers_for(origin, scope) if is_ours(v)]
    if not ours:
        return False
    pattern = "^(" + "|".join(_regex_escape(v) for v in dict.fromkeys(ours)) + ")$"
    _git(["--unset-all", helper_key(origin), pattern], scope)
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
    return (
        value == HELPER
        or os.path.basename(value.split()[0].lstrip("!")) in ("git-credential-truto",)
        or (value.startswith("!") and "git-credential-truto" in value)
    )


def unstartable(helper_value):
    """Why git could not start this credential.helper value, or None when it can (or when it is
    not a plain program truto can check). Resolved as git does: '!cmd' runs cmd through the shell,
    an absolute path runs as is, a bare name NAME runs `git credential-NAME` (git's exec path,
    then PATH)."""
    value = (helper_value or "").strip()
    if not value:
        return None
    if value.startswith("!") or os.path.isabs(value.split()[0]):
        words = _words(value[1:] if value.startswith("!") else value)
        if not words:
            return None
        program = words[0]
        if not os.path.isabs(program) and os.path.basename(program) != PROGRAM:
            return None  # a shell snippet (a function, a wrapper): what it runs is not ours to guess
        if os.path.isabs(program):
            found = program if os.path.isfile(program) and os.access(program, os.X_OK) else None
        else:
            found = shutil.which(program)
        return None if found else f"{program} does not exist or is not executable"
    program = "git-credential-" + value.split()[0]
    exec_path = subprocess.run(["git", "--exec-path"], capture_output=True, text=True).stdout.strip()
    search = os.pathsep.join(p for p in (exec_path, os.environ.get("PATH", "")) if p)
    if shutil.which(program, path=search) is None:
        return f"{program} is not on PATH (git looks it up there each time it runs)"
    return None
