"""`python -m truto_credential_helper`: the `truto` command, for where its launcher is not on PATH
(and what `pipx run` and some IDEs start). The helpers have theirs: `python -m
truto_credential_helper.helper [--protocol git|docker] ACTION`."""

import sys

from .cli.main import main

if __name__ == "__main__":
    sys.exit(main())
