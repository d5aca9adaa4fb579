"""`truto login`: verify an API token against GET /team, then save it in a profile and make that
profile the active one. Nothing is saved unless the token is verified (or --no-verify)."""

import os
import sys

from ..api import check_api_url
from ..console import warn
from ..errors import SecretStoreUnavailable, UsageError
from ..profiles import UnusableSecret
from ..secrets import KEYRING, VAULT
from ..settings import DEFAULT_API_URL, ENV_PROFILE, ENV_TOKEN
from ..untrusted import clean, clean_data
from . import prompts, vault_cli
from .completion_marks import PROFILE, completes
from .context import check_profile_name, check_secret, read_stdin_secret, url_source_label
from .store_choice import add_store_options, chosen_store

BYOK_FIELDS = ("anthropicApiKey", "firecrawlApiKey")


def register(subparsers, parents):
    p = subparsers.add_parser(
        "login",
        parents=parents,
        help="verify an API token and save it in a profile",
        description="Log in: prompts for profile name, API base URL and token (masked), or takes them from "
        "flags. The token is verified with GET {apiUrl}/team before anything is saved.",
    )
    completes(
        p.add_argument(
            "--profile-name", metavar="NAME", help="profile to save (default: -p, else prompt, else 'default')"
        ),
        PROFILE,
    )
    p.add_argument(
        "--with-token", action="store_true", help="read the token from stdin (keeps it out of argv and shell history)"
    )
    p.add_argument("-f", "--force", action="store_true", help="overwrite an existing profile without asking")
    add_store_options(p, "where this profile's secrets live (default: keyring)")
    p.add_argument("--no-verify", action="store_true", help="save the token without checking it against the API")
    vault_cli.add_login_options(p)
    p.set_defaults(run=run)


def run(ctx, args):
    kind = chosen_store(args, KEYRING)
    if kind == VAULT or vault_cli.chosen(args):
        return run_vault(ctx, args)
    if args.token and args.with_token:
        raise UsageError("--token and --with-token both give the token; pass only one")
    # No terminal, no token flag, TRUTO_API_TOKEN set: the non-interactive login the Truto CLI
    # documents (CI, containers). The token is verified and stored like any other.
    from_env = not (args.token or args.with_token or prompts.interactive()) and bool(os.environ.get(ENV_TOKEN))
    prompting = not (args.token or args.with_token or from_env)
    if prompting:
        prompts.require_terminal(f"pass the token with --with-token (on stdin) or --token TOKEN, or set {ENV_TOKEN}")

    name = args.profile_name or args.profile or (os.environ.get(ENV_PROFILE) if from_env else None)
    if name is not None:
        flag = "--profile-name" if args.profile_name else "--profile" if args.profile else ENV_PROFILE
        check_profile_name(name, flag)
    elif prompting:
        name = ask_profile_name()
    else:
        name = "default"

    existing = ctx.store.profile(name)
    if existing is not None and prompting and not args.force:
        if not prompts.confirm(f"Profile '{name}' already exists. Overwrite it?"):
            raise prompts.Aborted(f"kept profile '{name}' as it was")

    if args.api_url:
        url, source = args.api_url, "flag"
    else:
        url, source = ctx.api_url(name)
    if prompting and source != "flag":
        url, source = ask_api_url(offered_url(url, source)), "prompt"
    else:
        url = check_api_url(url, url_source_label(source))

    if args.token:
        token = check_secret(args.token, "the token given with --token")
    elif from_env:
        token = check_secret(os.environ[ENV_TOKEN], ENV_TOKEN)
    elif args.with_token:
        token = read_stdin_secret("token", "--with-token")
    else:
        token = check_secret(prompts.ask_secret("API token"), "the token entered")

    team = verified_team(ctx, args, url, token, source)

    with ctx.store.edit() as edit:
        settings, secrets = carried_over(ctx.store, edit.profile(name))
        settings["apiUrl"] = url
        secrets["apiToken"] = token
        edit.save_profile(name, settings, secrets, store_kind=kind)
        edit.set_active(name)

    if team is not None:  # cleaned again: the BYOK keys carried over are held only since the answer came
        team = clean_data(team)
        ctx.info(
            f"Logged in to team {clean(team.get('name', '?'))} ({clean(team.get('id', '?'))}) at {url} as profile '{name}'; "
            "it is now the active profile."
        )
    else:
        ctx.info(
            f"Saved profile '{name}' for {url} without verifying the token (--no-verify); it is now the active profile."
        )
    if os.environ.get(ENV_TOKEN) and not from_env:
        warn(f"{ENV_TOKEN} is set in this environment and takes precedence over the saved token")
    if ctx.output != "table":
        record = {"profile": name, "apiUrl": url, "secretStore": kind, "verified": team is not None}
        if team is not None:
            record.update(teamId=team.get("id"), teamName=team.get("name"))
        ctx.emit_record(record, [])
    return 0


def verified_team(ctx, args, url, token, url_source):
    """GET /team with the token (its answer, {} when not an object), or None with --no-verify."""
    if args.no_verify:
        return None
    team = ctx.client(url, token, "flag" if url_source == "flag" else "profile").get("/team")
    return team if isinstance(team, dict) else {}


def run_vault(ctx, args):
    """A profile joining (or publishing to) a team's secret in Vault: no token prompt, since joining needs none."""
    name = args.profile_name or args.profile or "default"
    check_profile_name(name, "--profile-name" if args.profile_name else "--profile")
    url, source = (args.api_url, "flag") if args.api_url else ctx.api_url(name)
    url = check_api_url(url, url_source_label(source))
    return vault_cli.run_login(ctx, args, name, url, source, verified_team)


def offered_url(url, source):
    """The default the prompt offers: only a URL that passed validation (TRUTO_API_URL could hold a
    token pasted into the wrong variable, and the prompt would print it)."""
    try:
        return check_api_url(url, url_source_label(source))
    except UsageError:
        return DEFAULT_API_URL


def ask_api_url(offered):
    """Asked again until it is a URL truto can use, as the profile name is."""
    while True:
        try:
            return check_api_url(prompts.ask("API base URL", offered), "the API base URL")
        except UsageError as e:
            print(f"truto: {e}", file=sys.stderr)


def ask_profile_name():
    while True:
        name = prompts.ask("Profile name", "default")
        try:
            return check_profile_name(name, "profile name")
        except UsageError as e:
            print(f"truto: {e}", file=sys.stderr)


def carried_over(store, old):
    """What a re-login keeps from the profile it replaces: defaultIntegratedAccount and the BYOK
    keys (the lead's choice: a new token should not cost the user their other settings)."""
    settings, secrets = {}, {}
    if old is None:
        return settings, secrets
    if old.settings.get("defaultIntegratedAccount"):
        settings["defaultIntegratedAccount"] = old.settings["defaultIntegratedAccount"]
    shared = not store.secret_store(old.secret_store).owned
    for field in BYOK_FIELDS:
        try:
            value = store.read_secret(old, field)
        except UnusableSecret as e:
            warn(f"{e}; it was not carried over")
            continue
        except SecretStoreUnavailable as e:
            if not shared:
                raise
            # A team's Vault that cannot be read must not stand between a user and a new login: its
            # keys stay there, for a later `truto profiles set-key` or a login back into Vault.
            warn(f"the BYOK keys of profile '{old.name}' were not carried over: {e}")
            break
        if value is not None:
            secrets[field] = value
    return settings, secrets
