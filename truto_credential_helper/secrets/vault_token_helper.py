"""The Vault CLI's token helper: `token_helper = "/path/to/helper"` in the CLI's config file makes `vault login` hand the token to that program instead of writing
~/.vault-token, and every later command run `helper get` and read the token from its stdout. The
config file is the one VAULT_CONFIG_PATH (or OpenBao's BAO_CONFIG_PATH) names, else ~/.vault (the
vault CLI's) or ~/.bao (the bao CLI's), the first that exists.

truto does the same as its last source of a Vault token: the program is run directly (no shell)
with the one argument `get`, stdin empty, bounded by what is left of TRUTO_TIMEOUT; its output,
stripped, is the token, held by the sanitiser. The config file and the program must belong to this
user or root and be writable by nobody else (they decide what code runs with the user's Vault
access). The config is read as the CLI writes it: HCL `token_helper = "..."` or JSON.
"""

import os

from ..errors import SecretStoreUnavailable

MAX_CONFIG = 64 << 10
MAX_TOKEN = 64 << 10


def config_path():
    """The CLI config file to read, or None."""
    named = os.environ.get("VAULT_CONFIG_PATH") or os.environ.get("BAO_CONFIG_PATH")
    if named:
        return named
    home = os.path.expanduser("~")
    return next((p for p in (os.path.join(home, ".vault"), os.path.join(home, ".bao")) if os.path.isfile(p)), None)


def configured():
    """(helper path, config path) of the configured token helper, or None."""
    path = config_path()
    if path is None or not os.path.isfile(path):
        return None
    try:
        with open(path, "rb") as f:
            text = f.read(MAX_CONFIG).decode("utf-8", "replace")
    except OSError:
        return None
    helper = parse(text)
    return (helper, path) if helper else None


def parse(text):
    """The token_helper value of an HCL or JSON CLI config, or None."""
    for line in text.splitlines():
        line = line.strip().lstrip("{").strip()
        key = "token_helper"
        for quote in ('"', ""):
            if line.startswith(f"{quote}{key}{quote}"):
                rest = line[len(key) + 2 * len(quote) :].lstrip()
                break
        else:
            continue
        if rest[:1] not in ("=", ":"):
            continue
        rest = rest[1:].strip()
        if rest.startswith('"'):
            value, end, _ = rest[1:].partition('"')
            if end:
                return value.replace("\\\\", "\\") or None
    return None


def label(helper):
    program, config = helper
    return f"the token helper {program} (token_helper in {config})"


def run(helper, timeout):
    """The token `program get` prints, or None when it prints nothing (not logged in)."""
    import subprocess

    from .. import untrusted
    from .ownership import untrusted_because

    program, config = helper
    fix = f"fix it, or remove token_helper from {config}"
    if not os.path.isabs(program):
        raise SecretStoreUnavailable(
            f"the token helper '{program}' in {config} is not an absolute path; give its full path, or remove it"
        )
    for path, what in ((config, "the Vault CLI config"), (program, "the token helper")):
        problem = untrusted_because(path)
        if problem:
            raise SecretStoreUnavailable(f"{what} {path} {problem}, so it is not run; {fix}")
    if timeout <= 0:
        raise SecretStoreUnavailable(f"no time left to run the token helper {program}; raise TRUTO_TIMEOUT")
    try:
        done = subprocess.run(
            [program, "get"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise SecretStoreUnavailable(
            f"the token helper {program} gave no token within {timeout:.3g} s; check it (`{program} get`), "
            "or raise TRUTO_TIMEOUT"
        )
    except OSError as e:
        raise SecretStoreUnavailable(
            f"the token helper {program} cannot be run ({e.strerror or type(e).__name__}); {fix}"
        )
    if done.returncode != 0:
        raise SecretStoreUnavailable(
            f"the token helper {program} failed (exit {done.returncode}); run `{program} get` to see why, "
            "or log in to Vault again (vault login / bao login)"
        )
    if len(done.stdout) > MAX_TOKEN:
        raise SecretStoreUnavailable(f"the token helper {program} printed more than a token; {fix}")
    try:
        token = done.stdout.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise SecretStoreUnavailable(f"the token helper {program} printed something that is not text; {fix}")
    return untrusted.hold(token) or None
