"""A standalone Truto CLI config.json (secrets inline, read-only until `truto auth migrate`) is held
to the same rules as any config.json: the schema's profile names, an apiUrl every command accepts
(https/http, no user info, a valid port), and an inline secret that is one printable word. A file
that breaks one is refused by every command with one line naming the file, nothing sent, nothing
stored, the secret never shown."""

import json
import os

import pytest
from conftest import BIN

from .conftest import assert_clean_error, assert_no_secret, git_input, new_canary


def write_legacy(config_dir, doc):
    config_dir.mkdir(mode=0o700, exist_ok=True)
    path = config_dir / "config.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f)
    return path.read_bytes()


def hostile_doc(kind, url, token):
    """A legacy file with one hostile value, the rest well-formed; the profile that carries it
    and the URL a client would ask for."""
    name, profile, active = "work", {"apiUrl": url, "apiToken": token}, None
    host = url.split("://", 1)[1]
    if kind == "name with a newline":
        name = "work\nhost=evil.example"
    elif kind == "name ending in a newline":
        name = "work\n"
    elif kind == "name with ../":
        name = "../../escape"
    elif kind == "active profile with a newline":
        active = "work\n"
    elif kind == "apiUrl with user info":
        profile["apiUrl"] = f"http://user:pw@{host}"
    elif kind == "apiUrl ftp":
        profile["apiUrl"] = f"ftp://{host}"
    elif kind == "apiUrl port out of range":
        profile["apiUrl"] = "http://127.0.0.1:99999"
    elif kind == "apiUrl ending in a newline":
        profile["apiUrl"] = url + "\n"
    elif kind == "token with a newline":
        profile["apiToken"] = token + "\nusername=evil"
    elif kind == "token with an escape":
        profile["apiToken"] = token + "\x1b[2J"
    elif kind == "default account with a newline":
        profile["defaultIntegratedAccount"] = "acct\nx"
    elif kind == "byok key with a newline":
        profile["anthropicApiKey"] = "sk-ant-" + token + "\nx"
    doc = {"profiles": {name: profile}}
    if active is not None:
        doc["activeProfile"] = active
    return doc


KINDS = [
    "name with a newline",
    "name ending in a newline",
    "name with ../",
    "active profile with a newline",
    "apiUrl with user info",
    "apiUrl ftp",
    "apiUrl port out of range",
    "apiUrl ending in a newline",
    "token with a newline",
    "token with an escape",
    "byok key with a newline",
    "default account with a newline",
]


def commands(url):
    host = url.split("://", 1)[1]
    return {
        "whoami": ([BIN / "truto", "whoami"], None, "stderr"),
        "profiles-list": ([BIN / "truto", "profiles", "list"], None, "stderr"),
        "auth-token": ([BIN / "truto", "auth", "token", "-p", "work"], None, "stderr"),
        "git-get": ([BIN / "git-credential-truto", "get"], git_input(protocol="http", host=host), "stderr"),
        "git-get-empty": ([BIN / "git-credential-truto", "get"], "\n", "stderr"),
        "docker-get": ([BIN / "docker-credential-truto", "get"], url, "stdout"),
        "migrate": ([BIN / "truto", "auth", "migrate"], None, "stderr"),
    }


@pytest.fixture
def recorder(hostile):
    from . import hostile as h

    return hostile(h.team())


@pytest.mark.parametrize("command", sorted(commands("http://h")))
@pytest.mark.parametrize("kind", KINDS)
def test_hostile_legacy_config_is_refused(run, config_dir, recorder, kind, command):
    token = new_canary()
    original = write_legacy(config_dir, hostile_doc(kind, recorder.url, token))
    argv, data, where = commands(recorder.url)[command]
    p = run(*argv, input=data)
    assert_clean_error(p, code=1, where=where, mentions=["config.json"])
    assert_no_secret(token, p.stdout, p.stderr)
    assert recorder.requests == [], "a request went out on a legacy file that breaks the rules"
    assert (config_dir / "config.json").read_bytes() == original
    from conftest import keyring_items

    assert keyring_items(f"truto:{config_dir}") == [], "a secret was stored from a refused file"


def test_the_rules_do_not_refuse_a_well_formed_legacy_file(run, config_dir, recorder):
    token = new_canary()
    write_legacy(
        config_dir,
        {
            "activeProfile": "work",
            "profiles": {
                "work": {"apiUrl": recorder.url + "/", "apiToken": token, "anthropicApiKey": "sk-ant-" + token[-8:]},
                "a.b@c+d-e_f": {"apiToken": token + "x"},
            },
        },
    )
    p = run(BIN / "git-credential-truto", "get", input=git_input(protocol="http", host=recorder.url.split("://")[1]))
    assert p.returncode == 0 and f"password={token}\n" in p.stdout, p.stderr


@pytest.mark.parametrize(
    "key,value", [("authtype", "Bearer\n"), ("username", "u\r\npassword=x"), ("dockerServerUrl", "https://h\x1b[2J")]
)
def test_a_control_character_in_any_setting_of_todays_format_is_refused(run, config_dir, recorder, key, value):
    """Not legacy, but the same gap: the schema's `$` and settings without a pattern let it in."""
    token = new_canary()
    settings = {"apiUrl": recorder.url, "secretStore": "file", "secrets": ["apiToken"], key: value}
    if key == "authtype":
        settings["credentialType"] = "authtype"
    write_legacy(config_dir, {"version": 1, "profiles": {"work": settings}})
    creds = config_dir / "credentials.json"
    creds.write_text(json.dumps({"profiles": {"work": {"apiToken": token}}}))
    os.chmod(creds, 0o600)
    host = recorder.url.split("://", 1)[1]
    p = run(BIN / "git-credential-truto", "get", input=git_input(protocol="http", host=host, capability="authtype"))
    assert_clean_error(p, code=1, mentions=["config.json", key])
    assert_no_secret(token, p.stdout, p.stderr)
