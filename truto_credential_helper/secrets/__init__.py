"""Secret stores: where a profile's token and BYOK keys live. One small interface, as
docker-credential-helpers' Helper and keyring's KeyringBackend: get / set / delete by (profile, field).

- os_keyring.KeyringStore: the OS keyring through `keyring` (the default).
- file.FileStore: plaintext credentials.json, only when the user chose --insecure-storage.
TRUTO_API_TOKEN is not a store but a resolution source (see store.py): CI never needs either.
"""

SECRET_FIELDS = ("apiToken", "anthropicApiKey", "firecrawlApiKey", "oauthRefreshToken")
KEYRING = "keyring"
FILE = "file"


class SecretStore:
    kind = None

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
    if kind == FILE:
        from .file import FileStore

        return FileStore(config_dir)
    from .os_keyring import KeyringStore

    return KeyringStore(config_dir)
