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
