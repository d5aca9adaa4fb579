"""`truto auth`: wire truto into git, docker and scripts, and migrate a standalone Truto CLI config.

setup-git / setup-docker configure the selected profile's origin only (the API URL resolved as for
every command), idempotently, and --remove undoes exactly what they wrote.
"""

import os
import shutil
import sys

from ..errors import NotLoggedIn, UsageError
from ..profiles import missing_name
from ..settings import ENV_TOKEN
from ..untrusted import masked
from .store_choice import add_store_options, check_move_target, chosen_store


def register(subparsers, parents):
    auth = subparsers.add_parser(
        "auth",
        parents=parents,
        help="set up git and docker to use truto, print a token, migrate an old config",
        description="Wire truto into git, docker and scripts.",
    )
    auth.set_defaults(group_parser=auth)
    sub = auth.add_subparsers(dest="auth_command", metavar="SUBCOMMAND", title="subcommands")

    p = sub.add_parser(
        "setup-git",
        parents=parents,
        help="make git ask truto for the profile's API origin",
        description="Set credential.<origin>.helper to the absolute path of git-credential-truto "
        "in git's global config (the repository's with --local) for the selected "
        "profile's API origin only, so git finds it whatever its PATH.",
    )
    p.add_argument("--local", action="store_true", help="configure the current repository instead of the global config")
    p.add_argument("--remove", action="store_true", help="undo it")
    p.set_defaults(run=run_setup_git)

    p = sub.add_parser(
        "setup-docker",
        parents=parents,
        help="make docker, podman and buildah ask truto for the profile's API host",
        description='Add credHelpers {"<host[:port]>": "truto"} for the selected profile\'s API '
        "origin to $DOCKER_CONFIG/config.json (else ~/.docker/config.json) and to the containers "
        "auth file podman and buildah write logins to ($REGISTRY_AUTH_FILE, else "
        "$XDG_RUNTIME_DIR/containers/auth.json).",
    )
    p.add_argument("--remove", action="store_true", help="undo it")
    p.set_defaults(run=run_setup_docker)

    p = sub.add_parser(
        "token",
        parents=parents,
        help="print the resolved token (for $(truto auth token) in scripts)",
        description="Print the token every command would use (--token > TRUTO_API_TOKEN > the "
        "profile's stored token) and a newline, nothing else.",
    )
    p.set_defaults(run=run_token)

    p = sub.add_parser(
        "migrate",
        parents=parents,
        help="move secrets into another store (inline ones of a standalone Truto CLI config.json first)",
        description="Move every secret a standalone Truto CLI config.json keeps inline into the secret "
        "store, then rewrite config.json without them. On today's config.json, --to STORE "
        "moves the secrets of the profile given with -p (else of every profile) into STORE. "
        "Safe to re-run or interrupt.",
    )
    add_store_options(p, "the store to move them into (default: keyring)", "--to")
    p.set_defaults(run=run_migrate)

    from . import auth_exec, auth_status

    auth_status.register(sub, parents)
    auth_exec.register(sub, parents)


def _origin_api_url(ctx):
    """The selected profile's API URL (as every command resolves it), refusing to configure the
    default URL for a profile that does not exist, unless TRUTO_API_TOKEN makes it usable (CI)."""
    name = ctx.profile_name()
    url, source = ctx.api_url(name)
    if source == "default" and ctx.store.profile(name) is None and not os.environ.get(ENV_TOKEN):
        raise NotLoggedIn(f"no profile named {missing_name(name)}; run `truto login` first, or pass --api-url")
    return name, url


def _checked(fn, url):
    try:
        return fn(url)
    except ValueError as e:
        raise UsageError(f"the API URL {masked(url)} cannot be used: {e}")


def _report(ctx, record, message):
    if ctx.output == "table":
        ctx.info(message)
    else:
        ctx.emit_record(record, list((k, k) for k in record))


def _warn_not_on_path(ctx, program, tool):
    if shutil.which(program) is None:
        from ..console import warn

        warn(f"{program} is not on PATH, so {tool} cannot run it; put the directory truto is installed in on PATH")


def run_setup_git(ctx, args):
    from .. import git_config

    name, url = _origin_api_url(ctx)
    origin = _checked(git_config.origin_url, url)
    scope = "local" if args.local else "global"
    git_config.check_scope(scope)
    key = git_config.helper_key(origin)
    if args.remove:
        changed = git_config.remove(origin, scope)
        message = (
            f"git ({scope}) no longer asks truto for {origin}"
            if changed
            else f"git ({scope}) was not set up to ask truto for {origin}; nothing changed"
        )
    else:
        changed = git_config.set_up(origin, scope)
        message = (
            f"git ({scope}) now asks truto for credentials to {origin} ({key})"
            if changed
            else f"git ({scope}) already asks truto for {origin}; nothing changed"
        )
    _report(
        ctx,
        {
            "profile": name,
            "origin": origin,
            "scope": scope,
            "key": key,
            "action": "remove" if args.remove else "set",
            "changed": changed,
        },
        message,
    )
    return 0


def run_setup_docker(ctx, args):
    from .. import docker_config

    name, url = _origin_api_url(ctx)
    host = _checked(docker_config.registry_host, url)
    path = docker_config.config_path()
    # podman and buildah write their logins to their own file first, where an entry would shadow
    # truto: the same credHelpers entry there makes `podman login` and `logout` go through it.
    containers = docker_config.containers_auth_path()
    if not args.remove:
        reason = docker_config.unanswerable(url)
        if reason:
            raise UsageError(f"not set up: {reason}; log in with the registry's https:// URL")
    for file in (path, containers):
        docker_config.load(file)  # both readable before either is written
    edit = docker_config.remove if args.remove else docker_config.set_up
    changed = edit(host, path)
    containers_changed = edit(host, containers)
    if args.remove:
        message = (
            f"docker, podman and buildah no longer ask truto for {host} ({path}, {containers})"
            if changed or containers_changed
            else f"docker, podman and buildah were not set up to ask truto for {host}; nothing changed"
        )
    else:
        message = (
            f"docker, podman and buildah now ask truto for credentials to {host} "
            f"(credHelpers in {path} and {containers})"
            if changed or containers_changed
            else f"docker, podman and buildah already ask truto for {host}; nothing changed"
        )
        _warn_not_on_path(ctx, "docker-credential-truto", "docker")
    _report(
        ctx,
        {
            "profile": name,
            "host": host,
            "config": path,
            "containersAuthFile": containers,
            "action": "remove" if args.remove else "set",
            "changed": changed,
            "containersChanged": containers_changed,
        },
        message,
    )
    return 0


def run_token(ctx, args):
    token, _ = ctx.token(ctx.profile_name())
    if ctx.output == "table":
        sys.stdout.write(token + "\n")  # exactly the token: $(truto auth token) must get nothing else
    else:
        ctx.emit_value(token, "token")
    return 0


def run_migrate(ctx, args):
    from .. import config, migrate
    from ..secrets import KEYRING, open_store
    from ..settings import config_dir

    directory = config_dir()
    chosen = chosen_store(args)
    kind = chosen or KEYRING
    moved = migrate.migrate(directory, kind)
    path = config.config_path(directory)
    if moved is None and chosen is not None:
        moved = move_profiles(ctx, args, check_move_target(kind, args.profile or "NAME"))
        where = ctx.store.secret_store(kind).describe()
        profiles = sorted({name for name, _ in moved})
        message = (
            f"moved {len(moved)} secret{'s' if len(moved) != 1 else ''} of {len(profiles)} "
            f"profile{'s' if len(profiles) != 1 else ''} into {where}"
        )
    elif moved is None:
        ctx.info(
            f"nothing to migrate: {path} is not in the standalone Truto CLI's format; "
            f"--to STORE moves profiles between secret stores"
        )
        moved = []
        message = None
    else:
        profiles = sorted({name for name, _ in moved})
        where = open_store(kind, directory).describe()
        message = (
            f"moved {len(moved)} secret{'s' if len(moved) != 1 else ''} of {len(profiles)} "
            f"profile{'s' if len(profiles) != 1 else ''} into {where}; {path} holds none now"
        )
    if ctx.output != "table":
        ctx.emit_rows([{"profile": n, "secret": f} for n, f in moved], [("profile", "profile"), ("secret", "secret")])
    if message:
        ctx.info(message)
    return 0


def move_profiles(ctx, args, kind):
    """[(profile, field)] moved into `kind`: of the -p profile, else of every profile."""
    from ..relocate import move_profile

    names = [args.profile] if args.profile else [p.name for p in ctx.store.profiles()]
    moved = []
    for name in names:
        moved += [(name, field) for field in move_profile(ctx.store, name, kind) or []]
    return moved
