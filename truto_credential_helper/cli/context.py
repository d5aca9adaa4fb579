"""What every command shares: the global options, the store, resolution of profile, token and API
URL, the API client, and where messages go. Imports nothing heavy: `profiles list` must stay fast.
"""

import argparse
import sys

from .. import resolution
from ..errors import UsageError
from ..untrusted import hold, masked
from . import output

GLOBAL_OPTIONS_HELP = "global options (on every command, before or after it)"


def add_global_options(parser, suppress):
    """The global options. On subcommands their defaults are SUPPRESS, so an option given before
    the subcommand is not overwritten by the subcommand's default."""
    from .completion_marks import PROFILE, completes, global_option

    default = (lambda value: argparse.SUPPRESS) if suppress else (lambda value: value)
    # On subcommands they are accepted but not listed: `truto --help` lists them once.
    shown = (lambda text: argparse.SUPPRESS) if suppress else (lambda text: text)
    group = parser.add_argument_group(GLOBAL_OPTIONS_HELP)
    options = [
        completes(
            group.add_argument(
                "-p",
                "--profile",
                metavar="NAME",
                default=default(None),
                help=shown("profile to use (default: $TRUTO_PROFILE, else the active profile, else 'default')"),
            ),
            PROFILE,
        ),
        group.add_argument(
            "--token",
            metavar="TOKEN",
            default=default(None),
            help=shown("API token for this command (default: $TRUTO_API_TOKEN, else the profile's stored token)"),
        ),
        group.add_argument(
            "--api-url",
            metavar="URL",
            default=default(None),
            help=shown("API base URL (default: $TRUTO_API_URL, else the profile's apiUrl, else https://api.truto.one)"),
        ),
        group.add_argument(
            "-o",
            "--output",
            choices=output.FORMATS,
            default=default("table"),
            help=shown("output format (default: table)"),
        ),
        group.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            default=default(False),
            help=shown("print API requests and responses on stderr (Authorization redacted)"),
        ),
        group.add_argument(
            "-q",
            "--quiet",
            action="store_true",
            default=default(False),
            help=shown("print no informational messages (warnings and errors still go to stderr)"),
        ),
    ]
    for action in options:
        global_option(action)


def global_parent():
    parent = argparse.ArgumentParser(add_help=False)
    add_global_options(parent, suppress=True)
    return parent


class Context:
    def __init__(self, args):
        self.args = args
        self.output = args.output
        self.verbose = args.verbose
        self.quiet = args.quiet
        self._store = None

    # -- messages: stderr, so stdout carries only data

    def info(self, message):
        if not self.quiet:
            from ..console import say

            say(message)  # cleaned: a message may quote the API's answer

    # -- the store and resolution

    @property
    def store(self):
        if self._store is None:
            from ..profiles import Profiles

            self._store = Profiles()
        return self._store

    def profile_name(self):
        """-p > TRUTO_PROFILE > active profile > 'default'."""
        return resolution.selected_name(self.store, self.args.profile)

    def profile_source(self):
        return resolution.profile_source(self.store, self.args.profile)

    def require_profile(self, name=None):
        return self.store.require_profile(name or self.profile_name())

    def api_url(self, profile_name):
        """(url, source): --api-url > TRUTO_API_URL > profile apiUrl > default."""
        return resolution.resolve_api_url(self.store, profile_name, self.args.api_url)

    def token(self, profile_name):
        """(token, source): --token > TRUTO_API_TOKEN > the profile's stored token."""
        return resolution.resolve_token(self.store, profile_name, self.args.token)

    def api_target(self, profile_name):
        """(token, token_source, url, url_source) for a command that calls the API, refusing to
        send a stored token to another origin: every API command resolves through here."""
        token, token_source = self.token(profile_name)
        url, url_source = self.api_url(profile_name)
        self._check_destination(profile_name, token_source, url, url_source)
        return token, token_source, url, url_source

    def _check_destination(self, profile_name, token_source, api_url, url_source):
        """A token read from a profile goes only to that profile's own origin: --api-url or
        TRUTO_API_URL naming another host would otherwise hand the stored token to whoever runs it."""
        if resolution.crosses_origin(self.store, profile_name, token_source, api_url, url_source):
            profile = self.store.profile(profile_name)
            raise UsageError(  # not repeated: what was given could hold something pasted by mistake
                f"profile '{profile_name}' holds a token for {profile.api_url}, but {url_source_label(url_source)} "
                f"points at another origin; truto does not send a stored token to another origin: pass --token "
                f"(or TRUTO_API_TOKEN) for that API, or log in to it as a profile of its own"
            )

    def client(self, api_url, token, url_source="profile"):
        from ..api import ApiClient
        from .terminal import Spinner

        waiting = lambda: Spinner("Waiting for the API", quiet=self.quiet or self.verbose)  # noqa: E731
        return ApiClient(api_url, token, source=url_source_label(url_source), verbose=self.verbose, waiting=waiting)

    # -- output

    def emit_rows(self, rows, columns):
        output.emit_rows(rows, self.output, columns)

    def emit_record(self, record, labels):
        output.emit_record(record, self.output, labels)

    def emit_value(self, value, key="value"):
        output.emit_value(value, self.output, key)


def url_source_label(source):
    return {
        "flag": "--api-url",
        "environment": "TRUTO_API_URL",
        "profile": "the profile's apiUrl",
        "default": "the default API URL",
    }.get(source, "the API URL")


def profile_name_pattern():
    from .. import config_validation

    return config_validation.profile_name_pattern()


def check_profile_name(name, flag="--profile-name"):
    if not profile_name_pattern().fullmatch(name):
        raise UsageError(
            f"{flag}: {masked(name)} is not a valid profile name: use 1-128 letters, digits and . _ @ + -, "
            "starting with a letter or digit"
        )
    return name


def check_secret(value, what):
    """A token or key must be one printable word: whitespace or a control character inside means a
    bad paste (two lines, a trailing space) and would break the Authorization header."""
    if not value:
        raise UsageError(f"{what} is empty; nothing was saved")
    hold(value)
    if not resolution.one_word(value):
        raise UsageError(f"{what} contains whitespace or control characters (a bad paste?); nothing was saved")
    return value


def read_stdin_secret(what, flag):
    """A secret piped on stdin: everything read, minus one trailing newline."""
    if sys.stdin is None or sys.stdin.closed:
        raise UsageError(f"{flag}: stdin is closed; pipe the {what} into the command")
    data = sys.stdin.read()
    if data.endswith("\n"):
        data = data[:-1]
        if data.endswith("\r"):
            data = data[:-1]
    if not data:
        raise UsageError(f"{flag}: read an empty {what} from stdin; pipe the {what} into the command")
    return check_secret(data, f"the {what} read from stdin")
