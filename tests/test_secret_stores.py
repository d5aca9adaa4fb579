"""One conformance class for every SecretStore, as keyring's BackendBasicTests: run against the
KeyringStore on the real (private) gnome-keyring and against the plaintext FileStore."""
import os
import stat

import pytest

from conftest import keyring_items
from truto_credential_helper.secrets.file import FileStore
from truto_credential_helper.secrets.os_keyring import KeyringStore

DIFFICULT = [
    "ünïcödé-秘密-🔑",
    "quote\"and'apostrophe",
    "back\\slash and spaces ",
    "semi;colon=equals&amp%20",
    "-starts-with-dash",
    "x" * 4096,
    "tab\tand\nnewline",
]


class SecretStoreConformance:
    """Subclasses provide make_store(directory)."""

    @pytest.fixture
    def store(self, tmp_path):
        return self.make_store(tmp_path / "a")

    @pytest.fixture
    def other_store(self, tmp_path):
        return self.make_store(tmp_path / "b")

    def test_missing_is_none(self, store):
        assert store.get("default", "apiToken") is None

    def test_set_get_overwrite(self, store):
        store.set("default", "apiToken", "first-value")
        assert store.get("default", "apiToken") == "first-value"
        store.set("default", "apiToken", "second-value")
        assert store.get("default", "apiToken") == "second-value"

    @pytest.mark.parametrize("secret", DIFFICULT)
    def test_difficult_values_round_trip(self, store, secret):
        store.set("default", "anthropicApiKey", secret)
        assert store.get("default", "anthropicApiKey") == secret

    @pytest.mark.parametrize("profile", ["ünï-prófile", "a.b@c+d-e_f", "9" * 128])
    def test_unusual_profile_names(self, store, profile):
        store.set(profile, "apiToken", f"token-of-{profile}")
        assert store.get(profile, "apiToken") == f"token-of-{profile}"
        store.delete(profile, "apiToken")
        assert store.get(profile, "apiToken") is None

    def test_several_profiles_and_fields_are_independent(self, store):
        for p in ("default", "staging", "prod"):
            for f in ("apiToken", "anthropicApiKey", "firecrawlApiKey"):
                store.set(p, f, f"{p}/{f}")
        store.delete("staging", "apiToken")
        for p in ("default", "staging", "prod"):
            for f in ("apiToken", "anthropicApiKey", "firecrawlApiKey"):
                expected = None if (p, f) == ("staging", "apiToken") else f"{p}/{f}"
                assert store.get(p, f) == expected

    def test_profiles_that_prefix_each_other_do_not_collide(self, store):
        store.set("a", "apiToken", "of-a")
        store.set("a:apiToken", "apiToken", "of-other")
        assert store.get("a", "apiToken") == "of-a"

    def test_delete_of_missing_item_is_not_an_error(self, store):
        store.delete("nobody", "apiToken")
        store.set("someone", "apiToken", "v")
        store.delete("someone", "firecrawlApiKey")
        store.delete("someone", "apiToken")
        store.delete("someone", "apiToken")
        assert store.get("someone", "apiToken") is None

    def test_stores_of_two_config_dirs_do_not_see_each_other(self, store, other_store):
        store.set("default", "apiToken", "in-a")
        assert other_store.get("default", "apiToken") is None
        other_store.set("default", "apiToken", "in-b")
        other_store.delete("default", "apiToken")
        assert store.get("default", "apiToken") == "in-a"

    def test_names_lists_what_it_holds_and_nothing_of_another_directory(self, store, other_store):
        assert store.names() == []
        for p, f in (("prod", "apiToken"), ("default", "anthropicApiKey"), ("default", "apiToken")):
            store.set(p, f, f"value-{p}-{f}")
        other_store.set("elsewhere", "apiToken", "other-value")
        store.delete("prod", "apiToken")
        assert sorted(store.names()) == [("default", "anthropicApiKey"), ("default", "apiToken")]
        assert other_store.names() == [("elsewhere", "apiToken")]

    def test_describe_names_no_secret(self, store):
        store.set("default", "apiToken", "describe-secret-value")
        assert "describe-secret-value" not in store.describe()


class TestKeyringStore(SecretStoreConformance):
    def make_store(self, directory):
        directory.mkdir(mode=0o700, exist_ok=True)
        return KeyringStore(str(directory))

    def test_items_land_in_the_secret_service_under_their_own_service(self, store, tmp_path):
        store.set("default", "apiToken", "in-the-keyring")
        service = f"truto:{tmp_path / 'a'}"
        assert keyring_items(service) == [(service, "default:apiToken", "in-the-keyring")]

    def test_keyring_and_file_store_of_one_directory_are_separate(self, store, tmp_path):
        store.set("default", "apiToken", "keyring-side")
        assert FileStore(str(tmp_path / "a")).get("default", "apiToken") is None


class TestFileStore(SecretStoreConformance):
    def make_store(self, directory):
        directory.mkdir(mode=0o700, exist_ok=True)
        return FileStore(str(directory))

    def test_file_is_0600_and_removed_when_empty(self, store, tmp_path):
        store.set("default", "apiToken", "v")
        path = tmp_path / "a" / "credentials.json"
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        store.delete("default", "apiToken")
        assert not path.exists()

    def test_every_write_warns(self, store, capfd):
        store.set("default", "apiToken", "v")
        assert "plaintext" in capfd.readouterr().err


def test_legacy_inline_store_lists_the_inline_secrets_read_only(tmp_path):
    import json

    from truto_credential_helper.secrets.legacy_inline import LegacyInlineStore

    directory = tmp_path / "legacy"
    directory.mkdir(mode=0o700)
    path = directory / "config.json"
    path.write_text(json.dumps({"profiles": {"a": {"apiToken": "tok-a", "firecrawlApiKey": "fc-a"},
                                             "b": {"apiUrl": "https://b.example"}}}))
    os.chmod(path, 0o600)
    assert sorted(LegacyInlineStore(str(directory)).names()) == [("a", "apiToken"), ("a", "firecrawlApiKey")]
