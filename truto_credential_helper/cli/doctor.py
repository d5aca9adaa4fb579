"""`truto doctor`: check the installation and explain, each as ok / warn / fail / info with a
one-line fix. Exits 1 when a check fails; git or docker not being set up is info, not a failure.

Never prints a secret: values of TRUTO_API_TOKEN and of stored secrets are never read into a
message (the keyring probe uses a random throwaway value it deletes after).
"""
import os
import shutil
import stat
import sys
import time

from .. import config, resolution
from ..profiles import Profile
from ..settings import ENV_TOKEN, config_dir
from ..errors import EXIT_ERROR, TrutoError
from . import orphans

OK, WARN, FAIL, INFO = "ok", "warn", "fail", "info"
PROBE_PROFILE = "_truto-doctor-probe"  # not a valid profile name: can never be a real profile's item


def register(subparsers, parents):
    p = subparsers.add_parser(
        "doctor", parents=parents, help="check the set-up and say how to fix what is wrong",
        description="Check config permissions and schema, the keyring (a timed round trip with a probe item), "
                    "insecure or inline secrets, TRUTO_* variables, git and docker set-up; with --online, "
                    "whether each profile's token is accepted. Exit 1 when a check fails.")
    p.add_argument("--online", action="store_true", help="also ask the API whether each profile's token is accepted")
    orphans.register_flags(p)
    p.set_defaults(run=run_doctor)


class Checks:
    def __init__(self):
        self.rows = []

    def add(self, check, status, message, fix="", **details):
        self.rows.append(dict({"check": check, "status": status, "message": message, "fix": fix}, **details))

    @property
    def failed(self):
        return any(r["status"] == FAIL for r in self.rows)


def run_doctor(ctx, args):
    checks = Checks()
    directory = config_dir()
    doc = check_config(checks, directory)
    profiles = [Profile(n, s) for n, s in doc["profiles"].items()] if doc else []
    check_secret_storage(checks, directory, doc, profiles)
    check_keyring(checks, directory, profiles)
    check_profile_stores(checks, directory, profiles)
    found = orphans.check(checks, directory, doc, (OK, WARN, INFO))
    from .doctor_environment import check_environment

    check_environment(checks, doc)
    from .doctor_vault import check_vault

    check_vault(checks, directory, profiles, args.online)
    origins = profile_origins(checks, profiles)
    check_git(checks, origins)
    check_docker(checks, origins)
    if args.online:
        check_online(ctx, checks, directory, profiles)
    emit(ctx, checks)
    if args.fix:
        orphans.fix(ctx, directory, found, args.yes)
    return EXIT_ERROR if checks.failed else 0


# ---------------------------------------------------------------------------------------------
# config directory and file


def _mode_owner(path, want_mode, kind):
    """(status, message, fix) for a path that must be ours and at most want_mode."""
    st = os.lstat(path)
    mode = stat.S_IMODE(st.st_mode)
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return FAIL, f"{path} is owned by uid {st.st_uid}, not by you", f"chown {os.getuid()} {path}"
    if mode & 0o022:  # refused by every command: another user could have changed it
        return FAIL, f"{path} is mode {mode:04o}: others can write it", f"check it, then chmod go-w {path}"
    if kind == "directory" and config.is_shared_dir(path, mode):
        return OK, f"{path} (shared directory, mode {mode:04o}, yours; truto's files in it are private)", ""
    if mode & ~want_mode & 0o777:
        return FAIL, f"{path} is mode {mode:04o}: others can read it", f"chmod {want_mode:o} {path}"
    return OK, f"{path} ({kind}, mode {mode:04o}, yours)", ""


def check_config(checks, directory):
    """Directory and file permissions, then parse + schema. Returns the document of today's shape
    (converted from a legacy one), or None when it cannot be read."""
    if not os.path.lexists(directory):
        checks.add("config directory", INFO, f"{directory} does not exist yet", "truto login creates it")
        return config.empty_config()
    if not os.path.isdir(directory):
        checks.add("config directory", FAIL, f"{directory} is not a directory", "move it aside, or set TRUTO_CONFIG_DIR")
        return None
    checks.add("config directory", *_mode_owner(directory, 0o700, "directory"))
    path = config.config_path(directory)
    if not os.path.lexists(path):
        checks.add("config file", INFO, f"{path} does not exist yet (no profiles)", "truto login creates it")
        return config.empty_config()
    if os.path.islink(path) or not os.path.isfile(path):
        checks.add("config file", WARN, f"{path} is not a regular file", "replace it with the file it points at")
    else:
        checks.add("config file", *_mode_owner(path, 0o600, "file"))
    try:
        with open(path, "rb") as f:
            data = f.read()
        doc = config.parse(path, data)
    except (OSError, TrutoError) as e:
        checks.add("config schema", FAIL, _one_line(e), "fix the file, or move it aside and run truto login")
        return None
    from .. import legacy

    if legacy.is_legacy(doc):
        n = sum(len(legacy.inline_secrets(p)) for p in doc["profiles"].values())
        checks.add("config schema", WARN, f"{path} is in the standalone Truto CLI's format (read-only)", "truto auth migrate")
        checks.add("inline secrets", FAIL if n else WARN,
                   f"{n} secret{'s' if n != 1 else ''} stored inline in plaintext in {path}", "truto auth migrate")
        return legacy.as_config(doc)
    try:
        config.validate(path, doc)
    except TrutoError as e:
        checks.add("config schema", FAIL, _one_line(e), "fix the file, or move it aside and run truto login")
        return None
    n = len(doc["profiles"])
    checks.add("config schema", OK, f"valid ({n} profile{'s' if n != 1 else ''})")
    checks.add("inline secrets", OK, "none in config.json")
    return doc


def _one_line(e):
    return str(e).splitlines()[0] if str(e) else type(e).__name__


# ---------------------------------------------------------------------------------------------
# secrets


def check_secret_storage(checks, directory, doc, profiles):
    from ..secrets import FILE
    from ..secrets.file import FILE_NAME

    insecure = [p.name for p in profiles if p.secret_store == FILE]
    for name in insecure:
        checks.add("insecure storage", WARN, f"profile '{name}' keeps its secrets in plaintext {FILE_NAME}",
                   f"truto profiles set secret-store keyring -p {name} (or pass) to move them out of plaintext")
    path = os.path.join(directory, FILE_NAME)
    if os.path.lexists(path):
        status, message, fix = _mode_owner(path, 0o600, "plaintext secrets")
        checks.add("credentials file", status, message, fix)
    elif not insecure:
        checks.add("insecure storage", OK, "no profile keeps secrets in plaintext")


def check_keyring(checks, directory, profiles):
    """The keyring backend in use and a timed store/read/delete round trip of a probe item."""
    import secrets as random_source

    from ..secrets import KEYRING
    from ..secrets.os_keyring import KeyringStore, bounded

    needed = any(p.secret_store == KEYRING for p in profiles)
    failing = FAIL if needed else WARN
    fix = "unlock or start the OS keyring (Secret Service); in CI use TRUTO_API_TOKEN, or --insecure-storage"

    def backend_name():
        import keyring

        backend = keyring.get_keyring()
        return f"{getattr(backend, 'name', type(backend).__name__)} ({type(backend).__module__})"

    try:
        name = bounded("find the keyring backend", backend_name)
    except TrutoError as e:
        checks.add("keyring", failing, _one_line(e), fix)
        return
    if "fail" in name.lower() or "null" in name.lower():
        checks.add("keyring", failing, f"no usable OS keyring: backend {name}", fix)
        return
    store = KeyringStore(directory)
    field = "probe-" + random_source.token_hex(4)
    value = random_source.token_urlsafe(16)
    started = time.monotonic()
    try:
        try:
            store.set(PROBE_PROFILE, field, value)
            ok = store.get(PROBE_PROFILE, field) == value
        finally:
            store.delete(PROBE_PROFILE, field)
        left = store.get(PROBE_PROFILE, field)
    except TrutoError as e:
        checks.add("keyring", failing, f"{name}: {_one_line(e)}", fix)
        return
    elapsed = (time.monotonic() - started) * 1000
    if not ok or left is not None:
        checks.add("keyring", FAIL, f"{name}: the probe item did not read back as written, or was not deleted", fix)
    else:
        checks.add("keyring", OK, f"{name}: store, read and delete of a probe item took {elapsed:.0f} ms")


def check_profile_stores(checks, directory, profiles):
    """Which store each profile uses; for pass, that its store can serve it (the same read a get does)."""
    from ..secrets import PASS

    for p in profiles:
        checks.add("secret store", INFO, f"profile '{p.name}' keeps its secrets in {p.secret_store}",
                   profile=p.name, secretStore=p.secret_store)
    users = [p for p in profiles if p.secret_store == PASS]
    if users:
        from ..secrets.pass_store import PassStore, diagnose

        problems = diagnose(directory)
        for message, fix in problems:
            checks.add("pass", FAIL, message, fix)
        store = PassStore(directory)
        for p in users if not problems else ():
            field = "apiToken" if "apiToken" in p.secrets else next(iter(p.secrets), None)
            try:
                ok = field is None or store.get(p.name, field) is not None
            except TrutoError as e:
                checks.add("pass", FAIL, f"profile '{p.name}': {_one_line(e)}", "unlock the store's key in gpg-agent")
                continue
            checks.add("pass", OK if ok else FAIL, f"profile '{p.name}': {store.describe()}" + ("" if ok else f" lacks {field}"),
                       "" if ok else f"truto login --profile-name {p.name} --secret-store pass")


# ---------------------------------------------------------------------------------------------
# git and docker


def profile_origins(checks, profiles):
    """[(label, api_url)] for every profile, plus the CI credential when TRUTO_API_TOKEN is set."""
    origins = [(f"profile '{p.name}'", p.api_url, p.name) for p in profiles]
    if os.environ.get(ENV_TOKEN):
        url = resolution.env_credential_url()
        origins.append(("TRUTO_API_TOKEN", url, None))
    return origins


def _profile_flag(name):
    return f" -p {name}" if name else ""


def check_git(checks, origins):
    from .. import git_config

    if not origins:
        return
    if not git_config.git_available():
        checks.add("git", INFO, "git is not installed; nothing to set up")
        return
    on_path = shutil.which("git-credential-truto") is not None
    for label, url, name in origins:
        try:
            origin = git_config.origin_url(url)
        except ValueError:
            continue  # reported by the schema or environment check
        helper = git_config.effective_helper(origin)
        if git_config.points_at_us(helper):
            if on_path:
                checks.add("git", OK, f"{label}: git asks truto for {origin}")
            else:
                checks.add("git", FAIL, f"{label}: git is set up for {origin}, but git-credential-truto is not on PATH",
                           "put the directory truto is installed in on PATH")
        else:
            other = f" (it uses credential.helper '{helper}')" if helper else ""
            checks.add("git", INFO, f"{label}: git is not set up to ask truto for {origin}{other}",
                       f"truto auth setup-git{_profile_flag(name)}")


def check_docker(checks, origins):
    """Per profile origin: whether docker's config names truto for its credHelpers key, and then
    what the helper answers when asked exactly that key, through the function `get` runs. A key
    that gets no answer is never ok: docker would send the registry no credentials."""
    from .. import docker_config

    if not origins:
        return
    path = docker_config.config_path()
    try:
        doc = docker_config.load(path)
    except TrutoError as e:
        checks.add("docker", WARN, _one_line(e), "fix the file")
        return
    on_path = shutil.which("docker-credential-truto") is not None
    checked = set()
    for label, url, name in origins:
        try:
            host = docker_config.registry_host(url)
        except ValueError:
            continue
        checked.add(host)
        helper = docker_config.helper_for(doc, host)
        if helper != docker_config.HELPER:
            checks.add("docker", INFO, f"{label}: docker is not set up to ask truto for {host}",
                       f"truto auth setup-docker{_profile_flag(name)}")
            continue
        if not on_path:
            checks.add("docker", FAIL, f"{label}: docker is set up for {host}, but docker-credential-truto is not on PATH",
                       "put the directory truto is installed in on PATH")
            continue
        status, message, fix = _docker_answer(label, host, url, name)
        if status == OK and (doc.get("credHelpers") or {}).get(host) != docker_config.HELPER:
            status, fix = WARN, f"truto auth setup-docker{_profile_flag(name)}"
            message += " (through credsStore only, which skopeo, podman and buildah ignore)"
        checks.add("docker", status, message, fix)
    for key, helper in sorted((doc.get("credHelpers") or {}).items()):
        if helper == docker_config.HELPER and key not in checked and on_path:
            # No profile is for this key; it answers only once a docker or skopeo login stores one.
            status, message, _ = _docker_answer(f"credHelpers '{key}'", key, None, None)
            if status != OK:
                status, message = WARN, f"credHelpers '{key}': docker asks truto for {key}, but no profile answers it"
            checks.add("docker", status, message, "" if status == OK else
                       f"docker login {key} stores a credential for it, or drop the entry from {path}")


def _docker_answer(label, host, url, name):
    """(status, message, fix) for what `docker-credential-truto get` answers the key `host`."""
    from .. import docker_config
    from ..helper import docker_get
    from ..protocols.docker import NotFound

    try:
        _, found = docker_get(host.encode("utf-8"))
    except NotFound:
        reason = docker_config.unanswerable(url) if url else None
        message = f"{label}: docker asks truto for {host}, but the helper answers nothing for it"
        if reason:
            return FAIL, f"{message}: {reason}", (f"truto login{_profile_flag(name)} --api-url https://{host}, "
                                                  f"or truto auth setup-docker --remove{_profile_flag(name)}")
        return FAIL, message, f"truto login{_profile_flag(name)}"
    except TrutoError as e:
        return FAIL, f"{label}: docker asks truto for {host}, and the helper fails: {_one_line(e)}", ""
    who = f"profile '{found.profile}'" if found.profile else "TRUTO_API_TOKEN"
    return OK, f"{label}: docker asks truto for {host}, answered as user '{found.username}' ({who})", ""


# ---------------------------------------------------------------------------------------------
# online


def check_online(ctx, checks, directory, profiles):
    from ..errors import ApiUnavailable, TokenRejected
    from .terminal import Spinner

    store = ctx.store
    targets = []
    try:
        profiles = store.profiles()  # read as the commands read it: never from a file another user controls
    except TrutoError as e:
        checks.add("online", FAIL, f"profiles not checked: {_one_line(e)}", "fix the config checks above first")
        profiles = []
    for p in profiles:
        targets.append((f"profile '{p.name}'", p.api_url, lambda p=p: store.read_secret(p, "apiToken"),
                        f"truto login --profile-name {p.name}"))
    if os.environ.get(ENV_TOKEN):
        url = resolution.env_credential_url()
        targets.append(("TRUTO_API_TOKEN", url, lambda: os.environ[ENV_TOKEN],
                        "set TRUTO_API_TOKEN to a valid token"))
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
            checks.add("online", FAIL, f"{label}: {_one_line(e)}", "check the network and the API URL, then retry")
        except TrutoError as e:
            checks.add("online", FAIL, f"{label}: {_one_line(e)}", fix)
        else:
            team_name = team.get("name") if isinstance(team, dict) else None
            checks.add("online", OK, f"{label}: {url} accepts the token" + (f" (team {team_name})" if team_name else ""))


# ---------------------------------------------------------------------------------------------
# output


def emit(ctx, checks):
    from . import output
    from .terminal import paint

    if ctx.output != "table":
        if ctx.output == "json":
            import json

            sys.stdout.write(json.dumps({"ok": not checks.failed, "checks": checks.rows}, indent=2, ensure_ascii=False) + "\n")
        else:
            ctx.emit_rows(checks.rows, [("status", "status"), ("check", "check"), ("message", "message"), ("fix", "fix")])
        return
    width = max(len(r["check"]) for r in checks.rows)
    for r in checks.rows:
        status = paint(f"{r['status']:<4}", r["status"])
        sys.stdout.write(f"{status}  {r['check']:<{width}}  {output.cell(r['message'])}\n")
        if r["fix"]:
            sys.stdout.write(f"      {'':<{width}}  {paint('fix:', 'dim')} {output.cell(r['fix'])}\n")
    if not ctx.quiet:
        failed = sum(r["status"] == FAIL for r in checks.rows)
        summary = f"{failed} check{'s' if failed != 1 else ''} failed" if failed else "no problems found"
        sys.stdout.write(paint(summary, FAIL if failed else OK) + "\n")
