"""--secret-store, the one option that chooses where a profile's secrets live, and --insecure-storage,
its older name for `file`. Shared by login, profiles set-key and auth migrate."""

from ..errors import UsageError
from ..secrets import FILE, STORE_KINDS, VAULT

STORES_HELP = (
    "keyring (the OS keyring), file (plaintext credentials.json, 0600), vault (OpenBao / Vault), "
    "pass (the Unix password store, GPG)"
)


def add_store_options(parser, what, *aliases):
    parser.add_argument(
        "--secret-store",
        *aliases,
        dest="secret_store",
        choices=STORE_KINDS,
        metavar="STORE",
        help=f"{what}: {STORES_HELP}",
    )
    parser.add_argument("--insecure-storage", action="store_true", help="the same as --secret-store file")


def chosen_store(args, default=None):
    kind = args.secret_store
    if args.insecure_storage:
        if kind not in (None, FILE):
            raise UsageError(f"--insecure-storage means --secret-store file; drop one of it and --secret-store {kind}")
        kind = FILE
    return kind or default


def check_move_target(kind, name):
    """A profile can move into any store but Vault, whose secret path only `truto login` sets."""
    if kind == VAULT:
        raise UsageError(
            f"a profile moves into Vault through login, which names the secret's path: "
            f"truto login --profile-name {name} --secret-store vault --vault-path MOUNT/PATH"
        )
    return kind
