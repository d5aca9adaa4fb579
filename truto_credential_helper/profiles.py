"""The profile repository: profiles = config.json (settings) + a secret store (token, BYOK keys).
The one repository behind both the `truto` command and the credential helpers, so `truto login` and
`git credential approve` write the same thing. Knows nothing of argv, stdin, output formats or the
environment (resolution.py picks the profile, token and URL a command uses).
"""

from . import config, refusals, write_order
from .credential import Credential, origin_from_url
from .errors import NotLoggedIn, TrutoError, UsageError
from .lean_context import contextmanager
from .secrets import KEYRING, SECRET_FIELDS, open_store
from .settings import config_dir
from .untrusted import hold, masked

TYPE_CHECKING = False  # typing is not imported at run time: `get` never loads it
if TYPE_CHECKING:
    from typing import Iterator

    from .secrets.base import SecretStore

# Who stored a profile's token (config.json's storedBy): erase through a protocol removes only a
# client's, never what the user saved with `truto`.
TRUTO = "truto"
GIT = "git"
DOCKER = "docker"


def usable_secret(value: str) -> bool:
    """Whether a secret can be handed out: no CR, LF or NUL, which would break a line protocol."""
    return not any(c in value for c in "\r\n\0")


class UnusableSecret(TrutoError):
    """A stored secret that holds a line break or NUL (exit 1, as git's refusal of one)."""


class Profile:
    # Not a @dataclass: `import dataclasses` would be a large share of every `get`.
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, name: str, settings: dict) -> None:
        self.name = name
        self.settings = settings

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return (self.name, self.settings) == (other.name, other.settings)

    def __repr__(self):
        return f"Profile(name={self.name!r}, settings={self.settings!r})"

    @property
    def api_url(self) -> str:
        return self.settings["apiUrl"]

    @property
    def secret_store(self) -> str:
        return self.settings.get("secretStore", KEYRING)

    @property
    def username(self) -> str:
        return self.settings.get("username", self.name)

    @property
    def credential_type(self) -> str:
        return self.settings.get("credentialType", "token")

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(self.settings.get("secrets", ()))

    @property
    def stored_by(self) -> str:
        """Who stored this profile's token: TRUTO (login, profiles set/set-key, ...) or a protocol
        client (GIT, DOCKER). A profile written before the marker existed is a client's when it
        has a client's shape (git's credentialType password/authtype, docker's dockerServerUrl);
        anything else came from `truto login`."""
        marker = self.settings.get("storedBy")
        if marker is not None:
            return marker
        if "dockerServerUrl" in self.settings:
            return DOCKER
        if self.credential_type != "token":
            return GIT
        return TRUTO

    def credential(self) -> "Credential":
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


class Profiles:
    def __init__(self, directory: "str | None" = None) -> None:
        self.directory = directory or config_dir()
        self._doc: "dict | None" = None
        self._stores: "dict[str, SecretStore]" = {}

    @property
    def doc(self) -> dict:
        if self._doc is None:
            self._doc = config.load(self.directory)
        return self._doc

    def profiles(self) -> "list[Profile]":
        return [Profile(name, settings) for name, settings in self.doc["profiles"].items()]

    def profile(self, name: str) -> "Profile | None":
        settings = self.doc["profiles"].get(name)
        return Profile(name, settings) if settings is not None else None

    def require_profile(self, name: str) -> "Profile":
        profile = self.profile(name)
        if profile is None:
            raise no_such_profile(name)
        return profile

    @property
    def active_name(self) -> "str | None":
        return self.doc.get("activeProfile")

    def secret_store(self, kind: str) -> "SecretStore":
        if kind not in self._stores:
            self._stores[kind] = open_store(kind, self.directory)
        return self._stores[kind]

    def read_secret(self, profile: "Profile", field: str = "apiToken") -> "str | None":
        """A profile's secret, to be used or handed out: every output of one (git and docker get,
        `auth token`, auth exec's environment, the Python API, the Authorization header) reads it
        here. A value with a line break or NUL is refused (UnusableSecret): it is no token, and a
        reader of lines (`$(truto auth token)`, git's protocol) would get a line it never stored."""
        value = self._stored(profile, field)
        if value is not None and not usable_secret(value):
            raise UnusableSecret(
                f"the {field} of profile '{profile.name}' holds a line break or NUL, so it is not a token and is "
                f"not handed out; store it again (truto login --profile-name {profile.name}, or truto profiles set-key)"
            )
        return value

    def holds_secret(self, profile: "Profile", field: str, value: str) -> bool:
        """Whether the profile's stored secret is `value` (an unusable one simply is not)."""
        return self._stored(profile, field) == value

    def _stored(self, profile, field):
        if field not in profile.secrets:
            return None  # never stored: no keyring round trip
        return hold(self.secret_store(profile.secret_store).get(profile.name, field))  # never printed from now on

    @contextmanager
    def edit(self, by: "str | None" = TRUTO) -> "Iterator[Edit]":
        """A locked read-modify-write of config.json; secrets are written inside it, in
        write_order's order, so a crash never leaves a secret no profile names.

        by=TRUTO (the `truto` command): every profile it creates or changes becomes the user's, so
        a protocol client's erase keeps it. The helpers pass by=None and mark what they store."""
        with config.edit(self.directory) as doc:
            yield Edit(self, doc, by)
        self._doc = None


class Edit:
    def __init__(self, store: "Profiles", doc: dict, by: "str | None" = TRUTO) -> None:
        self.store = store
        self.doc = doc
        self.by = by

    def _touched(self, name):
        if self.by is not None and name in self.doc["profiles"]:
            self.doc["profiles"][name]["storedBy"] = self.by

    def profile(self, name: str) -> "Profile | None":
        settings = self.doc["profiles"].get(name)
        return Profile(name, settings) if settings is not None else None

    @property
    def active_name(self) -> "str | None":
        return self.doc.get("activeProfile")

    def profiles(self) -> "list[Profile]":
        return [Profile(name, settings) for name, settings in self.doc["profiles"].items()]

    def require_profile(self, name: str) -> "Profile":
        """The profile as config.json holds it under the lock: another process (a `truto logout`)
        may have removed it since this one last read the file."""
        profile = self.profile(name)
        if profile is None:
            raise no_such_profile(name)
        return profile

    def save_profile(
        self, name: str, settings: dict, secrets: "dict[str, str] | None" = None, store_kind: "str | None" = None
    ) -> None:
        """Create or replace profile `name`: its settings and, when given, its secrets
        ({field: value}). Secrets of the old profile that are not given again are removed.

        In write_order's order (replace): the items that must not survive are deleted (the old
        profile's dropped ones, and any leftover where a new one goes unless it already is this
        profile's secret for the same origin), then config.json names the new secrets, then they
        are written. Killed in between, the profile names a secret not there yet and answers
        nothing until the next login."""
        old = self.profile(name)
        kind = store_kind or (old.secret_store if old else KEYRING)
        secrets = dict(secrets or {})
        for field in secrets:
            if field not in SECRET_FIELDS:
                raise UsageError(f"unknown secret '{field}'")
        new_settings = dict(settings, secretStore=kind, secrets=sorted(secrets))
        target = self.store.secret_store(kind)
        # Items that already hold this profile's secret for this very origin may be overwritten in
        # place: at every instant they hold the old or the new one, both meant for it.
        in_place = set(old.secrets) if old and old.secret_store == kind and _same_origin(old, new_settings) else set()

        def must_not_survive():
            if target.owned:  # a team's secret (Vault) is only ever written a new version, never emptied first
                for field in secrets:
                    if field not in in_place:
                        yield target, name, field
            if old and self.store.secret_store(old.secret_store).owned:  # a team's secret is not ours to remove
                for field in old.secrets:
                    if old.secret_store != kind or field not in secrets:
                        yield self.store.secret_store(old.secret_store), name, field
                        in_place.discard(field)  # deleted: a failed write no longer leaves it named

        def name_new():
            self.doc["profiles"][name] = new_settings
            self._touched(name)
            if "apiToken" in secrets:
                refusals.forget(self.store.directory, [name])  # a new login: whatever was refused is past
            config.commit(self.store.directory, self.doc)

        def unname():
            # The settings before, naming only what still holds its secret; no profile if none was.
            self._restore(name, old and dict(old.settings, secrets=sorted(in_place & set(old.secrets))))

        write = ((target, name, field, value) for field, value in secrets.items())
        write_order.replace(must_not_survive(), name_new, write, unname)

    def _restore(self, name, settings):
        """config.json back to `settings` for profile `name` (None: no such profile), written now."""
        if settings is None:
            self.doc["profiles"].pop(name, None)
        else:
            self.doc["profiles"][name] = settings
        config.commit(self.store.directory, self.doc)

    def update_settings(self, name: str, **changes: object) -> None:
        """Change non-secret settings of an existing profile; None removes a key."""
        settings = self.require_profile(name).settings
        for key, value in changes.items():
            if value is None:
                settings.pop(key, None)
            else:
                settings[key] = value
        self._touched(name)

    def set_secret(self, name: str, field: str, value: str) -> None:
        """Overwrite a secret the profile has in place; a new one goes in write_order's order (any
        leftover item of that name deleted, config.json naming it, then written), so a crash never
        leaves it unnamed."""
        profile = self.require_profile(name)
        store = self.store.secret_store(profile.secret_store)
        self._touched(name)
        if field == "apiToken":
            refusals.forget(self.store.directory, [name])
        if field in profile.secrets:
            store.set(name, field, value)  # in place: the profile's own item, for its same settings
            return
        before = dict(profile.settings)

        def name_new():
            profile.settings["secrets"] = sorted(profile.secrets + (field,))
            config.commit(self.store.directory, self.doc)

        write_order.replace(
            [(store, name, field)], name_new, [(store, name, field, value)], lambda: self._restore(name, before)
        )

    def delete_secret(self, name: str, field: str) -> None:
        profile = self.require_profile(name)
        if field in profile.secrets:
            store = self.store.secret_store(profile.secret_store)

            def unnamed():  # config.json follows when the edit ends
                profile.settings["secrets"] = [f for f in profile.secrets if f != field]

            write_order.remove([(store, name, field)], unnamed)
        self._touched(name)

    def remove_profile(self, name: str) -> bool:
        """Delete the profile's secrets from whichever store holds them, then the profile."""
        profile = self.profile(name)
        if profile is None:
            return False
        store = self.store.secret_store(profile.secret_store)
        owned = profile.secrets if store.owned else ()  # a team's secret (Vault) outlives the profile

        def unnamed():  # config.json follows when the edit ends
            del self.doc["profiles"][name]

        write_order.remove([(store, name, field) for field in owned], unnamed)
        refusals.forget(self.store.directory, [name])
        if self.active_name == name:
            del self.doc["activeProfile"]
        return True

    def set_active(self, name: str) -> None:
        if name not in self.doc["profiles"]:
            raise NotLoggedIn(f"no profile named {missing_name(name)}; see `truto profiles list`")
        self.doc["activeProfile"] = name


def _same_origin(profile, settings):
    """Whether new settings keep a profile's secrets meant for the same origin and user."""
    try:
        return origin_from_url(profile.api_url) == origin_from_url(
            settings["apiUrl"]
        ) and profile.username == settings.get("username", profile.name)
    except ValueError:
        return False


def no_such_profile(name: str) -> "NotLoggedIn":
    return NotLoggedIn(
        f"no profile named {missing_name(name)}; run `truto login --profile-name NAME` or see `truto profiles list`"
    )


def missing_name(name: str) -> str:
    """A profile name that names no profile, as a message shows it: the built-in default as it is,
    anything else masked (a token pasted as -p or TRUTO_PROFILE must not be printed back)."""
    return f"'{name}'" if name == config.DEFAULT_PROFILE else masked(name)
