__version__ = "0.2.0"  # the one source: setup.cfg reads it (attr:), every --version prints it

# The public Python API, loaded on first use (PEP 562): this file is imported by every `get` of
# the credential helpers, whose imports must not grow.
_PUBLIC = {
    "credentials": "public",
    "Credentials": "public",
    "TrutoError": "errors",
    "UsageError": "errors",
    "ConfigError": "errors",
    "NotLoggedIn": "errors",
    "TokenRejected": "errors",
    "ApiUnavailable": "errors",
    "SecretStoreUnavailable": "errors",
}

__all__ = sorted(_PUBLIC)  # noqa: PLE0605 (the names exported lazily below)


def __getattr__(name):
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))
