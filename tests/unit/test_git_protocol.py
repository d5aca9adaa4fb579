"""git's key=value format and docker's JSON format: pure parse/format functions, plain unit tests."""

import io
import json

import pytest

from truto_credential_helper.credential import Credential
from truto_credential_helper.errors import TrutoError
from truto_credential_helper.protocols import docker, git


def test_parse_reads_the_attributes_git_sends():
    req = git.parse(
        b"protocol=https\nhost=API.Truto.one:443\npath=/repo.git/\nusername=alice\npassword=pw\n"
        b"password_expiry_utc=1700000000\noauth_refresh_token=rt\nprofile=staging\n\n"
    )
    assert (req.protocol, req.host, req.path, req.username, req.password) == (
        "https",
        "api.truto.one",
        "repo.git",
        "alice",
        "pw",
    )
    assert (req.password_expiry_utc, req.oauth_refresh_token, req.profile) == (1700000000, "rt", "staging")


def test_parse_keeps_empty_values_and_ignores_unknown_keys():
    req = git.parse(b"protocol=https\nhost=h\nusername=\npassword=\nwwwauth[]=Basic realm=x\nstate[]=a\nfuture_key=1\n")
    assert req.username == "" and req.password == ""
    assert req.host == "h"


def test_parse_stops_at_the_blank_line():
    req = git.parse(b"protocol=https\nhost=h\n\nusername=ignored\nno equals here\n")
    assert req.username is None


def test_capabilities_are_multi_valued_and_an_empty_value_resets_them():
    assert git.parse(b"capability[]=authtype\ncapability[]=state\n").capabilities == {"authtype", "state"}
    assert git.parse(b"capability[]=authtype\ncapability[]=\ncapability[]=state\n").capabilities == {"state"}


def test_ephemeral_and_expiry_parse_as_git_does():
    assert git.parse(b"ephemeral=1\n").ephemeral and git.parse(b"ephemeral=true\n").ephemeral
    assert not git.parse(b"ephemeral=0\n").ephemeral
    assert git.parse(b"password_expiry_utc=junk\n").password_expiry_utc is None  # git: never expires
    assert git.parse(b"password_expiry_utc=0\n").password_expiry_utc is None


def test_url_attribute_replaces_the_description():
    req = git.parse(b"host=old\nurl=https://bob@H.example:8443/a/b\n")
    assert (req.protocol, req.host, req.path, req.username) == ("https", "h.example:8443", "a/b", "bob")


@pytest.mark.parametrize(
    "data,fragment",
    [
        (b"protocol=https\nhost\n", "no '='"),
        (b"protocol=https\nhost=a\rb\n", "carriage return"),
        (b"protocol=https\r\nhost=a\n", "carriage return"),
        (b"protocol=https\nhost=a\0b\n", "NUL"),
        (b"host=\xff\xfe\n", "UTF-8"),
    ],
)
def test_parse_refuses_malformed_requests(data, fragment):
    with pytest.raises(git.RequestError) as e:
        git.parse(data)
    assert fragment in str(e.value)
    assert e.value.exit_code == 2


def test_errors_never_echo_a_value():
    with pytest.raises(git.RequestError) as e:
        git.parse(b"password=s3cret\rinjected=1\n")
    assert "s3cret" not in str(e.value)


def test_read_request_stops_at_blank_line_without_waiting_for_eof():
    stream = io.BytesIO(b"protocol=https\nhost=h\n\nleft for later\n")
    assert git.read_request(stream) == b"protocol=https\nhost=h\n\n"
    assert stream.read() == b"left for later\n"


def test_read_request_refuses_more_than_the_cap_without_reading_it_all():
    stream = io.BytesIO(b"k=" + b"x" * 200 + b"\n")
    with pytest.raises(git.RequestError):
        git.read_request(stream, limit=100)
    assert stream.tell() <= 101  # read at most limit + 1 bytes
    assert git.read_request(io.BytesIO(b"k=" + b"x" * 97 + b"\n"), limit=100)  # exactly at the cap: fine


def answer(**kw):
    base = dict(protocol="https", host="api.truto.one", username="default", password="tok", profile="default")
    base.update(kw)
    return Credential(**base)


def lines(data):
    return data.decode().splitlines()


def test_format_username_password_for_a_client_without_authtype():
    out = lines(
        git.format_answer(
            answer(authtype="Bearer", credential="tok"), git.parse(b"protocol=https\nhost=api.truto.one\n")
        )
    )
    assert out == ["protocol=https", "host=api.truto.one", "username=default", "password=tok"]


def test_format_bearer_for_a_client_with_the_authtype_capability():
    req = git.parse(b"capability[]=authtype\nprotocol=https\nhost=api.truto.one\n")
    out = lines(git.format_answer(answer(authtype="Bearer", credential="tok"), req))
    assert out[0] == "capability[]=authtype"
    assert "authtype=Bearer" in out and "credential=tok" in out
    assert not any(line.startswith("password=") for line in out)


def test_format_password_credential_stays_username_password_even_with_capability():
    req = git.parse(b"capability[]=authtype\nprotocol=https\nhost=api.truto.one\n")
    out = lines(git.format_answer(answer(), req))
    assert "password=tok" in out and not any(line.startswith("authtype=") for line in out)


def test_format_expiry_refresh_token_and_empty_values():
    out = lines(
        git.format_answer(
            answer(username="", password="", password_expiry_utc=123, oauth_refresh_token="rt"),
            git.parse(b"protocol=https\nhost=api.truto.one\n"),
        )
    )
    assert out[2:] == ["username=", "password=", "password_expiry_utc=123", "oauth_refresh_token=rt"]


def test_format_an_empty_request_names_the_whole_origin():
    out = lines(git.format_answer(answer(path="v1"), git.parse(b"")))
    assert out[:3] == ["protocol=https", "host=api.truto.one", "path=v1"]


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\0b"])
def test_format_refuses_values_that_would_inject_lines(bad):
    with pytest.raises(TrutoError) as e:
        git.format_answer(answer(password=bad), git.parse(b"protocol=https\nhost=api.truto.one\n"))
    assert bad not in str(e.value)


# ---------------------------------------------------------------------------------------------
# docker


@pytest.mark.parametrize(
    "url",
    ["api.truto.one", "https://api.truto.one", "https://api.truto.one/", "api.truto.one/", "https://API.truto.one:443"],
)
def test_docker_server_url_forms_name_the_same_origin(url):
    assert docker.origin_of(url) == ("https", "api.truto.one", None)


def test_docker_server_url_keeps_port_path_and_an_explicit_http():
    assert docker.origin_of("127.0.0.1:5000") == ("https", "127.0.0.1:5000", None)
    assert docker.origin_of("http://127.0.0.1:5000/") == ("http", "127.0.0.1:5000", None)
    assert docker.origin_of("https://index.docker.io/v1/") == ("https", "index.docker.io", "v1")


def test_docker_parse_store_and_standard_messages():
    url, cred = docker.parse_store(b'{"ServerURL": "h:5000", "Username": "u", "Secret": "s", "Extra": 1}')
    assert url == "h:5000" and (cred.host, cred.username, cred.password) == ("h:5000", "u", "s")
    _, cred = docker.parse_store(
        b'{"serverurl": "h", "username": "u", "secret": "s"}'
    )  # Go decodes keys case-insensitively
    assert cred.username == "u"
    for doc, message in [
        ({"Username": "u", "Secret": "s"}, "no credentials server URL"),
        ({"ServerURL": "h", "Secret": "s"}, "no credentials username"),
        ({"ServerURL": "h", "Username": "", "Secret": "s"}, "no credentials username"),
    ]:
        with pytest.raises(docker.DockerError) as e:
            docker.parse_store(json.dumps(doc).encode())
        assert str(e.value) == message


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[1]",
        b'{"ServerURL": 5, "Username": "u"}',
        b"\xff",
        b'{"ServerURL": "h", "Username": "u", "Secret": "a\\nb"}',
    ],
)
def test_docker_parse_store_refuses_bad_input(data):
    with pytest.raises(docker.DockerError):
        docker.parse_store(data)


def test_docker_get_input_and_output():
    url, [req] = docker.parse_server_url(b"  https://h.example/ \n")
    assert url == "https://h.example/" and (req.protocol, req.host) == ("https", "h.example")
    assert docker.parse_server_url(b"ftp://h")[1] == []  # not ours: found nowhere, not an error
    with pytest.raises(docker.DockerError, match="no credentials server URL"):
        docker.parse_server_url(b"  \n")
    assert json.loads(docker.format_get("h", "u", "s")) == {"ServerURL": "h", "Username": "u", "Secret": "s"}


def test_docker_read_input_cap():
    with pytest.raises(docker.DockerError):
        docker.read_input(io.BytesIO(b"x" * 101), limit=100)
    assert docker.read_input(io.BytesIO(b"x" * 100), limit=100) == b"x" * 100
