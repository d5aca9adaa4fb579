"""What the terminal gets beyond plain text: colour and a spinner, each only when a person watches.

Colour only when the stream is a TTY, never with NO_COLOR set to anything non-empty
(https://no-color.org) or TERM=dumb. The spinner goes to stderr only when stderr is a TTY, only
while waiting on the network, and not with -q (it is decoration); it erases itself when done, so
what stays on the screen is the same as without it.
"""

import os
import sys
import threading

CODES = {"ok": "32", "warn": "33", "fail": "31", "info": "36", "bold": "1", "dim": "2"}


def is_tty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no such method, or closed
        return False


def colour_enabled(stream=None):
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return is_tty(stream or sys.stdout)


def paint(text, style, stream=None):
    """text in style's colour when stream shows colour, else text unchanged."""
    if not colour_enabled(stream):
        return text
    return f"\033[{CODES[style]}m{text}\033[0m"


class Spinner:
    """`with Spinner("Verifying token", quiet=ctx.quiet):` around a network wait. Shows nothing for
    waits shorter than `delay` (no flicker on a fast API)."""

    FRAMES = "|/-\\"

    def __init__(self, message, quiet=False, stream=None, delay=0.15, interval=0.1):
        self.message = message
        self.stream = stream or sys.stderr
        self.enabled = not quiet and is_tty(self.stream) and os.environ.get("TERM") != "dumb"
        self.delay = delay
        self.interval = interval
        self._stop = threading.Event()
        self._thread = None
        self._shown = False

    def __enter__(self):
        if self.enabled:
            self._thread = threading.Thread(target=self._spin, name="spinner", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            if self._shown:
                self._write("\r\033[K")  # erase the spinner line
        return False

    def _spin(self):
        if self._stop.wait(self.delay):
            return
        frame = 0
        while True:
            self._shown = True
            self._write(f"\r{self.FRAMES[frame % len(self.FRAMES)]} {self.message}...")
            frame += 1
            if self._stop.wait(self.interval):
                return

    def _write(self, text):
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass
