"""`truto doctor`'s check of the TRUTO_* variables. Each is judged by the very parser the commands
use (settings.check, api.check_api_url), so doctor and the commands never disagree about a value,
and a value is shown only once it passed that check: a token pasted into the wrong variable is
never printed back.
"""

import os

from ... import settings
from ...errors import TrutoError
from .report import FAIL, INFO, OK, WARN


def check_environment(checks, doc):
    # TRUTO_VAULT_* are the Vault login's: vault.py checks them with the Vault profiles.
    names = sorted(k for k in os.environ if k.startswith("TRUTO_") and not k.startswith("TRUTO_VAULT_"))
    if not names:
        checks.add("environment", OK, "no TRUTO_* variables set")
    profiles = (doc or {}).get("profiles", {})
    for name in names:
        if name not in settings.VARIABLES:
            checks.add(
                "environment",
                WARN,
                f"{name} is set, but truto does not read it (a typo?)",
                "unset it, or see docs/commands.md for the variables truto reads",
            )
            continue
        status, shown, fix = judge(name, os.environ[name], profiles)
        checks.add("environment", status, f"{name}{shown}: {settings.VARIABLES[name]}", fix)


def judge(name, value, profiles):
    """(status, how the value is shown, fix) for one variable truto reads."""
    try:
        parsed = settings.check(name)
    except TrutoError as e:
        return FAIL, " is not usable", str(e)
    if parsed is not None:
        return INFO, f"={parsed:g}" if isinstance(parsed, float) else f"={parsed}", ""
    if name == settings.ENV_TOKEN:
        if not value:
            return WARN, " is set but empty", "it is ignored: unset it or set the token"
        from ... import resolution

        try:
            resolution.env_token()
        except TrutoError as e:
            return FAIL, " is not usable", str(e)
        return INFO, " is set", ""  # never its value, not even masked
    if name == settings.ENV_API_URL:
        from ...api import check_api_url

        try:
            return INFO, f"={check_api_url(value, name)}", ""
        except TrutoError as e:
            return FAIL, " is not usable", str(e)
    if name == settings.ENV_PROFILE:
        if value in profiles:
            return INFO, f"={value}", ""
        if os.environ.get(settings.ENV_TOKEN):
            return INFO, " names no profile", f"{settings.ENV_TOKEN} is used instead"
        return WARN, " names no profile", f"run truto login with the profile name you meant, or unset {name}"
    return INFO, f"={value}", ""
