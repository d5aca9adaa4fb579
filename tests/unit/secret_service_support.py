"""A scripted Secret Service on a real Unix socket for the fast path's in-process tests: it plays
gnome-keyring's answers (ANSWERS), or an error, or a reply of another type, at a certain moment."""

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
    """Answers each call from ANSWERS (`answers` replaces some: {member: (signature, body)}), except
    that `refuse(member, attempt)` may name a D-Bus error to answer instead; `attempt` counts connections from 0. Records the members called per connection."""

    def __init__(self, path, refuse, answers=None):
        self.refuse = refuse
        self.answers = dict(ANSWERS, **(answers or {}))
        self.connections = []
        self.open = []  # accepted sockets, shut down by close() so no thread outlives its test
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
            self.open.append(conn)
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
            chunk = conn.recv(4096)
            if not chunk:
                return  # hung up before BEGIN: a loop on b"" here would spin and starve the other tests' servers
            buffer += chunk
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
                conn.sendall(message(2, serial, *self.answers[member]))

    def close(self):
        # A thread left blocked in accept() or recv() outlives the test and, once its descriptor
        # number is reused, reads what was meant for another test's socket: shut everything down.
        for sock in (*self.open, self.listener):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.listener.close()
        self.thread.join(5)


@pytest.fixture
def service(tmp_path, monkeypatch):
    monkeypatch.setattr(ss, "applies", lambda memo_dir=None: True)
    path = str(tmp_path / "bus")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + path)
    started = []

    def start(refuse, answers=None):
        started.append(ScriptedService(path, refuse, answers))
        return started[-1]

    yield start
    for s in started:
        s.close()
