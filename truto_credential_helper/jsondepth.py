"""json.loads with a nesting bound, for every JSON document that comes from outside: config.json,
credentials.json, a legacy config, docker's config.json, a docker helper request, an API answer.

Python's decoder recurses once per level: a document nested a few thousand levels deep ends in a
RecursionError, and one a few hundred deep parses but then breaks whatever walks it (schema
validation, json.dumps of an edit). So the depth is measured before decoding, cheaply: no real
document of ours comes near MAX_DEPTH.

Nothing is imported at the top: the TRUTO_API_TOKEN path of `get` loads no JSON and pays nothing.
"""

MAX_DEPTH = 64


class TooDeep(ValueError):
    """The document nests arrays/objects deeper than the bound. A ValueError, like every other
    reason a text is not acceptable JSON, so each caller's existing handling gives its one-line
    error; `msg` is what JSONDecodeError also carries."""

    def __init__(self, limit):
        self.msg = f"nested more than {limit} levels deep"
        super().__init__(self.msg)


# bytes.translate: every byte but quotes and brackets deleted, and both kinds of bracket made one (for
# valid JSON the depth is the same; for invalid JSON the decoder stops at the first mismatch anyway).
_TABLE = bytes(range(256)).replace(b"{", b"[").replace(b"}", b"]")
_DELETE = bytes(b for b in range(256) if b not in b'"[]{}')


def depth_exceeds(text, limit=MAX_DEPTH):
    """Whether the arrays and objects of JSON text `text` nest more than `limit` levels deep, or, for
    text that is not JSON, whether the decoder would go that deep before finding out it is not."""
    if text.count("[") + text.count("{") <= limit:
        return False  # the common case, in two C-speed scans: not enough brackets to be that deep
    # Down to the brackets outside strings, every step a C-speed pass: escaped backslashes and quotes
    # out first (so none can end a string), then every byte but quotes and brackets (UTF-8 never hides
    # these bytes inside a multi-byte character), then the strings: every other piece between quotes.
    data = text.encode("utf-8", "surrogatepass").replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = b"".join(data.translate(_TABLE, _DELETE).split(b'"')[::2])
    run = b"[" * (limit + 1)
    # Each pass removes every innermost (empty) container: the passes a document needs is its depth.
    for done in range(limit + 1):
        if not brackets:
            return False
        if run in brackets:
            return True
        shorter = brackets.replace(b"[]", b"")
        if len(shorter) == len(brackets):
            return _unbalanced_depth_exceeds(brackets, limit - done)
        brackets = shorter
    return True


def _unbalanced_depth_exceeds(brackets, limit):
    # Not JSON: the decoder descends until the first closer without an opener, then fails.
    depth = 0
    for c in brackets:
        depth += 1 if c == 91 else -1  # 91: "["
        if depth > limit:
            return True
        if depth < 0:
            return False
    return False


def loads(data, limit=MAX_DEPTH):
    """json.loads(data) (str or bytes, as json.loads takes them), refusing with TooDeep a document
    nested more than `limit` levels deep."""
    if isinstance(data, str):
        if depth_exceeds(data, limit):
            raise TooDeep(limit)
        try:
            return _scan_whole(data)
        except Exception:  # not plain valid JSON: json.loads gives the very error (or value) below
            pass
    import json

    text = data
    if isinstance(data, (bytes, bytearray)):
        text = data.decode(json.detect_encoding(data), "surrogatepass")
    if depth_exceeds(text, limit):
        raise TooDeep(limit)
    return json.loads(text)


class _Decoder:
    """What the C scanner reads from json's default JSONDecoder, without importing json: json.decoder
    compiles regular expressions at import, and `re` with json would cost a `get` that reads config.json
    more than all its own work on the file (docs/performance.md)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__


_scanner = None
_WHITESPACE = " \t\n\r"  # json.decoder's WHITESPACE


def _scan_whole(text):
    """json.loads(text) for a str that is valid JSON, by the same C scanner json.loads uses; raises
    (anything) where json.loads might do otherwise, and the caller then asks json.loads itself."""
    global _scanner
    if _scanner is None:
        from _json import make_scanner

        _scanner = make_scanner(_Decoder())
    if text.startswith("\ufeff"):
        raise ValueError("BOM")  # json.loads refuses it with its own message
    value, end = _scanner(text, len(text) - len(text.lstrip(_WHITESPACE)))
    if text[end:].strip(_WHITESPACE):
        raise ValueError("extra data")
    return value
