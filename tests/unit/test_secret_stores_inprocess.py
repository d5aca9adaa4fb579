"""The SecretStore conformance suite (secret_store_conformance.py) against the in-memory store the
in-process tier uses in the keyring's place, and against the plaintext FileStore. The OS keyring
runs the same suite on gnome-keyring in tests/test_secret_stores.py."""

import os
import stat

from secret_store_conformance import SecretStoreConformance

from truto_credential_helper.secrets.file import FileStore
from truto_credential_helper.secrets.memory import MEMORY, MemoryStore


class TestMemoryStore(SecretStoreConformance):
    STORE = MemoryStore

    def test_a_config_naming_it_is_refused(self, config_dir):
        # Only tests put it in place; config.json cannot select it, so no user reaches it.
        import json

        import pytest

        from truto_credential_helper import config
        from truto_credential_helper.errors import ConfigError

        config_dir.mkdir(mode=0o700)
        doc = {"version": 1, "profiles": {"p": {"apiUrl": "https://api.example", "secretStore": MEMORY}}}
        (config_dir / "config.json").write_text(json.dumps(doc))
        with pytest.raises(ConfigError):
            config.load(str(config_dir))


class TestFileStore(SecretStoreConformance):
    STORE = FileStore

    def test_file_is_0600_and_removed_when_empty(self, store, tmp_path):
        store.set("default", "apiToken", "v")
        path = tmp_path / "a" / "credentials.json"
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        store.delete("default", "apiToken")
        assert not path.exists()

    def test_every_write_warns(self, store, capfd):
        store.set("default", "apiToken", "v")
        assert "plaintext" in capfd.readouterr().err
