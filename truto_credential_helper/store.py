"""Profiles = config.json (settings) + a secret store (token, BYOK keys). The one store behind both
the `truto` command and the credential helpers, so `truto login` and `git credential approve`
write the same thing. Knows nothing of argv, stdin or output formats.
"""
import os
from contextlib import contextmanager
from dataclasses import dataclass

from . import config
from .credential import Credential, origin_from_url
from .errors import ConfigError, NotLoggedIn, UsageError
from .secrets import FILE, KEYRING, SECRET_FIELDS, open_store

ENV_TOKEN = "TRUTO_API_TOKEN"
ENV_API_URL = "TRUTO_API_URL"
ENV_PROFILE = "TRUTO_PROFILE"


@dataclass
class Profile:
    name: str
    settings: dict

    @property
    def api_url(self):
        return self.settings["apiUrl"]

    @property
    def secret_store(self):
        return self.settings.get("secretStore", KEYRING)

    @property
    def username(self):
        return self.settings.get("username", self.name)

    @property
    def credential_type(self):
        return self.settings.get("credentialType", "token")

    @property
    def secrets(self):
        return tuple(self.settings.get("secrets", ()))

    def credential(self):
        """This profile as a Credential, without its secret (read it only when it answers)."""
        protocol, host, path = origin_from_url(self.api_url)
        authtype = self.settings.get("authtype")
        if self.credential_type == "token":
            authtype = "Bearer"
        return Credential(
            protocol=protocol,
            host=host,
            path=path,
            username=self.username,
            authtype=authtype,
            authtype_only=self.credential_type == "authtype",
            password_expiry_utc=self.settings.get("passwordExpiryUtc"),
            profile=self.name,
        )


class Store:
    def __init__(self, directory=None):
        self.directory = directory or config.config_dir()
        self._doc = None
        self._stores = {}

    @property
    def doc(self):
        if self._doc is None:
            self._doc = config.load(self.directory)
        return self._doc

    def profiles(self):
        return [Profile(name, settings) for name, settings in self.doc["profiles"].items()]

    def profile(self, name):
        settings = self.doc["profiles"].get(name)
        return Profile(name, settings) if settings is not None else None

    def require_profile(self, name):
        profile = self.profile(name)
        if profile is None:
            raise NotLoggedIn(f"no profile named '{name}'; run `truto login --profile-name {name}` or see `truto profiles list`")
        return profile

    @property
    def active_name(self):
        return self.doc.get("activeProfile")

    def selected_name(self, flag=None):
        """Profile resolution: -p > TRUTO_PROFILE > active profile > 'default'."""
        return flag or os.environ.get(ENV_PROFILE) or self.active_name or config.DEFAULT_PROFILE

    def secret_store(self, kind):
        if kind not in self._stores:
            self._stores[kind] = open_store(kind, self.directory)
        return self._stores[kind]

    def read_secret(self, profile, field="apiToken"):
        if field not in profile.secrets:
            return None  # never stored: no keyring round trip
        return self.secret_store(profile.secret_store).get(profile.name, field)

    @contextmanager
    def edit(self):
        """A locked read-modify-write of config.json; secrets are written inside it, before the
        config that refers to them, so a failure never leaves a profile pointing at nothing."""
        with config.edit(self.directory) as doc:
            yield Edit(self, doc)
        self._doc = None


class Edit:
    def __init__(self, store, doc):
        self.store = store
        self.doc = doc

    def profile(self, name):
        settings = self.doc["profiles"].get(name)
        return Profile(name, settings) if settings is not None else None

    def profiles(self):
        return [Profile(name, settings) for name, settings in self.doc["profiles"].items()]

    def save_profile(self, name, settings, secrets=None, store_kind=None):
        """Create or replace profile `name`: its settings and, when given, its secrets
        ({field: value}). Secrets of the old profile that are not given again are removed."""
        old = self.profile(name)
        kind = store_kind or (old.secret_store if old else KEYRING)
        new_settings = dict(settings)
        new_settings["secretStore"] = kind
        secrets = dict(secrets or {})
        target = self.store.secret_store(kind)
        for field, value in secrets.items():
            if field not in SECRET_FIELDS:
                raise UsageError(f"unknown secret '{field}'")
            target.set(name, field, value)
        new_settings["secrets"] = sorted(secrets)
        if old:
            for field in old.secrets:
                if old.secret_store != kind or field not in secrets:
                    self.store.secret_store(old.secret_store).delete(name, field)
        self.doc["profiles"][name] = new_settings

    def update_settings(self, name, **changes):
        """Change non-secret settings of an existing profile; None removes a key."""
        settings = self.doc["profiles"][name]
        for key, value in changes.items():
            if value is None:
                settings.pop(key, None)
            else:
                settings[key] = value

    def set_secret(self, name, field, value):
        profile = self.profile(name)
        self.store.secret_store(profile.secret_store).set(name, field, value)
        if field not in profile.secrets:
            profile.settings["secrets"] = sorted(profile.secrets + (field,))

    def delete_secret(self, name, field):
        profile = self.profile(name)
        if field in profile.secrets:
            self.store.secret_store(profile.secret_store).delete(name, field)
            profile.settings["secrets"] = [f for f in profile.secrets if f != field]

    def remove_profile(self, name):
        """Delete the profile's secrets from whichever store holds them, then the profile."""
        profile = self.profile(name)
        if profile is None:
            return False
        store = self.store.secret_store(profile.secret_store)
        for field in profile.secrets:
            store.delete(name, field)
        del self.doc["profiles"][name]
        if self.doc.get("activeProfile") == name:
            del self.doc["activeProfile"]
        return True

    def set_active(self, name):
        if name not in self.doc["profiles"]:
            raise NotLoggedIn(f"no profile named '{name}'; see `truto profiles list`")
        self.doc["activeProfile"] = name


# ---------------------------------------------------------------------------------------------
# Resolution, shared by every command and the helpers


def env_api_url():
    return os.environ.get(ENV_API_URL) or None


def resolve_api_url(store, profile_name, flag=None):
    """API URL: --api-url > TRUTO_API_URL > profile's apiUrl > https://api.truto.one. Returns (url, source)."""
    if flag:
        return flag.rstrip("/"), "flag"
    if env_api_url():
        return env_api_url().rstrip("/"), "environment"
    profile = store.profile(profile_name)
    if profile is not None:
        return profile.api_url, "profile"
    return config.DEFAULT_API_URL, "default"


def resolve_token(store, profile_name, flag=None):
    """Token: --token > TRUTO_API_TOKEN > selected profile's stored token. Returns (token, source)."""
    if flag:
        return flag, "flag"
    if os.environ.get(ENV_TOKEN):
        return os.environ[ENV_TOKEN], "environment"
    profile = store.profile(profile_name)
    token = store.read_secret(profile, "apiToken") if profile is not None else None
    if token is None:
        if profile is None:
            raise NotLoggedIn(f"not logged in: no profile '{profile_name}'; run `truto login` (or set {ENV_TOKEN})")
        raise NotLoggedIn(f"profile '{profile_name}' has no token; run `truto login --profile-name {profile_name}`")
    return token, "profile"


def env_credential():
    """The CI credential from TRUTO_API_TOKEN, for TRUTO_API_URL's origin only; None when unset.
    Never touches config.json or the keyring, so it works where neither exists."""
    token = os.environ.get(ENV_TOKEN)
    if not token:
        return None
    url = (env_api_url() or config.DEFAULT_API_URL).rstrip("/")
    try:
        protocol, host, path = origin_from_url(url)
    except ValueError as e:
        raise ConfigError(f"{ENV_API_URL}: {e}; set it to the API's https:// base URL")
    name = os.environ.get(ENV_PROFILE) or config.DEFAULT_PROFILE
    return Credential(protocol=protocol, host=host, path=path, username=name, password=token, authtype="Bearer", profile=name)
