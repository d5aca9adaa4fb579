"""`truto api-tokens list|get`: read the team's API tokens (creating and deleting them is for the
dashboard, as the Truto CLI documentation says)."""

import shlex
from urllib.parse import quote

from ..api import NotFound
from ..errors import EXIT_ERROR, TrutoError, UsageError
from ..untrusted import masked
from . import output

COLUMNS = [("id", "id"), ("name", "name"), ("environment_id", "environment"), ("created_at", "created")]
# --all stops here: a team with more tokens than this is better served page by page, and an API
# that never stops handing out cursors must not keep truto running forever.
MAX_PAGES = 200


def register(subparsers, parents):
    p = subparsers.add_parser("api-tokens", parents=parents, help="list and view the team's API tokens")
    p.set_defaults(group_parser=p)
    sub = p.add_subparsers(dest="action", metavar="ACTION", title="actions")

    s = sub.add_parser("list", aliases=["ls"], parents=parents, help="list API tokens, a page at a time")
    s.add_argument("--name", metavar="NAME", help="only tokens with this name")
    s.add_argument("--limit", metavar="N", type=positive_int, default=25, help="tokens per page (default: 25)")
    s.add_argument("--next-cursor", metavar="CURSOR", help="fetch the page after the one that printed this cursor")
    s.add_argument(
        "--all", action="store_true", help=f"fetch every page (at most {MAX_PAGES}, each request within TRUTO_TIMEOUT)"
    )
    s.set_defaults(run=run_list)

    s = sub.add_parser("get", parents=parents, help="show one API token")
    s.add_argument("id", metavar="ID")
    s.set_defaults(run=run_get)


def positive_int(text):
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number")
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def client(ctx):
    token, _, url, url_source = ctx.api_target(ctx.profile_name())
    return ctx.client(url, token, url_source)


def run_list(ctx, args):
    params = {"limit": args.limit}
    if args.name:
        params["name"] = args.name
    if args.next_cursor:
        params["next_cursor"] = args.next_cursor
    # pages() follows the cursors and refuses one it has seen; without --all only the first page
    # is read (the next is the user's to ask for), and --all stops after MAX_PAGES.
    items, cursor = [], None
    for count, page in enumerate(client(ctx).pages("/api-token", params), 1):
        items += [item for item in page["result"] if isinstance(item, dict)]
        cursor = str(page["next_cursor"]) if page.get("next_cursor") else None
        if not args.all or count >= MAX_PAGES:
            break
    rows = [flat(item) for item in items]
    columns = COLUMNS + [(k, k) for k in dict.fromkeys(k for r in rows for k in r) if k not in dict(COLUMNS)]
    if ctx.output == "json":
        # One document a script can page with: the tokens and the cursor of the next page (null
        # on the last one), instead of a bare array whose cursor only reached stderr.
        output.emit_record({"items": rows, "nextCursor": cursor}, ctx.output, [])
    elif ctx.output == "table" and not rows:
        ctx.info("No API tokens on this page.")
    else:
        ctx.emit_rows(rows, columns)
    if args.all and cursor:
        from ..console import warn

        warn(f"stopped after {MAX_PAGES} pages; continue with --next-cursor {shlex.quote(cursor)}")
        return EXIT_ERROR
    if cursor:
        command = ["truto", "api-tokens", "list", "--next-cursor", str(cursor)]
        if ctx.args.profile:
            command += ["-p", ctx.args.profile]
        if args.limit != 25:
            command += ["--limit", str(args.limit)]
        if args.name:
            command += ["--name", args.name]
        ctx.info("More tokens: " + " ".join(shlex.quote(c) for c in command))
    return 0


def run_get(ctx, args):
    if args.id.strip(".") == "":
        raise UsageError(f"{masked(args.id)} is not an API token id; see `truto api-tokens list`")
    try:
        item = client(ctx).get("/api-token/" + quote(args.id, safe=""))
    except NotFound:
        raise TrutoError(f"no API token with the id {masked(args.id)} in this environment; see `truto api-tokens list`")
    if not isinstance(item, dict):
        raise TrutoError("the API answered GET /api-token/ID with something other than an object")
    record = flat(item)
    ctx.emit_record(record, [(k, k) for k in record])
    return 0


def flat(item):
    """Nested values as compact JSON text, so every output format can show them."""
    import json

    return {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v for k, v in item.items()}
