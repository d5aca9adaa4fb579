"""config.json as the standalone Truto CLI writes it: each profile's secrets inline, in plaintext.

    {"activeProfile": "<name>", "profiles": {"<name>": {"apiUrl": ..., "apiToken": ...,
     "defaultIntegratedAccount": ..., "anthropicApiKey": ..., "firecrawlApiKey": ...}}}

Such a file keeps working read-only: config.load hands the rest of the code `as_config(doc)`, a
document of today's shape whose profiles name the LEGACY_INLINE secret store, and that store
(secrets/legacy_inline.py) reads the inline values from the file when one is asked for. Nothing
ever writes them anywhere but into a secret store, through migrate.py. Pure conversion: it reads
and writes no file, so config.py can use it without a cycle.
"""

from .console import warn
from .kinds import LEGACY_INLINE
from .settings import DEFAULT_API_URL

TYPE_CHECKING = False  # typing is not imported at run time: `get` never loads it
if TYPE_CHECKING:
    from .errors import TrutoError

PROFILE_KEYS = frozenset(("apiUrl", "apiToken", "defaultIntegratedAccount", "anthropicApiKey", "firecrawlApiKey"))
INLINE_SECRETS = ("apiToken", "anthropicApiKey", "firecrawlApiKey")
MIGRATE_HINT = "run `truto auth migrate` to move its secrets into the OS keyring"

_warned: set[str] = set()


def is_legacy(doc: object) -> bool:
    """The standalone CLI's shape: no `version`, only activeProfile/profiles at the top, at least one
    profile, and profiles holding only the legacy keys (string values). Today's files always carry
    `version` and `secretStore`, so the two shapes cannot be confused."""
    if not isinstance(doc, dict) or "version" in doc or not set(doc) <= {"activeProfile", "profiles"}:
        return False
    profiles = doc.get("profiles")
    if not isinstance(profiles, dict) or not profiles:
        return False
    return all(
        isinstance(p, dict) and set(p) <= PROFILE_KEYS and all(isinstance(v, str) for v in p.values())
        for p in profiles.values()
    )


def check_inline_secrets(path: str, doc: dict) -> None:
    """An inline secret must be one printable word, as `truto login` requires of a token: a newline
    or control character in it would inject lines into a helper's answer or an HTTP header. The
    error names the profile and field, never the value. Every file read with inline secrets comes
    through here: each is held (untrusted.hold) as it is checked."""
    from .errors import ConfigError
    from .untrusted import hold

    for name, profile in doc["profiles"].items():
        for field, value in inline_secrets(profile).items():
            hold(value)
            if any(c.isspace() or not c.isprintable() for c in value):
                raise ConfigError(
                    f"{path}: at $.profiles.{name}.{field}: contains whitespace or control characters; "
                    "fix the file (one printable word per secret), then retry"
                )


def inline_secrets(profile: dict) -> dict[str, str]:
    """{field: value} of the secrets a legacy profile holds inline (empty values mean none)."""
    return {f: profile[f] for f in INLINE_SECRETS if profile.get(f)}


def as_config(doc: dict, store_kind: "str | None" = None) -> dict:
    """Today's config document for a legacy one, without any secret: each profile's secrets are
    named in `secrets` and held by store_kind (by default the read-only LEGACY_INLINE store)."""
    converted: dict = {"version": 1, "profiles": {}}
    if isinstance(doc.get("activeProfile"), str) and doc["activeProfile"]:
        converted["activeProfile"] = doc["activeProfile"]
    for name, profile in doc["profiles"].items():
        settings = {"apiUrl": (profile.get("apiUrl") or DEFAULT_API_URL).rstrip("/") or DEFAULT_API_URL}
        if profile.get("defaultIntegratedAccount"):
            settings["defaultIntegratedAccount"] = profile["defaultIntegratedAccount"]
        settings["secretStore"] = store_kind or LEGACY_INLINE
        settings["secrets"] = sorted(inline_secrets(profile))
        converted["profiles"][name] = settings
    return converted


def warn_read_only(path: str) -> None:
    """Once per process: the file works, but only for reading, and how to fix that."""
    if path in _warned:
        return
    _warned.add(path)
    warn(
        f"{path} is in the standalone Truto CLI's format, with secrets inline in plaintext; truto uses it "
        f"read-only: {MIGRATE_HINT}"
    )


def read_only_error(path: str) -> "TrutoError":
    from .errors import ConfigError

    return ConfigError(
        f"{path}: is in the standalone Truto CLI's format (secrets inline), which truto only reads; "
        f"{MIGRATE_HINT}, then retry"
    )


def is_converted(doc: dict) -> bool:
    """Whether a document came from as_config() for the read-only store (config.edit refuses it)."""
    return any(p.get("secretStore") == LEGACY_INLINE for p in doc.get("profiles", {}).values())
