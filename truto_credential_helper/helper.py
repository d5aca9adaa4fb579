"""The credential helpers' entry points: read a request, ask the store, write the answer.

    truto-credential-helper [--protocol git|docker] [--version] ACTION
    git-credential-truto ACTION       (git: credential.helper = truto)
    docker-credential-truto ACTION    (docker: "credHelpers": {"<host[:port]>": "truto"})

`get` runs once per git or docker operation, so module-level imports stay minimal and each action
imports only what it uses; argv is parsed by hand.
"""

import sys

GIT = "git"
DOCKER = "docker"
PROG = "truto-credential-helper"
USAGE = f"usage: {PROG} [--protocol git|docker] [--version] ACTION   (git: get|store|erase; docker: store|get|erase|list|version)"
GIT_USAGE = "usage: git-credential-truto [--version] get|store|erase"
DOCKER_USAGE = "Usage: docker-credential-truto <store|get|erase|list|version>"


STDIN_NEEDED = "git and docker send the request there"


def main(argv=None):
    return _entry(_main, argv)


def _main(argv):
    args = sys.argv[1:] if argv is None else argv
    protocol = GIT
    positional = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--protocol" or arg.startswith("--protocol="):
            if arg == "--protocol":
                i += 1
                if i == len(args):
                    return _usage_error("--protocol needs a value: git or docker", USAGE)
                protocol = args[i]
            else:
                protocol = arg.partition("=")[2]
            if protocol not in (GIT, DOCKER):
                return _usage_error("unknown protocol: use git or docker", USAGE)
        elif arg in ("--version", "-V"):
            return _print_version(PROG)
        elif arg in ("--help", "-h"):
            print(USAGE)
            return 0
        elif arg == "--":
            positional.extend(args[i + 1 :])
            break
        elif arg.startswith("-"):
            return _usage_error("unknown option; see --help", USAGE)  # not repeated: it may be a pasted secret
        else:
            positional.append(arg)
        i += 1
    if len(positional) != 1:
        return _usage_error("give exactly one ACTION", USAGE)
    return run(protocol, positional[0])


def main_git(argv=None):
    return _entry(_main_git, argv)


def _main_git(argv):
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):
        return _print_version("git-credential-truto")
    if args in (["--help"], ["-h"]):
        print(GIT_USAGE)
        return 0
    if len(args) != 1 or args[0].startswith("-"):
        return _usage_error("give exactly one action: get, store or erase", GIT_USAGE)
    return run(GIT, args[0])


def main_docker(argv=None):
    return _entry(_main_docker, argv)


def _main_docker(argv):
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-v"]):
        args = ["version"]
    if args in (["--help"], ["-h"]):
        print(DOCKER_USAGE)
        return 0
    if len(args) != 1:
        print(DOCKER_USAGE)  # as docker-credential-helpers: usage on stdout, exit 1
        return 1
    return run(DOCKER, args[0])


def _entry(body, argv):
    """Every console script of the helpers: standard streams made safe first, and whatever the
    argument handling prints (usage, version) failing on a closed stream ends in a line, not a
    traceback."""
    from .console import StreamClosed, guard, say, silence_stdout

    guard(STDIN_NEEDED)
    try:
        code = body(argv)
        sys.stdout.flush()  # here, not at exit: a reader that left is then an EPIPE we handle
        return code
    except BrokenPipeError:
        silence_stdout()
        return 1
    except StreamClosed as e:
        say(f"{PROG}: {e}")
        return e.exit_code
    except OSError as e:
        say(f"{PROG}: cannot write to a standard stream ({e.strerror or type(e).__name__})")
        return 1


def _usage_error(message, usage):
    from .console import say

    say(f"{PROG}: {message}")
    say(usage)
    return 2


def _print_version(prog):
    from . import __version__

    print(f"{prog} {__version__}")
    return 0


class _Input:
    """stdin as the protocol modules read it; a read that fails (stdin open for writing only, an
    I/O error) is a one-line error naming stdin, not an internal error."""

    def __init__(self, raw):
        self.raw = raw

    def _call(self, name, *args):
        try:
            return getattr(self.raw, name)(*args)
        except OSError as e:
            from .console import StreamClosed

            raise StreamClosed(
                f"cannot read the request from stdin ({e.strerror or type(e).__name__}); {STDIN_NEEDED}",
                "stdin",
                exit_code=2,
            )

    def read(self, *args):
        return self._call("read", *args)

    def readline(self, *args):
        return self._call("readline", *args)


def run(protocol, action, stdin=None, stdout=None):
    """Run one action; errors become one line (git: stderr, exit code from errors.py; docker:
    stdout, exit 1, as docker reads them). A traceback (cleaned) only with TRUTO_DEBUG=1."""
    stdin = stdin or _Input(sys.stdin.buffer)
    stdout = stdout or sys.stdout.buffer
    debug = False
    try:
        from .settings import debug as debug_setting

        debug = debug_setting()
        if protocol == GIT:
            answer = git_action(action, stdin)
        else:
            answer = docker_action(action, stdin)
        if answer:
            stdout.write(answer)
            stdout.flush()
        return 0
    except BrokenPipeError:
        _silence_stdout()
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as e:
        if debug:
            from .console import debug_traceback

            debug_traceback(e)
            return getattr(e, "exit_code", 1)
        return _report(protocol, e, stdout)


def _report(protocol, error, stdout):
    from .console import StreamClosed, say
    from .errors import EXIT_ERROR, TrutoError
    from .untrusted import LINE_LIMIT, clean

    if isinstance(error, TrutoError):
        message, code = clean(str(error), LINE_LIMIT), error.exit_code  # cleaned: it may quote what came from outside
    else:
        # An unexpected error's text could hold anything, a secret included: only its type is shown.
        message = f"unexpected internal error ({type(error).__name__}); rerun with TRUTO_DEBUG=1 for details"
        code = EXIT_ERROR
    if protocol == DOCKER and getattr(error, "stream", None) != "stdout":
        try:
            stdout.write((message + "\n").encode("utf-8"))
            stdout.flush()
            return 1
        except BrokenPipeError:
            _silence_stdout()
            return 1
        except (OSError, StreamClosed):
            pass  # stdout is gone: stderr is the only place left to say it
    say(f"{PROG}: {message}")
    return code if protocol == GIT else 1


def _silence_stdout():
    from .console import silence_stdout

    silence_stdout()


# ---------------------------------------------------------------------------------------------
# git: get, store, erase; any other action is ignored, as git requires of its helpers


def git_action(action, stdin):
    if action not in ("get", "store", "erase"):
        return None
    from .protocols import git

    request = git.parse(git.read_request(stdin))
    if action == "get":
        from .credential_ops import answer_request

        withheld: "list[tuple[str, float]]" = []
        found = answer_request(request, withheld=withheld)
        _report_withheld(withheld)
        return git.format_answer(found, request) if found is not None else None
    if action == "store":
        if request.ephemeral:
            return None  # git: an ephemeral credential is for this one use only
        from .credential_ops import store_credential

        kind = "authtype" if request.authtype and request.credential is not None else "password"
        if kind == "authtype":
            request.password = None
        store_credential(request, kind, base_name="git")
        return None
    from .credential_ops import erase_credentials

    erased = erase_credentials(request, secret=request.password if request.password is not None else request.credential)
    _report_kept(erased.kept)
    return None


def _report_withheld(withheld):
    """One line on stderr per profile whose token `get` withheld (refusals.py): the user sees why
    the client found no credential, and the two ways out."""
    if not withheld:
        return
    from .credential_ops import withheld_message

    for name, seconds_left in withheld:
        sys.stderr.write(f"{PROG}: {withheld_message(name, seconds_left)}\n")
    sys.stderr.flush()


def _report_kept(names):
    """One line on stderr per profile an erase kept (git shows the helper's stderr; so does docker's
    credential client, which passes its helpers' stderr through)."""
    from .credential_ops import kept_message

    for name in names:
        sys.stderr.write(f"{PROG}: {kept_message(name)}\n")
    sys.stderr.flush()


# ---------------------------------------------------------------------------------------------
# docker: store, get, erase, list, version


def docker_action(action, stdin):
    from .protocols import docker

    if action == "version":
        from . import __version__

        return f"docker-credential-truto ({PROG}) {__version__}\n".encode("utf-8")
    if action == "list":
        return docker.format_list(docker_list())
    if action not in ("store", "get", "erase"):
        raise docker.DockerError(f"Unknown credential action `{action}`")
    data = docker.read_input(stdin)
    if action == "store":
        from .credential_ops import store_credential

        server_url, incoming = docker.parse_store(data)
        store_credential(incoming, "token", base_name="docker", docker_server_url=server_url)
        return None
    if action == "get":
        server_url, found = docker_get(data)
        return docker.format_get(server_url, found.username, found.password)
    from .credential_ops import erase_credentials

    # A loopback registry's scheme-less name is both its https and its http origin (origins_of):
    # a logout leaves docker nothing it stored under either.
    removed, kept = [], []
    for request in docker.parse_server_url(data)[1]:
        erased = erase_credentials(request)
        removed += erased
        kept += [name for name in erased.kept if name not in kept]
    _report_kept(kept)
    # A kept profile is a success to docker: `docker logout` would otherwise print a warning
    # repeating the error for each form of the address it tries, and skopeo's logout would fail.
    if not removed and not kept:
        raise docker.NotFound()
    return None


def docker_get(data):
    """(server URL as sent, Credential) that `docker-credential-truto get` answers `data` with;
    docker.NotFound when nothing answers. `truto doctor` asks through this very function."""
    from .credential_ops import answer_request
    from .protocols import docker

    server_url, requests = docker.parse_server_url(data)
    withheld: "list[tuple[str, float]]" = []
    for request in requests:  # in origins_of's order: https before a loopback's http
        # Several profiles can share an origin: docker's own (last) login for it answers first.
        found = answer_request(request, prefer=lambda p: "dockerServerUrl" in p.settings, withheld=withheld)
        if found is not None:
            return server_url, found
    _report_withheld(list(dict(withheld).items()))
    raise docker.NotFound()


def docker_list():
    """{server URL: user name} of every credential docker could get: the URL as docker stored it,
    else the profile's API URL. With TRUTO_API_TOKEN set, only the environment's credential."""
    from .credential import Credential, answers, url_from_origin
    from .profiles import Profiles
    from .resolution import env_credential, selected_name

    found = env_credential()
    if found is not None:
        return {url_from_origin(found.protocol, found.host, found.path): found.username}
    entries, origins = {}, set()
    store = Profiles()
    selected = selected_name(store)
    # The order get prefers (docker's own login, the selected profile, config order), so an
    # origin lists the user get answers with.
    for profile in sorted(store.profiles(), key=lambda p: ("dockerServerUrl" not in p.settings, p.name != selected)):
        found = profile.credential()
        origin = (found.protocol, found.host, found.path)
        if origin in origins or not answers(found, Credential(profile=profile.name)):
            continue
        origins.add(origin)
        entries[profile.settings.get("dockerServerUrl") or profile.api_url] = profile.username
    return entries


if __name__ == "__main__":  # python -m truto_credential_helper.helper: truto-credential-helper without its launcher
    from .console import exit_process

    exit_process(main())
