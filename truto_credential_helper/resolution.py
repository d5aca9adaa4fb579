"""Which profile, token and API URL a command, the Python API or a helper uses: a flag (or
argument) > the environment (TRUTO_PROFILE, TRUTO_API_TOKEN, TRUTO_API_URL) > the profile > the
default, decided here only: the CLI, the Python API and the helpers all resolve through it.
"""

import os

from . import config
from .credential import Credential, origin_from_url
from .errors import ConfigError, NotLoggedIn, UsageError
from .profiles import missing_name
from .settings import DEFAULT_API_URL, ENV_API_URL, ENV_PROFILE, ENV_TOKEN

TYPE_CHECKING = False  # typing is not imported at run time: `get` never loads it
if TYPE_CHECKING:
    from collections.abc import Mapping

    from .profiles import Edit, Profiles


def one_word(value: str) -> bool:
    """A token or key is one printable word: whitespace or a control character inside is a bad paste
    and, sent on as it is, a line break would add lines to git's answer, and an Authorization
    header cannot carry it."""
    return not any(c.isspace() or not c.isprintable() for c in value)


def token_problem(token: str) -> "str | None":
    """Why a token from outside (TRUTO_API_TOKEN) cannot be used, or None (see one_word)."""
    if not one_word(token):
        return (
            f"{ENV_TOKEN} holds a line break, NUL or other whitespace or control character, so it is not "
            "a token; set it to the token alone"
        )
    return None


def env_token(environ: "Mapping[str, str] | None" = None) -> "str | None":
    """TRUTO_API_TOKEN's value (of `environ`, by default this process's environment); None when
    unset or empty (an empty one is ignored everywhere); UsageError when it is no token."""
    token = (os.environ if environ is None else environ).get(ENV_TOKEN) or None
    problem = token and token_problem(token)
    if problem:
        raise UsageError(problem)
    return token


def env_profile() -> "str | None":
    return os.environ.get(ENV_PROFILE) or None


def selected_name(profiles: "Profiles | Edit", flag: "str | None" = None) -> str:
    """Profile resolution: -p > TRUTO_PROFILE > active profile > 'default'; inside an edit, of the
    document being edited."""
    return flag or env_profile() or profiles.active_name or config.DEFAULT_PROFILE


def profile_source(profiles: "Profiles", flag: "str | None" = None) -> str:
    """Where selected_name's answer comes from: flag, environment, active or default."""
    if flag:
        return "flag"
    if env_profile():
        return "environment"
    return "active" if profiles.active_name else "default"


def env_api_url(environ: "Mapping[str, str] | None" = None) -> "str | None":
    return (os.environ if environ is None else environ).get(ENV_API_URL) or None


def env_credential_url(environ: "Mapping[str, str] | None" = None) -> str:
    """The API URL TRUTO_API_TOKEN belongs to: TRUTO_API_URL, else the default API (of `environ`,
    by default this process's environment)."""
    return (env_api_url(environ) or DEFAULT_API_URL).rstrip("/")


def resolve_api_url(store: "Profiles", profile_name: str, flag: "str | None" = None) -> tuple[str, str]:
    """API URL: --api-url > TRUTO_API_URL > profile's apiUrl > https://api.truto.one. Returns (url, source)."""
    if flag:
        return flag.rstrip("/"), "flag"
    from_env = env_api_url()
    if from_env:
        return from_env.rstrip("/"), "environment"
    profile = store.profile(profile_name)
    if profile is not None:
        return profile.api_url, "profile"
    return DEFAULT_API_URL, "default"


def resolve_token(store: "Profiles", profile_name: str, flag: "str | None" = None) -> tuple[str, str]:
    """Token: --token > TRUTO_API_TOKEN > selected profile's stored token. Returns (token, source)."""
    if flag:
        return flag, "flag"
    from_env = env_token()
    if from_env:
        return from_env, "environment"
    profile = store.profile(profile_name)
    token = store.read_secret(profile, "apiToken") if profile is not None else None
    if token is None:
        if profile is None:
            raise NotLoggedIn(
                f"not logged in: no profile {missing_name(profile_name)}; run `truto login` (or set {ENV_TOKEN})"
            )
        raise NotLoggedIn(f"profile '{profile_name}' has no token; run `truto login --profile-name {profile_name}`")
    return token, "profile"


def env_credential() -> "Credential | None":
    """The CI credential from TRUTO_API_TOKEN, for TRUTO_API_URL's origin only; None when unset.
    Never touches config.json or the keyring, so it works where neither exists."""
    token = env_token()
    if not token:
        return None
    url = env_credential_url()
    try:
        protocol, host, path = origin_from_url(url)
    except ValueError as e:
        raise ConfigError(f"{ENV_API_URL}: {e}; set it to the API's https:// base URL")
    name = env_profile() or config.DEFAULT_PROFILE
    return Credential(
        protocol=protocol, host=host, path=path, username=name, password=token, authtype="Bearer", profile=name
    )


def crosses_origin(profiles: "Profiles", profile_name: str, token_source: str, api_url: str, url_source: str) -> bool:
    """Whether a token read from a profile would go to another origin than that profile's own
    (--api-url or TRUTO_API_URL naming another host would hand the stored token to whoever runs
    it): every caller refuses then, in its own words. An invalid URL is not judged here (the API
    client refuses it with its own message)."""
    if token_source != "profile" or url_source not in ("flag", "environment"):
        return False
    profile = profiles.profile(profile_name)
    if profile is None:
        return False
    try:
        return origin_from_url(api_url)[:2] != origin_from_url(profile.api_url)[:2]
    except ValueError:
        return False
