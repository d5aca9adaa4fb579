"""settings.py's one parser of the environment's numbers and choices (pure functions, in-process);
through every command that reads them, and doctor's verdict, in adversarial/test_environment_settings.py."""

import pytest

from truto_credential_helper import settings
from truto_credential_helper.errors import UsageError

CANARY = "tok-canary-5b0f3c1e9a7d2468ace13579"
BAD_SECONDS = ["abc", "", " ", "nan", "NaN", "inf", "-inf", "Infinity", "0", "-1", "1e12", "10s", CANARY]


def test_seconds(monkeypatch):
    monkeypatch.delenv("TRUTO_TIMEOUT", raising=False)
    assert settings.seconds("TRUTO_TIMEOUT") == 10.0
    monkeypatch.setenv("TRUTO_TIMEOUT", "0.25")
    assert settings.seconds("TRUTO_TIMEOUT") == 0.25
    monkeypatch.setenv("TRUTO_TIMEOUT", "86400")
    assert settings.seconds("TRUTO_TIMEOUT") == 86400.0


@pytest.mark.parametrize("bad", BAD_SECONDS)
def test_bad_seconds_are_usage_errors_naming_the_variable_not_the_value(monkeypatch, bad):
    monkeypatch.setenv("TRUTO_LOCK_TIMEOUT", bad)
    with pytest.raises(UsageError) as raised:
        settings.seconds("TRUTO_LOCK_TIMEOUT")
    assert "TRUTO_LOCK_TIMEOUT" in str(raised.value) and raised.value.exit_code == 2
    assert len(bad.strip()) < 4 or bad not in str(raised.value)


@pytest.mark.parametrize("value, expected", [(None, False), ("0", False), ("1", True), (" 1 ", True)])
def test_debug(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("TRUTO_DEBUG", raising=False)
    else:
        monkeypatch.setenv("TRUTO_DEBUG", value)
    assert settings.debug() is expected


@pytest.mark.parametrize("bad", ["", "yes", "true", "2", CANARY])
def test_bad_debug(monkeypatch, bad):
    monkeypatch.setenv("TRUTO_DEBUG", bad)
    with pytest.raises(UsageError) as raised:
        settings.debug()
    assert "TRUTO_DEBUG" in str(raised.value) and CANARY not in str(raised.value)


def test_every_checked_variable_is_documented():
    for name in list(settings.SECONDS) + list(settings.CHOICES):
        assert name in settings.VARIABLES
