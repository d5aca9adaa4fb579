"""Whether a keyring plugin is installed is remembered in the config directory against each sys.path
directory's mtime: installing or removing a distribution changes that mtime, and the scan runs again;
nothing is remembered while a directory may still be being installed into."""

import os
import sys
import time

import pytest

from truto_credential_helper.errors import ConfigError
from truto_credential_helper.secrets import secret_service as ss

PLUGIN = b"[keyring.backends]\nmine = my_keyring_plugin.backend\n"
OLD = time.time() - 3600


@pytest.fixture
def path_dirs(tmp_path, monkeypatch):
    dirs = [tmp_path / "site-a", tmp_path / "site-b"]
    for d in dirs:
        d.mkdir()
        os.utime(d, (OLD, OLD))
    monkeypatch.setattr(sys, "path", [str(d) for d in dirs])
    return dirs


@pytest.fixture
def config_dir(tmp_path):
    d = tmp_path / "config"
    d.mkdir(mode=0o700)
    return d


@pytest.fixture
def scans(monkeypatch):
    count = []
    real = ss.keyring_plugin_installed
    monkeypatch.setattr(ss, "keyring_plugin_installed", lambda: count.append(1) or real())
    return count


def install(directory, name, entry_points=None, when=OLD):
    dist = directory / f"{name}-1.0.dist-info"
    dist.mkdir()
    if entry_points is not None:
        (dist / "entry_points.txt").write_bytes(entry_points)
    os.utime(directory, (when, when))


def test_remembered_then_answered_without_a_scan(path_dirs, config_dir, scans):
    install(path_dirs[0], "plain", b"[console_scripts]\nx = y:z\n")
    assert ss.plugin_installed(str(config_dir)) is False
    assert ss.plugin_installed(str(config_dir)) is False
    assert len(scans) == 1
    assert oct((config_dir / ss.PLUGIN_MEMO_NAME).stat().st_mode & 0o777) == "0o600"


def test_a_plugin_installed_later_is_seen(path_dirs, config_dir, scans):
    assert ss.plugin_installed(str(config_dir)) is False
    install(path_dirs[1], "my-keyring-plugin", PLUGIN, when=OLD + 60)
    assert ss.plugin_installed(str(config_dir)) is True
    assert ss.plugin_installed(str(config_dir)) is True
    assert len(scans) == 2


def test_a_plugin_removed_later_is_seen(path_dirs, config_dir, scans):
    install(path_dirs[0], "my-keyring-plugin", PLUGIN)
    assert ss.plugin_installed(str(config_dir)) is True
    (path_dirs[0] / "my-keyring-plugin-1.0.dist-info" / "entry_points.txt").unlink()
    (path_dirs[0] / "my-keyring-plugin-1.0.dist-info").rmdir()
    os.utime(path_dirs[0], (OLD + 60, OLD + 60))
    assert ss.plugin_installed(str(config_dir)) is False


def test_a_different_sys_path_is_scanned_again(path_dirs, config_dir, scans, tmp_path, monkeypatch):
    assert ss.plugin_installed(str(config_dir)) is False
    extra = tmp_path / "extra"
    extra.mkdir()
    install(extra, "my-keyring-plugin", PLUGIN)
    monkeypatch.setattr(sys, "path", sys.path + [str(extra)])
    assert ss.plugin_installed(str(config_dir)) is True


def test_nothing_remembered_while_a_directory_is_fresh(path_dirs, config_dir, scans):
    install(path_dirs[0], "being-installed", when=time.time())  # its entry_points.txt may come next
    assert ss.plugin_installed(str(config_dir)) is False
    assert not (config_dir / ss.PLUGIN_MEMO_NAME).exists()
    (path_dirs[0] / "being-installed-1.0.dist-info" / "entry_points.txt").write_bytes(PLUGIN)
    assert ss.plugin_installed(str(config_dir)) is True


@pytest.mark.parametrize("garbage", [b"", b"=1", b"nonsense", b"\n=2"])
def test_an_unreadable_memo_means_a_scan(path_dirs, config_dir, scans, garbage):
    memo = config_dir / ss.PLUGIN_MEMO_NAME
    memo.write_bytes(garbage)
    memo.chmod(0o600)
    assert ss.plugin_installed(str(config_dir)) is False
    assert len(scans) == 1


def test_a_memo_others_could_write_is_refused(path_dirs, config_dir):
    memo = config_dir / ss.PLUGIN_MEMO_NAME
    assert ss.plugin_installed(str(config_dir)) is False
    memo.chmod(0o666)
    with pytest.raises(ConfigError, match=str(memo)):
        ss.plugin_installed(str(config_dir))


def test_without_a_config_directory_every_call_scans(path_dirs, scans):
    assert ss.plugin_installed(None) is False
    assert ss.plugin_installed(None) is False
    assert len(scans) == 2
