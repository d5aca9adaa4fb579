"""The process's standard streams, for every console script: what to do when one is closed or
gone, and the last word on stderr (an error line, a TRUTO_DEBUG traceback) that must neither fail
nor leak. Imports only os and sys: the helpers' `get` path runs it.
"""

import os
import sys

from .errors import TrutoError

STREAMS = ((0, "stdin"), (1, "stdout"), (2, "stderr"))


class StreamClosed(TrutoError):
    """A standard stream that was closed when the process started (or cannot be read) is needed."""

    def __init__(self, message, stream, exit_code=None):
        super().__init__(message, exit_code)
        self.stream = stream


class ClosedInput:
    """Stands in for a stdin that was closed at start-up: reading it is an error with a message."""

    def __init__(self, what):
        self.what = what
        self.buffer = self
        self.closed = True

    def _fail(self, *args, **kwargs):
        raise StreamClosed(f"stdin is closed; {self.what}", "stdin", exit_code=2)

    read = readline = readlines = readinto = __iter__ = _fail

    def isatty(self):
        return False

    def fileno(self):
        raise OSError("stdin is closed")


class ClosedOutput:
    """Stands in for a stdout that was closed at start-up: what would be printed cannot be, which
    is an error (a script waiting for `truto auth token` must not get an empty success)."""

    def __init__(self):
        self.buffer = self
        self.closed = False  # so print() and logging try, and reach write()

    def write(self, data):
        if data:
            raise StreamClosed("stdout is closed, so the answer could not be printed", "stdout")
        return 0

    def flush(self):
        pass

    def isatty(self):
        return False

    def fileno(self):
        raise OSError("stdout is closed")


def guard(stdin_needed_for: str) -> None:
    """Call first in every entry point. A standard file descriptor closed at start-up gets
    /dev/null, so no file the process opens later (the keyring's socket, config.json) lands on
    fd 0-2 and is read as a request or written with an answer; the Python stream of a closed one
    becomes a stand-in that fails with a message when used. stdin_needed_for: the end of that
    message ("git sends the request there")."""
    closed = []
    for fd, name in STREAMS:
        try:
            os.fstat(fd)
        except OSError:
            closed.append(fd)
    for fd in closed:  # lowest first: open() takes the lowest free descriptor
        try:
            new = os.open(os.devnull, os.O_RDWR)
            if new != fd:
                os.dup2(new, fd)
                os.close(new)
        except OSError:
            pass
    if sys.stdin is None or 0 in closed:
        sys.stdin = ClosedInput(stdin_needed_for)
    if sys.stdout is None or 1 in closed:
        sys.stdout = ClosedOutput()
    if sys.stderr is None or 2 in closed:
        sys.stderr = open(os.devnull, "w")  # nowhere to say anything: the exit code speaks


def say(line: str) -> None:
    """One line on stderr, cleaned; a stderr that is gone (a closed pipe) is not a second error."""
    from .untrusted import LINE_LIMIT, clean

    try:
        sys.stderr.write(clean(line, LINE_LIMIT) + "\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass


def warn(message: str) -> None:
    """A warning on stderr. Not silenced by -q: warnings are about safety, not decoration."""
    say(f"truto: warning: {message}")


def debug_traceback(error: BaseException) -> None:
    """TRUTO_DEBUG=1: the traceback, with every line cleaned like any other output (an exception
    may quote a server's answer or a URL, and secrets this process holds are redacted)."""
    import traceback

    from .untrusted import clean

    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    try:
        sys.stderr.write(clean(text, limit=None, one_line=False))
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass


def silence_stdout() -> None:
    """After a reader of stdout left (EPIPE): point fd 1 at /dev/null, so the flush at exit does not
    fail a second time with a message of Python's own."""
    try:
        fd = sys.stdout.fileno()  # not 1 blindly: in-process callers give stdout without a descriptor
    except (OSError, ValueError, AttributeError):
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except OSError:
        pass


def exit_process(code: int) -> None:
    """End a helper's process with `code`, its output out: the streams flushed, atexit's functions
    run, then os._exit, without the interpreter's teardown (freeing every module and object: about a
    tenth of a `get`'s CPU, for memory the kernel frees anyway). For the launchers only: an
    in-process caller keeps its interpreter."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass  # _entry already handled a stdout that is gone; nothing more can be said
    import atexit

    atexit._run_exitfuncs()  # logging's shutdown and the like, if a fallback path registered any
    os._exit(code)
