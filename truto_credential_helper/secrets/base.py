"""The interface every secret store implements (secrets/__init__.py opens one by kind).

Every store's get and set hand the secret they read or are given to the one sanitiser
(untrusted.hold) before anything else sees it, whoever the caller: no error, -v line or traceback
printed afterwards can repeat it. A store that reads more than the secret asked for (a whole
credentials.json, a Vault secret's other keys) holds those values where it reads them.
"""

from ..untrusted import hold


class SecretStore:
    kind: "str | None" = None
    owned = True  # False for a store shared with others (Vault): moving a profile away keeps its secrets there

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get" in cls.__dict__:
            cls.get = _holding_get(cls.__dict__["get"])
        if "set" in cls.__dict__:
            cls.set = _holding_set(cls.__dict__["set"])

    def get(self, profile: str, field: str) -> "str | None":
        """The secret, or None when there is none."""
        raise NotImplementedError

    def set(self, profile: str, field: str, value: str) -> None:
        raise NotImplementedError

    def delete(self, profile: str, field: str) -> None:
        """Remove the secret; a missing one is not an error."""
        raise NotImplementedError

    def names(self) -> "list[tuple[str, str]] | None":
        """[(profile, field)] of every secret this store holds for this config directory, whoever
        wrote it (doctor finds those no profile names); None when the backend cannot list."""
        raise NotImplementedError

    def describe(self) -> str:
        """Where the secrets are, for whoami and doctor (no secret in it)."""
        raise NotImplementedError


def _holding_get(get):
    def holding_get(self, profile, field):
        return hold(get(self, profile, field))

    holding_get.__name__, holding_get.__qualname__, holding_get.__doc__ = get.__name__, get.__qualname__, get.__doc__
    return holding_get


def _holding_set(set_):
    def holding_set(self, profile, field, value):
        hold(value)
        return set_(self, profile, field, value)

    holding_set.__name__, holding_set.__qualname__, holding_set.__doc__ = set_.__name__, set_.__qualname__, set_.__doc__
    return holding_set
