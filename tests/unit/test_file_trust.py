"""file_trust.py holds the one rule of whose files truto trusts (owned by this user, or root where
the caller trusts root, and writable by nobody else); check_private (truto's own files),
others_control (a pass store) and secrets/ownership (a Vault socket or token helper) all apply it.
Over made-up stats and a pretended user id, so no file of another user is needed."""

import os
import stat

import pytest

from truto_credential_helper import file_trust
from truto_credential_helper.errors import ConfigError
from truto_credential_helper.secrets.ownership import untrusted_because

ME, OTHER = 4242, 4343
FILE, SOCKET = stat.S_IFREG, stat.S_IFSOCK


def stat_of(kind, mode, uid):
    return os.stat_result((kind | mode, 0, 0, 1, uid, 0, 0, 0, 0, 0))


@pytest.fixture(autouse=True)
def as_me(monkeypatch):
    monkeypatch.setattr(file_trust, "_uid", lambda: ME)


CASES = {  # (kind, mode, owner): trusted by others_control, by others_control(root_too, group_may_write)
    "ours, private": ((FILE, 0o600, ME), True, True),
    "ours, readable by all": ((FILE, 0o644, ME), True, True),
    "ours, group-writable": ((FILE, 0o620, ME), False, False),
    "ours, world-writable": ((FILE, 0o602, ME), False, False),
    "another user's": ((FILE, 0o600, OTHER), False, False),
    "root's": ((FILE, 0o600, 0), False, True),
    "a socket the group may connect to": ((SOCKET, 0o620, ME), False, True),
    "a socket anyone may connect to": ((SOCKET, 0o602, ME), False, False),
}


@pytest.mark.parametrize("case", CASES)
def test_every_caller_applies_the_one_rule(case):
    (kind, mode, uid), trusted, trusted_with_root_and_sockets = CASES[case]
    st = stat_of(kind, mode, uid)
    assert (file_trust.others_control("/p", st) is None) == trusted
    lenient = file_trust.others_control("/p", st, root_too=True, group_may_write=stat.S_ISSOCK(kind))
    assert (lenient is None) == trusted_with_root_and_sockets
    if trusted:
        file_trust.check_private("/p", st)
    else:
        with pytest.raises(ConfigError, match="^/p: "):
            file_trust.check_private("/p", st)


def test_each_says_what_is_wrong_and_its_fix():
    what, fix = file_trust.others_control("/p", stat_of(FILE, 0o600, OTHER))
    assert what == f"is owned by uid {OTHER}, not by you (uid {ME})" and fix.endswith(f"`chown {ME} /p`")
    what, _ = file_trust.others_control("/p", stat_of(FILE, 0o600, OTHER), root_too=True)
    assert what == f"is owned by another user (uid {OTHER}), not by you (uid {ME}) or root"
    what, fix = file_trust.others_control("/p", stat_of(FILE, 0o660, ME))
    assert what == "is writable by other users (mode 0660)" and fix.endswith("`chmod go-w /p`")
    with pytest.raises(ConfigError, match=r"writable by other users \(mode 0660\).*`chmod 600 /p`"):
        file_trust.check_private("/p", stat_of(FILE, 0o660, ME))  # our own files are never for others to read


def test_ownership_words_the_rule_for_a_file_and_its_directory(tmp_path, monkeypatch):
    monkeypatch.setattr(file_trust, "_uid", os.geteuid)  # the test's files are ours
    helper = tmp_path / "helper"
    helper.write_text("")
    helper.chmod(0o600)
    assert untrusted_because(str(helper)) is None
    helper.chmod(0o620)
    assert untrusted_because(str(helper)) == "is writable by other users (mode 0620)"
    helper.chmod(0o600)
    tmp_path.chmod(0o777)
    assert untrusted_because(str(helper)) == f"is in {tmp_path}, which is writable by other users (mode 0777)"
    tmp_path.chmod(0o1777)  # sticky: only root's, as /tmp, keeps others from replacing what they do not own
    expected = None if os.geteuid() == 0 else f"is in {tmp_path}, which is writable by other users (mode 1777)"
    assert untrusted_because(str(helper)) == expected
    tmp_path.chmod(0o700)
