"""The one reading of a URL's authority (credential.split_authority), behind every origin: the API
URL, docker server URLs, git's host attribute, Vault addresses and the proxy Vault goes through. A port is ASCII digits only
(int() also reads '+443', '4_43', ' 443' and full-width digits as 443); what is not one is no origin.
Checked against urllib.parse.urlsplit and ipaddress on generated inputs, not only a table."""

import ipaddress
import re
import sys
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from truto_credential_helper.credential import (
    Credential,
    answers,
    ipv6_groups,
    is_loopback,
    normalize_host,
    origin_from_url,
    port_number,
    split_authority,
)
from truto_credential_helper.errors import SecretStoreUnavailable
from truto_credential_helper.protocols import docker, git
from truto_credential_helper.secrets.http_proxy import parse_proxy
from truto_credential_helper.secrets.vault_http import split_address

# Spellings int() reads as 443 that no client sends for it.
NOT_PORTS = ["+443", "4_43", " 443", "443 ", "\uff14\uff14\uff13", "\u0664\u0664\u0663", "-443", "0x1bb", "443\n"]


@pytest.mark.parametrize("port", NOT_PORTS)
def test_a_port_is_ascii_digits_only_everywhere(port):
    assert port_number(port) is None
    with pytest.raises(ValueError):
        origin_from_url(f"https://api.example:{port}")  # API URL, git and docker config, stored apiUrl
    with pytest.raises(ValueError):
        split_address(f"https://vault.example:{port}")
    if port != port.rstrip():
        return  # docker's server URL and git's host are stripped: blanks around them are framing
    assert docker.parse_server_url(f"registry.example:{port}".encode())[1] == []
    assert docker.parse_server_url(f"https://registry.example:{port}".encode())[1] == []
    # git's host attribute: kept as it came, so it names no stored origin (https://h is h:443 too).
    stored = Credential(protocol="https", host="h", username="u", password="p", profile="h")
    request = git.parse(f"protocol=https\nhost=h:{port}\n\n".encode())
    assert request.host != "h" and not answers(stored, request)
    assert answers(stored, git.parse(b"protocol=https\nhost=h:443\n\n"))


def test_only_ascii_digit_ports_are_dropped_as_the_default():
    assert normalize_host("https", "H:0443") == "h"
    assert normalize_host("https", "h:+443") == "h:+443"
    assert normalize_host("https", "h:\uff14\uff14\uff13") == "h:\uff14\uff14\uff13"


# --- generated authorities, compared with urlsplit (and ipaddress inside brackets)

DIGITS = st.text("0123456789", min_size=1, max_size=6)
PORT_TEXT = st.one_of(
    DIGITS,
    st.builds(lambda a, d: a + d, st.sampled_from(["+", "-", " ", "_", "0x"]), DIGITS),
    st.builds(lambda d, i, c: d[:i] + c + d[i:], DIGITS, st.integers(0, 6), st.sampled_from("_ \t+.\uff10\u0660")),
    st.text("0123456789\uff10\uff11\uff14\u0663\u00b2+-_ ", min_size=1, max_size=6),
)
LABEL = st.text("abcxyzABC019-_", min_size=1, max_size=8)
IPV6 = st.ip_addresses(v=6).flatmap(
    lambda a: st.sampled_from(
        [str(a), a.exploded, str(a).upper()] + ([f"::ffff:{a.ipv4_mapped}"] if a.ipv4_mapped else [])
    )
)
HOST = st.one_of(
    st.lists(LABEL, min_size=1, max_size=3).map(".".join),
    st.ip_addresses(v=4).map(str),
    IPV6.map(lambda a: f"[{a}]"),
    st.text("abc019:.[]@%", min_size=0, max_size=10),  # brackets, colons and user info where they do not belong
)


@st.composite
def authorities(draw):
    host = draw(HOST)
    port = draw(st.one_of(st.none(), st.just(""), PORT_TEXT))
    return host if port is None else f"{host}:{port}", port


def urlsplit_reads(url):
    """(hostname, port) urlsplit reads from url, or None when it refuses it. Its port rule is
    strict (ASCII digits) only since 3.11.4 and 3.9.17, and it checks a bracketed host only since
    3.11.4: the stricter rules stand in for older ones.
    urlsplit deletes tabs and line breaks anywhere (WHATWG): a URL with one is none of ours."""
    if any(c in url for c in "\t\r\n"):
        return None
    try:
        parts = urlsplit(url)
        port, hostname = parts.port, parts.hostname
        check_bracketed_host(parts.netloc)
    except ValueError:
        return None
    raw = parts.netloc.rpartition("@")[2].rpartition("]")[2].rpartition(":")
    if raw[1] and raw[2] and not (raw[2].isascii() and raw[2].isdigit()):
        return None
    return hostname, port


def no_address_of_ours_spells(hostport):
    """What ours may refuse though urlsplit reads it: a second ':' outside brackets, an IPv6 zone or
    IPvFuture, user info whose '@' hides a bracket."""
    host = hostport.rpartition("@")[2]
    return host.count(":") > 1 and not host.startswith("[") or "%" in host or "[" in host[1:] or "@" in hostport


def check_bracketed_host(netloc):
    """urllib.parse._check_bracketed_host as urlsplit applies it since 3.11.4: ValueError unless the
    host in brackets is an IPv6 address or an IPvFuture one."""
    if "[" in netloc and "]" in netloc:
        host = netloc.partition("[")[2].partition("]")[0]
        if host.startswith("v"):
            if not re.match(r"\Av[a-fA-F0-9]+\..+\Z", host):
                raise ValueError("IPvFuture address is invalid")
        elif isinstance(ipaddress.ip_address(host), ipaddress.IPv4Address):
            raise ValueError("An IPv4 address cannot be in brackets")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    authority=authorities(),
    scheme=st.sampled_from(["http", "https", "HTTPS"]),
    path=st.sampled_from(["", "/", "/v1/x"]),
)
@example(authority=("h:+443", "+443"), scheme="https", path="")
@example(authority=("h:\uff14\uff14\uff13", "\uff14\uff14\uff13"), scheme="https", path="")
@example(authority=("[::1]:4_43", "4_43"), scheme="https", path="")
@example(authority=("[0]", None), scheme="http", path="")  # urlsplit before 3.11.4 reads it as host "0"
def test_vault_addresses_and_urls_are_read_as_urlsplit_reads_them(authority, scheme, path):
    hostport, port_text = authority
    url = f"{scheme}://{hostport}{path}"
    theirs = urlsplit_reads(url)
    default = 443 if scheme.lower() == "https" else 80
    try:
        ours = split_address(url)
    except ValueError:
        ours = None
    if ours is not None:
        # What ours accepts, urlsplit reads the same way, and its port is ASCII digits.
        assert theirs is not None, url
        assert (ours[1], ours[2]) == (theirs[0], theirs[1] or default), url
        assert port_text is None or port_text == "" or (port_text.isascii() and port_text.isdigit())
    elif theirs is not None and theirs[0]:
        assert no_address_of_ours_spells(hostport), url
    try:
        origin = origin_from_url(url)
    except ValueError:
        origin = None
    if origin is not None:
        assert ours is not None and "@" not in hostport, url
        expected_port = "" if (theirs[1] or default) == default else f":{theirs[1]}"
        shown = f"[{theirs[0]}]" if ":" in theirs[0] else theirs[0]
        assert origin[1] == shown + expected_port, url
        assert is_loopback(origin[1]) == loopback_by_ipaddress(theirs[0])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(authority=authorities(), user=st.sampled_from(["", "alice@", "a:s%40cret@"]), scheme=st.booleans())
@example(authority=("proxy:0", "0"), user="", scheme=True)
@example(authority=("[::1]:3128", "3128"), user="", scheme=False)
@example(authority=("[0]", None), user="", scheme=False)
def test_proxy_urls_are_read_as_urlsplit_reads_them(authority, user, scheme):
    """A proxy's address (HTTPS_PROXY, VAULT_PROXY_ADDR) is read by the same authority parser:
    what it accepts, urlsplit reads as the same host and port (80 when none, never port 0)."""
    hostport, port_text = authority
    url = f"http://{user}{hostport}/"
    theirs = urlsplit_reads(url)
    try:
        proxy = parse_proxy("HTTPS_PROXY", url if scheme else url[len("http://") :])
    except SecretStoreUnavailable:
        proxy = None
    if proxy is not None:
        assert theirs is not None and theirs[0], url
        assert (proxy.host, proxy.port) == (theirs[0], theirs[1] or 80), url
        assert port_text is None or port_text == "" or (port_text.isascii() and port_text.isdigit() and int(port_text))
    elif theirs is not None and theirs[0] and theirs[1] != 0:
        assert no_address_of_ours_spells(hostport), url


def loopback_by_ipaddress(hostname):
    if hostname == "localhost":
        return True
    try:
        address = ipaddress.ip_address(hostname)
    except ValueError:
        return False
    # ::ffff:127.0.0.1 is not loopback by spelling; ipaddress says it is since 3.13.
    return address.is_loopback and not (address.version == 6 and address.ipv4_mapped)


@settings(max_examples=500, deadline=None)
@given(st.one_of(IPV6, st.text("0123456789abcdefABCDEF:.", max_size=45)))
def test_ipv6_is_read_as_ipaddress_reads_it(text):
    try:
        expected = list(ipaddress.IPv6Address(text).packed)
    except ValueError:
        expected = None
    groups = ipv6_groups(text)
    got = None if groups is None else list(b"".join(g.to_bytes(2, "big") for g in groups))
    if sys.version_info < (3, 9, 5) and expected is not None and got is None:
        return  # older ipaddress accepted IPv4 octets with leading zeros
    assert got == expected, text


@pytest.mark.parametrize("hostport", ["[::1", "::1]", "[zz]:443", "h]:1", "[::1]x", ":443", "", "h:1:2"])
def test_what_is_not_an_authority_is_refused(hostport):
    with pytest.raises(ValueError):
        split_authority(hostport)
