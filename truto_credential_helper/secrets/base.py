"""The interface every secret store implements (secrets/__init__.py opens one by kind)."""


class SecretStore:
    kind: "str | None" = None
    owned = True  # False for a store shared with others (Vault): moving a profile away keeps its secrets there

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
