"""Pure functions, in process: url= split and decoded as git's credential_from_url, the server's
challenges (wwwauth[]) deciding between Bearer and user name + password, and the answer's lines."""

import pytest

from truto_credential_helper.credential import (
    AUTHTYPE_FORM,
    PASSWORD_FORM,
    Credential,
    answer_form,
    answers,
    offers_scheme,
)
from truto_credential_helper.protocols import git


def parts(data):
    req = git.parse(data)
    return (req.protocol, req.host, req.path, req.username, req.password)


# ---------------------------------------------------------------------------------------------
# url=, as credential.c's credential_from_url_1 and url.c's url_decode_mem


@pytest.mark.parametrize(
    "url,expected",
    [
        # the authority ends at the first '/', '?' or '#': an '@' after it is not user info
        ("https://api.truto.one?@evil.example/", ("https", "api.truto.one", "?@evil.example", None, None)),
        ("https://api.truto.one#@evil.example", ("https", "api.truto.one", "#@evil.example", None, None)),
        ("https://api.truto.one/x@evil.example", ("https", "api.truto.one", "x@evil.example", None, None)),
        # user info before the first '@', split at the first ':'
        ("https://alice@h.example/repo.git", ("https", "h.example", "repo.git", "alice", None)),
        ("https://alice:pw@h.example:8443/", ("https", "h.example:8443", None, "alice", "pw")),
        ("https://a@b@h.example", ("https", "b@h.example", None, "a", None)),  # git takes the first '@'
        ("https://@h.example", ("https", "h.example", None, "", None)),
        # percent-decoding of user, password, host and path
        ("https://al%69ce:p%40ss@h.example/a%20b/", ("https", "h.example", "a b", "alice", "p@ss")),
        ("https://h%2Eexample", ("https", "h.example", None, None, None)),
        ("https://u%00x@h.example", ("https", "h.example", None, "u%00x", None)),  # %00 stays, as git's hex2chr
        ("https://u%4@h.example", ("https", "h.example", None, "u%4", None)),  # not two hex digits: kept
        # url_decode_mem copies what precedes a first ':' as it is
        ("https://ex%41mple.com:8080", ("https", "ex%41mple.com:8080", None, None, None)),
        ("https://u:a%3Ab:c%3A@h.example", ("https", "h.example", None, "u", "a%3Ab:c:")),
        # leading slashes skipped before decoding, trailing ones trimmed after it
        ("https://h.example//a/b//", ("https", "h.example", "a/b", None, None)),
        ("h.example/x://y", ("h.example/x", "y", None, None, None)),  # the scheme is whatever precedes '://'
    ],
)
def test_url_is_split_and_decoded_as_git_does(url, expected):
    assert parts(f"url={url}\n".encode()) == expected


def test_url_replaces_everything_read_before_it():
    req = git.parse(
        b"capability[]=authtype\nwwwauth[]=Bearer\nusername=x\npassword=y\nprofile=p\n"
        b"url=https://h.example\nhost=other.example\n"
    )
    assert (req.host, req.username, req.password, req.profile) == ("other.example", None, None, None)
    assert req.capabilities == frozenset() and req.wwwauth == ()


@pytest.mark.parametrize(
    "url",
    [
        "https://a%0Ab@h.example",
        "https://a%0db@h.example",
        "https://u:p%0A@h.example",
        "https://h%0D.example",
        "https://h.example/a%0Ab",
    ],
)
def test_a_line_break_is_refused_once_decoded(url):
    with pytest.raises(git.RequestError) as e:
        git.parse(f"url={url}\n".encode())
    assert "line break" in str(e.value) and e.value.exit_code == 2


@pytest.mark.parametrize("url", ["h.example", "://h.example", "h.example/x"])
def test_url_without_scheme_is_refused(url):
    with pytest.raises(git.RequestError):
        git.parse(f"url={url}\n".encode())


def test_percent_decoded_bytes_must_be_utf8():
    with pytest.raises(git.RequestError):
        git.parse(b"url=https://u%FF@h.example\n")
    assert parts(b"url=https://%C3%A9@h.example\n")[3] == "\u00e9"


# ---------------------------------------------------------------------------------------------
# wwwauth[] and the auth-scheme a server offers (RFC 9110 11.6.1)


def test_wwwauth_is_multi_valued_and_an_empty_value_resets_it():
    assert git.parse(b'wwwauth[]=Basic realm="a"\nwwwauth[]=Bearer\n').wwwauth == ('Basic realm="a"', "Bearer")
    assert git.parse(b"wwwauth[]=Basic\nwwwauth[]=\nwwwauth[]=Bearer x=1\n").wwwauth == ("Bearer x=1",)


@pytest.mark.parametrize(
    "challenges,offered",
    [
        (["Bearer"], True),
        (['bearer realm="git"'], True),  # scheme names are case-insensitive
        (["BEARER"], True),
        (['Basic realm="x"'], False),
        (['Basic realm="x"', 'Bearer realm="y", error="invalid_token"'], True),
        (['Basic realm="x", Bearer realm="y"'], True),  # two challenges in one header value
        (['Basic realm="a, Bearer b"'], False),  # inside a quoted-string: not a challenge
        (['Basic realm="a\\", Bearer"'], False),  # an escaped quote does not end the string
        (['Basic realm="x", bearer=1'], False),  # an auth-param named bearer is not the scheme
        (["Negotiate abc==, Basic realm=x"], False),
        (["Bearerish"], False),
        (["Basic realm=x,Bearer"], True),
        ([""], False),
    ],
)
def test_offers_scheme(challenges, offered):
    assert offers_scheme(challenges, "Bearer") is offered


def token(**kw):
    base = dict(protocol="https", host="h.example", username="default", authtype="Bearer", profile="default")
    base.update(kw)
    return Credential(**base)


def req(capable=True, wwwauth=()):
    return Credential(
        protocol="https",
        host="h.example",
        wwwauth=tuple(wwwauth),
        capabilities=frozenset({"authtype"} if capable else ()),
    )


@pytest.mark.parametrize(
    "request_,form",
    [
        (req(capable=False), PASSWORD_FORM),  # git before 2.46
        (req(), AUTHTYPE_FORM),  # no challenge given: Bearer
        (req(wwwauth=["Bearer realm=x"]), AUTHTYPE_FORM),
        (req(wwwauth=['Basic realm="git"']), PASSWORD_FORM),  # a Basic-only server gets Basic
        (req(wwwauth=['Basic realm="git"', "Bearer"]), AUTHTYPE_FORM),
    ],
)
def test_a_token_is_bearer_only_where_asked(request_, form):
    assert answer_form(token(), request_) == form
    assert answers(token(), request_)


def test_a_password_credential_is_never_bearer():
    assert answer_form(token(authtype=None), req(wwwauth=["Bearer"])) == PASSWORD_FORM


def test_an_authtype_credential_needs_the_capability_whatever_the_challenges():
    stored = token(authtype="Basic", authtype_only=True)
    assert answer_form(stored, req(capable=False)) is None and not answers(stored, req(capable=False))
    assert answer_form(stored, req(wwwauth=["Bearer"])) == AUTHTYPE_FORM


# ---------------------------------------------------------------------------------------------
# the answer's lines


def lines(answer, request_):
    return git.format_answer(answer, request_).decode().splitlines()


def test_basic_challenge_gets_username_and_password_lines():
    out = lines(token(password="tok-1", credential="tok-1"), req(wwwauth=['Basic realm="git"']))
    assert "username=default" in out and "password=tok-1" in out
    assert not any(line.startswith(("authtype=", "credential=")) for line in out)


def test_bearer_answer_has_authtype_and_credential_and_no_password():
    out = lines(token(password="tok-1", credential="tok-1"), req(wwwauth=["Bearer"]))
    assert "authtype=Bearer" in out and "credential=tok-1" in out and "capability[]=authtype" in out
    assert not any(line.startswith("password=") for line in out)


def test_no_empty_username_line_with_an_authtype_credential():
    stored = token(username="", authtype="Bearer", authtype_only=True, credential="random-token")
    out = lines(stored, req())
    assert not any(line.startswith("username") for line in out)
    # user name + password keep an empty user name: git's "can store empty username"
    assert "username=" in lines(token(username="", authtype=None, password=""), req(capable=False))
