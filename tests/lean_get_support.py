"""What a credential `get` must not import (docs/performance.md), shared by the two tiers that check
it: tests/test_lean_get.py runs the installed scripts, tests/unit/test_lean_get_imports.py the
checkout's launchers."""

# Never on the path of a `get` that the fast path answers.
HEAVY = (
    "requests",
    "urllib3",
    "http.client",
    "urllib.request",
    "email",  # no HTTP on a get
    "jsonschema",
    "referencing",
    "rpds",  # config.json's bytes were validated before
    "keyring",
    "jaraco.context",
    "secretstorage",
    "jeepney",
    "cryptography",  # D-Bus read directly
    "argparse",
    "dataclasses",
    "typing",
    "inspect",
    "tempfile",
    "threading",
    "logging",
    "subprocess",
    # pip's console-script wrapper imports re; json.decoder compiles regular expressions at import;
    # contextlib brings collections and functools: the launchers, jsondepth and lean_context avoid them.
    "re",
    "json",
    "contextlib",
    "collections",
    "functools",
    "enum",
    # A shared library to load: D-Bus integers are read with int.from_bytes. hashlib loads OpenSSL:
    # the validation cache's SHA-256 is CPython's own module.
    "struct",
    "hashlib",
    # `from __future__ import annotations` imports a module too: annotations are quoted instead.
    "__future__",
)


def heavy_in(modules):
    return sorted(m for m in modules for h in HEAVY if m == h or m.startswith(h + "."))


GIT_GET = "protocol=https\nhost=api.truto.one\n\n"


def gets_by_every_entry_point(token):
    """(script, args, request, what the answer holds) of a get for api.truto.one answered with
    `token`, through each of the helpers' commands and protocols."""
    return [
        ("git-credential-truto", ["get"], GIT_GET, f"password={token}"),
        ("truto-credential-helper", ["get"], GIT_GET, f"password={token}"),
        ("docker-credential-truto", ["get"], "https://api.truto.one", f'"Secret": "{token}"'),
        ("truto-credential-helper", ["--protocol", "docker", "get"], "api.truto.one", f'"Secret": "{token}"'),
    ]
