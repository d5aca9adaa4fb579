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

# Shown once, in `truto --help`; every other help page points there (the options still work anywhere).
GLOBAL_POINTER = (
    "Global options (-p NAME, --token, --api-url, -o FORMAT, -v, -q) work here too; "
    "they and the exit codes are in `truto --help`."
)

EXAMPLES = {
    "truto": """examples:
  truto login                              # prompts for profile, API URL and token
  truto whoami                             # whose token is this?
  truto auth status                        # every profile, offline
  truto -p staging api-tokens list -o json""",
    "truto login": """examples:
  truto login                                        # interactive
  truto login --profile-name staging --api-url https://api.staging.example
  printf %s "$TOKEN" | truto login --with-token      # token on stdin, not in argv
  TRUTO_API_TOKEN=... truto login                    # no terminal: the token from the environment""",
    "truto logout": """examples:
  truto logout                         # the selected profile, after asking
  truto logout --profile-name old -f""",
    "truto whoami": """examples:
  truto whoami
  truto whoami -p staging -o json""",
    "truto profiles": """examples:
  truto profiles list
  truto profiles use staging
  truto profiles set default-integrated-account ACCOUNT_ID
  truto profiles set-key anthropic - < key.txt       # the key on stdin""",
    "truto api-tokens": """examples:
  truto api-tokens list
  truto api-tokens list --all -o json      # every page: {"items": [...], "nextCursor": null}
  truto api-tokens get TOKEN_ID""",
    "truto api-tokens list": """examples:
  truto api-tokens list --limit 50
  truto api-tokens list -o json            # {"items": [...], "nextCursor": "..."}
  truto api-tokens list --next-cursor CURSOR
  truto api-tokens list --all -o ndjson    # every page, one token a line""",
    "truto auth": """examples:
  truto auth status --online
  truto auth setup-git                     # git asks truto for the API origin
  truto auth exec -- python script.py      # TRUTO_API_TOKEN/TRUTO_API_URL in its environment
  curl -H "Authorization: Bearer $(truto auth token)" https://api.truto.one/team""",
    "truto auth setup-git": """examples:
  truto auth setup-git
  truto -p staging auth setup-git --local
  truto auth setup-git --remove""",
    "truto auth token": """examples:
  curl -H "Authorization: Bearer $(truto auth token)" https://api.truto.one/team
  truto auth -p staging token""",
    "truto doctor": """examples:
  truto doctor
  truto doctor --online -o json""",
    "truto completion": """examples:
  source <(truto completion bash)
  truto completion zsh > "${fpath[1]}/_truto"
  truto completion fish > ~/.config/fish/completions/truto.fish""",
}


def _parser_class():
    import argparse
    import re

    class Parser(argparse.ArgumentParser):
        """argparse with errors on one line, like every other error of truto, and without echoing
        what was typed: a token pasted into the wrong option would land in scrollback and CI logs."""

        def error(self, message):
            original = message
            message = re.sub(r"(invalid choice|invalid \S+ value): '[^']*'", r"\1", message)
            message = re.sub(
                r"unrecognized arguments: (.*)",
                lambda m: (
                    "unrecognized arguments: "
                    + " ".join(word if word.startswith("-") else "<value>" for word in m.group(1).split())
                ),
                message,
            )
            self.exit(EXIT_USAGE, f"{self.prog}: {message}{did_you_mean(self, original)}; see `{self.prog} --help`\n")

    return Parser


def _formatter_class():
    import argparse

    class Formatter(argparse.HelpFormatter):
        """Text with line breaks of its own (examples, exit codes) as written; a one-paragraph
        description wrapped to the terminal."""

        def _fill_text(self, text, width, indent):
            if "\n" in text:
                return "".join(indent + line for line in text.splitlines(keepends=True))
            return super()._fill_text(text, width, indent)

    return Formatter


def did_you_mean(parser, message):
    """'; did you mean `truto login`?' for a mistyped (sub)command, else ''. Only a known command
    name is printed, never what was typed."""
    import argparse
    import difflib
    import re

    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        typed = re.match(
            r"argument %s: invalid choice: '([^']*)'" % re.escape(str(action.metavar or action.dest)), message
        )
        if typed:
            match = difflib.get_close_matches(typed.group(1), list(action.choices), n=1)
            return f"; did you mean `{parser.prog} {match[0]}`?" if match else ""
    return ""


def overview(parser):
    """What `truto` alone prints: a short map of the commands (stdout, exit 0, as gh does)."""
    import argparse

    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    width = max(len(a.dest) for a in sub._choices_actions)
    lines = [parser.description, "", "usage: truto [-p NAME] [-o FORMAT] COMMAND ...", "", "commands:"]
    lines += [f"  {a.dest.ljust(width)}  {a.help}" for a in sub._choices_actions]
    lines += [
        "",
        EXAMPLES["truto"],
        "",
        "Run `truto COMMAND --help` for a command's options, `truto --help` for global options and exit codes.",
    ]
    return "\n".join(lines) + "\n"


def build_parser():

    from .context import add_global_options, global_parent

    parser = _parser_class()(
        prog="truto",
        description="Log in to the Truto API and manage profiles; tokens live in the OS keyring.",
        epilog=EXIT_CODES_HELP,
        formatter_class=_formatter_class(),
    )
    parser.add_argument("--version", action="version", version=f"truto {__version__}")
    add_global_options(parser, suppress=False)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    parents = [global_parent()]
    for name in COMMANDS:
        importlib.import_module(f"{__package__}.{name}").register(subparsers, parents)
    parser.epilog = EXAMPLES["truto"] + "\n\n" + EXIT_CODES_HELP
    for choice in _all_subparsers(parser):
        pointer = choice.epilog or GLOBAL_POINTER
        choice.epilog = EXAMPLES[choice.prog] + "\n\n" + pointer if choice.prog in EXAMPLES else pointer
        choice.formatter_class = parser.formatter_class
    return parser


def _all_subparsers(parser):
    """Every parser below the top one, each once (aliases share a parser)."""
    import argparse

    seen = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action.choices.values():
                if all(choice is not s for s in seen):
                    seen.append(choice)
                    seen += [c for c in _all_subparsers(choice) if all(c is not s for s in seen)]
    return seen


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
            # A command group given without its subcommand (`truto profiles`): its help, as
            # `gh auth` and `docker volume` do: asked for, on stdout, exit 0.
            args.group_parser.print_help(sys.stdout)
            return 0
        sys.stdout.write(overview(parser))
        return 0
    return args.run(Context(args), args) or 0
