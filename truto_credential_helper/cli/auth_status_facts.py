"""What `truto auth status` knows of every profile, as plain data: gathered here, rendered by
auth_status_render.py.

Everything read from outside comes in as an argument: the profiles, the environment mapping, what
git, docker and podman are configured with (Wiring), whether a secret store can be reached
(StoreProbe), and, for --online, the call that checks one token (verify(api_url, token) -> the
answer of GET /team). The defaults read the real ones; the tests pass their own.

Offline nothing reads a secret: whether a profile has a token comes from config.json's list of
the secrets it holds, and a store is only asked whether it can be reached at all.
"""

import os
import time
from contextlib import nullcontext

from ..errors import ApiUnavailable, TokenRejected, TrutoError, UsageError
from ..settings import ENV_API_URL, ENV_PROFILE, ENV_TOKEN
from . import vault_cli

ENVIRONMENT = "environment"  # the secretStore and source of the TRUTO_API_TOKEN entry


class Entry:
    """One line of the report: `record` is what -o json shows of it, `problems` what is wrong
    (the first one is the record's `problem`), `profile` the Profile, None for TRUTO_API_TOKEN."""

    def __init__(self, record, problems, profile):
        self.record = record
        self.problems = problems
        self.profile = profile


class Facts:
    """entries: [Entry]; environment: {TRUTO_*: what may be shown of it}."""

    def __init__(self, entries, environment):
        self.entries = entries
        self.environment = environment

    @property
    def ok(self):
        return bool(self.entries) and not any(e.problems for e in self.entries)

    @property
    def records(self):
        return [e.record for e in self.entries]


def gather(
    store,
    environ,
    *,
    profile_name=None,
    show_token=False,
    verify=None,
    timeout=10.0,
    waiting=None,
    wiring=None,
    reachable=None,
):
    """The Facts of every profile (profile_name: that one only; NotLoggedIn when there is none).
    verify: None stays offline; else every readable token is checked with it at once, and what
    has not answered within `timeout` seconds counts as unreachable. waiting(count) is the context
    manager the checks run inside (a spinner). wiring defaults to Wiring(), reachable to
    StoreProbe(store)."""
    wiring = wiring or Wiring()
    reachable = reachable or StoreProbe(store)
    profiles = [store.require_profile(profile_name)] if profile_name else store.profiles()
    entries = [_profile_entry(store, p) for p in profiles]
    if environ.get(ENV_TOKEN) and not profile_name:
        entries.append(_environment_entry(environ))
    _add_wiring(entries, wiring)
    _add_store_availability(entries, reachable)
    if show_token:
        _add_tokens(store, entries)
    if verify is not None:
        readers = {i: _token_reader(store, environ, e) for i, e in enumerate(entries) if _checkable(e)}
        _verify_online(entries, readers, verify, timeout, waiting or (lambda count: nullcontext()))
    for entry in entries:
        entry.record["problem"] = entry.problems[0] if entry.problems else None
    return Facts(entries, environment(store, environ))


# ---------------------------------------------------------------------------------------------
# what is known without a secret


def _profile_entry(store, profile):
    has_token = "apiToken" in profile.secrets
    record = {
        "profile": profile.name,
        "source": "profile",
        "active": profile.name == store.active_name,
        "apiUrl": profile.api_url,
        "secretStore": profile.secret_store,
        **vault_cli.list_fields(profile),
        "tokenPresent": has_token,
        "online": None,  # None: not checked
        "team": None,
    }
    problems = [] if has_token else [f"no token stored; run `truto login --profile-name {profile.name}`"]
    return Entry(record, problems, profile)


def _environment_entry(environ):
    """TRUTO_API_TOKEN is a credential of its own, for TRUTO_API_URL's origin (as the helpers see it)."""
    from .. import resolution

    record = {
        "profile": None,
        "source": ENVIRONMENT,
        "active": False,
        "apiUrl": resolution.env_credential_url(environ),
        "secretStore": ENVIRONMENT,
        "tokenPresent": True,
        "online": None,
        "team": None,
    }
    problem = resolution.token_problem(environ[ENV_TOKEN])
    return Entry(record, [problem] if problem else [], None)


class Wiring:
    """Whether git (its global config, as setup-git writes it), docker (config.json) and podman and
    buildah (the containers auth file) ask truto: the real files, read once each."""

    def git_helpers(self, origin):
        """credential.<origin>.helper's values in git's global config; None when git is not
        installed; TrutoError when git cannot tell."""
        from .. import git_config

        return git_config.helpers_for(origin, "global") if git_config.git_available() else None

    def docker_config(self):
        """docker's config.json as a document; TrutoError when it cannot be read."""
        from .. import docker_config

        return docker_config.load()

    def containers_auth(self):
        """The containers auth file as a document; TrutoError when it cannot be read."""
        from .. import docker_config

        return docker_config.load(docker_config.containers_auth_path())


def _document(read):
    try:
        return read()
    except TrutoError:
        return None  # cannot be read: whether it asks truto is not known


def _add_wiring(entries, wiring):
    from .. import docker_config, git_config

    docker_doc = _document(wiring.docker_config)
    containers_doc = _document(wiring.containers_auth)
    git_seen = {}
    for entry in entries:
        record = entry.record
        try:
            origin = git_config.origin_url(record["apiUrl"])
            host = docker_config.registry_host(record["apiUrl"])
        except ValueError as e:
            record.update(origin=None, git=None, docker=None, containers=None)
            entry.problems.append(f"{record['apiUrl']} is not a usable API URL ({e})")
            continue
        record["origin"] = origin
        if origin not in git_seen:
            try:
                values = wiring.git_helpers(origin)
                git_seen[origin] = None if values is None else any(git_config.points_at_us(v) for v in values)
            except TrutoError:
                git_seen[origin] = None
        record["git"] = git_seen[origin]
        record["docker"] = (
            None if docker_doc is None else docker_config.helper_for(docker_doc, host) == docker_config.HELPER
        )
        # containers/image reads credHelpers only: a credsStore naming truto does not count for it
        record["containers"] = (
            None
            if containers_doc is None
            else (containers_doc.get("credHelpers") or {}).get(host) == docker_config.HELPER
        )


def _add_store_availability(entries, reachable):
    for entry in entries:
        record = entry.record
        if entry.profile is None:
            record["secretStoreAvailable"] = True  # TRUTO_API_TOKEN is right there
            continue
        available, reason = reachable(entry.profile)
        record["secretStoreAvailable"] = available
        if available is False and entry.profile.secrets:
            entry.problems.insert(0, f"the secret store ({record['secretStore']}) is unavailable: {reason}")


class StoreProbe:
    """probe(profile) -> (True/False/None, reason): whether the profile's secret store can be
    reached, without reading any secret; None when truto cannot tell. Asked once per store (per
    set of addresses for Vault, where an agent's socket needs no Vault token of our own)."""

    def __init__(self, store):
        self.store = store
        self._seen = {}

    def __call__(self, profile):
        key = (profile.secret_store, _vault_addresses(profile))
        if key not in self._seen:
            self._seen[key] = self._reachable(*key)
        return self._seen[key]

    def _reachable(self, kind, addresses):
        from ..secrets import FILE, KEYRING, LEGACY_INLINE, PASS, VAULT

        if kind == KEYRING:
            return keyring_reachable()
        if kind == FILE:
            from ..secrets.file import FILE_NAME

            path = os.path.join(self.store.directory, FILE_NAME)
            if os.path.exists(path) and not os.access(path, os.R_OK):
                return False, f"{path} cannot be read; fix its owner or mode (chmod 600)"
            return True, None
        if kind == LEGACY_INLINE:
            return True, None  # the secrets are in config.json itself
        if kind == PASS:
            from ..secrets.pass_store import diagnose

            problems = diagnose(self.store.directory)  # pass on PATH, store initialised, its key in gpg: no decryption
            return (False, f"{problems[0][0]}; {problems[0][1]}") if problems else (True, None)
        if kind == VAULT:  # offline, Vault itself cannot be asked: only whether a Vault token can be had
            from ..secrets import vault_auth

            problem = vault_auth.incomplete() or (
                None if vault_auth.source_for(addresses)[0] else f"no Vault token: {vault_auth.NO_TOKEN_HINT}"
            )
            return (False, problem) if problem else (None, None)
        return None, None


def _vault_addresses(profile):
    vault = profile.settings.get("vault") or {}
    return tuple(vault.get("addresses") or ())


def keyring_reachable():
    """Whether `keyring` finds a usable backend (a Secret Service it can connect to, ...): what
    every read would need first. A locked keyring is only found out by a read."""
    from ..secrets.os_keyring import bounded

    def backend_is_usable():
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        return not isinstance(backend, fail.Keyring) and "null" not in type(backend).__module__

    try:
        usable = bounded("find the keyring backend", backend_is_usable)
    except TrutoError as e:
        return False, str(e)
    if not usable:
        return False, "no usable OS keyring (no Secret Service running?); unlock or start it, or use TRUTO_API_TOKEN"
    return True, None


# ---------------------------------------------------------------------------------------------
# what needs the secrets: --show-token, --online


def _token_reader(store, environ, entry):
    if entry.profile is None:
        from .. import resolution

        return lambda: resolution.env_token(environ)
    return lambda: store.read_secret(entry.profile, "apiToken")


def _readable(entry):
    return entry.record["tokenPresent"] and entry.record["secretStoreAvailable"] is not False


def _checkable(entry):
    return _readable(entry) and entry.record.get("origin") is not None


def _add_tokens(store, entries):
    for entry in entries:
        if entry.profile is None or not _readable(entry):
            continue  # TRUTO_API_TOKEN's value is never printed: it is in the caller's own environment
        try:
            entry.record["token"] = store.read_secret(entry.profile, "apiToken")
        except TrutoError as e:
            entry.problems.append(f"cannot read the token: {e}")


def _verify_online(entries, readers, verify, timeout, waiting):
    """verify with every token at once; whatever has not answered when `timeout` has passed since
    the start counts as unreachable. readers: {index of an entry: the call reading its token}."""
    import threading

    outcomes = {}

    def check(index, read_token):
        try:
            token = read_token()
            if not token:
                outcomes[index] = ("error", None, "the token is gone from the secret store; run `truto login`")
                return
            team = verify(entries[index].record["apiUrl"], token)
            outcomes[index] = ("ok", team.get("name") if isinstance(team, dict) else None, None)
        except TokenRejected as e:
            outcomes[index] = ("rejected", None, str(e))
        except ApiUnavailable as e:
            outcomes[index] = ("unreachable", None, str(e))
        except TrutoError as e:
            outcomes[index] = ("error", None, str(e))

    workers = [
        (index, threading.Thread(target=check, args=(index, read), daemon=True)) for index, read in readers.items()
    ]
    deadline = time.monotonic() + timeout
    with waiting(len(workers)):
        for _, worker in workers:
            worker.start()
        for _, worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
    for index, _ in workers:
        entry = entries[index]
        status, team, message = outcomes.get(index) or (
            "unreachable",
            None,
            f"{entry.record['apiUrl']} did not answer within {timeout:g} s",
        )
        entry.record["online"] = status
        entry.record["team"] = team
        if message:
            entry.problems.append(message)


# ---------------------------------------------------------------------------------------------
# the environment's overrides


def environment(store, environ):
    """What the report may show of each TRUTO_* override: whether TRUTO_API_TOKEN is set, never its
    value."""
    return {
        ENV_TOKEN: bool(environ.get(ENV_TOKEN)),
        ENV_API_URL: _shown_url(environ.get(ENV_API_URL) or None),
        ENV_PROFILE: _shown_profile(store, environ.get(ENV_PROFILE) or None),
    }


# A value is shown once it passed the check the commands apply: one that did not may be a token
# pasted into the wrong variable.
def _shown_url(url):
    if url and "@" in url:
        return "(set; not shown: it holds a user name or password)"
    if url:
        from ..api import check_api_url

        try:
            check_api_url(url)
        except UsageError:
            return "(set; not shown: it is not a usable API URL)"
    return url


def _shown_profile(store, name):
    if name and store.profile(name) is None:
        return "(set; not shown: it names no profile)"
    return name
