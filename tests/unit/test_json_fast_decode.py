"""jsondepth.loads decodes a str with the C scanner json.loads uses, without importing json (and
the `re` it compiles at import): these properties hold it to json.loads, value for value and error
for error, over generated documents, their whitespace and arbitrary text (pure, in-process)."""

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from truto_credential_helper.jsondepth import TooDeep, loads

WHITESPACE = st.text(alphabet=" \t\n\r\f\v\u00a0\ufeff", max_size=4)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text()
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


def outcome(fn, text):
    try:
        value = fn(text)
    except TooDeep:
        return ("too deep",)
    except ValueError as e:  # JSONDecodeError included: same type, same message, same position
        return ("error", type(e).__name__, str(e))
    return ("value", type(value).__name__, json.dumps(value, allow_nan=True) if not _nan(value) else repr(value))


def _nan(value):
    return isinstance(value, float) and math.isnan(value)


def same_as_json(text):
    expected = outcome(json.loads, text)
    if expected[0] == "value":
        assert outcome(loads, text) == expected
    else:
        assert outcome(loads, text) in (expected, ("too deep",))


@settings(max_examples=400, deadline=None)
@given(VALUES, WHITESPACE, WHITESPACE, st.integers(min_value=0, max_value=2), st.booleans())
def test_documents_decode_as_json_loads_does(value, before, after, indent, ascii_only):
    same_as_json(before + json.dumps(value, indent=indent or None, ensure_ascii=ascii_only) + after)


@settings(max_examples=400, deadline=None)
@given(VALUES, st.integers(min_value=0, max_value=200), st.text(max_size=3))
def test_damaged_documents_fail_as_json_loads_does(value, cut, extra):
    text = json.dumps(value)
    same_as_json(text[:cut] + extra + text[cut:])


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet='{}[]",:0123456789.eE+-truefalsnNIiy \t\n\r\\u\ufeff', max_size=30))
def test_arbitrary_text_decodes_or_fails_as_json_loads_does(text):
    same_as_json(text)


def test_constants_and_duplicate_keys():
    for text in ("NaN", " [Infinity, -Infinity] ", '{"a": 1, "a": 2}', "\ufeff{}", "1 2", "", '"\\ud800"'):
        same_as_json(text)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(), st.text(), max_size=4) | st.dictionaries(st.text(max_size=3), SCALARS, max_size=3))
def test_docker_answers_are_encoded_as_json_dumps_does(doc):
    from truto_credential_helper.protocols.docker import _dump

    assert _dump(doc) == (json.dumps(doc) + "\n").encode("utf-8")
