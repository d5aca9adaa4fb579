"""Whether a config.json document is one truto accepts: schemas/config.schema.json (by schema_subset.py,
or jsonschema for what it cannot judge) plus the rules the schema cannot say, every problem worded
without the offending value. Bytes already validated are not validated again: the validation cache
(.config.json.valid) records their SHA-256, so a `get` never imports jsonschema.
"""

import os

from .errors import ConfigError
from .memos import recall, remember, sha256_hex

TYPE_CHECKING = False  # typing is not imported at run time: `get` never loads it
if TYPE_CHECKING:
    from re import Pattern

VALID_CACHE_NAME = ".config.json.valid"
SCHEMA_NAME = "config.schema.json"


def schema_path(name: str = SCHEMA_NAME) -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    installed = os.path.join(here, "schemas", name)  # installed: schemas/ mapped into the package
    if os.path.exists(installed):
        return installed
    return os.path.join(os.path.dirname(here), "schemas", name)  # running from a source checkout


# ---------------------------------------------------------------------------------------------
# The validation cache


def _schema_stamp():
    st = os.stat(schema_path())
    return f"{st.st_size}:{st.st_mtime_ns}"


def _content_key(data):
    # A digest, never the bytes themselves: a standalone Truto CLI's config.json holds tokens inline,
    # and a cache must not become a second copy of them.
    return (sha256_hex(data) + " " + _schema_stamp()).encode("ascii")


def validate_cached(directory: str, path: str, data: bytes, doc: dict) -> None:
    """validate(path, doc) unless these very bytes (`data`, of which doc is the parse) passed it
    already under this schema; then remember that they did."""
    key = _content_key(data)
    # Another user's cache could vouch for a bad file: recall() refuses one.
    if recall(directory, VALID_CACHE_NAME) == key:
        return
    validate(path, doc)
    remember_valid(directory, data)


def remember_valid(directory: str, data: bytes) -> None:
    """Record config.json's bytes `data` as validated (by the writer that just validated them)."""
    remember(directory, VALID_CACHE_NAME, _content_key(data))


# ---------------------------------------------------------------------------------------------
# Validation


_validator = None
_schema_doc = None


def _schema():
    from .jsondepth import loads

    global _schema_doc
    if _schema_doc is None:
        with open(schema_path(), encoding="utf-8") as f:
            _schema_doc = loads(f.read())
    return _schema_doc


def validate(path: str, doc: dict) -> None:
    """Raise ConfigError naming the file, the JSON path and the rule, never the offending value
    (it could be a pasted token)."""
    from .schema_subset import verdict

    # The common case, without importing jsonschema, which costs more than a whole get.
    if verdict(_schema(), doc) is True:
        _check_beyond_schema(path, doc)
        return
    import json

    global _validator
    if _validator is None:
        import jsonschema

        with open(schema_path(), encoding="utf-8") as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(schema)
        _validator = cls(schema)
    errors = sorted(_validator.iter_errors(doc), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        e = errors[0]
        where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path)
        more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
        raise ConfigError(
            f"{path}: at {where}: {describe_schema_error(e)}{more}; fix the file or delete it to start afresh"
        )
    _check_beyond_schema(path, doc)


def _check_beyond_schema(path, doc):
    """What the schema cannot say for Python: its patterns are searched with `$`, which also
    matches before a trailing newline, so names get the schema's pattern as a full match; and an
    apiUrl must be what every command accepts as one (credential.origin_from_url)."""
    from .credential import origin_from_url

    pattern = profile_name_pattern()
    names = list(doc["profiles"]) + ([doc["activeProfile"]] if "activeProfile" in doc else [])
    for name in names:
        if not pattern.fullmatch(name):
            raise ConfigError(
                f"{path}: at $.profiles: {describe_name_problem()}; fix the file or delete it to start afresh"
            )
    for name, profile in doc["profiles"].items():
        for key, value in profile.items():
            # `$` lets a trailing newline through any pattern, and most settings have none: a control
            # character would reach a helper's answer (authtype=..., username=...) or a header.
            if isinstance(value, str) and any(c < " " or c == "\x7f" for c in value):
                raise ConfigError(
                    f"{path}: at $.profiles.{name}.{key}: contains a control character; "
                    "fix the file or delete it to start afresh"
                )
        try:
            origin_from_url(profile["apiUrl"])
        except ValueError as e:
            raise ConfigError(f"{path}: at $.profiles.{name}.apiUrl: {e}; fix the file or delete it to start afresh")


def describe_name_problem() -> str:
    return "has a profile name that is not allowed (letters, digits, . _ @ + -, starting with a letter or digit)"


_name_pattern = None


def profile_name_pattern() -> "Pattern[str]":
    """The profile-name rule, read from the schema so there is one definition of it."""
    import json
    import re

    global _name_pattern
    if _name_pattern is None:
        with open(schema_path(), encoding="utf-8") as f:
            _name_pattern = re.compile(json.load(f)["$defs"]["profileName"]["pattern"])
    return _name_pattern


def describe_schema_error(e):
    import json

    v = e.validator
    if v in ("required", "additionalProperties", "unevaluatedProperties"):
        return e.message.replace(" (", " ").replace(")", "") if v != "required" else e.message
    if v == "type":
        return f"must be of type {e.validator_value}"
    if v in ("enum", "const"):
        allowed = e.validator_value if v == "enum" else [e.validator_value]
        return "must be one of " + ", ".join(json.dumps(a) for a in allowed)
    if v == "pattern":
        return "does not have the expected form"
    if v == "propertyNames":
        return describe_name_problem()
    return f"breaks the schema's '{v}' rule"
