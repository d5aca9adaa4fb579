"""Move a profile's secrets from the store that holds them to another one (`truto profiles set
secret-store`, `truto auth migrate --to`), never losing one if interrupted.

The order of its steps (copy into the new store and read back, switch config.json, delete the old
copies under the lock again) and why it is the reverse of a login's are write_order.py's (move).
"""

from . import write_order
from .console import warn
from .errors import SecretStoreUnavailable, TrutoError

TYPE_CHECKING = False  # typing is not imported at run time: `get` never loads it
if TYPE_CHECKING:
    from .profiles import Edit, Profiles


def move_profile(store: "Profiles", name: str, kind: str) -> "list[str] | None":
    """Move profile `name` of `store` (a profiles.Profiles) to secret store `kind`. Returns the fields
    moved, or None when the profile already keeps its secrets there."""

    def copy(edit):
        profile = edit.require_profile(name)  # NotLoggedIn, with its hint, from the file as it is now
        if profile.secret_store == kind:
            return None
        return profile.secret_store, profile.secrets, _copy(store, name, profile.secret_store, profile.secrets, kind)

    def switch(edit, copied):
        _, _, moved = copied
        # Off Vault, the profile no longer names the team's secret: its `vault` block goes with it.
        edit.update_settings(name, secretStore=kind, secrets=sorted(moved), vault=None)

    def forget(edit, copied):
        old_kind, listed, _ = copied
        _forget(edit, store, name, old_kind, listed)

    copied = write_order.move(store.edit, copy, switch, forget)
    return None if copied is None else copied[2]


def _copy(store, name, old_kind, fields, kind):
    """Step 1 of a move: every secret the profile lists, written into `kind` and read back."""
    source, target = store.secret_store(old_kind), store.secret_store(kind)
    moved = []
    for field in fields:
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
    return moved


def forget_old_copies(store: "Profiles", name: str, old_kind: str, fields: "tuple[str, ...]") -> None:
    """Step 3 of a move on its own: the old copies deleted, under the lock, unless moved back meanwhile."""
    with store.edit() as edit:
        _forget(edit, store, name, old_kind, fields)


def _forget(edit: "Edit", store: "Profiles", name: str, old_kind: str, fields: "tuple[str, ...]") -> None:
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
