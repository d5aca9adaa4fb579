"""`truto doctor`'s check for secrets no profile names, and `--fix` removing them.

Whatever left them (a writer killed by an older version, a profile removed by hand from
config.json), they are items of this config directory's keyring service, entries of its
credentials.json or of its folder in a pass store, that no profile of config.json refers to. Their values are never read.
"""

from ... import config
from ...errors import TrutoError
from ...locked_io import locked
from ...secrets import FILE, KEYRING, PASS, open_store

CHECK = "orphan secrets"
FIX = "truto doctor --fix (asks first; --fix --yes without a terminal)"


def register_flags(parser):
    parser.add_argument(
        "--fix", action="store_true", help="remove the secrets no profile names (asks first on a terminal)"
    )
    parser.add_argument("--yes", action="store_true", help="with --fix: remove without asking (no terminal needed)")


def _stores(directory, profiles):
    """The stores a profile of this directory can name, that may hold secrets of it."""
    import os

    from ...secrets.file import FILE_NAME

    kinds = [KEYRING]
    if os.path.lexists(os.path.join(directory, FILE_NAME)):
        kinds.append(FILE)
    named = {settings.get("secretStore", KEYRING) for settings in profiles.values()}
    if PASS in named:
        kinds.append(PASS)  # a pass store is only looked into where a profile uses one
    return [open_store(kind, directory) for kind in kinds]


def find(directory, doc):
    """{store: [(profile, field)] held but not named by any profile of doc}, and the stores
    that could not be listed as [(store, reason)]."""
    named = {
        (name, field, settings.get("secretStore", KEYRING))
        for name, settings in doc["profiles"].items()
        for field in settings.get("secrets", ())
    }
    found, unlisted = {}, []
    for store in _stores(directory, doc["profiles"]):
        try:
            held = store.names()
        except TrutoError as e:
            unlisted.append((store, str(e).splitlines()[0]))
            continue
        if held is None:
            unlisted.append((store, "its backend cannot list items"))
            continue
        left = [(p, f) for p, f in held if (p, f, store.kind) not in named]
        if left:
            found[store] = left
    return found, unlisted


def _shown(pairs):
    return ", ".join(f"{p}:{f}" for p, f in pairs)


def check(checks, directory, doc, statuses):
    """Add the rows; returns what was found (for --fix). doc None: config.json unreadable, so
    what its profiles name is unknown: nothing is called an orphan, and None is returned."""
    ok, warn, info = statuses
    if doc is None:
        return None
    found, unlisted = find(directory, doc)
    for store, reason in unlisted:
        checks.add(CHECK, info, f"cannot list {store.describe()}: {reason}")
    for store, pairs in found.items():
        n = len(pairs)
        checks.add(
            CHECK,
            warn,
            f"{n} secret{'s' if n != 1 else ''} in {store.describe()} that no profile names: {_shown(pairs)}",
            FIX,
        )
    if not found and not unlisted:
        checks.add(CHECK, ok, "every stored secret belongs to a profile")
    return found


def fix(ctx, directory, found, assume_yes):
    """Remove what check() found, after asking (or with --yes). Under the config lock and checked
    again there, so a secret a concurrent login has just named is never removed."""
    from .. import prompts

    if found is None:
        raise TrutoError(
            "cannot tell which secrets no profile names while config.json cannot be read; "
            "fix it first (see the config checks above), then run --fix again"
        )
    total = sum(len(pairs) for pairs in found.values())
    if not total:
        ctx.info("Nothing to fix: every stored secret belongs to a profile.")
        return
    if not assume_yes:
        prompts.require_terminal(
            f"pass --fix --yes to remove the {total} secret{'s' if total != 1 else ''} no profile names without asking"
        )
        if not prompts.confirm(
            f"Remove the {total} secret{'s' if total != 1 else ''} no profile names "
            f"({_shown(p for pairs in found.values() for p in pairs)})?"
        ):
            raise prompts.Aborted("removed nothing")
    removed = 0
    with locked(directory):
        still, _ = find(directory, config.load(directory))
        still_by_kind = {store.kind: set(pairs) for store, pairs in still.items()}
        for store, pairs in found.items():
            for profile, field in pairs:
                if (profile, field) in still_by_kind.get(store.kind, ()):
                    store.delete(profile, field)
                    removed += 1
    ctx.info(f"Removed {removed} secret{'s' if removed != 1 else ''} no profile named.")
