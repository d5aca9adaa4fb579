"""memos.py: the SHA-256 its caches are keyed by (the validation cache, .refused) is CPython's own
module when the build has one and hashlib's otherwise, the same digest either way."""

import hashlib
import sys

from truto_credential_helper import memos

DATA = b"truto-refused\0work\0tok-1"


def test_the_digest_is_sha256():
    assert memos.sha256_hex(DATA) == hashlib.sha256(DATA).hexdigest()


def test_a_python_without_the_builtin_sha256_module_falls_back_to_hashlib(monkeypatch):
    # None in sys.modules makes `import` of that name raise ImportError, as on a build without it.
    monkeypatch.setitem(sys.modules, "_sha2", None)
    monkeypatch.setitem(sys.modules, "_sha256", None)
    monkeypatch.setattr(memos, "_constructor", None)  # choose again, under the missing module
    assert memos._sha256() is hashlib.sha256
    assert memos.sha256_hex(DATA) == hashlib.sha256(DATA).hexdigest()
