"""The one sanitiser of untrusted text (untrusted.py), a pure function: secrets held by the process
redacted in any letter case, escapes and control characters removed, the length capped. The same
rules end to end, against a hostile server, are in adversarial/test_untrusted_text.py."""

import secrets

import pytest


def new_canary():
    return "tok-canary-" + secrets.token_hex(12)


@pytest.fixture
def untrusted():
    from truto_credential_helper import untrusted

    held = set(untrusted._held)
    yield untrusted
    untrusted._held.clear()
    untrusted._held.update(held)


def test_clean_redacts_every_held_secret_in_any_case(untrusted):
    token, key = new_canary(), "sk-ant-" + new_canary()
    untrusted.hold(token)
    untrusted.hold(key)
    for text in (
        token,
        token.upper(),
        token.swapcase(),
        f"x{key.upper()}y",
        f"{token[:9]}\x1b[0m{token[9:]}",
        f"{key[:5]}\u202e{key[5:]}",
        f"{token[:3]}\x00{token[3:]}",
    ):
        out = untrusted.clean(f"before {text} after")
        assert token.lower() not in out.lower() and key.lower() not in out.lower(), out
        assert out.startswith("before ") and out.endswith(" after"), out


def test_clean_redacts_the_environment_token(untrusted, monkeypatch):
    token = new_canary()
    monkeypatch.setenv("TRUTO_API_TOKEN", token)
    assert token not in untrusted.clean(f"a {token.upper()} b").upper()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("\x1b[31mred\x1b[0m", "red"),
        ("\x1b]0;title\x07after", "after"),
        ("\x9b2Jcleared", "cleared"),
        ("over\rwrite", "over write"),
        ("a\u202eb\u2066c\u200bd\ufeffe", "abcde"),
        ("tab\there\nnew line", "tab here new line"),
        ("nul\x00del\x7fc1\x85", "nuldelc1"),
    ],
)
def test_clean_strips_escapes_and_controls(untrusted, text, expected):
    assert untrusted.clean(text) == expected


def test_clean_caps_the_length(untrusted):
    out = untrusted.clean("y" * 100000)
    assert len(out) == untrusted.LIMIT + 3 and out.endswith("...")
    assert untrusted.clean("y" * 100000, limit=None) == "y" * 100000


def test_clean_keeps_lines_of_a_traceback(untrusted):
    assert untrusted.clean("one\n\x1b[1mtwo\r\n", limit=None, one_line=False) == "one\ntwo\n"


def test_masked_shows_at_most_the_last_four_and_the_length(untrusted):
    assert untrusted.masked("tok-canary-0123456789abcdef") == "'****cdef' (27 characters)"
    assert untrusted.masked("prod") == "'****' (4 characters)"
    assert untrusted.masked("") == "'(empty)' (0 characters)"


def test_a_secret_is_matched_as_the_cleaning_leaves_it_and_in_full_case_mappings(untrusted):
    """A held secret with a character the cleaning removes (a token file's newline, a zero-width
    character of its own) still meets its echo once cleaned; so does a secret whose upper case is
    longer than itself ('ß' is 'SS'), which IGNORECASE alone does not match."""
    with_invisible, with_newline, german = (
        new_canary() + "\u200bend",
        " " + new_canary() + "\n",
        "straße-" + new_canary(),
    )
    for secret in (with_invisible, with_newline, german):
        untrusted.hold(secret)
    for echo in (with_invisible.replace("\u200b", ""), with_newline.strip().upper(), german.upper(), german.casefold()):
        out = untrusted.clean(f"before {echo[:7]}\x1b[0m{echo[7:]} after")
        assert echo.lower()[-12:] not in out.lower(), (echo, out)


@pytest.mark.parametrize(
    "name", ["TRUTO_API_TOKEN", "VAULT_TOKEN", "TRUTO_VAULT_SECRET_ID", "TRUTO_VAULT_ROLE_ID", "TRUTO_VAULT_JWT"]
)
def test_every_variable_holding_a_secret_is_held_from_the_start(untrusted, monkeypatch, name):
    token = new_canary()
    monkeypatch.setenv(name, token)
    out = untrusted.clean(f"a {token[:5]}\u200b{token[5:].upper()} b")
    assert token[-12:] not in out.lower() and out.startswith("a ") and out.endswith(" b"), out


def test_a_cap_never_leaves_the_start_of_a_secret(untrusted):
    """The length is capped after redaction: a secret straddling the cap is masked, not cut into a
    prefix that no longer matches (Vault's error text once was cut before it was cleaned)."""
    from truto_credential_helper.secrets.vault_http import Answer, vault_message

    token = new_canary()
    untrusted.hold(token)
    said = vault_message(Answer(400, {"errors": ["x" * 190 + token.upper()]}, "http://127.0.0.1:1"))
    assert token[:8].lower() not in said.lower(), said
    sent = new_canary()  # what a login sent that is not held (a role): redacted in this message only
    said = vault_message(Answer(400, {"errors": [f"role {sent[:6]}\u200b{sent[6:]} not found"]}, "a"), scrub=(sent,))
    assert sent not in said and sent not in untrusted.secrets(), said
