"""The order of a profile's writes to config.json and to its secret store, decided here only:
profiles.Edit (login, git and docker `store`, set-key, logout) and relocate.py (moving a profile to
another store) call these, so a writer killed at any point (SIGKILL, a crash, a power cut) leaves a
state that is safe to read.

What must hold between any two steps: no profile names an item holding a secret meant for other
settings (an old token under a new apiUrl would be sent to the new origin), and no secret is left
that no profile names (nothing uses or removes it until `truto doctor --fix`). A profile
naming an item that is not there yet is allowed: it answers nothing, visibly, until the next login.

A new secret (replace): (1) every item that must not survive is deleted: the old profile's dropped
secrets, and any leftover where a new one goes, unless it already holds this profile's secret for
the same origin and user (that one is overwritten in place: at every instant it holds the old or the
new secret, both meant for it); (2) config.json names the new items, in one atomic rename; (3) they
are written. A write that fails (an error, not a crash) puts config.json back to naming only what
still holds its secret before the error goes on. The other order leaves a secret no profile names,
or an old token under new settings.

The same secret into another store (move): the old copy may be its only one, so it is deleted last:
(1) every secret is copied into the new store and read back; (2) config.json switches the profile to
the new store, in one atomic rename when the lock's block ends; (3) under the lock again, the old
copies are deleted, only while config.json does not name the old store (a move back meanwhile owns
them). Killed before (3), a move leaves unused copies of secrets the profile still holds (doctor lists
them): the one leftover allowed, since the other order can lose a secret's only copy.
"""

TYPE_CHECKING = False  # typing is not imported at run time: `get` imports this module
if TYPE_CHECKING:
    from typing import Callable, ContextManager, Iterable, Optional, TypeVar

    from .secrets.base import SecretStore

    Editor = TypeVar("Editor")
    Moved = TypeVar("Moved")


def replace(
    delete: "Iterable[tuple[SecretStore, str, str]]",
    name: "Callable[[], None]",
    write: "Iterable[tuple[SecretStore, str, str, str]]" = (),
    unname: "Callable[[], None] | None" = None,
) -> None:
    """Write a new secret: delete each (store, profile, field) of `delete`, then name() (config.json
    names the new items; committed now, or when the edit ends if nothing is written), then set each
    (store, profile, field, value) of `write`. When a write fails, unname() (config.json back to
    naming only what still holds its secret) runs before the error goes on. `delete` is consumed
    lazily, so a caller's generator sees each delete done before it yields the next."""
    for store, profile, field in delete:
        store.delete(profile, field)
    name()
    try:
        for store, profile, field, value in write:
            store.set(profile, field, value)
    except BaseException:
        if unname is not None:
            try:
                unname()
            except Exception:
                pass  # the error on its way out matters more; the profile answers nothing meanwhile
        raise


def remove(delete: "Iterable[tuple[SecretStore, str, str]]", unname: "Callable[[], None]") -> None:
    """Remove secrets (logout, unset, erase): the items first, then unname() (config.json stops
    naming them, when the edit ends). Killed in between, a profile names an item that is gone and
    answers nothing; the other order leaves a secret no profile names."""
    replace(delete, unname)


def move(
    edit: "Callable[[], ContextManager[Editor]]",
    copy: "Callable[[Editor], Optional[Moved]]",
    switch: "Callable[[Editor, Moved], None]",
    forget: "Callable[[Editor, Moved], None]",
) -> "Moved | None":
    """Move secrets to another store: under one lock (edit(), whose block writes config.json when it
    ends), copy(editor) copies every secret into the new store and reads it back (it returns what it
    copied, or None: nothing to move, and nothing more is done), then switch(editor, copied) names
    the new store; config.json is written as that block ends. Then under the lock again,
    forget(editor, copied) deletes the old copies (only while config.json does not name the old
    store: it checks). Returns what copy() returned."""
    with edit() as editor:
        copied = copy(editor)
        if copied is None:
            return None
        switch(editor, copied)
    with edit() as editor:
        forget(editor, copied)
    return copied
