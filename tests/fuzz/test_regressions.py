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
