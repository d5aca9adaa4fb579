"""Errors that end a command: each carries its documented exit code and a one-line message.

The message must never contain a secret: callers build it from names, paths and URLs only.
"""

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_LOGGED_IN = 3
EXIT_TOKEN_REJECTED = 4
EXIT_API_UNAVAILABLE = 5
EXIT_SECRET_STORE = 6


class TrutoError(Exception):
    exit_code = EXIT_ERROR

    def __init__(self, message: str, exit_code: "int | None" = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(TrutoError):
    exit_code = EXIT_USAGE


class ConfigError(TrutoError):
    """config.json (or credentials.json) cannot be read, parsed, validated or written."""


class NotLoggedIn(TrutoError):
    exit_code = EXIT_NOT_LOGGED_IN


class TokenRejected(TrutoError):
    exit_code = EXIT_TOKEN_REJECTED


class ApiUnavailable(TrutoError):
    exit_code = EXIT_API_UNAVAILABLE


class SecretStoreUnavailable(TrutoError):
    exit_code = EXIT_SECRET_STORE


NO_KEYRING_HINT = (
    "set TRUTO_API_TOKEN (CI), pass --secret-store pass to keep this profile's secrets in pass (GPG), "
    "or --insecure-storage to keep them in a plaintext credentials.json"
)
