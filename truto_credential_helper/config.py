"""config.json: where it lives, reading it (today's format, or a standalone Truto CLI's through
legacy.py), and locked, atomic edits of it. Holds no secret ever; see secrets/ for those.

What it leans on, each in its own module: file_trust (whose files truto reads), locked_io (the lock
and atomic writes), config_validation (the schema and the validation cache that keeps jsonschema off
every `get`).
"""

import os

from .config_validation import remember_valid, validate, validate_cached
from .errors import ConfigError
from .file_trust import check_dir, read_private
from .kinds import KEYRING
from .lean_context import contextmanager
from .locked_io import locked, write_file
from .settings import config_dir

TYPE_CHECKING = False  # typing is not imported at run time: `get` never loads it
if TYPE_CHECKING:
    from typing import Any, Iterator

CONFIG_NAME = "config.json"
DEFAULT_PROFILE = "default"


def empty_config() -> dict:
    return {"version": 1, "profiles": {}}


def config_path(directory: "str | None" = None) -> str:
    return os.path.join(directory or config_dir(), CONFIG_NAME)


# ---------------------------------------------------------------------------------------------
# Reading


def load(directory: "str | None" = None) -> dict:
    """The validated config document; an empty one when the file does not exist yet."""
    directory = directory or config_dir()
    path = os.path.join(directory, CONFIG_NAME)
    data = read_private(path)
    check_dir(directory, must_exist=data is not None)
    if data is None:
        return empty_config()
    doc = parse(path, data)
    if isinstance(doc, dict) and "version" not in doc:  # every file we write has it: legacy.py only then
        from . import legacy

        if legacy.is_legacy(doc):
            validate_cached(directory, path, data, legacy_as_validated(path, doc))
            legacy.warn_read_only(path)
            return legacy.as_config(doc)
    validate_cached(directory, path, data, doc)
    return doc


def legacy_as_validated(path: str, doc: dict) -> dict:
    """A standalone Truto CLI document is held to the same rules as any config.json (schema, URL,
    profile names) plus its inline secrets': checks those, and returns the document of today's
    shape to validate (`truto doctor` checks a file through this too)."""
    from . import legacy

    legacy.check_inline_secrets(path, doc)
    return legacy.as_config(doc, store_kind=KEYRING)


def parse(path: str, data: bytes) -> "Any":
    from .jsondepth import loads  # not at the top: the TRUTO_API_TOKEN path of `get` never parses config.json

    if not data.strip():
        raise ConfigError(f"{path}: is empty, not JSON; delete it to start afresh or restore it from a backup")
    try:
        doc = loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text; restore it from a backup or delete it")
    except ValueError as e:
        # JSONDecodeError's msg/lineno/colno say where; its str() never includes the document.
        where = f" at line {e.lineno} column {getattr(e, 'colno', '?')}" if hasattr(e, "lineno") else ""
        reason = getattr(e, "msg", "invalid JSON")
        raise ConfigError(f"{path}: is not valid JSON{where} ({reason}); fix it or delete it to start afresh")
    return doc


# ---------------------------------------------------------------------------------------------
# Writing


def dump(doc: dict) -> bytes:
    import json

    return (json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False) + "\n").encode("utf-8")


def _refuse_legacy(directory, doc):
    """A standalone Truto CLI file is read-only until `truto auth migrate` (legacy.py) rewrites it."""
    from . import legacy

    if legacy.is_converted(doc):
        raise legacy.read_only_error(os.path.join(directory, CONFIG_NAME))


@contextmanager
def edit(directory: "str | None" = None) -> "Iterator[dict]":
    """Yield the config document under the lock; if the block ends without error and changed it,
    validate and write it atomically. Concurrent editors never lose each other's changes. Inside
    the block, commit() writes the document early (profiles.py orders its writes with it)."""
    import json

    directory = directory or config_dir()
    with locked(directory):
        existed = os.path.lexists(os.path.join(directory, CONFIG_NAME))
        doc = load(directory)
        _refuse_legacy(directory, doc)
        _committed[directory] = initial = json.dumps(doc, sort_keys=True)
        try:
            yield doc
            if json.dumps(doc, sort_keys=True) != _committed[directory]:
                commit(directory, doc)
        except BaseException:
            if not existed and _committed[directory] == initial:
                # An early commit was rolled back to where we started: a failed first login leaves no file.
                _remove_quietly(os.path.join(directory, CONFIG_NAME))
            raise
        finally:
            del _committed[directory]


def _remove_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


_committed = {}  # config dir -> the document as last written (or read) inside edit()


def commit(directory: str, doc: dict) -> None:
    """Validate and write config.json now; only inside edit(), which holds the lock."""
    import json

    path = os.path.join(directory, CONFIG_NAME)
    validate(path, doc)
    data = dump(doc)
    write_file(directory, CONFIG_NAME, data)
    remember_valid(directory, data)
    _committed[directory] = json.dumps(doc, sort_keys=True)
