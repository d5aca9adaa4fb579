"""The fast path asks gnome-keyring again when it answers that an object or method it always has is
not there (it re-exports its objects now and then), and only then: other errors go to keyring at
once. A scripted Secret Service on a real Unix socket plays the daemon, so the moment is certain."""

import socket
import struct
import threading

import pytest

from truto_credential_helper.secrets import secret_service as ss

COLLECTION = "/org/freedesktop/secrets/collection/login"
ITEM = COLLECTION + "/7"
SESSION = "/org/freedesktop/secrets/session/1"


def message(kind, reply_serial, signature="", body=(), error=None):
    payload = bytearray()
    for member, value in zip(ss.split_signature(signature), body):
        ss.marshal(payload, member, value)
    fields = [(5, ("u", reply_serial))] + ([(4, ("s", error))] if error else [])
    fields += [(8, ("g", signature))] if signature else []
    head = bytearray(b"l" + bytes((kind, 0, 1))) + struct.pack("<II", len(payload), 1000 + reply_serial)
    ss.marshal(head, "a(yv)", fields)
    head += b"\0" * (-len(head) % 8)
    return bytes(head + payload)


ANSWERS = {
    "Hello": ("s", (":1.42",)),
    "ReadAlias": ("o", (COLLECTION,)),
    "SearchItems": ("aoao", ([ITEM], [])),
    "OpenSession": ("vo", (("s", ""), SESSION)),
    "GetSecret": ("(oayays)", ((SESSION, b"", b"the-secret", "text/plain"),)),
}


class ScriptedService:
    """Answers each call from ANSWERS, except that `refuse(member, attempt)` may name a D-Bus error
    to answer instead; `attempt` counts connections from 0. Records the members called per connection."""

    def __init__(self, path, refuse):
        self.refuse = refuse
        self.connections = []
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(8)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                try:
                    self._converse(conn, len(self.connections))
                except OSError:
                    pass  # the client hung up after an error, calls of its still unanswered

    def _converse(self, conn, attempt):
        calls = []
        self.connections.append(calls)
        buffer = b""
        while b"BEGIN\r\n" not in buffer:
            buffer += conn.recv(4096)
        buffer = buffer.split(b"BEGIN\r\n", 1)[1]
        conn.sendall(b"OK 0123456789abcdef0123456789abcdef\r\n")
        while True:
            while len(buffer) < 16 or len(buffer) < ss.frame(buffer)[0]:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buffer += chunk
            size, order, _kind, header_len = ss.frame(buffer)
            data, buffer = buffer[:size], buffer[size:]
            fields, _body = ss.parse_reply(data, order, header_len)
            serial = struct.unpack_from("<I", data, 8)[0]
            member = fields[3]
            calls.append(member)
            error = self.refuse(member, attempt)
            if error:
                conn.sendall(message(3, serial, "s", ("not now",), error=error))
            else:
                conn.sendall(message(2, serial, *ANSWERS[member]))

    def close(self):
        self.listener.close()


@pytest.fixture
def service(tmp_path, monkeypatch):
    monkeypatch.setattr(ss, "applies", lambda memo_dir=None: True)
    path = str(tmp_path / "bus")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + path)
    started = []

    def start(refuse):
        started.append(ScriptedService(path, refuse))
        return started[-1]

    yield start
    for s in started:
        s.close()


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
        )
    )
    ANSWERS["CreateItem"] = ("oo", (ITEM, "/"))
    try:
        ss.set_password("svc", "default:apiToken", "new-secret", 5)
    finally:
        del ANSWERS["CreateItem"]
    assert [calls.count("CreateItem") for calls in daemon.connections] == [1, 1]
