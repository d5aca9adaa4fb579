"""`truto doctor`'s Vault checks: for each Vault profile, where its secret is and which source the
Vault token comes from (never the token); with --online, each address's seal status and whether
the profile's secret can be read, through the very code a `get` runs."""

import os

from ...errors import TrutoError
from ...secrets import VAULT
from ...untrusted import masked
from .report import FAIL, INFO, OK, WARN

VAULT_VARS = {
    "TRUTO_VAULT_ROLE_ID": "AppRole role ID (with TRUTO_VAULT_SECRET_ID)",
    "TRUTO_VAULT_SECRET_ID": "AppRole secret ID (with TRUTO_VAULT_ROLE_ID)",
    "TRUTO_VAULT_APPROLE_MOUNT": "mount of the AppRole auth method (default approle)",
    "TRUTO_VAULT_JWT": "a JWT to log in to Vault with (with TRUTO_VAULT_ROLE)",
    "TRUTO_VAULT_JWT_FILE": "file holding a JWT to log in to Vault with (with TRUTO_VAULT_ROLE)",
    "TRUTO_VAULT_ROLE": "Vault JWT role to log in as",
    "TRUTO_VAULT_JWT_MOUNT": "mount of the JWT auth method (default jwt)",
    "TRUTO_VAULT_CERT_MOUNT": "mount of the TLS certificate auth method (default cert)",
    "TRUTO_VAULT_CERT_ROLE": "TLS certificate auth role to log in as (optional)",
}
# Shown, as the commands' messages show them: a role or mount masked (a token pasted there must not
# be printed back), the JWT file's path when it is a file. The other variables hold secrets.
SHOWN = (
    "TRUTO_VAULT_APPROLE_MOUNT",
    "TRUTO_VAULT_JWT_FILE",
    "TRUTO_VAULT_ROLE",
    "TRUTO_VAULT_JWT_MOUNT",
    "TRUTO_VAULT_CERT_MOUNT",
    "TRUTO_VAULT_CERT_ROLE",
)


def check_vault(checks, directory, profiles, online):
    from ...secrets import vault_auth
    from ...secrets.vault import Location, VaultStore

    for name in sorted(k for k in os.environ if k.startswith("TRUTO_VAULT_")):
        if name not in VAULT_VARS:
            checks.add(
                "environment",
                WARN,
                f"{name} is set, but truto does not read it (a typo?)",
                "unset it, or see docs/commands.md for the variables truto reads",
            )
        elif name == "TRUTO_VAULT_JWT_FILE" and not os.path.isfile(os.environ[name]):
            shown = vault_auth.shown_path(os.environ[name])
            checks.add(
                "environment", WARN, f"{name} {shown} is not a file: {VAULT_VARS[name]}", "set it to the JWT's file"
            )
        else:
            value = os.environ[name]
            if name == "TRUTO_VAULT_JWT_FILE":
                shown = f"={value}"  # a file that is there (above): a path, not a pasted JWT
            else:
                shown = f" {masked(value)}" if name in SHOWN else " is set"
            checks.add("environment", INFO, f"{name}{shown}: {VAULT_VARS[name]}")
    ours = [p for p in profiles if p.secret_store == VAULT and p.settings.get("vault")]
    if not ours:
        return
    kind, _ = vault_auth.source()
    if kind == "file":
        check_token_file(checks, vault_auth)
    store = VaultStore(directory)
    for profile in ours:
        where = Location.from_settings(profile.settings["vault"])
        kind, source = vault_auth.source_for(where.addresses)
        label = f"profile '{profile.name}'"
        text = f"{label}: secret {where.label} at {', '.join(where.addresses)}; Vault token from {source}"
        if kind is None:
            checks.add("vault", FAIL, text, vault_auth.NO_TOKEN_HINT)
        elif vault_auth.incomplete():
            checks.add("vault", FAIL, text, vault_auth.incomplete())
        else:
            checks.add("vault", OK, text)
        if not online:
            continue
        for address in where.addresses:
            check_seal(checks, label, address, where)
        try:
            secret = store.read(where)
        except TrutoError as e:
            checks.add(
                "vault", FAIL, f"{label}: {str(e).splitlines()[0]}", "see the message; `truto doctor` again after"
            )
        else:
            has = "holds an apiToken" if (secret.data or {}).get("apiToken") else "holds no apiToken"
            status, fix = (
                (OK, "")
                if "an apiToken" in has
                else (FAIL, f"truto login --secret-store vault --vault-path {where.label} --with-token")
            )
            checks.add(
                "vault",
                status,
                f"{label}: the Vault token from {store.token_source} can read {where.label} ({has})",
                fix,
            )


def check_token_file(checks, vault_auth):
    """The token file under the rule its reading applies (vault_auth.trust_token_file)."""
    path = vault_auth.token_file()
    try:
        warning = vault_auth.trust_token_file(path, os.stat(path))
    except OSError as e:
        checks.add(
            "vault", FAIL, f"{path} cannot be read ({e.strerror})", "log in to Vault again (vault login / bao login)"
        )
    except TrutoError as e:
        checks.add("vault", FAIL, str(e), "")
    else:
        if warning:
            checks.add("vault", WARN, warning.rsplit("; ", 1)[0], warning.rsplit("; ", 1)[1])
        else:
            checks.add("vault", OK, f"{path} (the Vault token) is private to you")


def check_seal(checks, label, address, where):
    """sys/seal-status of one address (it needs no token)."""
    import time

    from ...secrets.vault import DEFAULT_TIMEOUT
    from ...secrets.vault_http import Client
    from ...settings import ENV_TIMEOUT, seconds

    timeout = seconds(ENV_TIMEOUT, DEFAULT_TIMEOUT)
    client = Client([address], time.monotonic() + timeout, timeout, where.label)
    try:
        answer = client.request("GET", "sys/seal-status")
    except TrutoError as e:
        checks.add("vault", FAIL, f"{label}: {str(e).splitlines()[0]}", "")
        return
    if answer.status == 200 and answer.doc.get("sealed") is False:
        checks.add("vault", OK, f"{label}: Vault at {address} is unsealed ({answer.doc.get('version', '?')})")
    else:
        checks.add("vault", FAIL, f"{label}: Vault at {address} answered sys/seal-status with HTTP {answer.status}", "")
