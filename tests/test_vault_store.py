"""The SecretStore conformance suite against the Vault store on a real OpenBao dev server, and what
only the Vault store does: the secret's other keys survive every write, every read sees the latest
version, and the secret is the team's (a removed profile leaves it)."""

import hashlib

import pytest
from secret_store_conformance import SecretStoreConformance
from vault_support import WRITE_POLICY, bao  # noqa: F401 (bao: a fixture)

from truto_credential_helper.secrets.vault import Location, VaultStore


@pytest.fixture(autouse=True)
def vault_token(bao, monkeypatch, tmp_path):
    monkeypatch.setenv("VAULT_TOKEN", bao.root_token)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.vault-token but the test's own
    for name in (
        "VAULT_NAMESPACE",
        "TRUTO_VAULT_ROLE_ID",
        "TRUTO_VAULT_SECRET_ID",
        "TRUTO_VAULT_JWT",
        "TRUTO_VAULT_JWT_FILE",
    ):
        monkeypatch.delenv(name, raising=False)


class TestVaultStore(SecretStoreConformance):
    """Each config directory gets its own tree of secrets (conformance/<digest>/<profile>), as two
    teams' paths would be; each profile its own secret, as each Vault profile names its path."""

    STORE = VaultStore

    @pytest.fixture(autouse=True)
    def _server(self, bao):
        self.bao = bao

    def make_store(self, directory):
        directory.mkdir(mode=0o700, exist_ok=True)
        tree = "conformance/" + hashlib.sha256(str(directory).encode()).hexdigest()[:16]

        def locate(profile):
            return Location([self.bao.address], "secret", f"{tree}/{profile}", required=False)

        return VaultStore(str(directory), locate=locate)

    def test_the_secrets_other_keys_survive_writes_and_deletes(self, store, tmp_path):
        where = store.location("default")
        self.bao.kv_put(where.path, {"owner": "platform-team", "rotation": "monthly"})
        store.set("default", "apiToken", "tok-1")
        store.set("default", "anthropicApiKey", "ak-1")
        store.delete("default", "anthropicApiKey")
        assert self.bao.kv_get(where.path) == {"owner": "platform-team", "rotation": "monthly", "apiToken": "tok-1"}

    def test_every_read_sees_the_latest_version(self, store):
        path = store.location("default").path
        self.bao.kv_put(path, {"apiToken": "version-1"})
        assert store.get("default", "apiToken") == "version-1"
        self.bao.kv_put(path, {"apiToken": "version-2"})  # rotated by someone else
        assert store.get("default", "apiToken") == "version-2"

    def test_a_write_that_changes_nothing_makes_no_version(self, store):
        path = store.location("default").path
        store.set("default", "apiToken", "same")
        before = self.bao.kv_versions(path)
        store.set("default", "apiToken", "same")
        store.delete("default", "firecrawlApiKey")
        assert self.bao.kv_versions(path) == before

    def test_it_is_not_a_store_whose_secrets_a_profile_owns(self, store):
        assert store.owned is False

    def test_describe_profile_names_path_and_token_source_never_the_token(self, store, bao):
        store.set("default", "apiToken", "describe-me")
        text = store.describe_profile("default")
        assert bao.address in text and store.location("default").label in text and "VAULT_TOKEN" in text
        assert bao.root_token not in text and "describe-me" not in text


def test_a_write_needs_only_create_update_and_read(bao, monkeypatch, tmp_path):
    """A platform team's publishing policy: read + create + update on the secret, nothing else."""
    monkeypatch.setenv("VAULT_TOKEN", bao.token([WRITE_POLICY]))
    store = VaultStore(str(tmp_path), locate=lambda p: Location([bao.address], "secret", f"teams/{p}", required=False))
    store.set("write-policy", "apiToken", "published")
    assert bao.kv_get("teams/write-policy") == {"apiToken": "published"}


def test_a_vault_profile_without_its_location_is_refused_by_the_schema(run, config_dir):
    import json

    config_dir.mkdir(mode=0o700)
    doc = {"version": 1, "profiles": {"x": {"apiUrl": "https://a.example", "secretStore": "vault"}}}
    (config_dir / "config.json").write_text(json.dumps(doc))
    done = run("truto", "profiles", "list")
    assert done.returncode == 1 and "'vault' is a required property" in done.stderr, done.stderr
