"""`truto doctor`: check the installation and explain, each as ok / warn / fail / info with a
one-line fix. Exits 1 when a check fails; git or docker not being set up is info, not a failure.

Never prints a secret: values of TRUTO_API_TOKEN and of stored secrets are never read into a
message (the keyring probe uses a random throwaway value it deletes after).

One module per area (config_file, secret_stores, orphans, environment, vault, git, docker, online),
each a function adding rows to a report.Checks through the loaders and validators the commands use;
this module runs them in order and prints the rows.
"""

import sys

from ...errors import EXIT_ERROR
from ...profiles import Profile
from ...settings import config_dir
from . import config_file, docker, environment, git, online, orphans, secret_stores, vault
from .report import FAIL, INFO, OK, WARN, Checks, profile_origins  # noqa: F401 (the statuses, named from here too)


def register(subparsers, parents):
    p = subparsers.add_parser(
        "doctor",
        parents=parents,
        help="check the set-up and say how to fix what is wrong",
        description="Check config permissions and schema, the keyring (a timed round trip with a probe item), "
        "insecure or inline secrets, TRUTO_* variables, git and docker set-up; with --online, "
        "whether each profile's token is accepted. Exit 1 when a check fails.",
    )
    p.add_argument("--online", action="store_true", help="also ask the API whether each profile's token is accepted")
    orphans.register_flags(p)
    p.set_defaults(run=run_doctor)


def run_doctor(ctx, args):
    checks = Checks()
    directory = config_dir()
    doc = config_file.check_config(checks, directory)
    profiles = [Profile(n, s) for n, s in doc["profiles"].items()] if doc else []
    secret_stores.check_secret_storage(checks, directory, doc, profiles)
    secret_stores.check_keyring(checks, directory, profiles)
    secret_stores.check_profile_stores(checks, directory, profiles)
    found = orphans.check(checks, directory, doc, (OK, WARN, INFO))
    environment.check_environment(checks, doc)
    vault.check_vault(checks, directory, profiles, args.online)
    origins = profile_origins(checks, profiles)
    git.check_git(checks, origins)
    docker.check_docker(checks, origins)
    docker.check_containers(checks, origins)
    if args.online:
        online.check_online(ctx, checks, directory, profiles)
    emit(ctx, checks)
    if args.fix:
        orphans.fix(ctx, directory, found, args.yes)
    return EXIT_ERROR if checks.failed else 0


def emit(ctx, checks):
    from .. import output
    from ..terminal import paint

    if ctx.output != "table":
        if ctx.output == "json":
            import json

            sys.stdout.write(
                json.dumps({"ok": not checks.failed, "checks": checks.rows}, indent=2, ensure_ascii=False) + "\n"
            )
        else:
            ctx.emit_rows(
                checks.rows, [("status", "status"), ("check", "check"), ("message", "message"), ("fix", "fix")]
            )
        return
    width = max(len(r["check"]) for r in checks.rows)
    for r in checks.rows:
        status = paint(f"{r['status']:<4}", r["status"])
        sys.stdout.write(f"{status}  {r['check']:<{width}}  {output.cell(r['message'])}\n")
        if r["fix"]:
            sys.stdout.write(f"      {'':<{width}}  {paint('fix:', 'dim')} {output.cell(r['fix'])}\n")
    if not ctx.quiet:
        failed = sum(r["status"] == FAIL for r in checks.rows)
        warned = sum(r["status"] == WARN for r in checks.rows)
        parts = [f"{failed} check{'s' if failed != 1 else ''} failed"] if failed else []
        parts += [f"{warned} warning{'s' if warned != 1 else ''}"] if warned else []
        summary = ", ".join(parts) if parts else "no problems found"  # never beside a warning
        sys.stdout.write(paint(summary, FAIL if failed else WARN if warned else OK) + "\n")
