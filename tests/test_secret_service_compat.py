"""The `get` fast path (secrets/secret_service.py) against the real gnome-keyring of the test session:
it must find exactly the items keyring's SecretService backend writes, and keyring must find the items
our store writes. Where it cannot answer plainly (no bus, a bus that never answers, a locked collection)
the helper still ends with exit 6 and a one-line message naming the keyring problem.
"""

import contextlib
import struct

import keyring
import pytest
import secretstorage
from conftest import GOOD_TOKEN

from truto_credential_helper.profiles import Profiles
from truto_credential_helper.secrets import secret_service
from truto_credential_helper.secrets.os_keyring import KeyringStore, service_name

# Secrets keyring's own conformance suite (keyring/testing/backend.py) finds difficult, and more.
DIFFICULT = [
    "",
    "plain-token-123",
    "ünïcödé ✓ 密码 🔑",
    "quotes \" ' ` and back\\slash",
    "new\nline and\r\ncarriage\ttab",
    "nul\0inside",
    "%s %d {0} $HOME ${x} ; rm -rf",
    "x" * 20000,
]
# The throwaway password scripts/keyring-session unlocks its private gnome-keyring with.
SESSION_KEYRING_PASSWORD = b"throwaway-test-password"


def fast_get(service, username, timeout=10):
    """The fast path alone: raises Unanswerable instead of falling back to keyring."""
    return secret_service.get_password(service, username, timeout)


@pytest.fixture
def service(config_dir):
    svc = service_name(str(config_dir))
    yield svc
    for _svc, user, _secret in list_items(svc):
        try:
            keyring.delete_password(svc, user)
        except keyring.errors.PasswordDeleteError:
            pass


def list_items(svc):
    from conftest import keyring_items

    return [item for item in keyring_items(svc) if item[0] == svc]


# ---------------------------------------------------------------------------------------------
# Both directions of compatibility with keyring


# Alone: with other tests loading the machine, gnome-keyring itself dies under thousands of
# connections in a row, whatever they ask.
@pytest.mark.alone
def test_many_reads_in_a_row_all_answer_and_the_daemon_survives(service):
    """gnome-keyring now and then unexports its collection objects and default alias for a moment.
    A read must still answer then, and must not touch those objects in a way that aborts the daemon
    (a Properties.Get on them did: a GLib assertion, then a restarted daemon with a locked keyring)."""
    import subprocess

    def daemons():
        # The daemon owning the Secret Service on this test's own session bus, never a machine-wide
        # process list: another test run, or a developer's keyring, must not change the answer.
        return subprocess.run(
            [
                "dbus-send",
                "--session",
                "--print-reply=literal",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.GetConnectionUnixProcessID",
                "string:org.freedesktop.secrets",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()

    before = daemons()
    keyring.set_password(service, "default:apiToken", "steady-secret")
    for _ in range(3000):
        assert fast_get(service, "default:apiToken") == "steady-secret"
    assert daemons() == before, "the keyring daemon was restarted"


@pytest.mark.parametrize("secret", DIFFICULT, ids=range(len(DIFFICULT)))
def test_item_written_by_keyring_is_read_by_fast_path(service, secret):
    keyring.set_password(service, "default:apiToken", secret)
    assert fast_get(service, "default:apiToken") == secret


@pytest.mark.parametrize("secret", DIFFICULT, ids=range(len(DIFFICULT)))
def test_item_written_by_our_store_is_read_by_keyring_and_fast_path(config_dir, service, secret):
    store = KeyringStore(str(config_dir))
    store.set("work", "apiToken", secret)
    assert keyring.get_password(service, "work:apiToken") == secret
    assert fast_get(service, "work:apiToken") == secret
    assert store.get("work", "apiToken") == secret


def test_several_items_each_read_back_as_its_own(config_dir, service, tmp_path):
    other_service = service_name(str(tmp_path / "another-config"))
    store = KeyringStore(str(config_dir))
    expected = {}
    for profile in ("default", "staging", "prod.eu", "user@example.com"):
        for field in ("apiToken", "anthropicApiKey"):
            expected[(profile, field)] = f"{profile}/{field}/secret"
            store.set(profile, field, expected[(profile, field)])
    keyring.set_password(other_service, "default:apiToken", "from another config dir")
    try:
        for (profile, field), secret in expected.items():
            assert fast_get(service, f"{profile}:{field}") == secret
        assert fast_get(other_service, "default:apiToken") == "from another config dir"
    finally:
        keyring.delete_password(other_service, "default:apiToken")


def test_replaced_item_reads_the_new_secret(config_dir, service):
    store = KeyringStore(str(config_dir))
    store.set("default", "apiToken", "first")
    keyring.set_password(service, "default:apiToken", "second")
    assert fast_get(service, "default:apiToken") == "second"
    store.set("default", "apiToken", "third")
    assert keyring.get_password(service, "default:apiToken") == "third"
    assert len(list_items(service)) == 1


def test_missing_item_is_none(config_dir, service):
    keyring.set_password(service, "default:apiToken", "present")
    store = KeyringStore(str(config_dir))
    assert store.get("nobody", "apiToken") is None
    assert store.get("default", "firecrawlApiKey") is None
    # The fast path leaves a miss to keyring, which may chain to other backends.
    with pytest.raises(secret_service.Unanswerable):
        fast_get(service, "nobody:apiToken")


def test_item_with_other_attributes_is_not_taken(service):
    """Only {service, username} as keyring writes them: an item of another application with the same
    user name but another service is never answered."""
    keyring.set_password(service + "-other", "default:apiToken", "not ours")
    try:
        with pytest.raises(secret_service.Unanswerable):
            fast_get(service, "default:apiToken")
    finally:
        keyring.delete_password(service + "-other", "default:apiToken")


# ---------------------------------------------------------------------------------------------
# Through the installed helper, when the fast path cannot answer


def save_keyring_profile(config_dir, token=GOOD_TOKEN):
    with Profiles(str(config_dir)).edit() as edit:
        edit.save_profile("default", {"apiUrl": "https://api.truto.one"}, secrets={"apiToken": token})


GET_REQUEST = "protocol=https\nhost=api.truto.one\n\n"


def test_helper_get_answers_from_the_keyring(run, config_dir, service):
    save_keyring_profile(config_dir)
    r = run("git-credential-truto", "get", input=GET_REQUEST)
    assert r.returncode == 0, r.stderr
    assert f"password={GOOD_TOKEN}" in r.stdout.splitlines()


def assert_keyring_error(r, *words):
    assert r.returncode == 6, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "keyring" in lines[0].lower()
    for word in words:
        assert word in lines[0], lines[0]
    assert GOOD_TOKEN not in r.stdout + r.stderr


def test_no_dbus_session_is_exit_6(run, no_dbus_env, config_dir, service):
    save_keyring_profile(config_dir)
    r = run("git-credential-truto", "get", input=GET_REQUEST, env=no_dbus_env)
    assert_keyring_error(r, "TRUTO_API_TOKEN")


def test_dead_bus_address_is_exit_6(run, env, config_dir, service, tmp_path):
    save_keyring_profile(config_dir)
    dead = dict(env, DBUS_SESSION_BUS_ADDRESS=f"unix:path={tmp_path}/no-such-socket")
    r = run("git-credential-truto", "get", input=GET_REQUEST, env=dead)
    assert_keyring_error(r)


def test_silent_dbus_is_exit_6_within_the_timeout(run, env, config_dir, service, silent_dbus):
    save_keyring_profile(config_dir)
    hanging = dict(env, DBUS_SESSION_BUS_ADDRESS=silent_dbus, TRUTO_KEYRING_TIMEOUT="1")
    # The subprocess timeout only guards against a hang; the message says which bound applied.
    r = run("git-credential-truto", "get", input=GET_REQUEST, env=hanging, timeout=30)
    assert_keyring_error(r, "did not answer within 1 s", "TRUTO_KEYRING_TIMEOUT")


def test_fast_path_alone_times_out_on_silent_dbus(silent_dbus, monkeypatch):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", silent_dbus)
    with pytest.raises(secret_service.TimedOut):
        fast_get("truto", "default:apiToken", timeout=0.5)


@contextlib.contextmanager
def locked_collection():
    """Lock the session's default collection; unlock it afterwards without a prompt, through
    gnome-keyring's internal master-password interface, so later tests find it open."""
    conn = secretstorage.dbus_init()
    collection = secretstorage.get_default_collection(conn)
    collection.lock()
    assert collection.is_locked()
    try:
        yield collection
    finally:
        from jeepney import DBusAddress, new_method_call
        from secretstorage.util import format_secret, open_session

        service = DBusAddress(secret_service.SERVICE_PATH, secret_service.BUS_NAME, "org.freedesktop.Secret.Service")
        real_path = conn.send_and_get_reply(new_method_call(service, "ReadAlias", "s", ("default",))).body[0]
        internal = DBusAddress(
            secret_service.SERVICE_PATH,
            secret_service.BUS_NAME,
            "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
        )
        secret = format_secret(open_session(conn), SESSION_KEYRING_PASSWORD, "text/plain")
        conn.send_and_get_reply(new_method_call(internal, "UnlockWithMasterPassword", "o(oayays)", (real_path, secret)))
        assert not collection.is_locked()
        conn.close()


def test_locked_collection_is_left_to_keyring_and_is_exit_6(private_keyring_session, run, env, config_dir, service):
    save_keyring_profile(config_dir)
    with locked_collection():
        with pytest.raises(secret_service.Unanswerable, match="locked"):
            fast_get(service, "default:apiToken")
        # keyring asks for an unlock prompt; with no display it is dismissed (or times out): exit 6 either way.
        r = run("git-credential-truto", "get", input=GET_REQUEST, env=dict(env, TRUTO_KEYRING_TIMEOUT="20"), timeout=60)
    assert_keyring_error(r)
    assert fast_get(service, "default:apiToken") == GOOD_TOKEN  # unlocked again: the plain case


def test_other_backend_configured_is_left_to_keyring(service, monkeypatch, tmp_path):
    keyring.set_password(service, "default:apiToken", "abc")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    with pytest.raises(secret_service.Unanswerable):
        fast_get(service, "default:apiToken")
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert fast_get(service, "default:apiToken") == "abc"
    (tmp_path / "python_keyring").mkdir()
    (tmp_path / "python_keyring" / "keyringrc.cfg").write_text(
        "[backend]\ndefault-keyring=keyring.backends.null.Keyring\n"
    )
    with pytest.raises(secret_service.Unanswerable):
        fast_get(service, "default:apiToken")


# ---------------------------------------------------------------------------------------------
# The wire format and the bus address (pure functions)


@pytest.mark.parametrize(
    "signature, value",
    [
        ("s", "héllo"),
        ("o", "/org/freedesktop/secrets/collection/login/1"),
        ("a{ss}", {"service": "truto:/x y", "username": "default:apiToken", "": "ü"}),
        ("ao", ["/a", "/b/c"]),
        ("ao", []),
        ("(oayays)", ("/s/1", b"", b"\x00\xffsecret", "text/plain; charset=utf8")),
        ("v", ("b", True)),
        ("v", ("s", "")),
        ("a(yv)", [(1, ("o", "/p")), (5, ("u", 7)), (8, ("g", "sa{sv}"))]),
        ("(ybnqiuxtd)", (1, True, -2, 3, -4, 5, -6, 7, 0.5)),
    ],
)
def test_marshal_roundtrip(signature, value):
    for prefix in (b"", b"\x01", b"\x01\x02\x03"):  # alignment from different offsets
        buf = bytearray(prefix)
        secret_service.marshal(buf, signature, value)
        got, end = secret_service.unmarshal(bytes(buf), len(prefix), signature)
        assert got == value and end == len(buf)


def test_big_endian_reply_is_read():
    body = struct.pack(">I", 3) + b"abc\x00"
    assert secret_service.unmarshal(body, 0, "s", ">") == ("abc", 8)


def test_method_call_is_a_well_formed_message():
    data = secret_service.method_call(7, "/o/p", "i.f", "M", "d.e", "sa{ss}", ("x", {"k": "v"}))
    size, order, kind, header_len = secret_service.frame(data)
    assert (size, order, kind) == (len(data), "<", 1) and header_len % 8 == 0
    fields, body = secret_service.parse_reply(data, order, header_len)
    assert fields == {1: "/o/p", 2: "i.f", 3: "M", 6: "d.e", 8: "sa{ss}"}
    assert body == ("x", {"k": "v"})


def test_split_signature():
    assert secret_service.split_signature("sa{ss}(oayays)aav") == ["s", "a{ss}", "(oayays)", "aav"]


@pytest.mark.parametrize(
    "address, path",
    [
        ("unix:path=/run/user/1000/bus", "/run/user/1000/bus"),
        ("unix:abstract=/tmp/dbus-AbC,guid=0123", "\0/tmp/dbus-AbC"),
        ("tcp:host=localhost,port=1;unix:path=/tmp/with%20space", "/tmp/with space"),
    ],
)
def test_bus_socket_path(address, path):
    assert secret_service.bus_socket_path(address) == path


def test_bus_without_unix_socket_is_unanswerable():
    with pytest.raises(secret_service.Unanswerable):
        secret_service.bus_socket_path("tcp:host=localhost,port=4")


@pytest.mark.parametrize(
    "data", [b"x" * 16, b"l\x02\x00\x02" + b"\0" * 12, b"l\x02\x00\x01" + struct.pack("<III", 1 << 28, 1, 0)]
)
def test_garbage_is_not_a_message(data):
    with pytest.raises(secret_service.Unanswerable):
        secret_service.frame(data)
