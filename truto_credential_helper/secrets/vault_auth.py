"""Where the Vault token comes from, first match wins:

1. AppRole: TRUTO_VAULT_ROLE_ID + TRUTO_VAULT_SECRET_ID (mount TRUTO_VAULT_APPROLE_MOUNT, default approle)
2. JWT/OIDC: TRUTO_VAULT_JWT, or TRUTO_VAULT_JWT_FILE, + TRUTO_VAULT_ROLE (mount TRUTO_VAULT_JWT_MOUNT, default jwt)
3. VAULT_TOKEN, as the vault and bao CLIs read it
4. the token file ~/.vault-token, which `vault login` and `bao login` leave

truto's own variables come first: they are set for truto on purpose (a CI job), while VAULT_TOKEN
and the token file may be ambient. A token from a login lives in this process's memory only.
"""

import os

from ..errors import SecretStoreUnavailable

APPROLE = ("TRUTO_VAULT_ROLE_ID", "TRUTO_VAULT_SECRET_ID")
JWT_VARS = ("TRUTO_VAULT_JWT", "TRUTO_VAULT_JWT_FILE")
NO_TOKEN_HINT = (
    "set VAULT_TOKEN or log in with `vault login` / `bao login` (~/.vault-token); in CI set "
    "TRUTO_VAULT_ROLE_ID + TRUTO_VAULT_SECRET_ID (AppRole) or TRUTO_VAULT_JWT(_FILE) + TRUTO_VAULT_ROLE (JWT)"
)


def token_file():
    return os.path.join(os.path.expanduser("~"), ".vault-token")


def source():
    """(kind, label) of the source that would be used, without contacting Vault: kind is approle,
    jwt, env, file or None. For whoami and doctor; never reads a secret into the label."""
    if os.environ.get(APPROLE[0]) or os.environ.get(APPROLE[1]):
        return "approle", f"AppRole login ({APPROLE[0]}, mount '{approle_mount()}')"
    if os.environ.get(JWT_VARS[0]) or os.environ.get(JWT_VARS[1]):
        which = JWT_VARS[0] if os.environ.get(JWT_VARS[0]) else f"{JWT_VARS[1]}={os.environ[JWT_VARS[1]]}"
        return "jwt", f"JWT login ({which}, role {os.environ.get('TRUTO_VAULT_ROLE') or '?'}, mount '{jwt_mount()}')"
    if os.environ.get("VAULT_TOKEN"):
        return "env", "VAULT_TOKEN"
    if os.path.isfile(token_file()):
        return "file", token_file()
    return None, "none"


def incomplete():
    """What is missing from a half-configured AppRole or JWT login, or None."""
    kind = source()[0]
    if kind == "approle" and not all(os.environ.get(n) for n in APPROLE):
        missing = APPROLE[1] if os.environ.get(APPROLE[0]) else APPROLE[0]
        return f"{missing} is not set, but AppRole needs both {APPROLE[0]} and {APPROLE[1]}; set it, or unset the other"
    if kind == "jwt" and not os.environ.get("TRUTO_VAULT_ROLE"):
        return "TRUTO_VAULT_ROLE is not set, but a JWT login needs the Vault role to log in as; set it"
    return None


def approle_mount():
    return (os.environ.get("TRUTO_VAULT_APPROLE_MOUNT") or "approle").strip("/")


def jwt_mount():
    return (os.environ.get("TRUTO_VAULT_JWT_MOUNT") or "jwt").strip("/")


def obtain(client, where):
    """(token, label): the Vault token to use and where it came from. `where` names the secret for
    messages. A login (AppRole, JWT) is one request within the operation's deadline."""
    kind, label = source()
    if incomplete():
        raise SecretStoreUnavailable(incomplete())
    if kind == "approle":
        role_id, secret_id = (os.environ.get(n) for n in APPROLE)
        body = {"role_id": role_id, "secret_id": secret_id}
        return _login(client, approle_mount(), body, label, (role_id, secret_id), where), label
    if kind == "jwt":
        jwt = os.environ.get(JWT_VARS[0]) or _read_jwt_file(os.environ[JWT_VARS[1]])
        role = os.environ["TRUTO_VAULT_ROLE"]
        return _login(client, jwt_mount(), {"role": role, "jwt": jwt}, label, (jwt,), where), label
    if kind == "env":
        return os.environ["VAULT_TOKEN"].strip(), label
    if kind == "file":
        try:
            with open(token_file(), encoding="utf-8") as f:
                token = f.read().strip()
        except (OSError, UnicodeDecodeError) as e:
            raise SecretStoreUnavailable(
                f"{token_file()} cannot be read ({getattr(e, 'strerror', None) or type(e).__name__}); "
                "log in to Vault again (vault login / bao login)"
            )
        if token:
            return token, label
    raise SecretStoreUnavailable(f"no Vault token to read {where}: {NO_TOKEN_HINT}")


def _read_jwt_file(path):
    try:
        with open(path, encoding="utf-8") as f:
            jwt = f.read().strip()
    except (OSError, UnicodeDecodeError) as e:
        raise SecretStoreUnavailable(
            f"TRUTO_VAULT_JWT_FILE={path} cannot be read ({getattr(e, 'strerror', None) or type(e).__name__}); "
            "point it at the file your CI writes the job's ID token to"
        )
    if not jwt:
        raise SecretStoreUnavailable(
            f"TRUTO_VAULT_JWT_FILE={path} is empty; point it at the file holding the job's ID token"
        )
    return jwt


def _login(client, mount, body, label, sent, where):
    from .vault_http import vault_message

    answer = client.request("POST", f"auth/{mount}/login", body=body)
    auth = answer.doc.get("auth") if answer.status == 200 else None
    token = auth.get("client_token") if isinstance(auth, dict) else None
    if not token:
        said = vault_message(answer, scrub=sent)
        raise SecretStoreUnavailable(
            f"Vault at {answer.address} refused the {label} (HTTP {answer.status}{': ' + said if said else ''}) "
            f"needed to read {where}; check the role and credentials, and that auth/{mount} is enabled"
        )
    return token
