"""`truto auth status`: every profile at a glance, as `gh auth status` shows every account.

Offline by default and without reading a secret: whether a profile has a token comes from
config.json's list of the secrets it holds, and a secret store is checked by asking whether it can
be reached at all. --online reads each token and calls GET /team for all of them at once, within
one TRUTO_TIMEOUT. The token is shown only with --show-token, and TRUTO_API_TOKEN's value never.
"""

import os
import sys
import time

from .. import resolution
from ..errors import UsageError
from ..settings import ENV_API_URL, ENV_PROFILE, ENV_TOKEN
from . import output, vault_cli

ENV_NAMES = (ENV_TOKEN, ENV_API_URL, ENV_PROFILE)
COLUMNS = [
    ("profile", "profile"),
    ("active", "active"),
    ("apiUrl", "api url"),
    ("secretStore", "store"),
    ("tokenPresent", "token"),
    ("git", "git"),
    ("docker", "docker"),
    ("online", "online"),
    ("problem", "problem"),
]


def register(subparsers, parents):
    p = subparsers.add_parser(
        "status",
        parents=parents,
        help="show every profile's login state (offline; --online verifies tokens)",
        description="Show every profile (-p: one): its API origin, secret store, whether it has a token, whether "
        "git and docker ask truto for its origin, and the TRUTO_* variables that override it. "
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
    store = ctx.store
    if ctx.args.profile:
        profiles = [store.require_profile(ctx.args.profile)]
    else:
        profiles = store.profiles()
    entries = [_profile_entry(store, p) for p in profiles]
    if os.environ.get(ENV_TOKEN) and not ctx.args.profile:
        entries.append(_environment_entry())
    _add_wiring(entries)
    _add_store_availability(store, entries)
    if args.show_token:
        _add_tokens(store, entries)
    if args.online:
        _verify_online(ctx, store, entries)
    for entry in entries:
        entry["record"]["problem"] = entry["problems"][0] if entry["problems"] else None
    ok = bool(entries) and not any(e["problems"] for e in entries)
    _emit(ctx, args, entries, ok)
    return 0 if ok else 1


# ---------------------------------------------------------------------------------------------
# what is known without a secret


def _profile_entry(store, profile):
    has_token = "apiToken" in profile.secrets
    record = {
        "profile": profile.name,
        "source": "profile",
        "active": profile.name == store.active_name,
        "apiUrl": profile.api_url,
        "secretStore": profile.secret_store,
        **vault_cli.list_fields(profile),
        "tokenPresent": has_token,
        "online": None,  # None: not checked
        "team": None,
    }
    problems = [] if has_token else [f"no token stored; run `truto login --profile-name {profile.name}`"]
    return {"record": record, "problems": problems, "profile": profile}


def _environment_entry():
    """TRUTO_API_TOKEN is a credential of its own, for TRUTO_API_URL's origin (as the helpers see it)."""
    record = {
        "profile": None,
        "source": "environment",
        "active": False,
        "apiUrl": resolution.env_credential_url(),
        "secretStore": "environment",
        "tokenPresent": True,
        "online": None,
        "team": None,
    }
    return {"record": record, "problems": [], "profile": None}


def _add_wiring(entries):
    """Whether git (global config, as setup-git writes it) and docker ask truto for each origin."""
    from .. import docker_config, git_config
    from ..errors import TrutoError

    git_installed = git_config.git_available()
    try:
        docker_doc = docker_config.load()
    except TrutoError:
        docker_doc = None
    git_seen = {}
    for entry in entries:
        record = entry["record"]
        try:
            origin = git_config.origin_url(record["apiUrl"])
            host = docker_config.registry_host(record["apiUrl"])
        except ValueError as e:
            record.update(origin=None, git=None, docker=None)
            entry["problems"].append(f"{record['apiUrl']} is not a usable API URL ({e})")
            continue
        record["origin"] = origin
        if not git_installed:
            record["git"] = None
        else:
            if origin not in git_seen:
                try:
                    values = git_config.helpers_for(origin, "global")
                    git_seen[origin] = any(git_config.points_at_us(v) for v in values)
                except TrutoError:
                    git_seen[origin] = None
            record["git"] = git_seen[origin]
        record["docker"] = (
            None if docker_doc is None else docker_config.helper_for(docker_doc, host) == docker_config.HELPER
        )


def _add_store_availability(store, entries):
    checked = {}
    for entry in entries:
        record = entry["record"]
        kind = record["secretStore"]
        if kind == "environment":
            record["secretStoreAvailable"] = True
            continue
        if kind not in checked:
            checked[kind] = _store_reachable(store, kind)
        available, reason = checked[kind]
        record["secretStoreAvailable"] = available
        if available is False and entry["profile"].secrets:
            entry["problems"].insert(0, f"the secret store ({kind}) is unavailable: {reason}")


def _store_reachable(store, kind):
    """(True/False/None, reason) without reading any secret: None when truto cannot tell."""
    from ..secrets import FILE, KEYRING, LEGACY_INLINE, PASS, VAULT

    if kind == KEYRING:
        return _keyring_reachable()
    if kind == FILE:
        from ..secrets.file import FILE_NAME

        path = os.path.join(store.directory, FILE_NAME)
        if os.path.exists(path) and not os.access(path, os.R_OK):
            return False, f"{path} cannot be read; fix its owner or mode (chmod 600)"
        return True, None
    if kind == LEGACY_INLINE:
        return True, None  # the secrets are in config.json itself
    if kind == PASS:
        from ..secrets.pass_store import diagnose

        problems = diagnose(store.directory)  # pass on PATH, store initialised, its key in gpg: no decryption
        return (False, f"{problems[0][0]}; {problems[0][1]}") if problems else (True, None)
    if kind == VAULT:  # offline, Vault itself cannot be asked: only whether a Vault token can be had
        from ..secrets import vault_auth

        problem = vault_auth.incomplete() or (
            None if vault_auth.source_for(())[0] else f"no Vault token: {vault_auth.NO_TOKEN_HINT}"
        )
        return (False, problem) if problem else (None, None)
    return None, None


def _keyring_reachable():
    """Whether `keyring` finds a usable backend (a Secret Service it can connect to, ...): what
    every read would need first. A locked keyring is only found out by a read."""
    from ..errors import TrutoError
    from ..secrets.os_keyring import bounded

    def backend_is_usable():
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        return not isinstance(backend, fail.Keyring) and "null" not in type(backend).__module__

    try:
        usable = bounded("find the keyring backend", backend_is_usable)
    except TrutoError as e:
        return False, str(e)
    if not usable:
        return False, "no usable OS keyring (no Secret Service running?); unlock or start it, or use TRUTO_API_TOKEN"
    return True, None


# ---------------------------------------------------------------------------------------------
# what needs the secrets: --show-token, --online


def _token_reader(store, entry):
    if entry["profile"] is None:
        return lambda: os.environ.get(ENV_TOKEN)
    return lambda: store.read_secret(entry["profile"], "apiToken")


def _readable(entry):
    record = entry["record"]
    return record["tokenPresent"] and record["secretStoreAvailable"] is not False


def _add_tokens(store, entries):
    from ..errors import TrutoError

    for entry in entries:
        if entry["profile"] is None or not _readable(entry):
            continue  # TRUTO_API_TOKEN's value is never printed: it is in the caller's own environment
        try:
            entry["record"]["token"] = _token_reader(store, entry)()
        except TrutoError as e:
            entry["problems"].append(f"cannot read the token: {e}")


def _verify_online(ctx, store, entries):
    """GET /team with every token at once; whatever has not answered when TRUTO_TIMEOUT has passed
    since the start counts as unreachable."""
    import threading

    from ..api import ApiClient, timeout_seconds
    from ..errors import ApiUnavailable, TokenRejected, TrutoError
    from .terminal import Spinner

    timeout = timeout_seconds()
    outcomes = {}

    def check(index, entry, read_token):
        try:
            token = read_token()
            if not token:
                outcomes[index] = ("error", None, "the token is gone from the secret store; run `truto login`")
                return
            team = ApiClient(entry["record"]["apiUrl"], token, verbose=ctx.verbose).get("/team")
            outcomes[index] = ("ok", team.get("name") if isinstance(team, dict) else None, None)
        except TokenRejected as e:
            outcomes[index] = ("rejected", None, str(e))
        except ApiUnavailable as e:
            outcomes[index] = ("unreachable", None, str(e))
        except TrutoError as e:
            outcomes[index] = ("error", None, str(e))

    workers = []
    for index, entry in enumerate(entries):
        if not _readable(entry) or entry["record"].get("origin") is None:
            entry["record"]["online"] = None
            continue
        worker = threading.Thread(target=check, args=(index, entry, _token_reader(store, entry)), daemon=True)
        workers.append((index, worker))
    deadline = time.monotonic() + timeout
    with Spinner(f"Verifying {len(workers)} token{'s' if len(workers) != 1 else ''}", quiet=ctx.quiet):
        for _, worker in workers:
            worker.start()
        for _, worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
    for index, _ in workers:
        entry = entries[index]
        status, team, message = outcomes.get(index) or (
            "unreachable",
            None,
            f"{entry['record']['apiUrl']} did not answer within {timeout:g} s",
        )
        entry["record"]["online"] = status
        entry["record"]["team"] = team
        if message:
            entry["problems"].append(message)


# ---------------------------------------------------------------------------------------------
# output


def _environment(store):
    token_set = bool(os.environ.get(ENV_TOKEN))
    return {
        ENV_TOKEN: token_set,  # whether it is set; never its value
        ENV_API_URL: _shown_url(os.environ.get(ENV_API_URL) or None),
        ENV_PROFILE: _shown_profile(store, os.environ.get(ENV_PROFILE) or None),
    }


# A value is shown once it passed the check the commands apply: one that did not may be a token
# pasted into the wrong variable.
def _shown_url(url):
    if url and "@" in url:
        return "(set; not shown: it holds a user name or password)"
    if url:
        from ..api import check_api_url

        try:
            check_api_url(url)
        except UsageError:
            return "(set; not shown: it is not a usable API URL)"
    return url


def _shown_profile(store, name):
    if name and store.profile(name) is None:
        return "(set; not shown: it names no profile)"
    return name


def _emit(ctx, args, entries, ok):
    records = [e["record"] for e in entries]
    if ctx.output == "json":
        import json

        doc = {"ok": ok, "environment": _environment(ctx.store), "profiles": records}
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    elif ctx.output != "table":
        ctx.emit_rows(records, COLUMNS + ([("token", "token")] if args.show_token else []))
    else:
        _print_text(ctx, entries)


def _marks(stream):
    try:
        "\u2713".encode(stream.encoding or "ascii")
        return "\u2713", "X"
    except (UnicodeEncodeError, LookupError):
        return "+", "X"


def _print_text(ctx, entries):
    from .terminal import paint

    out = sys.stdout
    good, bad = _marks(out)
    ok_mark, fail_mark = paint(good, "ok", out), paint(bad, "fail", out)
    env = _environment(ctx.store)
    lines = []
    if any(env.values()):
        lines.append(paint("Environment", "bold", out))
        if env[ENV_TOKEN]:
            lines.append("  - TRUTO_API_TOKEN is set (not shown): commands use it instead of a profile's stored token")
        if env[ENV_API_URL]:
            lines.append(
                f"  - TRUTO_API_URL={output.cell(env[ENV_API_URL])}: commands call it instead of the profile's apiUrl"
            )
        if env[ENV_PROFILE]:
            lines.append(
                f"  - TRUTO_PROFILE={output.cell(env[ENV_PROFILE])}: commands use that profile "
                "instead of the active one"
            )
        lines.append("")
    if not entries:
        lines.append(f"{fail_mark} Not logged in to any profile. To log in, run: truto login")
    for entry in entries:
        lines.extend(_entry_lines(entry, ok_mark, fail_mark))
        lines.append("")
    out.write("\n".join(lines).rstrip("\n") + "\n")


def _entry_lines(entry, ok_mark, fail_mark):
    from .terminal import paint

    r = entry["record"]
    cell = output.cell
    if r["source"] == "environment":
        title = "TRUTO_API_TOKEN"
    else:
        title = cell(r["profile"]) + (" (active)" if r["active"] else "")
    lines = [paint(title, "bold", sys.stdout)]
    store_word = "TRUTO_API_TOKEN" if r["source"] == "environment" else vault_cli.store_label(r)
    if r["tokenPresent"] and not entry["problems"]:
        lines.append(f"  {ok_mark} Token for {cell(r['apiUrl'])} ({cell(store_word)})")
    for problem in entry["problems"]:
        lines.append(f"  {fail_mark} {cell(problem)}")
    lines.append(f"  - API URL: {cell(r['apiUrl'])}")
    lines.append(f"  - Secret store: {cell(store_word)}")
    if "token" in r:
        lines.append(f"  - Token: {cell(r['token'])}")
    elif r["tokenPresent"]:
        shown = "not shown" if r["source"] == "environment" else "stored, not shown (--show-token)"
        lines.append(f"  - Token: {shown}")
    else:
        lines.append("  - Token: none")
    if r.get("origin"):
        flag = f" -p {r['profile']}" if r["profile"] else ""
        lines.append(
            "  - Git: "
            + _wired(
                r["git"],
                f"asks truto for {r['origin']}",
                f"not set up for {r['origin']} (truto auth setup-git{flag})",
                "git not found",
            )
        )
        lines.append(
            "  - Docker: "
            + _wired(
                r["docker"],
                "asks truto for " + r["origin"].split("://", 1)[1],
                f"not set up (truto auth setup-docker{flag})",
                "its config.json cannot be read",
            )
        )
    if r.get("online") == "ok":
        team = f" (team {cell(r['team'])})" if r.get("team") else ""
        lines.append(f"  {ok_mark} {cell(r['apiUrl'])} accepts the token{team}")
    return lines


def _wired(value, yes, no, unknown):
    return yes if value else (no if value is False else unknown)
