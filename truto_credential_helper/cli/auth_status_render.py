"""`truto auth status`'s output, from the Facts auth_status_facts.py gathered: text for a person,
a JSON document, or rows in the other -o formats, written to the stream given. Nothing here reads
a profile, a store or the environment; values from outside are escaped (output.cell) in text."""

import json

from ..settings import ENV_API_URL, ENV_PROFILE, ENV_TOKEN
from . import output, vault_cli
from .auth_status_facts import ENVIRONMENT

COLUMNS = [
    ("profile", "profile"),
    ("active", "active"),
    ("apiUrl", "api url"),
    ("secretStore", "store"),
    ("tokenPresent", "token"),
    ("git", "git"),
    ("docker", "docker"),
    ("containers", "podman"),
    ("online", "online"),
    ("problem", "problem"),
]


def emit(facts, fmt, stream, show_token=False):
    """facts in output format fmt (output.FORMATS) to stream; the token column only with show_token."""
    if fmt == "json":
        write_json(facts, stream)
    elif fmt != "table":
        output.emit_rows(facts.records, fmt, COLUMNS + ([("token", "token")] if show_token else []), stream)
    else:
        write_text(facts, stream)


def write_json(facts, stream):
    doc = {"ok": facts.ok, "environment": facts.environment, "profiles": facts.records}
    stream.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def marks(stream):
    """(good, bad): a check mark where the stream's encoding has one."""
    try:
        "\u2713".encode(getattr(stream, "encoding", None) or "ascii")
        return "\u2713", "X"
    except (UnicodeEncodeError, LookupError):
        return "+", "X"


def write_text(facts, stream):
    from .terminal import paint

    good, bad = marks(stream)
    ok_mark, fail_mark = paint(good, "ok", stream), paint(bad, "fail", stream)
    env = facts.environment
    lines = []
    if any(env.values()):
        lines.append(paint("Environment", "bold", stream))
        if env[ENV_TOKEN]:
            lines.append("  - TRUTO_API_TOKEN is set (not shown): commands use it instead of a profile's stored token")
        if env[ENV_API_URL]:
            lines.append(
                f"  - TRUTO_API_URL={output.cell(env[ENV_API_URL])}: commands call it instead of the profile's apiUrl"
            )
        if env[ENV_PROFILE]:
            lines.append(
                f"  - TRUTO_PROFILE={output.cell(env[ENV_PROFILE])}: commands use that profile "
                "instead of the active one"
            )
        lines.append("")
    if not facts.entries:
        lines.append(f"{fail_mark} Not logged in to any profile. To log in, run: truto login")
    for entry in facts.entries:
        lines.extend(entry_lines(entry, ok_mark, fail_mark, stream))
        lines.append("")
    stream.write("\n".join(lines).rstrip("\n") + "\n")


def entry_lines(entry, ok_mark, fail_mark, stream):
    from .terminal import paint

    r = entry.record
    cell = output.cell
    from_env = r["source"] == ENVIRONMENT
    title = "TRUTO_API_TOKEN" if from_env else cell(r["profile"]) + (" (active)" if r["active"] else "")
    lines = [paint(title, "bold", stream)]
    store_word = "TRUTO_API_TOKEN" if from_env else vault_cli.store_label(r)
    if r["tokenPresent"] and not entry.problems:
        lines.append(f"  {ok_mark} Token for {cell(r['apiUrl'])} ({cell(store_word)})")
    for problem in entry.problems:
        lines.append(f"  {fail_mark} {cell(problem)}")
    lines.append(f"  - API URL: {cell(r['apiUrl'])}")
    lines.append(f"  - Secret store: {cell(store_word)}")
    if "token" in r:
        lines.append(f"  - Token: {cell(r['token'])}")
    elif r["tokenPresent"]:
        lines.append("  - Token: " + ("not shown" if from_env else "stored, not shown (--show-token)"))
    else:
        lines.append("  - Token: none")
    if r.get("origin"):
        lines.extend(_wiring_lines(r))
    if r.get("online") == "ok":
        team = f" (team {cell(r['team'])})" if r.get("team") else ""
        lines.append(f"  {ok_mark} {cell(r['apiUrl'])} accepts the token{team}")
    return lines


def _wiring_lines(r):
    flag = f" -p {output.cell(r['profile'])}" if r["profile"] else ""
    origin = output.cell(r["origin"])
    host = origin.split("://", 1)[1]
    return [
        "  - Git: "
        + _wired(
            r["git"],
            f"asks truto for {origin}",
            f"not set up for {origin} (truto auth setup-git{flag})",
            "git not found",
        ),
        "  - Docker: "
        + _wired(
            r["docker"],
            f"asks truto for {host}",
            f"not set up (truto auth setup-docker{flag})",
            "its config.json cannot be read",
        ),
        "  - Podman/buildah: "
        + _wired(
            r.get("containers"),
            f"ask truto for {host}",
            f"not set up (truto auth setup-docker{flag})",
            "their auth file cannot be read",
        ),
    ]


def _wired(value, yes, no, unknown):
    return yes if value else (no if value is False else unknown)
