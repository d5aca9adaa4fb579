"""Secret stores: where a profile's token and BYOK keys live. One small interface, as
docker-credential-helpers' Helper and keyring's KeyringBackend: get / set / delete by (profile, field).

- os_keyring.KeyringStore: the OS keyring through `keyring` (the default).
- file.FileStore: plaintext credentials.json, only when the user chose --insecure-storage.
- vault.VaultStore: a team's secret in HashiCorp Vault / OpenBao (KV v2), at the profile's path.
- legacy_inline.LegacyInlineStore: read-only, the secrets a standalone Truto CLI config.json holds
  inline, until `truto auth migrate` moves them.
TRUTO_API_TOKEN is not a store but a resolution source (see store.py): CI never needs either.
"""

SECRET_FIELDS = ("apiToken", "anthropicApiKey", "firecrawlApiKey", "oauthRefreshToken")
KEYRING = "keyring"
FILE = "file"
VAULT = "vault"
LEGACY_INLINE = "legacy-inline"  # read-only: secrets inline in a standalone Truto CLI config.json (legacy.py)


class SecretStore:
    kind = None
    shared = False  # True: the secrets are a team's (Vault); removing a profile leaves them

    def get(self, profile, field):
        """The secret, or None when there is none."""
        raise NotImplementedError

    def set(self, profile, field, value):
        raise NotImplementedError

    def delete(self, profile, field):
        """Remove the secret; a missing one is not an error."""
        raise NotImplementedError

    def describe(self):
        """Where the secrets are, for whoami and doctor (no secret in it)."""
        raise NotImplementedError


def open_store(kind, config_dir):
    if kind == LEGACY_INLINE:
        from .legacy_inline import LegacyInlineStore

        return LegacyInlineStore(config_dir)
    if kind == VAULT:
        from .vault import VaultStore

        return VaultStore(config_dir)
    if kind == FILE:
        from .file import FileStore

        return FileStore(config_dir)
    from .os_keyring import KeyringStore

    return KeyringStore(config_dir)
