"""Text from outside made safe to print: the one sanitiser for whatever a server sends (status
line, headers, body), for exception messages that may quote it, and for values a user typed.

clean() redacts every secret this process holds (whatever a secret store, a prompt, an option or a
Vault login gave it: registered with hold() as it is read, plus the variables in SECRET_VARIABLES)
in any letter case, before and after the cleaning below (which could otherwise put back together a
secret an escape or a zero-width character splits), removes terminal escape sequences, control characters
(C0, DEL, C1) and the invisible Unicode formatting characters that reorder or hide text (bidi
overrides and isolates, zero-width characters), and caps the length. Every line the `truto`
command and the helpers print about an error, every -v line and every TRUTO_DEBUG traceback goes
through it.

Imports only `re` and only when there is something to clean: the helpers' error path uses it.
"""

import os

from .settings import ENV_TOKEN

TYPE_CHECKING = False  # typing is not imported at run time: `get` never loads it
if TYPE_CHECKING:
    from re import Pattern
    from typing import Any

LIMIT = 200  # characters of one server-supplied value in a message
LINE_LIMIT = 2000  # characters of a whole line printed about an error or in -v output
DATA_LIMIT = 1000  # characters of one string in an API answer printed as data (no real one comes near)
MIN_SECRET = 4  # shorter "secrets" would redact ordinary words and protect nothing
# Variables whose value is a secret: held from the start, before any code reads them.
SECRET_VARIABLES = (ENV_TOKEN, "VAULT_TOKEN", "TRUTO_VAULT_SECRET_ID", "TRUTO_VAULT_ROLE_ID", "TRUTO_VAULT_JWT")

_held: set[str] = set()
_pattern: "list[tuple[frozenset[str], Pattern[str]]]" = []  # the last one built, for the set it was built for


def hold(secret: "str | None") -> "str | None":
    """Remember a secret this process has in hand, so that no printed text repeats it."""
    if isinstance(secret, str) and len(secret) >= MIN_SECRET:
        _held.add(secret)
    return secret


def secrets() -> set[str]:
    found = set(_held)
    for name in SECRET_VARIABLES:
        value = os.environ.get(name)
        if value and len(value) >= MIN_SECRET:
            found.add(value)
    return found


def mask(secret: str) -> str:
    """At most the last 4 characters, and only of a secret long enough that they give little away."""
    if not secret:
        return ""
    return "****" + secret[-4:] if len(secret) >= 12 else "****"


def masked(value: "str | None") -> str:
    """How a message refers to a value it rejects or cannot find: never the value itself (it may be
    a secret pasted into the wrong place), only its masked form and length."""
    value = value if isinstance(value, str) else _str(value)
    return f"'{mask(value) or '(empty)'}' ({len(value)} character{'s' if len(value) != 1 else ''})"


def clean(text: str, limit: "int | None" = LIMIT, one_line: bool = True, also: "tuple[str | None, ...]" = ()) -> str:
    """text (anything: it is str()-ed) safe to print. one_line: newlines and tabs become spaces and
    runs of spaces one; otherwise line breaks are kept (a traceback). limit: None for no cap.
    also: values redacted in this text only, as the held secrets are (what a request sent that is
    not a secret but may be one pasted in the wrong place)."""
    text = text if isinstance(text, str) else _str(text)
    held = secrets() | {s for s in also if isinstance(s, str) and len(s) >= MIN_SECRET}
    text = _redact(text, held)  # before stripping, and again after: a secret split by a control
    text = _strip(text, one_line)  # character comes together once that character is gone
    text = _redact(text, held)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "..."
    return text


def clean_data(value: object) -> "Any":
    """A decoded JSON answer with every string (keys included) cleaned: what a command prints as
    data comes from the server too."""
    if isinstance(value, str):
        return clean(value, limit=DATA_LIMIT)
    if isinstance(value, dict):
        return {clean_data(k): clean_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_data(v) for v in value]
    return value


def _str(value):
    try:
        return str(value)
    except Exception:  # a hostile object's __str__: say what it was, nothing more
        return f"<{type(value).__name__}>"


def _redact(text, held):
    if not held or not text:
        return text
    import re

    key = frozenset(held)
    if not _pattern or _pattern[0][0] != key:
        forms = {form for secret in held for form in _forms(secret)}
        alternatives = sorted(forms, key=len, reverse=True)  # the longest first: no partial masks
        _pattern[:] = [(key, re.compile("|".join(re.escape(s) for s in alternatives), re.IGNORECASE))]
    return _pattern[0][1].sub(lambda m: mask(m.group()), text)


def _forms(secret):
    """Every spelling of a held secret the text may show: as held, without the whitespace around it
    (a token file's newline), as the cleaning leaves it (a secret with a control or invisible
    character of its own), each also in full upper and lower case (IGNORECASE maps one character to
    one, so 'ß' would not meet 'SS')."""
    forms = {secret, secret.strip(), _strip(secret, True)}
    forms |= {f.upper() for f in forms} | {f.lower() for f in forms} | {f.casefold() for f in forms}
    return {f for f in forms if len(f) >= MIN_SECRET}


# ESC-led sequences first (CSI with its parameters, OSC up to its terminator, two-character
# escapes, and the 8-bit CSI/OSC), so no "[31m" is left behind once ESC itself is gone.
_ESCAPES = (
    r"\x1b\[[0-?]*[ -/]*[@-~]?|\x9b[0-?]*[ -/]*[@-~]?"
    r"|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x9d[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
_BREAKS = "\t\n\r\x0b\x0c\x85\u2028\u2029"
_INVISIBLE = (
    "\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb"
)
_compiled: "list[Pattern[str]]" = []


def _strip(text, one_line):
    import re

    if not _compiled:
        _compiled.extend(
            (re.compile(_ESCAPES), re.compile(f"[{_INVISIBLE}]"), re.compile(f"[{_BREAKS}]"), re.compile(r"[ \t]+"))
        )
    escapes, invisible, breaks, spaces = _compiled
    text = invisible.sub("", escapes.sub("", text))
    if one_line:
        return spaces.sub(" ", breaks.sub(" ", text)).strip()
    lines = re.split("\r\n|[\n\r\x0b\x0c\x85\u2028\u2029]", text)
    return "\n".join(line.replace("\t", "    ") for line in lines)
