"""The `truto` console script: builds the parser from the command modules and turns every failure
into a one-line message and a documented exit code.

Adding a command group = a module in this package with register(subparsers, parents) + one line
in COMMANDS. register() adds its parsers and sets `run=<function(ctx, args)>` on each.
"""
import importlib
import sys

from .. import __version__
from ..errors import EXIT_ERROR, EXIT_USAGE, TrutoError

COMMANDS = [
    "login",
    "logout",
    "whoami",
    "profiles",
    "api_tokens",
    "auth",
    "doctor",
    "completion",
]

EXIT_CODES_HELP = """exit codes:
  0  ok
  1  error
  2  usage error (bad flag, argument or value; a prompt needed but no terminal)
  3  not logged in (no such profile, no token)
  4  token rejected by the API (401/403)
  5  API unreachable or failing (connection, timeout, 5xx, redirect, malformed answer)
  6  secret store unavailable (no usable OS keyring, or it did not answer in time)

environment: TRUTO_API_TOKEN, TRUTO_API_URL, TRUTO_PROFILE, TRUTO_CONFIG_DIR, TRUTO_TIMEOUT,
TRUTO_KEYRING_TIMEOUT, TRUTO_LOCK_TIMEOUT, TRUTO_DEBUG=1 (tracebacks). See docs/commands.md."""


def _parser_class():
    import argparse
    import re

    class Parser(argparse.ArgumentParser):
        """argparse with errors on one line, like every other error of truto, and without echoing
        what was typed: a token pasted into the wrong option would land in scrollback and CI logs."""

        def error(self, message):
            message = re.sub(r"(invalid choice|invalid \S+ value): '[^']*'", r"\1", message)
            message = re.sub(r"unrecognized arguments: (.*)", lambda m: "unrecognized arguments: " + " ".join(
                word if word.startswith("-") else "<value>" for word in m.group(1).split()), message)
            self.exit(EXIT_USAGE, f"{self.prog}: {message}; see `{self.prog} --help`\n")

    return Parser


def build_parser():
    import argparse

    from .context import add_global_options, global_parent

    parser = _parser_class()(
        prog="truto",
        description="Log in to the Truto API and manage profiles; tokens live in the OS keyring.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"truto {__version__}")
    add_global_options(parser, suppress=False)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    parents = [global_parent()]
    for name in COMMANDS:
        importlib.import_module(f"{__package__}.{name}").register(subparsers, parents)
    for choice in subparsers.choices.values():
        choice.epilog = choice.epilog or EXIT_CODES_HELP
        choice.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


def main(argv=None):
    from ..console import debug_traceback, guard, say, silence_stdout
    from ..settings import debug as debug_setting

    guard("pipe the token or key into the command")
    debug, bad_debug = False, None
    try:
        debug = debug_setting()
    except TrutoError as e:
        bad_debug = e  # every command refuses it, but doctor, which reports it
    try:
        code = _main(sys.argv[1:] if argv is None else argv, bad_debug)
        sys.stdout.flush()  # here, not at exit: a reader that left is then an EPIPE we handle
        return code
    except KeyboardInterrupt:
        say("")  # past the ^C the terminal echoed
        say("truto: interrupted")
        return 130
    except BrokenPipeError:
        # `truto ... | head`: the reader left; not an error worth a message.
        silence_stdout()  # so the exit-time flush does not fail again
        return EXIT_ERROR
    except Exception as e:
        if debug:
            debug_traceback(e)
            return getattr(e, "exit_code", EXIT_ERROR)
        if isinstance(e, TrutoError):
            say(f"truto: {e}")  # cleaned there: a message may quote a server or a mistyped value
            return e.exit_code
        # A bug: say so in one line, without args (they might hold a secret).
        say(f"truto: internal error ({type(e).__name__}); run again with TRUTO_DEBUG=1 for details")
        return EXIT_ERROR


def _main(argv, bad_debug=None):
    from .context import Context

    parser = build_parser()
    args = parser.parse_args(argv)
    if bad_debug is not None and getattr(args, "command", None) != "doctor":
        raise bad_debug
    if not getattr(args, "run", None):
        if getattr(args, "command", None):
            # A command group given without its subcommand (`truto profiles`): show its help.
            args.group_parser.print_help(sys.stderr)
        else:
            parser.print_help(sys.stderr)
        return EXIT_USAGE
    return args.run(Context(args), args) or 0
