"""`truto whoami`: check the resolved credentials with GET /team and say where they came from."""

from ..api import mask

LABELS = [
    ("profile", "Profile"),
    ("apiUrl", "API URL"),
    ("teamName", "Team"),
    ("teamId", "Team ID"),
    ("token", "Token"),
    ("tokenSource", "Token from"),
    ("secretStore", "Secret store"),
    ("tokenStore", "Stored in"),
]

SOURCE_WORDS = {"flag": "--token flag", "environment": "TRUTO_API_TOKEN", "profile": "profile"}


def register(subparsers, parents):
    p = subparsers.add_parser(
        "whoami",
        parents=parents,
        help="verify the current credentials and show whose they are",
        description="Call GET /team with the resolved token and show the profile, API URL, team, where the "
        "token came from and which store holds it (the token masked to its last 4 characters).",
    )
    p.set_defaults(run=run)


def run(ctx, args):
    name = ctx.profile_name()
    token, token_source, url, url_source = ctx.api_target(name)
    team = ctx.client(url, token, url_source).get("/team")
    if not isinstance(team, dict):
        team = {}
    profile = ctx.store.profile(name)
    record = {
        "profile": name if profile is not None or token_source == "profile" else None,
        "apiUrl": url,
        "teamName": team.get("name"),
        "teamId": team.get("id"),
        "token": mask(token),
        "tokenSource": token_source,
        "secretStore": profile.secret_store if token_source == "profile" else None,
    }
    if ctx.output == "table":
        record["tokenSource"] = SOURCE_WORDS.get(token_source, token_source)
        record["tokenStore"] = store_description(ctx, profile, token_source)
        ctx.emit_record(record, LABELS)
    else:  # for scripts: where the secret is as fields, not prose
        record["secretLocation"] = secret_location(ctx, profile) if token_source == "profile" else None
        ctx.emit_record(record, [(k, k) for k in record])
    return 0


def secret_location(ctx, profile, field="apiToken"):
    """Where the profile's token is, per store kind: the keyring's service and entry, the
    file's path, pass's store directory and entry, Vault's addresses, mount and path."""
    from ..secrets import FILE, KEYRING, PASS, VAULT

    kind = profile.secret_store
    store = ctx.store.secret_store(kind)
    if kind == KEYRING:
        from ..secrets.os_keyring import item_username

        return {"service": store.service, "entry": item_username(profile.name, field)}
    if kind == FILE:
        return {"path": store.path, "entry": f"profiles.{profile.name}.{field}"}
    if kind == PASS:
        import os

        from ..secrets.pass_store import entry_name, store_dir

        return {"storeDir": os.path.abspath(store_dir()), "entry": entry_name(store.config_dir, profile.name, field)}
    if kind == VAULT:
        where = store.location(profile.name)
        from ..secrets import vault_auth

        return {
            "addresses": list(where.addresses),
            "mount": where.mount,
            "path": where.path,
            "field": field,
            "vaultTokenFrom": store.token_source or vault_auth.source_for(where.addresses)[1],
        }
    return {"description": store.describe()}


def store_description(ctx, profile, token_source):
    if token_source == "environment":
        return "environment"
    if token_source == "flag":
        return "command line (not stored)"
    secret_store = ctx.store.secret_store(profile.secret_store)
    describe_profile = getattr(secret_store, "describe_profile", None)  # Vault: the profile's path and token source
    return describe_profile(profile.name) if describe_profile else secret_store.describe()
