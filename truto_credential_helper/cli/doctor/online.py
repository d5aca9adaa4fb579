"""`truto doctor --online`: whether the API accepts each profile's token (and TRUTO_API_TOKEN)."""

import os

from ... import resolution
from ...errors import TrutoError
from ...settings import ENV_TOKEN
from .report import FAIL, INFO, OK, one_line


def check_online(ctx, checks, directory, profiles):
    from ...errors import ApiUnavailable, TokenRejected
    from ..terminal import Spinner

    store = ctx.store
    targets = []
    try:
        profiles = store.profiles()  # read as the commands read it: never from a file another user controls
    except TrutoError as e:
        checks.add("online", FAIL, f"profiles not checked: {one_line(e)}", "fix the config checks above first")
        profiles = []
    for p in profiles:
        targets.append(
            (
                f"profile '{p.name}'",
                p.api_url,
                lambda p=p: store.read_secret(p, "apiToken"),
                f"truto login --profile-name {p.name}",
            )
        )
    if os.environ.get(ENV_TOKEN):
        url = resolution.env_credential_url()
        targets.append(("TRUTO_API_TOKEN", url, resolution.env_token, "set TRUTO_API_TOKEN to a valid token"))
    if not targets:
        checks.add("online", INFO, "no profile to check", "truto login")
    for label, url, read_token, fix in targets:
        try:
            token = read_token()
            if not token:
                checks.add("online", FAIL, f"{label}: no token stored", fix)
                continue
            with Spinner(f"Checking {label}", quiet=ctx.quiet):
                team = ctx.client(url, token).get("/team")
        except TokenRejected:
            checks.add("online", FAIL, f"{label}: {url} rejected the token", fix)
        except ApiUnavailable as e:
            checks.add("online", FAIL, f"{label}: {one_line(e)}", "check the network and the API URL, then retry")
        except TrutoError as e:
            checks.add("online", FAIL, f"{label}: {one_line(e)}", fix)
        else:
            team_name = team.get("name") if isinstance(team, dict) else None
            checks.add(
                "online", OK, f"{label}: {url} accepts the token" + (f" (team {team_name})" if team_name else "")
            )
