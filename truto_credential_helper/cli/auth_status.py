"""`truto auth status`: every profile at a glance, as `gh auth status` shows every account.

Offline by default and without reading a secret: whether a profile has a token comes from
config.json's list of the secrets it holds, and a secret store is checked by asking whether it can
be reached at all. --online reads each token and calls GET /team for all of them at once, within
one TRUTO_TIMEOUT. The token is shown only with --show-token, and TRUTO_API_TOKEN's value never.

This module is the command: its arguments, and the wiring of the real profiles, environment,
API client and streams into auth_status_facts.gather and auth_status_render.emit.
"""

import os
import sys

from ..errors import UsageError
from . import auth_status_facts, auth_status_render


def register(subparsers, parents):
    p = subparsers.add_parser(
        "status",
        parents=parents,
        help="show every profile's login state (offline; --online verifies tokens)",
        description="Show every profile (-p: one): its API origin, secret store, whether it has a token, whether "
        "git, docker, podman and buildah ask truto for its origin, and the TRUTO_* variables that override it. "
        "Reads no secret unless --online or --show-token. Exit 1 when any profile has a problem "
        "(no token, secret store unreachable, token rejected or API unreachable with --online).",
    )
    p.add_argument(
        "--online",
        action="store_true",
        help="verify each token with GET /team, all at once, within $TRUTO_TIMEOUT (default 10 s)",
    )
    p.add_argument("--show-token", action="store_true", help="print each profile's stored token in full")
    p.set_defaults(run=run)


def run(ctx, args):
    if ctx.args.token or ctx.args.api_url:
        raise UsageError(
            "auth status shows the stored profiles: --token and --api-url do not apply; "
            "`truto whoami --token ...` checks a token"
        )
    online = {}
    if args.online:
        from ..api import timeout_seconds

        online = {"verify": _team_of(ctx), "timeout": timeout_seconds(), "waiting": _spinner(ctx)}
    facts = auth_status_facts.gather(
        ctx.store, os.environ, profile_name=ctx.args.profile, show_token=args.show_token, **online
    )
    auth_status_render.emit(facts, ctx.output, sys.stdout, show_token=args.show_token)
    return 0 if facts.ok else 1


def _team_of(ctx):
    """verify(api_url, token): GET /team with that token, as the API answers it."""
    from ..api import ApiClient

    return lambda api_url, token: ApiClient(api_url, token, verbose=ctx.verbose).get("/team")


def _spinner(ctx):
    from .terminal import Spinner

    return lambda count: Spinner(f"Verifying {count} token{'s' if count != 1 else ''}", quiet=ctx.quiet)
