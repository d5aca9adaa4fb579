"""A password store another user controls is refused before pass runs: the config directory's rule
(owned by another uid, or writable by group or others) applied to the store directory, each folder
down to the entry, the .gpg-id pass encrypts to and the entry file read. The rule in-process, pass
never started; the real pass and gpg in test_pass_store.py."""

import os

import pytest

from truto_credential_helper.errors import SecretStoreUnavailable
from truto_credential_helper.secrets import pass_store
from truto_credential_helper.secrets.pass_store import PassStore, diagnose, entry_name


@pytest.fixture
def store(tmp_path, monkeypatch, config_dir):
    """A private store (as `pass init` leaves one: 0700 folders, 0600 files) holding one entry, and
    pass replaced by a recorder: what reached it is in store.calls."""
    root = tmp_path / "password-store"
    root.mkdir(mode=0o700)
    (root / ".gpg-id").write_text("0123456789ABCDEF\n")
    entry = entry_name(str(config_dir), "default", "apiToken")
    path = root / (entry + ".gpg")
    path.parent.mkdir(mode=0o700, parents=True)
    for folder in (root / "truto", path.parent.parent, path.parent):
        folder.chmod(0o700)
    path.write_bytes(b"encrypted")
    for f in (root / ".gpg-id", path):
        f.chmod(0o600)
    monkeypatch.setenv("PASSWORD_STORE_DIR", str(root))
    calls = []

    def fake_pass(args, data, action):
        calls.append(args[0])
        return b"tok-1\n"

    monkeypatch.setattr(pass_store, "run_pass", fake_pass)
    s = PassStore(str(config_dir))
    s.root, s.entry_file, s.calls = root, path, calls
    return s


def targets(s):
    return {
        "store directory": s.root,
        "a folder on the way": s.root / "truto",
        "the entry's folder": s.entry_file.parent,
        ".gpg-id": s.root / ".gpg-id",
        "the entry file": s.entry_file,
    }


def test_a_private_store_is_used(store):
    assert store.get("default", "apiToken") == "tok-1"
    store.set("default", "apiToken", "tok-2")
    store.delete("default", "apiToken")
    assert store.calls == ["show", "insert", "rm"]
    assert store.names() == [("default", "apiToken")]


def others_own(path):
    if os.geteuid() != 0:
        pytest.skip("giving a file to another uid needs root")
    os.chown(path, 65534, 65534)


TAMPERING = {
    "writable by others": lambda p: p.chmod(p.stat().st_mode | 0o002),
    "writable by the group": lambda p: p.chmod(p.stat().st_mode | 0o020),
    "owned by another uid": others_own,
}


@pytest.mark.parametrize("how", sorted(TAMPERING))
@pytest.mark.parametrize(
    "what", ["store directory", "a folder on the way", "the entry's folder", ".gpg-id", "the entry file"]
)
def test_a_store_another_user_controls_is_refused_before_pass_runs(store, what, how):
    target = targets(store)[what]
    TAMPERING[how](target)
    operations = {
        "read": lambda: store.get("default", "apiToken"),
        "write": lambda: store.set("default", "apiToken", "tok-2"),
        "delete": lambda: store.delete("default", "apiToken"),
        "list": store.names,
    }
    for name, operation in operations.items():
        if what == "the entry file" and name != "read":
            continue  # only a read reads the entry file; pass writes and deletes it whole
        if what == "the entry's folder" and name == "list":
            continue  # listing reads names down to the namespace, never an entry's contents
        with pytest.raises(SecretStoreUnavailable) as refused:
            operation()
        line = str(refused.value)
        assert line.startswith(f"{target}: ") and "another user controls" in line, (name, line)
        assert ("chown" if how == "owned by another uid" else "chmod go-w") in line and "\n" not in line
        assert "PASSWORD_STORE_DIR" in line
    assert store.calls == []


def test_doctor_says_which_path_others_control(store, config_dir, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/" + name)
    store.root.chmod(0o777)
    ((problem, fix),) = diagnose(str(config_dir))
    assert problem.startswith(str(store.root)) and "another user controls" in problem
    assert f"chmod go-w {store.root}" in fix
