"""The SecretStore conformance suite (secret_store_conformance.py) against the KeyringStore on the
real (private) gnome-keyring, and what only the keyring does. The in-memory and file stores run the
same suite in the in-process tier (unit/test_secret_stores_inprocess.py), pass on the real pass and
gpg in test_pass_store.py."""

from conftest import keyring_items
from secret_store_conformance import SecretStoreConformance

from truto_credential_helper.secrets.file import FileStore
from truto_credential_helper.secrets.os_keyring import KeyringStore


class TestKeyringStore(SecretStoreConformance):
    STORE = KeyringStore

    def test_items_land_in_the_secret_service_under_their_own_service(self, store, tmp_path):
        store.set("default", "apiToken", "in-the-keyring")
        service = f"truto:{tmp_path / 'a'}"
        assert keyring_items(service) == [(service, "default:apiToken", "in-the-keyring")]

    def test_keyring_and_file_store_of_one_directory_are_separate(self, store, tmp_path):
        store.set("default", "apiToken", "keyring-side")
        assert FileStore(str(tmp_path / "a")).get("default", "apiToken") is None


def test_legacy_inline_store_lists_the_inline_secrets_read_only(tmp_path):
    import json
    import os

    from truto_credential_helper.secrets.legacy_inline import LegacyInlineStore

    directory = tmp_path / "legacy"
    directory.mkdir(mode=0o700)
    path = directory / "config.json"
    path.write_text(
        json.dumps(
            {"profiles": {"a": {"apiToken": "tok-a", "firecrawlApiKey": "fc-a"}, "b": {"apiUrl": "https://b.example"}}}
        )
    )
    os.chmod(path, 0o600)
    assert sorted(LegacyInlineStore(str(directory)).names()) == [("a", "apiToken"), ("a", "firecrawlApiKey")]
