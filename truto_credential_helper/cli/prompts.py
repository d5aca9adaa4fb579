"""Interactive prompts: text with a default, masked secrets, yes/no confirmations.

Prompts go to stderr (stdout may be carrying -o json data) and need a terminal on stdin: a script
without one gets a usage error naming the flag that replaces the prompt, never a hang on a read.
"""

import sys

from ..errors import TrutoError, UsageError


class Aborted(TrutoError):
    """The user declined or closed the input: nothing was changed."""


def interactive():
    from .terminal import is_tty

    return is_tty(sys.stdin)  # False too for a stdin closed at start-up


def require_terminal(instead):
    """UsageError unless stdin is a terminal. instead: what to pass to go without the prompt."""
    if not interactive():
        raise UsageError(f"no terminal to prompt on; {instead}")


def _read_line(prompt):
    sys.stderr.write(prompt)
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:
        sys.stderr.write("\n")
        raise Aborted("input closed; nothing was changed")
    return line.rstrip("\r\n")


def ask(label, default=None):
    """A line of text; Enter alone takes the default."""
    suffix = f" [{default}]" if default else ""
    answer = _read_line(f"{label}{suffix}: ").strip()
    return answer or default or ""


def ask_secret(label):
    """A secret typed or pasted with echo off; surrounding whitespace of a paste is dropped."""
    import getpass

    try:
        value = getpass.getpass(f"{label}: ", stream=sys.stderr)
    except EOFError:
        sys.stderr.write("\n")
        raise Aborted("input closed; nothing was changed")
    return value.strip()


def confirm(question, default=False):
    hint = "[Y/n]" if default else "[y/N]"
    while True:
        answer = _read_line(f"{question} {hint} ").strip().lower()
        if not answer:
            return default
        if answer in ("y", "yes"):
            return True
        if answer in ("n", "no"):
            return False
        sys.stderr.write("Please answer y or n.\n")
