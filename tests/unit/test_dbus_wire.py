"""The D-Bus wire format of the fast path reads and writes fixed-size values with int.to_bytes and
int.from_bytes (no struct module on a `get`): the same bytes and values struct gives, both byte
orders, the extremes of each type, and a short buffer refused as malformed, never misread."""

import struct

import pytest

from truto_credential_helper.secrets import secret_service as ss

STRUCT_CODE = {"y": "B", "n": "h", "q": "H", "b": "I", "i": "i", "u": "I", "h": "I", "x": "q", "t": "Q", "d": "d"}


def extremes(c):
    if c == "d":
        return [0.0, -1.5, 2.0**60, float("inf")]
    size, signed = ss.FIXED[c]
    bits = size * 8
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return [low, high, 0, 1, high // 3]


@pytest.mark.parametrize("c", sorted(ss.FIXED))
def test_marshal_writes_what_struct_writes(c):
    for value in extremes(c):
        buf = bytearray()
        ss.marshal(buf, c, value)
        assert bytes(buf) == struct.pack("<" + STRUCT_CODE[c], value)


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("c", sorted(ss.FIXED))
def test_unmarshal_reads_what_struct_reads(c, order):
    for value in extremes(c):
        data = b"\xaa" * 8 + struct.pack(order + STRUCT_CODE[c], value) + b"\xbb"
        got, end = ss.unmarshal(data, 8, c, order)
        assert (got, end) == (value, 8 + struct.calcsize(STRUCT_CODE[c]))


@pytest.mark.parametrize("c", sorted(ss.FIXED))
def test_a_value_cut_short_is_malformed(c):
    size = ss.FIXED[c][0]
    with pytest.raises(ss.MALFORMED):
        ss.unmarshal(b"\x01" * (size - 1 + 8), 8, c)


def test_lengths_and_frames_read_in_either_byte_order():
    call = ss.method_call(7, "/a/b", "org.example.I", "M", "org.example", "su", ("hé", 4294967295))
    size, order, kind, header_len = ss.frame(call)
    assert (size, order, kind) == (len(call), "<", 1)
    fields, body = ss.parse_reply(call, order, header_len)
    assert body == ("hé", 4294967295) and fields[3] == "M"
    big = b"B" + call[1:4] + struct.pack(">III", *struct.unpack_from("<III", call, 4))
    assert ss.frame(big + call[16:])[:3] == (len(call), ">", 1)
