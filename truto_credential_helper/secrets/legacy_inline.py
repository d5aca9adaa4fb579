"""Read-only: the secrets a standalone Truto CLI config.json keeps inline (see legacy.py). Read
from the file when asked for, so they never travel in the config document; never written."""
import os

from .. import legacy
from ..config import CONFIG_NAME, parse
from ..errors import ConfigError
from . import LEGACY_INLINE, SecretStore


class LegacyInlineStore(SecretStore):
    kind = LEGACY_INLINE

    def __init__(self, config_dir):
        self.path = os.path.join(config_dir, CONFIG_NAME)

    def get(self, profile, field):
        try:
            with open(self.path, "rb") as f:
                doc = parse(self.path, f.read())
        except FileNotFoundError:
            return None
        except OSError as e:
            raise ConfigError(f"{self.path}: cannot be read ({e.strerror}); fix its owner or mode (chmod 600)")
        if not legacy.is_legacy(doc) or field not in legacy.INLINE_SECRETS:
            return None  # migrated meanwhile: the caller's next read goes to the new store
        return doc["profiles"].get(profile, {}).get(field) or None

    def set(self, profile, field, value):
        raise legacy.read_only_error(self.path)

    def delete(self, profile, field):
        raise legacy.read_only_error(self.path)

    def describe(self):
        return f"plaintext, inline in {self.path} (standalone Truto CLI format; run `truto auth migrate`)"
