"""Read-only: the secrets a standalone Truto CLI config.json keeps inline (see legacy.py). Read
from the file when asked for, so they never travel in the config document; never written."""

import os

from .. import legacy
from ..config import CONFIG_NAME, parse
from ..file_trust import read_private
from ..kinds import LEGACY_INLINE
from .base import SecretStore


class LegacyInlineStore(SecretStore):
    kind = LEGACY_INLINE

    def __init__(self, config_dir):
        self.path = os.path.join(config_dir, CONFIG_NAME)

    def get(self, profile, field):
        doc = self._read()
        if doc is None or field not in legacy.INLINE_SECRETS:
            return None  # migrated meanwhile: the caller's next read goes to the new store
        return doc["profiles"].get(profile, {}).get(field) or None

    def _read(self):
        """The legacy document, held to the same rules as when config.load converted it (the file
        is read again here and may have changed since); None once it is no longer legacy."""
        data = read_private(self.path)
        doc = parse(self.path, data) if data is not None else None
        if not legacy.is_legacy(doc):
            return None
        legacy.check_inline_secrets(self.path, doc)
        return doc

    def names(self):
        doc = self._read()
        if doc is None:
            return []
        return [(name, field) for name, profile in doc["profiles"].items() for field in legacy.inline_secrets(profile)]

    def set(self, profile, field, value):
        raise legacy.read_only_error(self.path)

    def delete(self, profile, field):
        raise legacy.read_only_error(self.path)

    def describe(self):
        return f"plaintext, inline in {self.path} (standalone Truto CLI format; run `truto auth migrate`)"
