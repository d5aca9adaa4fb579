"""`truto profiles` (alias `profile`) and the `truto use` shortcut.

list/current/use read config.json only: they never touch the keyring or import requests, so they
stay fast with many profiles. get/set/unset/set-key act on the selected profile.
"""

from ..api import check_api_url, mask
from ..errors import TrutoError, UsageError
from ..secrets import STORE_KINDS
from ..untrusted import masked
from . import prompts, vault_cli
from .context import check_secret, read_stdin_secret
from .store_choice import add_store_options, check_move_target, chosen_store

# Keys and aliases exactly as the Truto CLI documentation's table.
KEYS = {
    "apiUrl": ("api_url", "api-url"),
    "defaultIntegratedAccount": ("default_integrated_account", "default-integrated-account"),
    "anthropicApiKey": ("anthropic_api_key", "anthropic-api-key"),
    "firecrawlApiKey": ("firecrawl_api_key", "firecrawl-api-key"),
    "secretStore": ("secret_store", "secret-store"),  # set: moves the profile's secrets (relocate.py)
}
SECRET_KEYS = ("anthropicApiKey", "firecrawlApiKey")
KEY_KINDS = {"anthropic": "anthropicApiKey", "firecrawl": "firecrawlApiKey"}
ALIASES = {alias: key for key, aliases in KEYS.items() for alias in (key,) + aliases}

LIST_COLUMNS = [
    ("active", "active"),
    ("name", "name"),
    ("apiUrl", "api url"),
    ("secretStore", "store"),
    ("defaultIntegratedAccount", "default account"),
]


def register(subparsers, parents):
    from .completion_marks import KEY, KIND, PROFILE, completes

    p = subparsers.add_parser(
        "profiles",
        aliases=["profile"],
        parents=parents,
        help="list, switch and configure profiles",
        description="Manage profiles. Keys for get/set/unset: " + allowed_keys() + ".",
    )
    p.set_defaults(group_parser=p)
    sub = p.add_subparsers(dest="action", metavar="ACTION", title="actions")

    s = sub.add_parser("list", aliases=["ls"], parents=parents, help="list profiles (never reads the keyring)")
    s.set_defaults(run=run_list)

    s = sub.add_parser("current", parents=parents, help="print the selected profile's name")
    s.set_defaults(run=run_current)

    s = sub.add_parser("use", parents=parents, help="make a profile the active one")
    completes(s.add_argument("name", metavar="NAME"), PROFILE)
    s.set_defaults(run=run_use)

    s = sub.add_parser("get", parents=parents, help="print a setting of the selected profile (secrets masked)")
    completes(s.add_argument("key", metavar="KEY", help=allowed_keys()), KEY)
    s.add_argument("--reveal", action="store_true", help="print a secret in full")
    s.set_defaults(run=run_get)

    s = sub.add_parser("set", parents=parents, help="change a setting of the selected profile")
    completes(s.add_argument("key", metavar="KEY", help=allowed_keys()), KEY)
    s.add_argument("value", metavar="VALUE")
    s.set_defaults(run=run_set)

    s = sub.add_parser(
        "unset", parents=parents, help="remove defaultIntegratedAccount or a BYOK key from the selected profile"
    )
    completes(s.add_argument("key", metavar="KEY", help=allowed_keys()), KEY)
    s.set_defaults(run=run_unset)

    s = sub.add_parser("set-key", parents=parents, help="store a bring-your-own key (anthropic, firecrawl)")
    completes(s.add_argument("kind", metavar="KIND", help="anthropic or firecrawl"), KIND)
    s.add_argument(
        "value",
        metavar="VALUE",
        nargs="?",
        help="the key; '-' reads it from stdin; omitted: prompted for with masked input",
    )
    add_store_options(s, "move the profile's secrets to this store first")
    s.set_defaults(run=run_set_key)

    use = subparsers.add_parser("use", parents=parents, help="make a profile the active one (= profiles use)")
    completes(use.add_argument("name", metavar="NAME"), PROFILE)
    use.set_defaults(run=run_use)


def allowed_keys():
    return ", ".join(f"{key} ({'/'.join(aliases)})" for key, aliases in KEYS.items())


def canonical_key(raw):
    try:
        return ALIASES[raw]
    except KeyError:
        raise UsageError(f"unknown profile key {masked(raw)}; allowed keys: {allowed_keys()}")


# ---------------------------------------------------------------------------------------------


def run_list(ctx, args):
    store = ctx.store
    active = store.active_name
    rows = [
        {
            "name": p.name,
            "active": p.name == active,
            "apiUrl": p.settings.get("apiUrl"),
            "secretStore": p.secret_store,
            **vault_cli.list_fields(p),
            "defaultIntegratedAccount": p.settings.get("defaultIntegratedAccount"),
        }
        for p in sorted(store.profiles(), key=lambda p: p.name)
    ]
    if ctx.output == "table":
        if not rows:
            ctx.info("No profiles yet; run `truto login` to create one.")
            return 0
        for row in rows:
            row["active"] = "*" if row["active"] else ""
            row["secretStore"] = vault_cli.store_label(row)
    ctx.emit_rows(rows, LIST_COLUMNS)
    return 0


def run_current(ctx, args):
    name = ctx.profile_name()
    source = ctx.profile_source()
    profile = ctx.require_profile(name)
    if ctx.output == "table":
        ctx.emit_value(name)
    else:
        ctx.emit_record({"name": name, "source": source, "apiUrl": profile.api_url}, [])
    return 0


def run_use(ctx, args):
    with ctx.store.edit() as edit:
        edit.set_active(args.name)  # NotLoggedIn (exit 3) for a profile that does not exist
    ctx.info(f"Profile '{args.name}' is now the active profile.")
    return 0


def run_get(ctx, args):
    key = canonical_key(args.key)
    name = ctx.profile_name()
    profile = ctx.require_profile(name)
    if key in SECRET_KEYS:
        value = ctx.store.read_secret(profile, key)
        if value is not None and not args.reveal:
            value = mask(value)
    else:
        value = profile.settings.get(key)
    if value is None:
        raise TrutoError(f"profile '{name}' has no {key}; set it with `truto profiles {set_hint(key)}`")
    ctx.emit_value(value, key)
    return 0


def set_hint(key):
    for kind, field in KEY_KINDS.items():
        if field == key:
            return f"set-key {kind}"
    return f"set {KEYS[key][1]} VALUE"


def run_set(ctx, args):
    key = canonical_key(args.key)
    name = ctx.profile_name()
    ctx.require_profile(name)
    value = checked_value(key, args.value)
    if key == "secretStore":
        return move_secrets(ctx, name, check_move_target(value, name))
    with ctx.store.edit() as edit:
        edit.require_profile(name)  # logged out meanwhile: exit 3, not a KeyError
        if key in SECRET_KEYS:
            edit.set_secret(name, key, value)
        else:
            edit.update_settings(name, **{key: value})
    ctx.info(f"Set {key} of profile '{name}'.")
    return 0


def checked_value(key, value):
    if key == "apiUrl":
        return check_api_url(value, "apiUrl")
    if key in SECRET_KEYS:
        return check_secret(value, f"the {key}")
    if key == "secretStore":
        if value not in STORE_KINDS:
            raise UsageError(f"unknown secret store '{value}'; use one of: {', '.join(STORE_KINDS)}")
        return value
    if not value or len(value) > 256 or any(not c.isprintable() for c in value):
        raise UsageError(f"{key} must be 1 to 256 printable characters")
    return value


def run_unset(ctx, args):
    key = canonical_key(args.key)
    if key in ("apiUrl", "secretStore"):
        raise UsageError(f"{key} cannot be removed, only changed: `truto profiles set {KEYS[key][1]} VALUE`")
    name = ctx.profile_name()
    ctx.require_profile(name)
    with ctx.store.edit() as edit:
        edit.require_profile(name)  # logged out meanwhile: exit 3, not a KeyError
        if key in SECRET_KEYS:
            edit.delete_secret(name, key)
        else:
            edit.update_settings(name, **{key: None})
    ctx.info(f"Removed {key} from profile '{name}'.")
    return 0


def run_set_key(ctx, args):
    kind = args.kind.lower()
    if kind not in KEY_KINDS:
        raise UsageError(f"unknown key kind {masked(args.kind)}; use one of: {', '.join(KEY_KINDS)}")
    field = KEY_KINDS[kind]
    name = ctx.profile_name()
    ctx.require_profile(name)
    if args.value == "-":
        value = read_stdin_secret(f"{kind} key", "set-key")
    elif args.value is not None:
        value = check_secret(args.value, f"the {kind} key")
    else:
        prompts.require_terminal(
            f"pass the key as an argument, or '-' to read it from stdin: truto profiles set-key {kind} -"
        )
        value = check_secret(prompts.ask_secret(f"{kind.capitalize()} API key"), f"the {kind} key entered")
    target = chosen_store(args)
    if target is not None:
        # A profile's secrets live in one remembered store: all of them move there first.
        from ..relocate import move_profile

        move_profile(ctx.store, name, check_move_target(target, name))
    with ctx.store.edit() as edit:
        edit.require_profile(name)  # logged out meanwhile: exit 3, not a KeyError
        edit.set_secret(name, field, value)
    ctx.info(f"Stored the {kind} key of profile '{name}'.")
    return 0


def move_secrets(ctx, name, kind):
    from ..relocate import move_profile

    moved = move_profile(ctx.store, name, kind)
    where = ctx.store.secret_store(kind).describe()
    if moved is None:
        ctx.info(f"Profile '{name}' already keeps its secrets in {where}; nothing moved.")
    else:
        ctx.info(f"Moved {len(moved)} secret{'s' if len(moved) != 1 else ''} of profile '{name}' into {where}.")
    return 0
