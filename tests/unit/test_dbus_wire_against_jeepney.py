"""The fast path's D-Bus decoder and encoder (secrets/secret_service.py) against an independent
implementation, jeepney (keyring's own transport on Linux): jeepney encodes random values of every
type the decoder reads, in both byte orders, and ours decodes them as jeepney does; jeepney decodes
every call ours writes as it was written."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from truto_credential_helper.secrets import secret_service as ss

pytest.importorskip("jeepney", reason="jeepney comes with keyring on Linux")
from jeepney.low_level import Endianness, Header, HeaderFields, Message, MessageType, Parser  # noqa: E402

BASIC = "ybnqiuxtdsog"  # every basic type but h (a file descriptor: never in a Secret Service reply)
RANGES = {c: (-(1 << (8 * n - 1)), (1 << (8 * n - 1)) - 1) if s else (0, (1 << (8 * n)) - 1)
          for c, (n, s) in ss.FIXED.items() if s is not None}  # fmt: skip


def complete_types(max_leaves=6):
    containers = lambda t: st.one_of(  # noqa: E731
        t.map(lambda x: "a" + x),
        st.lists(t, min_size=1, max_size=3).map(lambda xs: "(" + "".join(xs) + ")"),
        st.tuples(st.sampled_from(BASIC), t).map(lambda kv: "a{" + kv[0] + kv[1] + "}"),
    )
    return st.recursive(st.sampled_from(BASIC + "v"), containers, max_leaves=max_leaves)


SIGNATURES = st.lists(complete_types(3), max_size=3).map("".join).filter(lambda s: len(s) < 256)
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=12)
PATHS = st.lists(st.text("abcXYZ019_", min_size=1, max_size=5), max_size=3).map(lambda p: "/" + "/".join(p))


def values(signature, depth=0):
    """A strategy for values of complete type `signature`, as both implementations represent them."""
    c = signature[0]
    if c in RANGES:
        return st.booleans() if c == "b" else st.integers(*RANGES[c])
    if c == "d":
        return st.floats(allow_nan=False)
    if c == "s":
        return TEXT
    if c == "o":
        return PATHS
    if c == "g":
        return SIGNATURES
    if c == "v":
        inner = complete_types(2) if depth < 3 else st.sampled_from(BASIC)
        return inner.flatmap(lambda t: st.tuples(st.just(t), values(t, depth + 1)))
    if signature == "ay":
        return st.binary(max_size=16)
    if signature.startswith("a{"):
        key, value = ss.split_signature(signature[2:-1])
        return st.dictionaries(values(key, depth + 1), values(value, depth + 1), max_size=3)
    if c == "a":
        return st.lists(values(signature[1:], depth + 1), max_size=3)
    return st.tuples(*(values(member, depth + 1) for member in ss.split_signature(signature[1:-1])))


def bodies():
    return SIGNATURES.flatmap(
        lambda sig: st.tuples(st.just(sig), st.tuples(*(values(t) for t in ss.split_signature(sig))))
    )


@settings(max_examples=150, deadline=None)
@given(body=bodies(), big_endian=st.booleans(), serial=st.integers(1, (1 << 32) - 1))
def test_replies_jeepney_encodes_are_decoded_as_jeepney_decodes_them(body, big_endian, serial):
    signature, args = body
    fields = {HeaderFields.reply_serial: serial}
    if signature:
        fields[HeaderFields.signature] = signature
    endianness = Endianness.big if big_endian else Endianness.little
    data = Message(Header(endianness, MessageType.method_return, 0, 1, -1, 9, fields), args).serialise()
    size, order, kind, header_len = ss.frame(data)
    assert (size, order, kind) == (len(data), ">" if big_endian else "<", 2)
    got_fields, got_body = ss.parse_reply(data, order, header_len)
    assert got_fields[5] == serial and got_fields.get(8, "") == signature
    assert got_body == Parser().feed(data)[0].body == args


@settings(max_examples=150, deadline=None)
@given(
    body=bodies(),
    path=PATHS,
    member=st.text("abcXYZ_", min_size=1, max_size=8),
    serial=st.integers(1, (1 << 32) - 1),
)
def test_calls_ours_writes_are_decoded_by_jeepney_as_written(body, path, member, serial):
    signature, args = body
    data = ss.method_call(serial, path, "org.freedesktop.Secret.Service", member, ss.BUS_NAME, signature, args)
    (message,) = Parser().feed(data)
    h = message.header
    assert (h.message_type, h.serial, h.body_length) == (MessageType.method_call, serial, len(data) - ss.frame(data)[3])
    assert h.fields[HeaderFields.path] == path and h.fields[HeaderFields.member] == member
    assert h.fields[HeaderFields.destination] == ss.BUS_NAME
    assert h.fields.get(HeaderFields.signature, "") == signature
    assert message.body == args
