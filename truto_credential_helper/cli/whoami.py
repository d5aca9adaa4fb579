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
        "whoami", parents=parents, help="verify the current credentials and show whose they are",
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
        "tokenStore": store_description(ctx, profile, token_source),
    }
    if ctx.output == "table":
        record["tokenSource"] = SOURCE_WORDS.get(token_source, token_source)
    ctx.emit_record(record, LABELS)
    return 0


def store_description(ctx, profile, token_source):
    if token_source == "environment":
        return "environment"
    if token_source == "flag":
        return "command line (not stored)"
    return ctx.store.secret_store(profile.secret_store).describe()
