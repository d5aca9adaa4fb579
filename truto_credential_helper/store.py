"""Profiles = config.json (settings) + a secret store (token, BYOK keys). The one store behind both
the `truto` command and the credential helpers, so `truto login` and `git credential approve`
write the same thing. Knows nothing of argv, stdin or output formats.
"""
import os
from .lean_context import contextmanager

from . import config
from .credential import Credential, answers, matches, origin_from_url, replace, url_from_origin
from .errors import ConfigError, NotLoggedIn, UsageError
from .secrets import KEYRING, SECRET_FIELDS, open_store
from .settings import ENV_API_URL, ENV_PROFILE, ENV_TOKEN  # noqa: F401 (callers read them from here)
from .untrusted import hold, masked

# Who stored a profile's token (config.json's storedBy): erase through a protocol removes only a
# client's, never what the user saved with `truto`.
TRUTO = "truto"
GIT = "git"
DOCKER = "docker"


class Profile:
    # Not a @dataclass: `import dataclasses` costs ~8 ms of every `get` (docs/performance.md).
    __hash__ = None

    def __init__(self, name, settings):
        self.name = name
        self.settings = settings

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return (self.name, self.settings) == (other.name, other.settings)

    def __repr__(self):
        return f"Profile(name={self.name!r}, settings={self.settings!r})"

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

    @property
    def stored_by(self):
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
            raise no_such_profile(name)
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
        return hold(self.secret_store(profile.secret_store).get(profile.name, field))  # never printed from now on

    @contextmanager
    def edit(self, by=TRUTO):
        """A locked read-modify-write of config.json; secrets are written inside it, before the
        config that refers to them, so a failure never leaves a profile pointing at nothing.

        by=TRUTO (the `truto` command): every profile it creates or changes becomes the user's, so
        a protocol client's erase keeps it. The helpers pass by=None and mark what they store."""
        with config.edit(self.directory) as doc:
            yield Edit(self, doc, by)
        self._doc = None


class Edit:
    def __init__(self, store, doc, by=TRUTO):
        self.store = store
        self.doc = doc
        self.by = by

    def _touched(self, name):
        if self.by is not None and name in self.doc["profiles"]:
            self.doc["profiles"][name]["storedBy"] = self.by

    def profile(self, name):
        settings = self.doc["profiles"].get(name)
        return Profile(name, settings) if settings is not None else None

    def require_profile(self, name):
        """The profile as config.json holds it under the lock: another process (a `truto logout`)
        may have removed it since this one last read the file."""
        profile = self.profile(name)
        if profile is None:
            raise no_such_profile(name)
        return profile

    def profiles(self):
        return [Profile(name, settings) for name, settings in self.doc["profiles"].items()]

    def save_profile(self, name, settings, secrets=None, store_kind=None):
        """Create or replace profile `name`: its settings and, when given, its secrets
        ({field: value}). Secrets of the old profile that are not given again are removed.

        Ordered so that a crash at any point leaves no secret that no profile names, and no profile
        naming an item that holds a secret meant for other settings: first every item that must
        not survive is deleted (the old profile's dropped ones, and any leftover where a new one
        goes unless it already is this profile's secret for the same origin), then config.json is
        written naming the new secrets, then they are written. Killed in between, the profile
        names a secret not there yet and answers nothing until the next login."""
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
        if target.owned:  # a team's secret (Vault) is only ever written a new version, never emptied first
            for field in secrets:
                if field not in in_place:
                    target.delete(name, field)
        if old and self.store.secret_store(old.secret_store).owned:  # a team's secret is not ours to remove
            for field in old.secrets:
                if old.secret_store != kind or field not in secrets:
                    self.store.secret_store(old.secret_store).delete(name, field)
                    in_place.discard(field)
        self.doc["profiles"][name] = new_settings
        self._touched(name)
        self._commit_then(lambda: [target.set(name, field, value) for field, value in secrets.items()],
                          name, old and dict(old.settings, secrets=sorted(in_place & set(old.secrets))))

    def _commit_then(self, write_secrets, name, fallback):
        """Write config.json, then the secrets. When writing them fails (a keyring error, not a
        crash), config.json goes back to `fallback` (the settings before, naming only what still
        holds its secret; None: no profile) before the error goes on."""
        config.commit(self.store.directory, self.doc)
        try:
            write_secrets()
        except BaseException:
            if fallback is None:
                self.doc["profiles"].pop(name, None)
            else:
                self.doc["profiles"][name] = fallback
            try:
                config.commit(self.store.directory, self.doc)
            except Exception:
                pass  # the error on its way out matters more; the profile answers nothing meanwhile
            raise

    def update_settings(self, name, **changes):
        """Change non-secret settings of an existing profile; None removes a key."""
        settings = self.require_profile(name).settings
        for key, value in changes.items():
            if value is None:
                settings.pop(key, None)
            else:
                settings[key] = value
        self._touched(name)

    def set_secret(self, name, field, value):
        """Overwrite a secret the profile has in place; a new one is named in config.json first
        (after removing any leftover item of that name), so a crash never leaves it unnamed."""
        profile = self.require_profile(name)
        store = self.store.secret_store(profile.secret_store)
        self._touched(name)
        if field in profile.secrets:
            store.set(name, field, value)
            return
        store.delete(name, field)
        before = dict(profile.settings)
        profile.settings["secrets"] = sorted(profile.secrets + (field,))
        self._commit_then(lambda: store.set(name, field, value), name, before)

    def delete_secret(self, name, field):
        profile = self.require_profile(name)
        if field in profile.secrets:
            self.store.secret_store(profile.secret_store).delete(name, field)
            profile.settings["secrets"] = [f for f in profile.secrets if f != field]
        self._touched(name)

    def remove_profile(self, name):
        """Delete the profile's secrets from whichever store holds them, then the profile."""
        profile = self.profile(name)
        if profile is None:
            return False
        store = self.store.secret_store(profile.secret_store)
        for field in profile.secrets if store.owned else ():  # a team's secret (Vault) outlives the profile
            store.delete(name, field)
        del self.doc["profiles"][name]
        if self.doc.get("activeProfile") == name:
            del self.doc["activeProfile"]
        return True

    def set_active(self, name):
        if name not in self.doc["profiles"]:
            raise NotLoggedIn(f"no profile named {missing_name(name)}; see `truto profiles list`")
        self.doc["activeProfile"] = name


# ---------------------------------------------------------------------------------------------
# Resolution, shared by every command and the helpers


def env_api_url():
    return os.environ.get(ENV_API_URL) or None


def env_credential_url():
    """The API URL TRUTO_API_TOKEN belongs to: TRUTO_API_URL, else the default API."""
    return (env_api_url() or config.DEFAULT_API_URL).rstrip("/")


def no_such_profile(name):
    return NotLoggedIn(f"no profile named {missing_name(name)}; run `truto login --profile-name NAME` or see `truto profiles list`")


def missing_name(name):
    """A profile name that names no profile, as a message shows it: the built-in default as it is,
    anything else masked (a token pasted as -p or TRUTO_PROFILE must not be printed back)."""
    return f"'{name}'" if name == config.DEFAULT_PROFILE else masked(name)


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
            raise NotLoggedIn(f"not logged in: no profile {missing_name(profile_name)}; run `truto login` (or set {ENV_TOKEN})")
        raise NotLoggedIn(f"profile '{profile_name}' has no token; run `truto login --profile-name {profile_name}`")
    return token, "profile"


def env_credential():
    """The CI credential from TRUTO_API_TOKEN, for TRUTO_API_URL's origin only; None when unset.
    Never touches config.json or the keyring, so it works where neither exists."""
    token = os.environ.get(ENV_TOKEN)
    if not token:
        return None
    url = env_credential_url()
    try:
        protocol, host, path = origin_from_url(url)
    except ValueError as e:
        raise ConfigError(f"{ENV_API_URL}: {e}; set it to the API's https:// base URL")
    name = os.environ.get(ENV_PROFILE) or config.DEFAULT_PROFILE
    return Credential(protocol=protocol, host=host, path=path, username=name, password=token, authtype="Bearer", profile=name)


# ---------------------------------------------------------------------------------------------
# Credential-helper operations (git and docker protocols): answer, store and erase by request.
# Whether a profile is the credential for a request is decided by credential.matches/answers only.

HELPER_SECRET = "apiToken"  # the same item `truto login` writes: a credential is a profile's token
REFRESH_SECRET = "oauthRefreshToken"


def answer_request(request, prefer=None, directory=None):
    """`get` for both protocols: the Credential (with its secrets) answering `request`, or None.

    With TRUTO_API_TOKEN set, only the environment's credential answers, and neither config.json
    nor the keyring is touched. An empty request asks for the selected profile (TRUTO_PROFILE, else
    the active one). Among several answering profiles, those for which prefer(profile) is true,
    then the selected profile, then config order win; only the winner's secret is read.
    """
    if os.environ.get(ENV_TOKEN):
        found = env_credential()
        if request.is_empty_request():
            request = replace(request, profile=found.profile)
        if not answers(found, request):
            return None
        found.credential = found.password
        return found
    store = Store(directory)
    selected = store.selected_name()
    if request.is_empty_request():
        request = replace(request, profile=selected)
    for profile in _ordered(store.profiles(), prefer, selected):
        found = profile.credential()
        if not answers(found, request):
            continue
        secret = store.read_secret(profile, HELPER_SECRET)
        if secret is None:
            continue  # its secret is gone (deleted from the keyring): it answers nothing
        if found.authtype:
            found.credential = secret
        if not found.authtype_only:
            found.password = secret
        found.oauth_refresh_token = store.read_secret(profile, REFRESH_SECRET)
        return found
    return None


def _ordered(profiles, prefer, selected):
    def rank(profile):
        return (not (prefer and prefer(profile)), profile.name != selected)

    return sorted(profiles, key=rank)  # a stable sort: config order among equals


def store_credential(incoming, credential_type, base_name, docker_server_url=None, directory=None):
    """`store` for both protocols: keep `incoming` (origin, username, and password or authtype +
    credential) as a profile. Returns the profile's name, or None when it is not kept.

    As git's helpers, it replaces the profiles it matches (same origin and username). Storing the
    secret a matching profile already has changes nothing but the expiry (an approve after a fill),
    a `token` profile keeps being one, and a new profile gets a name no other profile has.
    credential_type: "password" (git), "authtype" (git, authtype+credential) or "token" (docker).
    base_name: the client storing it (GIT or DOCKER): the stem of a new profile's name, and who the
    profile's token is marked as stored by when it changes (an approve after a fill changes nothing).
    """
    secret = incoming.credential if credential_type == "authtype" else incoming.password
    if secret is None or incoming.protocol not in ("http", "https") or not incoming.host:
        return None  # nothing a profile can hold (git's helpers ignore these too)
    if os.environ.get(ENV_TOKEN) and secret == os.environ[ENV_TOKEN]:
        return None  # CI's token is never written anywhere, even when git approves it
    username = incoming.username if incoming.username is not None else ""
    api_url = _helper_api_url(incoming)
    if len(username) > 1024:
        raise UsageError("the user name is longer than 1024 characters; use a shorter one")
    request = Credential(protocol=incoming.protocol, host=incoming.host, path=incoming.path,
                         username=username, profile=incoming.profile)
    store = Store(directory)
    with store.edit(by=None) as edit:
        matched = [p for p in edit.profiles() if matches(p.credential(), request)]
        same = [p for p in matched if _same_form(p, credential_type, incoming.authtype)
                and store.read_secret(p, HELPER_SECRET) == secret]
        if same:
            name = _refresh_same(edit, same[0], incoming)
        elif any(not store.secret_store(p.secret_store).owned for p in matched):
            return None  # a team's secret (Vault) changes through `truto login`, never through git or docker
        elif matched:
            name = _replace(edit, matched, incoming, credential_type, secret)
            edit.update_settings(name, storedBy=base_name)
        else:
            name = _create(edit, incoming, credential_type, secret, username, api_url, base_name)
        if docker_server_url:
            _mark_docker_login(edit, name, docker_server_url)
        return name


def _refresh_same(edit, profile, incoming):
    """The secret is already there: only what came along is updated. A git older than 2.41 drops
    the expiry and refresh token from its fill output, so an approve must not erase them."""
    if incoming.password_expiry_utc is not None:
        edit.update_settings(profile.name, passwordExpiryUtc=incoming.password_expiry_utc)
    refresh = incoming.oauth_refresh_token
    if refresh is not None and edit.store.read_secret(profile, REFRESH_SECRET) != refresh:
        edit.set_secret(profile.name, REFRESH_SECRET, refresh)
    return profile.name


def _replace(edit, matched, incoming, credential_type, secret):
    """git: a store replaces what it matches. The first match is updated in place (it keeps its
    name, settings and BYOK keys); the other matches are removed."""
    keep = matched[0]
    new_type = _replaced_type(keep, credential_type, incoming.authtype)
    edit.update_settings(
        keep.name,
        credentialType=None if new_type == "token" else new_type,
        authtype=incoming.authtype if new_type == "authtype" else None,
        passwordExpiryUtc=incoming.password_expiry_utc,
    )
    edit.set_secret(keep.name, HELPER_SECRET, secret)
    _put_refresh_token(edit, keep.name, incoming.oauth_refresh_token)
    for other in matched[1:]:
        edit.remove_profile(other.name)
    return keep.name


def _create(edit, incoming, credential_type, secret, username, api_url, base_name):
    name = incoming.profile or choose_profile_name(edit, username, incoming.host, base_name)
    if edit.profile(name) is not None:  # only a profile= naming one of another origin gets here
        raise UsageError(f"profile '{name}' already exists for {edit.profile(name).api_url}; "
                         f"name another profile, or `truto logout -p {name}` first")
    if not _valid_profile_name(name):
        raise UsageError(f"{masked(name)} is not a valid profile name (letters, digits, . _ @ + -, starting with a letter or digit)")
    settings = {"apiUrl": api_url, "storedBy": base_name}
    if username != name:
        settings["username"] = username
    if credential_type != "token":
        settings["credentialType"] = credential_type
    if credential_type == "authtype":
        settings["authtype"] = incoming.authtype
    if incoming.password_expiry_utc is not None:
        settings["passwordExpiryUtc"] = incoming.password_expiry_utc
    secrets = {HELPER_SECRET: secret}
    if incoming.oauth_refresh_token is not None:
        secrets[REFRESH_SECRET] = incoming.oauth_refresh_token
    edit.save_profile(name, settings, secrets)
    return name


def _mark_docker_login(edit, name, server_url):
    """docker keeps one login per registry: the profile it stored last carries dockerServerUrl
    (the URL as docker wrote it, for list) and answers docker first; an earlier login for the same
    origin under another user name stays a profile but loses the mark."""
    stored = edit.profile(name).credential()
    origin = Credential(protocol=stored.protocol, host=stored.host, path=stored.path)
    for profile in edit.profiles():
        if profile.name != name and "dockerServerUrl" in profile.settings and matches(profile.credential(), origin):
            edit.update_settings(profile.name, dockerServerUrl=None)
    edit.update_settings(name, dockerServerUrl=server_url)


def _helper_api_url(incoming):
    url = url_from_origin(incoming.protocol, incoming.host, incoming.path)
    try:
        origin_from_url(url)
    except ValueError as e:
        raise UsageError(f"cannot store a credential for {url}: {e}")
    if any(c in (incoming.path or "") for c in "?#@") or len(url) > 2048:
        raise UsageError("cannot store a credential whose path holds '?', '#' or '@' or is over 2048 characters")
    return url


def _same_origin(profile, settings):
    """Whether new settings keep a profile's secrets meant for the same origin and user."""
    try:
        return (origin_from_url(profile.api_url) == origin_from_url(settings["apiUrl"])
                and profile.username == settings.get("username", profile.name))
    except ValueError:
        return False


def _valid_profile_name(name):
    return config.profile_name_pattern().fullmatch(name) is not None


def _form(credential_type, authtype):
    """What a client gets: user name + password, or one authtype's credential."""
    return ("authtype", (authtype or "").lower()) if credential_type == "authtype" else ("password",)


def _same_form(profile, credential_type, authtype):
    if _form(profile.credential_type, profile.settings.get("authtype")) == _form(credential_type, authtype):
        return True
    # A token is both a password and a Bearer credential: neither form makes it a different credential.
    return profile.credential_type == "token" and _form(credential_type, authtype) in (("password",), ("authtype", "bearer"))


def _replaced_type(profile, credential_type, authtype):
    if profile.credential_type == "token" and _form(credential_type, authtype) in (("password",), ("authtype", "bearer")):
        return "token"  # a new secret for a `truto login` profile is its new token: never downgraded
    if credential_type == "token" and profile.credential_type == "password":
        return "password"
    return credential_type


def _put_refresh_token(edit, name, token):
    if token is None:
        edit.delete_secret(name, REFRESH_SECRET)
    else:
        edit.set_secret(name, REFRESH_SECRET, token)


def choose_profile_name(edit, username, host, base):
    """A deterministic name for an incoming credential that no profile has yet: the user name made
    a valid profile name, else `<user>@<host[-port]>`, else that with -2, -3, ..."""
    import re

    stem = re.sub(r"[^A-Za-z0-9._@+-]+", "-", username)
    stem = re.sub(r"^[^A-Za-z0-9]+", "", stem)[:60].rstrip("-.") or base
    host_part = re.sub(r"[^A-Za-z0-9._-]+", "-", host).strip("-.")[:60]
    candidates = [stem, f"{stem}@{host_part}"] if host_part else [stem]
    for name in candidates:
        if edit.profile(name) is None:
            return name
    number = 2
    while edit.profile(f"{candidates[-1]}-{number}") is not None:
        number += 1
    return f"{candidates[-1]}-{number}"


class Erased(list):
    """What an erase did: the names of the profiles whose client-stored token it removed (the list
    itself, also as `removed`), and `kept`, those it matched whose token the user saved with
    `truto` (see kept_message)."""

    def __init__(self, removed, kept):
        super().__init__(removed)
        self.kept = kept

    @property
    def removed(self):
        return list(self)


def erase_credentials(request, secret=None, directory=None):
    """`erase` for both protocols: remove every profile matching `request` (expired or not), except
    one whose secret differs from `secret` when one is given, and one whose token was saved through
    `truto` (login, profiles set/set-key, ...): git erases after any rejected request, and a token
    rotated on the server or a server refusing its scheme must not cost the user their login (as
    gh's git helper, which never erases the tokens it manages). Returns an Erased."""
    store = Store(directory)
    candidates = [p for p in store.profiles() if matches(p.credential(), request)]
    kept = [p.name for p in candidates if p.stored_by == TRUTO and _is_erased(store, p, secret)]
    if all(p.stored_by == TRUTO for p in candidates):
        return Erased([], kept)  # nothing to remove: no lock, no write, no config directory created
    removed = []
    with store.edit(by=None) as edit:
        for profile in edit.profiles():
            if not matches(profile.credential(), request) or profile.stored_by == TRUTO:
                continue
            if not _is_erased(store, profile, secret):
                continue
            if _holds_more_than_its_credential(profile):
                # A token git or docker stored into a profile that also holds BYOK keys or
                # settings: the token goes, the rest stays for `truto login`.
                edit.delete_secret(profile.name, HELPER_SECRET)
                edit.delete_secret(profile.name, REFRESH_SECRET)
                edit.update_settings(profile.name, passwordExpiryUtc=None)
            else:
                edit.remove_profile(profile.name)
            removed.append(profile.name)
    return Erased(removed, kept)


def _is_erased(store, profile, secret):
    """Whether an erase naming `secret` (None: any) is about this profile's token."""
    if secret is None:
        return HELPER_SECRET in profile.secrets or profile.stored_by != TRUTO
    return store.read_secret(profile, HELPER_SECRET) == secret


def kept_message(name):
    """The one line a helper prints (on stderr) for a profile an erase kept."""
    return (f"kept profile '{name}': its token was saved with truto, so git and docker do not erase it; "
            f"`truto login -p {name}` replaces the token, `truto logout -p {name}` removes the profile")


def _holds_more_than_its_credential(profile):
    others = set(profile.secrets) - {HELPER_SECRET, REFRESH_SECRET}
    return bool(others) or "defaultIntegratedAccount" in profile.settings
