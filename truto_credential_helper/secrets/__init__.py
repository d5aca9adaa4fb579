"""Secret stores: where a profile's token and BYOK keys live. One small interface, as
docker-credential-helpers' Helper and keyring's KeyringBackend: get / set / delete by (profile, field).

- os_keyring.KeyringStore: the OS keyring through `keyring` (the default).
- file.FileStore: plaintext credentials.json, only when the user chose it (--secret-store file,
  alias --insecure-storage).
- pass_store.PassStore: `pass`, the standard Unix password store (GPG files), for machines with GPG
  but no Secret Service.
- vault: a KV v2 secret in OpenBao / HashiCorp Vault.
- legacy_inline.LegacyInlineStore: read-only, the secrets a standalone Truto CLI config.json holds
  inline, until `truto auth migrate` moves them.
TRUTO_API_TOKEN is not a store but a resolution source (see store.py): CI never needs either.
"""

SECRET_FIELDS = ("apiToken", "anthropicApiKey", "firecrawlApiKey", "oauthRefreshToken")
KEYRING = "keyring"
FILE = "file"
PASS = "pass"
VAULT = "vault"
STORE_KINDS = (KEYRING, FILE, VAULT, PASS)  # what a user can choose with --secret-store
LEGACY_INLINE = "legacy-inline"  # read-only: secrets inline in a standalone Truto CLI config.json (legacy.py)


class SecretStore:
    kind = None
    owned = True  # False for a store shared with others (Vault): moving a profile away keeps its secrets there

    def get(self, profile, field):
        """The secret, or None when there is none."""
        raise NotImplementedError

    def set(self, profile, field, value):
        raise NotImplementedError

    def delete(self, profile, field):
        """Remove the secret; a missing one is not an error."""
        raise NotImplementedError

    def names(self):
        """[(profile, field)] of every secret this store holds for this config directory, whoever
        wrote it (doctor finds those no profile names); None when the backend cannot list."""
        raise NotImplementedError

    def describe(self):
        """Where the secrets are, for whoami and doctor (no secret in it)."""
        raise NotImplementedError


def open_store(kind, config_dir):
    if kind == LEGACY_INLINE:
        from .legacy_inline import LegacyInlineStore

        return LegacyInlineStore(config_dir)
    if kind == FILE:
        from .file import FileStore

        return FileStore(config_dir)
    if kind == PASS:
        from .pass_store import PassStore

        return PassStore(config_dir)
    if kind == VAULT:
        from .vault import VaultStore

        return VaultStore(config_dir)
    if kind != KEYRING:
        from ..errors import ConfigError

        raise ConfigError(f"unknown secret store '{kind}'; use one of: {', '.join(STORE_KINDS)}")
    from .os_keyring import KeyringStore

    return KeyringStore(config_dir)
