"""The conformance suite every SecretStore passes, as keyring's BackendBasicTests: a subclass
names its store class (STORE) and is collected where its store can run (the in-memory and file
stores in the in-process tier, tests/unit; the OS keyring on the private gnome-keyring,
tests/test_secret_stores.py). A store that passes it can stand in for any other above the store
layer."""

import pytest

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
    """Subclasses name their store class in STORE, or override make_store(directory)."""

    STORE = None

    def make_store(self, directory):
        directory.mkdir(mode=0o700, exist_ok=True)  # as config.json's directory always is
        return self.STORE(str(directory))

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

    def test_a_store_opened_again_on_the_directory_sees_its_items(self, store, tmp_path):
        # Every command opens its own store: what one wrote, the next reads and deletes.
        store.set("default", "apiToken", "written-by-one")
        again = self.make_store(tmp_path / "a")
        assert again.get("default", "apiToken") == "written-by-one"
        again.delete("default", "apiToken")
        assert store.get("default", "apiToken") is None

    def test_names_lists_what_it_holds_and_nothing_of_another_directory(self, store, other_store):
        if store.names() is None:
            # Only a store shared with others may decline: what it holds is never this machine's orphan.
            assert not store.owned
            return
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
