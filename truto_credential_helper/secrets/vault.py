"""A profile's secrets in HashiCorp Vault or OpenBao (KV version 2), shared by a team: the keys
apiToken, anthropicApiKey and firecrawlApiKey of the secret at MOUNT/PATH. Other keys of that
secret are not ours: ignored on reads and kept on writes (read, change, write with check-and-set,
so a concurrent writer's version is never overwritten).

Every read asks Vault (no cache): a token rotated there is what the next `get` uses. config.json
records the addresses, mount and path (the profile's "vault" settings), never a secret or a Vault
token. The secret belongs to the team, so removing a profile leaves it (`owned` is False).
"""

import time

from ..errors import SecretStoreUnavailable
from ..kinds import VAULT
from ..untrusted import hold
from .base import SecretStore
from .vault_http import vault_message

KEYS = ("apiToken", "anthropicApiKey", "firecrawlApiKey")
CAS_ATTEMPTS = 5
DEFAULT_TIMEOUT = 10.0  # TRUTO_TIMEOUT's default, as for the Truto API


class Location:
    """Where one profile's secret lives."""

    def __init__(self, addresses, mount, path, required=True):
        self.addresses = tuple(addresses)
        self.mount = mount.strip("/")
        self.path = path.strip("/")
        # A profile that joined a secret expects it there: its absence is an error, not "no token".
        self.required = required

    @classmethod
    def from_settings(cls, settings):
        return cls(settings["addresses"], settings["mount"], settings["path"])

    def settings(self):
        return {"addresses": list(self.addresses), "mount": self.mount, "path": self.path}

    @property
    def label(self):
        return f"{self.mount}/{self.path}"

    def api_path(self, kind="data"):
        from .vault_http import quote  # urllib.parse's, without its import (re) on the get path

        return f"{quote(self.mount)}/{kind}/{quote(self.path)}"


class Secret:
    """What a read of the secret found: its data (None when there is none) and the version a
    check-and-set write must name."""

    def __init__(self, data, version):
        self.data = data
        self.version = version


class VaultStore(SecretStore):
    kind = VAULT
    owned = False  # the team's: removing or moving a profile away leaves it

    def __init__(self, config_dir, locate=None):
        self.directory = config_dir
        self._locate = locate
        self._bound = {}
        self.token_source = None  # where the Vault token of this process came from, once used

    # -- where a profile's secret is

    def bind(self, profile, location):
        """Use `location` for `profile` in this process (a login, before config.json names it)."""
        self._bound[profile] = location

    def location(self, profile):
        if profile in self._bound:
            return self._bound[profile]
        if self._locate is not None:
            return self._locate(profile)
        from .. import config

        settings = config.load(self.directory)["profiles"].get(profile, {}).get("vault")
        if not settings:
            raise SecretStoreUnavailable(
                f"profile '{profile}' has no Vault path in config.json; run `truto login --profile-name {profile} "
                "--secret-store vault --vault-path MOUNT/PATH`"
            )
        return Location.from_settings(settings)

    # -- SecretStore

    def get(self, profile, field):
        where = self.location(profile)
        secret = self.read(where)
        value = secret.data.get(field) if secret.data else None
        return value if isinstance(value, str) else None

    def set(self, profile, field, value):
        if not isinstance(value, str):
            raise TypeError("a secret is a str")
        self._change(self.location(profile), {field: value})

    def delete(self, profile, field):
        self._change(self.location(profile), {field: None})

    def names(self):
        return None  # the team's secret is never an orphan of this machine's profiles

    def describe(self):
        return "HashiCorp Vault / OpenBao (KV version 2)"

    def describe_profile(self, profile):
        """Where `profile`'s secret is and where the Vault token came from (never the token)."""
        where = self.location(profile)
        from . import vault_auth

        token_from = self.token_source or vault_auth.source_for(where.addresses)[1]
        return f"Vault at {', '.join(where.addresses)}, secret {where.label} (KV v2), Vault token from {token_from}"

    # -- Vault

    def session(self, where):
        """A client for one operation (one TRUTO_TIMEOUT deadline) and a Vault token for it."""
        from ..settings import ENV_TIMEOUT, seconds
        from . import vault_auth
        from .vault_http import Client

        timeout = seconds(ENV_TIMEOUT, DEFAULT_TIMEOUT)
        client = Client(where.addresses, time.monotonic() + timeout, timeout, where.label)
        token, self.token_source = vault_auth.obtain(client, f"{where.label} at {where.addresses[0]}")
        return client, token

    def read(self, where, session=None, allow_missing=False):
        """The latest version of the secret. Raises SecretStoreUnavailable for everything that is
        not a plain answer, naming the address and path; a missing secret only when it is required."""
        client, token = session or self.session(where)
        answer = client.request("GET", where.api_path(), token=token)
        data = answer.data or {}
        if answer.status == 200 and isinstance(data.get("data"), dict):
            for value in data["data"].values():
                hold(value)  # the keys that are not ours are the team's secrets too
            return Secret(data["data"], _version(data.get("metadata")))
        if answer.status == 404 and not answer.errors:
            metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else None
            if metadata is None:
                if where.required and not allow_missing:
                    raise SecretStoreUnavailable(
                        f"there is no secret at {where.label} in Vault at {answer.address}; check the path, or publish "
                        f"the token there: truto login --secret-store vault --vault-path {where.label} --with-token"
                    )
                return Secret(None, 0)
            version = _version(metadata)
            if allow_missing:
                return Secret(None, version)
            if metadata.get("destroyed"):
                raise SecretStoreUnavailable(
                    f"the latest version ({version}) of {where.label} in Vault at {answer.address} was destroyed; "
                    f"publish the token again: truto login --secret-store vault --vault-path {where.label} --with-token"
                )
            raise SecretStoreUnavailable(
                f"the latest version ({version}) of {where.label} in Vault at {answer.address} was deleted; restore it "
                f"with `bao kv undelete -versions={version} {where.label}` (or vault kv undelete), or publish a new one"
            )
        raise self.refusal(client, token, answer, where, "read")

    def refusal(self, client, token, answer, where, action):
        """The one-line error for an answer that is neither the secret nor its absence."""
        said = vault_message(answer, scrub=(token,))
        if answer.status == 403 and not token:
            from .vault_auth import NO_TOKEN_HINT

            return SecretStoreUnavailable(
                f"no Vault token to read {where.label}, and Vault at {answer.address} did not accept the request "
                f"without one (it is not an agent that adds its own): {NO_TOKEN_HINT}"
            )
        if answer.status == 403:
            # An expired or revoked token and a policy without this path both answer 403: ask
            # Vault about the token itself to say which. A live token without the `default` policy
            # cannot look itself up either, which only a Vault admin can tell apart.
            check = client.request("GET", "auth/token/lookup-self", token=token)
            if check.status == 403:
                return SecretStoreUnavailable(
                    f"Vault at {answer.address} does not accept the Vault token from {self.token_source} "
                    f"(expired or revoked, or without the default policy), so {where.label} cannot be {action}; "
                    "log in to Vault again (vault login / bao login) or renew the CI credentials"
                )
            verb = "read" if action == "read" else "create/update"
            return SecretStoreUnavailable(
                f"Vault at {answer.address} denied access to {where.label}: the policy of the token from "
                f"{self.token_source} does not allow {verb} on {where.api_path()}; ask your Vault admins for it"
            )
        if answer.status == 404:
            return SecretStoreUnavailable(
                f"Vault at {answer.address} has no KV version 2 engine mounted at {where.mount}/ "
                f"({said or 'route not found'}); check the mount in --vault-path MOUNT/PATH"
            )
        return SecretStoreUnavailable(
            f"Vault at {answer.address} answered HTTP {answer.status} for {where.label}"
            f"{' (' + said + ')' if said else ''}; check Vault's logs, then retry"
        )

    def _change(self, where, changes):
        """Write a new version with `changes` applied ({key: value, or None to remove}), keeping the
        keys that are not ours; check-and-set, retried when another writer came first."""
        session = self.session(where)
        client, token = session
        for _ in range(CAS_ATTEMPTS):
            secret = self.read(where, session, allow_missing=True)
            data = dict(secret.data or {})
            for key, value in changes.items():
                if value is None:
                    data.pop(key, None)
                else:
                    data[key] = value
            if secret.data is not None and data == secret.data:
                return  # nothing changes: no new version
            if secret.data is None and not data:
                return  # removing from a secret that is not there
            body = {"options": {"cas": secret.version}, "data": data}
            answer = client.request("POST", where.api_path(), token=token, body=body)
            if answer.status in (200, 204):
                return
            if answer.status == 400 and "check-and-set" in " ".join(answer.errors):
                continue  # someone else wrote a version in between: read it and apply ours again
            raise self.refusal(client, token, answer, where, "written")
        raise SecretStoreUnavailable(
            f"{where.label} in Vault at {client.last_address} kept changing while truto wrote it "
            f"({CAS_ATTEMPTS} attempts); retry"
        )


def _version(metadata):
    if isinstance(metadata, dict) and isinstance(metadata.get("version"), int):
        return metadata["version"]
    return 0
