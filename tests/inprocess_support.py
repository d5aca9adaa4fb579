"""Run the console scripts inside the test's own process: the entry points setup.cfg installs,
called as functions with their own stdin, stdout and stderr (binary-capable, as the helpers read
sys.stdin.buffer and write sys.stdout.buffer) and their own os.environ. Milliseconds per call
instead of an interpreter start; the subprocess tests keep checking the installed scripts."""

import io
import os
import sys
from collections import namedtuple

from truto_credential_helper import helper
from truto_credential_helper.cli import main as cli_main

ENTRY_POINTS = {
    "truto": cli_main.main,
    "truto-credential-helper": helper.main,
    "git-credential-truto": helper.main_git,
    "docker-credential-truto": helper.main_docker,
}

Result = namedtuple("Result", "returncode stdout stderr")


def run_cli(argv, env=None, stdin=b""):
    """Run the console script argv[0] with arguments argv[1:]; returns Result(returncode, stdout,
    stderr). stdout and stderr are str, or bytes when stdin is given as bytes (as subprocess.run's
    text mode). env, when given, is the whole environment of the call (as subprocess's env=); the
    test's own environment and streams are restored afterwards. SystemExit (argparse's --help,
    --version and usage errors) becomes the exit code, as the interpreter would make it."""
    entry = ENTRY_POINTS[os.path.basename(str(argv[0]))]
    args = [str(a) for a in argv[1:]]
    binary = isinstance(stdin, bytes)
    data = stdin if binary else stdin.encode("utf-8")
    streams = {name: io.BytesIO() for name in ("stdout", "stderr")}
    saved_streams = sys.stdin, sys.stdout, sys.stderr, sys.argv
    saved_env = dict(os.environ)
    sys.stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    # write_through: text written with print() and bytes written to .buffer land in call order.
    sys.stdout = io.TextIOWrapper(streams["stdout"], encoding="utf-8", write_through=True)
    sys.stderr = io.TextIOWrapper(streams["stderr"], encoding="utf-8", write_through=True)
    sys.argv = [str(argv[0])] + args
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
    try:
        try:
            code = entry(args)
        except SystemExit as e:
            code = _exit_status(e.code)
        sys.stdout.flush()
        sys.stderr.flush()
        out, err = streams["stdout"].getvalue(), streams["stderr"].getvalue()
    finally:
        sys.stdin, sys.stdout, sys.stderr, sys.argv = saved_streams
        os.environ.clear()
        os.environ.update(saved_env)
    code = 0 if code is None else code
    if binary:
        return Result(code, out, err)
    return Result(code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))


def _exit_status(code):
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")  # sys.exit("message"): printed, status 1
    return 1
