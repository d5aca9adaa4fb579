"""Coverage-guided fuzzing of one target with atheris (libFuzzer for Python):

    python tests/fuzz/run.py TARGET [libFuzzer options] [CORPUS_DIR ...]

TARGET is one of targets.TARGETS (git, docker, dbus, config). Our package is instrumented for
coverage, so inputs that reach new branches are kept and mutated further. tests/fuzz/test_fuzz.py
runs each target for a bounded time on a copy of tests/fuzz/corpus/TARGET.
"""

import os
import sys

import atheris

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

with atheris.instrument_imports(include=["truto_credential_helper"]):
    import targets


def main():
    name = sys.argv.pop(1)
    target = targets.TARGETS[name]
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
