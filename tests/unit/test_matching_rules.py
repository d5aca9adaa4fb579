"""The one rule that decides whether a stored credential is the one a request names
(credential.matches) and may be returned to it (credential.answers), and how an origin is read
from a URL: as tables, one row per case."""

import pytest

from truto_credential_helper.credential import Credential, answers, matches, normalize_host, origin_from_url

NOW = 1_700_000_000


def stored(**changes):
    values = dict(protocol="https", host="api.example", path=None, username="alice", profile="p")
    values.update(changes)
    return Credential(**values)


def request(**values):
    return Credential(**values)


MATCHES = [
    ("origin only", stored(), request(protocol="https", host="api.example"), True),
    ("origin and user", stored(), request(protocol="https", host="api.example", username="alice"), True),
    ("another user", stored(), request(protocol="https", host="api.example", username="bob"), False),
    ("an empty user is a user", stored(), request(protocol="https", host="api.example", username=""), False),
    ("another host", stored(), request(protocol="https", host="evil.example"), False),
    ("a host that only ends alike", stored(), request(protocol="https", host="xapi.example"), False),
    ("no downgrade to http", stored(), request(protocol="http", host="api.example"), False),
    ("no upgrade to https", stored(protocol="http"), request(protocol="https", host="api.example"), False),
    ("another port", stored(host="api.example:8443"), request(protocol="https", host="api.example"), False),
    ("the same port", stored(host="api.example:8443"), request(protocol="https", host="api.example:8443"), True),
    ("a host without its protocol", stored(), request(host="api.example"), False),
    ("a protocol without a host", stored(), request(protocol="https"), False),
    ("request path, none stored", stored(), request(protocol="https", host="api.example", path="v1"), True),
    ("stored path, none requested", stored(path="v1"), request(protocol="https", host="api.example"), True),
    ("the same path", stored(path="v1"), request(protocol="https", host="api.example", path="v1"), True),
    ("another path", stored(path="v1"), request(protocol="https", host="api.example", path="v2"), False),
    ("its profile, no origin", stored(), request(profile="p"), True),
    ("its profile and user", stored(), request(profile="p", username="alice"), True),
    ("its profile, another user", stored(), request(profile="p", username="bob"), False),
    ("another profile", stored(), request(profile="q"), False),
    ("another profile at its origin", stored(), request(protocol="https", host="api.example", profile="q"), False),
    ("its profile at another origin", stored(), request(protocol="https", host="evil.example", profile="p"), False),
    ("an empty request is no wildcard", stored(), request(), False),
    ("a user alone is no wildcard", stored(), request(username="alice"), False),
]


@pytest.mark.parametrize(
    "stored_credential, request_credential, expected", [row[1:] for row in MATCHES], ids=[row[0] for row in MATCHES]
)
def test_matches(stored_credential, request_credential, expected):
    assert matches(stored_credential, request_credential) is expected


ORIGIN = dict(protocol="https", host="api.example")
ANSWERS = [
    ("no expiry", stored(), request(**ORIGIN), True),
    ("not expired yet", stored(password_expiry_utc=NOW + 1), request(**ORIGIN), True),
    ("expired", stored(password_expiry_utc=NOW - 1), request(**ORIGIN), False),
    ("expiring this second", stored(password_expiry_utc=NOW), request(**ORIGIN), False),
    (
        "authtype-only to a client without the capability",
        stored(authtype="Bearer", authtype_only=True),
        request(**ORIGIN),
        False,
    ),
    (
        "authtype-only to a client with it",
        stored(authtype="Bearer", authtype_only=True),
        request(**ORIGIN, capabilities=frozenset({"authtype"})),
        True,
    ),
    (
        "a token to a client with the capability",
        stored(authtype="Bearer"),
        request(**ORIGIN, capabilities=frozenset({"authtype"})),
        True,
    ),
    ("not matching, though valid", stored(), request(protocol="https", host="evil.example"), False),
]


@pytest.mark.parametrize(
    "stored_credential, request_credential, expected", [row[1:] for row in ANSWERS], ids=[row[0] for row in ANSWERS]
)
def test_answers(stored_credential, request_credential, expected):
    assert answers(stored_credential, request_credential, now=NOW) is expected


ORIGINS = [
    ("https://api.truto.one", ("https", "api.truto.one", None)),
    ("https://API.Truto.One/", ("https", "api.truto.one", None)),
    ("https://api.truto.one:443", ("https", "api.truto.one", None)),
    ("http://127.0.0.1:80/", ("http", "127.0.0.1", None)),
    ("http://127.0.0.1:8080", ("http", "127.0.0.1:8080", None)),
    ("https://api.example:443/v1/", ("https", "api.example", "v1")),
    ("https://[::1]:443", ("https", "[::1]", None)),
    ("https://[::1]:8443/a/b", ("https", "[::1]:8443", "a/b")),
    ("HTTPS://api.example", ("https", "api.example", None)),
]


@pytest.mark.parametrize("url, expected", ORIGINS, ids=[row[0] for row in ORIGINS])
def test_origin_from_url(url, expected):
    assert origin_from_url(url) == expected


NOT_ORIGINS = [
    ("api.example", "no scheme"),
    ("ftp://api.example", "not http or https"),
    ("https://user:pw@api.example", "user name or password"),
    ("https://api.example/?q=1", "query or fragment"),
    ("https://api.example#frag", "query or fragment"),
    ("https://", "no valid host"),
    ("https://api.example:0", "port"),
    ("https://api.example:65536", "port"),
    ("https://api.example:http", "port"),
    ("https://api .example", "no valid host"),
]


@pytest.mark.parametrize("url, says", NOT_ORIGINS, ids=[row[0] for row in NOT_ORIGINS])
def test_origin_from_url_refuses(url, says):
    with pytest.raises(ValueError, match=says):
        origin_from_url(url)


HOSTS = [
    ("https", "API.example:443", "api.example"),
    ("http", "api.example:80", "api.example"),
    ("http", "api.example:443", "api.example:443"),
    ("https", "api.example:80", "api.example:80"),
    ("https", "[::1]:443", "[::1]"),
    ("https", "[::1]:444", "[::1]:444"),
]


@pytest.mark.parametrize("protocol, host, expected", HOSTS)
def test_normalize_host(protocol, host, expected):
    assert normalize_host(protocol, host) == expected
