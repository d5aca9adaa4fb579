"""`truto auth exec -- COMMAND [ARGS...]`: run a program with the resolved credentials in its
environment, as `op run` and `aws-vault exec` do, for programs and SDKs that read only variables.

The token goes into COMMAND's environment only: never onto an argv (other users can read those
in /proc) and never into a file. COMMAND gets truto's stdin, stdout and stderr, its exit status
becomes truto's (128+N when signal N killed it, as shells report it), and the signals truto gets
are passed on to it, so a supervisor stopping truto stops COMMAND.
"""

import argparse
import os
import signal
import sys

from ..errors import TrutoError, UsageError
from ..settings import ENV_API_URL, ENV_TOKEN

EXIT_NOT_EXECUTABLE = 126
EXIT_NOT_FOUND = 127
KEY_VARIABLES = (("anthropicApiKey", "ANTHROPIC_API_KEY"), ("firecrawlApiKey", "FIRECRAWL_API_KEY"))
# Passed on to COMMAND. Not SIGTSTP/SIGCONT/SIGTTIN/SIGTTOU: job control acts on the whole
# process group, COMMAND included, and truto must stop and continue along with it.
FORWARDED = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGWINCH")
# si_code of a signal the kernel itself sent (Linux): a key typed at the terminal (^C, ^\), a
# hangup or a window resize, which reach the whole foreground process group, COMMAND included.
SI_KERNEL = 0x80
CHILD_POLL_SECONDS = 0.2
# Python ignores these for itself; COMMAND gets them at their defaults, as subprocess does. Other
# signals keep what exec leaves them (caught: default; ignored, as under nohup: still ignored).
_RESTORED = tuple(getattr(signal, n) for n in ("SIGPIPE", "SIGXFSZ") if hasattr(signal, n))


def register(subparsers, parents):
    p = subparsers.add_parser(
        "exec",
        parents=parents,
        help="run a command with TRUTO_API_TOKEN and TRUTO_API_URL in its environment",
        usage="truto auth exec [-p NAME] [--with-keys] -- COMMAND [ARGS...]",
        description="Run COMMAND with TRUTO_API_TOKEN and TRUTO_API_URL set to the credentials every truto "
        "command would use (--token > $TRUTO_API_TOKEN > the profile's token; --api-url > "
        "$TRUTO_API_URL > the profile's apiUrl), in its environment only: never on its command "
        "line, never in a file. Exits with COMMAND's status (128+N when signal N ended it); "
        "signals truto receives are passed on; COMMAND not found: 127, not executable: 126.",
    )
    p.add_argument(
        "--with-keys",
        action="store_true",
        help="also set ANTHROPIC_API_KEY and FIRECRAWL_API_KEY from the profile's stored keys",
    )
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="COMMAND [ARGS...]")
    p.set_defaults(run=run)


def run(ctx, args):
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise UsageError("no command given: truto auth exec [-p NAME] -- COMMAND [ARGS...]")
    name = ctx.profile_name()
    token, _, url, _ = ctx.api_target(name)
    env = dict(os.environ)
    env[ENV_TOKEN] = token
    env[ENV_API_URL] = url
    if args.with_keys:
        env.update(_keys(ctx, name))
    sys.stdout.flush()
    sys.stderr.flush()
    return _run(command, env)


def _keys(ctx, name):
    profile = ctx.require_profile(name)
    found = {}
    for field, variable in KEY_VARIABLES:
        value = ctx.store.read_secret(profile, field)
        if value is not None:
            found[variable] = value
    if not found:
        from ..console import warn

        warn(
            f"profile '{name}' holds no BYOK key; set them with `truto profiles set-key anthropic|firecrawl -p {name}`"
        )
    return found


def _run(command, env):
    signals = [getattr(signal, n) for n in FORWARDED if hasattr(signal, n)]
    if hasattr(signal, "sigwaitinfo"):
        return _run_waiting_for_signals(command, env, signals)
    return _run_with_handlers(command, env, signals)


def _spawn_error(command, error):
    if isinstance(error, FileNotFoundError):
        return TrutoError(f"{command[0]}: command not found; check its name and PATH", EXIT_NOT_FOUND)
    reason = error.strerror or type(error).__name__
    return TrutoError(
        f"{command[0]}: cannot be run ({reason}); check that it is an executable file", EXIT_NOT_EXECUTABLE
    )


def _run_waiting_for_signals(command, env, signals):
    """Block the signals, start COMMAND with the signal mask truto had, then take each
    signal synchronously: SIGCHLD ends the wait, the others go on to COMMAND unless the kernel
    already sent them to it (sigwaitinfo says who sent one; a handler could not)."""
    watched = set(signals) | {signal.SIGCHLD}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, watched)
    try:
        try:
            pid = os.posix_spawnp(command[0], command, env, setsigmask=previous, setsigdef=_RESTORED)
        except OSError as e:
            raise _spawn_error(command, e) from None
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return _exit_status(status)
            # Blocked here only: a process-directed SIGCHLD may go to another thread of the
            # process (an embedding program's, a library's) and never reach this wait, so
            # the status is also polled.
            info = signal.sigtimedwait(watched, CHILD_POLL_SECONDS)
            if info is not None and info.si_signo != signal.SIGCHLD and info.si_code != SI_KERNEL:
                _forward(pid, info.si_signo)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _run_with_handlers(command, env, signals):
    """Where sigwaitinfo is missing (macOS): handlers pass every signal on."""
    import subprocess

    try:
        child = subprocess.Popen(command, env=env)
    except OSError as e:
        raise _spawn_error(command, e) from None
    previous = {s: signal.signal(s, lambda signo, frame: _forward(child.pid, signo)) for s in signals}
    try:
        returncode = child.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return 128 - returncode if returncode < 0 else returncode


def _forward(pid, signo):
    try:
        os.kill(pid, signo)
    except ProcessLookupError:
        pass  # it has just exited: its status is collected next


def _exit_status(status):
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)
