"""The fast path asks gnome-keyring again when it answers that an object or method it always has is
not there (it re-exports its objects now and then), and only then: other errors go to keyring at
once. A scripted Secret Service on a real Unix socket plays the daemon, so the moment is certain."""

import pytest

from truto_credential_helper.secrets import secret_service as ss

from .secret_service_support import ITEM, service  # noqa: F401  (a fixture)


@pytest.mark.parametrize("error", sorted(ss.TRANSIENT_ERRORS))
def test_an_object_missing_for_a_moment_is_asked_again(service, error):
    daemon = service(lambda member, attempt: error if member == "SearchItems" and attempt == 0 else None)
    assert ss.get_password("svc", "default:apiToken", 5) == "the-secret"
    assert len(daemon.connections) == 2
    assert "GetSecret" not in daemon.connections[0]


def test_asked_again_at_most_a_few_times_then_keyring_decides(service):
    daemon = service(
        lambda member, attempt: "org.freedesktop.DBus.Error.UnknownMethod" if member == "SearchItems" else None
    )
    with pytest.raises(ss.Unanswerable):
        ss.get_password("svc", "default:apiToken", 5)
    assert len(daemon.connections) == ss.RETRIES + 1


def test_no_retry_past_the_deadline(service):
    daemon = service(
        lambda member, attempt: "org.freedesktop.DBus.Error.UnknownObject" if member == "ReadAlias" else None
    )
    with pytest.raises(ss.Unanswerable):
        ss.get_password("svc", "default:apiToken", ss.RETRY_PAUSE / 2)
    assert len(daemon.connections) == 1


@pytest.mark.parametrize("error", ["org.freedesktop.Secret.Error.IsLocked", "org.freedesktop.DBus.Error.AccessDenied"])
def test_other_errors_go_to_keyring_at_once(service, error):
    daemon = service(lambda member, attempt: error if member == "SearchItems" else None)
    with pytest.raises(ss.Unanswerable) as failure:
        ss.get_password("svc", "default:apiToken", 5)
    assert not isinstance(failure.value, ss.Transient)
    assert len(daemon.connections) == 1


def test_a_write_refused_for_a_moment_is_made_once_asked_again(service):
    daemon = service(
        lambda member, attempt: (
            "org.freedesktop.DBus.Error.UnknownMethod" if member == "CreateItem" and attempt == 0 else None
        ),
        {"CreateItem": ("oo", (ITEM, "/"))},
    )
    ss.set_password("svc", "default:apiToken", "new-secret", 5)
    assert [calls.count("CreateItem") for calls in daemon.connections] == [1, 1]
