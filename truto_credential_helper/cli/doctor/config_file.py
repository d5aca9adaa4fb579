"""`truto doctor`'s checks of the config directory and config.json: ownership and modes, then the
file read, parsed and validated by the very functions every command loads it with (config.py and its helpers)."""

import os

from ... import config, legacy
from ...config_validation import validate
from ...errors import ConfigError, TrutoError
from ...file_trust import read_private
from .report import FAIL, INFO, OK, WARN, mode_owner, one_line


def check_config(checks, directory):
    """Directory and file permissions, then parse + schema. Returns the document of today's shape
    (converted from a legacy one), or None when it cannot be read."""
    if not os.path.lexists(directory):
        checks.add("config directory", INFO, f"{directory} does not exist yet", "truto login creates it")
        return config.empty_config()
    if not os.path.isdir(directory):
        checks.add(
            "config directory", FAIL, f"{directory} is not a directory", "move it aside, or set TRUTO_CONFIG_DIR"
        )
        return None
    checks.add("config directory", *mode_owner(directory, 0o700, "directory"))
    path = config.config_path(directory)
    if not os.path.lexists(path):
        checks.add("config file", INFO, f"{path} does not exist yet (no profiles)", "truto login creates it")
        return config.empty_config()
    if os.path.islink(path) or not os.path.isfile(path):
        checks.add("config file", WARN, f"{path} is not a regular file", "replace it with the file it points at")
    else:
        checks.add("config file", *mode_owner(path, 0o600, "file"))
    try:
        data = read_private(path)  # as every command reads it
        if data is None:
            raise ConfigError(f"{path}: disappeared while reading it; try again")
        doc = config.parse(path, data)
    except (OSError, TrutoError) as e:
        checks.add("config schema", FAIL, one_line(e), "fix the file, or move it aside and run truto login")
        return None
    if legacy.is_legacy(doc):
        n = sum(len(legacy.inline_secrets(p)) for p in doc["profiles"].values())
        checks.add(
            "config schema", WARN, f"{path} is in the standalone Truto CLI's format (read-only)", "truto auth migrate"
        )
        checks.add(
            "inline secrets",
            FAIL if n else WARN,
            f"{n} secret{'s' if n != 1 else ''} stored inline in plaintext in {path}",
            "truto auth migrate",
        )
        try:
            validate(path, config.legacy_as_validated(path, doc))  # the rules every command applies to it
        except TrutoError as e:
            checks.add("config schema", FAIL, one_line(e), "fix the file, or move it aside and run truto login")
            return None
        return legacy.as_config(doc)
    try:
        validate(path, doc)
    except TrutoError as e:
        checks.add("config schema", FAIL, one_line(e), "fix the file, or move it aside and run truto login")
        return None
    n = len(doc["profiles"])
    checks.add("config schema", OK, f"valid ({n} profile{'s' if n != 1 else ''})")
    checks.add("inline secrets", OK, "none in config.json")
    return doc
