"""`truto logout`: remove a profile's secrets from whichever store holds them, then the profile."""

from .. import resolution
from . import prompts, vault_cli
from .completion_marks import PROFILE, completes


def register(subparsers, parents):
    p = subparsers.add_parser(
        "logout",
        parents=parents,
        help="remove a profile and its stored secrets",
        description="Remove a profile (default: the selected one: -p, $TRUTO_PROFILE, the active profile, "
        "'default') and its token and BYOK keys from the OS keyring or credentials.json.",
    )
    completes(
        p.add_argument("--profile-name", metavar="NAME", help="profile to remove (default: the selected profile)"),
        PROFILE,
    )
    p.add_argument("-f", "--force", action="store_true", help="do not ask for confirmation")
    p.set_defaults(run=run)


def run(ctx, args):
    name = resolution.selected_name(ctx.store, args.profile_name or args.profile)
    profile = ctx.require_profile(name)  # a missing profile: exit 3, nothing to confirm
    if not args.force:
        prompts.require_terminal("pass -f to log out without confirmation")
        if not prompts.confirm(f"Log out of profile '{name}' ({profile.api_url}) and delete its stored secrets?"):
            raise prompts.Aborted(f"kept profile '{name}'")
    with ctx.store.edit() as edit:
        if not edit.remove_profile(name):
            # Another process removed it between our read and the lock: the outcome is the same.
            pass
    where = {"file": "credentials.json", "keyring": "the OS keyring"}.get(profile.secret_store, profile.secret_store)
    ctx.info(
        vault_cli.logout_message(profile) or f"Logged out of profile '{name}'; its secrets were deleted from {where}."
    )
    return 0
