"""8. Files: loosened modes are re-tightened on the next write with a warning; writes never follow a
symlink planted where they write (temp file, lock, cache); a config directory owned by another user
is refused."""

import os
import stat

import pytest
from cli_support import offline_login
from conftest import BIN

from .conftest import IS_ROOT, assert_clean_error, git_input

TRUTO = BIN / "truto"
GIT = BIN / "git-credential-truto"


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def login(run, *extra):
    return offline_login(run, "p", "tok-files-0123456789", *extra)


def test_new_files_are_private_from_the_start(run, config_dir):
    login(run, "--insecure-storage")
    assert mode(config_dir) == 0o700
    for name in os.listdir(config_dir):
        assert mode(config_dir / name) & 0o077 == 0, (name, oct(mode(config_dir / name)))


@pytest.mark.parametrize("loosen", ["config", "credentials", "directory"])
def test_loosened_modes_are_tightened_with_a_warning(run, config_dir, loosen):
    login(run, "--insecure-storage")
    target = {
        "config": config_dir / "config.json",
        "credentials": config_dir / "credentials.json",
        "directory": config_dir,
    }[loosen]
    # Readable, not writable, by others (writable is refused: test_trust.py). The directory gets
    # only other-bits: one the user named with group access is shared on purpose and left as it is.
    os.chmod(target, 0o705 if loosen == "directory" else 0o644)
    if loosen == "credentials":
        p = run(
            TRUTO, "profiles", "set-key", "anthropic", "sk-ant-files-0123456789", "-p", "p"
        )  # writes credentials.json
    else:
        p = run(TRUTO, "profiles", "set", "default-integrated-account", "acct-1", "-p", "p")  # writes config.json
    assert p.returncode == 0, p.stderr
    assert str(target) in p.stderr and "warning" in p.stderr.lower(), p.stderr
    assert mode(target) == (0o700 if loosen == "directory" else 0o600)
    assert "sk-ant-files" not in p.stderr


def test_git_store_tightens_too(run, config_dir):
    login(run)
    os.chmod(config_dir / "config.json", 0o644)
    os.chmod(config_dir, 0o705)
    p = run(GIT, "store", input=git_input(protocol="https", host="h.example", username="u", password="pw-files"))
    assert p.returncode == 0, p.stderr
    assert mode(config_dir / "config.json") == 0o600 and mode(config_dir) == 0o700
    assert "warning" in p.stderr.lower()


# --- symlinks planted where writes go


@pytest.fixture
def predictable_temp_names(tmp_path, env):
    """Make the random part of temp file names predictable in the processes we start (a
    sitecustomize on PYTHONPATH: the 6 random bytes locked_io.py names them with), and log each name
    they try: lets a test plant symlinks at exactly those paths (planted_name)."""
    site = tmp_path / "site"
    site.mkdir()
    log = tmp_path / "tempnames.log"
    (site / "sitecustomize.py").write_text(
        "import os\n"
        "_urandom, _n = os.urandom, [0]\n"
        "def _predictable(size):\n"
        "    if size != 6:\n"
        "        return _urandom(size)\n"
        "    _n[0] += 1\n"
        "    name = b'adv%03d' % _n[0]\n"
        "    with open(os.environ['ADV_TEMPNAME_LOG'], 'a') as f:\n"
        "        f.write(name.hex() + '\\n')\n"
        "    return name\n"
        "os.urandom = _predictable\n"
    )
    env["PYTHONPATH"] = str(site)
    env["ADV_TEMPNAME_LOG"] = str(log)
    return log


def planted_name(n):
    return (b"adv%03d" % n).hex()


@pytest.mark.parametrize("target", ["config.json", "credentials.json", ".config.json.valid"])
def test_writes_never_follow_a_symlink_planted_at_the_temp_path(
    run, config_dir, tmp_path, predictable_temp_names, target
):
    login(run, "--insecure-storage")
    victims = []
    for n in range(1, 6):
        victim = tmp_path / f"victim{n}"
        victim.write_text("precious")
        os.symlink(victim, config_dir / f".{target}.{planted_name(n)}.tmp")
        victims.append(victim)
    dangling = config_dir / f".{target}.{planted_name(6)}.tmp"
    os.symlink(tmp_path / "created-through-link", dangling)
    predictable_temp_names.write_text("")
    if target == "credentials.json":
        p = run(TRUTO, "profiles", "set-key", "firecrawl", "fc-files-0123456789", "-p", "p")
    else:
        p = run(TRUTO, "profiles", "set", "api-url", "https://other.truto.one", "-p", "p")
    assert p.returncode == 0, p.stderr
    tried = predictable_temp_names.read_text().split()
    assert planted_name(1) in tried, "the write did not name its temp file as this test expects: it no longer sees it"
    for v in victims:
        assert v.read_text() == "precious", f"{v} was written through a planted symlink"
    assert not (tmp_path / "created-through-link").exists()
    assert not os.path.islink(config_dir / target) and os.path.isfile(config_dir / target)
    assert mode(config_dir / target) == 0o600


@pytest.mark.parametrize("planted", ["config.lock", ".config.json.valid"])
def test_lock_and_cache_symlinks_are_not_followed(run, config_dir, tmp_path, planted):
    login(run)
    victim = tmp_path / "victim"
    victim.write_text("precious")
    os.chmod(victim, 0o644)
    target = config_dir / planted
    if target.exists():
        os.unlink(target)
    os.symlink(victim, target)
    p = run(TRUTO, "profiles", "set", "api-url", "https://other.truto.one", "-p", "p")
    if p.returncode != 0:
        assert_clean_error(p, mentions=[planted])
    assert victim.read_text() == "precious" and mode(victim) == 0o644
    p = run(GIT, "get", input=git_input(protocol="https", host="other.truto.one"))
    assert "Traceback" not in p.stderr
    assert victim.read_text() == "precious"


def test_config_dir_owned_by_another_user_is_refused(run, env, config_dir, tmp_path):
    if IS_ROOT:
        login(run)
        os.chown(config_dir, 65534, 65534)
        directory = config_dir
    else:
        directory = "/"  # owned by root: another user for us
        env["TRUTO_CONFIG_DIR"] = "/"
    for argv, inp in (
        (["truto", "profiles", "list"], None),
        (["truto", "whoami"], None),
        (
            [
                "truto",
                "login",
                "--token",
                "tok-x-0123456789",
                "--api-url",
                "https://api.truto.one",
                "-f",
                "--no-verify",
            ],
            None,
        ),
        (["git-credential-truto", "get"], git_input(protocol="https", host="api.truto.one")),
        (["git-credential-truto", "store"], git_input(protocol="https", host="x.example", username="u", password="pw")),
    ):
        p = run(BIN / argv[0], *argv[1:], input=inp)
        assert_clean_error(p, mentions=[str(directory), "owned"])
    if IS_ROOT:
        assert os.stat(config_dir).st_uid == 65534


def test_config_dir_symlinked_to_a_directory_of_another_user_is_refused(run, env, tmp_path):
    if not IS_ROOT:
        pytest.skip("needs root to hand a directory to another uid")
    real = tmp_path / "theirs"
    real.mkdir(mode=0o700)
    os.chown(real, 65534, 65534)
    link = tmp_path / "mine"
    os.symlink(real, link)
    env["TRUTO_CONFIG_DIR"] = str(link)
    p = run(TRUTO, "login", "--token", "tok-x-0123456789", "--api-url", "https://api.truto.one", "-f", "--no-verify")
    assert_clean_error(p, mentions=["owned"])
    assert os.listdir(real) == []
