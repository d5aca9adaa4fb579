"""Settings from the environment: the variables' names, the one validating parser for those with a
number or a fixed set of values, and the default config directory. The bottom floor: it imports
nothing of the package but errors.py, so config, the stores, the helpers and `truto doctor` all
read a setting the same way and give the same verdict on a bad one.

A bad value is a usage error naming the variable and what is wrong, never repeating the value
(someone may have pasted a token into the wrong variable).
"""

import os

from .errors import UsageError

ENV_TOKEN = "TRUTO_API_TOKEN"
ENV_API_URL = "TRUTO_API_URL"
ENV_PROFILE = "TRUTO_PROFILE"
ENV_CONFIG_DIR = "TRUTO_CONFIG_DIR"
ENV_TIMEOUT = "TRUTO_TIMEOUT"
ENV_KEYRING_TIMEOUT = "TRUTO_KEYRING_TIMEOUT"
ENV_LOCK_TIMEOUT = "TRUTO_LOCK_TIMEOUT"
ENV_DEBUG = "TRUTO_DEBUG"

DEFAULT_API_URL = "https://api.truto.one"  # when neither a flag, TRUTO_API_URL nor a profile names one

# name: (default, what it does) for the settings with a number of seconds.
SECONDS = {
    ENV_TIMEOUT: (10.0, "API request timeout in seconds"),
    ENV_KEYRING_TIMEOUT: (10.0, "keyring call timeout in seconds"),
    ENV_LOCK_TIMEOUT: (60.0, "config lock wait in seconds"),
}
# Above a day nothing is a timeout any more, and far above it threads and sockets overflow.
MAX_SECONDS = 86400.0
# name: the values it may take (unset means the first).
CHOICES = {
    ENV_DEBUG: ("0", "1"),
}

# Every variable truto reads, with what it does: `truto doctor` explains them from here.
VARIABLES = {
    ENV_TOKEN: "overrides the stored token of every profile; the git/docker helper answers from it "
    "for TRUTO_API_URL's origin only",
    ENV_API_URL: "overrides the API URL of every profile",
    ENV_PROFILE: "overrides the active profile",
    ENV_CONFIG_DIR: "config directory instead of ~/.truto",
    **{name: f"{what} (default {default:g})" for name, (default, what) in SECONDS.items()},
    ENV_DEBUG: "tracebacks on errors when 1 (0 or unset: none)",
}


def seconds(name: str, default: "float | None" = None) -> float:
    """A number of seconds from the environment: unset gives the default; anything but a finite
    number above 0 and at most a day (garbage, empty, nan, inf, 0, negative) is a usage error."""
    if default is None:
        default = SECONDS[name][0]
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        value = None
    if value is None or not 0 < value <= MAX_SECONDS:  # nan fails every comparison
        raise UsageError(
            f"{name} {_what_is_wrong(raw)}: it must be a number of seconds above 0 and at most "
            f"{MAX_SECONDS:g}; set it to e.g. {default:g}, or unset it"
        )
    return value


def choice(name: str) -> str:
    """One of CHOICES[name] from the environment; unset gives the first."""
    allowed = CHOICES[name]
    raw = os.environ.get(name)
    if raw is None:
        return allowed[0]
    if raw.strip() not in allowed:
        raise UsageError(
            f"{name} {_what_is_wrong(raw)}: it must be {' or '.join(allowed)}; set it to one of them, or unset it"
        )
    return raw.strip()


def debug() -> bool:
    return choice(ENV_DEBUG) == "1"


def check(name: str) -> "float | str | None":
    """Parse one variable as the commands do (UsageError when it is bad); None for a variable
    without a number or choice to check."""
    if name in SECONDS:
        return seconds(name)
    if name in CHOICES:
        return choice(name)
    return None


def _what_is_wrong(raw: str) -> str:
    if not raw.strip():
        return "is set but empty"
    return f"is not valid (a value of {len(raw)} character{'s' if len(raw) != 1 else ''})"


def config_dir() -> str:
    configured = os.environ.get(ENV_CONFIG_DIR)
    if configured:
        return os.path.abspath(os.path.expanduser(configured))
    return default_config_dir()


def default_config_dir() -> str:
    return os.path.join(os.path.expanduser("~"), ".truto")
