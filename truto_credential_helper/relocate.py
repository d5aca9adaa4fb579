"""Move a profile's secrets from the store that holds them to another one (`truto profiles set
secret-store`, `truto auth migrate --to`), never losing one if interrupted.

Three steps, each leaving the profile readable: (1) under the config lock, copy every secret into the
new store and read it back; (2) switch config.json to the new store in one atomic rename (a crash
before it leaves the profile on the old store, intact); (3) delete the old copies. Step 3 runs under
the lock again and only while config.json does not point the profile at the old store any more, so
a concurrent move back is never undone; a crash before it only leaves unused copies behind.
"""

from .console import warn
from .errors import SecretStoreUnavailable, TrutoError

TYPE_CHECKING = False  # typing is not imported at run time: `get` never loads it
if TYPE_CHECKING:
    from .profiles import Profiles


def move_profile(store: "Profiles", name: str, kind: str) -> "list[str] | None":
    """Move profile `name` of `store` (a profiles.Profiles) to secret store `kind`. Returns the fields
    moved, or None when the profile already keeps its secrets there."""
    with store.edit() as edit:
        profile = edit.require_profile(name)  # NotLoggedIn, with its hint, from the file as it is now
        old_kind = profile.secret_store
        if old_kind == kind:
            return None
        source, target = store.secret_store(old_kind), store.secret_store(kind)
        moved = []
        for field in profile.secrets:
            value = source.get(name, field)
            if value is None:
                warn(f"profile '{name}' lists {field}, but {source.describe()} does not hold it; it is not moved")
                continue
            target.set(name, field, value)
            if target.get(name, field) != value:
                raise SecretStoreUnavailable(
                    f"{target.describe()} did not give back {field} of profile '{name}' after saving it; "
                    f"the profile stays in {old_kind}: check the store and retry"
                )
            moved.append(field)
        # Off Vault, the profile no longer names the team's secret: its `vault` block goes with it.
        edit.update_settings(name, secretStore=kind, secrets=sorted(moved), vault=None)
    forget_old_copies(store, name, old_kind, profile.secrets)
    return moved


def forget_old_copies(store: "Profiles", name: str, old_kind: str, fields: tuple[str, ...]) -> None:
    with store.edit() as edit:
        now = edit.profile(name)
        if now is not None and now.secret_store == old_kind:
            return  # moved back meanwhile: those copies are the profile's again
        old = store.secret_store(old_kind)
        if not old.owned:
            return  # a shared store's secret (the team's, in Vault) is not ours to delete
        try:
            for field in fields:
                old.delete(name, field)
        except TrutoError as e:
            warn(
                f"profile '{name}' was moved, but its old copies in {old.describe()} could not be deleted ({e}); "
                f"delete them there by hand"
            )
