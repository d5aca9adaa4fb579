"""Where a Vault request may go, decided in-process: a standby's redirect (same cluster only, no
downgrade), the environment's proxy as Go's ProxyFromEnvironment reads it, the CLI config's
token_helper line."""

import pytest

from truto_credential_helper.errors import SecretStoreUnavailable
from truto_credential_helper.secrets import http_proxy, vault_token_helper
from truto_credential_helper.secrets.vault_http import Unreachable, redirect

CLUSTER = ["https://vault-a.example:8200", "https://vault-b.example:8200"]


def test_a_redirect_to_a_listed_node_is_followed_with_its_path():
    assert redirect(CLUSTER[0], "https://VAULT-B.example:8200/v1/secret/data/x?a=1", CLUSTER) == (
        "https://vault-b.example:8200",
        "/v1/secret/data/x?a=1",
    )


def test_a_redirect_to_the_node_sys_leader_names_is_followed():
    where, _ = redirect(
        CLUSTER[0], "https://vault-c.example:8200/v1/x", CLUSTER, lambda: "https://vault-c.example:8200"
    )
    assert where == "https://vault-c.example:8200"


@pytest.mark.parametrize(
    "location, leader",
    [
        ("https://evil.example:8200/v1/x", None),
        ("https://evil.example:8200/v1/x", "https://vault-c.example:8200"),
        ("http://vault-b.example:8200/v1/x", None),  # a downgrade, even to a listed host
        ("https://vault-b.example:8201/v1/x", None),  # another port is another node
        ("ftp://vault-b.example/v1/x", None),
    ],
)
def test_a_redirect_anywhere_else_is_refused(location, leader):
    with pytest.raises(Unreachable):
        redirect(CLUSTER[0], location, CLUSTER, (lambda: leader) if leader else None)


def test_plain_http_redirects_stay_on_loopback_and_sockets_never_redirect():
    assert redirect("http://127.0.0.1:8200", "/v1/x", [])[1] == "/v1/x"
    with pytest.raises(Unreachable):
        redirect("http://127.0.0.1:8200", "http://10.0.0.5:8200/v1/x", ["http://10.0.0.5:8200"])
    with pytest.raises(Unreachable):
        redirect("unix:///run/agent.sock", "http://127.0.0.1:8200/v1/x", ["http://127.0.0.1:8200"])


@pytest.mark.parametrize(
    "host, port, no_proxy, proxied",
    [
        ("vault.example.com", 443, "", True),
        ("localhost", 443, "", False),
        ("127.0.0.1", 8200, "", False),
        ("::1", 8200, "", False),
        ("vault.example.com", 443, "*", False),
        ("vault.example.com", 443, "example.com", False),
        ("example.com", 443, "example.com", False),
        ("example.com", 443, ".example.com", True),
        ("vault.example.com", 443, ".example.com", False),
        ("vault.example.com", 443, "*.example.com", False),
        ("vault.example.com", 8200, "example.com:443", True),
        ("vault.example.com", 443, " other.org , example.com:443", False),
        ("notexample.com", 443, "example.com", True),
        ("10.1.2.3", 8200, "10.0.0.0/8", False),
        ("10.1.2.3", 8200, "10.1.2.3:8201", True),
        ("10.1.2.3", 8200, "10.1.2.3", False),
    ],
)
def test_no_proxy_as_go_reads_it(host, port, no_proxy, proxied):
    assert http_proxy.use_proxy(host, port, no_proxy) is proxied


def test_vault_proxy_addr_wins_and_ignores_no_proxy(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://other:1")
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setenv("VAULT_PROXY_ADDR", "proxy.corp:3128")  # no scheme: http://
    proxy = http_proxy.proxy_for("127.0.0.1", 8200)
    assert (proxy.host, proxy.port, proxy.source) == ("proxy.corp", 3128, "VAULT_PROXY_ADDR")


def test_proxy_credentials_become_basic_auth_and_other_schemes_are_refused(monkeypatch):
    proxy = http_proxy.parse_proxy("HTTPS_PROXY", "http://alice:s%40cret@proxy.corp")
    assert proxy.port == 80 and proxy.authorization == "Basic YWxpY2U6c0BjcmV0"
    with pytest.raises(SecretStoreUnavailable, match="socks5"):
        http_proxy.parse_proxy("HTTPS_PROXY", "socks5://proxy.corp:1080")


@pytest.mark.parametrize(
    "text, helper",
    [
        ('token_helper = "/usr/local/bin/vault-helper"\n', "/usr/local/bin/vault-helper"),
        ('# a comment\n  token_helper="/h"\n', "/h"),
        ('{"token_helper": "/h"}', "/h"),
        ('other = "x"\n', None),
        ("token_helper = /unquoted\n", None),
    ],
)
def test_the_token_helper_line_of_a_cli_config(text, helper):
    assert vault_token_helper.parse(text) == helper
