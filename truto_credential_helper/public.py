"""The Python API: the credentials the `truto` command would use, for tools and SDKs in Python.

    import truto_credential_helper
    c = truto_credential_helper.credentials()          # or credentials(profile="staging")
    TrutoApi(token=c.token, base_url=c.api_url)         # truto-python-sdk

Resolved exactly as every `truto` command resolves them (resolution.py):
arguments > TRUTO_API_TOKEN / TRUTO_API_URL / TRUTO_PROFILE > the profile > the default API URL.
Imports nothing heavy: no HTTP client; `keyring` only when the Secret Service fast path cannot answer.
"""

from .errors import UsageError

__all__ = ["Credentials", "credentials"]


class Credentials:
    """What an API client needs. Its repr never shows the token (it ends up in logs and tracebacks)."""

    __slots__ = ("api_url", "token", "default_integrated_account", "profile", "token_source", "api_url_source")

    def __init__(
        self, api_url, token, default_integrated_account=None, profile=None, token_source=None, api_url_source=None
    ):
        self.api_url = api_url
        self.token = token
        self.default_integrated_account = default_integrated_account
        self.profile = profile  # the profile it came from; None when nothing came from a profile
        self.token_source = token_source  # "argument", "environment" or "profile"
        self.api_url_source = api_url_source  # "argument", "environment", "profile" or "default"

    def __repr__(self):
        return (
            f"Credentials(profile={self.profile!r}, api_url={self.api_url!r}, token=<hidden>, "
            f"default_integrated_account={self.default_integrated_account!r})"
        )


_SOURCE_WORDS = {"flag": "argument"}


def credentials(profile=None, api_url=None, token=None):
    """The API URL, token and default integrated account to use.

    profile: a profile name (default: $TRUTO_PROFILE, else the active profile, else "default").
    api_url, token: take precedence over the environment and the profile, as --api-url and --token do.

    Raises (all subclasses of truto_credential_helper.TrutoError):
      NotLoggedIn: no such profile, or it holds no token (and no token argument or TRUTO_API_TOKEN).
      SecretStoreUnavailable: the OS keyring holding the token cannot be reached or is locked.
      ConfigError: config.json cannot be read or is invalid.
      UsageError: the API URL is not usable (not http(s), or plain http to another machine), or it
        names another origin than the profile whose stored token would be sent to it.
    """
    from . import resolution
    from .api import check_api_url
    from .profiles import Profiles

    store = Profiles()
    name = resolution.selected_name(store, profile)
    found, token_source = resolution.resolve_token(store, name, token)
    url, url_source = resolution.resolve_api_url(store, name, api_url)
    url = check_api_url(url, "api_url" if url_source == "flag" else _url_label(url_source))
    stored = store.profile(name)
    if resolution.crosses_origin(store, name, token_source, url, url_source):
        # The CLI's rule, in the Python API's words: a stored token goes only to its profile's origin.
        raise UsageError(
            f"profile '{name}' holds a token for {stored.api_url}, not for another origin; pass token= for that API, "
            "or log in to it as a profile of its own"
        )
    # The profile's own settings come along only when the profile supplied the token or the URL.
    from_profile = stored is not None and (token_source == "profile" or url_source == "profile")
    return Credentials(
        api_url=url,
        token=found,
        default_integrated_account=stored.settings.get("defaultIntegratedAccount") if from_profile else None,
        profile=name if from_profile else None,
        token_source=_SOURCE_WORDS.get(token_source, token_source),
        api_url_source=_SOURCE_WORDS.get(url_source, url_source),
    )


def _url_label(source):
    return {"environment": "TRUTO_API_URL", "profile": "the profile's apiUrl"}.get(source, "the API URL")
