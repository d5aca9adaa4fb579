"""The one matching rule and URL normalization: pure functions, plain unit tests."""

import pytest

from truto_credential_helper.credential import Credential, answers, matches, normalize_host, origin_from_url


def stored(**kw):
    base = dict(protocol="https", host="api.truto.one", username="default", profile="default")
    base.update(kw)
    return Credential(**base)


@pytest.mark.parametrize(
    "url,origin",
    [
        ("https://api.truto.one", ("https", "api.truto.one", None)),
        ("https://API.Truto.one:443/", ("https", "api.truto.one", None)),
        ("http://127.0.0.1:8080/v1/", ("http", "127.0.0.1:8080", "v1")),
        ("http://[::1]:80", ("http", "[::1]", None)),
        ("https://h.example:8443/a/b", ("https", "h.example:8443", "a/b")),
    ],
)
def test_origin_from_url_normalizes(url, origin):
    assert origin_from_url(url) == origin


@pytest.mark.parametrize(
    "url",
    [
        "api.truto.one",
        "ftp://h",
        "https://",
        "https://u:p@h",
        "https://h?x=1",
        "https://h:99999",
        "https://h:abc",
        "https://h x",
    ],
)
def test_origin_from_url_rejects(url):
    with pytest.raises(ValueError):
        origin_from_url(url)


def test_normalize_host_keeps_non_default_port():
    assert normalize_host("https", "H:8443") == "h:8443"
    assert normalize_host("http", "h:443") == "h:443"
    assert normalize_host("https", "h:443") == "h"


def test_match_needs_same_protocol_and_host():
    s = stored()
    assert matches(s, Credential(protocol="https", host="api.truto.one"))
    assert not matches(s, Credential(protocol="http", host="api.truto.one"))  # no downgrade
    assert not matches(s, Credential(protocol="https", host="api.truto.one:8443"))
    assert not matches(s, Credential(protocol="https", host="evil.example"))
    assert not matches(s, Credential(host="api.truto.one"))  # no protocol: never a wildcard
    assert not matches(s, Credential(protocol="https"))


def test_match_username_only_when_requested():
    s = stored(username="alice")
    assert matches(s, Credential(protocol="https", host="api.truto.one"))
    assert matches(s, Credential(protocol="https", host="api.truto.one", username="alice"))
    assert not matches(s, Credential(protocol="https", host="api.truto.one", username="bob"))
    assert not matches(s, Credential(protocol="https", host="api.truto.one", username=""))


def test_match_path_only_when_both_have_one():
    assert matches(stored(path="a"), Credential(protocol="https", host="api.truto.one"))
    assert matches(stored(), Credential(protocol="https", host="api.truto.one", path="x"))
    assert matches(stored(path="a"), Credential(protocol="https", host="api.truto.one", path="a"))
    assert not matches(stored(path="a"), Credential(protocol="https", host="api.truto.one", path="b"))


def test_match_by_profile_name():
    assert matches(stored(), Credential(profile="default"))
    assert not matches(stored(), Credential(profile="staging"))
    assert not matches(stored(), Credential(profile="default", protocol="https", host="other.example"))


def test_answers_drops_expired_and_authtype_only_without_capability():
    req = Credential(protocol="https", host="api.truto.one")
    assert answers(stored(password_expiry_utc=2000), req, now=1999)
    assert not answers(stored(password_expiry_utc=2000), req, now=2000)
    only = stored(authtype="Basic", authtype_only=True)
    assert not answers(only, req)
    assert answers(only, Credential(protocol="https", host="api.truto.one", capabilities=frozenset({"authtype"})))


def test_repr_never_shows_secrets():
    c = stored(password="s3cret-value", credential="s3cret-cred", oauth_refresh_token="s3cret-refresh")
    assert "s3cret" not in repr(c)
