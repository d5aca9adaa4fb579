"""The keyring plugin scan (secret_service.keyring_plugin_installed) is a hand-written stand-in for
importlib.metadata.entry_points(group="keyring.backends"), which keyring's _load_plugins calls (through
importlib_metadata before Python 3.12): held to it here on this environment's sys.path, on a venv-like
site-packages of fake distributions put on sys.path, and on generated entry_points.txt files. Where the
readers differ the scan may only say "a plugin" more often (the fast path then steps aside), never less."""

import importlib.metadata
import sys

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from truto_credential_helper.secrets import secret_service as ss

GROUP = "keyring.backends"


def readers():
    """importlib.metadata, and importlib_metadata where it is installed (keyring's reader before 3.12)."""
    found = [importlib.metadata]
    try:
        import importlib_metadata
    except ImportError:
        pass
    else:
        found.append(importlib_metadata)
    return found


def group_entry_points(metadata):
    try:
        return list(metadata.entry_points(group=GROUP))
    except TypeError:  # Python 3.9's importlib.metadata: no selection, a dict of every group
        return list(metadata.entry_points().get(GROUP, ()))


def module_of(entry_point):
    try:
        return entry_point.module
    except AttributeError:  # a value that is no `module[:attr]`: keyring's load fails and skips it
        return None


def plugin_by(metadata):
    """Whether keyring, reading entry points with `metadata`, would load a backend of its own."""
    return any(
        module_of(ep) not in ss.KEYRING_OWN_BACKENDS and module_of(ep) is not None
        for ep in group_entry_points(metadata)
    )


def verdicts():
    return {metadata.__name__: plugin_by(metadata) for metadata in readers()}


def test_the_scan_agrees_with_importlib_metadata_on_this_environment():
    scanned = ss.keyring_plugin_installed()
    assert set(verdicts().values()) == {scanned}, (verdicts(), scanned, sys.path)


def test_keyrings_own_backends_are_all_known():
    """A keyring that registers a backend not in KEYRING_OWN_BACKENDS makes the fast path step aside on
    every get: not wrong, but the whole point of it lost until the list names it."""
    for metadata in readers():
        own = {module_of(ep) for ep in metadata.distribution("keyring").entry_points if ep.group == GROUP}
        assert own and own <= ss.KEYRING_OWN_BACKENDS, (metadata.__name__, own - ss.KEYRING_OWN_BACKENDS)


KEYRING_OWN = (
    "[console_scripts]\nkeyring = keyring.cli:main\n\n[keyring.backends]\n"
    "SecretService = keyring.backends.SecretService\nchainer = keyring.backends.chainer\n"
    "macOS = keyring.backends.macOS\n"
)


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A venv's site-packages holding keyring's own metadata, first on sys.path; install(name,
    entry_points_txt, suffix) adds a distribution to it (or to another directory)."""
    site = tmp_path / "venv" / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    site.mkdir(parents=True)
    monkeypatch.setattr(sys, "path", [str(site)] + sys.path)
    install(site, "keyring", KEYRING_OWN)
    return site


def install(directory, name, entry_points, suffix=".dist-info"):
    meta = directory / (f"{name}-1.0{suffix}" if suffix.startswith(".") else suffix)
    meta.mkdir(parents=True)
    (meta / ("PKG-INFO" if "egg" in suffix.lower() else "METADATA")).write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"
    )
    if entry_points is not None:
        (meta / "entry_points.txt").write_text(entry_points)
    return meta


def agree(expected):
    scanned = ss.keyring_plugin_installed()
    assert scanned is expected and set(verdicts().values()) == {expected}, (verdicts(), scanned)


def test_keyrings_own_metadata_is_no_plugin(site):
    install(site, "other", "[console_scripts]\nother = other:main\n# keyring.backends named in a comment\n")
    install(site, "bare", None)
    agree(False)


@pytest.mark.parametrize(
    "entry_points",
    [
        "[keyring.backends]\nmine = my_keyring_plugin.backend\n",
        "[keyring.backends]\n  mine = my_keyring_plugin.backend:Keyring\n",
        "[console_scripts]\nx = y:z\n\n[keyring.backends]\nalt = keyrings.alt.file\n",
        "[keyring.backends]\nevil = keyring.backends.evil\n",  # in keyring's namespace, not one of its own
        "[keyring.backends]\nown = keyring.backends.SecretService\nmine = mine.backend\n",
    ],
)
def test_a_plugin_in_site_packages_is_seen_by_both(site, entry_points):
    install(site, "my-keyring-plugin", entry_points)
    agree(True)


@pytest.mark.parametrize("suffix", [".dist-info", ".egg-info", ".DIST-INFO"])
def test_a_plugin_on_another_sys_path_directory_is_seen_by_both(site, tmp_path, suffix):
    extra = tmp_path / "extra"
    install(extra, "my_keyring_plugin", "[keyring.backends]\nmine = my_keyring_plugin.backend\n", suffix)
    agree(False)
    sys.path.append(str(extra))
    agree(True)


def test_an_egg_directory_on_sys_path_is_read_as_importlib_reads_it(site, tmp_path):
    egg = tmp_path / "my_keyring_plugin-1.0-py3.egg"
    install(egg, "my_keyring_plugin", "[keyring.backends]\nmine = my_keyring_plugin.backend\n", "EGG-INFO")
    agree(False)
    sys.path.append(str(egg))  # as easy_install put eggs there: the egg itself, its metadata in EGG-INFO
    agree(True)


# --- generated entry_points.txt files: whatever a reader finds, the scan finds

SECTIONS = st.sampled_from(
    ["[keyring.backends]", "[console_scripts]", "[ keyring.backends ]", "[[keyring.backends]]", "[keyring.backends.x]"]
)
CANONICAL_SECTIONS = ("[keyring.backends]", "[console_scripts]")
MODULES = st.sampled_from(sorted(ss.KEYRING_OWN_BACKENDS) + ["keyrings.alt.file", "mine", "keyring.backends.evil"])
ENTRIES = st.tuples(
    st.sampled_from(["", "  ", "\t"]),  # indentation
    st.sampled_from(["", "", "#", ";"]),  # a comment, in one reader or another
    st.sampled_from(["a", "b", "SecretService"]),
    MODULES,
    st.sampled_from(["", ":Keyring", " : init", " [extra]"]),
)
LINES = st.lists(st.one_of(SECTIONS, ENTRIES, st.just(""), st.just("# keyring.backends")), max_size=8)


def canonical(line):
    """A line as setuptools writes it (or a blank or comment line): where every reader agrees."""
    if isinstance(line, tuple):
        indent, comment, _, _, attr = line
        return indent == comment == "" and attr in ("", ":Keyring")
    return line in CANONICAL_SECTIONS or not line.startswith("[")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=LINES)
def test_generated_entry_points_are_never_read_as_fewer_plugins(site, lines):
    text = "".join(("{}{}{} = {}{}".format(*line) if isinstance(line, tuple) else line) + "\n" for line in lines)
    if not (site / "generated-1.0.dist-info").exists():  # one distribution, rewritten by each example
        install(site, "generated", None)
    (site / "generated-1.0.dist-info" / "entry_points.txt").write_text(text)
    try:
        found = verdicts()
    except Exception:  # a file a reader refuses (configparser on 3.9: a duplicate name, no section)
        assume(False)
    scanned = ss.keyring_plugin_installed()
    assert all(v <= scanned for v in found.values()), (found, scanned, text)
    if all(canonical(line) for line in lines):
        assert set(found.values()) == {scanned}, (found, scanned, text)
