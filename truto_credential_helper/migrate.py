"""`truto auth migrate`: move the secrets a standalone Truto CLI config.json holds inline into a
secret store, then rewrite the file in today's format (legacy.py converts, this writes)."""

from . import config, legacy
from .config_validation import validate
from .errors import SecretStoreUnavailable
from .file_trust import read_private
from .locked_io import locked, write_file
from .secrets import open_store


def migrate(directory: str, store_kind: str) -> "list[tuple[str, str]] | None":
    """Move every inline secret into store_kind's secret store, then rewrite config.json without
    them. Returns [(profile, field)] moved, or None when the file is not in the legacy format.

    Safe to interrupt or re-run: the secrets are written (and read back) before the file changes, and
    the file is replaced in one atomic rename, so at every instant config.json is either the old file,
    still readable, or the new one whose secrets are already in the store."""
    path = config.config_path(directory)
    with locked(directory):
        data = read_private(path)
        if data is None:
            return None
        doc = config.parse(path, data)
        if not legacy.is_legacy(doc):
            return None
        converted = legacy.as_config(doc, store_kind)
        validate(path, converted)  # before anything is stored: a bad profile name stops it here
        legacy.check_inline_secrets(path, doc)
        target = open_store(store_kind, directory)
        moved = []
        for name, profile in doc["profiles"].items():
            for field, value in legacy.inline_secrets(profile).items():
                target.set(name, field, value)
                if target.get(name, field) != value:
                    raise SecretStoreUnavailable(
                        f"the secret store did not give back {field} of profile '{name}' after saving it; "
                        f"{path} is left as it was: check the keyring and retry"
                    )
                moved.append((name, field))
        write_file(directory, config.CONFIG_NAME, config.dump(converted))
        return moved
