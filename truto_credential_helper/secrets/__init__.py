"""Secret stores: where a profile's token and BYOK keys live. One small interface, as
docker-credential-helpers' Helper and keyring's KeyringBackend: get / set / delete by (profile, field).
The interface is base.SecretStore; the store kinds are named in kinds.py.

- os_keyring.KeyringStore: the OS keyring through `keyring` (the default).
- file.FileStore: plaintext credentials.json, only when the user chose it (--secret-store file,
  alias --insecure-storage).
- pass_store.PassStore: `pass`, the standard Unix password store (GPG files), for machines with GPG
  but no Secret Service.
- vault: a KV v2 secret in OpenBao / HashiCorp Vault.
- legacy_inline.LegacyInlineStore: read-only, the secrets a standalone Truto CLI config.json holds
  inline, until `truto auth migrate` moves them.
TRUTO_API_TOKEN is not a store but a resolution source (see resolution.py): CI never needs either.
"""

from ..kinds import FILE, KEYRING, LEGACY_INLINE, PASS, SECRET_FIELDS, STORE_KINDS, VAULT  # noqa: F401 (callers name them from here)

TYPE_CHECKING = False  # typing is not imported at run time: `get` never loads it
if TYPE_CHECKING:
    from .base import SecretStore


def open_store(kind: str, config_dir: str) -> "SecretStore":
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
