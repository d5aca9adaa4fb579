"""Deep nesting: every parser of outside data refuses a document nested beyond its bound with the
documented one-line error (never `internal error (RecursionError)`), through the installed console
scripts: config.json, credentials.json, a standalone Truto CLI config, docker's config.json, the
docker helper's `store` request, an API answer. The D-Bus reply decoder, which falls back to keyring
on anything it cannot read, is fed hostile bytes in-process."""

import json
import os
import struct

import pytest
from cli_support import offline_login
from conftest import BIN

from truto_credential_helper import jsondepth
from truto_credential_helper.secrets import secret_service

from . import hostile as h
from .conftest import assert_clean_error, git_input

VERY_DEEP = 100_000  # far past Python's recursion limit
DEEPER_THAN_THE_BOUND = jsondepth.MAX_DEPTH + 1  # parses in Python, but breaks what walks the result


def nested_object(depth, leaf='"x"'):
    return '{"a":' * depth + leaf + "}" * depth


def nested_array(depth):
    return "[" * depth + "]" * depth


def deep_profiles(depth):
    """A config.json whose profile is valid up to one setting nested `depth` levels deep."""
    return (
        '{"version": 1, "activeProfile": "default", "profiles": {"default": {"apiUrl": "https://api.truto.one",'
        ' "secretStore": "keyring", "secrets": [], "extra": ' + nested_object(depth) + "}}}"
    )


GIT_GET = git_input(protocol="https", host="api.truto.one")
CONFIG_COMMANDS = {
    "profiles-list": (["truto", "profiles", "list"], None, "stderr"),
    "whoami": (["truto", "whoami"], None, "stderr"),
    "git-get": (["git-credential-truto", "get"], GIT_GET, "stderr"),
    "docker-get": (["docker-credential-truto", "get"], "https://api.truto.one", "stdout"),
    "migrate": (["truto", "auth", "migrate"], None, "stderr"),
}


@pytest.mark.parametrize("command", sorted(CONFIG_COMMANDS))
@pytest.mark.parametrize(
    "document",
    [
        deep_profiles(VERY_DEEP),
        deep_profiles(DEEPER_THAN_THE_BOUND),
        nested_array(VERY_DEEP),
        "[" * VERY_DEEP,  # not even balanced: the decoder would still descend all the way
    ],
    ids=["object-100000", "object-65", "array-100000", "unbalanced-100000"],
)
def test_deep_config_json_is_a_one_line_config_error(run, env, config_dir, command, document):
    config_dir.mkdir(mode=0o700)
    path = config_dir / "config.json"
    path.write_text(document)
    os.chmod(path, 0o600)
    argv, data, where = CONFIG_COMMANDS[command]
    proc = run(BIN / argv[0], *argv[1:], input=data)
    line = assert_clean_error(proc, where=where, mentions=[str(path), "nested more than"])
    assert proc.returncode == 1, line  # exit codes: config.json unreadable or invalid
    assert path.read_text() == document, "the file was changed"


def test_deep_legacy_config_is_refused_by_every_reader(run, env, config_dir):
    """A standalone Truto CLI config (no `version`, secrets inline) with a deep value: refused the same
    way by a read (the read-only conversion) and by `truto auth migrate`, nothing moved."""
    config_dir.mkdir(mode=0o700)
    path = config_dir / "config.json"
    document = (
        '{"activeProfile": "default", "profiles": {"default": {"apiUrl": "https://api.truto.one",'
        ' "apiToken": ' + nested_array(VERY_DEEP) + "}}}"
    )
    path.write_text(document)
    for argv, data in (
        (["truto", "auth", "migrate"], None),
        (["git-credential-truto", "get"], GIT_GET),
        (["truto", "profiles", "list"], None),
    ):
        proc = run(BIN / argv[0], *argv[1:], input=data)
        assert_clean_error(proc, code=1, mentions=[str(path), "nested more than"])
    assert path.read_text() == document


@pytest.mark.parametrize("depth", [VERY_DEEP, DEEPER_THAN_THE_BOUND])
def test_deep_credentials_json_is_a_one_line_config_error(run, env, config_dir, depth):
    offline_login(run, "plain", "tok-insecure-123456", "--insecure-storage")
    creds = config_dir / "credentials.json"
    creds.write_text('{"profiles": {"plain": {"apiToken": "tok-insecure-123456"}}, "x": ' + nested_object(depth) + "}")
    for argv, data in ((["git-credential-truto", "get"], GIT_GET), (["truto", "auth", "token", "-p", "plain"], None)):
        proc = run(BIN / argv[0], *argv[1:], input=data)
        line = assert_clean_error(proc, code=1, mentions=[str(creds), "nested more than"])
        assert "tok-insecure-123456" not in line + proc.stdout


@pytest.mark.parametrize(
    "request_text",
    [
        '{"ServerURL": "https://r.example", "Username": "u", "Secret": "s", "x": ' + nested_array(VERY_DEEP) + "}",
        '{"ServerURL": "https://r.example", "Username": "u", "Secret": "s", "x": '
        + nested_object(DEEPER_THAN_THE_BOUND)
        + "}",
        "[" * VERY_DEEP,
    ],
    ids=["array-100000", "object-65", "unbalanced-100000"],
)
def test_deep_docker_store_request_is_docker_s_one_line_error(run, config_dir, request_text):
    proc = run(BIN / "docker-credential-truto", "store", input=request_text)
    # docker reads a helper's error from stdout; docker's helpers always exit 1.
    assert_clean_error(proc, code=1, where="stdout", mentions=["not valid JSON", "nested more than"])
    assert not (config_dir / "config.json").exists(), "something was stored"


def test_deep_docker_config_json_is_refused_by_setup_docker(run, env, tmp_path, config_dir):
    offline_login(run, "p", "tok-x-123456789")
    docker_config = tmp_path / "docker-config"
    docker_config.mkdir()
    document = '{"auths": {}, "x": ' + nested_object(VERY_DEEP) + "}"
    (docker_config / "config.json").write_text(document)
    proc = run(BIN / "truto", "auth", "setup-docker", "-p", "p")
    assert_clean_error(proc, code=1, mentions=[str(docker_config / "config.json"), "JSON"])
    assert (docker_config / "config.json").read_text() == document


@pytest.mark.parametrize(
    "body",
    [
        nested_array(VERY_DEEP).encode(),
        ('{"id": "team_7f3a", "name": "Team", "x": ' + nested_object(DEEPER_THAN_THE_BOUND) + "}").encode(),
    ],
    ids=["array-100000", "object-65"],
)
def test_deep_api_answer_is_exit_5(run, env, hostile, canary, body):
    server = hostile(h.reply(200, raw=body))
    for argv in (
        ["truto", "whoami", "--token", canary, "--api-url", server.url],
        ["truto", "login", "--token", canary, "--api-url", server.url, "--profile-name", "p", "-f"],
    ):
        proc = run(BIN / argv[0], *argv[1:])
        line = assert_clean_error(proc, code=5)  # exit codes: API answer malformed
        assert canary not in line + proc.stdout


# ---------------------------------------------------------------------------------------------
# The D-Bus reply decoder (in-process: its input is a byte string)


def reply_with_body(signature, body):
    """A method return message (answering serial 1) whose body is `body`, of type `signature`."""
    head = bytearray(b"l\x02\x00\x01" + struct.pack("<II", len(body), 7))
    secret_service.marshal(head, "a(yv)", [(5, ("u", 1)), (8, ("g", signature))])
    head += b"\0" * (-len(head) % 8)
    return bytes(head) + body


def nested_variants(depth):
    # A variant holding a variant holding ... a byte: each level is the signature "v".
    return b"\x01v\x00" * depth + b"\x01y\x00\x07"


@pytest.mark.parametrize("depth", [VERY_DEEP, secret_service.MAX_NESTING + 1])
def test_deep_dbus_variants_are_unanswerable(depth):
    data = reply_with_body("v", nested_variants(depth))
    size, order, kind, header_len = secret_service.frame(data)
    with pytest.raises(secret_service.Unanswerable, match="nested"):
        secret_service.parse_reply(data, order, header_len)


def test_dbus_nesting_within_the_bound_is_read():
    data = reply_with_body("v", nested_variants(secret_service.MAX_NESTING - 1))
    size, order, kind, header_len = secret_service.frame(data)
    _fields, body = secret_service.parse_reply(data, order, header_len)
    value, depth = body[0], 0
    while isinstance(value, tuple):
        value, depth = value[1], depth + 1
    assert (value, depth) == (7, secret_service.MAX_NESTING)


def test_deep_dbus_arrays_are_unanswerable():
    # Signatures are at most 255 bytes: 200 nested arrays is the deepest a signature can say.
    signature = "a" * 200 + "y"
    body = struct.pack("<I", 4) * 200  # each array 4 bytes long: the next array's length word
    data = reply_with_body(signature, body)
    size, order, kind, header_len = secret_service.frame(data)
    with pytest.raises(secret_service.Unanswerable, match="nested"):
        secret_service.parse_reply(data, order, header_len)


# ---------------------------------------------------------------------------------------------
# The bound itself (pure function)


@pytest.mark.parametrize(
    "text, depth",
    [
        ("1", 0),
        ("[]", 1),
        ("{}", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('["[[[[", "\\"[[["]', 1),
        ("[[], [[]], [[[]]]]", 4),
        ('"\\\\"', 0),
        ('["\\\\", [[]]]', 3),
    ],
)
def test_depth_exceeds_is_exact_for_json(text, depth):
    assert json.loads(text) is not None or text == "null"
    assert not jsondepth.depth_exceeds(text, depth)
    assert jsondepth.depth_exceeds(text, depth - 1) or depth == 0


def test_loads_takes_bytes_in_any_json_encoding():
    doc = {"a": ["ü", {"b": None}]}
    for encoding in ("utf-8", "utf-16", "utf-32", "utf-8-sig"):
        assert jsondepth.loads(json.dumps(doc, ensure_ascii=False).encode(encoding)) == doc


def test_too_deep_is_a_value_error_with_msg():
    with pytest.raises(ValueError) as e:
        jsondepth.loads("[" * 70 + "]" * 70)
    assert e.value.msg == f"nested more than {jsondepth.MAX_DEPTH} levels deep"
