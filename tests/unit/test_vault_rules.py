"""The Vault store's pure rules, in-process: the order of the Vault token's sources, what a
half-configured CI login lacks, and the shape of --vault-path and --vault-addr. The real server
proves the rest (tests/test_vault_*.py)."""

import pytest

from truto_credential_helper.cli.vault_cli import check_vault_addr, split_vault_path
from truto_credential_helper.errors import UsageError
from truto_credential_helper.secrets import vault_auth

VAULT_VARS = (
    "VAULT_TOKEN",
    "TRUTO_VAULT_ROLE_ID",
    "TRUTO_VAULT_SECRET_ID",
    "TRUTO_VAULT_JWT",
    "TRUTO_VAULT_JWT_FILE",
    "TRUTO_VAULT_ROLE",
    "TRUTO_VAULT_APPROLE_MOUNT",
    "TRUTO_VAULT_JWT_MOUNT",
)


@pytest.fixture(autouse=True)
def no_vault_env(monkeypatch):
    for name in VAULT_VARS:
        monkeypatch.delenv(name, raising=False)


def set_env(monkeypatch, tmp_path, names):
    values = {
        "VAULT_TOKEN": "t",
        "TRUTO_VAULT_ROLE_ID": "r",
        "TRUTO_VAULT_SECRET_ID": "s",
        "TRUTO_VAULT_JWT": "j",
        "TRUTO_VAULT_ROLE": "ci",
    }
    for name in names:
        if name == "file":
            (tmp_path / "home" / ".vault-token").write_text("from-file\n")
        else:
            monkeypatch.setenv(name, values[name])


@pytest.mark.parametrize(
    "present, expected",
    [
        (["file"], "file"),
        (["file", "VAULT_TOKEN"], "env"),
        (["file", "VAULT_TOKEN", "TRUTO_VAULT_JWT", "TRUTO_VAULT_ROLE"], "jwt"),
        (
            [
                "file",
                "VAULT_TOKEN",
                "TRUTO_VAULT_JWT",
                "TRUTO_VAULT_ROLE",
                "TRUTO_VAULT_ROLE_ID",
                "TRUTO_VAULT_SECRET_ID",
            ],
            "approle",
        ),
        ([], None),
    ],
)
def test_the_first_source_in_the_documented_order_wins(monkeypatch, tmp_path, present, expected):
    set_env(monkeypatch, tmp_path, present)
    assert vault_auth.source()[0] == expected


def test_labels_never_hold_a_secret(monkeypatch, tmp_path):
    set_env(monkeypatch, tmp_path, ["TRUTO_VAULT_ROLE_ID", "TRUTO_VAULT_SECRET_ID"])
    monkeypatch.setenv("TRUTO_VAULT_SECRET_ID", "secret-id-value")
    monkeypatch.setenv("TRUTO_VAULT_APPROLE_MOUNT", "ci-approle-mount")
    label = vault_auth.source()[1]
    assert "secret-id-value" not in label and "AppRole" in label
    assert "ci-approle-mount" not in label and "'****ount' (16 characters)" in label  # a value set: masked
    monkeypatch.delenv("TRUTO_VAULT_APPROLE_MOUNT")
    assert "mount 'approle'" in vault_auth.source()[1]  # the default: ours, shown as it is


@pytest.mark.parametrize(
    "present, missing",
    [
        (["TRUTO_VAULT_ROLE_ID"], "TRUTO_VAULT_SECRET_ID"),
        (["TRUTO_VAULT_SECRET_ID"], "TRUTO_VAULT_ROLE_ID"),
        (["TRUTO_VAULT_JWT"], "TRUTO_VAULT_ROLE"),
    ],
)
def test_half_a_ci_login_says_what_is_missing(monkeypatch, tmp_path, present, missing):
    set_env(monkeypatch, tmp_path, present)
    assert vault_auth.incomplete().startswith(f"{missing} is not set")


def test_a_complete_ci_login_lacks_nothing(monkeypatch, tmp_path):
    set_env(monkeypatch, tmp_path, ["TRUTO_VAULT_JWT", "TRUTO_VAULT_ROLE"])
    assert vault_auth.incomplete() is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("secret/teams/truto", ("secret", "teams/truto")),
        ("/kv/a/", ("kv", "a")),
        ("kv/a/b/c", ("kv", "a/b/c")),
    ],
)
def test_vault_path_is_mount_then_path(text, expected):
    assert split_vault_path(text) == expected


@pytest.mark.parametrize("text", ["secret", "secret//x", "secret/../x", "secret/./x", "sec ret/x", "secret/x\n"])
def test_bad_vault_paths_are_usage_errors(text):
    with pytest.raises(UsageError):
        split_vault_path(text)


@pytest.mark.parametrize(
    "address, ok",
    [
        ("https://vault.example.com:8200", True),
        ("https://vault.example.com:8200/", True),
        ("http://127.0.0.1:8200", True),
        ("http://localhost:8200", True),
        ("http://vault.example.com:8200", False),  # the Vault token would travel in clear
        ("vault.example.com:8200", False),
        ("https://user:pw@vault.example.com", False),
    ],
)
def test_vault_addresses(address, ok):
    if ok:
        assert check_vault_addr(address, "--vault-addr") == address.rstrip("/")
    else:
        with pytest.raises(UsageError):
            check_vault_addr(address, "--vault-addr")
