"""The variables of ours that must never leak into a test from the developer's shell, for both
tiers: every setting the package reads from the environment (settings.py's ENV_* names, and the
TRUTO_VAULT_* credentials set when the run started), and NO_COLOR."""

import os

from truto_credential_helper import settings

TRUTO_VARS = tuple(value for name, value in vars(settings).items() if name.startswith("ENV_"))
TRUTO_VARS += tuple(sorted(name for name in os.environ if name.startswith("TRUTO_VAULT_"))) + ("NO_COLOR",)
