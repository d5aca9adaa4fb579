"""Which origins a docker server URL names (protocols.docker.origins_of) and the loopback predicate
behind it and behind plain http to an API or Vault (credential.is_loopback): pure functions. Through
the installed helper: test_docker_loopback.py."""

import ipaddress

import pytest

from truto_credential_helper.credential import is_loopback
from truto_credential_helper.protocols.docker import origins_of


@pytest.mark.parametrize(
    "host,loopback",
    [
        ("127.0.0.1", True),
        ("127.0.0.1:5000", True),
        ("127.255.255.254:1", True),
        ("localhost", True),
        ("localhost:5000", True),
        ("[::1]", True),
        ("[::1]:5000", True),
        ("[0::1]:5000", True),
        ("[0000:0:0:0:0:0:0:0001]", True),
        ("128.0.0.1", False),
        ("126.0.0.1:5000", False),
        ("127.0.0.01", False),
        ("127.1", False),
        ("127.0.0.256", False),
        ("127.0.0.1.example", False),
        ("localhost.example", False),
        ("mylocalhost", False),
        ("[::]", False),
        ("[::2]", False),
        ("[1::1]", False),
        ("[::1::]", False),
        ("[::ffff:127.0.0.1]", False),
        ("[0:0:0:0:0:0:0:0:1]", False),
        ("１２７.0.0.1", False),
    ],
)
def test_loopback_by_spelling(host, loopback):
    assert is_loopback(host) is loopback
    if "ffff" not in host:  # ipaddress itself changed its answer for IPv4-mapped addresses in 3.13
        assert ipaddress_says_loopback(host) is loopback  # parsed by hand, the set ipaddress calls loopback


def ipaddress_says_loopback(host):
    name = host[1:].partition("]")[0] if host.startswith("[") else host.partition(":")[0]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def test_origins_of_a_docker_server_url():
    assert origins_of("127.0.0.1:5000") == [("https", "127.0.0.1:5000", None), ("http", "127.0.0.1:5000", None)]
    assert origins_of("localhost") == [("https", "localhost", None), ("http", "localhost", None)]
    assert origins_of("localhost:443") == [("https", "localhost", None), ("http", "localhost:443", None)]
    assert origins_of("registry.example:5000") == [("https", "registry.example:5000", None)]
    assert origins_of("http://127.0.0.1:5000/") == [("http", "127.0.0.1:5000", None)]
    assert origins_of("https://127.0.0.1:5000") == [("https", "127.0.0.1:5000", None)]
