"""Small cache files in the config directory (the validation cache, .keyring-plugins, .refused),
recalled and remembered under the same ownership rule as config.json, and the SHA-256 they key
their entries by: a digest, so a cache never holds a second copy of what it stands for."""

import os
import sys

from .file_trust import check_private
from .locked_io import atomic_write

_constructor = None  # the SHA-256 constructor _sha256 picked, once per process


def _sha256():
    global _constructor
    if _constructor is None:
        # CPython's own SHA-256 module (the same digest): hashlib would load OpenSSL's libcrypto first,
        # a cost every `get` would pay. Picked by version, not by trying both: a failed import searches sys.path.
        try:
            if sys.version_info >= (3, 12):
                from _sha2 import sha256  # type: ignore[import-not-found]
            else:
                from _sha256 import sha256  # type: ignore[import-not-found]
        except ImportError:  # a Python built without it
            from hashlib import sha256
        _constructor = sha256
    return _constructor


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of data in hex, by the module the `get` path already loads (see _sha256)."""
    return _sha256()(data).hexdigest()


def recall(directory: str, name: str) -> "bytes | None":
    """The contents of cache file `name` in the config directory; None when it cannot be read.
    A cache another user controls is refused (ConfigError), as every file of ours is."""
    path = os.path.join(directory, name)
    try:
        with open(path, "rb") as f:
            check_private(path, os.fstat(f.fileno()))
            return f.read()
    except OSError:
        return None


def remember(directory: str, name: str, data: bytes) -> None:
    """Write cache file `name` atomically, if the directory lets us: a cache only, so a read-only
    config directory still works, just slower."""
    try:
        atomic_write(directory, name, data)
    except OSError:
        pass
