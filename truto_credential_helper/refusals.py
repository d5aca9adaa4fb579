"""Tokens a server has just refused: a git `erase` naming the very token of a profile it keeps
(saved with `truto`). For WINDOW seconds after, `get` does not offer that token, so a client that
asks again right after every erase (git-lfs does, and would loop against the server for as long
as the helper answers) ends with its own authentication error instead.

Kept in one small file in the config directory, `.refused`: a line per profile, its name, a
digest of the refused token (never the token) and when. Read on `get` only once a profile
answers; the file is held to the same ownership rules as config.json. A new token (a digest that
differs), a `truto` write of the profile, or a client's `store` of the same token (git approves
after a request that worked) ends the refusal at once.
"""

import time

from . import memos

NAME = ".refused"
WINDOW = 60  # seconds: far longer than a client's retry, far shorter than a user's next try


def digest(name: str, token: str) -> str:
    # Salted with the profile name: equal tokens of two profiles do not look equal in the file.
    return memos.sha256_hex(f"truto-refused\0{name}\0{token}".encode("utf-8"))


def _entries(directory):
    """{profile name: (digest, time)} as the file holds them; malformed lines are ignored."""
    data = memos.recall(directory, NAME)  # another user's file: ConfigError, as for every file of ours
    found = {}
    for line in (data or b"").decode("utf-8", "replace").splitlines():
        parts = line.split(" ")
        if len(parts) != 3:
            continue
        try:
            found[parts[0]] = (parts[1], float(parts[2]))
        except ValueError:
            continue
    return found


def withheld_for(directory: str, name: str, token: str, now: "float | None" = None) -> "float | None":
    """Seconds until profile `name`'s `token` is offered again, or None when it is not withheld."""
    entry = _entries(directory).get(name)
    if entry is None or entry[0] != digest(name, token):
        return None
    now = time.time() if now is None else now
    age = now - entry[1]
    if age < 0 or age >= WINDOW:  # a time in the future (a clock set back, an edited file) is no refusal
        return None
    return WINDOW - age


def record(directory: str, refused: "dict[str, str]", now: "float | None" = None) -> None:
    """Note that the server refused each {profile name: token} now (a cache: a config directory
    that cannot be written only loses the protection)."""
    if not refused:
        return
    now = time.time() if now is None else now
    entries = {n: e for n, e in _entries(directory).items() if 0 <= now - e[1] < WINDOW}
    for name, token in refused.items():
        entries[name] = (digest(name, token), now)
    _write(directory, entries)


def forget(directory: str, names: "list[str]") -> None:
    """End the refusal of these profiles' tokens (a new login, a token that worked)."""
    entries = _entries(directory)
    if not any(name in entries for name in names):
        return  # the common case: no file, or nothing about these profiles; nothing written
    _write(directory, {n: e for n, e in entries.items() if n not in names})


def _write(directory, entries):
    text = "".join(f"{name} {d} {at:.3f}\n" for name, (d, at) in sorted(entries.items()))
    memos.remember(directory, NAME, text.encode("utf-8"))
