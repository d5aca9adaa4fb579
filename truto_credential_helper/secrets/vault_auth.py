"""Where the Vault token comes from, first match wins:

1. AppRole: TRUTO_VAULT_ROLE_ID + TRUTO_VAULT_SECRET_ID (mount TRUTO_VAULT_APPROLE_MOUNT, default approle)
2. JWT/OIDC: TRUTO_VAULT_JWT, or TRUTO_VAULT_JWT_FILE, + TRUTO_VAULT_ROLE (mount TRUTO_VAULT_JWT_MOUNT, default jwt)
3. TLS certificate login: TRUTO_VAULT_CERT_MOUNT and/or TRUTO_VAULT_CERT_ROLE set (mount default
   cert), with the client certificate VAULT_CLIENT_CERT + VAULT_CLIENT_KEY
4. VAULT_TOKEN, as the vault and bao CLIs read it
5. the token file ~/.vault-token, which `vault login` and `bao login` leave
6. the token helper that `token_helper` in ~/.vault (or VAULT_CONFIG_PATH) names, run with `get`
7. none: a Vault Agent or Proxy (VAULT_AGENT_ADDR, a unix:// socket, a loopback http listener)
   adds its auto-auth token to a request that has none

truto's own variables come first: they are set for truto on purpose (a CI job), while VAULT_TOKEN
and the token file may be ambient. A token from a login lives in this process's memory only.
"""

import os

from ..errors import ConfigError, SecretStoreUnavailable
from ..untrusted import hold, masked

APPROLE = ("TRUTO_VAULT_ROLE_ID", "TRUTO_VAULT_SECRET_ID")
JWT_VARS = ("TRUTO_VAULT_JWT", "TRUTO_VAULT_JWT_FILE")
MOUNT_DEFAULTS = {
    "TRUTO_VAULT_APPROLE_MOUNT": "approle",
    "TRUTO_VAULT_JWT_MOUNT": "jwt",
    "TRUTO_VAULT_CERT_MOUNT": "cert",
}
CERT_VARS = ("TRUTO_VAULT_CERT_MOUNT", "TRUTO_VAULT_CERT_ROLE")
NO_TOKEN_HINT = (
    "set VAULT_TOKEN or log in with `vault login` / `bao login` (~/.vault-token); in CI set "
    "TRUTO_VAULT_ROLE_ID + TRUTO_VAULT_SECRET_ID (AppRole) or TRUTO_VAULT_JWT(_FILE) + TRUTO_VAULT_ROLE (JWT)"
)


def token_file():
    return os.path.join(os.path.expanduser("~"), ".vault-token")


def source():
    """(kind, label) of the source that would be used, without contacting Vault: kind is approle,
    jwt, env, file or None. For whoami and doctor; never reads a secret into the label, and shows
    a value set in a variable only masked (a token pasted there must not be printed back)."""
    if os.environ.get(APPROLE[0]) or os.environ.get(APPROLE[1]):
        return "approle", f"AppRole login ({APPROLE[0]}, mount {shown_mount('TRUTO_VAULT_APPROLE_MOUNT')})"
    if os.environ.get(JWT_VARS[0]) or os.environ.get(JWT_VARS[1]):
        which = JWT_VARS[0] if os.environ.get(JWT_VARS[0]) else f"{JWT_VARS[1]} {shown_path(os.environ[JWT_VARS[1]])}"
        role = masked(os.environ["TRUTO_VAULT_ROLE"]) if os.environ.get("TRUTO_VAULT_ROLE") else "?"
        return "jwt", f"JWT login ({which}, role {role}, mount {shown_mount('TRUTO_VAULT_JWT_MOUNT')})"
    if cert_login_wanted():
        return "cert", cert_label()
    if os.environ.get("VAULT_TOKEN"):
        return "env", "VAULT_TOKEN"
    if os.path.isfile(token_file()):
        return "file", token_file()
    from . import vault_token_helper

    helper = vault_token_helper.configured()
    if helper is not None:
        return "helper", vault_token_helper.label(helper)
    return None, "none"


def shown_mount(name):
    """How a message names the auth mount set by variable `name`: the default as it is, a value
    set there masked, as every value a user gives is in a message."""
    value = os.environ.get(name)
    return masked(value) if value else f"'{MOUNT_DEFAULTS[name]}'"


def shown_path(path):
    """A file named by a variable, as messages show it: the path of a file that is there; anything
    else masked (a JWT pasted where its file's path goes)."""
    return path if os.path.isfile(path) else masked(path)


def source_for(addresses):
    """source(), with a profile's addresses: no token of our own is fine when requests go to an
    agent, which adds its own: VAULT_AGENT_ADDR or a unix:// socket. (A loopback http address is
    tried without a token too, but may as well be a Vault dev server: not counted here.)"""
    kind, label = source()
    if kind is None and to_agent(addresses, loopback=False):
        return "agent", agent_label(addresses)
    return kind, label


def to_agent(addresses, loopback=True):
    """Whether requests for a profile at `addresses` go to what is (or, loopback: may be, when it
    is a plain http address, which only loopback ones are) a Vault Agent or Proxy."""
    from .vault_http import UNIX, agent_address

    first = agent_address() or (addresses[0] if addresses else "")
    return bool(agent_address()) or first.startswith(UNIX) or (loopback and first.lower().startswith("http://"))


def agent_label(addresses):
    from .vault_http import agent_address

    where = f"VAULT_AGENT_ADDR={agent_address()}" if agent_address() else addresses[0]
    return f"none of its own: the Vault Agent at {where} adds its auto-auth token"


def cert_login_wanted():
    return bool(os.environ.get(CERT_VARS[0]) or os.environ.get(CERT_VARS[1]))


def cert_mount():
    return (os.environ.get(CERT_VARS[0]) or "cert").strip("/")


def cert_label():
    role = os.environ.get(CERT_VARS[1])
    shown_role = f", role {masked(role)}" if role else ""
    return f"TLS certificate login (VAULT_CLIENT_CERT, mount {shown_mount('TRUTO_VAULT_CERT_MOUNT')}{shown_role})"


def cert_incomplete():
    """What a certificate login lacks (the client certificate), or None."""
    if not cert_login_wanted():
        return None
    missing = [n for n in ("VAULT_CLIENT_CERT", "VAULT_CLIENT_KEY") if not os.environ.get(n)]
    if missing:
        return (
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set, but a TLS certificate login "
            f"({CERT_VARS[0]}/{CERT_VARS[1]}) logs in with the client certificate they name; set "
            f"{'it' if len(missing) == 1 else 'them'}, or unset {CERT_VARS[0]} and {CERT_VARS[1]}"
        )
    return None


def cert_login(client, label, where):
    """The token of a login with the TLS client certificate (auth/<mount>/login over mutual TLS),
    held by the sanitiser: it stays in this process's memory only."""
    from .. import untrusted

    role = os.environ.get(CERT_VARS[1])
    return untrusted.hold(_login(client, cert_mount(), {"name": role} if role else {}, label, where))


def incomplete():
    """What is missing from a half-configured AppRole or JWT login, or None."""
    kind = source()[0]
    if kind == "approle" and not all(os.environ.get(n) for n in APPROLE):
        missing = APPROLE[1] if os.environ.get(APPROLE[0]) else APPROLE[0]
        return f"{missing} is not set, but AppRole needs both {APPROLE[0]} and {APPROLE[1]}; set it, or unset the other"
    if kind == "jwt" and not os.environ.get("TRUTO_VAULT_ROLE"):
        return "TRUTO_VAULT_ROLE is not set, but a JWT login needs the Vault role to log in as; set it"
    if kind == "cert":
        return cert_incomplete()
    return None


def approle_mount():
    return (os.environ.get("TRUTO_VAULT_APPROLE_MOUNT") or MOUNT_DEFAULTS["TRUTO_VAULT_APPROLE_MOUNT"]).strip("/")


def jwt_mount():
    return (os.environ.get("TRUTO_VAULT_JWT_MOUNT") or MOUNT_DEFAULTS["TRUTO_VAULT_JWT_MOUNT"]).strip("/")


def obtain(client, where):
    """(token, label): the Vault token to use and where it came from. `where` names the secret for
    messages. A login (AppRole, JWT) is one request within the operation's deadline. Every secret
    read here, and the token a login answers with, is held (untrusted.hold) as it is read."""
    kind, label = source()
    if incomplete():
        raise SecretStoreUnavailable(incomplete())
    if kind == "approle":
        role_id, secret_id = (hold(os.environ.get(n)) for n in APPROLE)
        body = {"role_id": role_id, "secret_id": secret_id}
        return _login(client, approle_mount(), body, label, where), label
    if kind == "jwt":
        jwt = hold(os.environ.get(JWT_VARS[0]) or _read_jwt_file(os.environ[JWT_VARS[1]]))
        role = os.environ["TRUTO_VAULT_ROLE"]
        return _login(client, jwt_mount(), {"role": role, "jwt": jwt}, label, where), label
    if kind == "cert":
        return cert_login(client, label, where), label
    if kind == "env":
        return hold(os.environ["VAULT_TOKEN"].strip()), label
    if kind == "file":
        token = read_token_file(token_file())
        if token:
            return token, label
    if kind == "helper":
        from . import vault_token_helper

        token = vault_token_helper.run(vault_token_helper.configured(), client.remaining())
        if token:
            return token, label
    if to_agent(client.addresses):
        return None, agent_label(client.addresses)  # the agent adds its token, or Vault says 403
    raise SecretStoreUnavailable(f"no Vault token to read {where}: {NO_TOKEN_HINT}")


def read_token_file(path):
    """The token in the token file, held; refused when another user controls the file (owned by
    another uid, or writable by others: they could plant a token of theirs, and the team's
    secret would be written where they read it), with a warning, once, when others can read it."""
    try:
        with open(path, "rb") as f:
            warning = trust_token_file(path, os.fstat(f.fileno()))
            token = hold(f.read().decode("utf-8").strip())
    except (OSError, UnicodeDecodeError) as e:
        raise SecretStoreUnavailable(
            f"{path} cannot be read ({getattr(e, 'strerror', None) or type(e).__name__}); "
            "log in to Vault again (vault login / bao login)"
        )
    if warning and path not in _warned:
        from ..console import warn

        _warned.add(path)
        warn(warning)
    return token


_warned: set[str] = set()  # token files warned about in this process: once is enough


def trust_token_file(path, st):
    """The file-trust rule of truto's own files (file_trust.check_private) for the Vault token file:
    SecretStoreUnavailable when another user controls it; a warning (or None) when others can
    read it. For reading it and for `truto doctor`."""
    from ..file_trust import check_private

    try:
        check_private(path, st)
    except ConfigError as e:
        raise SecretStoreUnavailable(f"{e} (the Vault token file)") from None
    if st.st_mode & 0o044:
        return (
            f"{path} (the Vault token) is readable by other users (mode {st.st_mode & 0o777:04o}); `chmod 600 {path}`"
        )
    return None


def _read_jwt_file(path):
    try:
        with open(path, encoding="utf-8") as f:
            jwt = f.read().strip()
    except (OSError, UnicodeDecodeError) as e:
        raise SecretStoreUnavailable(
            f"TRUTO_VAULT_JWT_FILE {shown_path(path)} cannot be read ({getattr(e, 'strerror', None) or type(e).__name__}); "
            "point it at the file your CI writes the job's ID token to"
        )
    if not jwt:
        raise SecretStoreUnavailable(
            f"TRUTO_VAULT_JWT_FILE {shown_path(path)} is empty; point it at the file holding the job's ID token"
        )
    return jwt


def _login(client, mount, body, label, where):
    from .vault_http import vault_message

    answer = client.request("POST", f"auth/{mount}/login", body=body)
    auth = answer.doc.get("auth") if answer.status == 200 else None
    token = hold(auth.get("client_token")) if isinstance(auth, dict) else None
    if not token:
        # Vault may quote what it was sent (a role or mount it does not know): none of it is repeated.
        said = vault_message(answer, scrub=(*body.values(), mount))
        raise SecretStoreUnavailable(
            f"Vault at {answer.address} refused the {label} (HTTP {answer.status}{': ' + said if said else ''}) "
            f"needed to read {where}; check the role and credentials, and that the auth method is enabled at that mount"
        )
    return token
