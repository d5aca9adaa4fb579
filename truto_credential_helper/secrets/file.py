"""Plaintext credentials.json beside config.json: only for profiles the user put there with
--insecure-storage. Mode 0600, atomic writes, a warning on every write. Callers hold the config lock."""

import json
import os

from ..config import parse
from ..console import warn
from ..errors import ConfigError
from ..file_trust import check_dir, read_private
from ..kinds import FILE
from ..locked_io import write_file
from ..untrusted import hold
from .base import SecretStore

FILE_NAME = "credentials.json"


class FileStore(SecretStore):
    kind = FILE

    def __init__(self, config_dir):
        self.directory = config_dir
        self.path = os.path.join(config_dir, FILE_NAME)

    def _load(self):
        check_dir(self.directory, must_exist=False)
        data = read_private(self.path)
        if data is None:
            return {"profiles": {}}
        doc = parse(self.path, data)
        profiles = doc.get("profiles") if isinstance(doc, dict) else None
        if not isinstance(profiles, dict) or not all(
            isinstance(v, dict) and all(isinstance(s, str) for s in v.values()) for v in profiles.values()
        ):
            raise ConfigError(
                f'{self.path}: is not a credentials file ({{"profiles": {{name: {{field: secret}}}}}}); fix or delete it'
            )
        for fields in profiles.values():
            for value in fields.values():
                hold(value)  # every profile's secrets are in hand now, not only the one asked for
        return doc

    def _save(self, doc):
        warn(
            f"secrets are stored in plaintext in {self.path} (--insecure-storage); anyone who can read this file can use them"
        )
        write_file(self.directory, FILE_NAME, (json.dumps(doc, indent=2) + "\n").encode("utf-8"))

    def get(self, profile, field):
        return self._load()["profiles"].get(profile, {}).get(field)

    def set(self, profile, field, value):
        doc = self._load()
        doc["profiles"].setdefault(profile, {})[field] = value
        self._save(doc)

    def delete(self, profile, field):
        doc = self._load()
        entry = doc["profiles"].get(profile)
        if entry is None or field not in entry:
            return
        del entry[field]
        if not entry:
            del doc["profiles"][profile]
        if doc["profiles"]:
            self._save(doc)
        else:
            os.unlink(self.path)

    def names(self):
        return [(profile, field) for profile, fields in self._load()["profiles"].items() for field in fields]

    def describe(self):
        return f"plaintext file {self.path} (insecure storage)"
