"""The `truto` command's Vault parts: `truto login --secret-store vault --vault-path MOUNT/PATH
[--vault-addr URL]...`, and how profiles list, whoami and logout show a Vault profile.

Joining: the secret already holds apiToken; it is verified (GET /team unless --no-verify) and only
the profile is saved. Publishing: with --token / --with-token, the token is verified, then written
as a new version of the secret (the secret's other keys are kept). Either way config.json records
the Vault addresses, mount and path, nothing secret.
"""

import os

from ..errors import SecretStoreUnavailable, UsageError
from ..secrets import VAULT


def add_login_options(parser):
    parser.add_argument(
        "--vault-path",
        metavar="MOUNT/PATH",
        help="with --secret-store vault: the KV v2 secret holding the team's token, as `vault kv get` "
        "names it (the first segment is the mount, e.g. secret/teams/truto)",
    )
    parser.add_argument(
        "--vault-addr",
        metavar="URL",
        action="append",
        help="with --secret-store vault: Vault's address (default: $VAULT_ADDR); repeat it for the "
        "nodes of a cluster, tried in turn",
    )


def chosen(args):
    return getattr(args, "secret_store", None) == VAULT or bool(args.vault_path or args.vault_addr)


def location_from_args(args):
    from ..secrets.vault import Location

    if getattr(args, "secret_store", None) not in (None, VAULT):
        raise UsageError(f"--vault-path and --vault-addr go with --secret-store vault, not {args.secret_store}")
    if args.insecure_storage:
        raise UsageError("--insecure-storage and --secret-store vault choose two different stores; pass one")
    if not args.vault_path:
        raise UsageError(
            "--secret-store vault needs --vault-path MOUNT/PATH (the team's secret, e.g. secret/teams/truto)"
        )
    mount, path = split_vault_path(args.vault_path)
    ambient = next((n for n in ("VAULT_ADDR", "VAULT_AGENT_ADDR") if os.environ.get(n)), None)
    raw = args.vault_addr or ([os.environ[ambient]] if ambient else [])
    if not raw:
        raise UsageError("no Vault address: pass --vault-addr URL (once per node) or set VAULT_ADDR")
    addresses = []
    for address in raw:
        address = check_vault_addr(address, "--vault-addr" if args.vault_addr else ambient)
        if address not in addresses:
            addresses.append(address)
    return Location(addresses, mount, path)


def split_vault_path(text):
    """(mount, path) of MOUNT/PATH, as `vault kv` takes it: the first segment is the mount. A value
    that is not one is described, never repeated (it may be a token pasted into the wrong option)."""
    from ..untrusted import masked

    segments = text.strip("/").split("/")
    bad = [s for s in segments if s in ("", ".", "..")]
    if len(segments) < 2 or bad or any(c.isspace() or not c.isprintable() for c in text):
        raise UsageError(
            f"--vault-path {masked(text)} is not MOUNT/PATH (e.g. secret/teams/truto): segments without "
            "spaces, '.' or '..', the first one the KV v2 mount"
        )
    return segments[0], "/".join(segments[1:])


def check_vault_addr(address, source):
    """A Vault address as the vault CLI takes it; plain http only to this machine, as for the API,
    since the Vault token travels in every request. A Vault Agent's or Proxy's socket is
    unix:///absolute/path."""
    from ..credential import checked_secret_url

    if address.startswith("unix://"):
        path = address[len("unix://") :]
        if not path.startswith("/") or any(not c.isprintable() for c in path):
            raise UsageError(
                f"{source} unix://... names an agent's socket by its absolute path, as unix:///run/bao-agent.sock"
            )
        return address

    return checked_secret_url(address, source, "Vault address", "the Vault token")


def run_login(ctx, args, name, url, url_source, verified_team):
    """Create or replace profile `name` backed by the Vault secret the flags name; verified_team
    is login's own check of the token (GET /team unless --no-verify)."""
    from ..profiles import usable_secret
    from ..secrets.vault import KEYS
    from .context import check_secret, read_stdin_secret

    where = location_from_args(args)
    if args.token and args.with_token:
        raise UsageError("--token and --with-token both give the token; pass only one")
    publishing = bool(args.token or args.with_token)
    vault = ctx.store.secret_store(VAULT)
    if publishing:
        token = (
            check_secret(args.token, "the token given with --token")
            if args.token
            else read_stdin_secret("token", "--with-token")
        )
    else:
        secret = vault.read(where)
        token = (secret.data or {}).get("apiToken")
        if isinstance(token, str) and token and not usable_secret(token):
            raise SecretStoreUnavailable(
                f"the apiToken of {where.label} in Vault at {', '.join(where.addresses)} holds a line break or NUL, "
                f"so it is not a token; publish it again: truto login --secret-store vault --vault-path {where.label} "
                "--with-token"
            )
        if not isinstance(token, str) or not token:
            raise SecretStoreUnavailable(
                f"the secret {where.label} in Vault at {', '.join(where.addresses)} has no apiToken; publish one: "
                f"truto login --secret-store vault --vault-path {where.label} --with-token"
            )
    team = verified_team(ctx, args, url, token, url_source)
    with ctx.store.edit() as edit:
        old = edit.profile(name)
        settings = {"apiUrl": url, "vault": where.settings()}
        if old is not None and old.settings.get("defaultIntegratedAccount"):
            settings["defaultIntegratedAccount"] = old.settings["defaultIntegratedAccount"]
        vault.bind(name, where)
        # Publishing writes one new version holding the token; joining writes nothing to Vault.
        edit.save_profile(name, settings, {"apiToken": token} if publishing else {}, store_kind=VAULT)
        edit.update_settings(name, secrets=list(KEYS))  # read from Vault each time: the team may add keys later
        edit.set_active(name)
    verb = "Published the token to" if publishing else "Joined"
    where_text = f"{where.label} in Vault at {', '.join(where.addresses)}"
    if team is not None:
        ctx.info(
            f"{verb} {where_text}; logged in to team {team.get('name', '?')} ({team.get('id', '?')}) at {url} "
            f"as profile '{name}'; it is now the active profile."
        )
    else:
        ctx.info(
            f"{verb} {where_text} as profile '{name}' for {url} without verifying the token (--no-verify); "
            "it is now the active profile."
        )
    from .. import settings

    if os.environ.get(settings.ENV_TOKEN):
        from ..console import warn

        warn(f"{settings.ENV_TOKEN} is set in this environment and takes precedence over the team's token in Vault")
    if ctx.output != "table":
        record = {
            "profile": name,
            "apiUrl": url,
            "secretStore": VAULT,
            "vaultPath": where.label,
            "vaultAddresses": list(where.addresses),
            "published": publishing,
            "verified": team is not None,
        }
        if team is not None:
            record.update(teamId=team.get("id"), teamName=team.get("name"))
        ctx.emit_record(record, [])
    return 0


def list_fields(profile):
    """Extra fields of a `profiles list` row: where a Vault profile's secret is."""
    vault = profile.settings.get("vault")
    return {"vaultPath": f"{vault['mount']}/{vault['path']}"} if vault and profile.secret_store == VAULT else {}


def store_label(row):
    """The store column of `profiles list` as a table shows it."""
    return f"{row['secretStore']} ({row['vaultPath']})" if row.get("vaultPath") else row["secretStore"]


def logout_message(profile):
    """What `truto logout` says of a Vault profile's secrets (it never touches them), or None."""
    vault = profile.settings.get("vault")
    if profile.secret_store != VAULT or not vault:
        return None
    return (
        f"Logged out of profile '{profile.name}'; the team's secret {vault['mount']}/{vault['path']} "
        "in Vault was left as it is."
    )
