"""The helpers' launchers end with console.exit_process, which skips the interpreter's teardown:
what a normal exit guarantees must still hold (output written, atexit functions run, the code)."""

import os
import subprocess
import sys

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = """
import atexit, sys
from truto_credential_helper.console import exit_process
atexit.register(lambda: sys.stderr.write("atexit ran\\n"))
sys.stdout.write("answer=still buffered\\n")  # a pipe: block-buffered, not yet written
sys.stderr.write("a line on stderr")
exit_process(int(sys.argv[1]))
"""


def test_output_is_flushed_atexit_runs_and_the_code_is_kept():
    for code in (0, 3, 6):
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(code)],
            capture_output=True,
            text=True,
            env=dict(os.environ, PYTHONPATH=SOURCE_ROOT),
            timeout=60,
        )
        assert done.returncode == code
        assert done.stdout == "answer=still buffered\n"
        assert done.stderr == "a line on stderr" + "atexit ran\n"
