"""Inputs the fuzzers (tests/fuzz/test_fuzz.py) found, each a plain unit test: the parser must give
its documented error, promptly."""

import base64

import pytest

from truto_credential_helper.secrets import secret_service

from .test_fuzz import time_bound


def decode(b64):
    data = base64.b64decode(b64)
    size, order, kind, header_len = secret_service.frame(data)
    return secret_service.parse_reply(data[:size], order, header_len)


# A method return whose body signature starts with "a{}": an array of empty dict entries, each taking
# no bytes, so the array never ended and a `get` spun forever on one hostile reply.
EMPTY_DICT_ENTRY_ARRAY = (
    "bAIAAWgAAABrAAAAHgAAAAUBdQAHAAAACAFnABBhe315cXYobmJzaXV4dGQpAAAAMAAAAAAAAAABAAAAYQACYXMAAAAOAAAAAQAAAHgAAAAB"
    "AAAAeQAAAAEAAABiAAF2AAFpAAMAAAABAAAAAQAAAP7/AwD8////BQCAAAAAAAD6/////////wcAAAAAAAAAAAAAAAAA4D8="
)


def test_dbus_array_of_empty_entries_is_refused_not_looped_on():
    with time_bound(5):
        with pytest.raises(secret_service.Unanswerable, match="malformed D-Bus array"):
            decode(EMPTY_DICT_ENTRY_ARRAY)


def test_dbus_reply_too_large_to_decode_quickly_is_refused_before_reading_it():
    """Decoding runs outside the socket deadline: a reply of millions of tiny values (here 4 Mi
    booleans promised: 16 MiB, within D-Bus's own 128 MiB limit) is refused from its header, before
    its body is read or decoded."""
    import struct

    n = 1 << 22
    head = bytearray(b"l\x02\x00\x01") + struct.pack("<II", 4 + 4 * n, 9)
    secret_service.marshal(head, "a(yv)", [(5, ("u", 1)), (8, ("g", "ab"))])
    head += b"\0" * (-len(head) % 8)
    conn = secret_service.Connection.__new__(secret_service.Connection)  # no socket: the buffer holds it all
    conn.buffer, conn.pending_auth, conn.replies = bytes(head) + struct.pack("<I", 4 * n), False, {}
    with pytest.raises(secret_service.Unanswerable, match="too large for the fast path"):
        conn._read_message()
