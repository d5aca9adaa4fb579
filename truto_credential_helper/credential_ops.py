"""The credential helpers' operations (git and docker protocols): answer, store and erase by
request, over the profile repository, and the naming of the profiles they create. Whether a profile
is the credential for a request is decided by credential.matches/answers only.
"""

from . import config_validation, refusals
from .credential import Credential, answers, matches, origin_from_url, replace, url_from_origin
from .errors import UsageError
from .kinds import FILE, KEYRING, PASS
from .profiles import TRUTO, Profiles
from .resolution import env_credential, env_token, selected_name
from .untrusted import hold, masked

TYPE_CHECKING = False  # typing is not imported at run time: `get` never loads it
if TYPE_CHECKING:
    from typing import Callable

    from .profiles import Edit, Profile

HELPER_SECRET = "apiToken"  # the same item `truto login` writes: a credential is a profile's token
REFRESH_SECRET = "oauthRefreshToken"


def answer_request(
    request: "Credential",
    prefer: "Callable[[Profile], bool] | None" = None,
    directory: "str | None" = None,
    withheld: "list[tuple[str, float]] | None" = None,
) -> "Credential | None":
    """`get` for both protocols: the Credential (with its secrets) answering `request`, or None.

    With TRUTO_API_TOKEN set, only the environment's credential answers, and neither config.json
    nor the keyring is touched. An empty request asks for the selected profile (TRUTO_PROFILE, else
    the active one). Among several answering profiles, those for which prefer(profile) is true,
    then the selected profile, then config order win; only the winner's secret is read.
    """
    if env_token():
        found = env_credential()
        assert found is not None  # TRUTO_API_TOKEN is set
        if request.is_empty_request():
            request = replace(request, profile=found.profile)
        if not answers(found, request):
            return None
        found.credential = found.password
        return found
    store = Profiles(directory)
    selected = selected_name(store)
    if request.is_empty_request():
        request = replace(request, profile=selected)
    for profile in _ordered(store.profiles(), prefer, selected):
        found = profile.credential()
        if not answers(found, request):
            continue
        secret = store.read_secret(profile, HELPER_SECRET)
        if secret is None:
            continue  # its secret is gone (deleted from the keyring): it answers nothing
        wait = refusals.withheld_for(store.directory, profile.name, secret)
        if wait is not None:
            if withheld is not None:
                withheld.append((profile.name, wait))
            continue
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


def store_credential(
    incoming: "Credential",
    credential_type: str,
    base_name: str,
    docker_server_url: "str | None" = None,
    directory: "str | None" = None,
) -> "str | None":
    """`store` for both protocols: keep `incoming` (origin, username, and password or authtype +
    credential) as a profile. Returns the profile's name, or None when it is not kept.

    As git's helpers, it replaces the profiles it matches (same origin and username). Storing the
    secret a matching profile already has changes nothing but the expiry (an approve after a fill),
    a `token` profile keeps being one, and a new profile gets a name no other profile has.
    credential_type: "password" (git), "authtype" (git, authtype+credential) or "token" (docker).
    base_name: the client storing it (GIT or DOCKER): the stem of a new profile's name, and who the
    profile's token is marked as stored by when it changes (an approve after a fill changes nothing).
    Its writes go through Edit in write_order's order; a matched profile's token (if it has one) is
    overwritten in place, as that order allows, since matching means the same origin and user.
    """
    secret = hold(incoming.credential if credential_type == "authtype" else incoming.password)
    hold(incoming.oauth_refresh_token)  # what a client sends is a secret from the moment it is read
    if secret is None or incoming.protocol not in ("http", "https") or not incoming.host:
        return None  # nothing a profile can hold (git's helpers ignore these too)
    if env_token() and secret == env_token():
        return None  # CI's token is never written anywhere, even when git approves it
    username = incoming.username if incoming.username is not None else ""
    api_url = _helper_api_url(incoming)
    if len(username) > 1024:
        raise UsageError("the user name is longer than 1024 characters; use a shorter one")
    request = Credential(
        protocol=incoming.protocol, host=incoming.host, path=incoming.path, username=username, profile=incoming.profile
    )
    store = Profiles(directory)
    with store.edit(by=None) as edit:
        matched = [p for p in edit.profiles() if matches(p.credential(), request)]
        same = [
            p
            for p in matched
            if _same_form(p, credential_type, incoming.authtype) and store.holds_secret(p, HELPER_SECRET, secret)
        ]
        if same:
            name = _refresh_same(edit, same[0], incoming)
            refusals.forget(store.directory, [name])  # the token worked: a refusal of it is over
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
    if refresh is not None and not edit.store.holds_secret(profile, REFRESH_SECRET, refresh):
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
        raise UsageError(
            f"profile '{name}' already exists for {edit.profile(name).api_url}; "
            f"name another profile, or `truto logout -p {name}` first"
        )
    if not _valid_profile_name(name):
        raise UsageError(
            f"{masked(name)} is not a valid profile name (letters, digits, . _ @ + -, starting with a letter or digit)"
        )
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
    edit.save_profile(name, settings, secrets, store_kind=_store_for_new_profile(edit))
    return name


def _store_for_new_profile(edit):
    """Where a profile that git or docker creates keeps its secret: where the selected profile keeps
    its own (a machine whose user logged in with `--secret-store pass` or `file` may have no keyring
    at all); the OS keyring otherwise, and for a Vault profile (only `truto login` names a team's
    secret path) or a standalone Truto CLI's inline secrets (read-only)."""
    selected = edit.profile(selected_name(edit))
    kind = selected.secret_store if selected is not None else KEYRING
    return kind if kind in (KEYRING, FILE, PASS) else KEYRING


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


def _valid_profile_name(name):
    return config_validation.profile_name_pattern().fullmatch(name) is not None


def _form(credential_type, authtype):
    """What a client gets: user name + password, or one authtype's credential."""
    return ("authtype", (authtype or "").lower()) if credential_type == "authtype" else ("password",)


def _same_form(profile, credential_type, authtype):
    if _form(profile.credential_type, profile.settings.get("authtype")) == _form(credential_type, authtype):
        return True
    # A token is both a password and a Bearer credential: neither form makes it a different credential.
    return profile.credential_type == "token" and _form(credential_type, authtype) in (
        ("password",),
        ("authtype", "bearer"),
    )


def _replaced_type(profile, credential_type, authtype):
    if profile.credential_type == "token" and _form(credential_type, authtype) in (
        ("password",),
        ("authtype", "bearer"),
    ):
        return "token"  # a new secret for a `truto login` profile is its new token: never downgraded
    if credential_type == "token" and profile.credential_type == "password":
        return "password"
    return credential_type


def _put_refresh_token(edit, name, token):
    if token is None:
        edit.delete_secret(name, REFRESH_SECRET)
    else:
        edit.set_secret(name, REFRESH_SECRET, token)


def choose_profile_name(edit: "Edit", username: str, host: str, base: str) -> str:
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


def erase_credentials(request: "Credential", secret: "str | None" = None, directory: "str | None" = None) -> "Erased":
    """`erase` for both protocols: remove every profile matching `request` (expired or not), except
    one whose secret differs from `secret` when one is given, and one whose token was saved through
    `truto` (login, profiles set/set-key, ...): git erases after any rejected request, and a token
    rotated on the server or a server refusing its scheme must not cost the user their login (as
    gh's git helper, which never erases the tokens it manages). Returns an Erased.

    An erase naming the secret (git's, after a server refused it) of a profile it keeps records the
    refusal (refusals.py): `get` then withholds that token for a while, so a client retrying at once
    stops instead of looping. One without a secret (docker's logout, a bare erase of an origin) does not."""
    hold(secret)
    store = Profiles(directory)
    candidates = [p for p in store.profiles() if matches(p.credential(), request)]
    kept = [p.name for p in candidates if p.stored_by == TRUTO and _is_erased(store, p, secret)]
    if secret is not None:
        refusals.record(store.directory, {name: secret for name in kept})
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
    return store.holds_secret(profile, HELPER_SECRET, secret)


def kept_message(name: str) -> str:
    """The one line a helper prints (on stderr) for a profile an erase kept."""
    return (
        f"kept profile '{name}': its token was saved with truto, so git and docker do not erase it; "
        f"`truto login -p {name}` replaces the token, `truto logout -p {name}` removes the profile"
    )


def withheld_message(name: str, seconds_left: float) -> str:
    """The one line a helper prints (on stderr) for a profile `get` did not answer with."""
    return (
        f"not offering profile '{name}' for {int(seconds_left) + 1} s: the server refused its token just now; "
        f"`truto login -p {name}` replaces the token, `truto logout -p {name}` removes the profile"
    )


def _holds_more_than_its_credential(profile):
    others = set(profile.secrets) - {HELPER_SECRET, REFRESH_SECRET}
    return bool(others) or "defaultIntegratedAccount" in profile.settings
